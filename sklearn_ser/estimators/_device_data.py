"""Training data that stays on the GPU: batches cut by indexing instead of collating.

skorch's default input path builds every batch on the CPU (one ``__getitem__``
per sample, then ``torch.stack``) and copies it to the device. On a GPU at
batch 64 that loop, not the network, sets the pace: an epoch through
``VACNNClassifier.fit`` took 1.65x one over arrays already on the GPU. When a
data set of fixed-shape arrays fits on the device, :func:`device_batches`
copies it there once and every batch is one indexing operation.
"""

import numpy as np
import torch
from skorch.dataset import Dataset as SkorchDataset
from torch.utils.data import DataLoader, Subset

from ..utils.device import to_device

__all__ = ["DeviceBatches", "device_batches", "resolve_data_on_device"]

#: Share of the device's free memory a data set may take to be kept there.
MEMORY_SHARE = 0.25

#: DataLoader arguments the device path can honour (or safely ignore: workers and pinning
#: have nothing to do when the data is already on the device).
_SUPPORTED_KWARGS = {"batch_size", "shuffle", "drop_last", "generator", "num_workers",
                     "pin_memory", "persistent_workers"}

_CACHE_ATTR = "_sklearn_ser_device_copy"


def resolve_data_on_device(value, device):
    """``True`` when batches should come from a device copy of the data (``"auto"``: CUDA)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value == "auto":
        return torch.device(device).type == "cuda"
    raise ValueError(
        f"data_on_device must be 'auto' (on CUDA only), True or False, got {value!r}."
    )


def _base_and_indices(dataset):
    """The skorch Dataset under (possibly nested) Subsets, and the indices into it."""
    indices = None
    while isinstance(dataset, Subset):
        sub = np.asarray(dataset.indices, dtype=np.int64)
        indices = sub if indices is None else sub[indices]
        dataset = dataset.dataset
    return dataset, indices


def _is_array(value):
    return (isinstance(value, torch.Tensor)
            or (isinstance(value, np.ndarray) and value.dtype != object))


def _eligible(dataset):
    """Whether ``dataset`` is a plain skorch Dataset of fixed-shape arrays (or dict of them)."""
    if type(dataset) is not SkorchDataset:  # a subclass may transform items: keep its path
        return False
    X, y = dataset.X, dataset.y
    if isinstance(X, dict):
        if not X or not all(_is_array(v) and len(v) == len(dataset) for v in X.values()):
            return False
    elif not (_is_array(X) and len(X) == len(dataset)):
        return False
    return y is None or (_is_array(y) and len(y) == len(dataset))


def _nbytes(value):
    if isinstance(value, dict):
        return sum(_nbytes(v) for v in value.values())
    if isinstance(value, torch.Tensor):
        return value.element_size() * value.nelement()
    return 0 if value is None else int(value.nbytes)


def _fits(dataset, device):
    device = torch.device(device)
    if device.type != "cuda":
        return True
    free, _ = torch.cuda.mem_get_info(device)
    return _nbytes(dataset.X) + _nbytes(dataset.y) <= MEMORY_SHARE * free


def _device_copy(dataset, device):
    """``(X, y)`` of ``dataset`` on ``device``, copied once and kept on the dataset."""
    key = str(torch.device(device))
    cached = dataset.__dict__.get(_CACHE_ATTR)
    if cached is not None and cached[0] == key:
        return cached[1], cached[2]
    X = to_device(dataset.X, device)
    y = None if dataset.y is None else to_device(dataset.y, device)
    # The copy lives as long as the dataset, i.e. for one fit or one prediction call.
    dataset.__dict__[_CACHE_ATTR] = (key, X, y)
    return X, y


class DeviceBatches:
    """Mini-batches of a data set that sits on the device, cut by indexing.

    Iterates like the ``DataLoader`` it replaces: ``(X_batch, y_batch)`` pairs,
    ``len()`` batches, shuffled every epoch from ``generator`` (or torch's
    global generator, which the estimator seeds from ``random_state``).

    Parameters
    ----------
    X : tensor or dict of tensors
        The whole data set, on the device.
    y : tensor or None
    indices : ndarray of int or None
        The rows to iterate over (a ``Subset``), ``None`` for all.
    batch_size : int
    shuffle : bool, default=False
    drop_last : bool, default=False
    generator : torch.Generator, optional
    """

    def __init__(self, X, y, indices, batch_size, shuffle=False, drop_last=False,
                 generator=None):
        self.X = X
        self.y = y
        n = len(next(iter(X.values())) if isinstance(X, dict) else X)
        self.indices = np.arange(n) if indices is None else np.asarray(indices, dtype=np.int64)
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.generator = generator
        self.device = (next(iter(X.values())) if isinstance(X, dict) else X).device

    def __len__(self):
        n = len(self.indices)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        order = torch.as_tensor(self.indices)
        if self.shuffle:
            order = order[torch.randperm(len(order), generator=self.generator)]
        order = order.to(self.device)
        for start in range(0, len(order), self.batch_size):
            index = order[start:start + self.batch_size]
            if self.drop_last and len(index) < self.batch_size:
                break
            if isinstance(self.X, dict):
                xb = {key: value[index] for key, value in self.X.items()}
            else:
                xb = self.X[index]
            yb = (torch.zeros(len(index), device=self.device) if self.y is None
                  else self.y[index])
            yield xb, yb


def device_batches(dataset, device, iterator, kwargs, data_on_device):
    """A :class:`DeviceBatches` over ``dataset``, or ``None`` when the device path does not apply.

    It applies when ``data_on_device`` resolves to true, the iterator is the
    plain :class:`torch.utils.data.DataLoader` with only arguments the device
    path supports, the data set is a skorch ``Dataset`` (or ``Subset`` of one)
    of fixed-shape arrays, and, on CUDA, the arrays take at most a quarter of
    the free device memory.
    """
    if not resolve_data_on_device(data_on_device, device):
        return None
    if iterator is not DataLoader or not set(kwargs) <= _SUPPORTED_KWARGS:
        return None
    base, indices = _base_and_indices(dataset)
    if not _eligible(base):
        return None
    cached = base.__dict__.get(_CACHE_ATTR)
    copied = cached is not None and cached[0] == str(torch.device(device))
    if not copied and not _fits(base, device):
        return None
    X, y = _device_copy(base, device)
    return DeviceBatches(X, y, indices, kwargs["batch_size"], shuffle=kwargs.get("shuffle", False),
                         drop_last=kwargs.get("drop_last", False),
                         generator=kwargs.get("generator"))
