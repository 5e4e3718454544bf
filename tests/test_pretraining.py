"""Pretraining entry point on real EmoDB speakers, saved weights reload safely."""

import json

import torch

from sklearn_ser.estimators import VACNNBOVWClassifier, VACNNClassifier, load_encoder_state
from sklearn_ser.pretraining import main, pretrain_vacnn


def test_pretrain_on_two_emodb_speakers(emodb_home, tmp_path):
    out = tmp_path / "vacnn.pt"
    net = pretrain_vacnn("emodb", out, data_home=emodb_home, speakers=["03", "08"],
                         image_params={"size": (32, 32)},
                         estimator=VACNNClassifier(max_epochs=1, random_state=0),
                         command="test")
    meta = json.loads((tmp_path / "vacnn.pt.json").read_text())
    assert meta["speakers"] == ["03", "08"] and meta["command"] == "test"
    assert "boredom" not in meta["classes"]  # seven harmonised pretraining classes at most
    state = torch.load(out, weights_only=True)
    assert set(state) == set(net.module_.state_dict())
    assert load_encoder_state(str(out))
    assert isinstance(VACNNBOVWClassifier(pretrained=str(out)), VACNNBOVWClassifier)


def test_command_line(emodb_home, tmp_path, capsys):
    out = tmp_path / "cli.pt"
    assert main(["--corpus", "emodb", "--data-home", str(emodb_home), "--speakers", "03",
                 "--out", str(out), "--epochs", "1", "--image-size", "32", "--lr", "1e-4",
                 "--lr-step", "40", "--augment", "--verbose", "0"]) == 0
    assert out.exists() and "saved" in capsys.readouterr().out
    meta = json.loads((tmp_path / "cli.pt.json").read_text())
    assert meta["training"]["lr"] == "0.0001" and meta["training"]["lr_step_size"] == "40"
    assert meta["module"]["augment"].startswith("SpecAugment(")
