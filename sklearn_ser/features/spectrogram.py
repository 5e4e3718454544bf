"""Variable-length log spectrograms, the front end of the CNN + BiGRU of Dai et al. 2019.

Dai et al. 2019 feeds the network whole
utterances: a log-mel (128 bands) or log-STFT spectrogram computed with a
40 ms Hamming window, a 10 ms hop and a 1024-point DFT at 16 kHz, keeping
only the middle 14 s of longer utterances. Utterances differ in duration, so
the spectrograms differ in their number of frames.

The container: one object per utterance
---------------------------------------
:class:`LogMelSpectrogram` and :class:`LogSTFTSpectrogram` return a **1-D
object ndarray** with one element per input item: the float32 array of shape
``(n_bins, n_frames_i)`` of that utterance (frequency along the rows, low
frequencies first; time along the columns). Nothing is padded here.

- The outer array has one row per utterance, so ``y`` and ``groups`` stay
  aligned, and scikit-learn's indexing (``X[train]``), splitters,
  ``cross_val_score`` and ``GridSearchCV`` work unchanged.
- Every inner array keeps its own length, so memory grows with the total
  duration of the corpus, not with ``n_utterances x longest utterance``.
- Padding happens only per mini-batch, inside the network's data loader
  (:class:`~sklearn_ser.estimators.crnn.CRNNClassifier` buckets utterances
  of similar length together and passes the true lengths to the network).

Build such an array from a list with :func:`pack_spectrograms` (a plain
``np.array(list_of_arrays)`` would stack equal-shaped arrays into a 3-D
array); validate one with :func:`check_spectrograms`. A numeric 3-D array
``(n, n_bins, n_frames)`` is accepted wherever the container is, as ``n``
utterances of equal length.
"""

import os
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ..audio import pad_to_length
from ._extract import read_item
from ._frontend import AudioFrontEnd
from ._spectral import analysis_window, limit_peak, mel_filters, power_to_db, stft_power
from .segments import pack_segments

__all__ = [
    "LogMelSpectrogram",
    "LogSTFTSpectrogram",
    "check_spectrograms",
    "crop_middle",
    "log_spectrogram",
    "pack_spectrograms",
    "spectrogram_lengths",
]

#: Window names accepted by the front ends (periodic windows of :func:`scipy.signal.get_window`).
WINDOWS = ("hamming", "hann", "blackman", "bartlett", "boxcar")


# --------------------------------------------------------------------------
# signal functions
# --------------------------------------------------------------------------
def crop_middle(y, max_samples):
    """Keep the middle ``max_samples`` samples of a longer waveform.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
    max_samples : int or None
        ``None`` returns ``y`` unchanged. When the number of samples to drop
        is odd, the extra one is dropped at the end.

    Returns
    -------
    y_cropped : ndarray of shape (min(n_samples, max_samples),)
        A view of ``y``.

    Examples
    --------
    >>> crop_middle(np.arange(10), 4)
    array([3, 4, 5, 6])
    >>> crop_middle(np.arange(3), 4)
    array([0, 1, 2])
    """
    if max_samples is None or y.shape[-1] <= max_samples:
        return y
    start = (y.shape[-1] - int(max_samples)) // 2
    return y[start:start + int(max_samples)]


def log_spectrogram(y, *, sr=16000, n_fft=1024, win_length=640, hop_length=160,
                    window="hamming", center=False, n_mels=128, fmin=0.0, fmax=None,
                    top_db=80.0, max_duration=14.0):
    """Log-mel or log-STFT power spectrogram of one waveform, time along the columns.

    The waveform is cropped to its middle ``max_duration`` seconds, cut into
    frames of ``win_length`` samples every ``hop_length`` samples, each frame
    multiplied by a periodic ``window`` and transformed with a
    ``n_fft``-point DFT (zero-padded from ``win_length``); the power
    spectrum is optionally projected on ``n_mels`` mel bands (librosa's
    Slaney filter bank), then converted to dB relative to the utterance's
    loudest bin and floored ``top_db`` below it.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono waveform at ``sr``. Shorter than ``win_length``, it is
        zero-padded symmetrically to one frame.
    sr : int, default=16000
        Sampling rate of ``y`` in Hz.
    n_fft : int, default=1024
        DFT length (at least ``win_length``).
    win_length : int, default=640
        Window length in samples (40 ms at 16 kHz).
    hop_length : int, default=160
        Hop between frames in samples (10 ms at 16 kHz).
    window : {"hamming", "hann", "blackman", "bartlett", "boxcar"}, default="hamming"
        Periodic analysis window.
    center : bool, default=False
        ``False``: frames start at sample 0 and lie entirely inside the
        signal, ``n_frames = 1 + (n_samples - win_length) // hop_length``.
        ``True``: the signal is zero-padded by ``win_length // 2`` on both
        sides first, so frame ``t`` is centred on sample ``t * hop_length``.
    n_mels : int or None, default=128
        Number of mel bands; ``None`` keeps the ``1 + n_fft // 2`` STFT bins.
    fmin : float, default=0.0
        Lowest mel filter frequency in Hz (ignored when ``n_mels=None``).
    fmax : float or None, default=None
        Highest mel filter frequency in Hz; ``None`` means ``sr / 2``.
    top_db : float or None, default=80.0
        Dynamic range kept below the peak, in dB; ``None`` keeps everything
        down to the 1e-10 power floor (-100 dB re. 1).
    max_duration : float or None, default=14.0
        Longer waveforms keep only their middle ``max_duration`` seconds
        (:func:`crop_middle`); ``None`` keeps everything.

    Returns
    -------
    spectrogram : ndarray of shape (n_bins, n_frames), float32
        ``n_bins`` is ``n_mels``, or ``1 + n_fft // 2`` without mel bands.
        Values in ``[-top_db, 0]`` dB; row 0 is the lowest frequency.

    See Also
    --------
    LogMelSpectrogram, LogSTFTSpectrogram : The same for a batch of files, as transformers.

    Examples
    --------
    >>> t = np.arange(16000) / 16000
    >>> y = np.sin(2 * np.pi * 440 * t)
    >>> S = log_spectrogram(y)
    >>> S.shape, S.dtype, float(S.max())
    ((128, 97), dtype('float32'), 0.0)
    >>> log_spectrogram(y, n_mels=None).shape
    (513, 97)
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-D waveform, got shape {y.shape}.")
    if win_length > n_fft:
        raise ValueError(
            f"win_length={win_length} is longer than n_fft={n_fft}; raise n_fft or shorten the "
            "window."
        )
    if not np.issubdtype(y.dtype, np.floating):
        y = y.astype(np.float32)
    if max_duration is not None:
        y = crop_middle(y, int(round(max_duration * sr)))
    if center:
        y = np.pad(y, win_length // 2)
    y = limit_peak(pad_to_length(y, win_length))
    window = analysis_window(str(window), int(win_length))
    power = stft_power(y.astype(np.float64, copy=False), n_fft=int(n_fft),
                       hop_length=int(hop_length), window=window)
    if n_mels is None:
        spec = power.T
    else:
        spec = mel_filters(int(sr), int(n_fft), int(n_mels), float(fmin),
                           None if fmax is None else float(fmax), dtype=np.float64) @ power.T
    db = power_to_db(spec, top_db=None if top_db is None else float(top_db))
    return np.ascontiguousarray(db, dtype=np.float32)


# --------------------------------------------------------------------------
# the container
# --------------------------------------------------------------------------
def pack_spectrograms(arrays):
    """Put per-utterance ``(n_bins, n_frames_i)`` arrays into a 1-D object ndarray.

    Parameters
    ----------
    arrays : sequence of ndarray of shape (n_bins, n_frames_i)

    Returns
    -------
    X : ndarray of shape (n_utterances,), dtype object
        The arrays themselves (not copies), one per element.

    Examples
    --------
    >>> X = pack_spectrograms([np.zeros((4, 7)), np.zeros((4, 3))])
    >>> X.shape, X.dtype, X[1].shape
    ((2,), dtype('O'), (4, 3))
    """
    for i, arr in enumerate(arrays):
        if np.ndim(arr) != 2:
            raise ValueError(
                f"arrays[{i}] must be a 2-D spectrogram (n_bins, n_frames), got shape "
                f"{np.shape(arr)}."
            )
    return pack_segments(arrays)


def check_spectrograms(X, *, name="X", n_bins=None):
    """Validate variable-length spectrograms; return them as a list of float32 arrays.

    Parameters
    ----------
    X : 1-D object ndarray, sequence of 2-D arrays, or 3-D numeric array
        One ``(n_bins, n_frames_i)`` array per utterance, as returned by
        :class:`LogMelSpectrogram` / :class:`LogSTFTSpectrogram`. A numeric
        ``(n, n_bins, n_frames)`` array is read as ``n`` utterances of equal
        length.
    name : str, default="X"
        Name used in error messages.
    n_bins : int or None, default=None
        Required number of rows (e.g. the number a network was trained on);
        ``None`` only requires all utterances to agree.

    Returns
    -------
    spectrograms : list of ndarray of shape (n_bins, n_frames_i), float32
        C-contiguous; arrays that already are float32 and contiguous are
        not copied.

    Examples
    --------
    >>> [s.shape for s in check_spectrograms([np.zeros((3, 5)), np.ones((3, 2))])]
    [(3, 5), (3, 2)]
    >>> check_spectrograms([np.zeros((3, 5)), np.ones((4, 2))])
    Traceback (most recent call last):
    ...
    ValueError: All spectrograms must have the same number of bins (rows); X[0] has 3 ...
    """
    if isinstance(X, np.ndarray) and X.dtype != object:
        if X.ndim != 3:
            raise ValueError(
                f"A numeric {name} must be 3-D (n_utterances, n_bins, n_frames), got shape "
                f"{X.shape}. Pass the output of LogMelSpectrogram or LogSTFTSpectrogram (one "
                "(n_bins, n_frames_i) array per utterance) instead."
            )
        items = list(X)
    else:
        if isinstance(X, (str, bytes, dict, os.PathLike)) or not hasattr(X, "__len__"):
            raise TypeError(
                f"{name} must hold one (n_bins, n_frames) spectrogram per utterance (the output "
                f"of LogMelSpectrogram or LogSTFTSpectrogram), got {type(X).__name__}."
            )
        items = list(X)
    if len(items) == 0:
        raise ValueError(f"{name} is empty: pass at least one utterance.")
    out = []
    expected = n_bins
    for i, item in enumerate(items):
        if isinstance(item, (str, os.PathLike)):
            raise TypeError(
                f"{name}[{i}] is a path ({item!r}); compute spectrograms first: put "
                "LogMelSpectrogram() or LogSTFTSpectrogram() before this step."
            )
        arr = np.ascontiguousarray(item, dtype=np.float32)
        if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
            raise ValueError(
                f"{name}[{i}] must be a non-empty 2-D spectrogram (n_bins, n_frames), got shape "
                f"{arr.shape}."
            )
        if expected is None:
            expected = arr.shape[0]
        elif arr.shape[0] != expected:
            first = f"{name}[0] has {expected}" if n_bins is None else f"expected {n_bins}"
            raise ValueError(
                f"All spectrograms must have the same number of bins (rows); {first} but "
                f"{name}[{i}] has {arr.shape[0]}."
            )
        if not np.isfinite(arr).all():
            raise ValueError(f"{name}[{i}] contains NaN or infinite values.")
        out.append(arr)
    return out


def spectrogram_lengths(X):
    """Number of frames of every utterance.

    Parameters
    ----------
    X : variable-length spectrograms
        See :func:`check_spectrograms`.

    Returns
    -------
    lengths : ndarray of shape (n_utterances,), int64

    Examples
    --------
    >>> spectrogram_lengths(pack_spectrograms([np.zeros((4, 7)), np.zeros((4, 3))]))
    array([7, 3])
    """
    if isinstance(X, np.ndarray) and X.dtype != object and X.ndim == 3:
        return np.full(X.shape[0], X.shape[2], dtype=np.int64)
    return np.array([np.shape(x)[-1] for x in X], dtype=np.int64)


# --------------------------------------------------------------------------
# transformers
# --------------------------------------------------------------------------
class _VariableLengthSpectrogram(AudioFrontEnd):
    """What the variable-length front ends share (see the module notes)."""

    _parameter_constraints = {
        **AudioFrontEnd._parameter_constraints,
        "sr": [Interval(Integral, 1, None, closed="left")],
        "n_fft": [Interval(Integral, 16, None, closed="left")],
        "win_length": [Interval(Integral, 16, None, closed="left")],
        "hop_length": [Interval(Integral, 1, None, closed="left")],
        "window": [StrOptions(set(WINDOWS))],
        "center": ["boolean"],
        "top_db": [Interval(Real, 0, None, closed="neither"), None],
        "max_duration": [Interval(Real, 0, None, closed="neither"), None],
    }
    # 2: the power spectrum through the shared kernel (re^2 + im^2 instead of |z|^2:
    # the same values to float32 rounding, not always the same bits).
    _cache_version = 2
    _desc = "spectrograms"

    def _check_params(self):
        if self.win_length > self.n_fft:
            raise ValueError(
                f"win_length={self.win_length} is longer than n_fft={self.n_fft}; raise n_fft or "
                "shorten the window."
            )
        if self.max_duration is not None and self.max_duration * self.sr < self.win_length:
            raise ValueError(
                f"max_duration={self.max_duration} s is shorter than one window "
                f"({self.win_length} samples at sr={self.sr}); raise max_duration or use None "
                "to keep whole utterances."
            )

    def _fill_shape(self, params):
        n_bins = params["n_mels"] if params.get("n_mels") else 1 + params["n_fft"] // 2
        return (n_bins, 1)  # one frame

    @staticmethod
    def _compute(item, index, *, sr, win_length, **params):
        y = read_item(item, index, sr=sr, min_samples=win_length)
        return log_spectrogram(y, sr=sr, win_length=win_length, **params)


class LogMelSpectrogram(_VariableLengthSpectrogram):
    """Variable-length log-mel spectrograms of audio files or waveforms.

    Each utterance becomes one float32 array of shape ``(n_mels, n_frames_i)``
    whose number of frames follows its duration: the power spectrum of
    ``win_length``-sample Hamming-windowed frames every ``hop_length``
    samples (``n_fft``-point DFT), projected on ``n_mels`` mel bands and
    converted to dB relative to the utterance's loudest bin (see
    :func:`log_spectrogram`). The defaults are Dai et al. 2019's: 16 kHz,
    40 ms window, 10 ms hop, DFT 1024, 128 bands, middle 14 s of longer
    utterances. Stateless and deterministic; ``fit`` only validates.

    Parameters
    ----------
    sr : int, default=16000
        Rate the audio is resampled to, in Hz. Waveforms given as arrays are
        assumed to be at ``sr`` already.
    n_fft : int, default=1024
        DFT length; at least ``win_length``.
    win_length : int, default=640
        Analysis window in samples (40 ms at 16 kHz). Clips shorter than one
        window are zero-padded symmetrically to one frame.
    hop_length : int, default=160
        Hop between frames in samples (10 ms at 16 kHz).
    window : {"hamming", "hann", "blackman", "bartlett", "boxcar"}, default="hamming"
        Periodic analysis window.
    center : bool, default=False
        Whether frames are centred on ``t * hop_length`` (zero padding of
        ``win_length // 2`` at both ends); by default frames lie inside the
        signal.
    n_mels : int, default=128
        Number of mel bands (rows of each output array).
    fmin : float, default=0.0
        Lowest mel filter frequency in Hz.
    fmax : float or None, default=None
        Highest mel filter frequency in Hz; ``None`` means ``sr / 2``.
    top_db : float or None, default=80.0
        Dynamic range kept below each utterance's peak, in dB.
    max_duration : float or None, default=14.0
        Utterances longer than this many seconds keep only their middle
        ``max_duration`` seconds; ``None`` keeps everything.
    n_jobs : int or None, default=None
        joblib workers computing the spectrograms (``-1``: all cores).
    memory : None, str or joblib.Memory, default=None
        Feature cache folder. Each spectrogram is stored under a digest of
        the audio's **content** and of the parameters above, so
        cross-validation and grid searches compute each file once and a
        changed parameter never returns a stale result. ``None`` disables
        caching.
    verbose : int, default=0
        Progress bar while computing when > 0.
    on_error : {"raise", "skip", "warn"}, default="raise"
        What an unreadable item does to a batch: ``"raise"`` stops it with the
        item's error (naming the file or ``X[i]``); ``"skip"`` keeps its row, a
        ``(n_bins, 1)`` array of ``fill_value``, and records it in
        ``failed_items_``; ``"warn"`` also emits one
        :class:`~sklearn_ser.exceptions.FailedItemsWarning`.
    fill_value : float, default=0.0
        Value of the row of a failed item.

    See Also
    --------
    LogSTFTSpectrogram : The same without the mel projection.
    sklearn_ser.estimators.crnn.CRNNClassifier : The network that consumes them.
    check_spectrograms, pack_spectrograms : The output container.

    Notes
    -----
    The output is a 1-D object ndarray, one ``(n_mels, n_frames_i)`` array
    per utterance, not a padded 3-D array: see the module notes. With the
    defaults, ``n_frames = 1 + (n_samples - 640) // 160``, at most 1397 for
    14 s.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(32000) / 16000
    >>> X = [np.sin(2 * np.pi * 300 * t), np.sin(2 * np.pi * 3000 * t[:8000])]
    >>> S = LogMelSpectrogram().fit_transform(X)
    >>> S.shape, S.dtype, S[0].shape, S[1].shape
    ((2,), dtype('O'), (128, 197), (128, 47))

    On a corpus, with a cache and two workers::

        from sklearn_ser.datasets import load_emodb
        bunch = load_emodb()
        X = LogMelSpectrogram(n_jobs=2, memory="~/.cache/sklearn_ser").fit_transform(
            bunch.filenames)
    """

    _parameter_constraints = {
        **_VariableLengthSpectrogram._parameter_constraints,
        "n_mels": [Interval(Integral, 1, None, closed="left")],
        "fmin": [Interval(Real, 0, None, closed="left")],
        "fmax": [Interval(Real, 0, None, closed="neither"), None],
    }
    _desc = "log-mel spectrograms"

    def __init__(self, sr=16000, n_fft=1024, win_length=640, hop_length=160, window="hamming",
                 center=False, n_mels=128, fmin=0.0, fmax=None, top_db=80.0, max_duration=14.0,
                 n_jobs=None, memory=None, verbose=0, on_error="raise", fill_value=0.0):
        self.sr = sr
        self.n_fft = n_fft
        self.win_length = win_length
        self.hop_length = hop_length
        self.window = window
        self.center = center
        self.n_mels = n_mels
        self.fmin = fmin
        self.fmax = fmax
        self.top_db = top_db
        self.max_duration = max_duration
        self.n_jobs = n_jobs
        self.memory = memory
        self.verbose = verbose
        self.on_error = on_error
        self.fill_value = fill_value

    def _check_params(self):
        super()._check_params()
        nyquist = self.sr / 2
        fmax = nyquist if self.fmax is None else self.fmax
        if fmax > nyquist:
            raise ValueError(
                f"fmax={self.fmax} is above the Nyquist frequency sr/2={nyquist}; lower fmax "
                "(fmax=None means sr/2) or raise sr."
            )
        if self.fmin >= fmax:
            raise ValueError(f"fmin={self.fmin} must be below fmax={fmax}; lower fmin.")



class LogSTFTSpectrogram(_VariableLengthSpectrogram):
    """Variable-length log-STFT (linear-frequency) spectrograms of audio.

    As :class:`LogMelSpectrogram` without the mel projection: each utterance
    becomes a float32 array of shape ``(1 + n_fft // 2, n_frames_i)`` (513
    bins with the default DFT of 1024), in dB relative to its loudest bin.
    This is the "STFT" input of Dai et al. 2019 (settings 3 and 4).

    Parameters
    ----------
    sr : int, default=16000
        Rate the audio is resampled to, in Hz.
    n_fft : int, default=1024
        DFT length; the output has ``1 + n_fft // 2`` rows.
    win_length : int, default=640
        Analysis window in samples (40 ms at 16 kHz).
    hop_length : int, default=160
        Hop between frames in samples (10 ms at 16 kHz).
    window : {"hamming", "hann", "blackman", "bartlett", "boxcar"}, default="hamming"
        Periodic analysis window.
    center : bool, default=False
        Whether frames are centred on ``t * hop_length``.
    top_db : float or None, default=80.0
        Dynamic range kept below each utterance's peak, in dB.
    max_duration : float or None, default=14.0
        Longer utterances keep only their middle ``max_duration`` seconds.
    n_jobs : int or None, default=None
        joblib workers computing the spectrograms.
    memory : None, str or joblib.Memory, default=None
        Feature cache folder (content-addressed, parameter-aware, atomic).
    verbose : int, default=0
        Progress bar while computing when > 0.
    on_error : {"raise", "skip", "warn"}, default="raise"
        What an unreadable item does to a batch: ``"raise"`` stops it with the
        item's error (naming the file or ``X[i]``); ``"skip"`` keeps its row, a
        ``(n_bins, 1)`` array of ``fill_value``, and records it in
        ``failed_items_``; ``"warn"`` also emits one
        :class:`~sklearn_ser.exceptions.FailedItemsWarning`.
    fill_value : float, default=0.0
        Value of the row of a failed item.

    See Also
    --------
    LogMelSpectrogram : The mel-band version (the paper's better input).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(16000) / 16000
    >>> S = LogSTFTSpectrogram().fit_transform([np.sin(2 * np.pi * 440 * t)])
    >>> S[0].shape
    (513, 97)
    """

    _desc = "log-STFT spectrograms"

    def __init__(self, sr=16000, n_fft=1024, win_length=640, hop_length=160, window="hamming",
                 center=False, top_db=80.0, max_duration=14.0, n_jobs=None, memory=None,
                 verbose=0, on_error="raise", fill_value=0.0):
        self.sr = sr
        self.n_fft = n_fft
        self.win_length = win_length
        self.hop_length = hop_length
        self.window = window
        self.center = center
        self.top_db = top_db
        self.max_duration = max_duration
        self.n_jobs = n_jobs
        self.memory = memory
        self.verbose = verbose
        self.on_error = on_error
        self.fill_value = fill_value

    def _compute_kwargs(self, params):
        return {"n_mels": None}
