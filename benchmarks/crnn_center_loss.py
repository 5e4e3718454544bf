"""CNN + BiGRU with and without center loss, on log-mel and log-STFT input (Dai et al. 2019).

For every input (``mel``: 128-band log-mel; ``stft``: 513-bin log-STFT; both
16 kHz, 40 ms Hamming window, 10 ms hop, DFT 1024, middle 14 s) and every
``lambda_`` asked for, stratified k-fold cross-validation on EmoDB of

    ``CRNNClassifier(lambda_=..., alpha=...)``

trained with the paper's recipe (Adam, lr 3e-4, batch 32, class-weighted
softmax + center loss, parameters with the best development UA kept).
Settings 1-4 of the paper are ``mel``/``stft`` x ``lambda_ = 0`` / ``0.3``
(``alpha = 0.5``). The spectrograms are stateless per file and computed once
per input (cached with ``--cache``); every fold trains each setting from the
same seed.

Development set (``--protocol``):

``internal`` (default)
    a stratified 20 % of the training folds (the estimator's
    ``train_split="auto"``); the whole test fold is scored, so every
    utterance is tested once.
``paper``
    the protocol of Dai et al. 2019: the held-out fold is split in half (stratified),
    one half for development, the other for testing; the training folds are
    all used for training.

Also recorded per fold: epochs run and best epoch, fit time, and the spread
of the test embeddings (FC1) around their class means, raw and as a fraction
of the total scatter (:func:`~sklearn_ser.estimators.crnn.within_class_spread`).
``--plot`` draws figure 4 of Dai et al. 2019 (PCA of the first fold's test
embeddings, one panel per ``lambda_``) for the first input.

The paper (IEMOCAP, 4 classes, 5 x 5-fold) reports UA / WA
66.86 / 65.40 with center loss vs 63.80 / 61.83 without (mel) and
65.13 / 62.96 vs 60.98 / 58.93 (STFT): +3.06 / +3.57 and +4.15 / +4.03 points.

Results go to ``--out`` (JSON, rewritten after every fold); a table is printed.

Examples
--------
Full setting (the four settings, default network, 50 epochs, patience 10)::

    SKLEARN_SER_DATA=../shared/corpora python benchmarks/crnn_center_loss.py \\
        --inputs mel,stft --lambdas 0,0.3 --epochs 50 --cache /tmp/sercache \\
        --plot results/crnn_fig4.png --out results/crnn_center_loss_full.json

A CPU budget run (mel only, a narrower CNN, fewer epochs)::

    nice -n 10 env OMP_NUM_THREADS=1 SKLEARN_SER_DATA=../shared/corpora \\
        python benchmarks/crnn_center_loss.py --inputs mel --channels 16,32,32 \\
        --epochs 25 --out results/crnn_center_loss_cpu.json
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
from skorch.helper import predefined_split

from sklearn_ser.datasets import load_emodb
from sklearn_ser.estimators.crnn import (
    CRNNClassifier,
    SpectrogramDataset,
    plot_embedding_pca,
    within_class_spread,
)
from sklearn_ser.features.spectrogram import LogMelSpectrogram, LogSTFTSpectrogram
from sklearn_ser.metrics import unweighted_accuracy, weighted_accuracy

#: Dai et al. 2019, sections 3.2-3.3 (IEMOCAP, UA / WA in %).
PAPER = {
    "mel": {"without": {"ua": 63.80, "wa": 61.83}, "with": {"ua": 66.86, "wa": 65.40}},
    "stft": {"without": {"ua": 60.98, "wa": 58.93}, "with": {"ua": 65.13, "wa": 62.96}},
}
FRONT_ENDS = {"mel": LogMelSpectrogram, "stft": LogSTFTSpectrogram}


def _floats(text):
    return [float(v) for v in text.split(",") if v.strip()]


def _ints(text):
    return tuple(int(v) for v in text.split(",") if v.strip())


def _parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-home", default=None)
    p.add_argument("--inputs", default="mel,stft", help="comma-separated: mel, stft")
    p.add_argument("--lambdas", default="0,0.3", help="center-loss weights to compare")
    p.add_argument("--alpha", type=float, default=0.5, help="center update rate")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--protocol", choices=("internal", "paper"), default="internal")
    p.add_argument("--epochs", type=int, default=50, help="max_epochs")
    p.add_argument("--patience", type=int, default=10, help="early-stopping patience (dev UA)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--channels", type=_ints, default=None,
                   help="CNN channels, e.g. 16,32,32 (default: the CRNN default 32,64,64)")
    p.add_argument("--cache", default=None, help="feature cache folder")
    p.add_argument("--n-jobs", type=int, default=1, help="workers for the spectrograms")
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, default=None,
                   help="use a stratified subsample of this many utterances (smoke runs)")
    p.add_argument("--plot", default=None, help="PNG path for the figure-4 PCA plot")
    p.add_argument("--out", default="results/crnn_center_loss.json")
    return p.parse_args(argv)


def _classifier(args, lam):
    params = dict(lambda_=lam, alpha=args.alpha, lr=args.lr, max_epochs=args.epochs,
                  batch_size=args.batch_size, patience=args.patience, device=args.device,
                  random_state=args.seed)
    if args.channels is not None:
        params["module__channels"] = args.channels
    return CRNNClassifier(**params)


def _scores(y_true, y_pred):
    return {"ua": 100 * unweighted_accuracy(y_true, y_pred),
            "wa": 100 * weighted_accuracy(y_true, y_pred)}


def _fit(args, lam, X, y, train, dev):
    clf = _classifier(args, lam)
    if dev is None:
        return clf.fit(X[train], y[train])
    # the paper's protocol: a given development set (labels encoded as fit will encode them)
    classes = np.unique(y[train])
    dev_set = SpectrogramDataset(X[dev], np.searchsorted(classes, y[dev]))
    return clf.set_params(train_split=predefined_split(dev_set)).fit(X[train], y[train])


def _mean_std(values):
    return float(np.mean(values)), float(np.std(values))


def summarize(record):
    """Mean and std of every setting, and the deltas to compare with the paper's."""
    summary = {}
    for name, setting in record["settings"].items():
        folds = setting["folds"]
        if not folds:
            continue
        summary[name] = {
            key: _mean_std([f[key] for f in folds])
            for key in ("ua", "wa", "spread", "spread_fraction", "fit_seconds", "epochs",
                        "best_epoch")
        }
        summary[name]["n_folds"] = len(folds)
    deltas = {}
    for inp in record["config"]["inputs"]:
        base = summary.get(f"{inp}/lambda=0.0")
        for name, s in summary.items():
            if not name.startswith(f"{inp}/") or name == f"{inp}/lambda=0.0" or base is None:
                continue
            deltas[name] = {
                "ua": s["ua"][0] - base["ua"][0],
                "wa": s["wa"][0] - base["wa"][0],
                "paper_ua": PAPER[inp]["with"]["ua"] - PAPER[inp]["without"]["ua"],
                "paper_wa": PAPER[inp]["with"]["wa"] - PAPER[inp]["without"]["wa"],
            }
    record["summary"], record["deltas"] = summary, deltas
    return record


def print_table(record):
    print("\nsetting               folds   UA %          WA %          spread (frac)   epochs")
    for name, s in record["summary"].items():
        print(f"{name:20s}  {s['n_folds']:5d}   {s['ua'][0]:5.1f} ± {s['ua'][1]:4.1f}   "
              f"{s['wa'][0]:5.1f} ± {s['wa'][1]:4.1f}   {s['spread_fraction'][0]:.3f}"
              f"           {s['epochs'][0]:.1f}")
    if record["deltas"]:
        print("\ncenter loss minus lambda=0 (points)    this run: UA    WA    "
              "paper (IEMOCAP): UA    WA")
        for name, d in record["deltas"].items():
            print(f"{name:38s}  {d['ua']:+5.2f} {d['wa']:+5.2f}               "
                  f"{d['paper_ua']:+5.2f} {d['paper_wa']:+5.2f}")


def main(argv=None):
    args = _parse_args(argv)
    inputs = [s.strip() for s in args.inputs.split(",") if s.strip()]
    unknown = set(inputs) - set(FRONT_ENDS)
    if unknown:
        raise SystemExit(f"--inputs: unknown {sorted(unknown)}; use mel and/or stft.")
    lambdas = _floats(args.lambdas)
    bunch = load_emodb(data_home=args.data_home)
    files, y = np.asarray(bunch.filenames), np.asarray(bunch.target)
    if args.limit is not None and args.limit < len(y):
        keep, _ = train_test_split(np.arange(len(y)), train_size=args.limit, stratify=y,
                                   random_state=args.seed)
        files, y = files[np.sort(keep)], y[np.sort(keep)]
    record = {
        "command": " ".join(shlex.quote(a) for a in [sys.executable] + sys.argv),
        "config": dict(vars(args), inputs=inputs, lambdas=lambdas,
                       channels=list(args.channels) if args.channels else [32, 64, 64]),
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpu_count": os.cpu_count(), "torch": torch.__version__,
                    "sklearn": sklearn.__version__,
                    "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
                    "cuda": torch.cuda.is_available(),
                    "torch_threads": torch.get_num_threads()},
        "corpus": {"name": "emodb", "n_utterances": int(len(y)),
                   "classes": {str(c): int(n) for c, n in zip(*np.unique(y, return_counts=True))}},
        "paper_iemocap": PAPER,
        "features": {},
        "settings": {f"{inp}/lambda={lam}": {"input": inp, "lambda_": lam, "folds": []}
                     for inp in inputs for lam in lambdas},
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)

    def save():
        out.write_text(json.dumps(summarize(record), indent=2))

    cv = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
    splits = list(cv.split(np.zeros(len(y)), y))
    plot_embeddings = {}
    for inp in inputs:
        start = time.perf_counter()
        X = FRONT_ENDS[inp](memory=args.cache, n_jobs=args.n_jobs).fit_transform(files)
        lengths = np.array([x.shape[1] for x in X])
        record["features"][inp] = {"seconds": time.perf_counter() - start,
                                   "n_bins": int(X[0].shape[0]),
                                   "frames_min_median_max": [int(lengths.min()),
                                                             float(np.median(lengths)),
                                                             int(lengths.max())]}
        for fold, (train, held_out) in enumerate(splits):
            dev, test = None, held_out
            if args.protocol == "paper":
                counts = np.unique(y[held_out], return_counts=True)[1]
                dev, test = train_test_split(
                    held_out, test_size=0.5, random_state=args.seed,
                    stratify=y[held_out] if counts.min() >= 2 else None)
            for lam in lambdas:
                t0 = time.perf_counter()
                clf = _fit(args, lam, X, y, train, dev)
                fit_seconds = time.perf_counter() - t0
                E = clf.embed(X[test])
                history = clf.history
                valid_ua = [h.get("valid_ua") for h in history]
                best = int(np.nanargmax([v if v is not None else np.nan for v in valid_ua])) + 1 \
                    if any(v is not None for v in valid_ua) else len(history)
                result = {"fold": fold, "fit_seconds": fit_seconds, "epochs": len(history),
                          "best_epoch": best,
                          "spread": within_class_spread(E, y[test], normalize=False),
                          "spread_fraction": within_class_spread(E, y[test]),
                          **_scores(y[test], clf.predict(X[test]))}
                record["settings"][f"{inp}/lambda={lam}"]["folds"].append(result)
                print(f"[{inp} lambda={lam}] fold {fold}: UA {result['ua']:5.1f} WA "
                      f"{result['wa']:5.1f}  epochs {result['epochs']:3d} (best {best:3d})  "
                      f"{fit_seconds:6.1f} s  spread {result['spread_fraction']:.3f}",
                      flush=True)
                if args.plot and fold == 0 and inp == inputs[0]:
                    plot_embeddings[f"lambda={lam}"] = (E, y[test])
                save()
        if args.plot and plot_embeddings:
            import matplotlib

            matplotlib.use("Agg")
            labels = next(iter(plot_embeddings.values()))[1]
            fig = plot_embedding_pca({k: v[0] for k, v in plot_embeddings.items()}, labels,
                                     title=f"EmoDB fold 0 test embeddings ({inp})")
            Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(args.plot, dpi=120)
            plot_embeddings = {}
    save()
    print_table(record)
    print(f"\nwritten: {out}")


if __name__ == "__main__":
    main()
