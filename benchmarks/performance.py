"""Performance of the feature pipeline, cached sweeps, training and inference (issue 9).

Every figure is a ratio of two things measured side by side in the same run,
on the same data, so that the load of a shared machine hits both alike (the
load average is recorded with each section):

``logmel``
    :class:`~sklearn_ser.features.LogMelImage` over all of EmoDB (535 files,
    224x224) against a plain per-file ``librosa.load`` + ``melspectrogram`` +
    ``power_to_db`` + resize loop. Toolkit rows: cold (``n_jobs`` thread
    workers, LogMelImage's default; fresh temp cache, file digests not
    memoised), cold on joblib's process workers (fresh, then already
    started), cold sequential, sequential without cache (the plain loop's
    work), warm (best and median of 3); CPU seconds of this
    process and its workers (psutil) beside each wall time, since a shared
    machine's load moves wall time far more than CPU time. Targets: cold >=
    1.8x, warm >= 20x. Every timed run starts with earlier runs' cache files
    flushed to disk (see ``_measured``). The images are checked against the plain loop's:
    the largest absolute difference (on the 0-255 scale) is recorded, and must
    stay below 0.01 (float32 rounding: the toolkit transforms float32 audio
    in float32, librosa in float64).
``bovw``
    KAZE descriptor extraction over the 535 images, then the silhouette
    search over 5 vocabulary sizes (``select_n_words``: MiniBatchKMeans on a
    20000-descriptor sample, silhouette on 3000) against the same search with
    full (Lloyd) K-means, per size and in total, and whether both choose the
    same size. Target: descriptors + selection < 30 s.
``gridsearch``
    ``GridSearchCV(cv=5)`` over 4 candidates of ``LogMelImage(size=64x64) ->
    BOVWEncoder(output="dict") -> VACNNBOVWClassifier(max_epochs=1)``, with
    the feature cache (``memory=`` on both feature steps) and without. Feature
    time = time inside ``LogMelImage.transform`` + KAZE extraction. Target:
    >= 5x less feature time; every file's image computed exactly once (a
    counter around the per-item compute function, ``n_jobs=1``).
``training``
    ``VACNNClassifier.fit`` against a bare PyTorch loop: same images (256
    EmoDB log-mels at 64x64), labels, VACNN, Adam(lr 1e-3, weight decay 1e-4),
    StepLR, batch 8, shuffled batches, seed; no validation split (hence no
    early stopping) in either; the estimator keeps its other default callbacks
    (epoch timer, train loss, LR scheduler, print log). Whole-fit wall time and
    median epoch after the first, two interleaved rounds. Target <= 1.1x.
``inference``
    Milliseconds per utterance, audio file -> emotion, with a fitted
    ``make_pipeline(LogMelImage(), VACNNClassifier())`` at 224x224 on CPU, batch
    of 1, 29 EmoDB utterances of 2.8-3.2 s, warm (after a first call); median
    and p90, split into features and network. Target < 50 ms. The same weights
    with ``amp=True[, channels_last=True]`` are timed too.
``precision``
    Training images/s of VACNN with the ``amp`` / ``channels_last`` options on this
    machine's device (float32, channels-last, bf16 autocast, both), batch 8.
``compile``
    Training images/s of VACNN (``--precision-size``, batch 8, 128 images)
    with skorch's ``compile=True`` (``torch.compile``) and with two DataLoader
    worker processes (``iterator_train__num_workers=2``), against the eager,
    in-process default; on CUDA also ``pin_memory``. The first epoch (which
    compiles) is reported apart.
``gpu``
    ``--device cuda``: images/s training VACNN at 224x224 with bf16 autocast +
    channels-last at batch 64 against float32 at batch 8. Skipped, with a
    message, when no CUDA device is present.

Examples
--------
::

    OMP_NUM_THREADS=1 SKLEARN_SER_DATA=../shared/corpora python benchmarks/performance.py
    python benchmarks/performance.py --only logmel,inference --out results/perf_quick.json
    python benchmarks/performance.py --only gpu --device cuda
"""

import argparse
import contextlib
import functools
import json
import os
import platform
import shlex
import shutil
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

import cv2
import librosa
import numpy as np
import sklearn
import soundfile as sf
import torch

from sklearn_ser.datasets import load_emodb
from sklearn_ser.estimators import VACNNBOVWClassifier, VACNNClassifier
from sklearn_ser.features import BOVWEncoder, LogMelImage
from sklearn_ser.features import logmel as logmel_module
from sklearn_ser.models import VACNN
from sklearn_ser.utils import _cache as cache_module
from sklearn_ser.utils.device import to_device

SECTIONS = ("logmel", "bovw", "gridsearch", "training", "inference", "precision", "compile",
            "gpu")
CANDIDATES = (16, 32, 64, 128, 256)


# The bf16 / channels-last rows use the same class with amp / channels_last set.
FastVACNNClassifier = VACNNClassifier


def _parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", default=",".join(SECTIONS),
                   help=f"comma-separated sections among {', '.join(SECTIONS)}")
    p.add_argument("--data-home", default=None)
    p.add_argument("--out", default="results/performance.json")
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--repeats", type=int, default=2,
                   help="logmel: times the plain/cold/warm trio is repeated (medians reported)")
    p.add_argument("--grid-files", type=int, default=200,
                   help="gridsearch: EmoDB files used (stratified sample; 0 = all 535)")
    p.add_argument("--grid-size", type=int, default=64, help="gridsearch: image side")
    p.add_argument("--train-files", type=int, default=256)
    p.add_argument("--train-size", type=int, default=64)
    p.add_argument("--train-epochs", type=int, default=4)
    p.add_argument("--precision-size", type=int, default=128)
    p.add_argument("--device", default="cpu", help="precision/gpu sections: cpu or cuda")
    p.add_argument("--gpu-epochs", type=int, default=3)
    p.add_argument("--compile-epochs", type=int, default=4,
                   help="compile: epochs per variant (the first, which compiles, is reported "
                        "apart)")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


# -- helpers -------------------------------------------------------------------------------------

def _load():
    return os.getloadavg()


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def _shutdown_joblib_workers():
    """Stop joblib's reusable loky workers so that the next parallel call starts fresh ones."""
    from joblib.externals.loky import reusable_executor

    executor = getattr(reusable_executor, "_executor", None)
    if executor is not None:
        executor.shutdown(wait=True, kill_workers=True)


def _forget_file_digests():
    """Forget the per-process file digests, as a fresh process would."""
    cache_module._FILE_DIGESTS.clear()


@contextlib.contextmanager
def _tempdir(prefix):
    path = tempfile.mkdtemp(prefix=prefix)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _row(name, measured, baseline, unit, target=None, kind="time", note=""):
    """One table row.

    ``kind`` says what the ratio is: ``"time"``: baseline / measured (a speed-up);
    ``"rate"``: measured / baseline (a throughput gain); ``"overhead"``: measured /
    baseline (a slow-down). ``target`` is ``("ratio>=", x)``, ``("ratio<=", x)`` or
    ``("value<", x)``.
    """
    ratio = None
    if measured is not None and baseline:
        ratio = baseline / measured if kind == "time" else measured / baseline
    met = None
    if target is not None:
        op, value = target
        if op == "value<":
            met = measured is not None and measured < value
        elif ratio is not None:
            met = ratio >= value if op == "ratio>=" else ratio <= value
    return {"name": name, "measured": measured, "baseline": baseline, "unit": unit,
            "ratio": ratio, "kind": kind,
            "target": None if target is None else f"{target[0]} {target[1]}",
            "met": met, "note": note}


def _plain_image(path, size):
    """The plain loop's image: librosa + OpenCV, the same recipe as LogMelImage's defaults."""
    y, sr = librosa.load(path, sr=16000)
    mel = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=2048, hop_length=512, n_mels=128)
    db = librosa.power_to_db(mel, ref=np.max, top_db=80.0)
    unit = (db - db.min()) / (db.max() - db.min())
    unit = np.flipud(unit).astype(np.float32)
    image = cv2.resize(unit, (size, size), interpolation=cv2.INTER_LINEAR)
    np.clip(image, 0.0, 1.0, out=image)
    return image * np.float32(255.0)


def _stratified_subset(bunch, n, seed):
    if not n or n >= len(bunch.filenames):
        return np.asarray(bunch.filenames), np.asarray(bunch.target)
    from sklearn.model_selection import train_test_split

    files, _, y, _ = train_test_split(np.asarray(bunch.filenames), np.asarray(bunch.target),
                                      train_size=n, stratify=bunch.target, random_state=seed)
    return files, y


# -- sections ------------------------------------------------------------------------------------

def _cpu_seconds():
    """CPU seconds used so far by this process and its live children (joblib workers)."""
    try:
        import psutil
    except ImportError:
        return None
    me = psutil.Process()
    usage = {me.pid: sum(me.cpu_times()[:2])}
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            usage[child.pid] = sum(child.cpu_times()[:2])
    return usage


def _measured(fn, *args, **kwargs):
    """``(wall seconds, CPU seconds of this process and its workers, result)``.

    Earlier runs' cache files are flushed to disk first (``os.sync``, not timed): the kernel
    writes dirty pages back 30 s after they were written, which would otherwise land, with
    its CPU time, in whichever later measurement is running then. Each run's own writes
    still count: they are what a user's cold run pays.
    """
    os.sync()
    before = _cpu_seconds()
    wall, out = _timed(fn, *args, **kwargs)
    after = _cpu_seconds()
    cpu = None if before is None else sum(v - before.get(pid, 0.0) for pid, v in after.items())
    return wall, cpu, out


def _process_workers():
    """Force joblib's process workers (loky), whatever the toolkit's thread preference."""
    from joblib import parallel_config

    return parallel_config(backend="loky")


def bench_logmel(ctx):
    files = list(ctx.emodb.filenames)
    n_jobs = ctx.args.n_jobs
    # Warm-up outside the timings: librosa's lazy imports in this process, for both sides.
    _plain_image(files[0], 224)
    LogMelImage().fit_transform(files[:1])
    names = ("plain", "cold", "cold_processes", "cold_processes_warm_workers",
             "cold_sequential", "no_cache_sequential", "warm")
    runs = {k: [] for k in names}
    cpu = {k: [] for k in names}

    def record(name, fn, *args):
        wall, seconds, out = _measured(fn, *args)
        runs[name].append(wall)
        cpu[name].append(seconds)
        return out

    def cold(name, n, processes=False, fresh_workers=False):
        with _tempdir(f"perf-{name}-") as cache:
            if fresh_workers:
                _shutdown_joblib_workers()
            _forget_file_digests()
            with _process_workers() if processes else contextlib.nullcontext():
                return record(name, LogMelImage(n_jobs=n, memory=cache).fit_transform, files)

    diffs = []  # largest difference from the plain loop's images, per comparison
    for _ in range(ctx.args.repeats):
        plain = record("plain", lambda: np.stack([_plain_image(f, 224) for f in files]))
        with _tempdir("perf-cold-") as cold_cache:
            _forget_file_digests()
            images = record("cold", LogMelImage(n_jobs=n_jobs, memory=cold_cache).fit_transform,
                            files)
            diffs.append(float(np.abs(images[:, 0] - plain).max()))
            for _ in range(3):
                record("warm", LogMelImage(n_jobs=n_jobs, memory=cold_cache).fit_transform,
                       files)
        images = cold("cold_processes", n_jobs, processes=True, fresh_workers=True)
        diffs.append(float(np.abs(images[:, 0] - plain).max()))
        del plain, images
        cold("cold_processes_warm_workers", n_jobs, processes=True)
        cold("cold_sequential", 1)
        record("no_cache_sequential", LogMelImage(n_jobs=1).fit_transform, files)
    med = {k: float(np.median(v)) for k, v in runs.items()}
    med_cpu = {k: (None if None in v else float(np.median(v))) for k, v in cpu.items()}

    def cpu_note(name):
        return "" if med_cpu[name] is None else f"CPU {med_cpu[name]:.1f} s (all processes)"

    plain = med["plain"]
    rows = [
        _row("logmel: plain librosa loop, 535 files, 224x224", plain, None, "s",
             note=cpu_note("plain")),
        _row(f"logmel: cold, n_jobs={n_jobs} (thread workers, the default) + cache", med["cold"],
             plain, "s", ("ratio>=", 1.8), note=cpu_note("cold")),
        _row(f"logmel: cold, n_jobs={n_jobs}, fresh process workers (loky) + cache",
             med["cold_processes"], plain, "s",
             note="includes worker start-up; " + cpu_note("cold_processes")),
        _row(f"logmel: cold, n_jobs={n_jobs}, process workers already started",
             med["cold_processes_warm_workers"], plain, "s",
             note=cpu_note("cold_processes_warm_workers")),
        _row("logmel: cold, n_jobs=1", med["cold_sequential"], plain, "s",
             note=cpu_note("cold_sequential")),
        _row("logmel: n_jobs=1, no cache (the same work as the plain loop)",
             med["no_cache_sequential"], plain, "s", note=cpu_note("no_cache_sequential")),
        _row("logmel: warm (median of runs)", med["warm"], plain, "s", ("ratio>=", 20)),
        _row("logmel: warm (best run)", float(np.min(runs["warm"])), plain, "s", ("ratio>=", 20)),
    ]
    if med_cpu["plain"] and med_cpu["cold_sequential"]:
        rows.append(_row("logmel: CPU seconds, cold n_jobs=1 (hashing + cache writes) vs plain",
                         med_cpu["cold_sequential"], med_cpu["plain"], "CPU s",
                         note="per-file work, nearly independent of the machine's load"))
        rows.append(_row("logmel: CPU seconds, n_jobs=1 without cache vs plain",
                         med_cpu["no_cache_sequential"], med_cpu["plain"], "CPU s"))
    max_diff = max(diffs)
    if max_diff >= 0.01:
        raise AssertionError(f"LogMelImage's images differ from the plain loop's by {max_diff} "
                             "(0-255 scale): more than float32 rounding")
    return rows, {"runs_s": runs, "cpu_s": cpu, "max_abs_diff_vs_plain_loop": max_diff,
                  "n_files": len(files)}


def _kmeans_search(pool, sample, distances, candidates, method, seed):
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.metrics import silhouette_score

    per_k = []
    for k in candidates:
        if method == "minibatch":
            km = MiniBatchKMeans(n_clusters=k, n_init=3, batch_size=4096, random_state=seed)
        else:
            km = KMeans(n_clusters=k, n_init=1, random_state=seed)
        t_fit, km = _timed(km.fit, pool)
        t_sil, score = _timed(silhouette_score, distances, km.predict(sample),
                              metric="precomputed")
        per_k.append({"k": k, "fit_s": t_fit, "silhouette_s": t_sil, "score": float(score)})
    return per_k


def bench_bovw(ctx):
    from sklearn.metrics.pairwise import euclidean_distances

    from sklearn_ser.features import select_n_words

    files = list(ctx.emodb.filenames)
    images = LogMelImage(n_jobs=ctx.args.n_jobs, memory=ctx.cache).fit_transform(files)
    encoder = BOVWEncoder(n_jobs=ctx.args.n_jobs)
    t_desc, descriptors = _timed(encoder._extract, images[:, 0])
    pool_all = np.concatenate(descriptors)
    t_select, (best_k, scores) = _timed(select_n_words, pool_all, list(CANDIDATES),
                                        random_state=ctx.args.seed)
    # The same search, per size, with MiniBatchKMeans and with full (Lloyd) K-means, on one
    # 20000-descriptor sample and one 3000-descriptor silhouette sample.
    rng = np.random.RandomState(ctx.args.seed)
    pool = pool_all[rng.choice(len(pool_all), min(20000, len(pool_all)), replace=False)]
    sample = pool[rng.choice(len(pool), 3000, replace=False)]
    distances = euclidean_distances(sample)
    mini = _kmeans_search(pool, sample, distances, CANDIDATES, "minibatch", ctx.args.seed)
    lloyd = _kmeans_search(pool, sample, distances, CANDIDATES, "lloyd", ctx.args.seed)

    def choice(per_k):
        return max(per_k, key=lambda r: (round(r["score"], 12), r["k"]))["k"]

    t_mini = sum(r["fit_s"] + r["silhouette_s"] for r in mini)
    t_lloyd = sum(r["fit_s"] + r["silhouette_s"] for r in lloyd)
    same = choice(mini) == choice(lloyd)
    rank_mini = [r["k"] for r in sorted(mini, key=lambda r: -r["score"])]
    rank_lloyd = [r["k"] for r in sorted(lloyd, key=lambda r: -r["score"])]
    rows = [
        _row(f"bovw: KAZE descriptors, 535 images, n_jobs={ctx.args.n_jobs}", t_desc, None, "s",
             note=f"{len(pool_all)} descriptors"),
        _row("bovw: select_n_words over 5 sizes (MiniBatchKMeans)", t_select, None, "s",
             ("value<", 30), note=f"chose {best_k}"),
        _row("bovw: descriptors + selection", t_desc + t_select, None, "s",
             note="KAZE is computed once per image and cached with memory="),
        _row("bovw: 5-size search, MiniBatchKMeans vs Lloyd", t_mini, t_lloyd, "s",
             note=f"same choice: {same} (mini {choice(mini)}, lloyd {choice(lloyd)})"),
    ]
    for m, ll in zip(mini, lloyd):
        rows.append(_row(f"bovw: k={m['k']} fit+silhouette, MiniBatch vs Lloyd",
                         m["fit_s"] + m["silhouette_s"], ll["fit_s"] + ll["silhouette_s"], "s",
                         note=f"silhouette {m['score']:.4f} vs {ll['score']:.4f}"))
    extra = {"n_descriptors": int(len(pool_all)), "select_n_words_choice": int(best_k),
             "select_n_words_scores": [float(s) for s in scores], "minibatch": mini,
             "lloyd": lloyd, "same_choice": same, "rank_minibatch": rank_mini,
             "rank_lloyd": rank_lloyd}
    return rows, extra


class _FeatureMeter:
    """Time spent in the feature steps and per-file image computations, by patching."""

    def __init__(self):
        self.seconds = Counter()
        self.computed = Counter()

    @contextlib.contextmanager
    def installed(self):
        meter = self
        original_transform = LogMelImage.transform
        original_extract = BOVWEncoder._extract
        original_compute = logmel_module._image_for_item

        @functools.wraps(original_transform)
        def transform(self, X):
            start = time.perf_counter()
            try:
                return original_transform(self, X)
            finally:
                meter.seconds["images"] += time.perf_counter() - start

        @functools.wraps(original_extract)
        def extract(self, images):
            start = time.perf_counter()
            try:
                return original_extract(self, images)
            finally:
                meter.seconds["descriptors"] += time.perf_counter() - start

        @functools.wraps(original_compute)
        def compute(item, index, **params):
            meter.computed[item if isinstance(item, str) else index] += 1
            return original_compute(item, index, **params)

        LogMelImage.transform = transform
        BOVWEncoder._extract = extract
        logmel_module._image_for_item = compute
        try:
            yield self
        finally:
            LogMelImage.transform = original_transform
            BOVWEncoder._extract = original_extract
            logmel_module._image_for_item = original_compute


def bench_gridsearch(ctx):
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import make_pipeline

    files, y = _stratified_subset(ctx.emodb, ctx.args.grid_files, ctx.args.seed)
    side = ctx.args.grid_size
    grid = {"bovwencoder__n_words": [8, 16], "vacnnbovwclassifier__lr": [1e-3, 3e-4]}
    results = {}
    for label in ("cache", "no_cache"):
        with contextlib.ExitStack() as stack:
            memory = stack.enter_context(_tempdir("perf-grid-")) if label == "cache" else None
            meter = stack.enter_context(_FeatureMeter().installed())
            _forget_file_digests()
            pipe = make_pipeline(
                LogMelImage(size=(side, side), n_jobs=1, memory=memory),
                BOVWEncoder(output="dict", memory=memory, random_state=ctx.args.seed),
                VACNNBOVWClassifier(max_epochs=1, batch_size=16, train_split=None,
                                    device="cpu", random_state=ctx.args.seed),
            )
            search = GridSearchCV(pipe, grid, cv=StratifiedKFold(5, shuffle=True,
                                                                  random_state=ctx.args.seed),
                                  n_jobs=1, error_score="raise")
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*had no KAZE keypoints.*")
                t_total, _ = _timed(search.fit, files, y)
            counts = meter.computed
            results[label] = {
                "total_s": t_total, "images_s": meter.seconds["images"],
                "descriptors_s": meter.seconds["descriptors"],
                "feature_s": meter.seconds["images"] + meter.seconds["descriptors"],
                "image_computations": int(sum(counts.values())),
                "files_computed": len(counts),
                "max_computations_per_file": int(max(counts.values())),
                "min_computations_per_file": int(min(counts.values())),
                "best_params": search.best_params_,
                "mean_test_score": [float(s) for s in search.cv_results_["mean_test_score"]],
            }
    c, n = results["cache"], results["no_cache"]
    once = (c["files_computed"] == len(files) and c["max_computations_per_file"] == 1
            and c["min_computations_per_file"] == 1)
    rows = [
        _row(f"grid: feature time, cache vs none ({len(files)} files, {side}x{side}, 20 fits"
             " + refit)", c["feature_s"], n["feature_s"], "s", ("ratio>=", 5),
             note=f"images {c['images_s']:.1f}/{n['images_s']:.1f} s, KAZE "
                  f"{c['descriptors_s']:.1f}/{n['descriptors_s']:.1f} s"),
        _row("grid: total fit time, cache vs none", c["total_s"], n["total_s"], "s"),
        _row("grid: image computations per file with cache", c["max_computations_per_file"],
             n["max_computations_per_file"], "count",
             note=f"each of {len(files)} files computed exactly once: {once} "
                  f"({c['image_computations']} vs {n['image_computations']} computations)"),
    ]
    return rows, {"results": results, "computed_once": once, "n_files": len(files),
                  "image_size": side, "grid": grid}


def _training_data(ctx, n_files, side):
    files, y = _stratified_subset(ctx.emodb, n_files, ctx.args.seed)
    X = LogMelImage(size=(side, side), n_jobs=ctx.args.n_jobs, memory=ctx.cache).fit_transform(
        files)
    return X, y


def _bare_loop(X, y_enc, n_classes, epochs, batch_size, seed, device="cpu"):
    """The plain PyTorch training loop the estimator is compared with; per-epoch seconds."""
    torch.manual_seed(seed)
    model = VACNN(n_classes=n_classes).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.1)
    criterion = torch.nn.CrossEntropyLoss()
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y_enc)),
        batch_size=batch_size, shuffle=True)
    durations = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.train()
        total = 0.0
        for xb, yb in loader:
            xb, yb = to_device((xb, yb), device)
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        scheduler.step()
        durations.append(time.perf_counter() - start)
    return durations


def bench_training(ctx):
    X, y = _training_data(ctx, ctx.args.train_files, ctx.args.train_size)
    classes, y_enc = np.unique(y, return_inverse=True)
    y_enc = y_enc.astype(np.int64)
    epochs = ctx.args.train_epochs
    bare, net, bare_fit, net_fit = [], [], [], []
    for _ in range(2):  # interleaved, so both see the same machine load
        t, durations = _timed(_bare_loop, X, y_enc, len(classes), epochs, 8, ctx.args.seed)
        bare += durations[1:]
        bare_fit.append(t)
        clf = VACNNClassifier(max_epochs=epochs, batch_size=8, train_split=None, device="cpu",
                              random_state=ctx.args.seed, iterator_train__shuffle=True)
        t, _ = _timed(clf.fit, X, y)
        net += list(clf.history[:, "dur"])[1:]
        net_fit.append(t)
    t_bare, t_net = float(np.median(bare)), float(np.median(net))
    what = (f"{len(X)} images, {ctx.args.train_size}x{ctx.args.train_size}, batch 8, "
            f"{epochs} epochs")
    rows = [
        _row(f"training: VACNNClassifier.fit vs bare loop, whole fit ({what})",
             float(np.median(net_fit)), float(np.median(bare_fit)), "s", ("ratio<=", 1.1),
             kind="overhead", note=f"torch threads {torch.get_num_threads()}"),
        _row("training: VACNNClassifier vs bare loop, median epoch after the first", t_net,
             t_bare, "s", ("ratio<=", 1.1), kind="overhead"),
    ]
    return rows, {"bare_epoch_s": bare, "net_epoch_s": net, "bare_fit_s": bare_fit,
                  "net_fit_s": net_fit, "n_images": len(X)}


def bench_inference(ctx):
    from sklearn.pipeline import make_pipeline

    bunch = ctx.emodb
    files = np.asarray(bunch.filenames)
    durations = np.array([sf.info(f).duration for f in files])
    train_idx = np.arange(0, len(files), 17)[:32]
    test = [f for i, f in enumerate(files) if 2.8 <= durations[i] <= 3.2 and i not in train_idx]
    test = test[:30]
    net_params = dict(max_epochs=1, train_split=None, device="cpu", random_state=0)
    pipe = make_pipeline(LogMelImage(), VACNNClassifier(**net_params))
    pipe.fit(files[train_idx], np.asarray(bunch.target)[train_idx])
    # The same trained weights with amp / channels_last, for the bf16 / channels-last rows.
    fast = make_pipeline(LogMelImage(), FastVACNNClassifier(**net_params))
    fast.fit(files[train_idx], np.asarray(bunch.target)[train_idx])
    fast[-1].module_.load_state_dict(pipe[-1].module_.state_dict())
    variants = {"fp32": (pipe, {}), "bf16": (fast, {"amp": True}),
                "bf16+channels_last": (fast, {"amp": True, "channels_last": True})}
    frontend, clf = pipe[0], pipe[-1]
    for model, _ in variants.values():
        model.predict([test[0]])  # first call: warm-up, not timed
    times = {name: [] for name in variants}
    features, network = [], []
    for f in test[1:]:
        for name, (model, options) in variants.items():
            if options:
                model[-1].set_params(**options)
                if options.get("channels_last"):
                    model[-1].module_.to(memory_format=torch.channels_last)
            t, _ = _timed(model.predict, [f])
            times[name].append(t * 1e3)
        t, image = _timed(frontend.transform, [f])
        features.append(t * 1e3)
        t, _ = _timed(clf.predict, image)
        network.append(t * 1e3)
    med = float(np.median(times["fp32"]))
    rows = [_row("inference: ms per 3 s utterance, file -> emotion, 224x224, CPU", med, None,
                 "ms", ("value<", 50),
                 note=f"p90 {np.percentile(times['fp32'], 90):.1f} ms; features "
                      f"{np.median(features):.1f} ms + network {np.median(network):.1f} ms; "
                      f"torch threads {torch.get_num_threads()}")]
    for name in ("bf16", "bf16+channels_last"):
        rows.append(_row(f"inference: {name} (PerformanceMixin) vs fp32, ms per utterance",
                         float(np.median(times[name])), med, "ms", ("value<", 50),
                         note=f"p90 {np.percentile(times[name], 90):.1f} ms"))
    return rows, {"total_ms": times, "features_ms": features, "network_ms": network,
                  "n_utterances": len(features)}


def _epoch_seconds(ctx, X, y, *, epochs, batch_size, device, **options):
    """Seconds of each training epoch of a VACNN with ``options``."""
    clf = FastVACNNClassifier(max_epochs=epochs, batch_size=batch_size, train_split=None,
                              device=device, random_state=ctx.args.seed,
                              iterator_train__shuffle=True, **options)
    clf.fit(X, y)
    return list(clf.history[:, "dur"])


def _throughput(ctx, X, y, **kwargs):
    """Training images/s: the median epoch after the first (which warms up)."""
    return len(X) / float(np.median(_epoch_seconds(ctx, X, y, **kwargs)[1:]))


def _skip_without_cuda(section, device):
    """``([], {"skipped": message})`` when ``device`` asks for CUDA that torch does not see."""
    if device.startswith("cuda") and not torch.cuda.is_available():
        msg = f"{section}: skipped: --device cuda given but torch sees no CUDA device"
        print(msg)
        return [], {"skipped": msg}
    return None


def bench_precision(ctx):
    device = ctx.args.device
    skipped = _skip_without_cuda("precision", device)
    if skipped:
        return skipped
    X, y = _training_data(ctx, 128, ctx.args.precision_size)
    variants = {"fp32": {}, "channels_last": {"channels_last": True}, "bf16": {"amp": True},
                "bf16+channels_last": {"amp": True, "channels_last": True}}
    rates = {name: [] for name in variants}
    for _ in range(2):
        for name, options in variants.items():
            rates[name].append(_throughput(ctx, X, y, epochs=3, batch_size=8, device=device,
                                           **options))
    base = float(np.median(rates["fp32"]))
    rows = [_row(f"precision ({device}): {name} vs fp32, images/s, batch 8, "
                 f"{ctx.args.precision_size}x{ctx.args.precision_size}",
                 float(np.median(r)), base, "img/s", kind="rate")
            for name, r in rates.items() if name != "fp32"]
    return rows, {"images_per_s": rates, "device": device}


def bench_compile(ctx):
    """``torch.compile`` (skorch's ``compile=True``) and DataLoader workers against eager."""
    device = ctx.args.device
    skipped = _skip_without_cuda("compile", device)
    if skipped:
        return skipped
    side = ctx.args.precision_size
    X, y = _training_data(ctx, 128, side)
    epochs = ctx.args.compile_epochs
    variants = {"eager": {}, "compile": {"compile": True},
                "num_workers=2": {"iterator_train__num_workers": 2}}
    if device.startswith("cuda"):
        variants["pin_memory"] = {"iterator_train__pin_memory": True}
    rates, first_epoch = {}, {}
    for name, options in variants.items():
        durations = _epoch_seconds(ctx, X, y, epochs=epochs, batch_size=8, device=device,
                                   **options)
        rates[name] = len(X) / float(np.median(durations[1:]))
        first_epoch[name] = durations[0]
    base = rates["eager"]
    what = f"images/s after the first epoch, batch 8, {side}x{side}, {device}"
    rows = [_row(f"compile/loader: {name} vs eager, {what}", rate, base, "img/s", kind="rate",
                 note=f"first epoch {first_epoch[name]:.1f} s (eager "
                      f"{first_epoch['eager']:.1f} s)")
            for name, rate in rates.items() if name != "eager"]
    return rows, {"images_per_s": rates, "first_epoch_s": first_epoch, "device": device}


def bench_gpu(ctx):
    if not ctx.args.device.startswith("cuda"):
        msg = "gpu: skipped (pass --device cuda on a machine with a GPU)"
        print(msg)
        return [], {"skipped": msg}
    skipped = _skip_without_cuda("gpu", ctx.args.device)
    if skipped:
        return skipped
    torch.backends.cudnn.benchmark = True
    X, y = _training_data(ctx, 0, 224)
    epochs = ctx.args.gpu_epochs
    fp32 = _throughput(ctx, X, y, epochs=epochs, batch_size=8, device=ctx.args.device)
    fast = _throughput(ctx, X, y, epochs=epochs, batch_size=64, device=ctx.args.device,
                       amp=True, channels_last=True)
    rows = [_row(f"gpu: VACNN training, bf16+channels_last batch 64 vs fp32 batch 8, "
                 f"224x224 ({torch.cuda.get_device_name()})", fast, fp32, "img/s", kind="rate")]
    return rows, {"fp32_b8_images_per_s": fp32, "bf16_cl_b64_images_per_s": fast}


# -- driver --------------------------------------------------------------------------------------

class Context:
    def __init__(self, args):
        self.args = args
        self.emodb = load_emodb(data_home=args.data_home)
        self.cache = tempfile.mkdtemp(prefix="perf-shared-")


def _format(value, unit):
    if value is None:
        return "-"
    if unit == "count":
        return f"{value:d}" if isinstance(value, int) else f"{value}"
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def table(rows):
    lines = ["| measurement | toolkit | baseline | unit | ratio | target | met | notes |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}x"
        met = "-" if r["met"] is None else ("yes" if r["met"] else "**no**")
        lines.append(f"| {r['name']} | {_format(r['measured'], r['unit'])} | "
                     f"{_format(r['baseline'], r['unit'])} | {r['unit']} | {ratio} | "
                     f"{r['target'] or '-'} | {met} | {r['note']} |")
    return "\n".join(lines)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = _parse_args(argv)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(only) - set(SECTIONS))
    if unknown:
        raise SystemExit(f"Unknown section(s) {unknown}; choose among {', '.join(SECTIONS)}.")
    ctx = Context(args)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "command": "python benchmarks/performance.py " + " ".join(map(shlex.quote, argv)),
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
                    "python": platform.python_version(), "torch": torch.__version__,
                    "sklearn": sklearn.__version__, "librosa": librosa.__version__,
                    "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None},
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "sections": {},
    }
    all_rows = []
    try:
        for name in SECTIONS:
            if name not in only:
                continue
            load_before = _load()
            start = time.perf_counter()
            print(time.strftime("%H:%M:%S"), f"[{name}] load average {load_before}", flush=True)
            rows, extra = globals()[f"bench_{name}"](ctx)
            section = {"rows": rows, "details": extra, "load_before": load_before,
                       "load_after": _load(), "wall_s": time.perf_counter() - start}
            report["sections"][name] = section
            all_rows += rows
            if rows:
                print(table(rows), flush=True)
            print(f"  load average after: {section['load_after']}", flush=True)
            tmp = out.with_suffix(".tmp")
            tmp.write_text(json.dumps(report, indent=1, default=str))
            tmp.replace(out)
    finally:
        shutil.rmtree(ctx.cache, ignore_errors=True)
    if all_rows:
        print()
        print(table(all_rows))
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
