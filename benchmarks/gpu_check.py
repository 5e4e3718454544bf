"""One command that checks the toolkit on a GPU machine: the GPU-relevant tests and throughput.

Run on a freshly lent GPU machine prepared with ``benchmarks/gpu_prepare.sh`` (wheels of the
packages the machine lacks in ``.gpu/whl``, a slice of EmoDB in ``.gpu/corpora``; both in the
git-ignored ``.gpu/`` folder, carried along with the checkout)::

    python3 benchmarks/gpu_check.py "$OUT"

It writes, as it goes (a timeout still leaves what finished):

- ``gpu_check.json``: machine and versions, test counts and failures, and every figure below;
- ``gpu_check.log``: what ran, when;
- ``tests.log`` and ``tests.xml``: pytest's output and JUnit report.

Stages, in order, within ``--budget`` seconds (default 330, under the 6 minutes a check may
take):

1. **Environment**: installs ``.gpu/whl/*.whl`` into ``/tmp/site`` (no network needed) and
   points ``SKLEARN_SER_DATA`` at ``.gpu/corpora`` unless it is set.
2. **Tests**: ``tests/estimators tests/explain tests/models tests/test_persistence.py
   tests/test_pretraining.py tests/test_cli.py tests/test_performance_equivalence.py
   tests/test_common.py`` with ``device="auto"`` resolving to CUDA (pytest-xdist workers when
   installed).
3. **Throughput** of every network, training steps (forward, backward, Adam) on synthetic
   batches already on the device, fp32, at batch 8, 64 and 256: images (segments,
   utterances) per second and peak memory. VACNN and VACNN+BOVW at 224x224, the ViT teacher
   and student at 128x128, the CRNN on padded batches of 150-400 frames (128 bins) with their
   lengths, the VGGish + YAMNet late fusion on 96x64 segments (frozen and trainable
   backbones).
4. **Compile ratio**: VACNN at batch 8 and 64, ``torch.compile(mode="reduce-overhead")``
   (CUDA graphs) against eager, and the one-off compile time.
5. **Precision**: VACNN at batch 64 with bf16 autocast, channels-last and both, against fp32.
6. **Data path**: seconds per epoch of ``VACNNClassifier.fit`` (1024 images, 224x224, batch
   64) with ``data_on_device=False`` (skorch's DataLoader), ``"auto"`` (device copy),
   ``deterministic=True`` and ``compile="reduce-overhead"``, against a bare PyTorch loop over
   the same arrays from the CPU (DataLoader) and from the GPU (already there); the ratios
   estimator / bare loop.

Without CUDA the tests still run (on the CPU) and stages 3-6 are recorded as skipped, unless
``--cpu-smoke`` runs them at toy sizes on the CPU to check the script itself (those figures
say nothing about speed). Exit status: 0 when no test failed, 1 otherwise.
"""

import argparse
import datetime
import glob
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GPU_DIR = REPO / ".gpu"
SITE = Path("/tmp/site")
TEST_PATHS = [
    "tests/estimators", "tests/explain", "tests/models", "tests/test_persistence.py",
    "tests/test_pretraining.py", "tests/test_cli.py", "tests/test_performance_equivalence.py",
    "tests/test_common.py",
]
BATCHES = (8, 64, 256)
N_CLASSES = 7


class Check:
    """The run's JSON record and log, both written after every step."""

    def __init__(self, out, budget):
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.start = time.perf_counter()
        self.budget = budget
        self.log_file = open(self.out / "gpu_check.log", "a", buffering=1)
        self.record = {
            "command": " ".join([Path(sys.executable).name] + sys.argv),
            "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "budget_s": budget,
            "skipped": [],
        }

    def elapsed(self):
        return time.perf_counter() - self.start

    def left(self):
        return self.budget - self.elapsed()

    def say(self, message):
        line = f"[{self.elapsed():6.1f} s] {message}"
        print(line, flush=True)
        self.log_file.write(line + "\n")

    def save(self):
        self.record["elapsed_s"] = round(self.elapsed(), 1)
        path = self.out / "gpu_check.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.record, indent=2, default=str))
        tmp.replace(path)

    def skip(self, section, reason):
        self.say(f"{section}: skipped ({reason})")
        self.record["skipped"].append({"section": section, "reason": reason})
        self.save()


# -- 1. environment -------------------------------------------------------------------------------
def prepare_environment(check):
    """Install carried wheels into /tmp/site and find the carried corpora."""
    wheels = sorted(glob.glob(str(GPU_DIR / "whl" / "*.whl")))
    installed = False
    if wheels and sys.version_info[:2] != (3, 12):
        # gpu_prepare.sh downloads them for the GPU image's CPython 3.12.
        check.say(f"not installing the carried wheels: they are for CPython 3.12, this is "
                  f"{platform.python_version()} (a dry run on the development machine)")
        wheels_usable = False
    else:
        wheels_usable = True
    if wheels and wheels_usable and not (SITE / ".sklearn_ser_installed").exists():
        check.say(f"installing {len(wheels)} carried wheels into {SITE}")
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps",
             "--target", str(SITE), *wheels], capture_output=True, text=True)
        if done.returncode != 0:
            check.say(f"pip install failed: {done.stderr.strip()[-2000:]}")
        else:
            (SITE / ".sklearn_ser_installed").touch()
            installed = True
    paths = [str(REPO)]
    if wheels_usable and SITE.is_dir():
        paths.insert(0, str(SITE))
    for path in reversed(paths):
        if path not in sys.path:
            sys.path.insert(0, path)
    old = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(paths + ([old] if old else []))
    corpora = GPU_DIR / "corpora"
    if "SKLEARN_SER_DATA" not in os.environ and corpora.is_dir():
        os.environ["SKLEARN_SER_DATA"] = str(corpora)
    os.environ.setdefault("SKLEARN_SER_DATA", str(REPO.parent / "shared" / "corpora"))
    return {"wheels": [Path(w).name for w in wheels], "installed_now": installed,
            "SKLEARN_SER_DATA": os.environ["SKLEARN_SER_DATA"]}


def describe_machine():
    import numpy
    import sklearn
    import torch

    info = {
        "python": platform.python_version(), "platform": platform.platform(),
        "cpu_count": os.cpu_count(), "torch": torch.__version__,
        "numpy": numpy.__version__, "sklearn": sklearn.__version__,
        "cuda": torch.cuda.is_available(),
    }
    try:
        import cv2
        info.update(opencv=cv2.__version__,
                    opencv_kaze=hasattr(cv2, "KAZE_create") or hasattr(
                        getattr(cv2, "xfeatures2d", None), "KAZE_create"),
                    opencv_ximgproc=hasattr(cv2, "ximgproc"))
    except ImportError:
        info["opencv"] = None
    try:
        import skorch
        info["skorch"] = skorch.__version__
    except ImportError:
        info["skorch"] = None
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        info.update(gpu=torch.cuda.get_device_name(0),
                    gpu_memory_gib=round(props.total_memory / 2 ** 30, 1),
                    cuda_version=torch.version.cuda, cudnn=torch.backends.cudnn.version(),
                    bf16=torch.cuda.is_bf16_supported())
    return info


# -- 2. tests -------------------------------------------------------------------------------------
def _xdist_available():
    try:
        import xdist  # noqa: F401
    except ImportError:
        return False
    return True


def _junit_summary(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    summary = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "time_s": 0.0}
    failed, skipped_reasons = [], {}
    for suite in suites:
        for key in ("tests", "failures", "errors", "skipped"):
            summary[key] += int(suite.get(key, 0))
        summary["time_s"] += float(suite.get("time", 0.0))
        for case in suite.iter("testcase"):
            name = f"{case.get('classname')}::{case.get('name')}"
            for kind in ("failure", "error"):
                node = case.find(kind)
                if node is not None:
                    message = (node.get("message") or "").strip().splitlines()
                    failed.append({"test": name, "kind": kind,
                                   "message": message[0][:300] if message else ""})
            node = case.find("skipped")
            if node is not None:
                reason = (node.get("message") or "")[:160]
                skipped_reasons[reason] = skipped_reasons.get(reason, 0) + 1
    summary["passed"] = (summary["tests"] - summary["failures"] - summary["errors"]
                         - summary["skipped"])
    summary["time_s"] = round(summary["time_s"], 1)
    summary["failed"] = failed
    summary["skip_reasons"] = skipped_reasons
    return summary


def run_tests(check, workers, timeout):
    command = [sys.executable, "-m", "pytest", *TEST_PATHS, "-q", "-p", "no:cacheprovider",
               f"--junitxml={check.out / 'tests.xml'}", "-o", "junit_family=xunit1"]
    if workers > 0 and _xdist_available():
        command += ["-n", str(workers)]
    check.say("tests: " + " ".join(command[1:]))
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    start = time.perf_counter()
    with open(check.out / "tests.log", "w") as log:
        try:
            proc = subprocess.run(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                  env=env, timeout=timeout)
            status = proc.returncode
        except subprocess.TimeoutExpired:
            status = "timeout"
    result = {"command": " ".join(command[1:]), "exit_status": status,
              "wall_s": round(time.perf_counter() - start, 1)}
    if (check.out / "tests.xml").exists():
        result.update(_junit_summary(check.out / "tests.xml"))
    check.record["tests"] = result
    check.save()
    check.say(f"tests: exit {status}, {result.get('passed', '?')} passed, "
              f"{result.get('failures', '?')} failed, {result.get('errors', '?')} errors, "
              f"{result.get('skipped', '?')} skipped in {result['wall_s']} s")
    return result


# -- 3. throughput --------------------------------------------------------------------------------
def _sync(device):
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _seconds_per_step(step, device, warmup, steps):
    import torch

    for _ in range(warmup):
        step()
    _sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    _sync(device)
    return (time.perf_counter() - start) / steps


def _train_step(module, inputs, target, *, autocast=None, cudagraphs=False):
    """One optimisation step of ``module`` on fixed ``inputs`` (a tuple) and ``target``."""
    import torch

    optimizer = torch.optim.Adam([p for p in module.parameters() if p.requires_grad], lr=1e-4)
    criterion = torch.nn.CrossEntropyLoss()

    def step():
        if cudagraphs:
            torch.compiler.cudagraph_mark_step_begin()
        optimizer.zero_grad(set_to_none=True)
        if autocast is None:
            out = module(*inputs)
        else:
            with torch.autocast(device_type=target.device.type, dtype=autocast):
                out = module(*inputs)
        logits = out[0] if isinstance(out, tuple) else out
        criterion(logits.float(), target).backward()
        optimizer.step()

    return step


def _networks(smoke):
    """name -> (build(), make_inputs(batch, device) -> tuple, unit)."""
    import torch

    from sklearn_ser.models import VACNN, VACNNBOVW
    from sklearn_ser.models.crnn import CRNN
    from sklearn_ser.models.late_fusion import VGGishYAMNetFusion
    from sklearn_ser.models.vit import StudentViT, TeacherViT

    side, vit_side, seg = (32, 16, (32, 32)) if smoke else (224, 128, (96, 64))
    n_bins, frames = (16, (20, 40)) if smoke else (128, (150, 400))
    vit_small = dict(embed_dim=8, depth=1, n_heads=2) if smoke else {}

    def images(channels, height, width):
        return lambda b, d: (torch.rand(b, channels, height, width, device=d) * 255,)

    def crnn_inputs(b, d):
        generator = torch.Generator().manual_seed(b)
        lengths = torch.randint(frames[0], frames[1] + 1, (b,), generator=generator)
        X = torch.randn(b, n_bins, int(lengths.max()), generator=generator)
        for i, n in enumerate(lengths.tolist()):
            X[i, :, n:] = 0
        return X.to(d), lengths.to(d)

    crnn_small = (dict(channels=(4, 8), kernel_sizes=(5, 3), strides=(1, 1),
                       pool_sizes=(2, 2), hidden_size=8, embedding_dim=6) if smoke else {})
    return {
        "vacnn": (lambda: VACNN(N_CLASSES), images(1, side, side), "img/s"),
        "vacnn_bovw": (lambda: VACNNBOVW(N_CLASSES, n_words=128),
                       lambda b, d: (torch.rand(b, 1, side, side, device=d) * 255,
                                     torch.rand(b, 128, device=d)), "img/s"),
        "vit_teacher": (lambda: TeacherViT(N_CLASSES, height=vit_side, **vit_small),
                        images(1, vit_side, vit_side), "img/s"),
        "vit_student": (lambda: StudentViT(N_CLASSES, height=vit_side, **vit_small),
                        images(1, vit_side, vit_side), "img/s"),
        "crnn_variable_length": (lambda: CRNN(N_CLASSES, n_bins=n_bins, **crnn_small),
                                 crnn_inputs, "utterances/s"),
        "late_fusion_frozen": (lambda: VGGishYAMNetFusion(N_CLASSES, freeze_backbones=True),
                               images(1, *seg), "segments/s"),
        "late_fusion_trainable": (lambda: VGGishYAMNetFusion(N_CLASSES,
                                                             freeze_backbones=False),
                                  images(1, *seg), "segments/s"),
    }


def throughput(check, device, smoke):
    import torch

    batches = (2, 4) if smoke else BATCHES
    warmup, steps = (1, 1) if smoke else (3, 10)
    rows = check.record.setdefault("throughput", [])
    for name, (build, make_inputs, unit) in _networks(smoke).items():
        torch.manual_seed(0)
        module = build().to(device).train()
        for batch in batches:
            if check.left() < 60:
                check.skip(f"throughput {name} batch {batch}", "time budget")
                continue
            row = {"network": name, "batch": batch, "unit": unit, "dtype": "float32"}
            try:
                inputs = make_inputs(batch, device)
                target = torch.randint(0, N_CLASSES, (batch,), device=device)
                seconds = _seconds_per_step(_train_step(module, inputs, target), device,
                                            warmup, steps)
                row.update(per_s=round(batch / seconds, 1), step_ms=round(1000 * seconds, 2))
                if device.type == "cuda":
                    row["peak_memory_mib"] = round(
                        torch.cuda.max_memory_allocated(device) / 2 ** 20, 1)
            except Exception as exc:  # noqa: BLE001 - record and go on with the next network
                row["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
            rows.append(row)
            check.save()
            check.say(f"throughput {name} batch {batch}: "
                      f"{row.get('per_s', row.get('error'))} {unit if 'per_s' in row else ''}")
        del module
        if device.type == "cuda":
            torch.cuda.empty_cache()


# -- 4. compile -----------------------------------------------------------------------------------
def compile_ratio(check, device, smoke):
    import torch

    from sklearn_ser.models import VACNN

    side = 32 if smoke else 224
    section = check.record.setdefault("compile", {"mode": "reduce-overhead", "rows": []})
    for batch in ((2,) if smoke else (8, 64)):
        if check.left() < 90:
            check.skip(f"compile batch {batch}", "time budget")
            continue
        row = {"batch": batch}
        try:
            inputs = (torch.rand(batch, 1, side, side, device=device) * 255,)
            target = torch.randint(0, N_CLASSES, (batch,), device=device)
            torch.manual_seed(0)
            eager = VACNN(N_CLASSES).to(device).train()
            eager_s = _seconds_per_step(_train_step(eager, inputs, target), device, 3, 20)
            torch.manual_seed(0)
            compiled = VACNN(N_CLASSES).to(device).train()
            compiled.compile(mode="reduce-overhead")
            step = _train_step(compiled, inputs, target, cudagraphs=device.type == "cuda")
            start = time.perf_counter()
            step()
            step()
            _sync(device)
            row["compile_s"] = round(time.perf_counter() - start, 1)
            compiled_s = _seconds_per_step(step, device, 3, 20)
            row.update(eager_per_s=round(batch / eager_s, 1),
                       compiled_per_s=round(batch / compiled_s, 1),
                       ratio=round(eager_s / compiled_s, 2))
        except Exception as exc:  # noqa: BLE001
            row["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
        section["rows"].append(row)
        check.save()
        check.say(f"compile batch {batch}: {row}")


# -- 5. precision ---------------------------------------------------------------------------------
def precision(check, device, smoke):
    import torch

    from sklearn_ser.models import VACNN

    if device.type == "cuda" and not torch.cuda.is_bf16_supported():
        check.skip("precision", "no bf16 on this GPU")
        return
    batch, side = (4, 32) if smoke else (64, 224)
    warmup, steps = (1, 1) if smoke else (3, 10)
    section = check.record.setdefault("precision", {"batch": batch, "rows": []})
    base = None
    for name, amp, channels_last in (("fp32", False, False), ("bf16", True, False),
                                     ("channels_last", False, True), ("bf16+channels_last",
                                                                      True, True)):
        if check.left() < 45:
            check.skip(f"precision {name}", "time budget")
            continue
        torch.manual_seed(0)
        module = VACNN(N_CLASSES).to(device).train()
        x = torch.rand(batch, 1, side, side, device=device) * 255
        if channels_last:
            module = module.to(memory_format=torch.channels_last)
            x = x.contiguous(memory_format=torch.channels_last)
        target = torch.randint(0, N_CLASSES, (batch,), device=device)
        step = _train_step(module, (x,), target, autocast=torch.bfloat16 if amp else None)
        seconds = _seconds_per_step(step, device, warmup, steps)
        base = seconds if name == "fp32" else base
        section["rows"].append({"option": name, "per_s": round(batch / seconds, 1),
                                "vs_fp32": round(base / seconds, 2) if base else None})
        check.save()
        check.say(f"precision {name}: {section['rows'][-1]}")


# -- 6. data path ---------------------------------------------------------------------------------
def _bare_loop(X, y, device, batch, epochs, on_device):
    """Per-epoch seconds of a plain PyTorch loop (the reference for the estimator's epochs)."""
    import torch

    from sklearn_ser.models import VACNN
    from sklearn_ser.utils.device import to_device

    torch.manual_seed(0)
    model = VACNN(N_CLASSES).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    criterion = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    if on_device:
        Xt, yt = Xt.to(device), yt.to(device)
    durations = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.train()
        if on_device:
            order = torch.randperm(len(Xt), device=device)
            batches = ((Xt[i], yt[i]) for i in order.split(batch))
        else:
            batches = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(Xt, yt),
                                                  batch_size=batch, shuffle=True)
        total = 0.0
        for xb, yb in batches:
            xb, yb = to_device((xb, yb), device)
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        _sync(device)
        durations.append(time.perf_counter() - start)
    return durations


def data_path(check, device, smoke):
    import numpy as np

    from sklearn_ser.estimators import VACNNClassifier

    n, side, batch, epochs = (32, 32, 8, 2) if smoke else (1024, 224, 64, 3)
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 255, size=(n, 1, side, side)).astype(np.float32)
    y = rng.integers(0, N_CLASSES, size=n)
    section = check.record.setdefault(
        "data_path", {"images": n, "side": side, "batch": batch, "epochs": epochs,
                      "rows": [], "note": "median seconds per epoch after the first"})

    def steady(durations):
        return statistics.median(durations[1:]) if len(durations) > 1 else durations[0]

    bare = {}
    for label, on_device in (("bare_loop_cpu_data", False), ("bare_loop_gpu_data", True)):
        if check.left() < 40:
            check.skip(f"data path {label}", "time budget")
            continue
        bare[label] = steady(_bare_loop(X, y.astype(np.int64), device, batch, epochs,
                                        on_device))
        section["rows"].append({"config": label, "epoch_s": round(bare[label], 3)})
        check.save()
        check.say(f"data path {label}: {bare[label]:.3f} s/epoch")
    configs = [("estimator data_on_device=False", dict(data_on_device=False)),
               ("estimator data_on_device=True (auto on CUDA)", dict(data_on_device=True)),
               ("estimator deterministic=True", dict(data_on_device=True, deterministic=True))]
    if not smoke:
        configs.append(("estimator compile=reduce-overhead",
                         dict(data_on_device=True, compile="reduce-overhead")))
    for label, options in configs:
        if check.left() < (60 if "compile" in label else 30):
            check.skip(f"data path {label}", "time budget")
            continue
        row = {"config": label}
        try:
            clf = VACNNClassifier(max_epochs=epochs, batch_size=batch, train_split=None,
                                  device=str(device), random_state=0, **options)
            clf.fit(X, y)
            durations = list(clf.history[:, "dur"])
            row["epoch_s"] = round(steady(durations), 3)
            row["first_epoch_s"] = round(durations[0], 3)
            for ref, seconds in bare.items():
                row[f"vs_{ref}"] = round(steady(durations) / seconds, 2)
        except Exception as exc:  # noqa: BLE001
            row["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
        section["rows"].append(row)
        check.save()
        check.say(f"data path {label}: {row}")


# -- main -----------------------------------------------------------------------------------------
def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", help="folder for gpu_check.json, gpu_check.log, tests.log, tests.xml")
    p.add_argument("--budget", type=float, default=330.0,
                   help="seconds for the whole check (default 330)")
    p.add_argument("--test-timeout", type=float, default=180.0,
                   help="seconds the test stage may take (default 180)")
    p.add_argument("--test-workers", type=int, default=4,
                   help="pytest-xdist workers when installed; 0 runs the tests in one process")
    p.add_argument("--no-tests", action="store_true", help="skip the test stage")
    p.add_argument("--no-bench", action="store_true", help="skip stages 3-6")
    p.add_argument("--cpu-smoke", action="store_true",
                   help="without CUDA, run stages 3-6 at toy sizes on the CPU (checks the "
                        "script; the figures mean nothing)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    check = Check(args.out, args.budget)
    check.record["setup"] = prepare_environment(check)
    check.record["machine"] = describe_machine()
    check.save()
    check.say(f"machine: {check.record['machine']}")

    status = 0
    if args.no_tests:
        check.skip("tests", "--no-tests")
    else:
        result = run_tests(check, args.test_workers,
                           timeout=max(30.0, min(args.test_timeout, check.left() - 30)))
        if result["exit_status"] != 0 or result.get("failures") or result.get("errors"):
            status = 1

    import torch

    if args.no_bench:
        check.skip("benchmarks", "--no-bench")
    elif torch.cuda.is_available():
        device = torch.device("cuda")
        torch.backends.cudnn.benchmark = True  # what a long training run would use
        check.record["benchmark_device"] = torch.cuda.get_device_name(0)
        for stage in (throughput, compile_ratio, precision, data_path):
            stage(check, device, smoke=False)
    elif args.cpu_smoke:
        check.record["benchmark_device"] = "cpu (smoke run: toy sizes, figures mean nothing)"
        for stage in (throughput, compile_ratio, precision, data_path):
            if stage is compile_ratio:
                check.skip("compile", "CPU smoke run: inductor compilation takes minutes here")
                continue
            stage(check, torch.device("cpu"), smoke=True)
    else:
        for section in ("throughput", "compile", "precision", "data_path"):
            check.skip(section, "no CUDA device (torch.cuda.is_available() is False)")
    check.record["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat(
        timespec="seconds")
    check.save()
    check.say(f"done in {check.elapsed():.0f} s; exit status {status}")
    return status


if __name__ == "__main__":
    sys.exit(main())
