"""Log-mel spectrograms cut into fixed-size segments, the front end of Kim & Kwak 2024.

Kim & Kwak 2024 compute one log-mel spectrogram per utterance and cut it along
time into overlapping segments of the networks' input size (96 frames x 64 mel
bands for VGGish and YAMNet). The
networks are trained on segments; an utterance is classified by the mean of
its segments' class probabilities.

How segments travel through scikit-learn
----------------------------------------
scikit-learn's samples stay **utterances**. :class:`SegmentedLogMel` returns
one entry per utterance: a 1-D ``object`` ndarray whose ``i``-th element is a
float32 array of shape ``(n_segments_i, 1, segment_frames, n_mels)`` holding
that utterance's segments. Because the outer array has one row per utterance,

- ``y`` and ``groups`` stay aligned with ``X`` (one label per utterance);
- ``cross_val_score``, ``GridSearchCV`` and the group splitters split
  utterances, so no segment of a test utterance can reach the training part;
- a step that drops segments (:class:`~sklearn_ser.features.gds.GaussianDataSelector`)
  only shortens the inner arrays and never changes the number of samples.

The classifier (:class:`~sklearn_ser.estimators.late_fusion.LateFusionClassifier`)
expands the utterances to segments for training (each segment inherits its
utterance's label, see :func:`expand_segments`) and averages segment
probabilities back per utterance for ``predict_proba`` / ``predict``
(:func:`mean_by_utterance`). The segment → utterance link is the position in
the outer array; :func:`expand_segments` returns it explicitly as ``owner``.

Utterances shorter than one segment are zero-padded (in the waveform,
symmetrically) to exactly one segment, so every utterance has at least one.
"""

import os
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ..audio import pad_to_length
from ._extract import read_item
from ._frontend import AudioFrontEnd, _pack
from ._spectral import analysis_window, mel_filters, stft_power

__all__ = [
    "SegmentedLogMel",
    "expand_segments",
    "check_segments",
    "log_mel_spectrogram",
    "mean_by_utterance",
    "pack_segments",
    "segment_spectrogram",
    "tf_mel_filters",
]


def tf_mel_filters(*, sr, n_fft, n_mels, fmin, fmax):
    """TensorFlow's ``linear_to_mel_weight_matrix``, as ``(n_mels, n_fft // 2 + 1)``.

    Triangles that are linear on the HTK mel scale (librosa's ``htk=True``
    triangles are linear in Hz between mel-spaced edges), and no weight on
    the DC bin. YAMNet and VGGish were trained on these filters. A copy of
    :func:`~._spectral.mel_filters`' bank with ``formula="tensorflow"``.

    Examples
    --------
    >>> W = tf_mel_filters(sr=16000, n_fft=512, n_mels=64, fmin=125.0, fmax=7500.0)
    >>> W.shape, float(W[:, 0].max()), round(float(W.max()), 3)
    ((64, 257), 0.0, 0.996)
    """
    return mel_filters(sr, n_fft, n_mels, fmin, fmax, formula="tensorflow",
                       dtype=np.float64).copy()


def log_mel_spectrogram(y, *, sr=16000, n_fft=1200, win_length=None, hop_length=480,
                        window="hann", n_mels=64, fmin=125.0, fmax=7500.0, log_offset=0.01,
                        convention="librosa"):
    """Log-mel spectrogram of a waveform, time along the rows.

    Magnitude STFT (one-sided, frames taken from the start of the signal with
    no centring), a bank of ``n_mels`` triangular filters on the HTK mel scale
    (unnormalised), then ``log(mel + log_offset)``.

    With ``convention="tensorflow"`` the frames and filters are those of
    ``tf.signal`` (the released YAMNet/VGGish front ends): a window shorter
    than ``n_fft`` sits at the *start* of its frame, which is zero-padded to
    ``n_fft`` (librosa centres it, 56 samples later for 400 in 512), and the
    filters come from :func:`tf_mel_filters`.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono waveform at ``sr``, at least ``win_length`` (or ``n_fft``) samples.
    sr : int, default=16000
        Sampling rate of ``y`` in Hz.
    n_fft : int, default=1200
        FFT length.
    win_length : int or None, default=None
        Window length in samples; ``None`` means ``n_fft``.
    hop_length : int, default=480
        Hop between frames in samples (window 1200 with overlap 720 in the
        paper).
    window : str, default="hann"
        Window name for :func:`scipy.signal.get_window`; ``"hann"`` is the
        **periodic** Hann window (the paper's "Hann periodic").
    n_mels : int, default=64
        Number of mel bands (columns of the output).
    fmin, fmax : float, default=125.0, 7500.0
        Frequency range of the mel filter bank in Hz.
    log_offset : float, default=0.01
        Added before the logarithm (VGGish's value; YAMNet uses 0.001).
    convention : {"librosa", "tensorflow"}, default="librosa"
        Framing and filter bank, see above.

    Returns
    -------
    log_mel : ndarray of shape (n_frames, n_mels), float32
        ``n_frames = 1 + (n_samples - n_fft) // hop_length`` (``win_length``
        instead of ``n_fft`` with ``convention="tensorflow"``).

    Examples
    --------
    >>> t = np.arange(16000) / 16000
    >>> S = log_mel_spectrogram(np.sin(2 * np.pi * 440 * t))
    >>> S.shape, S.dtype
    ((31, 64), dtype('float32'))
    """
    win = n_fft if win_length is None else win_length
    if convention == "tensorflow":
        if y.shape[-1] < win:
            raise ValueError(
                f"The waveform has {y.shape[-1]} samples, fewer than win_length={win}; pad it "
                "first (sklearn_ser.audio.pad_to_length)."
            )
        power = stft_power(np.asarray(y, dtype=np.float32), n_fft=n_fft,
                           hop_length=hop_length, window=analysis_window(window, win))
        basis = mel_filters(sr, n_fft, n_mels, fmin, sr / 2 if fmax is None else fmax,
                            formula="tensorflow", dtype=np.float64)
        return np.log(np.sqrt(power) @ basis.T + log_offset).astype(np.float32, copy=False)
    if convention != "librosa":
        raise ValueError(f"convention must be 'librosa' or 'tensorflow', got {convention!r}.")
    if y.shape[-1] < n_fft:
        raise ValueError(
            f"The waveform has {y.shape[-1]} samples, fewer than n_fft={n_fft}; pad it first "
            "(sklearn_ser.audio.pad_to_length) or lower n_fft."
        )
    power = stft_power(np.asarray(y, dtype=np.float32), n_fft=n_fft, hop_length=hop_length,
                       window=analysis_window(window, win, n_fft=n_fft))
    basis = mel_filters(sr, n_fft, n_mels, fmin, fmax, htk=True, norm=None)
    mel = basis @ np.sqrt(power).T
    return np.log(mel + log_offset).T.astype(np.float32, copy=False)


def segment_spectrogram(spectrogram, *, segment_frames=96, segment_hop=24):
    """Cut a ``(n_frames, n_bands)`` spectrogram into overlapping segments.

    Segments start every ``segment_hop`` frames. When the last regular
    segment stops short of the final frame, one more segment aligned with the
    end is added, so the whole utterance is covered.

    Parameters
    ----------
    spectrogram : ndarray of shape (n_frames, n_bands)
        At least ``segment_frames`` frames (pad shorter inputs first).
    segment_frames : int, default=96
        Frames per segment (VGGish/YAMNet input height).
    segment_hop : int, default=24
        Frames between the starts of consecutive segments.

    Returns
    -------
    segments : ndarray of shape (n_segments, 1, segment_frames, n_bands)

    Examples
    --------
    >>> S = np.arange(130 * 2, dtype="float32").reshape(130, 2)
    >>> seg = segment_spectrogram(S, segment_frames=96, segment_hop=24)
    >>> seg.shape, seg[-1, 0, -1].tolist() == S[-1].tolist()
    ((3, 1, 96, 2), True)
    """
    spectrogram = np.asarray(spectrogram)
    n_frames = spectrogram.shape[0]
    if n_frames < segment_frames:
        raise ValueError(
            f"The spectrogram has {n_frames} frames, fewer than segment_frames={segment_frames}; "
            "pad the waveform to at least one segment first."
        )
    starts = list(range(0, n_frames - segment_frames + 1, segment_hop))
    if starts[-1] + segment_frames < n_frames:
        starts.append(n_frames - segment_frames)
    segments = np.stack([spectrogram[s:s + segment_frames] for s in starts])
    return segments[:, np.newaxis]


def pack_segments(arrays):
    """Put per-utterance segment arrays into a 1-D object ndarray (one row per utterance).

    ``np.array(list_of_arrays)`` would stack equal-shaped arrays into one
    5-D array; this keeps one object per utterance whatever the shapes.

    Examples
    --------
    >>> X = pack_segments([np.zeros((2, 1, 4, 3)), np.zeros((1, 1, 4, 3))])
    >>> X.shape, X.dtype, X[0].shape
    ((2,), dtype('O'), (2, 1, 4, 3))
    """
    return _pack(arrays)


def check_segments(X, *, name="X"):
    """Validate segmented utterances and return them as a list of float32 arrays.

    Parameters
    ----------
    X : sequence of arrays, or ndarray
        One entry per utterance: an array of shape ``(n_segments, 1, H, W)``
        (or ``(n_segments, H, W)``, given a channel axis here), as returned by
        :class:`SegmentedLogMel`. A numeric 4-D array ``(n, 1, H, W)`` is read
        as ``n`` utterances of one segment each.
    name : str, default="X"
        Name used in error messages.

    Returns
    -------
    utterances : list of ndarray of shape (n_segments_i, 1, H, W), float32

    Examples
    --------
    >>> [u.shape for u in check_segments([np.zeros((3, 8, 4)), np.ones((1, 1, 8, 4))])]
    [(3, 1, 8, 4), (1, 1, 8, 4)]
    """
    if isinstance(X, np.ndarray) and X.dtype != object:
        if X.ndim != 4:
            raise ValueError(
                f"A numeric {name} must be 4-D (n_utterances, 1, frames, bands), one segment per "
                f"utterance, got shape {X.shape}. Pass the output of SegmentedLogMel instead."
            )
        items = list(X[:, np.newaxis])
    else:
        if isinstance(X, (str, bytes, dict)) or not hasattr(X, "__len__"):
            raise TypeError(
                f"{name} must hold one array of segments per utterance (the output of "
                f"SegmentedLogMel), got {type(X).__name__}."
            )
        items = list(X)
    if len(items) == 0:
        raise ValueError(f"{name} is empty: pass at least one utterance.")
    out = []
    shape = None
    for i, item in enumerate(items):
        if isinstance(item, (str, os.PathLike)):
            raise TypeError(
                f"{name}[{i}] is a path ({item!r}); compute segments first: put "
                "SegmentedLogMel() before this step."
            )
        arr = np.asarray(item, dtype=np.float32)
        if arr.ndim == 3:
            arr = arr[:, np.newaxis]
        if arr.ndim != 4 or arr.shape[1] != 1 or arr.shape[0] == 0:
            raise ValueError(
                f"{name}[{i}] must be an array of segments of shape (n_segments >= 1, 1, frames, "
                f"bands), got shape {arr.shape}."
            )
        if shape is None:
            shape = arr.shape[2:]
        elif arr.shape[2:] != shape:
            raise ValueError(
                f"All segments must have the same size; {name}[0] has {shape} but {name}[{i}] has "
                f"{arr.shape[2:]}."
            )
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}[{i}] contains NaN or infinite values.")
        out.append(arr)
    return out


def expand_segments(X):
    """Flatten utterances to segments, remembering which utterance each came from.

    Parameters
    ----------
    X : segmented utterances
        See :func:`check_segments`.

    Returns
    -------
    segments : ndarray of shape (n_segments_total, 1, H, W), float32
    owner : ndarray of shape (n_segments_total,), int64
        Index (into ``X``) of the utterance of every segment; use
        ``np.repeat(y, np.bincount(owner))`` or ``y[owner]`` to give every
        segment its utterance's label.

    Examples
    --------
    >>> segs, owner = expand_segments([np.zeros((2, 1, 4, 3)), np.ones((3, 1, 4, 3))])
    >>> segs.shape, owner.tolist()
    ((5, 1, 4, 3), [0, 0, 1, 1, 1])
    """
    utterances = check_segments(X)
    owner = np.repeat(np.arange(len(utterances)), [len(u) for u in utterances])
    return np.concatenate(utterances, axis=0), owner.astype(np.int64)


def mean_by_utterance(values, owner, n_utterances=None):
    """Average segment-level rows per utterance (e.g. class probabilities).

    Parameters
    ----------
    values : ndarray of shape (n_segments_total, n_columns)
    owner : ndarray of shape (n_segments_total,)
        Utterance index of every row (from :func:`expand_segments`).
    n_utterances : int, optional
        Number of utterances; defaults to ``owner.max() + 1``. Every
        utterance must own at least one row.

    Returns
    -------
    means : ndarray of shape (n_utterances, n_columns)

    Examples
    --------
    >>> mean_by_utterance(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]), np.array([0, 0, 1]))
    array([[0.5, 0.5],
           [1. , 0. ]])
    """
    values = np.asarray(values)
    owner = np.asarray(owner)
    n = int(owner.max()) + 1 if n_utterances is None else int(n_utterances)
    counts = np.bincount(owner, minlength=n)
    if np.any(counts == 0):
        raise ValueError(
            f"Utterances {np.flatnonzero(counts == 0)[:5].tolist()} have no segment to average."
        )
    sums = np.zeros((n,) + values.shape[1:], dtype=np.float64)
    np.add.at(sums, owner, values)
    return (sums / counts.reshape((-1,) + (1,) * (values.ndim - 1))).astype(values.dtype)


class SegmentedLogMel(AudioFrontEnd):
    """Log-mel spectrograms cut into overlapping fixed-size segments, per utterance.

    The front end of Kim & Kwak 2024: a magnitude STFT with a periodic
    Hann window of ``n_fft`` samples and hop ``hop_length`` (window 1200,
    overlap 720, FFT 1200 in the paper), 64 mel bands, ``log(mel + 0.01)``,
    then segments of ``segment_frames`` frames (96, the VGGish/YAMNet input
    height) every ``segment_hop`` frames. The transform is stateless and
    deterministic; ``fit`` only validates.

    **Samples stay utterances**: ``transform`` returns a 1-D object ndarray
    with one element per input item, the float32 array
    ``(n_segments_i, 1, segment_frames, n_mels)`` of its segments. Splitters,
    ``groups=`` and scorers therefore work per utterance, and a classifier
    that trains on segments (see
    :class:`~sklearn_ser.estimators.late_fusion.LateFusionClassifier`) must
    expand them itself (:func:`expand_segments`).

    Parameters
    ----------
    sr : int, default=16000
        Rate the audio is resampled to, in Hz. The paper worked at 48 kHz;
        the corpora shipped here are 16 kHz (see Notes). Waveforms given as
        arrays are assumed to be at ``sr`` already.
    n_fft : int, default=1200
        FFT length in samples.
    win_length : int or None, default=None
        Window length; ``None`` means ``n_fft``.
    hop_length : int, default=480
        STFT hop in samples (window minus the paper's overlap of 720).
    window : str, default="hann"
        Window name for :func:`scipy.signal.get_window` (periodic).
    n_mels : int, default=64
        Mel bands (segment width).
    fmin, fmax : float, default=125.0, 7500.0
        Mel filter-bank range in Hz (the band of the released VGGish/YAMNet
        front end; the paper's table gives no range). ``fmax`` must not exceed
        ``sr / 2``.
    log_offset : float, default=0.01
        Offset added before the logarithm.
    convention : {"librosa", "tensorflow"}, default="librosa"
        Framing and mel filters (see :func:`log_mel_spectrogram`).
        ``"tensorflow"`` with ``n_fft=512, win_length=400, hop_length=160,
        log_offset=0.001, segment_hop=48`` is the front end of the released
        YAMNet (:meth:`yamnet`).
    segment_frames : int, default=96
        Frames per segment.
    segment_hop : int, default=24
        Frames between segment starts (75 % overlap by default; the paper
        says only "with overlap"). A last segment aligned with the end of the
        utterance is added when the regular ones stop short of it.
    n_jobs : int or None, default=None
        joblib workers computing the spectrograms.
    memory : None, str or joblib.Memory, default=None
        Feature cache folder (content-addressed, parameter-aware, atomic);
        ``None`` disables caching.
    verbose : int, default=0
        Progress bar when > 0.
    on_error : {"raise", "skip", "warn"}, default="raise"
        What an unreadable item does to a batch: ``"raise"`` stops it with the
        item's error (naming the file or ``X[i]``); ``"skip"`` keeps its row,
        one segment of ``fill_value``, and records it in ``failed_items_``;
        ``"warn"`` also emits one
        :class:`~sklearn_ser.exceptions.FailedItemsWarning`.
    fill_value : float, default=0.0
        Value of the segment of a failed item.

    See Also
    --------
    sklearn_ser.features.gds.GaussianDataSelector : Drop heterogeneous segments.
    expand_segments, mean_by_utterance : Go from utterances to segments and back.

    Notes
    -----
    *Frame rate.* At the paper's 48 kHz, window 1200 / hop 480 are 25 ms /
    10 ms, VGGish's own framing, and a 96-frame segment spans 0.96 s. At the
    default 16 kHz the same sample counts span 75 ms / 30 ms and a segment
    2.88 s, so most EmoDB utterances (median 2.6 s) give one or two
    segments. ``sr=48000`` reproduces the paper's framing exactly (the
    16 kHz corpora are upsampled, so the bands above 8 kHz stay empty;
    3 times the compute); ``n_fft=400, hop_length=160`` gives the same
    25 ms / 10 ms framing at 16 kHz.

    *Short utterances.* An utterance shorter than one segment
    (``n_fft + (segment_frames - 1) * hop_length`` samples) is zero-padded
    symmetrically in the waveform to exactly one segment; its padded frames
    are the log-mel of digital silence, ``log(log_offset)``.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(16000 * 4) / 16000
    >>> X = [np.sin(2 * np.pi * 220 * t), np.sin(2 * np.pi * 880 * t[:8000])]
    >>> Xs = SegmentedLogMel().fit_transform(X)
    >>> Xs.shape, Xs[0].shape, Xs[1].shape
    ((2,), (3, 1, 96, 64), (1, 1, 96, 64))
    """

    _parameter_constraints = {
        **AudioFrontEnd._parameter_constraints,
        "sr": [Interval(Integral, 1, None, closed="left")],
        "n_fft": [Interval(Integral, 16, None, closed="left")],
        "win_length": [Interval(Integral, 16, None, closed="left"), None],
        "hop_length": [Interval(Integral, 1, None, closed="left")],
        "window": [StrOptions({"hann", "hamming", "blackman", "boxcar", "bartlett"})],
        "n_mels": [Interval(Integral, 1, None, closed="left")],
        "fmin": [Interval(Real, 0, None, closed="left")],
        "fmax": [Interval(Real, 0, None, closed="neither"), None],
        "log_offset": [Interval(Real, 0, None, closed="neither")],
        "convention": [StrOptions({"librosa", "tensorflow"})],
        "segment_frames": [Interval(Integral, 1, None, closed="left")],
        "segment_hop": [Interval(Integral, 1, None, closed="left")],
    }
    # 2: the magnitude spectrum through the shared float32 kernel instead of librosa.stft
    # (the same values to float32 rounding).
    _cache_version = 2
    _desc = "log-mel segments"

    def __init__(self, sr=16000, n_fft=1200, win_length=None, hop_length=480, window="hann",
                 n_mels=64, fmin=125.0, fmax=7500.0, log_offset=0.01, convention="librosa",
                 segment_frames=96, segment_hop=24, n_jobs=None, memory=None, verbose=0,
                 on_error="raise", fill_value=0.0):
        self.sr = sr
        self.n_fft = n_fft
        self.win_length = win_length
        self.hop_length = hop_length
        self.window = window
        self.n_mels = n_mels
        self.fmin = fmin
        self.fmax = fmax
        self.log_offset = log_offset
        self.convention = convention
        self.segment_frames = segment_frames
        self.segment_hop = segment_hop
        self.n_jobs = n_jobs
        self.memory = memory
        self.verbose = verbose
        self.on_error = on_error
        self.fill_value = fill_value

    @classmethod
    def yamnet(cls, **params):
        """The front end of the released YAMNet: 16 kHz, 25 ms Hann window, 10 ms hop,
        FFT 512, 64 mel bands 125-7500 Hz (TensorFlow's filters), ``log(mel + 0.001)``,
        96-frame patches every 48 frames (0.96 s every 0.48 s).

        Other parameters (``segment_hop``, ``n_jobs``, ``memory``...) may be overridden.

        Examples
        --------
        >>> fe = SegmentedLogMel.yamnet()
        >>> fe.n_fft, fe.win_length, fe.hop_length, fe.log_offset, fe.convention
        (512, 400, 160, 0.001, 'tensorflow')
        """
        settings = dict(sr=16000, n_fft=512, win_length=400, hop_length=160, window="hann",
                        n_mels=64, fmin=125.0, fmax=7500.0, log_offset=0.001,
                        convention="tensorflow", segment_frames=96, segment_hop=48)
        settings.update(params)
        return cls(**settings)

    def _check_params(self):
        nyquist = self.sr / 2
        fmax = nyquist if self.fmax is None else self.fmax
        if fmax > nyquist:
            raise ValueError(
                f"fmax={self.fmax} is above the Nyquist frequency sr/2={nyquist}; lower fmax "
                "(e.g. fmax=None for sr/2) or raise sr."
            )
        if self.fmin >= fmax:
            raise ValueError(f"fmin={self.fmin} must be below fmax={fmax}.")
        if self.win_length is not None and self.win_length > self.n_fft:
            raise ValueError(
                f"win_length={self.win_length} is longer than n_fft={self.n_fft}; raise n_fft "
                "or shorten the window."
            )

    def _fill_shape(self, params):
        return (1, 1, params["segment_frames"], params["n_mels"])  # one segment

    @staticmethod
    def _compute(item, index, *, sr, n_fft, win_length, hop_length, segment_frames,
                 segment_hop, convention="librosa", **spec_params):
        win = n_fft if win_length is None else win_length
        y = read_item(item, index, sr=sr, min_samples=None)
        # Zero-pad (symmetrically) to exactly one segment when the utterance is shorter.
        frame = win if convention == "tensorflow" else max(n_fft, win)
        y = pad_to_length(y, frame + (segment_frames - 1) * hop_length)
        spec = log_mel_spectrogram(y, sr=sr, n_fft=n_fft, win_length=win_length,
                                   hop_length=hop_length, convention=convention,
                                   **spec_params)
        return segment_spectrogram(spec, segment_frames=segment_frames,
                                   segment_hop=segment_hop)
