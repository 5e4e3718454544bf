"""The spectral kernel every audio front end goes through.

One place for the short-time power spectrum, the mel filter bank (built once per
process and setting), the conversion to dB and the peak limit that keeps float32
power from overflowing. The front ends (:mod:`.logmel`, :mod:`.spectrogram`,
:mod:`.segments`) differ only in how they frame, project and scale; the arithmetic
below is shared so that a fix or a speed-up reaches all of them.

Nothing here imports librosa's signal stack unless a filter bank or window is
built: a worker process that receives them from its parent (see
:func:`remember_filters`) needs only numpy and ``scipy.fft``.
"""

import numpy as np
import scipy.fft
import scipy.sparse
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "AMIN",
    "MAX_SAFE_PEAK",
    "analysis_window",
    "limit_peak",
    "mel_filters",
    "power_to_db",
    "remember_filters",
    "stft_power",
]

#: Power floor before the logarithm (``librosa.power_to_db``'s ``amin``).
AMIN = 1e-10

#: Waveforms whose peak magnitude exceeds this are scaled to peak 1 before the power
#: spectrum, whose float32 squares would otherwise overflow (from about 1e17) and give
#: an all-zero output. Every front end's output is relative to the utterance's own peak
#: (dB re. max, min-max scaling) or used with such inputs only, so below it nothing changes.
MAX_SAFE_PEAK = 1e6

#: Frames per FFT block: temporaries of at most 512 x n_fft x 8 bytes (8 MB at
#: n_fft=2048, float64 input) whatever the recording's length.
FRAME_BLOCK = 512

# The one cache of windows and filter banks, keyed by every argument that shapes them.
# Read-only arrays, so sharing them between threads is safe. Bounded: a grid search over
# many settings should not keep every bank alive.
_FILTERS = {}
_MAX_FILTERS = 32


def _cached(key, build):
    value = _FILTERS.get(key)
    if value is None:
        value = build()
        if len(_FILTERS) >= _MAX_FILTERS:
            _FILTERS.clear()
        _FILTERS[key] = value
    return value


def _freeze(array):
    if scipy.sparse.issparse(array):
        for part in (array.data, array.indices, array.indptr):
            part.setflags(write=False)
    else:
        array.setflags(write=False)
    return array


def analysis_window(window, win_length, n_fft=None):
    """Periodic analysis window, centred in ``n_fft`` samples when that is longer.

    Parameters
    ----------
    window : str
        A name for :func:`scipy.signal.get_window` (``"hann"``, ``"hamming"``...).
    win_length : int
        Window length in samples.
    n_fft : int, optional
        Zero-pad the window symmetrically to this length, as ``librosa.stft``
        does when ``win_length < n_fft``.

    Returns
    -------
    window : ndarray of shape (n_fft or win_length,), float64, read-only

    Examples
    --------
    >>> w = analysis_window("hann", 4, n_fft=8)
    >>> w.round(2).tolist()
    [0.0, 0.0, 0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    """
    length = int(win_length) if n_fft is None else int(n_fft)
    key = ("window", str(window), int(win_length), length)

    def build():
        import librosa

        win = librosa.filters.get_window(str(window), int(win_length), fftbins=True)
        win = np.asarray(win, dtype=np.float64)
        if length > win.shape[0]:
            win = librosa.util.pad_center(win, size=length)
        return _freeze(np.ascontiguousarray(win))

    return _cached(key, build)


def _tensorflow_mel(sr, n_fft, n_mels, fmin, fmax):
    """TensorFlow's ``linear_to_mel_weight_matrix``, as ``(n_mels, n_fft // 2 + 1)`` float64."""
    def hz_to_mel(f):
        return 1127.0 * np.log1p(np.asarray(f, dtype=np.float64) / 700.0)

    bins_mel = hz_to_mel(np.linspace(0.0, sr / 2, n_fft // 2 + 1)[1:])[:, np.newaxis]
    edges = np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    weights = np.maximum(0.0, np.minimum((bins_mel - lower) / (center - lower),
                                         (upper - bins_mel) / (upper - center)))
    return np.pad(weights, [(1, 0), (0, 0)]).T


def mel_filters(sr, n_fft, n_mels, fmin=0.0, fmax=None, *, htk=False, norm="slaney",
                formula="librosa", dtype=np.float32, sparse=False):
    """The mel filter bank of one setting, built once per process.

    ``librosa.feature.melspectrogram`` rebuilds the bank on every call, a large
    share of the cost of one short utterance; here every front end reads it
    from one cache keyed by all the arguments.

    Parameters
    ----------
    sr, n_fft, n_mels : int
    fmin : float, default=0.0
    fmax : float or None, default=None
        ``None`` means ``sr / 2``.
    htk : bool, default=False
        HTK mel scale instead of Slaney's.
    norm : {"slaney", None}, default="slaney"
        Area normalisation of the triangles; ``None`` leaves them at height 1.
    formula : {"librosa", "tensorflow"}, default="librosa"
        ``"librosa"``: ``librosa.filters.mel`` (with ``htk`` and ``norm``).
        ``"tensorflow"``: TensorFlow's ``linear_to_mel_weight_matrix``, the
        filters the released YAMNet and VGGish were trained on: triangles
        linear on the HTK mel scale (librosa's ``htk=True`` triangles are
        linear in Hz between mel-spaced edges), height 1, no weight on the DC
        bin; ``htk`` and ``norm`` are ignored and ``fmax=None`` means ``sr / 2``.
    dtype : numpy dtype, default=float32
    sparse : bool, default=False
        Return a ``scipy.sparse.csr_array``. Each triangle covers a few FFT
        bins (2,020 non-zeros of 131,200 at 16 kHz, ``n_fft=2048``, 128 bands),
        so the sparse product does 1.5 % of the dense one's multiplications;
        it does not go through BLAS either, so its result is the same bit for
        bit whatever the number of BLAS threads.

    Returns
    -------
    mel_basis : ndarray or csr_array of shape (n_mels, 1 + n_fft // 2), read-only

    Examples
    --------
    >>> basis = mel_filters(16000, 512, 40)
    >>> basis.shape, basis.dtype, mel_filters(16000, 512, 40) is basis
    ((40, 257), dtype('float32'), True)
    """
    fmax = None if fmax is None else float(fmax)
    if formula not in ("librosa", "tensorflow"):
        raise ValueError(f"formula must be 'librosa' or 'tensorflow', got {formula!r}.")
    key = ("mel", formula, int(sr), int(n_fft), int(n_mels), float(fmin), fmax, bool(htk), norm,
           np.dtype(dtype).str, bool(sparse))

    def build():
        if formula == "tensorflow":
            basis = _tensorflow_mel(int(sr), int(n_fft), int(n_mels), float(fmin),
                                    sr / 2 if fmax is None else fmax)
        else:
            import librosa

            basis = librosa.filters.mel(sr=int(sr), n_fft=int(n_fft), n_mels=int(n_mels),
                                        fmin=float(fmin), fmax=fmax, htk=bool(htk), norm=norm)
        basis = basis.astype(dtype, copy=False)
        return _freeze(scipy.sparse.csr_array(basis) if sparse else basis)

    return _cached(key, build)


def remember_filters(filters):
    """Put windows and filter banks built elsewhere into this process's cache.

    A front end builds its filters in the calling process and hands them to
    its workers with each item; a worker process then never imports librosa's
    signal stack (scipy.signal and numba, a good part of a fresh worker's
    start-up). Accepts the ``dict`` returned by :func:`filters_snapshot`.
    """
    for key, value in filters.items():
        _FILTERS.setdefault(key, value)


def filters_snapshot(*arrays):
    """The cache entries holding ``arrays`` (built by :func:`mel_filters` or
    :func:`analysis_window`), to pass to :func:`remember_filters` elsewhere."""
    wanted = {id(a) for a in arrays if a is not None}
    return {k: v for k, v in list(_FILTERS.items()) if id(v) in wanted}


def limit_peak(y):
    """``y`` scaled to peak 1 when its peak exceeds :data:`MAX_SAFE_PEAK`, else ``y`` itself.

    Examples
    --------
    >>> float(np.abs(limit_peak(np.array([3e7, -1.5e7]))).max())
    1.0
    """
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak > MAX_SAFE_PEAK:
        return y / np.asarray(peak, dtype=y.dtype)
    return y


def stft_power(y, *, n_fft, hop_length, window, center=False):
    """Power spectrum of the frames of a 1-D float waveform, ``(n_frames, 1 + n_fft // 2)``.

    Frames of ``len(window)`` samples start every ``hop_length`` samples and are
    multiplied by ``window``, zero-padded to ``n_fft`` and transformed, in the
    waveform's own precision: a float32 waveform is transformed in float32
    (librosa runs the FFT in float64 and casts down; the two agree to float32
    rounding, ``tests/test_performance_equivalence.py`` bounds the difference).
    Frames go through the FFT in blocks, so the temporaries stay bounded.

    Parameters
    ----------
    y : ndarray of shape (n_samples,), floating
        At least ``len(window)`` samples (after centring).
    n_fft : int
        DFT length, at least ``len(window)``.
    hop_length : int
    window : ndarray
        From :func:`analysis_window`.
    center : bool, default=False
        Zero-pad ``n_fft // 2`` samples at both ends first, so that frame ``t``
        is centred on sample ``t * hop_length`` (``librosa.stft``'s default).

    Returns
    -------
    power : ndarray of shape (n_frames, 1 + n_fft // 2), dtype of ``y``

    Examples
    --------
    >>> y = np.ones(8, dtype=np.float32)
    >>> stft_power(y, n_fft=4, hop_length=4, window=np.ones(4)).tolist()
    [[16.0, 0.0, 0.0], [16.0, 0.0, 0.0]]
    """
    if center:
        y = np.pad(y, int(n_fft) // 2)
    frames = sliding_window_view(y, window.shape[0])[::hop_length]
    window = window.astype(y.dtype, copy=False)
    power = np.empty((frames.shape[0], n_fft // 2 + 1), dtype=y.dtype)
    for start in range(0, frames.shape[0], FRAME_BLOCK):
        block = slice(start, start + FRAME_BLOCK)
        spectrum = scipy.fft.rfft(frames[block] * window, n=n_fft, axis=-1)
        np.square(spectrum.real, out=power[block])
        power[block] += np.square(spectrum.imag)
    return power


def power_to_db(power, *, amin=AMIN, top_db=80.0):
    """``librosa.power_to_db(power, ref=np.max, amin=amin, top_db=top_db)``, same operations.

    Values are in dB relative to the loudest bin (0 dB) and floored ``top_db``
    below it; ``top_db=None`` keeps everything down to ``amin``. The result has
    ``power``'s dtype and equals librosa's bit for bit.

    Examples
    --------
    >>> power_to_db(np.array([1.0, 0.1, 0.0]), top_db=None).round(1).tolist()
    [0.0, -10.0, -100.0]
    """
    db = 10.0 * np.log10(np.maximum(amin, power))
    db -= 10.0 * np.log10(np.maximum(amin, np.max(power)))
    if top_db is not None:
        db = np.maximum(db, db.max() - top_db)
    return db
