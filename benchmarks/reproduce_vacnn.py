"""Reproduce the VACNN + BOVW 5-fold tables (Seo & Kim 2020, Table 3).

For every target corpus asked for, and for both protocols (stratified 5-fold
as in the paper, and speaker-grouped 5-fold), train and score four variants:

``pure``
    VACNN+BOVW trained from scratch (nothing pretrained, nothing frozen).
``finetuned``
    VACNN+BOVW whose encoder starts from a VACNN pretrained on the source
    corpus, stem and VA block 1 frozen.
``finetuned-cbam``
    The same with CBAM attention (pretrained with CBAM too): the ablation.
``vacnn``
    VACNN alone, trained from scratch on the target corpus.

The log-mel images are stateless per file, so they are computed once for the
whole corpus (cached on disk). Everything fitted (BOVW vocabulary, network)
is fitted inside each fold on that fold's training part only: each fold runs
``make_pipeline(BOVWEncoder(output="dict"), VACNNBOVWClassifier(...))`` on the
training images. The early-stopping validation split is carved out of the
training part (20 %), never from the test fold.

``--transfer`` adds the EmoDB speaker-split experiment (the issue's stand-in
for TESS+RAVDESS pretraining when only EmoDB is at hand): pretrain VACNN on
EmoDB speakers 03 08 09 10 11, then fine-tune VACNN+BOVW with stratified
5-fold on speakers 12 13 14 15 16, against VACNN+BOVW from scratch on the
same folds.

Results go to ``--out`` (JSON, rewritten after every fold so an interrupted
run resumes where it stopped) and a Markdown summary next to it.
``--fold-jobs 2`` trains two folds side by side, each in its own process with
one torch thread, which uses two CPU cores better than one process with two
torch threads; only the main process writes the results file.
``--only-folds 3,4`` trains just those folds of the split (to spread one run
over several sessions or machines).

Training recipe: the paper's by default (Adam lr 1e-3, tenfold decay every 10
epochs, no augmentation); ``--lr``, ``--lr-step`` and ``--augment``
(:class:`~sklearn_ser.models.SpecAugment` in every network, pretraining
included) change it for every network alike; ``--pretrain-lr-step`` and
``--pretrain-patience`` give the pretraining its own schedule. The pretrained
files are named after the recipe and the pretraining length, so runs with
different recipes never share one. ``--refit-full`` retrains every target
fold on its whole training part, validation split included, for the epoch
count early stopping picked (``refit_full=True`` of the estimators); the
pretraining is left as it is, so the same pretrained file serves both.

Examples
--------
::

    SKLEARN_SER_DATA=../shared/corpora python benchmarks/reproduce_vacnn.py \\
        --image-size 128 --epochs 20 --pretrain-epochs 20 --cache /tmp/sercache \\
        --out results/vacnn_128.json --transfer
    # the recipe of docs/vacnn_reproduction.md's best run
    SKLEARN_SER_DATA=../shared/corpora python benchmarks/reproduce_vacnn.py \\
        --image-size 128 --epochs 100 --pretrain-epochs 100 --patience 25 --lr 1e-4 \\
        --lr-step 60 --augment --cache /tmp/sercache --out results/tuned/vacnn_128.json
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
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from skorch.callbacks import Callback

from sklearn_ser.datasets import load_corpus
from sklearn_ser.estimators import VACNNBOVWClassifier, VACNNClassifier
from sklearn_ser.features import BOVWEncoder, LogMelImage
from sklearn_ser.metrics import emotion_report, unweighted_accuracy
from sklearn_ser.model_selection import SpeakerKFold
from sklearn_ser.models import SpecAugment
from sklearn_ser.pretraining import pretrain_vacnn, subset_bunch

#: Seo & Kim (2020), Table 3: 5-fold overall accuracy (%).
PAPER = {
    "ravdess": {"pure": 72.0, "finetuned": 83.33, "finetuned-cbam": 77.0, "vacnn": 74.31},
    "emodb": {"pure": 77.0, "finetuned": 86.92, "finetuned-cbam": 81.0, "vacnn": 79.44},
    "savee": {"pure": 69.0, "finetuned": 75.00, "finetuned-cbam": 72.0, "vacnn": 64.58},
}
VARIANTS = ("finetuned", "pure", "vacnn", "finetuned-cbam")
PROTOCOLS = ("stratified", "speaker")
TRANSFER_SOURCE = ["03", "08", "09", "10", "11"]
TRANSFER_TARGET = ["12", "13", "14", "15", "16"]


def _parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-home", default=None)
    p.add_argument("--targets", default="emodb", help="comma-separated target corpora")
    p.add_argument("--source", default="ravdess",
                   help="pretraining corpus/corpora ('+'-joined), harmonised to 7 classes")
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--protocols", default=",".join(PROTOCOLS))
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--only-folds", default=None,
                   help="comma-separated fold numbers (0-based) to train, e.g. '3,4'; the "
                        "splits are still those of --folds folds, and the summary covers the "
                        "folds present in the results file (default: all)")
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--epochs", type=int, default=30, help="max epochs per fold")
    p.add_argument("--pretrain-epochs", type=int, default=30)
    p.add_argument("--patience", type=int, default=10)
    p.add_argument("--pretrain-patience", type=int, default=None,
                   help="early-stopping patience of the pretraining (default: --patience)")
    p.add_argument("--lr", type=float, default=1e-3,
                   help="Adam learning rate of every network (paper: 1e-3)")
    p.add_argument("--lr-step", type=int, default=10,
                   help="epochs between tenfold learning-rate decays (paper: 10)")
    p.add_argument("--pretrain-lr-step", type=int, default=None,
                   help="epochs between decays in the pretraining (default: --lr-step)")
    p.add_argument("--augment", action="store_true",
                   help="SpecAugment in every network, pretraining included (not in the paper)")
    p.add_argument("--refit-full", action="store_true",
                   help="after early stopping picks the epoch count on the validation split, "
                        "retrain each fold on its whole training part for that many epochs "
                        "(refit_full=True; target corpus only, not the pretraining)")
    p.add_argument("--n-words", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--cache", default=None, help="feature cache folder (outside the repo)")
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--fold-jobs", type=int, default=1,
                   help="folds trained side by side, one process (and one torch thread) each")
    p.add_argument("--out", default="results/reproduce_vacnn.json")
    p.add_argument("--allow-leak", action="store_true",
                   help="run the fine-tuned variants even on a target the pretraining source "
                        "contains (Seo & Kim 2020's RAVDESS protocol); the records say 'leak'")
    p.add_argument("--transfer", action="store_true",
                   help="also run the EmoDB speaker-split transfer experiment")
    p.add_argument("--transfer-only", action="store_true")
    return p.parse_args(argv)


def _fold_numbers(only_folds, n_folds):
    """The fold numbers of ``--only-folds`` as a set, each checked against ``--folds``."""
    wanted = {int(f) for f in only_folds.split(",")}
    bad = sorted(f for f in wanted if not 0 <= f < n_folds)
    if bad:
        raise ValueError(f"--only-folds {only_folds!r} names folds {bad}, but the split has "
                         f"folds 0 to {n_folds - 1}; pass numbers in that range")
    return wanted


class HeldOutPredictions(Callback):
    """Predict the test fold at the end of every training run of a network.

    With ``refit_full=True`` a fit trains twice: the run that picks the epoch
    count on the validation split (its best-validation weights restored when
    it ends), then the run on the whole training part. This callback records
    the test-fold predictions of both, so one fit scores the first run's model
    and the refitted one on the same fold, images and vocabulary. It only
    reads the test fold; nothing fitted depends on it.
    """

    def __init__(self, transform, X_test):
        self.transform = transform
        self.X_test = X_test
        self.predictions = []

    def on_train_end(self, net, **kwargs):
        self.predictions.append(net.predict(self.transform(self.X_test)))


def fit_fold(estimator, images, y, fold, train, test):
    """Fit a clone of ``estimator`` on one fold's training part and score its test part."""
    est = clone(estimator)
    net = est[-1] if hasattr(est, "steps") else est
    held_out = None
    if net.refit_full:
        transform = est[:-1].transform if hasattr(est, "steps") else (lambda X: X)
        held_out = HeldOutPredictions(transform, images[test])
        net.set_params(callbacks=[("held_out", held_out)])
    start = time.perf_counter()
    est.fit(images[train], y[train])
    fit_seconds = time.perf_counter() - start
    pred = est.predict(images[test])
    # with refit_full the validation scores are in the first run's history
    history = getattr(net, "selection_history_", net.history)
    record = {
        "fold": fold, "n_train": int(len(train)), "n_test": int(len(test)),
        "accuracy": float(np.mean(pred == y[test])),
        "unweighted_accuracy": float(unweighted_accuracy(y[test], pred)),
        "fit_seconds": fit_seconds, "epochs_run": len(history),
        "best_valid_acc": float(max(history[:, "valid_acc"])),
        "test_index": test.tolist(), "y_pred": pred.tolist(),
    }
    if held_out is not None:
        selection_pred, refit_pred = held_out.predictions
        assert np.array_equal(refit_pred, pred)
        record.update({
            "refit_epochs": int(net.best_epoch_),
            "selection_accuracy": float(np.mean(selection_pred == y[test])),
            "selection_unweighted_accuracy": float(unweighted_accuracy(y[test],
                                                                       selection_pred)),
            "selection_y_pred": selection_pred.tolist(),
        })
    if hasattr(est, "steps"):
        record["n_words"] = int(est[0].n_words_)
    return record


class Runner:
    """Holds the settings, the results file and the fitted pretrained files."""

    def __init__(self, args, argv):
        self.args = args
        # Folds to train (None: all). Checked first, before anything is written or computed.
        self.only_folds = (None if args.only_folds is None
                           else _fold_numbers(args.only_folds, args.folds))
        self.out = Path(args.out)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        if self.out.exists():
            self.results = json.loads(self.out.read_text())
        else:
            self.results = {"runs": {}, "pretraining": {}}
        self.command = "python benchmarks/reproduce_vacnn.py " + " ".join(
            map(shlex.quote, argv))
        self.results.setdefault("commands", []).append(self.command)
        self.results.setdefault("settings", []).append(vars(args))
        self.results["machine"] = {
            "platform": platform.platform(), "processor": platform.processor(),
            "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "python": platform.python_version(), "torch": torch.__version__,
            "sklearn": sklearn.__version__,
        }
        self.frontend = LogMelImage(size=(args.image_size, args.image_size), memory=args.cache,
                                    n_jobs=args.n_jobs)
        self.save()

    def save(self):
        tmp = self.out.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.results, indent=1, default=str))
        tmp.replace(self.out)

    def log(self, msg):
        print(time.strftime("%H:%M:%S"), msg, flush=True)

    # -- estimators -------------------------------------------------------------------------
    def net_params(self, max_epochs, pretraining=False):
        a = self.args
        lr_step, patience = a.lr_step, a.patience
        if pretraining:
            lr_step, patience = self.pretrain_lr_step, self.pretrain_patience
        return dict(max_epochs=max_epochs, patience=patience, lr=a.lr, lr_step_size=lr_step,
                    module__augment=SpecAugment() if a.augment else None, device=a.device,
                    refit_full=a.refit_full and not pretraining,
                    random_state=a.seed, verbose=0)

    @property
    def pretrain_lr_step(self):
        a = self.args
        return a.lr_step if a.pretrain_lr_step is None else a.pretrain_lr_step

    @property
    def pretrain_patience(self):
        a = self.args
        return a.patience if a.pretrain_patience is None else a.pretrain_patience

    def recipe_tag(self):
        """Names the pretraining recipe in pretrained file names.

        Every setting that changes the pretrained weights is in the name (the
        paper's learning rate and step are left out), so runs with different
        recipes or pretraining lengths never share a file.
        """
        a = self.args
        tag = "" if (a.lr, a.lr_step) == (1e-3, 10) else f"_lr{a.lr:g}-step{a.lr_step}"
        tag += "_specaugment" if a.augment else ""
        tag += f"_e{a.pretrain_epochs}"
        if self.pretrain_lr_step != a.lr_step:
            tag += f"-step{self.pretrain_lr_step}"
        if self.pretrain_patience != a.patience:
            tag += f"-patience{self.pretrain_patience}"
        return tag

    def pretrained_file(self, attention, corpora, speakers=None, harmonize="pretraining",
                        tag=None):
        tag = tag or f"{corpora.replace('+', '-')}_{attention}"
        path = (self.out.parent
                / f"pretrained_{tag}_{self.args.image_size}{self.recipe_tag()}.pt")
        if not path.exists():
            self.log(f"pretraining {attention} VACNN on {corpora} -> {path}")
            est = VACNNClassifier(module__attention=attention,
                                  **self.net_params(self.args.pretrain_epochs, pretraining=True))
            pretrain_vacnn(corpora, path, data_home=self.args.data_home, speakers=speakers,
                           harmonize=harmonize,
                           image_params={"size": (self.args.image_size,) * 2},
                           memory=self.args.cache, n_jobs=self.args.n_jobs, estimator=est,
                           command=self.command)
            meta = json.loads(Path(str(path) + ".json").read_text())
            self.results["pretraining"][tag] = {
                k: meta[k] for k in ("corpora", "speakers", "classes", "counts", "n_items",
                                     "best_valid_acc", "train_seconds", "feature_seconds")}
            self.results["pretraining"][tag]["epochs_run"] = len(meta["history"])
            self.results["pretraining"][tag]["file"] = str(path)
            self.save()
            self.log(f"  best validation accuracy {meta['best_valid_acc']:.4f}, "
                     f"{meta['train_seconds']:.0f} s")
        return str(path)

    def make_estimator(self, variant, pretrained=None):
        params = self.net_params(self.args.epochs)
        if variant == "vacnn":
            return VACNNClassifier(**params)
        bovw = BOVWEncoder(n_words=self.args.n_words, output="dict", memory=self.args.cache,
                           n_jobs=self.args.n_jobs, random_state=self.args.seed)
        if variant == "pure":
            clf = VACNNBOVWClassifier(**params)
        elif variant == "finetuned":
            clf = VACNNBOVWClassifier(pretrained=pretrained, freeze="va1", **params)
        elif variant == "finetuned-cbam":
            clf = VACNNBOVWClassifier(module__attention="cbam", pretrained=pretrained,
                                      freeze="va1", **params)
        else:
            raise ValueError(f"unknown variant {variant!r}; choose from {VARIANTS}")
        return make_pipeline(bovw, clf)

    # -- one cross-validated run ---------------------------------------------------------------
    def run_cv(self, key, estimator, images, y, splits, meta):
        run = self.results["runs"].setdefault(key, {"folds": [], **meta})
        done = {f["fold"] for f in run["folds"]}
        todo = [(fold, train, test) for fold, (train, test) in enumerate(splits)
                if fold not in done and (self.only_folds is None or fold in self.only_folds)]
        if self.args.fold_jobs > 1 and len(todo) > 1:
            # One process per fold, each with one torch thread; records come back
            # as folds finish and are saved by this process alone.
            records = Parallel(n_jobs=self.args.fold_jobs, return_as="generator_unordered")(
                delayed(fit_fold)(estimator, images, y, fold, train, test)
                for fold, train, test in todo)
        else:
            records = (fit_fold(estimator, images, y, fold, train, test)
                       for fold, train, test in todo)
        for record in records:
            run["folds"].append(record)
            self.save()
            self.log(f"{key} fold {record['fold']}: acc {record['accuracy']:.4f} "
                     f"UA {record['unweighted_accuracy']:.4f} ({record['fit_seconds']:.0f} s, "
                     f"{record['epochs_run']} epochs)")
        self.summarise(key, y)

    def summarise(self, key, y):
        run = self.results["runs"][key]
        folds = sorted(run["folds"], key=lambda f: f["fold"])
        idx = np.concatenate([f["test_index"] for f in folds])
        pred = np.concatenate([f["y_pred"] for f in folds])
        accs = [f["accuracy"] for f in folds]
        uas = [f["unweighted_accuracy"] for f in folds]
        report = emotion_report(y[idx], pred)
        run["summary"] = {
            "n_folds": len(folds),
            "accuracy_mean": float(np.mean(accs)), "accuracy_std": float(np.std(accs)),
            "ua_mean": float(np.mean(uas)), "ua_std": float(np.std(uas)),
            "pooled": report.to_dict(),
            "fit_seconds_total": float(sum(f["fit_seconds"] for f in folds)),
            "epochs_run": [f["epochs_run"] for f in folds],
        }
        self.save()

    # -- experiments -------------------------------------------------------------------------
    def images_of(self, bunch):
        self.log(f"log-mel images for {len(bunch.filenames)} files")
        return self.frontend.fit_transform(bunch.filenames)

    def splits(self, protocol, y, speakers):
        if protocol == "stratified":
            cv = StratifiedKFold(self.args.folds, shuffle=True, random_state=self.args.seed)
            return list(cv.split(np.zeros(len(y)), y))
        if protocol == "speaker":
            cv = SpeakerKFold(self.args.folds, shuffle=True, random_state=self.args.seed)
            return list(cv.split(np.zeros(len(y)), y, groups=speakers))
        raise ValueError(f"unknown protocol {protocol!r}; choose from {PROTOCOLS}")

    def reproduce(self):
        a = self.args
        for target in a.targets.split(","):
            bunch = load_corpus(target, data_home=a.data_home)
            y = np.asarray(bunch.target)
            images = self.images_of(bunch)
            for protocol in a.protocols.split(","):
                splits = self.splits(protocol, y, np.asarray(bunch.speaker))
                for variant in a.variants.split(","):
                    leak = variant.startswith("finetuned") and target in a.source.split("+")
                    if leak and not a.allow_leak:
                        self.log(f"skip {target}/{variant}: the pretraining source contains "
                                 "the target corpus, so test folds would leak into pretraining "
                                 "(--allow-leak runs it anyway, flagged)")
                        continue
                    pretrained = None
                    if variant.startswith("finetuned"):
                        attention = "cbam" if variant.endswith("cbam") else "va"
                        pretrained = self.pretrained_file(attention, a.source)
                    key = f"{target}/{protocol}/{variant}"
                    self.run_cv(key, self.make_estimator(variant, pretrained), images, y, splits,
                                {"target": target, "protocol": protocol, "variant": variant,
                                 "source": a.source if variant.startswith("finetuned") else None,
                                 "leak": leak,
                                 "paper_accuracy": PAPER.get(target, {}).get(variant)})

    def transfer(self):
        a = self.args
        bunch = load_corpus("emodb", data_home=a.data_home)
        pretrained = self.pretrained_file("va", "emodb", speakers=TRANSFER_SOURCE,
                                          harmonize=None, tag="emodb-03-08-09-10-11_va")
        target = subset_bunch(bunch, np.isin(bunch.speaker, TRANSFER_TARGET))
        y = np.asarray(target.target)
        images = self.images_of(target)
        splits = self.splits("stratified", y, None)
        for variant in ("finetuned", "pure"):
            key = f"emodb-speakers-12-16/stratified/{variant}"
            self.run_cv(key, self.make_estimator(variant, pretrained if variant == "finetuned"
                                                 else None), images, y, splits,
                        {"target": "emodb speakers 12-16", "protocol": "stratified",
                         "variant": variant, "paper_accuracy": None})


def markdown(results):
    """The summary tables as Markdown."""
    lines = ["Commands (in order; the results file resumes across them):", ""]
    lines += [f"    {c}" for c in results["commands"]]
    lines += ["",
             "| target | protocol | variant | folds | accuracy % (mean ± std) | UA % | "
             "pooled WA % | paper % | epochs run | fit time (s) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for run in results["runs"].values():
        s = run.get("summary")
        if not s:
            continue
        # The paper's figures are for its stratified protocol only.
        paper = run.get("paper_accuracy") if run["protocol"] == "stratified" else None
        lines.append(
            f"| {run['target']} | {run['protocol']} | {run['variant']} | {s['n_folds']} | "
            f"{100 * s['accuracy_mean']:.2f} ± {100 * s['accuracy_std']:.2f} | "
            f"{100 * s['ua_mean']:.2f} ± {100 * s['ua_std']:.2f} | "
            f"{100 * s['pooled']['weighted_accuracy']:.2f} | "
            f"{'' if paper is None else f'{paper:.2f}'} | "
            f"{','.join(map(str, s['epochs_run']))} | {s['fit_seconds_total']:.0f} |")
    for key, run in results["runs"].items():
        s = run.get("summary")
        if not s:
            continue
        p = s["pooled"]
        lines += ["", f"#### {key} (pooled out-of-fold predictions)", "",
                  "| emotion | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        for i, lab in enumerate(p["labels"]):
            lines.append(f"| {lab} | {p['precision'][i]:.2f} | {p['recall'][i]:.2f} | "
                         f"{p['f1'][i]:.2f} | {p['support'][i]} |")
        lines += ["", "Confusion matrix (rows true, columns predicted):", "",
                  "| | " + " | ".join(lab[:4] for lab in p["labels"]) + " |",
                  "|---" * (len(p["labels"]) + 1) + "|"]
        for lab, row in zip(p["labels"], p["confusion_matrix"]):
            lines.append(f"| {lab} | " + " | ".join(map(str, row)) + " |")
    if results.get("pretraining"):
        lines += ["", "Pretraining:", "", "| tag | items | classes | best valid acc | epochs | "
                  "train time (s) |", "|---|---|---|---|---|---|"]
        for tag, m in results["pretraining"].items():
            lines.append(f"| {tag} | {m['n_items']} | {len(m['classes'])} | "
                         f"{m['best_valid_acc']:.4f} | {m['epochs_run']} | "
                         f"{m['train_seconds']:.0f} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = _parse_args(argv)
    runner = Runner(args, argv)
    if not args.transfer_only:
        runner.reproduce()
    if args.transfer or args.transfer_only:
        runner.transfer()
    md = markdown(runner.results)
    Path(args.out).with_suffix(".md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
