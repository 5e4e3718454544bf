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

Pretrained YAMNet, frozen (``--frozen-yamnet-head``)
---------------------------------------------------
Only YAMNet has released weights here (the TFLite model, ``docs/yamnet.md``).
With it frozen, the network is a fixed feature extractor followed by a
linear layer, so the run precomputes every segment's YAMNet features once
(the global average of block ``--yamnet-layer``, from YAMNet's own front end
``SegmentedLogMel.yamnet(segment_hop=...)``) and trains only the head per
fold: ``StandardScaler`` + multinomial ``LogisticRegression(C=--head-c)`` on
the training segments, each with its utterance's label; an utterance's
probabilities are the mean of its segments' (as ``LateFusionClassifier``).
GDS (scored on the log-mel segments, fitted on nothing) removes training
segments before the head is fitted, for each of ``--thresholds``. Fit time
is the head's (the features are shared by every condition)::

    OMP_NUM_THREADS=1 python benchmarks/gds.py --frozen-yamnet-head --corpora emodb \
        --yamnet-weights yamnet-tflite --weights-home ../shared/weights/yamnet \
        --yamnet-layer 10 --segment-hop 24 --thresholds 0.3,0.4,0.5 \
        --out docs/results/late_fusion.json

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
    p.add_argument("--backbones", default="vggish,yamnet",
                   help="'vggish,yamnet' (the paper's fusion) or 'yamnet' (YAMNet-only head)")
    p.add_argument("--front-end", choices=("method-b", "yamnet"), default="method-b",
                   help="segments: Kim & Kwak 2024's (window 1200, hop 480) or YAMNet's own")
    p.add_argument("--conditions", default="none,gds", help="none and/or gds")
    p.add_argument("--frozen-yamnet-head", action="store_true",
                   help="pretrained YAMNet frozen: precomputed segment features + linear head")
    p.add_argument("--weights-home", default=None)
    p.add_argument("--yamnet-layers", default="14",
                   help="comma-separated YAMNet blocks to tap (frozen head)")
    p.add_argument("--thresholds", default=None,
                   help="comma-separated GDS thresholds (frozen head; default --threshold)")
    p.add_argument("--head-c", type=float, default=0.1,
                   help="inverse L2 strength of the frozen head's logistic regression")
    return p.parse_args(argv)


def _classifier(args):
    return LateFusionClassifier(
        max_epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        freeze_backbones=not args.fine_tune, vggish_weights=args.vggish_weights,
        yamnet_weights=args.yamnet_weights, weights_home=args.weights_home,
        module__backbones=tuple(args.backbones.split(",")),
        module__yamnet_layer=int(args.yamnet_layers.split(",")[0]),
        device=args.device, random_state=args.seed)


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
    if args.front_end == "yamnet":
        front_end = SegmentedLogMel.yamnet(segment_hop=args.segment_hop, memory=args.cache,
                                           n_jobs=args.n_jobs)
    else:
        front_end = SegmentedLogMel(segment_hop=args.segment_hop, memory=args.cache,
                                    n_jobs=args.n_jobs)
    X = front_end.fit_transform(files)
    n_segments = np.array([len(u) for u in X])
    record["corpora"][name] = corpus = {
        "n_utterances": int(len(X)), "n_segments": int(n_segments.sum()),
        "segments_per_utterance": np.bincount(n_segments).tolist(),
        "feature_seconds": time.perf_counter() - t0, "folds": []}
    cv = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
    for fold, (train, test) in enumerate(cv.split(np.zeros(len(y)), y)):
        entry = {"fold": fold}
        for condition in args.conditions.split(","):
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
    if set(args.conditions.split(",")) == set(CONDITIONS):
        _summarise(corpus)
    save()


def _yamnet_segment_features(X, args, layers):
    """Per utterance, ``{layer: (n_segments, channels)}``: frozen YAMNet block outputs, averaged."""
    from sklearn_ser.models import YAMNet, load_state_into, load_yamnet_weights

    state = load_yamnet_weights(args.yamnet_weights, include_top=False,
                                weights_home=args.weights_home)
    net = load_state_into(YAMNet(include_top=False), state).eval()
    out = []
    with torch.inference_mode():
        for segments in X:
            x = torch.from_numpy(np.ascontiguousarray(segments))
            feats = {}
            for k, block in enumerate(net.layers[:max(layers)], start=1):
                x = block(x)
                if k in layers:
                    feats[k] = x.mean(dim=(2, 3)).numpy()
            out.append(feats)
    return out


def _head(args):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=args.head_c, max_iter=3000))


def run_corpus_frozen_head(name, args, record, save):
    from sklearn_ser.features.segments import mean_by_utterance

    if args.yamnet_weights is None:
        raise SystemExit("--frozen-yamnet-head needs --yamnet-weights (e.g. yamnet-tflite).")
    bunch = load_corpus(name, data_home=args.data_home)
    files, y = np.asarray(bunch.filenames), np.asarray(bunch.target)
    t0 = time.perf_counter()
    X = SegmentedLogMel.yamnet(segment_hop=args.segment_hop, memory=args.cache,
                               n_jobs=args.n_jobs).fit_transform(files)
    layers = [int(v) for v in args.yamnet_layers.split(",")]
    features = _yamnet_segment_features(X, args, layers)
    scores = GaussianDataSelector().score_segments(X)
    n_segments = np.array([len(u) for u in X])
    thresholds = ([float(v) for v in args.thresholds.split(",")] if args.thresholds
                  else [args.threshold])
    conditions = ["none"] + [f"gds@{t:g}" for t in thresholds]
    record["corpora"][name] = corpus = {
        "n_utterances": int(len(X)), "n_segments": int(n_segments.sum()),
        "segments_per_utterance": np.bincount(n_segments).tolist(),
        "feature_seconds": time.perf_counter() - t0, "layers": {}}
    cv = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
    splits = list(cv.split(np.zeros(len(y)), y))
    for layer in layers:
        folds = corpus["layers"][str(layer)] = []
        for fold, (train, test) in enumerate(splits):
            entry = {"fold": fold}
            test_feats = np.concatenate([features[i][layer] for i in test])
            test_owner = np.repeat(np.arange(len(test)), n_segments[test])
            for condition in conditions:
                keep = [np.ones(n_segments[i], bool) if condition == "none"
                        else scores[i] > float(condition.split("@")[1]) for i in train]
                X_train = np.concatenate([features[i][layer][k] for i, k in zip(train, keep)])
                y_train = np.repeat(y[train], [int(k.sum()) for k in keep])
                head = _head(args)
                start = time.perf_counter()
                head.fit(X_train, y_train)
                fit_seconds = time.perf_counter() - start
                proba = mean_by_utterance(head.predict_proba(test_feats), test_owner, len(test))
                pred = head.classes_[proba.argmax(1)]
                entry[condition] = {"fit_seconds": fit_seconds,
                                    "train_segments_in": int(n_segments[train].sum()),
                                    "train_segments_used": int(len(y_train)),
                                    **_scores(y[test], pred)}
                r = entry[condition]
                print(f"[{name}] layer {layer} fold {fold} {condition:8s}: "
                      f"{r['train_segments_used']:5d} segments, {fit_seconds:6.2f} s, "
                      f"WA {r['wa']:.1f} UA {r['ua']:.1f}", flush=True)
            folds.append(entry)
            save()
    corpus["summary"] = {
        str(layer): {c: {
            "segments_used": int(sum(f[c]["train_segments_used"] for f in folds)),
            "segments_in": int(sum(f[c]["train_segments_in"] for f in folds)),
            "fit_seconds": float(sum(f[c]["fit_seconds"] for f in folds)),
            "wa_mean": float(np.mean([f[c]["wa"] for f in folds])),
            "wa_std": float(np.std([f[c]["wa"] for f in folds])),
            "ua_mean": float(np.mean([f[c]["ua"] for f in folds])),
            "ua_std": float(np.std([f[c]["ua"] for f in folds]))}
            for c in conditions}
        for layer, folds in ((int(k), v) for k, v in corpus["layers"].items())}
    save()


def print_frozen_table(record):
    print()
    print("| corpus | YAMNet block | condition | training segments | kept | head fit (s) | WA % "
          "| UA % |")
    print("|---|---|---|---|---|---|---|---|")
    for name, corpus in record["corpora"].items():
        for layer, summary in corpus.get("summary", {}).items():
            for condition, c in summary.items():
                kept = 100 * c["segments_used"] / c["segments_in"]
                print(f"| {name} | {layer} | {condition} | {c['segments_used']} | {kept:.1f} % | "
                      f"{c['fit_seconds']:.1f} | {c['wa_mean']:.2f} ± {c['wa_std']:.2f} | "
                      f"{c['ua_mean']:.2f} ± {c['ua_std']:.2f} |")


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
        "date": time.strftime("%Y-%m-%d"),
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
        if args.frozen_yamnet_head:
            run_corpus_frozen_head(name.strip(), args, record, save)
        else:
            run_corpus(name.strip(), args, record, save)
    if args.frozen_yamnet_head:
        print_frozen_table(record)
    else:
        print_table(record)
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
