"""The sklearn-ser command line, end to end on small real EmoDB subsets."""

import csv
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from sklearn_ser.cli import build_parser, main
from sklearn_ser.persistence import load, read_manifest

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("command", ["evaluate", "pretrain", "fit", "predict", "explain"])
def test_help_of_every_command(command, capsys):
    status, out, _ = _run(capsys, command, "--help")
    assert status == 0
    assert out.startswith(f"usage: sklearn-ser {command}")
    assert "--verbose" in out and "--debug" in out


def test_top_level_help_lists_commands_and_models(capsys):
    status, out, _ = _run(capsys, "--help")
    assert status == 0
    for word in ("evaluate", "pretrain", "fit", "predict", "explain", "vacnn-bovw",
                 "logmel-logreg"):
        assert word in out


@pytest.mark.parametrize("argv, message", [
    (["evaluate", "--cv", "1"], "argument --cv: expected a number of folds (>= 2) or 'loso'"),
    (["evaluate", "--model", "svm"], "argument --model: invalid choice: 'svm'"),
    (["evaluate", "--epochs", "0"], "argument --epochs: expected a positive integer"),
    (["predict"], "the following arguments are required: MODEL, AUDIO"),
    ([], "the following arguments are required: COMMAND"),
    (["evaluate", "--model", "vacnn", "--pretrained", "x.pt"],
     "--pretrained applies to --model vacnn-bovw only"),
    (["evaluate", "--model", "vacnn-bovw", "--pretrained", "vacnn-imagenet"],
     "no such file and no shipped network of that name (vacnn-tess-ravdess"),
    (["evaluate", "--model", "crnn", "--augment"],
     "--augment applies to --model vacnn and vacnn-bovw only, not crnn"),
    (["fit", "--model", "logmel-logreg", "--augment", "--lr-step", "5", "--out", "m"],
     "--augment and --lr-step apply to --model vacnn and vacnn-bovw only"),
    (["evaluate", "--model", "vit-distilled", "--refit-full"],
     "--refit-full applies to --model vacnn, vacnn-bovw, crnn and late-fusion only"),
])
def test_bad_arguments_give_one_line(argv, message, capsys):
    status, out, err = _run(capsys, *argv)
    assert status == 2
    assert err.startswith("sklearn-ser: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("model", ["vacnn", "vacnn-bovw"])
def test_training_recipe_options_reach_the_vacnn_estimators(model):
    from sklearn_ser.cli import _check_model_args, _model_steps
    from sklearn_ser.models import SpecAugment

    args = build_parser().parse_args(["evaluate", "--model", model, "--lr", "1e-4",
                                      "--lr-step", "60", "--augment"])
    _check_model_args(args)
    net = _model_steps(args)[-1]
    params = net.get_params()
    assert (params["lr"], params["lr_step_size"]) == (1e-4, 60)
    assert isinstance(params["module__augment"], SpecAugment)
    args = build_parser().parse_args(["evaluate", "--model", model])
    params = _model_steps(args)[-1].get_params()  # the paper's recipe by default
    assert (params["lr"], params["lr_step_size"], params["module__augment"]) == (1e-3, 10, None)
    assert params["refit_full"] is False


def test_vacnn_bovw_fine_tunes_the_shipped_network_by_default():
    from sklearn_ser.cli import DEFAULT_PRETRAINED, _check_model_args, _model_steps
    from sklearn_ser.models import pretrained_vacnn_card

    args = build_parser().parse_args(["evaluate", "--model", "vacnn-bovw"])
    _check_model_args(args)
    assert args.pretrained == DEFAULT_PRETRAINED == "vacnn-tess-ravdess"
    # the network's own image size unless told otherwise
    assert args.image_size == pretrained_vacnn_card(DEFAULT_PRETRAINED)["image_size"][0]
    assert _model_steps(args)[-1].get_params()["pretrained"] == "vacnn-tess-ravdess"

    args = build_parser().parse_args(["evaluate", "--model", "vacnn-bovw", "--pretrained",
                                      "none"])
    _check_model_args(args)
    assert args.pretrained is None and args.image_size == 224
    assert _model_steps(args)[-1].get_params()["pretrained"] is None

    args = build_parser().parse_args(["evaluate", "--model", "vacnn-bovw", "--pretrained",
                                      "vacnn-tess-ravdess", "--image-size", "64"])
    with pytest.warns(UserWarning, match="Omit --image-size"):
        _check_model_args(args)
    assert args.image_size == 64

    # other models keep no pretrained network
    args = build_parser().parse_args(["evaluate", "--model", "vacnn"])
    _check_model_args(args)
    assert args.pretrained is None


def test_shipped_network_warns_when_its_pretraining_corpora_are_evaluated():
    from sklearn_ser.cli import _warn_pretraining_leak

    with pytest.warns(UserWarning, match="was pretrained on ravdess"):
        _warn_pretraining_leak("vacnn-tess-ravdess", "ravdess")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _warn_pretraining_leak("vacnn-tess-ravdess", "emodb")


@pytest.mark.parametrize("model", ["vacnn", "vacnn-bovw", "crnn", "late-fusion"])
def test_refit_full_reaches_the_networks(model):
    from sklearn_ser.cli import _check_model_args, _model_steps

    args = build_parser().parse_args(["evaluate", "--model", model, "--refit-full"])
    _check_model_args(args)
    assert _model_steps(args)[-1].get_params()["refit_full"] is True


def test_runtime_errors_give_one_line_and_debug_raises(tmp_path, capsys):
    status, _, err = _run(capsys, "predict", tmp_path / "missing", "a.wav")
    assert status == 1
    assert err == f"sklearn-ser: error: Model folder {tmp_path / 'missing'} does not exist; " \
                  "create it with sklearn_ser.persistence.save or `sklearn-ser fit`.\n"
    status, _, err = _run(capsys, "evaluate", "--corpus", "nosuchcorpus")
    assert status == 1 and err.count("\n") == 1 and "Unknown corpus 'nosuchcorpus'" in err
    with pytest.raises(ValueError, match="Unknown corpus"):
        main(["evaluate", "--corpus", "nosuchcorpus", "--debug"])


def test_console_entry_point_in_a_process():
    result = subprocess.run([sys.executable, "-m", "sklearn_ser", "evaluate", "--groups", "x"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("sklearn-ser: error: argument --groups: invalid choice")
    assert result.stderr.count("\n") == 1


def test_parser_protocol_options():
    args = build_parser().parse_args(["evaluate", "--cv", "LOSO", "--groups", "speaker"])
    assert (args.cv, args.groups, args.model) == ("loso", "speaker", "vacnn-bovw")


def _read_outputs(out_dir):
    report = json.loads((out_dir / "report.json").read_text())
    assert (out_dir / "confusion_matrix.png").read_bytes()[:8] == PNG_MAGIC
    with open(out_dir / "predictions.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return report, rows


def test_evaluate_vacnn(emodb_home, tmp_path, capsys):
    status, out, err = _run(
        capsys, "evaluate", "--data-home", emodb_home, "--model", "vacnn", "--max-files", 40,
        "--cv", 2, "--image-size", 32, "--epochs", 1, "--out", tmp_path / "vacnn")
    assert status == 0, err
    report, rows = _read_outputs(tmp_path / "vacnn")
    assert (report["model"], report["protocol"], report["n_splits"]) == ("vacnn", "stratified", 2)
    assert report["n_files"] == 40 == len(rows) == sum(report["report"]["support"])
    assert len(report["report"]["labels"]) == 7  # the stratified subset keeps every emotion
    assert [f["n_test"] for f in report["folds"]] == [20, 20]
    assert all(f["epochs"] == 1 for f in report["folds"])
    pooled = np.mean([r["emotion"] == r["predicted"] for r in rows])
    assert report["report"]["weighted_accuracy"] == pytest.approx(pooled)
    assert "Mean class recall (UA)" in out and "fold 2/2" in out
    assert report["command"].startswith("sklearn-ser evaluate")


def test_evaluate_logmel_logreg_speaker_folds(emodb_home, tmp_path, capsys):
    status, out, err = _run(
        capsys, "evaluate", "--data-home", emodb_home, "--model", "logmel-logreg",
        "--max-files", 60, "--cv", 3, "--groups", "speaker", "--image-size", 32,
        "--out", tmp_path / "logreg")
    assert status == 0, err
    report, rows = _read_outputs(tmp_path / "logreg")
    assert report["protocol"] == "speaker" and "SpeakerKFold" in report["cv"]
    folds_of_speaker = {}
    for row in rows:
        folds_of_speaker.setdefault(row["speaker"], set()).add(row["fold"])
    assert all(len(folds) == 1 for folds in folds_of_speaker.values())  # speaker-independent
    assert 0.0 <= report["summary"]["ua_mean"] <= 1.0


@pytest.mark.parametrize("model, extra", [
    ("late-fusion", ["--batch-size", "16"]),
    ("crnn", []),
    ("vit-distilled", ["--image-size", "32"]),
])
def test_evaluate_methods_b_c_d(model, extra, emodb_home, tmp_path, capsys):
    status, out, err = _run(
        capsys, "evaluate", "--data-home", emodb_home, "--model", model, "--max-files", 28,
        "--cv", 2, "--epochs", 1, *extra, "--out", tmp_path / model)
    assert status == 0, err
    report, rows = _read_outputs(tmp_path / model)
    assert report["model"] == model
    assert report["n_files"] == 28 == len(rows)  # one prediction per utterance
    assert [f["n_test"] for f in report["folds"]] == [14, 14]


def test_non_image_models_refuse_an_image_size(emodb_home, capsys):
    status, out, err = _run(capsys, "evaluate", "--data-home", emodb_home, "--model", "crnn",
                            "--image-size", 64)
    assert status == 2
    assert "--image-size applies to the image models" in err


def test_fit_predict_crnn_and_explain_refuses_it(emodb_home, tmp_path, capsys):
    out = tmp_path / "crnn"
    status, _, err = _run(capsys, "fit", "--data-home", emodb_home, "--model", "crnn",
                          "--max-files", 21, "--epochs", 1, "--out", out)
    assert status == 0, err
    files = sorted(str(f) for f in (Path(emodb_home) / "emodb").rglob("*.wav"))[:2]
    status, printed, err = _run(capsys, "predict", out, *files, "--json")
    assert status == 0, err
    assert len(json.loads(printed)) == 2
    status, _, err = _run(capsys, "explain", out, files[0], "--out", tmp_path / "figs")
    assert status == 2
    assert "not a log-mel image pipeline" in err


@pytest.fixture(scope="module")
def fitted_model(kaze, emodb_home, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "model"
    status = main(["fit", "--data-home", str(emodb_home), "--model", "vacnn-bovw",
                   "--max-files", "40", "--image-size", "64", "--n-words", "8", "--epochs", "1",
                   "--out", str(out)])
    assert status == 0
    return out


def test_fit_then_predict(fitted_model, emodb_home, capsys):
    manifest = read_manifest(fitted_model)
    assert manifest["metadata"]["model"] == "vacnn-bovw"
    assert manifest["metadata"]["n_files"] == 40
    files = sorted((emodb_home / "emodb" / "wav").glob("*.wav"))[:3]

    status, out, err = _run(capsys, "predict", fitted_model, *files, "--json")
    assert status == 0, err
    rows = json.loads(out)
    assert [r["file"] for r in rows] == [str(f) for f in files]
    expected = load(fitted_model).predict_proba([str(f) for f in files])
    for row, proba in zip(rows, expected):
        assert list(row["probabilities"]) == manifest["classes"]
        np.testing.assert_allclose(list(row["probabilities"].values()), proba, rtol=1e-6)
        assert row["emotion"] == manifest["classes"][int(np.argmax(proba))]

    status, out, err = _run(capsys, "predict", fitted_model, *files)
    lines = out.splitlines()
    assert status == 0 and lines[0].split()[:2] == ["file", "emotion"]
    assert len(lines) == 4 and lines[1].split()[1] == rows[0]["emotion"]

    status, _, err = _run(capsys, "fit", "--data-home", emodb_home, "--out", fitted_model)
    assert status == 2 and "--force" in err


def test_explain(fitted_model, emodb_home, tmp_path, capsys):
    pytest.importorskip("sklearn_ser.explain")
    audio = sorted((emodb_home / "emodb" / "wav").glob("*.wav"))[0]
    status, out, err = _run(capsys, "explain", fitted_model, audio, "--method", "gradcam",
                            "--method", "occlusion", "--out", tmp_path)
    assert status == 0, err
    assert (tmp_path / f"{audio.stem}_explanation.png").read_bytes()[:8] == PNG_MAGIC
    record = json.loads((tmp_path / f"{audio.stem}_explanation.json").read_text())
    assert record["methods"] == ["gradcam", "occlusion"]
    assert record["target"] == record["predicted"]
    assert set(record["probabilities"]) == set(read_manifest(fitted_model)["classes"])
    if record["gradcam_audio"] is None:  # a 1-epoch network may have an all-zero Grad-CAM map
        assert "sklearn-ser: warning: The Grad-CAM map" in err
        assert record["gradcam_intervals_s"] == []
    else:
        assert (tmp_path / f"{audio.stem}_gradcam.wav").stat().st_size > 44
        assert record["gradcam_intervals_s"]

    status, _, err = _run(capsys, "explain", fitted_model, audio, "--target", "joy",
                          "--out", tmp_path)
    assert status == 2 and "--target 'joy' is not one of the model's emotions" in err


@pytest.mark.requires_kaze
def test_pretrain_then_evaluate_from_it_warns_about_the_leak(emodb_home, tmp_path, capsys):
    weights = tmp_path / "vacnn.pt"
    status, out, err = _run(capsys, "pretrain", "--corpus", "emodb", "--data-home", emodb_home,
                            "--speakers", "03", "--epochs", 1, "--image-size", 32,
                            "--out", weights)
    assert status == 0, err
    assert weights.is_file() and (tmp_path / "vacnn.pt.json").is_file()
    assert out.startswith(f"saved {weights}")

    status, out, err = _run(
        capsys, "evaluate", "--data-home", emodb_home, "--model", "vacnn-bovw",
        "--pretrained", weights, "--max-files", 40, "--cv", 2, "--image-size", 32,
        "--n-words", 8, "--epochs", 1, "--out", tmp_path / "finetuned")
    assert status == 0, err
    # pretrained on EmoDB and evaluated on EmoDB: the test folds were seen in pretraining
    assert "sklearn-ser: warning:" in err and "was pretrained on emodb" in err
    report = json.loads((tmp_path / "finetuned" / "report.json").read_text())
    assert report["settings"]["pretrained"] == str(weights)
