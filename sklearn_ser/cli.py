"""The ``sklearn-ser`` command line: evaluate, pretrain, fit, predict, explain.

Installed as the ``sklearn-ser`` console script (also ``python -m sklearn_ser``).
Every subcommand has a complete ``--help``. Errors print one line,
``sklearn-ser: error: ...``, on stderr and exit with status 2 (bad arguments)
or 1 (anything else); ``--debug`` shows the traceback instead.

Subcommands::

    sklearn-ser evaluate --corpus emodb --model vacnn-bovw --cv 5 [--groups speaker]
    sklearn-ser pretrain --corpus tess+ravdess --out vacnn.pt
    sklearn-ser fit --corpus emodb --model vacnn-bovw --pretrained vacnn.pt --out model/
    sklearn-ser predict model/ a.wav b.wav [--json]
    sklearn-ser explain model/ a.wav --method gradcam --method lime --out figures/

``evaluate`` cross-validates a model on a corpus with the toolkit's protocols
(:func:`~sklearn_ser.model_selection.make_cv`): stratified K-fold (the
papers'), speaker-independent K-fold (``--groups speaker``) or
leave-one-speaker-out (``--cv loso``). Log-mel images are computed once per
file (the front end is stateless); everything learned (BOVW vocabulary,
network, scaler) is fitted inside each fold on that fold's training part
only. It prints the per-emotion table of the pooled out-of-fold predictions
with WA and UA, and writes ``report.json``, ``confusion_matrix.png`` and
``predictions.csv`` to ``--out``.

Models (``--model``), the recipes of :mod:`sklearn_ser.recipes`:

``vacnn-bovw``
    ``LogMelImage`` -> ``BOVWEncoder(output="dict")`` ->
    :class:`~sklearn_ser.estimators.VACNNBOVWClassifier` (Seo & Kim 2020),
    fine-tuned from the network pretrained on TESS + RAVDESS that ships with
    the package (``--pretrained vacnn-tess-ravdess``, at its 128x128 images),
    from ``--pretrained FILE``, or from scratch with ``--pretrained none``;
``vacnn``
    ``LogMelImage`` -> :class:`~sklearn_ser.estimators.VACNNClassifier`;
``logmel-logreg``
    ``LogMelImage`` (64x64 by default) -> flatten -> ``StandardScaler`` ->
    ``LogisticRegression(C=0.01)``: the fast sanity baseline of
    ``examples/plot_emodb_baseline.py``;
``late-fusion``
    ``SegmentedLogMel`` (96x64 segments) -> ``GaussianDataSelector`` ->
    :class:`~sklearn_ser.estimators.LateFusionClassifier` (Kim & Kwak 2024; VGGish and
    YAMNet randomly initialised: the CLI loads no released weights);
``vit-distilled``
    ``LogMelImage`` (128x128) ->
    :class:`~sklearn_ser.estimators.DistilledViTClassifier` (Kim & Lee 2024;
    ``--epochs`` per stage);
``crnn``
    variable-length ``LogMelSpectrogram`` ->
    :class:`~sklearn_ser.estimators.CRNNClassifier` (Dai et al. 2019, center loss).

``--lr`` and ``--batch-size`` default to each estimator's own (paper) values;
``explain`` works on the image networks (``vacnn``, ``vacnn-bovw``).

``fit`` trains a model on a whole corpus and saves it with
:func:`sklearn_ser.persistence.save`; ``predict`` and ``explain`` load such a
folder with :func:`sklearn_ser.persistence.load`. Loading unpickles the
folder's ``estimator.joblib``: only use model folders you trust.
"""

import argparse
import csv
import json
import os
import shlex
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from .recipes import list_recipes, recipe_info

__all__ = ["main", "build_parser", "MODELS"]

PROG = "sklearn-ser"

#: The models the command line builds (``--model``): the recipes of :mod:`sklearn_ser.recipes`.
MODELS = tuple(list_recipes())
#: The shipped network ``--model vacnn-bovw`` fine-tunes from unless told otherwise.
DEFAULT_PRETRAINED = "vacnn-tess-ravdess"


def _models_text():
    lines = []
    for name in MODELS:
        recipe = recipe_info(name)
        text = recipe.summary + (f" ({recipe.citation})" if recipe.citation else "")
        lines.append(f"  {name:<14} {text}")
        if name == "vacnn-bovw":
            lines.append(f"  {'':<14} fine-tuned from the shipped {DEFAULT_PRETRAINED} unless "
                         "--pretrained says otherwise")
    return "\n".join(lines)


_DESCRIPTION = f"""\
Speech emotion recognition from spectrogram images (sklearn-ser).

models (--model):
{_models_text()}

Corpora are read from --data-home or $SKLEARN_SER_DATA (one folder per corpus)."""

_EXPLAIN_METHODS = ("gradcam", "lime", "occlusion")
_EXPLAIN_TITLES = {"gradcam": "Grad-CAM", "lime": "LIME", "occlusion": "Occlusion"}


class CommandLineError(Exception):
    """A bad command line: reported in one line, exit status 2."""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keep the descriptions' line breaks; show defaults that say something."""

    def _get_help_string(self, action):
        text = action.help or ""
        if ("(default" in text or action.default is None or action.default is False
                or action.default == argparse.SUPPRESS
                or action.option_strings == [] or isinstance(action.default, list)):
            return text
        return text + " (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise CommandLineError(f"{message} (see '{self.prog} --help')")


# --------------------------------------------------------------------------------------------
# argument types
# --------------------------------------------------------------------------------------------
def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _cv_value(text):
    if text.lower() == "loso":
        return "loso"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number of folds (>= 2) or 'loso', got {text!r}") from None
    if value < 2:
        raise argparse.ArgumentTypeError(
            f"expected a number of folds (>= 2) or 'loso', got {text!r}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


# --------------------------------------------------------------------------------------------
# the parser
# --------------------------------------------------------------------------------------------
def _common_options():
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("output and debugging")
    group.add_argument("-v", "--verbose", action="count", default=0,
                       help="show progress: feature bars (-v) and the networks' epoch tables")
    group.add_argument("--debug", action="store_true",
                       help="show the full traceback of an error")
    return common


def _data_options(parser):
    group = parser.add_argument_group("data")
    group.add_argument("--corpus", default="emodb", metavar="NAME",
                       help="corpus name, or several joined by '+' (emodb, ravdess, tess, savee, "
                            "crema_d)")
    group.add_argument("--data-home", default=None, metavar="DIR",
                       help="folder holding the corpus folders (default: $SKLEARN_SER_DATA, "
                            "else ~/sklearn_ser_data)")
    group.add_argument("--max-files", type=_positive_int, default=None, metavar="N",
                       help="use a stratified random subset of this many files (quick runs)")
    group.add_argument("--cache", default=None, metavar="DIR",
                       help="feature cache folder (log-mel images, KAZE descriptors)")
    group.add_argument("--n-jobs", type=int, default=None, metavar="N",
                       help="workers computing features")


def _model_options(parser):
    group = parser.add_argument_group("model")
    group.add_argument("--model", default="vacnn-bovw", choices=MODELS, metavar="MODEL",
                       help="what to train: " + ", ".join(MODELS)
                            + " (see 'sklearn-ser --help')")
    group.add_argument("--pretrained", default=None, metavar="NAME|FILE",
                       help="pretrained VACNN to fine-tune from: a network shipped with the "
                            f"package ({', '.join(_shipped_vacnn())}), a file from "
                            "'sklearn-ser pretrain', or 'none' to train from scratch; "
                            f"--model vacnn-bovw only (default: {DEFAULT_PRETRAINED})")
    group.add_argument("--image-size", type=_positive_int, default=None, metavar="N",
                       help="side of the square log-mel images (default: 224 for vacnn, "
                            "the pretrained network's own size for vacnn-bovw, 128 for "
                            "vit-distilled, 64 for logmel-logreg; late-fusion and crnn take "
                            "no images)")
    group.add_argument("--n-words", type=_positive_int, default=128, metavar="N",
                       help="BOVW vocabulary size (vacnn-bovw)")
    group.add_argument("--epochs", type=_positive_int, default=30, metavar="N",
                       help="maximum training epochs of the networks (per stage for "
                            "vit-distilled)")
    group.add_argument("--patience", type=_positive_int, default=10, metavar="N",
                       help="early-stopping patience in epochs")
    group.add_argument("--lr", type=_positive_float, default=None,
                       help="learning rate of the networks (default: the estimator's, "
                            "1e-3 for the VACNNs)")
    group.add_argument("--batch-size", type=_positive_int, default=None, metavar="N",
                       help="batch size of the networks (default: the estimator's, 8 for "
                            "the VACNNs)")
    group.add_argument("--lr-step", type=_positive_int, default=None, metavar="N",
                       help="epochs between tenfold learning-rate decays (vacnn, vacnn-bovw; "
                            "default: the paper's 10)")
    group.add_argument("--augment", action="store_true",
                       help="train with SpecAugment: time stretch and time/frequency masks "
                            "(vacnn, vacnn-bovw; not in the paper)")
    group.add_argument("--refit-full", action="store_true",
                       help="once early stopping has chosen the epoch count on the internal "
                            "validation split, train again on all of the training data for "
                            "that many epochs (vacnn, vacnn-bovw, crnn, late-fusion)")
    group.add_argument("--device", default="auto", metavar="DEVICE",
                       help="torch device: auto (CUDA when available), cpu, cuda, cuda:1...")
    group.add_argument("--seed", type=int, default=0, metavar="N",
                       help="seed of the subset, the folds, the vocabulary and the networks")


def build_parser():
    """Return the ``sklearn-ser`` argument parser (all subcommands).

    Returns
    -------
    parser : argparse.ArgumentParser

    Examples
    --------
    >>> from sklearn_ser.cli import build_parser
    >>> args = build_parser().parse_args(["evaluate", "--model", "vacnn", "--cv", "loso"])
    >>> args.command, args.model, args.cv
    ('evaluate', 'vacnn', 'loso')
    """
    from . import __version__

    common = _common_options()
    parser = _Parser(prog=PROG, formatter_class=_Formatter, description=_DESCRIPTION,
                     epilog="Run 'sklearn-ser COMMAND --help' for the options of each command.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    # -- evaluate ------------------------------------------------------------------------------
    p = sub.add_parser(
        "evaluate", parents=[common], formatter_class=_Formatter,
        help="cross-validate a model on a corpus; print and save WA/UA and the per-class table",
        description=(
            "Cross-validate a model on a corpus and report the pooled out-of-fold predictions:\n"
            "per-emotion precision/recall/F1, WA (overall accuracy) and UA (mean class recall).\n"
            "Writes report.json, confusion_matrix.png and predictions.csv to --out."),
        epilog=("examples:\n"
                "  sklearn-ser evaluate --corpus emodb --model logmel-logreg\n"
                "  sklearn-ser evaluate --corpus emodb --model vacnn-bovw --cv 5 "
                "--groups speaker \\\n"
                "      --pretrained vacnn_ravdess.pt\n"
                "  sklearn-ser evaluate --model vacnn --max-files 40 --cv 2 --image-size 32 \\\n"
                "      --epochs 1"))
    _data_options(p)
    _model_options(p)
    group = p.add_argument_group("protocol")
    group.add_argument("--cv", type=_cv_value, default=5, metavar="K|loso",
                       help="number of folds, or 'loso' for leave-one-speaker-out")
    group.add_argument("--groups", choices=("none", "speaker"), default="none",
                       help="'speaker': no speaker in both the training and test part of a fold "
                            "(speaker-independent); 'none': stratified folds as in the papers")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="folder for report.json, confusion_matrix.png, predictions.csv "
                        "(default: sklearn-ser-results/CORPUS-MODEL-PROTOCOLK)")

    # -- pretrain ------------------------------------------------------------------------------
    p = sub.add_parser(
        "pretrain", parents=[common], formatter_class=_Formatter,
        help="pretrain a VACNN on corpora (seven harmonised classes) and save its weights",
        description=(
            "Pretrain a VACNN on one or more corpora with the seven harmonised classes and\n"
            "save its state dict (loadable with torch.load(..., weights_only=True)) and a\n"
            "FILE.json describing the run; 'evaluate/fit --pretrained FILE' fine-tune from it."),
        epilog="example:\n  sklearn-ser pretrain --corpus tess+ravdess --out vacnn.pt")
    p.add_argument("--corpus", default="tess+ravdess", metavar="NAME",
                   help="corpus name(s) joined by '+'")
    p.add_argument("--out", required=True, metavar="FILE", help="output parameter file (.pt)")
    p.add_argument("--data-home", default=None, metavar="DIR",
                   help="corpus root (default: $SKLEARN_SER_DATA)")
    p.add_argument("--speakers", default=None, metavar="IDS",
                   help="comma-separated speaker ids to keep, e.g. 03,08,09,10,11")
    p.add_argument("--attention", default="va", choices=("va", "cbam", "none"),
                   help="attention modules of the VACNN")
    p.add_argument("--augment", action="store_true",
                   help="train with SpecAugment (time stretch, time/frequency masks; not in "
                        "the paper)")
    p.add_argument("--image-size", type=_positive_int, default=224, metavar="N", help="image side")
    p.add_argument("--epochs", type=_positive_int, default=30, metavar="N", help="maximum epochs")
    p.add_argument("--patience", type=_positive_int, default=10, metavar="N",
                   help="early-stopping patience in epochs")
    p.add_argument("--lr", type=_positive_float, default=1e-3,
                   help="Adam learning rate (the paper's 1e-3)")
    p.add_argument("--lr-step", type=_positive_int, default=10, metavar="N",
                   help="epochs between tenfold learning-rate decays")
    p.add_argument("--cache", default=None, metavar="DIR", help="feature cache folder")
    p.add_argument("--n-jobs", type=int, default=None, metavar="N",
                   help="workers computing images")
    p.add_argument("--device", default="auto", help="torch device")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the network")

    # -- fit -----------------------------------------------------------------------------------
    p = sub.add_parser(
        "fit", parents=[common], formatter_class=_Formatter,
        help="train a model on a whole corpus and save it to a folder",
        description=(
            "Train a model (log-mel front end included) on every file of a corpus and save\n"
            "it with sklearn_ser.persistence.save: network weights as state dicts, the rest\n"
            "with joblib, and a manifest. 'predict' and 'explain' load the folder."),
        epilog=("example:\n"
                "  sklearn-ser fit --corpus emodb --model vacnn-bovw --pretrained vacnn.pt \\\n"
                "      --out models/emodb-vacnn-bovw"))
    _data_options(p)
    _model_options(p)
    p.add_argument("--out", required=True, metavar="MODEL_DIR", help="folder to save the model to")
    p.add_argument("--force", action="store_true",
                   help="replace an existing model folder at --out")

    # -- predict -------------------------------------------------------------------------------
    p = sub.add_parser(
        "predict", parents=[common], formatter_class=_Formatter,
        help="print the emotion and class probabilities of audio files with a saved model",
        description=("Predict the emotion of audio files with a model saved by 'sklearn-ser fit'\n"
                     "(or sklearn_ser.persistence.save). Only load model folders you trust:\n"
                     "their estimator.joblib is a pickle."),
        epilog="example:\n  sklearn-ser predict models/emodb-vacnn-bovw a.wav b.wav --json")
    p.add_argument("model", metavar="MODEL", help="saved model folder")
    p.add_argument("audio", metavar="AUDIO", nargs="+", help="audio files (WAV, FLAC, OGG)")
    p.add_argument("--json", action="store_true",
                   help="print a JSON list of {file, emotion, probabilities} instead of a table")
    p.add_argument("--device", default="auto", help="torch device for the networks")

    # -- explain -------------------------------------------------------------------------------
    p = sub.add_parser(
        "explain", parents=[common], formatter_class=_Formatter,
        help="explain a saved network's prediction on an audio file (Grad-CAM, LIME, occlusion)",
        description=(
            "Explain which time-frequency regions of an utterance's log-mel image decide a saved\n"
            "network's emotion, with sklearn_ser.explain. Writes AUDIO_explanation.png (the\n"
            "spectrogram and one panel per method), AUDIO_gradcam.wav (the part of the audio\n"
            "Grad-CAM activates) and AUDIO_explanation.json to --out."),
        epilog=("example:\n"
                "  sklearn-ser explain models/emodb-vacnn-bovw 03a01Wa.wav --method gradcam \\\n"
                "      --method occlusion --out figures/"))
    p.add_argument("model", metavar="MODEL", help="saved model folder (a network pipeline)")
    p.add_argument("audio", metavar="AUDIO", help="audio file to explain")
    p.add_argument("--method", action="append", choices=_EXPLAIN_METHODS, default=None,
                   help="explanation method; repeat for several (default: gradcam)")
    p.add_argument("--target", default=None, metavar="EMOTION",
                   help="emotion to explain (default: the predicted one)")
    p.add_argument("--layer", default=None, metavar="NAME",
                   help="Grad-CAM layer name, e.g. encoder.va2 (default: the last feature map)")
    p.add_argument("--lime-samples", type=_positive_int, default=500, metavar="N",
                   help="perturbed images of LIME")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the figure and audio")
    p.add_argument("--device", default="auto", help="torch device for the network")
    p.add_argument("--seed", type=int, default=0, metavar="N",
                   help="seed of LIME's perturbations")
    return parser


# --------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------
def _command_line(argv):
    return " ".join([PROG] + [shlex.quote(a) for a in argv])


def _library_versions():
    from .utils._files import library_versions

    return library_versions()


def _load_data(args):
    from .datasets import load_corpus
    from .pretraining import subset_bunch

    bunch = load_corpus(args.corpus, data_home=args.data_home)
    n = len(bunch.filenames)
    if n == 0:
        raise ValueError(f"Corpus {args.corpus!r} holds no files.")
    if args.max_files is not None and args.max_files < n:
        from sklearn.model_selection import train_test_split

        n_classes = len(np.unique(bunch.target))
        if args.max_files < n_classes:
            raise CommandLineError(
                f"--max-files {args.max_files} is smaller than the {n_classes} emotions of "
                f"{args.corpus}; a stratified subset needs at least one file per emotion")
        keep, _ = train_test_split(np.arange(n), train_size=args.max_files,
                                   stratify=bunch.target, random_state=args.seed)
        bunch = subset_bunch(bunch, np.isin(np.arange(n), keep))
    return bunch


def _shipped_vacnn():
    from .models import list_pretrained_vacnn

    return list_pretrained_vacnn()


def _check_model_args(args):
    if args.pretrained is None and args.model == "vacnn-bovw":
        args.pretrained = DEFAULT_PRETRAINED
    if args.pretrained is not None and args.pretrained.lower() == "none":
        args.pretrained = None
    if args.pretrained is not None:
        if args.model != "vacnn-bovw":
            raise CommandLineError(
                f"--pretrained applies to --model vacnn-bovw only, not {args.model}")
        if args.pretrained in _shipped_vacnn():
            _check_shipped_image_size(args)
        elif not os.path.isfile(args.pretrained):
            raise CommandLineError(
                f"--pretrained {args.pretrained}: no such file and no shipped network of that "
                f"name ({', '.join(_shipped_vacnn())}); create a file with "
                "'sklearn-ser pretrain --out FILE', or pass 'none' to train from scratch")
    vacnn_only = [flag for flag, given in (("--augment", args.augment),
                                           ("--lr-step", args.lr_step is not None)) if given]
    if vacnn_only and args.model not in ("vacnn", "vacnn-bovw"):
        raise CommandLineError(
            f"{' and '.join(vacnn_only)} {'apply' if len(vacnn_only) > 1 else 'applies'} to "
            f"--model vacnn and vacnn-bovw only, not {args.model}")
    if getattr(args, "refit_full", False) and args.model in ("vit-distilled", "logmel-logreg"):
        raise CommandLineError(
            f"--refit-full applies to --model vacnn, vacnn-bovw, crnn and late-fusion only, "
            f"not {args.model}")
    default_size = recipe_info(args.model).image_size
    if default_size is None:
        if args.image_size is not None:
            raise CommandLineError(
                f"--image-size applies to the image models, not {args.model} (its front end "
                "keeps the spectrogram's own size)")
    elif args.image_size is None:
        args.image_size = default_size


def _check_shipped_image_size(args):
    """Image size of a shipped network: its own by default, a warning when told otherwise."""
    from .models import pretrained_vacnn_card

    side = pretrained_vacnn_card(args.pretrained)["image_size"][0]
    if args.image_size is None:
        args.image_size = side
    elif args.image_size != side:
        warnings.warn(
            f"--pretrained {args.pretrained} was pretrained on {side}x{side} images; "
            f"--image-size {args.image_size} gives it images of another scale. Omit "
            "--image-size to use the network's own size.", UserWarning, stacklevel=2)


def _pretraining_corpora(pretrained):
    """The corpora a pretrained network saw, from its model card or ``FILE.json`` record."""
    if pretrained in _shipped_vacnn():
        from .models import pretrained_vacnn_card

        return "+".join(pretrained_vacnn_card(pretrained)["corpora"])
    meta_path = Path(str(pretrained) + ".json")
    if not meta_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return str(meta.get("corpora", ""))


def _warn_pretraining_leak(pretrained, corpus):
    """Warn when the pretrained network has seen the evaluated corpus."""
    corpora = _pretraining_corpora(pretrained)
    if corpora is None:
        return
    seen = set(corpora.lower().replace("-", "_").split("+"))
    overlap = sorted(seen & set(corpus.lower().replace("-", "_").split("+")))
    if overlap:
        warnings.warn(
            f"{pretrained} was pretrained on {'+'.join(overlap)}, which is also evaluated: "
            "test utterances were seen in pretraining, so the scores are optimistic. Pretrain "
            "on other corpora (or on other speakers, with 'pretrain --speakers').",
            UserWarning, stacklevel=2)


def _pipeline(args):
    """The unfitted recipe of ``--model`` with the settings given on the command line."""
    from .recipes import get_recipe

    given = {"image_size": args.image_size, "n_words": getattr(args, "n_words", None),
             "pretrained": args.pretrained, "lr_step": args.lr_step, "augment": args.augment,
             "refit_full": getattr(args, "refit_full", False), "epochs": args.epochs,
             "patience": args.patience, "lr": args.lr, "batch_size": args.batch_size,
             "device": args.device, "random_state": args.seed, "n_jobs": args.n_jobs,
             "memory": args.cache, "verbose": args.verbose}
    accepted = recipe_info(args.model).params
    return get_recipe(args.model, **{k: v for k, v in given.items() if k in accepted})


def _frontend(args):
    return _pipeline(args)[0]


def _model_steps(args):
    """The steps after the front end, unfitted."""
    return [step for _, step in _pipeline(args).steps[1:]]


def _net_of(estimator):
    from .utils._networks import final_network

    net = final_network(estimator)
    return net if hasattr(net, "history_") else None


def _set_step_params(estimator, **params):
    """Set ``params`` on every pipeline step (or the estimator) that has them."""
    steps = [s for _, s in estimator.steps] if hasattr(estimator, "steps") else [estimator]
    for step in steps:
        if step in (None, "passthrough"):
            continue
        own = step.get_params(deep=False)
        values = {k: v for k, v in params.items() if k in own}
        if values:
            step.set_params(**values)


def _save_confusion_png(report, path, title):
    """The confusion matrix normalised per true emotion (each row's recall)."""
    from .explain.plotting import plot_confusion_matrix

    ax = plot_confusion_matrix(report, normalize="true")
    ax.set_title(title)
    ax.figure.savefig(path, dpi=120)
    _close(ax.figure)


# --------------------------------------------------------------------------------------------
# evaluate
# --------------------------------------------------------------------------------------------
def _protocol(args, speakers):
    from .model_selection import make_cv

    if args.cv == "loso":
        if args.groups == "none":
            args.groups = "speaker"
        return "loso", make_cv("loso", speakers=speakers)
    if args.groups == "speaker":
        return "speaker", make_cv("speaker", n_splits=args.cv, speakers=speakers,
                                  random_state=args.seed)
    return "stratified", make_cv("stratified", n_splits=args.cv, random_state=args.seed)


def _evaluate(args, argv):
    from sklearn.metrics import make_scorer
    from sklearn.model_selection import cross_validate

    from .metrics import emotion_report, unweighted_accuracy, weighted_accuracy

    _check_model_args(args)
    if args.pretrained is not None:
        _warn_pretraining_leak(args.pretrained, args.corpus)
    bunch = _load_data(args)
    files = np.asarray(bunch.filenames)
    y = np.asarray(bunch.target)
    speakers = np.asarray(bunch.speaker)
    protocol, cv = _protocol(args, speakers)
    groups = None if protocol == "stratified" else speakers
    n_splits = cv.get_n_splits(files, y, groups=groups)
    out = Path(args.out or Path("sklearn-ser-results") / (
        f"{args.corpus.replace('+', '-')}-{args.model}-{protocol}"
        + ("" if protocol == "loso" else str(args.cv))))
    print(f"{args.corpus}: {len(files)} files, {len(np.unique(y))} emotions, "
          f"{len(np.unique(speakers))} speakers; model {args.model}; {protocol} "
          f"{n_splits}-fold cross-validation (seed {args.seed})", flush=True)

    start = time.perf_counter()
    pipeline = _pipeline(args)
    # The front end is stateless: its features are computed once for all folds; everything
    # learned is fitted inside each fold on that fold's training part only.
    images = pipeline[0].fit_transform(files)
    feature_seconds = time.perf_counter() - start
    scores = cross_validate(
        pipeline[1:], images, y, groups=groups, cv=cv,
        scoring={"weighted_accuracy": make_scorer(weighted_accuracy),
                 "unweighted_accuracy": make_scorer(unweighted_accuracy)},
        return_estimator=True, return_indices=True, error_score="raise")

    y_pred = np.empty(len(y), dtype=object)
    fold_of = np.full(len(y), -1)
    folds = []
    for fold, (fitted, train, test) in enumerate(zip(
            scores["estimator"], scores["indices"]["train"], scores["indices"]["test"])):
        y_pred[test] = np.asarray(fitted.predict(images[test]))
        fold_of[test] = fold
        net = _net_of(fitted)
        record = {
            "fold": fold, "n_train": int(len(train)), "n_test": int(len(test)),
            "weighted_accuracy": float(scores["test_weighted_accuracy"][fold]),
            "unweighted_accuracy": float(scores["test_unweighted_accuracy"][fold]),
            "fit_seconds": round(float(scores["fit_time"][fold]), 3),
        }
        if net is not None:
            record["epochs"] = len(net.history_)
        folds.append(record)
        print(f"fold {fold + 1}/{n_splits}: WA {record['weighted_accuracy']:.3f}  "
              f"UA {record['unweighted_accuracy']:.3f}  ({len(train)} train / {len(test)} test, "
              f"{record['fit_seconds']:.1f} s)", flush=True)
    if (fold_of < 0).any():
        raise RuntimeError(f"{int((fold_of < 0).sum())} files were in no test fold.")
    y_pred = y_pred.astype(str)
    report = emotion_report(y, y_pred)
    was = np.array([f["weighted_accuracy"] for f in folds])
    uas = np.array([f["unweighted_accuracy"] for f in folds])
    summary = {"wa_mean": float(was.mean()), "wa_std": float(was.std()),
               "ua_mean": float(uas.mean()), "ua_std": float(uas.std())}
    total_seconds = time.perf_counter() - start

    print()
    print(report)
    print(f"Per fold: WA {summary['wa_mean']:.3f} +/- {summary['wa_std']:.3f}, "
          f"UA {summary['ua_mean']:.3f} +/- {summary['ua_std']:.3f} ({n_splits} folds, "
          f"{total_seconds:.1f} s)")

    out.mkdir(parents=True, exist_ok=True)
    settings = {k: v for k, v in vars(args).items() if k not in ("func", "debug")}
    result = {
        "command": _command_line(argv),
        "corpus": args.corpus, "model": args.model, "protocol": protocol,
        "n_splits": int(n_splits), "cv": repr(cv), "n_files": int(len(files)),
        "n_speakers": int(len(np.unique(speakers))),
        "settings": settings,
        "folds": folds, "summary": summary,
        "report": report.to_dict(),
        "timing": {"feature_seconds": round(feature_seconds, 3),
                   "total_seconds": round(total_seconds, 3)},
        "versions": _library_versions(),
    }
    (out / "report.json").write_text(json.dumps(result, indent=2, default=str))
    _save_confusion_png(report, out / "confusion_matrix.png",
                        f"{args.corpus} {args.model}, {protocol} {n_splits}-fold: "
                        f"UA {100 * report.unweighted_accuracy:.1f} %")
    with open(out / "predictions.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "speaker", "emotion", "predicted", "fold"])
        for row in zip(files, speakers, y, y_pred, fold_of):
            writer.writerow(row)
    print(f"wrote {out / 'report.json'}, {out / 'confusion_matrix.png'}, "
          f"{out / 'predictions.csv'}")
    return 0


# --------------------------------------------------------------------------------------------
# pretrain
# --------------------------------------------------------------------------------------------
def _pretrain(args, argv):
    from .estimators import VACNNClassifier
    from .models import SpecAugment
    from .pretraining import pretrain_vacnn

    estimator = VACNNClassifier(
        module__attention=None if args.attention == "none" else args.attention,
        module__augment=SpecAugment() if args.augment else None,
        max_epochs=args.epochs, patience=args.patience, lr=args.lr, lr_step_size=args.lr_step,
        device=args.device, random_state=args.seed, verbose=args.verbose)
    net = pretrain_vacnn(
        args.corpus, args.out, data_home=args.data_home,
        speakers=None if args.speakers is None else args.speakers.split(","),
        image_params={"size": (args.image_size, args.image_size)}, memory=args.cache,
        n_jobs=args.n_jobs, estimator=estimator, command=_command_line(argv),
        verbose=args.verbose)
    history = net.history_
    best = max(history[:, "valid_acc"]) if net.train_split is not None and len(history) else None
    best_text = "n/a" if best is None else f"{best:.4f}"
    print(f"saved {args.out} and {args.out}.json: classes {net.classes_.tolist()}, "
          f"{len(history)} epochs, best validation accuracy {best_text}")
    return 0


# --------------------------------------------------------------------------------------------
# fit / predict
# --------------------------------------------------------------------------------------------
def _fit(args, argv):
    from .persistence import save

    _check_model_args(args)
    out = Path(args.out)
    if out.exists() and not args.force:
        raise CommandLineError(f"--out {out} already exists; pass --force to replace it")
    bunch = _load_data(args)
    files = np.asarray(bunch.filenames)
    y = np.asarray(bunch.target)
    model = _pipeline(args)
    print(f"fitting {args.model} on {len(files)} files of {args.corpus} "
          f"({len(np.unique(y))} emotions)", flush=True)
    start = time.perf_counter()
    model.fit(files, y)
    fit_seconds = time.perf_counter() - start
    # The feature cache and worker count are this machine's business, not the model's.
    _set_step_params(model, memory=None, n_jobs=None, verbose=0)
    net = _net_of(model)
    metadata = {
        "command": _command_line(argv), "corpus": args.corpus, "model": args.model,
        "n_files": int(len(files)),
        "counts": {str(k): int(v) for k, v in zip(*np.unique(y, return_counts=True))},
        "settings": {k: v for k, v in vars(args).items() if k not in ("func", "debug")},
        "fit_seconds": round(fit_seconds, 3),
    }
    if net is not None:
        metadata["epochs"] = len(net.history_)
    save(model, out, overwrite=args.force, metadata=metadata)
    print(f"saved {out} ({fit_seconds:.1f} s): classes {np.asarray(model.classes_).tolist()}")
    return 0


def _load_model(args):
    from .persistence import load

    model = load(args.model, device=args.device)
    _set_step_params(model, verbose=args.verbose)
    return model


def _check_audio(paths):
    for path in paths:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"Audio file {path} does not exist.")


def _predict(args, argv):
    from .persistence import read_manifest

    read_manifest(args.model)  # a clear error for a wrong folder, before anything is read
    _check_audio(args.audio)
    model = _load_model(args)
    files = list(args.audio)
    classes = [str(c) for c in np.asarray(model.classes_).tolist()]
    if hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(files), dtype=float)
        emotions = [classes[i] for i in proba.argmax(axis=1)]
    else:
        proba = None
        emotions = [str(e) for e in model.predict(files)]
    rows = []
    for i, (file, emotion) in enumerate(zip(files, emotions)):
        row = {"file": file, "emotion": emotion}
        if proba is not None:
            row["probabilities"] = {c: float(p) for c, p in zip(classes, proba[i])}
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    name_width = max(len("file"), *(len(f) for f in files))
    emotion_width = max(len("emotion"), *(len(e) for e in emotions))
    head = f"{'file':<{name_width}}  {'emotion':<{emotion_width}}"
    if proba is not None:
        head += "".join(f"  {c:>{max(len(c), 5)}}" for c in classes)
    print(head)
    for i, row in enumerate(rows):
        line = f"{row['file']:<{name_width}}  {row['emotion']:<{emotion_width}}"
        if proba is not None:
            line += "".join(f"  {proba[i, j]:>{max(len(c), 5)}.3f}"
                            for j, c in enumerate(classes))
        print(line)
    return 0


# --------------------------------------------------------------------------------------------
# explain
# --------------------------------------------------------------------------------------------
def _explain(args, argv):
    from .audio import load_audio

    try:
        from . import explain
    except ImportError as exc:
        raise RuntimeError(
            f"sklearn_ser.explain cannot be imported ({exc}); 'explain' needs it.") from exc

    from .persistence import read_manifest

    read_manifest(args.model)
    _check_audio([args.audio])
    methods = list(dict.fromkeys(args.method or ["gradcam"]))
    model = _load_model(args)
    from .features import LogMelImage

    if (not hasattr(model, "steps") or _net_of(model) is None
            or not isinstance(model.steps[0][1], LogMelImage)):
        raise CommandLineError(
            f"{args.model} is not a log-mel image pipeline ending in a network (vacnn or "
            "vacnn-bovw); 'explain' supports those (use sklearn_ser.explain in Python for "
            "other networks)")
    X = [args.audio]
    classes = [str(c) for c in np.asarray(model.classes_).tolist()]
    if args.target is not None and args.target not in classes:
        raise CommandLineError(
            f"--target {args.target!r} is not one of the model's emotions: {', '.join(classes)}")
    proba = np.asarray(model.predict_proba(X), dtype=float)[0]
    predicted = classes[int(proba.argmax())]
    target = args.target or predicted

    features = X
    for _, step in model.steps[:-1]:
        features = step.transform(features)
    image = features["image"] if isinstance(features, dict) else features
    image = np.asarray(image)[0]
    if image.ndim == 3:
        image = image[0]
    sr = int(getattr(model.steps[0][1], "sr", 16000))
    waveform, sr = load_audio(args.audio, sr=sr)
    duration = len(waveform) / sr

    maps = {}
    for method in methods:
        if method == "gradcam":
            maps[method] = explain.grad_cam(model, X, target=target, layer=args.layer)[0]
        elif method == "lime":
            maps[method] = explain.lime_explanation(
                model, X, target=target, n_samples=args.lime_samples,
                random_state=args.seed).heatmaps[0]
        else:
            maps[method] = explain.occlusion_sensitivity(model, X, target=target,
                                                         random_state=args.seed)[0]

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = Path(args.audio).stem
    written = []
    fig = explain.plot_explanations(
        image, {_EXPLAIN_TITLES[m]: heat for m, heat in maps.items()}, duration=duration,
        title=f"{Path(args.audio).name}: predicted {predicted} ({proba.max():.2f}), "
              f"explaining {target}")
    figure_path = out / f"{stem}_explanation.png"
    fig.savefig(figure_path, dpi=120)
    _close(fig)
    written.append(figure_path)
    record = {"command": _command_line(argv), "audio": args.audio, "model": args.model,
              "predicted": predicted, "target": target,
              "probabilities": {c: float(p) for c, p in zip(classes, proba)},
              "methods": methods, "figure": str(figure_path)}
    if "gradcam" in maps:
        kept = explain.gradcam_to_audio(maps["gradcam"], args.audio)
        record["gradcam_intervals_s"] = np.asarray(kept.intervals, dtype=float).tolist()
        record["gradcam_audio"] = None
        audio_path = out / f"{stem}_gradcam.wav"
        audio_path.unlink(missing_ok=True)  # never leave an earlier run's audio behind
        if len(kept.waveform):
            import soundfile

            soundfile.write(audio_path, kept.waveform, kept.sr)
            record["gradcam_audio"] = str(audio_path)
            written.append(audio_path)
        else:
            warnings.warn(
                f"The Grad-CAM map of {target} is zero everywhere (no positive evidence at "
                f"layer {args.layer or 'default'}; common for an under-trained network), so no "
                "Grad-CAM audio was written. Try --layer or another --target.",
                UserWarning, stacklevel=2)
    json_path = out / f"{stem}_explanation.json"
    json_path.write_text(json.dumps(record, indent=2))
    written.append(json_path)
    print(f"{args.audio}: predicted {predicted} ({proba.max():.3f}); explained {target} with "
          f"{', '.join(methods)}")
    print("wrote " + ", ".join(str(p) for p in written))
    return 0


def _close(fig):
    """Release a figure made through pyplot (no-op for plain Figures)."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        return
    plt.close(fig)


_COMMANDS = {"evaluate": _evaluate, "pretrain": _pretrain, "fit": _fit, "predict": _predict,
             "explain": _explain}


# --------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------
def _one_line(exc):
    text = " ".join(str(exc).split())
    if isinstance(exc, KeyError) or not text:  # a bare key or nothing says too little
        text = f"{type(exc).__name__}: {text}".rstrip(": ")
    return text


def _show_warning(message, category, filename, lineno, file=None, line=None):
    stream = sys.stderr if file is None else file
    stream.write(f"{PROG}: warning: {' '.join(str(message).split())}\n")


def main(argv=None):
    """Run the ``sklearn-ser`` command line.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name; default ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success, 1 on an error while running, 2 on a bad command line,
        130 when interrupted.

    Examples
    --------
    >>> from sklearn_ser.cli import main
    >>> main(["evaluate", "--cv", "1"])  # doctest: +SKIP
    sklearn-ser: error: argument --cv: expected a number of folds (>= 2) or 'loso', ...
    2
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
    except CommandLineError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    with warnings.catch_warnings():
        if not debug:
            warnings.showwarning = _show_warning
        try:
            return _COMMANDS[args.command](args, argv)
        except KeyboardInterrupt:
            print(f"{PROG}: interrupted", file=sys.stderr)
            return 130
        except BrokenPipeError:  # output piped into `head` and the like: stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 1
        except CommandLineError as exc:
            if debug:
                raise
            print(f"{PROG}: error: {exc}", file=sys.stderr)
            return 2
        except Exception as exc:  # one line for users; --debug shows the traceback
            if debug:
                raise
            print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
            return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
