"""Speed and reproducibility options shared by the toolkit's skorch classifiers.

Every :class:`~sklearn_ser.estimators.SERNetClassifier` (hence
:class:`~sklearn_ser.estimators.VACNNClassifier`,
:class:`~sklearn_ser.estimators.VACNNBOVWClassifier`,
:class:`~sklearn_ser.estimators.ViTClassifier`,
:class:`~sklearn_ser.estimators.CRNNClassifier` and
:class:`~sklearn_ser.estimators.LateFusionClassifier`) takes these
parameters; all are off (or a no-op on the CPU) by default:

- ``compile``: :func:`torch.compile` the network when it is built (``True``,
  or a mode such as ``"reduce-overhead"``, which uses CUDA graphs on a GPU).
  The network is compiled in place (:meth:`torch.nn.Module.compile`), so its
  class, ``state_dict`` keys (no ``_orig_mod.`` prefix), saved parameter
  files, pickles and clones are those of the eager network.
- ``data_on_device``: copy the training (and validation or prediction)
  arrays to the GPU once per ``fit`` when they fit in a quarter of its free
  memory, and cut batches there by indexing, instead of collating every
  batch on the CPU and copying it; otherwise batches come from pinned memory
  with non-blocking copies. ``"auto"`` does this on CUDA only.
- ``amp``: run the forward pass under :func:`torch.autocast` in
  **bfloat16** (float32 exponent range, so no loss scaling); weights,
  optimiser state and loss stay float32, and logits are returned as float32.
- ``channels_last``: keep 4-D weights and input batches in the
  ``torch.channels_last`` memory format.
- ``deterministic``: deterministic algorithms only, for bit-identical CUDA
  runs with the same ``random_state`` (:func:`deterministic_algorithms`).

The speed options change speed, not the model: the same seed gives the same
initial weights; float results differ only by rounding (bfloat16 keeps about
3 significant digits in the autocast region; compiled kernels fuse and
reorder float operations).
"""

import contextlib
import os
from collections.abc import Mapping

import torch

__all__ = [
    "COMPILE_MODES",
    "PerformanceMixin",
    "autocast_dtype",
    "check_compile",
    "deterministic_algorithms",
]

#: ``torch.compile`` modes ``compile=`` accepts as a string.
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")

#: Modes that capture CUDA graphs, whose outputs are overwritten by the next replay.
_CUDAGRAPH_MODES = ("reduce-overhead", "max-autotune")

#: cuBLAS workspace setting that makes its GEMMs deterministic (NVIDIA's documentation).
CUBLAS_DETERMINISTIC = ":4096:8"


def autocast_dtype(device, amp):
    """Return the autocast dtype for ``amp`` on ``device``, or ``None`` when off.

    Parameters
    ----------
    device : str or torch.device
        The resolved device (``"cpu"``, ``"cuda"``, ``"cuda:1"``...).
    amp : bool
        The estimator's ``amp`` parameter.

    Returns
    -------
    dtype : torch.dtype or None
        ``torch.bfloat16`` when ``amp`` is true, else ``None``.

    Raises
    ------
    ValueError
        If ``amp`` is not a bool, or the CUDA device has no bfloat16 support
        (GPUs before Ampere): train in float32 there (``amp=False``).

    Examples
    --------
    >>> autocast_dtype("cpu", False) is None
    True
    >>> autocast_dtype("cpu", True)
    torch.bfloat16
    """
    if not isinstance(amp, bool):
        raise ValueError(f"amp must be True or False, got {amp!r}.")
    if not amp:
        return None
    kind = torch.device(device).type
    if kind == "cuda" and not torch.cuda.is_bf16_supported():
        raise ValueError(
            f"amp=True autocasts to bfloat16, which {torch.cuda.get_device_name()} does not "
            "support (it needs an Ampere or newer GPU); use amp=False on this device."
        )
    return torch.bfloat16


def check_compile(compile):
    """Validate ``compile=`` and return the ``torch.compile`` mode, or ``None`` when off.

    Parameters
    ----------
    compile : bool or str
        ``False``: eager. ``True``: ``torch.compile``'s default mode. A string:
        one of :data:`COMPILE_MODES`.

    Returns
    -------
    mode : str or None
        ``None`` for ``False``, ``"default"`` for ``True``, else the mode.

    Examples
    --------
    >>> check_compile(False) is None, check_compile(True), check_compile("reduce-overhead")
    (True, 'default', 'reduce-overhead')
    """
    if isinstance(compile, bool):
        return "default" if compile else None
    if isinstance(compile, str) and compile in COMPILE_MODES:
        return compile
    raise ValueError(
        f"compile must be False, True or one of {list(COMPILE_MODES)} (torch.compile modes; "
        f"'reduce-overhead' uses CUDA graphs), got {compile!r}."
    )


def uses_cudagraphs(compile, device):
    """Whether a network compiled with ``compile`` on ``device`` replays CUDA graphs."""
    mode = check_compile(compile)
    return mode in _CUDAGRAPH_MODES and torch.device(device).type == "cuda"


@contextlib.contextmanager
def deterministic_algorithms(enabled=True):
    """Use only deterministic algorithms inside the block; restore every global flag after.

    Sets ``torch.backends.cudnn.deterministic = True``,
    ``torch.backends.cudnn.benchmark = False`` (cuDNN then neither benchmarks
    nor picks non-deterministic convolution algorithms),
    ``torch.use_deterministic_algorithms(True, warn_only=False)`` (an operation
    without a deterministic implementation raises instead of running), and,
    when the environment does not set it, ``CUBLAS_WORKSPACE_CONFIG=:4096:8``
    (deterministic cuBLAS GEMMs). On the way out all four are put back as
    they were, also when the block raises.

    On the CPU the toolkit's networks are deterministic anyway; this only
    matters on CUDA.

    Parameters
    ----------
    enabled : bool, default=True
        ``False`` makes the block a no-op.

    Raises
    ------
    RuntimeError
        From inside the block, with a message that names the operation and
        says how to proceed, when an operation has no deterministic
        implementation on the device.

    Examples
    --------
    >>> before = torch.are_deterministic_algorithms_enabled()
    >>> with deterministic_algorithms():
    ...     torch.are_deterministic_algorithms_enabled()
    True
    >>> torch.are_deterministic_algorithms_enabled() == before
    True
    """
    if not enabled:
        yield
        return
    saved = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark,
             torch.are_deterministic_algorithms_enabled(),
             torch.is_deterministic_algorithms_warn_only_enabled(),
             os.environ.get("CUBLAS_WORKSPACE_CONFIG"))
    try:
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        torch.use_deterministic_algorithms(True, warn_only=False)
        if saved[4] is None:
            os.environ["CUBLAS_WORKSPACE_CONFIG"] = CUBLAS_DETERMINISTIC
        try:
            yield
        except RuntimeError as exc:
            if "deterministic implementation" not in str(exc):
                raise
            raise RuntimeError(
                f"deterministic=True allows only deterministic algorithms, and this operation "
                f"has none on this device: {exc} Either set deterministic=False (runs with the "
                f"same random_state then differ in the last bits on CUDA), or replace that "
                f"layer in the network."
            ) from exc
    finally:
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = saved[:2]
        torch.use_deterministic_algorithms(saved[2], warn_only=saved[3])
        if saved[4] is None:
            os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)


def channels_last(x):
    """``x`` with every 4-D floating tensor in channels-last format (dicts handled)."""
    if isinstance(x, Mapping):
        return {key: channels_last(value) for key, value in x.items()}
    if isinstance(x, torch.Tensor) and x.dim() == 4 and x.is_floating_point():
        return x.contiguous(memory_format=torch.channels_last)
    return x


def to_float32(out):
    """Floating tensors of a network's output (or tuple of outputs) as float32."""
    if isinstance(out, torch.Tensor) and out.is_floating_point() and out.dtype != torch.float32:
        return out.float()
    if isinstance(out, tuple):
        return tuple(to_float32(o) for o in out)
    return out


def clone_outputs(out):
    """Copies of a network's output tensors (CUDA-graph outputs are overwritten by the next run)."""
    if isinstance(out, torch.Tensor):
        return out.clone()
    if isinstance(out, tuple):
        return tuple(clone_outputs(o) for o in out)
    return out


class PerformanceMixin:
    """An empty mixin, kept so that ``class Fast(PerformanceMixin, ViTClassifier)`` still works.

    :class:`~sklearn_ser.estimators.SERNetClassifier` itself takes ``amp``,
    ``channels_last``, ``compile``, ``data_on_device`` and ``deterministic``
    (see :mod:`sklearn_ser.estimators._performance`), so every network
    estimator has the speed options and the mixin has nothing to add.

    Examples
    --------
    >>> from sklearn_ser.estimators import ViTClassifier
    >>> class FastViT(PerformanceMixin, ViTClassifier):
    ...     pass
    >>> FastViT(amp=True).get_params()["amp"]
    True
    """
