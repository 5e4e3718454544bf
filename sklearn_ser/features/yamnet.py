"""Utterance-level embeddings of the pretrained YAMNet (Google, AudioSet).

Each utterance is cut into YAMNet's 0.96 s log-mel patches every 0.48 s
(:meth:`SegmentedLogMel.yamnet <sklearn_ser.features.SegmentedLogMel.yamnet>`),
every patch goes through the pretrained network up to its 1024-d global
average pool, and the patch embeddings are pooled over time. The patch
embeddings are what the cache stores, so changing ``pooling`` recomputes
nothing.
"""

import os
import threading
from numbers import Integral
from pathlib import Path

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions

from ..models.weights import (
    PRETRAINED_WEIGHTS,
    get_weights_home,
    load_state_into,
    load_yamnet_weights,
)
from ..models.yamnet import YAMNET_LAYERS, YAMNet
from ..utils._files import sha256_file
from ._frontend import AudioFrontEnd
from .segments import SegmentedLogMel

__all__ = ["YAMNetEmbedding", "pool_embeddings"]

#: Bump when the patch embeddings change, so cached ones are recomputed.
#: 2: the patches' magnitude spectrum through the shared float32 kernel (same values to
#: float32 rounding).
_EMBEDDING_VERSION = 2

POOLINGS = ("mean", "max", "mean+std", "mean+max")

# Networks loaded in this process, keyed by (weight file, digest, device): loading is 0.1 s,
# a transform on a few utterances should not pay it again.
_NETWORKS = {}
_NETWORKS_LOCK = threading.Lock()


def pool_embeddings(frames, pooling="mean"):
    """Pool patch embeddings ``(n_patches, d)`` over time.

    Parameters
    ----------
    frames : ndarray of shape (n_patches, d)
    pooling : {"mean", "max", "mean+std", "mean+max"}, default="mean"
        Two statistics are concatenated (``2 * d`` values); the standard
        deviation of a single patch is 0.

    Returns
    -------
    pooled : ndarray of shape (d,) or (2 * d,), float32

    Examples
    --------
    >>> pool_embeddings(np.array([[1.0, 2.0], [3.0, 0.0]]), "mean+max").tolist()
    [2.0, 1.0, 3.0, 2.0]
    """
    frames = np.asarray(frames, dtype=np.float32)
    stats = {"mean": lambda: frames.mean(0), "max": lambda: frames.max(0),
             "std": lambda: frames.std(0)}
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}.")
    return np.concatenate([stats[name]() for name in pooling.split("+")]).astype(np.float32)


def _resolve_device(device):
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return str(device)


def _weights_file(weights, weights_home):
    """``(path, sha256)`` of the weight file: a registry name's pinned digest, else the file's."""
    if isinstance(weights, str) and weights in PRETRAINED_WEIGHTS:
        spec = PRETRAINED_WEIGHTS[weights]
        if spec.loader != "yamnet" or spec.sha256 is None:
            raise ValueError(
                f"weights={weights!r} is not a YAMNet file with a pinned digest; use "
                "'yamnet-tflite' or a path."
            )
        path = get_weights_home(weights_home) / spec.filename
        if not path.is_file():
            raise FileNotFoundError(
                f"The {weights!r} weights are not in {path.parent}: put {spec.filename} there, "
                "pass weights_home= (or set SKLEARN_SER_WEIGHTS), or pass weights=<path>."
            )
        return path, spec.sha256
    path = Path(os.path.expanduser(os.fspath(weights)))
    if not path.is_file():
        raise FileNotFoundError(f"YAMNet weight file '{path}' does not exist.")
    return path, sha256_file(path)


def _network(path, sha256, device):
    key = (os.fspath(path), sha256, device)
    with _NETWORKS_LOCK:
        if key not in _NETWORKS:
            state = load_yamnet_weights(path, sha256=sha256, include_top=False)
            net = load_state_into(YAMNet(include_top=False), state, name="YAMNet (weights)")
            _NETWORKS[key] = net.eval().to(device)
        return _NETWORKS[key]


def _embeddings_for_item(item, index, *, path, sha256, device, batch_size, layer,
                         segment_params):
    segments = SegmentedLogMel._compute(item, index, **segment_params)
    net = _network(path, sha256, device)
    out = []
    with torch.inference_mode():
        for start in range(0, len(segments), batch_size):
            x = torch.from_numpy(np.ascontiguousarray(segments[start:start + batch_size]))
            x = x.to(device)
            for block in net.layers[:layer]:
                x = block(x)
            out.append(x.mean(dim=(2, 3)).float().cpu().numpy())
    return np.concatenate(out).astype(np.float32, copy=False)


class YAMNetEmbedding(AudioFrontEnd):
    """Audio to utterance-level embeddings of the pretrained YAMNet.

    The released YAMNet (TFLite, converted without TensorFlow; see
    :doc:`/yamnet`) runs on the utterance's 0.96 s log-mel patches (its own
    front end: :meth:`SegmentedLogMel.yamnet
    <sklearn_ser.features.SegmentedLogMel.yamnet>`), and the patch
    embeddings (the global average pool of layer ``layer``: with the default
    14, YAMNet's own 1024-d embedding, the input of its AudioSet classifier)
    are pooled over the utterance. Stateless: ``fit`` only validates.
    ``make_pipeline(YAMNetEmbedding(), StandardScaler(), LogisticRegression())``
    is a fast, strong baseline (:doc:`/yamnet_embedding`).

    Parameters
    ----------
    weights : str or os.PathLike, default="yamnet-tflite"
        A registry name (``"yamnet-tflite"``, looked up in ``weights_home``
        and checked against its pinned SHA-256) or a weight file
        (``.tflite``, Keras ``.h5``, or a saved
        :class:`~sklearn_ser.models.YAMNet` state dict), see
        :func:`~sklearn_ser.models.load_yamnet_weights`.
    weights_home : str or os.PathLike, optional
        Folder of a registry name's file; default ``$SKLEARN_SER_WEIGHTS`` or
        ``~/.cache/sklearn_ser/weights``.
    layer : int, default=14
        Block (1-14) whose output is globally averaged per patch: 14 gives
        the 1024-d embedding of the release; layers 8-12 give 512 values
        and, for emotion, are better than the last one, which was trained
        to be invariant to what AudioSet's event classes do not need
        (EmoDB: 82-83 % against 66 % WA, see :doc:`/yamnet_embedding`).
    pooling : {"mean", "max", "mean+std", "mean+max"}, default="mean"
        Statistic(s) over the patches; two are concatenated.
    segment_hop : int, default=48
        Frames (10 ms) between patch starts: 48 is YAMNet's 0.48 s.
    device : str, default="auto"
        Torch device of the network; ``"auto"``: CUDA when available.
    batch_size : int, default=64
        Patches per forward pass.
    n_jobs : int or None, default=None
        joblib workers (threads unless a backend says otherwise) for the
        utterances not in the cache.
    memory : None, str or joblib.Memory, default=None
        Feature cache folder: the patch embeddings of each item are stored
        under a digest of its audio content, of the weight file's digest and
        of ``segment_hop``, so changing ``pooling`` (or the device) reuses them.
    verbose : int, default=0
        Progress bar when > 0.
    on_error : {"raise", "skip", "warn"}, default="raise"
        What an unreadable item does (as in
        :class:`~sklearn_ser.features.LogMelImage`): ``"skip"`` and
        ``"warn"`` fill its row with ``fill_value`` and record it in
        ``failed_items_``.
    fill_value : float, default=0.0
        Value of the rows of failed items.

    Attributes
    ----------
    failed_items_ : list of FailedItem
        Items of the last ``transform`` that could not be read.

    Examples
    --------
    ::

        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn_ser.datasets import load_emodb

        emodb = load_emodb()
        pipe = make_pipeline(YAMNetEmbedding(weights_home="~/weights", memory="~/.cache/ser"),
                             StandardScaler(), LogisticRegression(max_iter=2000))
        pipe.fit(emodb.filenames, emodb.target)
    """

    _parameter_constraints = {
        **AudioFrontEnd._parameter_constraints,
        "weights": [str, os.PathLike],
        "weights_home": [str, os.PathLike, None],
        "layer": [Interval(Integral, 1, 14, closed="both")],
        "pooling": [StrOptions(set(POOLINGS))],
        "segment_hop": [Interval(Integral, 1, None, closed="left")],
        "device": [str],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
    }
    _desc = "YAMNet embeddings"
    # The per-item work is FFTs and torch kernels, which release the GIL.
    _prefer = "threads"

    def __init__(self, weights="yamnet-tflite", *, weights_home=None, layer=14, pooling="mean",
                 segment_hop=48, device="auto", batch_size=64, n_jobs=None, memory=None,
                 verbose=0, on_error="raise", fill_value=0.0):
        self.weights = weights
        self.weights_home = weights_home
        self.layer = layer
        self.pooling = pooling
        self.segment_hop = segment_hop
        self.device = device
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.memory = memory
        self.verbose = verbose
        self.on_error = on_error
        self.fill_value = fill_value

    def _check_params(self):
        _weights_file(self.weights, self.weights_home)

    def _item_params(self):
        # The patch embeddings are what is computed per item (and cached); pooling happens
        # in _assemble, so changing it, or the device, reuses the cache.
        path, sha256 = _weights_file(self.weights, self.weights_home)
        return {"path": path, "sha256": sha256, "device": _resolve_device(self.device),
                "batch_size": int(self.batch_size), "layer": int(self.layer),
                "segment_params": SegmentedLogMel.yamnet(
                    segment_hop=int(self.segment_hop))._item_params()}

    def _cache_params(self, params):
        return dict(params["segment_params"], weights_sha256=params["sha256"],
                    layer=params["layer"], version=_EMBEDDING_VERSION)

    @staticmethod
    def _compute(item, index, **params):
        return _embeddings_for_item(item, index, **params)

    def _assemble(self, outputs, batch, params):
        out = np.full((len(outputs), self._n_outputs()), self.fill_value, dtype=np.float32)
        for i, item_frames in enumerate(outputs):
            if item_frames is not None:
                out[i] = pool_embeddings(item_frames, self.pooling)
        return out

    def _n_outputs(self):
        return YAMNET_LAYERS[self.layer - 1][2] * len(self.pooling.split("+"))

    def get_feature_names_out(self, input_features=None):
        """``yamnet_<statistic><i>`` for every output column."""
        width = YAMNET_LAYERS[self.layer - 1][2]
        return np.asarray([f"yamnet_{stat}{i}" for stat in self.pooling.split("+")
                           for i in range(width)], dtype=object)

    def transform(self, X):
        """Pooled YAMNet embeddings of every item of ``X``.

        Parameters
        ----------
        X : sequence of str / path-like / 1-D arrays, or 2-D array
            Audio files, or waveforms at 16 kHz.

        Returns
        -------
        embeddings : ndarray of shape (n_samples, n_outputs), float32
            ``n_outputs`` is the layer's width (1024 for layer 14), twice
            that for two statistics.
        """
        return super().transform(X)
