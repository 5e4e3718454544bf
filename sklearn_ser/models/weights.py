"""Released AudioSet weights of VGGish and YAMNet, converted to this package's modules.

Nothing here downloads at import; :func:`fetch_weights` downloads only when
called, into a cache folder, through a temporary file that is moved into
place only once its SHA-256 digest matches.

Sources understood
------------------
**YAMNet** (:func:`load_yamnet_weights`)

- ``yamnet.h5``, the Keras HDF5 file of the release (read with ``h5py``,
  an optional dependency: ``pip install h5py``). Each weight sits at
  ``<layer name>/<weight name>``, e.g. ``layer1/conv/layer1/conv/kernel:0``;
  any HDF5 file whose dataset paths end with the release's weight names
  (``layer1/conv/kernel``, ``layer2/depthwise_conv/depthwise_kernel``,
  ``layer2/pointwise_conv/bn/moving_mean``, ``logits/bias``...) is accepted,
  whether written by ``save_weights`` or ``model.save``;
- a PyTorch state dict of :class:`~sklearn_ser.models.yamnet.YAMNet` (a file
  read with ``torch.load(weights_only=True)``, or a dict).

**VGGish** (:func:`load_vggish_weights`)

- ``vggish_model.ckpt``, the TensorFlow checkpoint of the release (reading
  it needs TensorFlow, an optional dependency); variables
  ``vggish/conv1/weights``, ``vggish/conv3/conv3_1/biases``,
  ``vggish/fc1/fc1_2/weights``, ``vggish/fc2/weights``...;
- the widely used PyTorch port (``torchvggish``, file
  ``vggish-10086976.pth``), whose keys map as in :data:`VGGISH_PORT_KEYS`
  (its ``pproc.*`` PCA parameters are ignored);
- a state dict of :class:`~sklearn_ser.models.vggish.VGGish`.

Layout conversion from TensorFlow: convolution kernels ``(kh, kw, in, out)``
become ``(out, in, kh, kw)``, depthwise kernels ``(kh, kw, in, 1)`` become
``(in, 1, kh, kw)``, dense kernels ``(in, out)`` are transposed, Keras
batch-norm ``beta`` / ``moving_mean`` / ``moving_variance`` become
``bias`` / ``running_mean`` / ``running_var``. VGGish's ``fc1_1`` needs no
row permutation because :class:`~sklearn_ser.models.vggish.VGGish`
flattens in TensorFlow's (time, frequency, channel) order.
"""

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..exceptions import ChecksumError
from ..utils._files import check_digest_format, download_to_temporary, sha256_file
from ._tflite import read_tflite
from .yamnet import YAMNET_BN_EPSILON, YAMNET_LAYERS

__all__ = [
    "PRETRAINED_WEIGHTS",
    "PretrainedWeights",
    "VGGISH_PORT_KEYS",
    "YAMNET_TFLITE_SHA256",
    "check_sha256",
    "convert_vggish_port",
    "convert_vggish_tf",
    "convert_yamnet_keras",
    "convert_yamnet_tflite",
    "fetch_weights",
    "get_weights_home",
    "load_state_into",
    "load_vggish_weights",
    "load_yamnet_weights",
    "read_keras_h5",
    "read_tf_checkpoint",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PretrainedWeights:
    """Where a released weight file lives and what it is.

    Attributes
    ----------
    name : str
    url : str
    filename : str
        Name of the file in the cache folder.
    sha256 : str or None
        Full SHA-256 digest, when the project has pinned one. ``None`` means
        unknown: :func:`fetch_weights` then insists on ``sha256=``.
    loader : str
        ``"yamnet"`` or ``"vggish"``: the function that reads it.
    meta : dict
        Free-form description (format, input, source).
    """

    name: str
    url: str
    filename: str
    sha256: str | None
    loader: str
    meta: dict = field(default_factory=dict)


#: SHA-256 of the released YAMNet TFLite model (``yamnet.tflite``, 4 078 224 bytes) that this
#: project converted and checked against the LiteRT interpreter.
YAMNET_TFLITE_SHA256 = "469be6a3421cbc52cf97e9f2f966cba984198e8e7af9854d68b3e3ebb1e04194"

#: The released files. Only ``yamnet-tflite`` has a pinned digest; the others were not
#: available to this project: pass ``sha256=`` for them.
PRETRAINED_WEIGHTS = {
    "yamnet": PretrainedWeights(
        "yamnet", "https://storage.googleapis.com/audioset/yamnet.h5", "yamnet.h5", None,
        "yamnet", {"format": "Keras HDF5", "input": "96x64 log-mel, log(mel + 0.001)",
                   "classes": 521, "source": "tensorflow/models research/audioset/yamnet"}),
    "yamnet-tflite": PretrainedWeights(
        "yamnet-tflite",
        "https://tfhub.dev/google/lite-model/yamnet/classification/tflite/1?lite-format=tflite",
        "yamnet.tflite", YAMNET_TFLITE_SHA256, "yamnet",
        {"format": "TensorFlow Lite, int8 weights (dynamic-range quantised), batch norm folded "
                   "into the convolutions (read without TensorFlow)",
         "input": "0.975 s of 16 kHz audio -> one 96x64 log-mel patch, log(mel + 0.001)",
         "classes": 521,
         "outputs": "521 sigmoid scores and the 96x64 log-mel patch",
         "digest": "of the copy this project verified against the LiteRT interpreter"}),
    "vggish": PretrainedWeights(
        "vggish", "https://storage.googleapis.com/audioset/vggish_model.ckpt",
        "vggish_model.ckpt", None, "vggish",
        {"format": "TensorFlow checkpoint (needs TensorFlow to read)",
         "input": "96x64 log-mel, log(mel + 0.01)",
         "source": "tensorflow/models research/audioset/vggish"}),
    "vggish-torch-port": PretrainedWeights(
        "vggish-torch-port",
        "https://github.com/harritaylor/torchvggish/releases/download/v0.1/vggish-10086976.pth",
        "vggish-10086976.pth", None, "vggish",
        {"format": "PyTorch state dict (torchvggish port of the TF release)",
         "sha256_prefix": "10086976"}),
}

#: torchvggish key prefix -> VGGish key prefix.
VGGISH_PORT_KEYS = {
    "features.0.": "block1.convs.0.",
    "features.3.": "block2.convs.0.",
    "features.6.": "block3.convs.0.",
    "features.8.": "block3.convs.1.",
    "features.11.": "block4.convs.0.",
    "features.13.": "block4.convs.1.",
    "embeddings.0.": "fc1_1.",
    "embeddings.2.": "fc1_2.",
    "embeddings.4.": "fc2.",
}

#: TF variable scope (without the leading ``vggish/``) -> VGGish module name.
_VGGISH_TF_SCOPES = {
    "conv1": "block1.convs.0",
    "conv2": "block2.convs.0",
    "conv3/conv3_1": "block3.convs.0",
    "conv3/conv3_2": "block3.convs.1",
    "conv4/conv4_1": "block4.convs.0",
    "conv4/conv4_2": "block4.convs.1",
    "fc1/fc1_1": "fc1_1",
    "fc1/fc1_2": "fc1_2",
    "fc2": "fc2",
}

_BN_NAMES = {"beta": "bias", "moving_mean": "running_mean", "moving_variance": "running_var"}


# --------------------------------------------------------------------------------------------
# files, digests, downloads
# --------------------------------------------------------------------------------------------
def get_weights_home(weights_home=None):
    """Folder of downloaded weights: ``weights_home``, ``$SKLEARN_SER_WEIGHTS`` or
    ``~/.cache/sklearn_ser/weights``.

    Examples
    --------
    >>> get_weights_home("/tmp/w").as_posix()
    '/tmp/w'
    """
    if weights_home is None:
        weights_home = os.environ.get(
            "SKLEARN_SER_WEIGHTS", os.path.join("~", ".cache", "sklearn_ser", "weights"))
    return Path(os.path.expanduser(os.fspath(weights_home)))


def check_sha256(path, sha256):
    """Raise :class:`~sklearn_ser.exceptions.ChecksumError` unless ``path`` has digest ``sha256``.

    Parameters
    ----------
    path : str or os.PathLike
    sha256 : str
        64 hexadecimal digits.

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> import hashlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder, "w.bin")
    ...     _ = path.write_bytes(b"abc")
    ...     check_sha256(path, hashlib.sha256(b"abc").hexdigest()) == path
    True
    """
    expected = check_digest_format(sha256)
    actual = sha256_file(path)
    if actual != expected:
        raise ChecksumError(
            f"{os.fspath(path)} does not match its expected SHA-256 digest: expected {expected}, "
            f"got {actual}. The file may be corrupt or a different release; refusing to use it."
        )
    return Path(path)


def fetch_weights(name_or_url, *, sha256=None, weights_home=None, filename=None):
    """Download a released weight file once, verify it, and return its path.

    Parameters
    ----------
    name_or_url : str
        A key of :data:`PRETRAINED_WEIGHTS` (``"yamnet"``, ``"vggish"``,
        ``"vggish-torch-port"``) or a URL (``https://``, ``http://`` or ``file://``).
    sha256 : str, optional
        Expected SHA-256 digest (64 hex digits). Required: no digest has been
        pinned for the released files yet, and an unchecked download is refused.
    weights_home : str or os.PathLike, optional
        Cache folder (see :func:`get_weights_home`).
    filename : str, optional
        File name in the cache; defaults to the registry's or the URL's last part.

    Returns
    -------
    path : pathlib.Path
        The verified file. A file already in the cache is re-verified and not
        downloaded again.

    Raises
    ------
    ChecksumError
        When the download (or the cached file) does not match ``sha256``; a
        failed download leaves nothing behind.

    Examples
    --------
    ::

        path = fetch_weights("yamnet", sha256="<digest you trust>")
        state = load_yamnet_weights(path)
    """
    spec = PRETRAINED_WEIGHTS.get(name_or_url)
    if spec is not None:
        url, default_name, expected = spec.url, spec.filename, spec.sha256
    elif isinstance(name_or_url, str) and re.match(r"^(https?|file)://", name_or_url):
        url, default_name, expected = name_or_url, name_or_url.rstrip("/").rsplit("/", 1)[-1], None
    else:
        raise ValueError(
            f"Unknown weights {name_or_url!r}: give one of {sorted(PRETRAINED_WEIGHTS)} or a URL."
        )
    expected = sha256 if sha256 is not None else expected
    if expected is None:
        raise ValueError(
            f"Refusing to download {url} unchecked: sklearn-ser has no pinned digest for it. "
            "Pass sha256='<64 hex digits>', the digest you trust (e.g. `sha256sum` of a copy "
            "you verified)."
        )
    expected = check_digest_format(expected)
    home = get_weights_home(weights_home)
    target = home / (filename or default_name)
    if target.exists():
        return check_sha256(target, expected)
    home.mkdir(parents=True, exist_ok=True)
    logger.info("Downloading %s to %s", url, target)
    part, actual = download_to_temporary(url, home, prefix=f".{target.name}-", source=url,
                                         manual=f"the file in {home}")
    try:
        if actual != expected:
            raise ChecksumError(
                f"The file downloaded from {url} does not match its expected SHA-256 digest: "
                f"expected {expected}, got {actual}. The download was deleted."
            )
        os.replace(part, target)
    except BaseException:
        if os.path.exists(part):
            os.remove(part)
        raise
    return target


# --------------------------------------------------------------------------------------------
# readers (optional dependencies)
# --------------------------------------------------------------------------------------------
def read_keras_h5(path):
    """All datasets of a Keras HDF5 weight file, as ``{path inside the file: ndarray}``.

    Needs ``h5py`` (``pip install h5py``).
    """
    try:
        import h5py
    except ImportError as exc:
        raise ImportError(
            "Reading Keras .h5 weights (YAMNet's yamnet.h5) needs h5py: pip install h5py "
            "(or pip install 'sklearn-ser[weights]')."
        ) from exc
    arrays = {}
    with h5py.File(path, "r") as fh:
        fh.visititems(lambda name, obj: arrays.__setitem__(name, obj[()])
                      if isinstance(obj, h5py.Dataset) else None)
    return arrays


def read_tf_checkpoint(path):
    """All variables of a TensorFlow checkpoint, as ``{variable name: ndarray}``.

    Needs TensorFlow (``pip install tensorflow-cpu``); no TensorFlow graph is built.
    """
    try:
        import tensorflow as tf
    except ImportError as exc:
        raise ImportError(
            "Reading VGGish's TensorFlow checkpoint (vggish_model.ckpt) needs TensorFlow: "
            "pip install tensorflow-cpu. Alternatively pass the PyTorch port's state dict "
            "(vggish-10086976.pth), which needs no TensorFlow."
        ) from exc
    reader = tf.train.load_checkpoint(os.fspath(path))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


# --------------------------------------------------------------------------------------------
# converters
# --------------------------------------------------------------------------------------------
def _lookup(arrays, name, what):
    """The array whose key is ``name`` or ends with ``/name`` (``:0`` suffixes ignored)."""
    hits = [key for key in arrays
            if (k := key.removesuffix(":0")) == name or k.endswith("/" + name)]
    if len(hits) != 1:
        problem = "missing" if not hits else f"ambiguous ({hits})"
        raise ValueError(
            f"{what}: weight {name!r} is {problem}. Is this the released file? Expected names "
            "such as 'layer1/conv/kernel' (YAMNet) or 'vggish/conv1/weights' (VGGish)."
        )
    return np.asarray(arrays[hits[0]])


def _tensor(array, shape, name):
    if tuple(array.shape) != tuple(shape):
        raise ValueError(
            f"Weight {name!r} has shape {tuple(array.shape)}, expected {tuple(shape)}: this is "
            "not the released architecture."
        )
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))


def convert_yamnet_keras(arrays, *, include_top=True):
    """Convert YAMNet's Keras weights to a :class:`~sklearn_ser.models.yamnet.YAMNet` state dict.

    Parameters
    ----------
    arrays : mapping of str to ndarray
        Keras weights keyed by names that end with the release's weight names
        (the output of :func:`read_keras_h5`, or ``{"layer1/conv/kernel": ...}``).
    include_top : bool, default=True
        Convert the ``logits`` layer too.

    Returns
    -------
    state : dict of str to torch.Tensor
    """
    what = "YAMNet Keras weights"
    state = {}
    in_channels = 1

    def batch_norm(prefix, keras_prefix, channels):
        for keras_name, torch_name in _BN_NAMES.items():
            array = _lookup(arrays, f"{keras_prefix}/bn/{keras_name}", what)
            state[f"{prefix}.{torch_name}"] = _tensor(array, (channels,), keras_prefix)

    for k, (kind, _, filters) in enumerate(YAMNET_LAYERS):
        layer = f"layer{k + 1}"
        prefix = f"layers.{k}"
        if kind == "conv":
            kernel = _lookup(arrays, f"{layer}/conv/kernel", what)
            state[f"{prefix}.conv.weight"] = _tensor(
                kernel.transpose(3, 2, 0, 1), (filters, in_channels, 3, 3), layer)
            batch_norm(f"{prefix}.bn", f"{layer}/conv", filters)
        else:
            depthwise = _lookup(arrays, f"{layer}/depthwise_conv/depthwise_kernel", what)
            state[f"{prefix}.depthwise.weight"] = _tensor(
                depthwise.transpose(2, 3, 0, 1), (in_channels, 1, 3, 3), layer)
            batch_norm(f"{prefix}.depthwise_bn", f"{layer}/depthwise_conv", in_channels)
            pointwise = _lookup(arrays, f"{layer}/pointwise_conv/kernel", what)
            state[f"{prefix}.pointwise.weight"] = _tensor(
                pointwise.transpose(3, 2, 0, 1), (filters, in_channels, 1, 1), layer)
            batch_norm(f"{prefix}.pointwise_bn", f"{layer}/pointwise_conv", filters)
        in_channels = filters
    if include_top:
        kernel = _lookup(arrays, "logits/kernel", what)
        state["logits.weight"] = torch.from_numpy(np.ascontiguousarray(kernel.T, np.float32))
        state["logits.bias"] = torch.from_numpy(
            np.asarray(_lookup(arrays, "logits/bias", what), np.float32))
        if state["logits.weight"].shape[1] != in_channels:
            raise ValueError(
                f"YAMNet logits kernel has shape {kernel.shape}; expected "
                f"({in_channels}, n_classes)."
            )
    return state


def convert_yamnet_tflite(model, *, include_top=True):
    """Convert the YAMNet TFLite model to a :class:`~sklearn_ser.models.yamnet.YAMNet` state dict.

    The TFLite release folds every batch norm into its convolution
    (``W' = W / sqrt(var + eps)``, ``b' = beta - mean / sqrt(var + eps)``;
    YAMNet's batch norm has no scale) and stores most kernels as int8 with
    their scales. Kernels are dequantised (``(q - zero_point) * scale``, per
    channel when so stored) and the batch norms become identities carrying the
    folded offset: ``running_mean = 0``, ``running_var = 1 - eps``,
    ``bias = b'``. In eval mode each block then computes exactly
    ``relu(W' * x + b')``, the TFLite graph in float arithmetic.

    Batch-norm *statistics* cannot be recovered from folded weights, so a
    network holding them must keep its batch norms in eval mode when
    fine-tuned (``VGGishYAMNetFusion(freeze_batch_norm=True)``); in training
    mode they would re-normalise every channel by batch statistics.

    Parameters
    ----------
    model : TFLiteModel, bytes, str or os.PathLike
        The model (see :func:`sklearn_ser.models._tflite.read_tflite`) or its file.
    include_top : bool, default=True
        Convert the ``logits`` layer (the dense layer before the sigmoid) too.

    Returns
    -------
    state : dict of str to torch.Tensor
    """
    if not hasattr(model, "operators"):
        model = read_tflite(model)
    convs = {}
    for op in model.operators:
        if op.name not in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            continue
        out_name = model.tensors[op.outputs[0]].name
        match = re.search(r"layer(\d+)/(conv|depthwise_conv|pointwise_conv)/", out_name)
        if match is None or len(op.inputs) < 3 or op.inputs[2] < 0:
            raise ValueError(
                f"Unexpected {op.name} producing {out_name!r}: is this the YAMNet TFLite model?"
            )
        convs[(int(match.group(1)), match.group(2))] = (
            op.name, model.constant(op.inputs[1]), model.constant(op.inputs[2]))
    what = "YAMNet TFLite model"
    state = {}

    def put(prefix, bn, kernel, bias, shape, layout, name):
        state[f"{prefix}.weight"] = _tensor(kernel.transpose(layout), shape, name)
        channels = shape[0]
        state[f"{bn}.bias"] = _tensor(bias, (channels,), name)
        state[f"{bn}.running_mean"] = torch.zeros(channels)
        state[f"{bn}.running_var"] = torch.full((channels,), 1.0 - YAMNET_BN_EPSILON)

    def get(k, part):
        if (k, part) not in convs:
            raise ValueError(f"{what}: no convolution for layer{k}/{part}. Is this the release?")
        return convs[(k, part)]

    in_channels = 1
    for k, (kind, _, filters) in enumerate(YAMNET_LAYERS, start=1):
        prefix = f"layers.{k - 1}"
        if kind == "conv":
            _, kernel, bias = get(k, "conv")  # OHWI
            put(f"{prefix}.conv", f"{prefix}.bn", kernel, bias, (filters, in_channels, 3, 3),
                (0, 3, 1, 2), f"layer{k}/conv")
        else:
            _, kernel, bias = get(k, "depthwise_conv")  # 1HWC
            put(f"{prefix}.depthwise", f"{prefix}.depthwise_bn", kernel, bias,
                (in_channels, 1, 3, 3), (3, 0, 1, 2), f"layer{k}/depthwise_conv")
            _, kernel, bias = get(k, "pointwise_conv")  # OHWI
            put(f"{prefix}.pointwise", f"{prefix}.pointwise_bn", kernel, bias,
                (filters, in_channels, 1, 1), (0, 3, 1, 2), f"layer{k}/pointwise_conv")
        in_channels = filters
    if len(convs) != 2 * len(YAMNET_LAYERS) - 1:
        raise ValueError(f"{what}: found {len(convs)} convolutions, expected 27.")
    if include_top:
        dense = [op for op in model.operators if op.name == "FULLY_CONNECTED"
                 and model.tensors[op.inputs[1]].shape[-1:] == (in_channels,)]
        if len(dense) != 1:
            raise ValueError(f"{what}: expected one dense layer on the {in_channels}-d "
                             f"embedding, found {len(dense)}.")
        op = dense[0]
        weight = model.constant(op.inputs[1])
        state["logits.weight"] = _tensor(weight, weight.shape, "logits")
        state["logits.bias"] = _tensor(model.constant(op.inputs[2]), weight.shape[:1], "logits")
    return state


def convert_vggish_tf(variables, *, include_top=True):
    """Convert VGGish's TF variables to a :class:`~sklearn_ser.models.vggish.VGGish` state dict.

    Parameters
    ----------
    variables : mapping of str to ndarray
        ``{"vggish/conv1/weights": ..., "vggish/conv1/biases": ..., ...}``
        (the ``vggish/`` scope is optional), e.g. from :func:`read_tf_checkpoint`.
    include_top : bool, default=True
        Convert ``fc1_1``, ``fc1_2`` and ``fc2`` too.

    Returns
    -------
    state : dict of str to torch.Tensor
    """
    what = "VGGish TensorFlow variables"
    state = {}
    for scope, module in _VGGISH_TF_SCOPES.items():
        is_fc = scope.startswith("fc")
        if is_fc and not include_top:
            continue
        weights = _lookup(variables, f"{scope}/weights", what)
        biases = _lookup(variables, f"{scope}/biases", what)
        if is_fc:
            if weights.ndim != 2:
                raise ValueError(f"VGGish {scope}/weights should be 2-D, got {weights.shape}.")
            weight = weights.T
        else:
            if weights.ndim != 4:
                raise ValueError(f"VGGish {scope}/weights should be 4-D, got {weights.shape}.")
            weight = weights.transpose(3, 2, 0, 1)
        state[f"{module}.weight"] = torch.from_numpy(np.ascontiguousarray(weight, np.float32))
        state[f"{module}.bias"] = torch.from_numpy(np.asarray(biases, np.float32))
    return state


def convert_vggish_port(state):
    """Rename a ``torchvggish`` state dict's keys to :class:`~sklearn_ser.models.vggish.VGGish`'s.

    ``features.0`` → ``block1.convs.0`` ... ``embeddings.4`` → ``fc2`` (see
    :data:`VGGISH_PORT_KEYS`); ``pproc.*`` (PCA post-processing) is dropped.
    The port flattens in TensorFlow's order too, so tensors are unchanged.

    Examples
    --------
    >>> sorted(convert_vggish_port({"features.0.weight": torch.zeros(64, 1, 3, 3),
    ...                             "pproc.pca_means": torch.zeros(128, 1)}))
    ['block1.convs.0.weight']
    """
    out = {}
    for key, value in state.items():
        if key.startswith("pproc."):
            continue
        for old, new in VGGISH_PORT_KEYS.items():
            if key.startswith(old):
                out[new + key[len(old):]] = value
                break
        else:
            raise ValueError(
                f"Unexpected key {key!r} in a torchvggish state dict; expected keys starting "
                f"with {sorted(VGGISH_PORT_KEYS)}."
            )
    return out


# --------------------------------------------------------------------------------------------
# loaders
# --------------------------------------------------------------------------------------------
def _load_torch_file(path):
    return torch.load(path, map_location="cpu", weights_only=True)


def _as_path(source):
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(
                f"Weight file '{os.fspath(source)}' does not exist; download it with "
                "sklearn_ser.models.weights.fetch_weights(...)."
            )
        return path
    return None


def load_yamnet_weights(source, *, sha256=None, include_top=True, weights_home=None):
    """YAMNet weights from a released file (by name or path), a saved state dict, or a dict.

    Parameters
    ----------
    source : str, os.PathLike or dict
        ``"yamnet-tflite"`` (the registry name: the file ``yamnet.tflite`` in
        ``weights_home``, checked against its pinned SHA-256, see
        :data:`PRETRAINED_WEIGHTS`), a ``.tflite`` file (the TFLite release,
        read without TensorFlow, and checked against the pinned digest unless
        ``sha256`` names another file you trust), ``.h5``/``.hdf5`` (Keras,
        needs h5py), ``.pt``/``.pth`` (a
        :class:`~sklearn_ser.models.yamnet.YAMNet` state dict, loaded with
        ``weights_only=True``), or a state dict / dict of Keras arrays.
    sha256 : str, optional
        Verify a file against this digest first. For a registry name or a
        ``.tflite`` file the pinned :data:`YAMNET_TFLITE_SHA256` is used when
        this is ``None``.
    include_top : bool, default=True
        Keep the ``logits`` weights.
    weights_home : str or os.PathLike, optional
        Folder of a registry name's file (see :func:`get_weights_home`).

    Returns
    -------
    state : dict of str to torch.Tensor
        Keys of :class:`~sklearn_ser.models.yamnet.YAMNet`.

    Examples
    --------
    >>> from sklearn_ser.models.yamnet import YAMNet
    >>> state = load_yamnet_weights(YAMNet().state_dict(), include_top=False)
    >>> "logits.weight" in state, "layers.0.conv.weight" in state
    (False, True)
    """
    if isinstance(source, str) and source in PRETRAINED_WEIGHTS:
        spec = PRETRAINED_WEIGHTS[source]
        if spec.loader != "yamnet":
            raise ValueError(f"{source!r} names {spec.loader} weights, not YAMNet's.")
        source = get_weights_home(weights_home) / spec.filename
        if not source.exists():
            raise FileNotFoundError(
                f"The {spec.name!r} weights are not in {source.parent}: put {spec.filename} "
                f"there (or pass weights_home=/ set SKLEARN_SER_WEIGHTS to its folder), or "
                f"download it with fetch_weights({spec.name!r})."
            )
        sha256 = spec.sha256 if sha256 is None else sha256
        if sha256 is None:
            raise ValueError(f"No digest is pinned for {spec.name!r}: pass sha256=.")
    path = _as_path(source)
    if path is not None:
        if sha256 is None and path.suffix.lower() == ".tflite":
            # The conversion is verified for this one file; another is refused unless vouched for.
            sha256 = YAMNET_TFLITE_SHA256
        if sha256 is not None:
            check_sha256(path, sha256)
        if path.suffix.lower() in (".h5", ".hdf5", ".keras"):
            return convert_yamnet_keras(read_keras_h5(path), include_top=include_top)
        if path.suffix.lower() == ".tflite":
            return convert_yamnet_tflite(read_tflite(path), include_top=include_top)
        source = _load_torch_file(path)
    if not isinstance(source, dict):
        raise TypeError(
            "YAMNet weights must be a registry name, a file path or a dict, got "
            f"{type(source).__name__}."
        )
    if any(k.removesuffix(":0").endswith("layer1/conv/kernel") for k in source):
        return convert_yamnet_keras(source, include_top=include_top)
    return {k: v for k, v in source.items() if include_top or not k.startswith("logits.")}


def load_vggish_weights(source, *, sha256=None, include_top=True):
    """VGGish weights from the TF checkpoint, the PyTorch port, a saved state dict, or a dict.

    Parameters
    ----------
    source : str, os.PathLike or dict
        ``vggish_model.ckpt`` (TensorFlow checkpoint: needs TensorFlow),
        ``.pt``/``.pth`` (the torchvggish port or a
        :class:`~sklearn_ser.models.vggish.VGGish` state dict, loaded with
        ``weights_only=True``), or a dict of either, or of TF variables.
    sha256 : str, optional
        Verify a file against this digest first.
    include_top : bool, default=True
        Keep ``fc1_1``, ``fc1_2`` and ``fc2``.

    Returns
    -------
    state : dict of str to torch.Tensor
        Keys of :class:`~sklearn_ser.models.vggish.VGGish`.
    """
    path = _as_path(source)
    if path is not None:
        if sha256 is not None:
            check_sha256(path, sha256)
        if ".ckpt" in path.name:
            return convert_vggish_tf(read_tf_checkpoint(path), include_top=include_top)
        source = _load_torch_file(path)
    if not isinstance(source, dict):
        raise TypeError(
            f"VGGish weights must be a file path or a dict, got {type(source).__name__}."
        )
    if any(k.endswith("conv1/weights") for k in source):
        return convert_vggish_tf(source, include_top=include_top)
    if any(k.startswith("features.") for k in source):
        source = convert_vggish_port(source)
    return {k: v for k, v in source.items() if include_top or not k.startswith("fc")}


def load_state_into(module, state, *, name=None):
    """Copy ``state`` into ``module``, strictly, with errors that say what differs.

    Keys of a classification top the module does not have (VGGish's ``fc*``,
    YAMNet's ``logits``) are ignored, and batch-norm ``num_batches_tracked``
    counters may be absent; every other parameter must be present with its
    shape.

    Parameters
    ----------
    module : torch.nn.Module
    state : dict of str to torch.Tensor
    name : str, optional
        Used in error messages.

    Returns
    -------
    module : torch.nn.Module
    """
    name = name or type(module).__name__
    own = module.state_dict()
    top = ("fc", "logits.")
    state = {k: v for k, v in state.items()
             if k in own or not (k.startswith(top) and not getattr(module, "include_top", True))}
    missing = [k for k in own if k not in state and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in own]
    wrong = [f"{k}: {tuple(state[k].shape)} vs {tuple(own[k].shape)}"
             for k in own if k in state and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or wrong:
        more = {"missing": missing, "unexpected": unexpected}
        more = {k: "..." if len(v) > 5 else "" for k, v in more.items()}
        raise ValueError(
            f"The weights do not fit {name}: missing {missing[:5]}{more['missing']}, unexpected "
            f"{unexpected[:5]}{more['unexpected']}, shape mismatches {wrong[:5]}. Pass the "
            "released weights of this network (see sklearn_ser.models.weights)."
        )
    for key, value in own.items():
        state.setdefault(key, value)
    module.load_state_dict(state, strict=True)
    return module
