"""Exceptions and warnings raised by sklearn-ser.

All errors derive from :class:`SERError`; those caused by a bad value also
derive from :class:`ValueError`, so ``except ValueError`` keeps working.
"""

from typing import NamedTuple


class SERError(Exception):
    """Base class of every error raised by sklearn-ser."""


class AudioLoadError(SERError, ValueError):
    """An audio file or waveform cannot be used.

    The message names the file (or the waveform's position in a batch), says
    what was wrong and how to fix it. The offending path is kept in ``path``.
    """

    def __init__(self, message, path=None):
        super().__init__(message)
        self.path = path


class CorpusError(SERError, ValueError):
    """A corpus folder is missing, or a file in it does not follow its naming scheme."""


class ChecksumError(SERError, OSError):
    """A downloaded file does not match its expected SHA-256 digest."""


class PartialCorpusWarning(UserWarning):
    """A corpus copy holds fewer files than the official distribution."""


class FailedItem(NamedTuple):
    """One item of a batch that could not be used: where it was, what it was, why.

    Attributes
    ----------
    index : int
        Position of the item in its batch (``X[index]``, or the row of a
        corpus Bunch).
    source : str
        The file path, or ``"X[index]"`` for an in-memory waveform.
    error : str
        The exception's class name and message, e.g.
        ``"AudioLoadError: Audio file 'a.wav' is empty (0 bytes); ..."``.

    Examples
    --------
    >>> item = FailedItem(3, "a.wav", "AudioLoadError: 'a.wav' is empty")
    >>> item.index, item.source
    (3, 'a.wav')
    """

    index: int
    source: str
    error: str


class FailedItemsWarning(UserWarning):
    """Some items of a batch could not be read and were skipped or filled in.

    Emitted with ``on_error="warn"`` (by
    :class:`~sklearn_ser.features.LogMelImage` and the other front ends) and
    by :func:`~sklearn_ser.datasets.drop_unreadable`. The message gives the
    count and the names; ``failures`` holds one :class:`FailedItem` per item.
    """

    def __init__(self, message, failures=()):
        super().__init__(message)
        self.failures = list(failures)
