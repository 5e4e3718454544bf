"""The reproduction benchmark's fold bookkeeping, on real EmoDB at a tiny image size."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

_SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "reproduce_vacnn.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("reproduce_vacnn", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("fold_jobs", [1, 2])
def test_folds_cover_the_corpus_once(emodb_home, tmp_path, fold_jobs):
    script = _load_script()
    out = tmp_path / "run.json"
    argv = ["--data-home", str(emodb_home), "--variants", "vacnn", "--protocols", "stratified",
            "--folds", "2", "--image-size", "32", "--epochs", "1", "--patience", "1",
            "--n-jobs", "1", "--fold-jobs", str(fold_jobs), "--cache", str(tmp_path / "cache"),
            "--out", str(out)]
    assert script.main(argv) == 0

    results = json.loads(out.read_text())
    run = results["runs"]["emodb/stratified/vacnn"]
    assert sorted(f["fold"] for f in run["folds"]) == [0, 1]
    tested = np.concatenate([f["test_index"] for f in run["folds"]])
    assert np.array_equal(np.sort(tested), np.arange(535))
    for fold in run["folds"]:
        assert fold["epochs_run"] == 1
        assert len(fold["y_pred"]) == fold["n_test"] == len(fold["test_index"])
    assert run["summary"]["n_folds"] == 2
    assert "| emodb | stratified | vacnn | 2 |" in out.with_suffix(".md").read_text()

    # A second call finds both folds done and trains nothing more.
    assert script.main(argv) == 0
    again = json.loads(out.read_text())["runs"]["emodb/stratified/vacnn"]["folds"]
    assert [f["fit_seconds"] for f in again] == [f["fit_seconds"] for f in run["folds"]]


def load_labels(emodb_home):
    from sklearn_ser.datasets import load_corpus

    return load_corpus("emodb", data_home=emodb_home).target


@pytest.mark.parametrize("variant", [
    "vacnn", pytest.param("pure", marks=pytest.mark.requires_kaze)])
def test_refit_full_records_both_runs(emodb_home, tmp_path, variant):
    script = _load_script()
    out = tmp_path / "run.json"
    argv = ["--data-home", str(emodb_home), "--variants", variant, "--protocols", "stratified",
            "--folds", "2", "--image-size", "32", "--epochs", "3", "--patience", "1",
            "--n-jobs", "1", "--refit-full", "--cache", str(tmp_path / "cache"),
            "--out", str(out)]
    assert script.main(argv) == 0
    folds = json.loads(out.read_text())["runs"][f"emodb/stratified/{variant}"]["folds"]
    for fold in folds:
        # epochs_run and best_valid_acc describe the selection run; refit_epochs the second
        assert 1 <= fold["refit_epochs"] <= fold["epochs_run"] <= 3
        assert 0.0 <= fold["best_valid_acc"] <= 1.0
        assert len(fold["y_pred"]) == len(fold["selection_y_pred"]) == fold["n_test"]
        # the selection run's model is scored on the same test fold
        y_test = np.asarray(load_labels(emodb_home))[fold["test_index"]]
        assert fold["selection_accuracy"] == pytest.approx(
            np.mean(np.asarray(fold["selection_y_pred"]) == y_test))
        assert fold["accuracy"] == pytest.approx(np.mean(np.asarray(fold["y_pred"]) == y_test))


def test_only_folds_trains_the_named_folds_and_resumes(emodb_home, tmp_path):
    script = _load_script()
    out = tmp_path / "run.json"
    argv = ["--data-home", str(emodb_home), "--variants", "vacnn", "--protocols", "stratified",
            "--folds", "3", "--image-size", "32", "--epochs", "1", "--patience", "1",
            "--n-jobs", "1", "--cache", str(tmp_path / "cache"), "--out", str(out)]
    assert script.main(argv + ["--only-folds", "1"]) == 0
    run = json.loads(out.read_text())["runs"]["emodb/stratified/vacnn"]
    assert [f["fold"] for f in run["folds"]] == [1]
    assert run["summary"]["n_folds"] == 1

    # The other folds of the same split, in a later call, complete the run.
    assert script.main(argv + ["--only-folds", "0,2"]) == 0
    run = json.loads(out.read_text())["runs"]["emodb/stratified/vacnn"]
    assert sorted(f["fold"] for f in run["folds"]) == [0, 1, 2]
    assert run["summary"]["n_folds"] == 3
    tested = np.concatenate([f["test_index"] for f in run["folds"]])
    assert np.array_equal(np.sort(tested), np.arange(535))


def test_only_folds_out_of_range_is_a_clear_error(emodb_home, tmp_path):
    script = _load_script()
    argv = ["--data-home", str(emodb_home), "--variants", "vacnn", "--protocols", "stratified",
            "--folds", "2", "--image-size", "32", "--epochs", "1", "--only-folds", "2",
            "--n-jobs", "1", "--cache", str(tmp_path / "cache"),
            "--out", str(tmp_path / "run.json")]
    with pytest.raises(ValueError, match="folds 0 to 1"):
        script.main(argv)


def _load_recorder():
    path = _SCRIPT.parent / "record_vacnn.py"
    spec = importlib.util.spec_from_file_location("record_vacnn", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_finished_runs_become_docs_records_and_tables(emodb_home, tmp_path):
    script = _load_script()
    out = tmp_path / "run.json"
    argv = ["--data-home", str(emodb_home), "--variants", "vacnn", "--protocols", "stratified",
            "--folds", "2", "--image-size", "32", "--epochs", "1", "--patience", "1",
            "--n-jobs", "1", "--cache", str(tmp_path / "cache"), "--out", str(out)]
    assert script.main(argv) == 0
    recorder = _load_recorder()
    record, page = tmp_path / "record.json", tmp_path / "page.md"
    page.write_text(f"# Page\n\n{recorder.START}\nold table\n{recorder.END}\n\nText after.\n")
    assert recorder.main([str(out), "--record", str(record), "--page", str(page),
                          "--date", "2026-12-04"]) == 0

    records = json.loads(record.read_text())["records"]
    assert len(records) == 1
    r = records[0]
    run = json.loads(out.read_text())["runs"]["emodb/stratified/vacnn"]
    assert (r["target"], r["protocol"], r["variant"], r["source"], r["leak"]) == (
        "emodb", "stratified", "vacnn", None, False)
    assert r["image_size"] == 32 and r["n_folds"] == 2 and r["date"] == "2026-12-04"
    assert [f["wa"] for f in r["folds"]] == pytest.approx(
        [100 * f["accuracy"] for f in sorted(run["folds"], key=lambda f: f["fold"])])
    assert r["wa_mean"] == pytest.approx(np.mean([f["wa"] for f in r["folds"]]))
    assert sum(c["support"] for c in r["per_class"].values()) == 535
    assert np.sum(r["confusion_matrix"]["rows_true_columns_predicted"]) == 535
    assert r["commands"][0].startswith("python benchmarks/reproduce_vacnn.py")

    text = page.read_text()
    assert "old table" not in text and text.endswith("Text after.\n")
    assert f"| emodb | stratified | vacnn | — | 32 | 0 | 2 | {r['wa_mean']:.2f}" in text

    # recording the same run again replaces its record instead of adding one
    assert recorder.main([str(out), "--record", str(record), "--page", str(page)]) == 0
    assert len(json.loads(record.read_text())["records"]) == 1


def test_fine_tuning_on_a_target_inside_the_source_is_skipped_unless_allowed(emodb_home,
                                                                            tmp_path, capsys):
    script = _load_script()
    argv = ["--data-home", str(emodb_home), "--source", "emodb", "--variants", "finetuned",
            "--protocols", "stratified", "--folds", "2", "--image-size", "32",
            "--epochs", "1", "--pretrain-epochs", "1", "--patience", "1", "--n-jobs", "1",
            "--cache", str(tmp_path / "cache"), "--out", str(tmp_path / "run.json")]
    assert script.main(argv) == 0
    assert "skip emodb/finetuned" in capsys.readouterr().out
    assert json.loads((tmp_path / "run.json").read_text())["runs"] == {}
    assert script.main(argv + ["--allow-leak"]) == 0
    run = json.loads((tmp_path / "run.json").read_text())["runs"]["emodb/stratified/finetuned"]
    assert run["leak"] is True and run["source"] == "emodb"
    record = _load_recorder().records_of(json.loads((tmp_path / "run.json").read_text()),
                                         "2026-12-04")[0]
    assert record["leak"] is True and record["source"] == "emodb"
