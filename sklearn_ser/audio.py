"""Audio input: read any WAV/FLAC/OGG file to a mono float32 waveform.

Every front end of the toolkit reads audio through :func:`load_audio` (files)
or :func:`check_waveform` (arrays already in memory), so bad input fails in
one place with one kind of error, :class:`~sklearn_ser.exceptions.AudioLoadError`
(a :class:`ValueError`), whose message names the file and the fix.

Policy for clips shorter than the analysis window: they are **zero-padded
symmetrically** (:func:`pad_to_length`) to the window length, so that the
first analysis frame covers the whole clip and no warning or error is raised.
Front ends apply this with ``min_samples=n_fft``.
"""

import os

import numpy as np
import soundfile as sf

from .exceptions import AudioLoadError

__all__ = ["load_audio", "check_waveform", "pad_to_length", "ITEM_ERRORS"]

#: The exceptions that mean "this one input cannot be used" (missing, unreadable, empty,
#: corrupt or undecodable file; zero-length, NaN/inf or non-numeric waveform): what
#: :func:`load_audio` and :func:`check_waveform` raise for bad input. Batch code that
#: skips bad items (``on_error="skip"``) catches exactly these; any other exception is a
#: bug or a bad parameter and propagates.
ITEM_ERRORS = (AudioLoadError, OSError)


def _describe(source):
    return f"'{os.fspath(source)}'" if isinstance(source, (str, os.PathLike)) else str(source)


def check_waveform(y, *, source="waveform", allow_silence=True):
    """Validate a waveform and return it as a 1-D float32 array.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Audio samples. A 2-D array of shape ``(n_channels, n_samples)`` is not
        accepted here: mix it down first (``y.mean(axis=0)``).
    source : str, default="waveform"
        How to name the input in error messages (a file path, or a position
        such as ``"X[3]"``).
    allow_silence : bool, default=True
        If False, an all-zero waveform raises instead of being returned.

    Returns
    -------
    y : ndarray of shape (n_samples,), dtype float32

    Raises
    ------
    AudioLoadError
        If the waveform is not 1-D, is empty, contains NaN or infinity, or is
        all zeros while ``allow_silence=False``.

    Examples
    --------
    >>> import numpy as np
    >>> check_waveform(np.zeros(4, dtype=np.float64)).dtype
    dtype('float32')
    >>> check_waveform([0.0, float("nan")], source="X[0]")
    Traceback (most recent call last):
    ...
    sklearn_ser.exceptions.AudioLoadError: 'X[0]' contains NaN or infinite samples (1 of 2); ...
    """
    name = _describe(source)
    arr = np.asarray(y)
    if arr.dtype.kind == "c":
        raise AudioLoadError(
            f"{name}: Complex data not supported; pass real-valued samples "
            "(e.g. np.real(y) or np.abs(y)).",
            path=source,
        )
    try:
        arr = arr.astype(np.float32, copy=False)
    except (TypeError, ValueError):
        arr = None
    if arr is None or np.asarray(y).dtype.kind not in "fiubO":
        raise AudioLoadError(
            f"{name} is not a numeric waveform (got {type(y).__name__}); "
            "pass a file path or a 1-D array of samples.",
            path=source,
        )
    if arr.ndim != 1:
        raise AudioLoadError(
            f"{name} has shape {arr.shape}; a waveform must be 1-D. "
            "Mix multi-channel audio down to mono first (e.g. y.mean(axis=0)).",
            path=source,
        )
    if arr.size == 0:
        raise AudioLoadError(f"{name} contains no samples (zero-length audio).", path=source)
    if not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise AudioLoadError(
            f"{name} contains NaN or infinite samples ({bad} of {arr.size}); "
            "the recording is corrupt: re-export it or drop it from the data set.",
            path=source,
        )
    if not allow_silence and not np.any(arr):
        raise AudioLoadError(
            f"{name} is all zeros (digital silence); drop it or pass allow_silence=True.",
            path=source,
        )
    return arr


def pad_to_length(y, length):
    """Zero-pad a waveform symmetrically to at least ``length`` samples.

    Longer waveforms are returned unchanged. When the padding is odd, the
    extra zero goes at the end.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
    length : int

    Returns
    -------
    y_padded : ndarray of shape (max(n_samples, length),)

    Examples
    --------
    >>> pad_to_length(np.ones(3), 6)
    array([0., 1., 1., 1., 0., 0.])
    """
    missing = int(length) - y.shape[-1]
    if missing <= 0:
        return y
    before = missing // 2
    return np.pad(y, (before, missing - before))


def load_audio(path, sr=16000, *, mono=True, allow_silence=True, min_samples=None):
    """Read an audio file to a float32 waveform at the requested rate.

    Reads anything libsndfile decodes (WAV in 8/16/24/32-bit PCM or float,
    FLAC, OGG/Vorbis, ...). Multi-channel audio is averaged to mono; the
    signal is resampled with soxr when the file's rate differs from ``sr``.

    Parameters
    ----------
    path : str or os.PathLike
        Audio file.
    sr : int or None, default=16000
        Target sampling rate in Hz; ``None`` keeps the file's own rate.
    mono : bool, default=True
        Average the channels to one. With ``mono=False`` multi-channel files
        return shape ``(n_channels, n_samples)``.
    allow_silence : bool, default=True
        If False, an all-zero file raises :class:`AudioLoadError`.
    min_samples : int or None, default=None
        Zero-pad shorter clips symmetrically to this many samples (after
        resampling); see the module notes for the policy.

    Returns
    -------
    y : ndarray of shape (n_samples,) or (n_channels, n_samples), float32
    sr : int
        The rate of ``y``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    AudioLoadError
        If the file is empty, cannot be decoded, holds no samples, holds NaN or
        infinite samples, or is silent while ``allow_silence=False``. The
        message names the file.

    Examples
    --------
    >>> import tempfile, soundfile as sf
    >>> path = tempfile.mktemp(suffix=".wav")
    >>> sf.write(path, np.full(800, 0.1), 8000)
    >>> y, rate = load_audio(path, sr=16000)
    >>> y.shape, y.dtype, rate
    ((1600,), dtype('float32'), 16000)
    """
    name = _describe(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"Audio file {name} does not exist; check the path or data_home.")
    if os.path.getsize(path) == 0:
        raise AudioLoadError(f"Audio file {name} is empty (0 bytes); re-copy or remove it.",
                             path=path)
    try:
        data, file_sr = sf.read(path, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise AudioLoadError(
            f"Cannot decode audio file {name}: {exc}. It is corrupt or not an audio "
            "format libsndfile reads (WAV, FLAC, OGG); convert it (e.g. with sox or ffmpeg) "
            "or remove it.",
            path=path,
        ) from exc
    y = data.T  # (n_channels, n_samples)
    if y.shape[1] == 0:
        raise AudioLoadError(f"Audio file {name} contains no samples (zero-length audio).",
                             path=path)
    if mono:
        y = y.mean(axis=0) if y.shape[0] > 1 else y[0]
        y = check_waveform(y, source=path, allow_silence=allow_silence)
    else:
        for channel in y:
            check_waveform(channel, source=path, allow_silence=True)
        if not allow_silence and not np.any(y):
            check_waveform(y.ravel(), source=path, allow_silence=False)
    if sr is not None and int(sr) != file_sr:
        import librosa

        y = librosa.resample(y, orig_sr=file_sr, target_sr=int(sr), res_type="soxr_hq", axis=-1)
        y = np.ascontiguousarray(y, dtype=np.float32)
        file_sr = int(sr)
    if min_samples is not None:
        if y.ndim == 1:
            y = pad_to_length(y, min_samples)
        else:
            y = np.stack([pad_to_length(c, min_samples) for c in y])
    return y.astype(np.float32, copy=False), int(file_sr)
