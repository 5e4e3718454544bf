"""Gaussian data selection: segments kept, training time and accuracy (Kim & Kwak 2024, Table 5).

For every corpus asked for, stratified k-fold cross-validation of the
VGGish + YAMNet late-fusion classifier trained on log-mel segments,

``none``
    ``LateFusionClassifier`` on every training segment;
``gds``
    ``make_pipeline(GaussianDataSelector(threshold=T), LateFusionClassifier())``:
    the heterogeneous training segments are dropped before training.

Both are evaluated per utterance (mean of segment probabilities) on **all**
the test segments; for ``gds`` the score on GDS-selected test segments (the
paper's protocol, ``select_at_predict=True``) is reported too. Training time
is the wall-clock time of ``fit`` (GDS scoring included for ``gds``); the two
conditions run back to back in each fold, from the same seed, so the machine
load is as similar as it can be. The segments themselves are stateless per
file, computed once per corpus (cached with ``--cache``).

The paper (Korean corpora, MATLAB, fine-tuned released backbones): 165,240 →
140,885 segments (−15 %), training 89.87 → 70.62 min (−22 %), accuracy
86.54 % → 85.82 %.

Results go to ``--out`` (JSON, rewritten after every fold); a table is printed.

Examples
--------
Full setting (paper's 20 epochs, fine-tuned backbones; pass the released
weights when you have them)::

    SKLEARN_SER_DATA=../shared/corpora python benchmarks/gds.py --corpora emodb,ravdess \\
        --epochs 20 --fine-tune --vggish-weights vggish-10086976.pth \\
        --yamnet-weights yamnet.h5 --cache /tmp/sercache --out results/gds_full.json

The CPU budget run reported in docs (frozen random backbones, 4 epochs)::

    nice -n 10 env OMP_NUM_THREADS=1 SKLEARN_SER_DATA=../shared/corpora \\
        python benchmarks/gds.py --corpora emodb --epochs 4 --out results/gds_emodb.json
"""

import argparse
import json
import os
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
import torch
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline

from sklearn_ser.datasets import load_corpus
from sklearn_ser.estimators.late_fusion import LateFusionClassifier
from sklearn_ser.features.gds import DEFAULT_THRESHOLD, GaussianDataSelector
from sklearn_ser.features.segments import SegmentedLogMel
from sklearn_ser.metrics import unweighted_accuracy, weighted_accuracy

#: Kim & Kwak 2024, Table 5 and section 6.4.
PAPER = {
    "segments_before": 165_240,
    "segments_after": 140_885,
    "train_minutes_before": 89.87,
    "train_minutes_after": 70.62,
    "accuracy_before": 86.54,
    "accuracy_after": 85.82,
}
CONDITIONS = ("none", "gds")


def _parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-home", default=None)
    p.add_argument("--corpora", default="emodb", help="comma-separated corpus names")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--epochs", type=int, default=20, help="max_epochs (paper: 20)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="GDS T")
    p.add_argument("--fine-tune", action="store_true",
                   help="train the backbones too (freeze_backbones=False), as in the paper")
    p.add_argument("--vggish-weights", default=None)
    p.add_argument("--yamnet-weights", default=None)
    p.add_argument("--segment-hop", type=int, default=24)
    p.add_argument("--cache", default=None, help="feature cache folder")
    p.add_argument("--n-jobs", type=int, default=1, help="workers for the spectrograms")
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, default=None,
                   help="use a stratified subsample of this many utterances (smoke runs)")
    p.add_argument("--out", default="results/gds.json")
    return p.parse_args(argv)


def _classifier(args):
    return LateFusionClassifier(
        max_epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        freeze_backbones=not args.fine_tune, vggish_weights=args.vggish_weights,
        yamnet_weights=args.yamnet_weights, device=args.device, random_state=args.seed)


def _scores(y_true, y_pred):
    return {"wa": 100 * weighted_accuracy(y_true, y_pred),
            "ua": 100 * unweighted_accuracy(y_true, y_pred)}


def run_corpus(name, args, record, save):
    bunch = load_corpus(name, data_home=args.data_home)
    files, y = np.asarray(bunch.filenames), np.asarray(bunch.target)
    if args.limit is not None and args.limit < len(y):
        keep, _ = train_test_split(np.arange(len(y)), train_size=args.limit, stratify=y,
                                   random_state=args.seed)
        files, y = files[np.sort(keep)], y[np.sort(keep)]
    t0 = time.perf_counter()
    X = SegmentedLogMel(segment_hop=args.segment_hop, memory=args.cache,
                        n_jobs=args.n_jobs).fit_transform(files)
    n_segments = np.array([len(u) for u in X])
    record["corpora"][name] = corpus = {
        "n_utterances": int(len(X)), "n_segments": int(n_segments.sum()),
        "segments_per_utterance": np.bincount(n_segments).tolist(),
        "feature_seconds": time.perf_counter() - t0, "folds": []}
    cv = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
    for fold, (train, test) in enumerate(cv.split(np.zeros(len(y)), y)):
        entry = {"fold": fold}
        for condition in CONDITIONS:
            steps = [_classifier(args)]
            if condition == "gds":
                steps.insert(0, GaussianDataSelector(threshold=args.threshold))
            pipe = make_pipeline(*steps)
            start = time.perf_counter()
            pipe.fit(X[train], y[train])
            fit_seconds = time.perf_counter() - start
            clf = pipe[-1]
            result = {"fit_seconds": fit_seconds, "epochs": len(clf.history),
                      "train_segments_in": int(n_segments[train].sum()),
                      "train_segments_used": clf.n_training_segments_,
                      **_scores(y[test], pipe.predict(X[test]))}
            if condition == "gds":
                selected = GaussianDataSelector(threshold=args.threshold, select_at_predict=True)
                X_test = selected.fit(X[test]).transform(X[test])
                result["selected_test"] = _scores(y[test], clf.predict(X_test))
            entry[condition] = result
            print(f"[{name}] fold {fold} {condition:4s}: {result['train_segments_used']:5d} "
                  f"segments, {fit_seconds:7.1f} s, WA {result['wa']:.1f} UA {result['ua']:.1f}",
                  flush=True)
        corpus["folds"].append(entry)
        save()
    _summarise(corpus)
    save()


def _summarise(corpus):
    folds = corpus["folds"]
    summary = {}
    for condition in CONDITIONS:
        rows = [f[condition] for f in folds]
        summary[condition] = {
            "segments_used": int(sum(r["train_segments_used"] for r in rows)),
            "segments_in": int(sum(r["train_segments_in"] for r in rows)),
            "fit_seconds": float(sum(r["fit_seconds"] for r in rows)),
            "wa_mean": float(np.mean([r["wa"] for r in rows])),
            "wa_std": float(np.std([r["wa"] for r in rows])),
            "ua_mean": float(np.mean([r["ua"] for r in rows])),
            "ua_std": float(np.std([r["ua"] for r in rows])),
        }
    gds_rows = [f["gds"]["selected_test"] for f in folds]
    summary["gds"]["selected_test_wa_mean"] = float(np.mean([r["wa"] for r in gds_rows]))
    summary["gds"]["selected_test_ua_mean"] = float(np.mean([r["ua"] for r in gds_rows]))
    base, gds = summary["none"], summary["gds"]
    summary["segments_change_pct"] = 100 * (gds["segments_used"] / base["segments_used"] - 1)
    summary["time_change_pct"] = 100 * (gds["fit_seconds"] / base["fit_seconds"] - 1)
    summary["wa_change_points"] = gds["wa_mean"] - base["wa_mean"]
    corpus["summary"] = summary


def print_table(record):
    paper_seg = 100 * (PAPER["segments_after"] / PAPER["segments_before"] - 1)
    paper_time = 100 * (PAPER["train_minutes_after"] / PAPER["train_minutes_before"] - 1)
    print()
    print("| corpus | condition | training segments | kept | fit time (s) | WA % | UA % |")
    print("|---|---|---|---|---|---|---|")
    for name, corpus in record["corpora"].items():
        s = corpus.get("summary")
        if s is None:
            continue
        for condition in CONDITIONS:
            c = s[condition]
            kept = 100 * c["segments_used"] / c["segments_in"]
            print(f"| {name} | {condition} | {c['segments_used']} | {kept:.1f} % | "
                  f"{c['fit_seconds']:.0f} | {c['wa_mean']:.1f} ± {c['wa_std']:.1f} | "
                  f"{c['ua_mean']:.1f} ± {c['ua_std']:.1f} |")
        g = s["gds"]
        print(f"| {name} | gds, selected test | | | | {g['selected_test_wa_mean']:.1f} | "
              f"{g['selected_test_ua_mean']:.1f} |")
        print(f"| {name} | change | {s['segments_change_pct']:+.1f} % | | "
              f"{s['time_change_pct']:+.1f} % | {s['wa_change_points']:+.1f} pt | |")
    print(f"| Kim & Kwak 2024 | change | {paper_seg:+.1f} % | | {paper_time:+.1f} % | "
          f"{PAPER['accuracy_after'] - PAPER['accuracy_before']:+.2f} pt | |")


def main(argv=None):
    args = _parse_args(argv)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "command": " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv]),
        "settings": {k: v for k, v in vars(args).items()},
        "environment": {"python": platform.python_version(), "torch": torch.__version__,
                        "sklearn": sklearn.__version__, "torch_threads": torch.get_num_threads(),
                        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
                        "machine": platform.platform(), "cuda": torch.cuda.is_available()},
        "paper": PAPER,
        "corpora": {},
    }

    def save():
        tmp = out.with_suffix(out.suffix + ".tmp")
        tmp.write_text(json.dumps(record, indent=2))
        os.replace(tmp, out)

    for name in args.corpora.split(","):
        run_corpus(name.strip(), args, record, save)
    print_table(record)
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
