"""Speed options for the toolkit's skorch classifiers: bf16 autocast and channels-last.

:class:`PerformanceMixin` adds two parameters to a
:class:`~sklearn_ser.estimators.SERNetClassifier` subclass:

- ``amp``: run the forward pass (training and prediction) under
  :func:`torch.autocast` in **bfloat16**. bfloat16 has float32's exponent
  range, so no loss scaling (``GradScaler``) is needed; the weights, the
  optimiser state and the loss stay float32, and the logits are returned as
  float32 (``predict_proba`` is unchanged in type).
- ``channels_last``: store the network's 4-D weights and every 4-D input batch
  in the ``torch.channels_last`` memory format, which cuDNN (tensor cores) and
  oneDNN convolutions prefer.

``torch.compile`` needs nothing here: skorch's own ``compile=True`` (and
``compile__mode=...``) already reaches every ``SERNetClassifier`` through its
``**kwargs``.

Both options change speed, not the model: the same seed gives the same
initial weights; float results differ only by rounding (bfloat16 keeps about
3 significant digits in the autocast region).

:class:`~sklearn_ser.estimators.VACNNClassifier` and
:class:`~sklearn_ser.estimators.VACNNBOVWClassifier` carry the mixin. Another
:class:`~sklearn_ser.estimators.SERNetClassifier` subclass gets it with one line::

    class FastViTClassifier(PerformanceMixin, ViTClassifier):
        pass

The mixin must come **before** the skorch class in the bases, so that its
``__init__`` takes ``amp`` and ``channels_last`` out of the keyword arguments
skorch would reject.
"""

from collections.abc import Mapping

import torch
from skorch.utils import to_tensor

__all__ = ["PerformanceMixin", "autocast_dtype"]


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


def _channels_last(x):
    """``x`` with every 4-D floating tensor in channels-last format (dicts handled)."""
    if isinstance(x, Mapping):
        return {key: _channels_last(value) for key, value in x.items()}
    if isinstance(x, torch.Tensor) and x.dim() == 4 and x.is_floating_point():
        return x.contiguous(memory_format=torch.channels_last)
    return x


def _to_float32(out):
    if isinstance(out, torch.Tensor) and out.is_floating_point() and out.dtype != torch.float32:
        return out.float()
    if isinstance(out, tuple):
        return tuple(_to_float32(o) for o in out)
    return out


class PerformanceMixin:
    """Add ``amp`` (bfloat16 autocast) and ``channels_last`` to a skorch classifier.

    Parameters
    ----------
    amp : bool, default=False
        Autocast the forward pass to bfloat16 on the estimator's device (CPU
        or an Ampere-or-newer GPU). Weights, optimiser and loss stay float32.
    channels_last : bool, default=False
        Keep the network's 4-D weights and 4-D input batches in channels-last
        memory format.
    *args, **kwargs
        Everything the classifier the mixin is combined with accepts.

    Notes
    -----
    Measured with ``python benchmarks/performance.py --only precision,inference``
    (training images/s and ms per utterance against float32 on this machine's
    device) and ``--only gpu --device cuda`` (images/s at batch 64 with both
    options against float32 at batch 8). On a 2-core AMD EPYC with AVX512-BF16,
    bf16 autocast trained VACNN 1.34x faster at 128x128 and predicted 1.26x
    faster at 224x224; channels-last alone was within noise (1.08x) on CPU.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.estimators import VACNNClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(0, 255, size=(16, 1, 32, 32)).astype("float32")
    >>> y = np.array(["anger", "sadness"] * 8)
    >>> clf = VACNNClassifier(amp=True, channels_last=True, max_epochs=1,
    ...                       train_split=None, random_state=0, device="cpu").fit(X, y)
    >>> clf.predict_proba(X[:2]).dtype
    dtype('float32')
    >>> clf.get_params()["amp"], clf.get_params()["channels_last"]
    (True, True)
    """

    def __init__(self, *args, amp=False, channels_last=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.amp = amp
        self.channels_last = channels_last

    def initialize_module(self):
        super().initialize_module()
        if self.channels_last:
            self.module_ = self.module_.to(memory_format=torch.channels_last)
        return self

    def infer(self, x, **fit_params):
        x = to_tensor(x, device=self.device)
        if self.channels_last:
            x = _channels_last(x)
        dtype = autocast_dtype(self.device, self.amp)
        if dtype is None:
            return super().infer(x, **fit_params)
        with torch.autocast(device_type=torch.device(self.device).type, dtype=dtype):
            out = super().infer(x, **fit_params)
        return _to_float32(out)
