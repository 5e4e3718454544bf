"""benchmarks/gpu_check.py: its CPU dry run, the skips without CUDA, the test summary."""

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest
import torch

_SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.py"


@pytest.fixture
def gpu_check(monkeypatch):
    spec = importlib.util.spec_from_file_location("gpu_check", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # main() sets PYTHONPATH and SKLEARN_SER_DATA and extends sys.path for its subprocesses:
    # give them back to the other tests as they were.
    for name in ("PYTHONPATH", "SKLEARN_SER_DATA"):
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
        else:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    return module


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the run without CUDA")
def test_without_cuda_every_gpu_section_is_skipped_and_the_json_written(gpu_check, tmp_path):
    assert gpu_check.main([str(tmp_path), "--no-tests"]) == 0
    record = json.loads((tmp_path / "gpu_check.json").read_text())
    skipped = {entry["section"]: entry["reason"] for entry in record["skipped"]}
    assert set(skipped) == {"tests", "throughput", "compile", "precision", "data_path"}
    assert "no CUDA" in skipped["throughput"]
    assert record["machine"]["cuda"] is False and "finished" in record
    assert (tmp_path / "gpu_check.log").read_text().count("skipped") == 5


@pytest.mark.skipif(torch.cuda.is_available(), reason="the smoke run is for CPU-only machines")
def test_cpu_smoke_run_fills_every_table(gpu_check, tmp_path):
    assert gpu_check.main([str(tmp_path), "--no-tests", "--cpu-smoke"]) == 0
    record = json.loads((tmp_path / "gpu_check.json").read_text())
    networks = {row["network"] for row in record["throughput"] if "per_s" in row}
    assert networks == {"vacnn", "vacnn_bovw", "vit_teacher", "vit_student",
                        "crnn_variable_length", "late_fusion_frozen", "late_fusion_trainable"}
    assert [row["option"] for row in record["precision"]["rows"]][0] == "fp32"
    configs = [row["config"] for row in record["data_path"]["rows"]]
    assert configs[:2] == ["bare_loop_cpu_data", "bare_loop_gpu_data"]
    assert all("epoch_s" in row for row in record["data_path"]["rows"])


def test_junit_summary_counts_and_names_failures(gpu_check, tmp_path):
    xml = tmp_path / "t.xml"
    xml.write_text(
        '<testsuites><testsuite tests="3" failures="1" errors="0" skipped="1" time="2.5">'
        '<testcase classname="tests.a" name="ok"/>'
        '<testcase classname="tests.a" name="bad"><failure message="assert 1 == 2"/></testcase>'
        '<testcase classname="tests.b" name="kaze"><skipped message="no KAZE"/></testcase>'
        '</testsuite></testsuites>')
    summary = gpu_check._junit_summary(xml)
    assert (summary["passed"], summary["failures"], summary["skipped"]) == (1, 1, 1)
    assert summary["failed"] == [{"test": "tests.a::bad", "kind": "failure",
                                  "message": "assert 1 == 2"}]
    assert summary["skip_reasons"] == {"no KAZE": 1}
