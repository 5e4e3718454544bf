"""Save a fitted estimator or pipeline to a folder, and load it back.

:func:`save` splits a fitted model into what each library persists best:

- every fitted skorch network (the toolkit's estimators, or any
  :class:`skorch.NeuralNet`) contributes the **state dicts** of its module,
  of its optimiser (so that ``partial_fit`` resumes where training stopped)
  and of its criterion when that has weights, written with
  :func:`torch.save` and read back with ``torch.load(..., weights_only=True)``:
  no pickled code;
- everything else -- the pipeline, :class:`~sklearn_ser.features.LogMelImage`,
  the fitted :class:`~sklearn_ser.features.BOVWEncoder` vocabulary, and each
  network *without* its module, optimiser and callbacks (its parameters,
  label encoder, data-dependent module sizes, frozen-parameter names and
  training history) -- goes to one :mod:`joblib` file;
- ``manifest.json`` says what is where, with the library versions and the
  SHA-256 of every file.

The folder::

    model/
        manifest.json          format, versions, networks, files and digests
        estimator.joblib       the sklearn parts (a pickle)
        net-0.module.pt        state dict of the first network's module
        net-0.optimizer.pt     ... of its optimiser
        net-0.criterion.pt     ... of its criterion, when it has weights

:func:`load` unpickles the estimator, re-initialises each network (its
module is rebuilt from the stored parameters and the data-dependent sizes
learned in ``fit``, such as ``n_classes`` and ``n_words``), loads the
weights into it, and restores the training history, the labels and the
frozen parameters. The loaded model predicts exactly what the saved one did.

Security
--------
``estimator.joblib`` is a pickle: **loading it can run arbitrary code**.
Only load models you trust (that you saved yourself, or from a source you
trust as much as code you would run). The weight files need no pickle, and
the manifest's digests detect a corrupted or truncated file, not a forged
one. To share a network without any pickle, share ``net-*.module.pt``: it
loads with ``torch.load(path, weights_only=True)`` into the matching module
(:class:`~sklearn_ser.models.VACNN`, :class:`~sklearn_ser.models.VACNNBOVW`).

Parameters that hold *objects* pointing at other weights, such as
``VACNNBOVWClassifier(pretrained=FrozenEstimator(vacnn))``, are not stored:
the fine-tuned weights already contain what they contributed, and they are
saved as ``None`` (the manifest records what they were). A ``pretrained``
file path is kept as a parameter but not read at load time. Refitting a
loaded model therefore starts from scratch unless ``pretrained`` is set
again.
"""

import copy
import json
import os
import shutil
import tempfile
import warnings
from datetime import datetime, timezone
from pathlib import Path

import joblib
import numpy as np
import torch
from sklearn.base import BaseEstimator

from .utils._files import library_versions, sha256_file
from .utils._networks import is_network, iter_networks

__all__ = ["save", "load", "read_manifest", "MANIFEST_NAME", "FORMAT_VERSION"]

#: Name of the manifest file in a saved model folder.
MANIFEST_NAME = "manifest.json"

#: Version of the folder layout; :func:`load` refuses newer ones.
FORMAT_VERSION = 1

_FORMAT = "sklearn-ser-model"
_ESTIMATOR_FILE = "estimator.joblib"

# Attributes skorch sets in ``initialize()``; they are rebuilt at load time, not stored.
_SKORCH_INIT_ATTRS = frozenset({
    "initialized_", "virtual_params_", "callbacks_", "prefixes_",
    "cuda_dependent_attributes_", "init_context_", "history_",
})


def _is_skeleton(obj):
    return is_network(obj) and "_sklearn_ser_history" in obj.__dict__


def _weight_source_params(net):
    """Parameters naming external weights that ``initialize_module`` reads.

    Each estimator class declares its own in ``_weight_source_params``. They are not
    needed (nor read) at load time: the saved weights include what they contributed.
    """
    return tuple(getattr(type(net), "_weight_source_params", ()))


def _is_object_reference(value):
    """True for parameter values that are weights or models rather than settings.

    A torch module without parameters or buffers (e.g. ``module__augment=SpecAugment()``) is
    a setting: it is saved with the estimator, not dropped.
    """
    if isinstance(value, torch.nn.Module):
        return bool(value.state_dict())
    if isinstance(value, (BaseEstimator, torch.Tensor)):
        return True
    if isinstance(value, dict) and any(isinstance(v, torch.Tensor) for v in value.values()):
        return True
    return False


def _short_repr(value, limit=200):
    text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _net_components(net):
    """Names (without the trailing ``_``) of the net's modules, criteria and optimisers
    that hold state."""
    names = []
    for name in list(net._modules) + list(net._criteria) + list(net._optimizers):
        component = getattr(net, name + "_", None)
        if isinstance(component, (torch.nn.Module, torch.optim.Optimizer)) and (
                component.state_dict()):
            names.append(name)
    return names


def _to_cpu(value):
    """Copy of a (nested) state dict with every tensor on the CPU."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        out = type(value)((key, _to_cpu(item)) for key, item in value.items())
        metadata = getattr(value, "_metadata", None)  # nn.Module state dicts carry versions
        if metadata is not None:
            out._metadata = metadata
        return out
    if isinstance(value, (list, tuple)):
        return type(value)(_to_cpu(item) for item in value)
    return value


def _skeleton(net):
    """An uninitialised copy of ``net`` holding its parameters and learned attributes.

    Returns the skeleton and ``{param: repr}`` of the parameters that held objects
    (set to ``None`` in the skeleton).
    """
    from sklearn.base import clone

    if getattr(net, "_trimmed_for_prediction", False):
        raise ValueError(
            f"{type(net).__name__} was trimmed with trim_for_prediction() and can no longer be "
            "re-initialised; save the network before trimming it."
        )
    params = net.get_params(deep=False)
    dropped = {}
    for key, value in params.items():
        if _is_object_reference(value):
            dropped[key] = _short_repr(value)
            params[key] = None
    skeleton = type(net)(**{key: clone(value, safe=False) for key, value in params.items()})
    torch_names = {name + "_" for name in
                   list(net._modules) + list(net._criteria) + list(net._optimizers)}
    for key, value in vars(net).items():
        if (not key.endswith("_") or key.startswith("_") or key in _SKORCH_INIT_ATTRS
                or key in torch_names
                or isinstance(value, (torch.nn.Module, torch.optim.Optimizer))):
            continue
        setattr(skeleton, key, copy.deepcopy(value))
    # skorch's History is a list of dicts of numbers: plain data.
    skeleton.__dict__["_sklearn_ser_history"] = list(net.history_)
    return skeleton, dropped


def _classes(estimator):
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        return None
    try:
        return np.asarray(classes).tolist()
    except (TypeError, ValueError):
        return None


def save(estimator, path, *, overwrite=False, metadata=None):
    """Save a fitted estimator or pipeline to the folder ``path``.

    Parameters
    ----------
    estimator : estimator or Pipeline
        Usually a fitted pipeline such as
        ``make_pipeline(LogMelImage(), BOVWEncoder(output="dict"), VACNNBOVWClassifier())``.
        Fitted skorch networks anywhere inside it (pipeline steps,
        ``GridSearchCV.best_estimator_``, ``FrozenEstimator``) have their
        weights stored as state dicts; the rest is stored with joblib. The
        estimator itself is not modified.
    path : str or os.PathLike
        Folder to create. It must not exist, unless ``overwrite=True``.
    overwrite : bool, default=False
        Replace an existing model folder (one holding a ``manifest.json``)
        at ``path``. Any other existing file or folder is never replaced.
    metadata : dict, optional
        JSON-serialisable information recorded in the manifest under
        ``"metadata"`` (corpus, command line, scores...).

    Returns
    -------
    manifest : dict
        The content of ``manifest.json``.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False, or it exists and is not
        a saved model.

    See Also
    --------
    load : Read the folder back.
    read_manifest : Read only the manifest (no unpickling).

    Notes
    -----
    The folder is written next to ``path`` under a temporary name and then
    renamed, so an interrupted save never leaves a half-written model at
    ``path``. See the module documentation for the layout and the security
    note: the joblib file is a pickle, only load models you trust.

    Examples
    --------
    >>> import os, shutil, tempfile
    >>> import numpy as np
    >>> from sklearn_ser.estimators import VACNNClassifier
    >>> from sklearn_ser.persistence import save, load
    >>> X = np.random.default_rng(0).uniform(0, 255, (8, 1, 32, 32)).astype("float32")
    >>> clf = VACNNClassifier(module__widths=(8, 8, 8), max_epochs=1, train_split=None,
    ...                       random_state=0).fit(X, ["anger", "sadness"] * 4)
    >>> tmp = tempfile.mkdtemp()
    >>> manifest = save(clf, os.path.join(tmp, "model"))
    >>> sorted(os.listdir(os.path.join(tmp, "model")))
    ['estimator.joblib', 'manifest.json', 'net-0.module.pt', 'net-0.optimizer.pt']
    >>> loaded = load(os.path.join(tmp, "model"))
    >>> bool((loaded.predict_proba(X) == clf.predict_proba(X)).all())
    True
    >>> shutil.rmtree(tmp)
    """
    path = Path(path)
    if path.exists():
        if not overwrite:
            raise FileExistsError(
                f"{path} already exists; choose another folder or pass overwrite=True to "
                "replace a saved model."
            )
        if not (path.is_dir() and (path / MANIFEST_NAME).is_file()):
            raise FileExistsError(
                f"{path} exists and is not a saved sklearn-ser model (no {MANIFEST_NAME}); "
                "it is never overwritten. Choose another folder."
            )
    if metadata is not None:
        json.dumps(metadata)  # fail early, before anything is written

    nets = list(iter_networks(estimator))
    memo = {}
    entries = []
    for index, (where, net) in enumerate(nets):
        skeleton, dropped = _skeleton(net)
        memo[id(net)] = skeleton
        entries.append({
            "index": index,
            "path": where,
            "class": f"{type(net).__module__}.{type(net).__qualname__}",
            "module": f"{type(net.module_).__module__}.{type(net.module_).__qualname__}",
            "n_parameters": int(sum(p.numel() for p in net.module_.parameters())),
            "dropped_params": dropped,
            "components": _net_components(net),
        })
    # deepcopy with a pre-filled memo: every fitted network is replaced by its skeleton
    # (weights-free), everything else is copied, and the caller's estimator is untouched.
    stored = copy.deepcopy(estimator, memo)

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        files = {}
        for entry, (_, net) in zip(entries, nets):
            weights = {}
            for name in entry["components"]:
                filename = f"net-{entry['index']}.{name}.pt"
                torch.save(_to_cpu(getattr(net, name + "_").state_dict()), tmp / filename)
                weights[name] = filename
            entry["weights"] = weights
        joblib.dump(stored, tmp / _ESTIMATOR_FILE)
        for child in sorted(tmp.iterdir()):
            files[child.name] = sha256_file(child)
        manifest = {
            "format": _FORMAT,
            "format_version": FORMAT_VERSION,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "estimator": _short_repr(stored, limit=2000),
            "estimator_class": f"{type(estimator).__module__}.{type(estimator).__qualname__}",
            "classes": _classes(estimator),
            "estimator_file": _ESTIMATOR_FILE,
            "networks": entries,
            "files": files,
            "versions": library_versions(),
            "metadata": metadata or {},
        }
        (tmp / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, default=str))
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old.", dir=path.parent))
            os.replace(path, old / path.name)
            os.replace(tmp, path)
            shutil.rmtree(old)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def read_manifest(path):
    """Read and check the manifest of a saved model folder, without unpickling anything.

    Parameters
    ----------
    path : str or os.PathLike
        A folder written by :func:`save`.

    Returns
    -------
    manifest : dict
        Format, versions, networks, files with their SHA-256, ``classes`` and
        the user ``metadata``.

    Raises
    ------
    FileNotFoundError
        If ``path`` or its manifest does not exist.
    ValueError
        If the manifest is not an sklearn-ser model manifest, or was written
        by a newer format version.
    """
    path = Path(path)
    manifest_path = path / MANIFEST_NAME
    if not path.is_dir():
        raise FileNotFoundError(
            f"Model folder {path} does not exist; create it with sklearn_ser.persistence.save "
            "or `sklearn-ser fit`."
        )
    if not manifest_path.is_file():
        raise FileNotFoundError(
            f"{path} is not a saved sklearn-ser model: it has no {MANIFEST_NAME}."
        )
    try:
        manifest = json.loads(manifest_path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{manifest_path} is not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT:
        raise ValueError(f"{manifest_path} is not an sklearn-ser model manifest.")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"{path} was saved in model format {version!r}; this sklearn-ser reads format "
            f"{FORMAT_VERSION} and older. Upgrade sklearn-ser to load it."
        )
    return manifest


def _check_files(path, manifest):
    for name, expected in manifest.get("files", {}).items():
        file = path / name
        if not file.is_file():
            raise FileNotFoundError(f"{file} is missing from the saved model.")
        if sha256_file(file) != expected:
            raise ValueError(
                f"{file} does not match the SHA-256 recorded in {MANIFEST_NAME}: the file is "
                "corrupted or was changed after saving."
            )


def _warn_versions(manifest):
    saved = manifest.get("versions", {})
    now = library_versions()
    differ = {key: (saved[key], now[key]) for key in ("sklearn_ser", "scikit-learn", "skorch",
                                                      "torch")
              if key in saved and saved[key] != now[key]}
    if differ:
        text = ", ".join(f"{key} {old} -> {new}" for key, (old, new) in differ.items())
        warnings.warn(
            f"The model was saved with other library versions ({text}); predictions may "
            "differ or loading may fail. Refit it with the installed versions if so.",
            UserWarning, stacklevel=3)


def _restore_net(skeleton, entry, path, device):
    history = skeleton.__dict__.pop("_sklearn_ser_history", [])
    learned = {key: value for key, value in vars(skeleton).items()
               if key.endswith("_") and not key.startswith("_")
               and key not in _SKORCH_INIT_ATTRS}
    if device is not None:
        skeleton.set_params(device=device)
    sources = {name: getattr(skeleton, name) for name in _weight_source_params(skeleton)
               if getattr(skeleton, name, None) is not None}
    for name in sources:
        setattr(skeleton, name, None)
    try:
        # module weights are drawn at random and overwritten below: keep the caller's RNG.
        with torch.random.fork_rng(devices=[]):
            skeleton.initialize()
    finally:
        for name, value in sources.items():
            setattr(skeleton, name, value)
    for key, value in learned.items():
        setattr(skeleton, key, value)
    map_location = torch.device(skeleton.device)
    for name, filename in entry.get("weights", {}).items():
        state = torch.load(path / filename, map_location=map_location, weights_only=True)
        getattr(skeleton, name + "_").load_state_dict(state)
    frozen = set(getattr(skeleton, "frozen_parameters_", ()) or ())
    if frozen:
        for name, parameter in skeleton.module_.named_parameters():
            if name in frozen:
                parameter.requires_grad_(False)
    skeleton.history_.extend(history)  # initialize() started an empty History
    return skeleton


def load(path, *, device=None):
    """Load a model saved with :func:`save`.

    .. warning::
       The folder's ``estimator.joblib`` is a pickle: loading it can run
       arbitrary code. Only load models you trust. (The network weights
       themselves are read with ``torch.load(..., weights_only=True)``.)

    Parameters
    ----------
    path : str or os.PathLike
        The model folder.
    device : str, optional
        Device for every network (``"cpu"``, ``"cuda"``, ``"auto"``...);
        default: the ``device`` each network was saved with (``"auto"`` uses
        CUDA when available, so a model trained on a GPU loads on a CPU-only
        machine).

    Returns
    -------
    estimator : estimator or Pipeline
        The fitted model, predicting as the saved one did.

    Raises
    ------
    FileNotFoundError
        If the folder, its manifest or a file it lists is missing.
    ValueError
        If a file does not match its recorded SHA-256, or the format is unknown.

    Warns
    -----
    UserWarning
        When the model was saved with other versions of sklearn-ser,
        scikit-learn, skorch or torch.

    See Also
    --------
    save, read_manifest
    """
    path = Path(path)
    manifest = read_manifest(path)
    _check_files(path, manifest)
    _warn_versions(manifest)
    estimator = joblib.load(path / manifest.get("estimator_file", _ESTIMATOR_FILE))
    # The networks stored by save(), found in the order save() found them.
    skeletons = [net for _, net in iter_networks(estimator, select=_is_skeleton)]
    entries = manifest.get("networks", [])
    if len(skeletons) != len(entries):
        raise ValueError(
            f"{path / _ESTIMATOR_FILE} holds {len(skeletons)} networks but the manifest lists "
            f"{len(entries)}; the folder is inconsistent."
        )
    for skeleton, entry in zip(skeletons, entries):
        _restore_net(skeleton, entry, path, device)
    return estimator
