"""Screen VACNN training recipes on EmoDB (how the reproduction's recipe was chosen).

Trains ``VACNNClassifier`` (VACNN alone, from scratch) on the first ``--folds``
folds of the stratified 5-fold split of EmoDB used by
``benchmarks/reproduce_vacnn.py`` (same seed, same images), once per recipe,
and reports for each recipe the mean **internal validation accuracy** (the
early-stopping split carved out of each training part) next to the test
accuracy. Recipes are compared on the validation accuracy, which never sees a
test fold; the test accuracy is printed beside it to show whether both rank the
recipes alike (in our runs they did not always: see docs/vacnn_reproduction.md).

Recipes (``--recipes``, comma-separated names):

``paper``
    Adam lr 1e-3, tenfold decay every 10 epochs, at most 40 epochs, patience 10.
``paper-augment``
    The same with :class:`~sklearn_ser.models.SpecAugment`.
``lr1e-4``
    lr 1e-4, decay every 30 epochs, at most 50 epochs, patience 15.
``lr1e-4-augment``
    The same with SpecAugment.
``lr3e-4``
    lr 3e-4, decay every 30 epochs, at most 50 epochs, patience 15.
``lr1e-4-long``
    lr 1e-4, decay every 60 epochs, at most 100 epochs, patience 25.
``lr1e-4-augment-long``
    The same with SpecAugment (the recipe of the reproduction's tuned runs).

Examples
--------
::

    SKLEARN_SER_DATA=../shared/corpora python benchmarks/vacnn_recipe_screen.py \\
        --cache /tmp/sercache --out results/recipe_screen.json
"""

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

from sklearn_ser.datasets import load_emodb
from sklearn_ser.estimators import VACNNClassifier
from sklearn_ser.features import LogMelImage
from sklearn_ser.models import SpecAugment

RECIPES = {
    "paper": dict(lr=1e-3, lr_step_size=10, max_epochs=40, patience=10),
    "paper-augment": dict(lr=1e-3, lr_step_size=10, max_epochs=40, patience=10, augment=True),
    "lr1e-4": dict(lr=1e-4, lr_step_size=30, max_epochs=50, patience=15),
    "lr1e-4-augment": dict(lr=1e-4, lr_step_size=30, max_epochs=50, patience=15, augment=True),
    "lr3e-4": dict(lr=3e-4, lr_step_size=30, max_epochs=50, patience=15),
    "lr1e-4-long": dict(lr=1e-4, lr_step_size=60, max_epochs=100, patience=25),
    "lr1e-4-augment-long": dict(lr=1e-4, lr_step_size=60, max_epochs=100, patience=25,
                                augment=True),
}


def _parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-home", default=None)
    p.add_argument("--recipes", default=",".join(RECIPES))
    p.add_argument("--folds", type=int, default=3, help="first folds of the 5-fold split")
    p.add_argument("--image-size", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cache", default=None)
    p.add_argument("--out", default="results/recipe_screen.json")
    return p.parse_args(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = _parse_args(argv)
    unknown = sorted(set(args.recipes.split(",")) - set(RECIPES))
    if unknown:
        raise SystemExit(f"Unknown recipe(s) {unknown}; choose among {', '.join(RECIPES)}.")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(out.read_text()) if out.exists() else {"recipes": {}}
    results.setdefault("commands", []).append(
        "python benchmarks/vacnn_recipe_screen.py " + " ".join(map(shlex.quote, argv)))
    bunch = load_emodb(data_home=args.data_home)
    X = LogMelImage(size=(args.image_size,) * 2, memory=args.cache).fit_transform(
        bunch.filenames)
    y = np.asarray(bunch.target)
    splits = list(StratifiedKFold(5, shuffle=True, random_state=args.seed).split(X, y))
    for name in args.recipes.split(","):
        recipe = dict(RECIPES[name])
        augment = recipe.pop("augment", False)
        runs = results["recipes"].setdefault(name, {"recipe": RECIPES[name], "folds": []})
        done = {f["fold"] for f in runs["folds"]}
        for fold in range(args.folds):
            if fold in done:
                continue
            train, test = splits[fold]
            start = time.perf_counter()
            clf = VACNNClassifier(module__augment=SpecAugment() if augment else None,
                                  random_state=args.seed, device="cpu", **recipe)
            clf.fit(X[train], y[train])
            history = clf.history
            best = int(np.argmax(history[:, "valid_acc"]))
            runs["folds"].append({
                "fold": fold, "test_accuracy": float(np.mean(clf.predict(X[test]) == y[test])),
                "valid_accuracy": float(history[best, "valid_acc"]), "best_epoch": best + 1,
                "epochs_run": len(history), "fit_seconds": time.perf_counter() - start})
            f = runs["folds"][-1]
            print(f"{name} fold {fold}: valid {f['valid_accuracy']:.3f} test "
                  f"{f['test_accuracy']:.3f} (best epoch {f['best_epoch']} of "
                  f"{f['epochs_run']}, {f['fit_seconds']:.0f} s)", flush=True)
            out.write_text(json.dumps(results, indent=1))
    print("\n| recipe | folds | mean validation accuracy | mean test accuracy | epochs run |")
    print("|---|---|---|---|---|")
    for name, runs in results["recipes"].items():
        folds = runs["folds"]
        print(f"| {name} | {len(folds)} | "
              f"{100 * np.mean([f['valid_accuracy'] for f in folds]):.1f} % | "
              f"{100 * np.mean([f['test_accuracy'] for f in folds]):.1f} ± "
              f"{100 * np.std([f['test_accuracy'] for f in folds]):.1f} % | "
              f"{','.join(str(f['epochs_run']) for f in folds)} |")
    out.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
