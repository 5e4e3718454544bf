"""Variable-length spectrograms as mini-batches: dataset, length buckets, padding.

The data side of :class:`~sklearn_ser.estimators.CRNNClassifier` (see
:mod:`sklearn_ser.estimators.crnn` for how the pieces fit together).
"""

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler, Subset

from ..features.spectrogram import check_spectrograms, pack_spectrograms

__all__ = [
    "BucketLoader",
    "LengthBucketBatchSampler",
    "PaddedLoader",
    "SpectrogramDataset",
    "dataset_lengths",
    "pad_collate",
]


class SpectrogramDataset(Dataset):
    """Variable-length spectrograms (and labels) as a torch dataset.

    Parameters
    ----------
    X : variable-length spectrograms
        One ``(n_bins, n_frames_i)`` array per utterance; see
        :func:`~sklearn_ser.features.spectrogram.check_spectrograms`.
    y : array-like of shape (n_utterances,), optional
        Integer-encoded labels; ``None`` for prediction (items then carry
        the label 0).
    n_bins : int, optional
        Required number of rows.

    Attributes
    ----------
    X : ndarray of shape (n_utterances,), dtype object
        The validated float32 spectrograms.
    y : ndarray of shape (n_utterances,) or None
    lengths : ndarray of shape (n_utterances,), int64
        Frames of each utterance.

    Examples
    --------
    >>> ds = SpectrogramDataset([np.zeros((4, 7)), np.ones((4, 3))], y=[0, 1])
    >>> len(ds), ds.lengths.tolist(), tuple(ds[1][0].shape), int(ds[1][1])
    (2, [7, 3], (4, 3), 1)
    """

    def __init__(self, X, y=None, n_bins=None):
        spectrograms = check_spectrograms(X, n_bins=n_bins)
        self.X = pack_spectrograms(spectrograms)
        self.lengths = np.array([s.shape[1] for s in spectrograms], dtype=np.int64)
        if y is not None:
            y = np.asarray(y)
            if y.shape != (len(spectrograms),):
                raise ValueError(
                    f"y must hold one label per utterance: X has {len(spectrograms)} "
                    f"utterances, y has shape {y.shape}."
                )
        self.y = y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        x = torch.from_numpy(self.X[index])
        y = 0 if self.y is None else self.y[index]
        return x, torch.as_tensor(y)


def dataset_lengths(dataset):
    """Number of frames of every item of a dataset (or a :class:`~torch.utils.data.Subset`).

    Reads ``dataset.lengths`` where it exists (:class:`SpectrogramDataset`),
    follows ``Subset.indices``, and otherwise looks at every item's last axis.

    Examples
    --------
    >>> ds = SpectrogramDataset([np.zeros((2, 5)), np.zeros((2, 3)), np.zeros((2, 9))])
    >>> dataset_lengths(Subset(ds, [2, 0])).tolist()
    [9, 5]
    """
    if isinstance(dataset, Subset):
        return dataset_lengths(dataset.dataset)[np.asarray(dataset.indices, dtype=np.int64)]
    lengths = getattr(dataset, "lengths", None)
    if lengths is not None:
        return np.asarray(lengths, dtype=np.int64)
    return np.array([dataset[i][0].shape[-1] for i in range(len(dataset))], dtype=np.int64)


def pad_collate(batch):
    """Pad a list of ``(spectrogram (n_bins, T_i), label)`` pairs to the batch's longest.

    Returns
    -------
    inputs : dict
        ``{"X": tensor (B, n_bins, max T_i), "lengths": int64 tensor (B,)}``,
        zeros after each item's frames; skorch passes it to
        ``module.forward(X=..., lengths=...)``.
    y : torch.Tensor of shape (B,)

    Examples
    --------
    >>> inputs, y = pad_collate([(torch.ones(2, 3), torch.tensor(0)),
    ...                          (torch.ones(2, 1), torch.tensor(1))])
    >>> tuple(inputs["X"].shape), inputs["lengths"].tolist(), inputs["X"][1].sum().item()
    ((2, 2, 3), [3, 1], 2.0)
    """
    xs, ys = zip(*batch)
    lengths = torch.tensor([x.shape[-1] for x in xs], dtype=torch.long)
    padded = xs[0].new_zeros((len(xs), xs[0].shape[0], int(lengths.max())))
    for i, x in enumerate(xs):
        padded[i, :, :x.shape[-1]] = x
    return {"X": padded, "lengths": lengths}, torch.stack([torch.as_tensor(y) for y in ys])


class LengthBucketBatchSampler(Sampler):
    """Batches of indices of similar length, in shuffled order.

    With ``shuffle=True`` every epoch: the indices are shuffled, cut into
    pools of ``batch_size * pool_batches``, sorted by length inside each
    pool (ties in shuffled order), cut into batches, and the batches are
    shuffled. With ``shuffle=False`` the same without either shuffle (a
    fixed, length-sorted batching of each pool). Randomness comes from
    ``generator`` or torch's global generator (which
    :class:`~sklearn_ser.estimators.SERNetClassifier` seeds from its
    ``random_state``).

    Parameters
    ----------
    lengths : array-like of shape (n_items,)
        Length of every item.
    batch_size : int
    shuffle : bool, default=True
    pool_batches : int or None, default=8
        Batches per sorting pool; ``None`` sorts the whole data set at once
        (least padding, least variety between epochs).
    drop_last : bool, default=False
        Drop batches smaller than ``batch_size`` (the last of each pool).
    generator : torch.Generator, optional

    Examples
    --------
    >>> sampler = LengthBucketBatchSampler([5, 1, 4, 2, 3, 6], batch_size=2, shuffle=False,
    ...                                    pool_batches=None)
    >>> list(sampler)
    [[1, 3], [4, 2], [0, 5]]
    """

    def __init__(self, lengths, batch_size, shuffle=True, pool_batches=8, drop_last=False,
                 generator=None):
        self.lengths = np.asarray(lengths, dtype=np.int64)
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
        if pool_batches is not None and int(pool_batches) < 1:
            raise ValueError(
                f"pool_batches must be a positive integer or None, got {pool_batches!r}."
            )
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.pool_batches = None if pool_batches is None else int(pool_batches)
        self.drop_last = bool(drop_last)
        self.generator = generator

    def _permutation(self, n):
        return torch.randperm(n, generator=self.generator).numpy()

    def __iter__(self):
        n = len(self.lengths)
        order = self._permutation(n) if self.shuffle else np.arange(n)
        pool = n if self.pool_batches is None else self.batch_size * self.pool_batches
        batches = []
        for start in range(0, n, max(pool, 1)):
            chunk = order[start:start + pool]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            for b in range(0, len(chunk), self.batch_size):
                batch = chunk[b:b + self.batch_size]
                if not self.drop_last or len(batch) == self.batch_size:
                    batches.append(batch.tolist())
        if self.shuffle and batches:
            batches = [batches[i] for i in self._permutation(len(batches))]
        return iter(batches)

    def __len__(self):
        n = len(self.lengths)
        pool = n if self.pool_batches is None else self.batch_size * self.pool_batches
        sizes = [min(pool, n - start) for start in range(0, n, max(pool, 1))]
        if self.drop_last:
            return sum(size // self.batch_size for size in sizes)
        return sum(-(-size // self.batch_size) for size in sizes)


class BucketLoader(DataLoader):
    """Training iterator: length-bucketed batches (:class:`LengthBucketBatchSampler`), padded.

    skorch builds it as ``iterator_train(dataset, batch_size=...)``; set its
    options with ``iterator_train__pool_batches=4``,
    ``iterator_train__shuffle=False``, ``iterator_train__num_workers=2``.

    Parameters
    ----------
    dataset : SpectrogramDataset or Subset of one
    batch_size : int, default=32
    shuffle : bool, default=True
    pool_batches : int or None, default=8
    drop_last : bool, default=False
    **kwargs
        Other :class:`torch.utils.data.DataLoader` arguments (``num_workers``,
        ``pin_memory``...); ``collate_fn`` defaults to :func:`pad_collate`.
    """

    def __init__(self, dataset, batch_size=32, shuffle=True, pool_batches=8, drop_last=False,
                 **kwargs):
        sampler = LengthBucketBatchSampler(dataset_lengths(dataset), batch_size, shuffle=shuffle,
                                           pool_batches=pool_batches, drop_last=drop_last,
                                           generator=kwargs.pop("generator", None))
        kwargs.setdefault("collate_fn", pad_collate)
        super().__init__(dataset, batch_sampler=sampler, **kwargs)


class PaddedLoader(DataLoader):
    """Validation / prediction iterator: batches in dataset order, padded per batch.

    The order must be kept (skorch concatenates the outputs); the estimator
    sorts the utterances by length before building the dataset instead.
    """

    def __init__(self, dataset, batch_size=32, **kwargs):
        kwargs.setdefault("collate_fn", pad_collate)
        if kwargs.pop("shuffle", False):
            raise ValueError(
                "PaddedLoader keeps the dataset order (predictions are returned in it); "
                "iterator_valid__shuffle=True is not supported."
            )
        super().__init__(dataset, batch_size=batch_size, shuffle=False, **kwargs)


# --------------------------------------------------------------------------
# the estimator
# --------------------------------------------------------------------------
