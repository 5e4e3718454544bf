"""Exceptions and warnings raised by sklearn-ser.

All errors derive from :class:`SERError`; those caused by a bad value also
derive from :class:`ValueError`, so ``except ValueError`` keeps working.
"""


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
