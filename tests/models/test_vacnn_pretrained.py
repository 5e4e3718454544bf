"""The pretrained VACNN networks shipped with the package: digest, loading, fine-tuning."""

import shutil
import warnings

import numpy as np
import pytest
import torch

from sklearn_ser.datasets import load_emodb
from sklearn_ser.estimators import VACNNBOVWClassifier, load_encoder_state
from sklearn_ser.exceptions import ChecksumError
from sklearn_ser.features import BOVWEncoder, LogMelImage
from sklearn_ser.models import (
    VACNN,
    list_pretrained_vacnn,
    load_pretrained_vacnn,
    pretrained_vacnn_card,
)
from sklearn_ser.models.vacnn_pretrained import SHIPPED_VACNN, _folder

NAMES = list_pretrained_vacnn()


def test_the_va_network_is_listed_and_every_listed_one_is_registered():
    assert "vacnn-tess-ravdess" in NAMES
    assert NAMES == sorted(SHIPPED_VACNN)


@pytest.mark.parametrize("name", NAMES)
def test_shipped_file_loads_into_a_vacnn_and_its_card_describes_it(name):
    card = pretrained_vacnn_card(name)
    shipped = SHIPPED_VACNN[name]
    assert card["attention"] == shipped.attention
    assert card["sha256"] == shipped.sha256
    assert card["corpora"] == ["tess", "ravdess"]
    assert card["classes"] == sorted(
        ["anger", "disgust", "fear", "happiness", "neutral", "sadness", "surprise"])
    assert "CC BY-NC-ND" in card["licence"] and "CC BY-NC-SA" in card["licence"]
    assert 0 < card["pretraining_accuracy"]["validation"] <= 1
    state = load_pretrained_vacnn(name)
    assert all(v.dtype == torch.float32 for v in state.values() if v.is_floating_point())
    net = VACNN(n_classes=7, attention=card["attention"])
    net.load_state_dict(state)  # strict: every key and shape matches
    assert sum(p.numel() for p in net.parameters()) == card["n_parameters"]
    # small: float16 on disk
    assert (_folder(None) / shipped.filename).stat().st_size < 3_000_000


def test_a_modified_copy_is_refused(tmp_path):
    name = "vacnn-tess-ravdess"
    for suffix in (".pt", ".json"):
        shutil.copy(_folder(None) / f"{name}{suffix}", tmp_path / f"{name}{suffix}")
    state = load_pretrained_vacnn(name, root=tmp_path)  # the intact copy loads
    assert state
    path = tmp_path / f"{name}.pt"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit in the middle of the tensors
    path.write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match="SHA-256"):
        load_pretrained_vacnn(name, root=tmp_path)


def test_unknown_name_and_missing_file_say_what_to_do(tmp_path):
    with pytest.raises(ValueError, match="vacnn-tess-ravdess"):
        load_pretrained_vacnn("vacnn-imagenet")
    with pytest.raises(FileNotFoundError, match="root="):
        load_pretrained_vacnn("vacnn-tess-ravdess", root=tmp_path)


def test_encoder_state_by_name_is_the_shipped_encoder():
    state = load_encoder_state("vacnn-tess-ravdess")
    full = load_pretrained_vacnn("vacnn-tess-ravdess")
    assert set(state) == {k[len("encoder."):] for k in full if k.startswith("encoder.")}
    for key, value in state.items():
        assert torch.equal(value, full["encoder." + key])


def test_attention_mismatch_is_refused_with_the_fix():
    X = {"image": np.zeros((4, 1, 32, 32), "float32"), "bovw": np.ones((4, 8), "float32")}
    clf = VACNNBOVWClassifier(pretrained="vacnn-tess-ravdess", module__attention="cbam",
                              max_epochs=1)
    with pytest.raises(ValueError, match="module__attention='va'"):
        clf.fit(X, np.array(["anger", "sadness"] * 2))


@pytest.mark.parametrize("name", NAMES)
def test_fine_tuning_from_the_shipped_network_on_real_emodb(emodb_home, name):
    """Smoke test at reduced size: 70 files, 64x64 images, two epochs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = load_emodb(emodb_home)
    rng = np.random.default_rng(0)
    keep = np.sort(rng.choice(len(data.filenames), 70, replace=False))
    images = LogMelImage(size=(64, 64)).fit_transform(data.filenames[keep])
    y = data.target[keep]
    X = BOVWEncoder(n_words=8, output="dict", random_state=0).fit_transform(images)
    attention = SHIPPED_VACNN[name].attention
    clf = VACNNBOVWClassifier(pretrained=name, module__attention=attention, max_epochs=2,
                              train_split=None, random_state=0, device="cpu").fit(X, y)
    shipped = load_encoder_state(name)
    encoder = clf.module_.encoder.state_dict()
    # stem and VA block 1 stay the shipped weights; the later blocks are fine-tuned
    for key in shipped:
        if key.startswith(("stem.", "va1.")):
            assert torch.equal(encoder[key], shipped[key]), key
    changed = [k for k in shipped if k.startswith("va3.") and k.endswith("weight")
               and not torch.equal(encoder[k], shipped[k])]
    assert changed
    assert clf.frozen_parameters_
    pred = clf.predict(X)
    assert set(pred) <= set(y)
