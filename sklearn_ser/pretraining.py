"""Pretrain a VACNN on one or more corpora and save its weights (Seo & Kim 2020).

The paper pretrains on TESS + RAVDESS with seven harmonised classes and
fine-tunes on a small target corpus. :func:`pretrain_vacnn` does the first
half for any list of corpora and writes two files:

- ``OUT`` — the network's state dict (``torch.save``), loadable with
  ``torch.load(OUT, weights_only=True)``: no pickled code;
- ``OUT.json`` — what produced it: the command line, corpora, speakers,
  classes, item counts, image and training parameters, per-epoch history,
  library versions.

``VACNNBOVWClassifier(pretrained=OUT)`` then fine-tunes from it.

Command line (``python -m sklearn_ser.pretraining OPTIONS`` is the same as
``sklearn-ser pretrain OPTIONS``)::

    sklearn-ser pretrain --corpus ravdess --out vacnn_ravdess.pt
    sklearn-ser pretrain --corpus tess+ravdess --out vacnn.pt --epochs 30
    sklearn-ser pretrain --corpus emodb --speakers 03,08,09,10,11 --out emodb5.pt
"""

import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch

from .datasets import load_corpus
from .estimators import VACNNClassifier
from .features import LogMelImage
from .utils._files import library_versions

__all__ = ["main", "pretrain_vacnn", "subset_bunch"]


def _select_speakers(bunch, speakers):
    if speakers is None:
        return bunch
    speakers = [str(s) for s in speakers]
    unknown = sorted(set(speakers) - set(bunch.speaker))
    if unknown:
        raise ValueError(
            f"Speakers {unknown} are not in the corpus; available: {sorted(set(bunch.speaker))}."
        )
    mask = np.isin(bunch.speaker, speakers)
    return subset_bunch(bunch, mask)


def subset_bunch(bunch, mask):
    """Return a copy of a corpus Bunch keeping the items where ``mask`` is True.

    Every per-item array (same length as ``filenames``) is indexed; other
    fields (``DESCR``, ``sample_rate`` when scalar...) are kept as they are.
    """
    from .datasets._base import _subset_corpus

    return _subset_corpus(bunch, mask)


def pretrain_vacnn(corpora="tess+ravdess", out="vacnn_pretrained.pt", *, data_home=None,
                   speakers=None, harmonize="pretraining", image_params=None, memory=None,
                   n_jobs=None, estimator=None, command=None, verbose=0):
    """Pretrain a :class:`~sklearn_ser.estimators.VACNNClassifier` and save its weights.

    Parameters
    ----------
    corpora : str or list of str, default="tess+ravdess"
        Corpus names as accepted by :func:`~sklearn_ser.datasets.load_corpus`
        (``"ravdess"``, ``"tess+ravdess"``, ``["emodb"]``...).
    out : str or os.PathLike, default="vacnn_pretrained.pt"
        Where to write the state dict; metadata goes to ``out + ".json"``.
    data_home : str, optional
        Corpus root (default: ``SKLEARN_SER_DATA``).
    speakers : list of str, optional
        Keep only these speakers (e.g. EmoDB ``["03", "08", "09", "10", "11"]``).
    harmonize : str, dict or None, default="pretraining"
        Label harmonisation (the seven cross-corpus classes by default).
    image_params : dict, optional
        Parameters of :class:`~sklearn_ser.features.LogMelImage` (e.g. ``{"size": (224, 224)}``).
    memory : str or joblib.Memory, optional
        Feature cache folder for the images.
    n_jobs : int, optional
        Workers for image extraction.
    estimator : VACNNClassifier, optional
        The (unfitted) network to train; default ``VACNNClassifier()``.
    command : str, optional
        The command line to record; defaults to this process's ``sys.argv``.
    verbose : int, default=0

    Returns
    -------
    estimator : VACNNClassifier
        The fitted network (its weights are also in ``out``).
    """
    names = corpora if isinstance(corpora, str) else "+".join(corpora)
    bunch = load_corpus(names, data_home=data_home, harmonize=harmonize)
    bunch = _select_speakers(bunch, speakers)
    frontend = LogMelImage(**(image_params or {}), memory=memory, n_jobs=n_jobs, verbose=verbose)
    start = time.perf_counter()
    images = frontend.fit_transform(bunch.filenames)
    feature_seconds = time.perf_counter() - start
    net = VACNNClassifier(verbose=verbose) if estimator is None else estimator
    start = time.perf_counter()
    net.fit(images, bunch.target)
    train_seconds = time.perf_counter() - start

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in net.module_.state_dict().items()}
    torch.save(state, out)
    history = [{k: (float(v) if isinstance(v, (int, float, np.floating)) else v)
                for k, v in epoch.items() if k in ("epoch", "train_loss", "valid_loss",
                                                   "valid_acc", "dur")}
               for epoch in net.history]
    labels, counts = np.unique(bunch.target, return_counts=True)
    meta = {
        "command": command if command is not None else " ".join(map(shlex.quote, sys.argv)),
        "corpora": names,
        "speakers": sorted(set(map(str, bunch.speaker))),
        "harmonize": harmonize if not isinstance(harmonize, dict) else "custom",
        "classes": net.classes_.tolist(),
        "counts": {str(k): int(v) for k, v in zip(labels, counts)},
        "n_items": int(len(bunch.filenames)),
        "image_params": {k: v for k, v in frontend.get_params().items()
                         if k not in ("memory", "n_jobs", "verbose")},
        "module": {k[len("module__"):]: repr(v) for k, v in net.get_params().items()
                   if k.startswith("module__")},
        "training": {k: repr(net.get_params()[k]) for k in (
            "lr", "max_epochs", "batch_size", "optimizer__weight_decay", "lr_step_size",
            "lr_gamma", "patience", "valid_fraction", "random_state")},
        "device": str(net.device),
        "history": history,
        "best_valid_acc": max((h.get("valid_acc", float("nan")) for h in history), default=None),
        "feature_seconds": feature_seconds,
        "train_seconds": train_seconds,
        "versions": library_versions(),
    }
    Path(str(out) + ".json").write_text(json.dumps(meta, indent=2, default=str))
    return net


def main(argv=None):
    """``python -m sklearn_ser.pretraining``: the same as ``sklearn-ser pretrain``.

    Parameters
    ----------
    argv : list of str, optional
        The options of ``sklearn-ser pretrain`` (see its ``--help``).

    Returns
    -------
    status : int
    """
    from .cli import main as cli_main

    argv = list(sys.argv[1:] if argv is None else argv)
    # This entry point always took a level (``--verbose 2``); the CLI counts ``-v``.
    forwarded = []
    while argv:
        arg = argv.pop(0)
        if arg == "--verbose" and argv and argv[0].isdigit():
            forwarded += ["-v"] * int(argv.pop(0))
        elif arg.startswith("--verbose=") and arg.split("=", 1)[1].isdigit():
            forwarded += ["-v"] * int(arg.split("=", 1)[1])
        else:
            forwarded.append(arg)
    return cli_main(["pretrain", *forwarded])


if __name__ == "__main__":
    sys.exit(main())
