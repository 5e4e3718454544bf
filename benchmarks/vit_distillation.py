"""ViT with vertical patches and teacher-to-student distillation on EmoDB (Kim & Lee 2024).

For each fold of a 5-fold split of EmoDB (128x128 log-mel images), train and score:

``teacher``
    Stage 1 of :class:`~sklearn_ser.estimators.vit.DistilledViTClassifier`: convolutional stem
    + coordinate encoding + vertical-patch ViT, cross-entropy.
``plain student``
    :class:`~sklearn_ser.estimators.vit.ViTClassifier` with the student network (no stem, no
    positional encoding), cross-entropy only, ``--student-epochs`` epochs, same optimiser,
    schedule, validation split and seed as the distilled student's last stage.
``plain student (equal epochs)``
    The same, trained for ``--matching-epochs + --student-epochs`` epochs: as many epochs as
    the distilled student saw in stages 2 and 3 together (a control for the longer training).
``distilled student``
    The same network after stage 2 (feature-map matching, L1) and stage 3
    (cross-entropy + alpha * L1): what ``DistilledViTClassifier.predict`` uses.

Reports weighted accuracy (WA, overall accuracy) and unweighted accuracy (UA, mean recall)
per fold and pooled, FLOPs of one forward pass of a single image
(:func:`~sklearn_ser.utils.complexity.flops_and_params`, 2 FLOPs per multiply-add, matrix
products and convolutions only) and parameter counts. Prints a table and writes JSON to
``--out`` (rewritten after every fold).

Presets: ``--preset full`` (default) is the paper's 50 epochs per stage with our ViT-Tiny-like
defaults (patch width 4, 192-wide tokens, 6 blocks, 3 heads, stem 16-32-64), meant for a GPU;
``--preset cpu`` is a budget run (8-channel one-block stem, 64-wide tokens, 4 blocks, 4 heads,
25 epochs per stage, learning rate 1e-3) that took 15 minutes on one shared CPU thread.
Any explicit flag overrides the preset.

Examples
--------
::

    # CPU budget run
    nice -n 10 env OMP_NUM_THREADS=1 SKLEARN_SER_DATA=../shared/corpora \\
        python benchmarks/vit_distillation.py --preset cpu --cache /tmp/sercache

    # full setting (GPU)
    SKLEARN_SER_DATA=../shared/corpora python benchmarks/vit_distillation.py --preset full \\
        --device cuda --out results/vit_distillation_full.json
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
from sklearn.model_selection import StratifiedKFold

from sklearn_ser.datasets import load_emodb
from sklearn_ser.estimators.vit import DistilledViTClassifier, ViTClassifier
from sklearn_ser.features import LogMelImage
from sklearn_ser.metrics import unweighted_accuracy, weighted_accuracy
from sklearn_ser.model_selection import SpeakerKFold
from sklearn_ser.models.vit import FeatureMapDistiller, StudentViT, TeacherViT
from sklearn_ser.utils.complexity import flops_and_params
from sklearn_ser.utils.device import module_device, to_device

PRESETS = {
    "full": dict(patch_width=4, embed_dim=192, depth=6, n_heads=3, mlp_ratio=4.0, dropout=0.1,
                 stem_channels=(16, 32, 64), teacher_epochs=50, matching_epochs=50,
                 student_epochs=50, lr=5e-4, lr_step_size=20),
    "cpu": dict(patch_width=4, embed_dim=64, depth=4, n_heads=4, mlp_ratio=2.0, dropout=0.1,
                stem_channels=(8,), teacher_epochs=25, matching_epochs=25, student_epochs=25,
                lr=1e-3, lr_step_size=20),
}
MODELS = ("teacher", "plain student", "plain student (equal epochs)", "distilled student")


def _parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--preset", choices=sorted(PRESETS), default="full")
    p.add_argument("--data-home", default=None)
    p.add_argument("--protocol", choices=("stratified", "speaker"), default="stratified")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--image-size", type=int, default=128)
    p.add_argument("--patch-width", type=int)
    p.add_argument("--embed-dim", type=int)
    p.add_argument("--depth", type=int)
    p.add_argument("--n-heads", type=int)
    p.add_argument("--mlp-ratio", type=float)
    p.add_argument("--dropout", type=float)
    p.add_argument("--stem-channels", type=lambda s: tuple(int(c) for c in s.split(",")),
                   help="comma-separated, e.g. 16,32,64")
    p.add_argument("--teacher-epochs", type=int)
    p.add_argument("--matching-epochs", type=int)
    p.add_argument("--student-epochs", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--lr-step-size", type=int)
    p.add_argument("--alpha", type=float, default=1.0)
    p.add_argument("--distill-pairs", default="blocks",
                   help="'blocks', 'last' or comma-separated block indices / map names")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--patience", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--cache", default=None, help="log-mel cache folder (outside the repo)")
    p.add_argument("--n-jobs", type=int, default=1)
    p.add_argument("--out", default="results/vit_distillation.json")
    args = p.parse_args(argv)
    for key, value in PRESETS[args.preset].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def _distill_pairs(text):
    if text in ("blocks", "last"):
        return text
    return [int(item) if item.lstrip("-").isdigit() else item for item in text.split(",")]


def _estimator_params(args):
    return dict(
        patch_width=args.patch_width, embed_dim=args.embed_dim, depth=args.depth,
        n_heads=args.n_heads, mlp_ratio=args.mlp_ratio, dropout=args.dropout,
        stem_channels=tuple(args.stem_channels), distill_pairs=_distill_pairs(args.distill_pairs),
        alpha=args.alpha, teacher_epochs=args.teacher_epochs, weight_decay=args.weight_decay,
        matching_epochs=args.matching_epochs, student_epochs=args.student_epochs, lr=args.lr,
        batch_size=args.batch_size, lr_step_size=args.lr_step_size, patience=args.patience,
        device=args.device, random_state=args.seed,
    )


def _plain_student(params, seed, max_epochs):
    """The CE-only student with the distilled student's architecture and last-stage recipe.

    ``seed`` is the distilled run's ``seed_``: same validation split, same initial student.
    """
    architecture = {f"module__{k}": params[k] for k in
                    ("patch_width", "embed_dim", "depth", "n_heads", "mlp_ratio", "dropout")}
    return ViTClassifier(
        StudentViT, max_epochs=max_epochs, lr=params["lr"],
        batch_size=params["batch_size"], optimizer__weight_decay=params["weight_decay"],
        lr_step_size=params["lr_step_size"], patience=params["patience"],
        device=params["device"], random_state=seed, **architecture)


def _complexity(params, n_classes, image_shape):
    architecture = {k: params[k] for k in
                    ("patch_width", "embed_dim", "depth", "n_heads", "mlp_ratio", "dropout")}
    channels, height, width = image_shape
    teacher = TeacherViT(n_classes, height=height, in_channels=channels,
                         stem_channels=params["stem_channels"], **architecture)
    student = StudentViT(n_classes, height=height, in_channels=channels, **architecture)
    shape = (1, channels, height, width)
    return {"teacher": flops_and_params(teacher, shape),
            "student": flops_and_params(student, shape)}


def _feature_l1(student, distilled, images):
    """Mean L1 between ``student``'s maps and the distilled run's teacher maps (its pairs)."""
    distiller = FeatureMapDistiller(student, distilled.teacher_, distilled.pairs_).eval()
    device = module_device(student)
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(images), 64):
            batch = to_device(images[start:start + 64], device)
            distances = distiller.pair_distances(student.forward_features(batch),
                                                 distilled.teacher_.forward_features(batch))
            total = total + distances.cpu().numpy() * len(batch)
    return total / len(images)


def _scores(y_true, y_pred):
    return {"wa": float(weighted_accuracy(y_true, y_pred)),
            "ua": float(unweighted_accuracy(y_true, y_pred))}


def _log(msg):
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def _summary(results, y):
    folds = results["folds"]
    idx = np.concatenate([f["test_index"] for f in folds])
    summary = {}
    for model in MODELS:
        was = [f[model]["wa"] for f in folds]
        uas = [f[model]["ua"] for f in folds]
        pred = np.concatenate([f[model]["y_pred"] for f in folds])
        summary[model] = {
            "wa_mean": float(np.mean(was)), "wa_std": float(np.std(was)),
            "ua_mean": float(np.mean(uas)), "ua_std": float(np.std(uas)),
            "pooled": _scores(y[idx], pred), "n_folds": len(folds),
        }
    summary["feature_l1_test"] = {
        model: float(np.mean([np.mean(f[f"feature_l1_test ({model})"]) for f in folds]))
        for model in MODELS[1:]
    }
    return summary


def table(results):
    """The summary table as Markdown."""
    complexity = results["complexity"]
    lines = ["| model | WA % (mean ± std) | UA % (mean ± std) | pooled WA % | pooled UA % | "
             "GFLOPs / image | params (M) |", "|---|---|---|---|---|---|---|"]
    for model in MODELS:
        s = results["summary"][model]
        c = complexity["teacher" if model == "teacher" else "student"]
        lines.append(
            f"| {model} | {100 * s['wa_mean']:.2f} ± {100 * s['wa_std']:.2f} | "
            f"{100 * s['ua_mean']:.2f} ± {100 * s['ua_std']:.2f} | "
            f"{100 * s['pooled']['wa']:.2f} | {100 * s['pooled']['ua']:.2f} | "
            f"{c['flops'] / 1e9:.4f} | {c['params'] / 1e6:.3f} |")
    l1 = results["summary"]["feature_l1_test"]
    lines += ["", "Mean L1 between student and teacher maps on the test folds (distill pairs): "
              + ", ".join(f"{model} {value:.4f}" for model, value in l1.items())]
    return "\n".join(lines)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = _parse_args(argv)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    params = _estimator_params(args)
    results = {
        "command": "python benchmarks/vit_distillation.py " + " ".join(map(shlex.quote, argv)),
        "settings": {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(args).items()},
        "machine": {
            "platform": platform.platform(), "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
            "sklearn": sklearn.__version__, "python": platform.python_version(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        },
        "folds": [],
    }

    def save():
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(results, indent=1, default=str))
        tmp.replace(out)

    bunch = load_emodb(data_home=args.data_home)
    y = np.asarray(bunch.target)
    _log(f"log-mel images for {len(y)} EmoDB files")
    start = time.perf_counter()
    images = LogMelImage(size=(args.image_size, args.image_size), memory=args.cache,
                         n_jobs=args.n_jobs).fit_transform(bunch.filenames)
    results["feature_seconds"] = time.perf_counter() - start
    results["complexity"] = _complexity(params, len(np.unique(y)), images.shape[1:])
    save()
    if args.protocol == "stratified":
        splits = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed).split(images, y)
    else:
        splits = SpeakerKFold(args.folds, shuffle=True, random_state=args.seed).split(
            images, y, groups=np.asarray(bunch.speaker))

    for fold, (train, test) in enumerate(splits):
        record = {"fold": fold, "n_train": int(len(train)), "n_test": int(len(test)),
                  "test_index": test.tolist()}
        start = time.perf_counter()
        distilled = DistilledViTClassifier(**params).fit(images[train], y[train])
        record["distilled_fit_seconds"] = time.perf_counter() - start
        record["stage_seconds"] = distilled.fit_times_
        record["epochs_run"] = {k: len(h) for k, h in distilled.histories_.items()}
        for model, network in (("teacher", "teacher"), ("distilled student", "student")):
            pred = distilled.predict(images[test], network=network)
            record[model] = {**_scores(y[test], pred), "y_pred": pred.tolist()}
        record["feature_l1_test (distilled student)"] = distilled.feature_distances(
            images[test]).tolist()
        plain_epochs = {"plain student": params["student_epochs"],
                        "plain student (equal epochs)": (params["matching_epochs"]
                                                         + params["student_epochs"])}
        record["plain_fit_seconds"] = 0.0
        for model, max_epochs in plain_epochs.items():
            start = time.perf_counter()
            plain = _plain_student(params, distilled.seed_, max_epochs).fit(images[train],
                                                                           y[train])
            record["plain_fit_seconds"] += time.perf_counter() - start
            record["epochs_run"][model] = len(plain.history)
            pred = plain.predict(images[test])
            record[model] = {**_scores(y[test], pred), "y_pred": pred.tolist()}
            record[f"feature_l1_test ({model})"] = _feature_l1(
                plain.module_, distilled, images[test]).tolist()
        results["folds"].append(record)
        results["summary"] = _summary(results, y)
        save()
        _log(f"fold {fold}: " + ", ".join(
            f"{m} WA {record[m]['wa']:.3f} UA {record[m]['ua']:.3f}" for m in MODELS)
            + f" ({record['distilled_fit_seconds'] + record['plain_fit_seconds']:.0f} s)")

    print()
    print(table(results))
    print(f"\nresults: {out}")
    return results


if __name__ == "__main__":
    main()
