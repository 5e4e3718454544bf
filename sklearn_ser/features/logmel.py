"""Log-mel spectrogram images, the input of VACNN + BOVW (Seo & Kim 2020)."""

from numbers import Integral, Real

import cv2
import numpy as np
from sklearn.utils._param_validation import Interval

from ._extract import read_item
from ._frontend import AudioFrontEnd
from ._spectral import (
    analysis_window,
    filters_snapshot,
    limit_peak,
    mel_filters,
    power_to_db,
    remember_filters,
    stft_power,
)

__all__ = ["LogMelImage", "logmel_image", "flatten_images"]


def logmel_image(y, *, sr=16000, n_fft=2048, hop_length=512, n_mels=128, fmin=0.0,
                 fmax=None, top_db=80.0, size=(224, 224), max_value=255.0):
    """Render a waveform as a grayscale log-mel spectrogram image.

    The power mel spectrogram is converted to dB relative to its maximum
    (floored ``top_db`` below it), min-max scaled to ``[0, max_value]``,
    flipped so that **low frequencies are at the bottom row**, and resized to
    ``size`` with bilinear interpolation. Time runs along the columns.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono waveform sampled at ``sr``, at least ``n_fft`` samples long
        (see :func:`~sklearn_ser.audio.pad_to_length`).
    sr : int, default=16000
        Sampling rate of ``y`` in Hz.
    n_fft : int, default=2048
        FFT window length in samples.
    hop_length : int, default=512
        Hop between frames in samples.
    n_mels : int, default=128
        Number of mel bands (image rows before resizing).
    fmin, fmax : float, default=0.0, None
        Frequency range of the mel filter bank; ``fmax=None`` means ``sr / 2``.
    top_db : float or None, default=80.0
        Dynamic range kept below the peak, in dB; ``None`` keeps everything.
    size : tuple of int (height, width), default=(224, 224)
        Output image size.
    max_value : float, default=255.0
        Pixel value of the loudest bin; use 1.0 for images in ``[0, 1]``.

    Returns
    -------
    image : ndarray of shape (height, width), float32
        Values in ``[0, max_value]``. The dB image spans exactly that range
        before resizing; interpolation may leave the resized peak slightly
        below ``max_value``. A silent (constant) input gives an all-zero image.

    Notes
    -----
    The image depends on the waveform's shape, not on its scale, as long as
    the loudest mel bin is more than ``top_db`` above the power floor
    ``amin = 1e-10`` (mel power above 1e-2 with the defaults: a sustained
    sound whose peak exceeds about 1e-3). Quieter input is floored at
    ``amin``; a waveform whose peak is below about 1e-7 renders like silence
    (all zeros). A waveform whose peak exceeds 1e6 is scaled to peak 1 first,
    so that its power cannot overflow float32; by the same invariance, that
    changes nothing else.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(16000) / 16000
    >>> img = logmel_image(np.sin(2 * np.pi * 440 * t), size=(64, 64))
    >>> img.shape, img.dtype, float(img.min()), bool(200 < img.max() <= 255)
    ((64, 64), dtype('float32'), 0.0, True)
    """
    return _logmel_image(y, sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels,
                         fmin=fmin, fmax=fmax, top_db=top_db, size=size, max_value=max_value)


def _logmel_image(y, *, sr, n_fft, hop_length, n_mels, fmin, fmax, top_db, size, max_value,
                  out=None):
    """:func:`logmel_image`, optionally written into ``out`` (``size``, float32, C-contiguous)."""
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.floating):
        raise ValueError(f"y must hold floating-point samples, got dtype {y.dtype}.")
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-D (mono) waveform, got shape {y.shape}.")
    if not np.isfinite(y).all():
        raise ValueError("y contains NaN or infinite samples.")
    window, mel_basis = _analysis_filters(sr, n_fft, n_mels, fmin, fmax)
    return _render_image(y, n_fft=n_fft, hop_length=hop_length, window=window,
                         mel_basis=mel_basis, top_db=top_db, size=size, max_value=max_value,
                         out=out)


def _analysis_filters(sr, n_fft, n_mels, fmin, fmax):
    """The periodic Hann window and the sparse float32 mel filter bank of one setting.

    Both come from the one cache of :mod:`._spectral`, so they are built once per
    process; the sparse product keeps an image the same bit for bit whatever the
    number of BLAS threads and whichever thread computes it.
    """
    return (analysis_window("hann", n_fft),
            mel_filters(sr, n_fft, n_mels, fmin, fmax, sparse=True))


def _power_mel(y, *, n_fft, hop_length, window, mel_basis):
    """Power mel spectrogram ``(n_mels, n_frames)`` of a 1-D float waveform.

    ``librosa.feature.melspectrogram(y=y, power=2.0)`` with its defaults
    (centred frames, zero padding, periodic Hann window), computed in the
    waveform's own precision with a sparse filter bank: about twice as fast as
    librosa's route on EmoDB, equal to it to float32 rounding.
    """
    power = stft_power(y, n_fft=n_fft, hop_length=hop_length, window=window, center=True)
    return np.asarray(mel_basis @ power.T)


def _render_image(y, *, n_fft, hop_length, window, mel_basis, top_db, size, max_value,
                  out=None):
    """The image of a validated 1-D float waveform, given its analysis filters.

    ``out``, if given, is a C-contiguous float32 array of shape ``size`` that
    receives the image (resized into, then scaled in place: no per-image
    allocation); otherwise a new one is returned.
    """
    y = limit_peak(y)
    mel = _power_mel(y, n_fft=n_fft, hop_length=hop_length, window=window,
                     mel_basis=mel_basis)
    db = power_to_db(mel, top_db=top_db)
    low, high = float(db.min()), float(db.max())
    if high > low:
        unit = (db - low) / (high - low)
    else:
        unit = np.zeros_like(db)
    unit = np.flipud(unit).astype(np.float32)
    height, width = size
    if out is None:
        out = np.empty((int(height), int(width)), dtype=np.float32)
    cv2.resize(unit, (int(width), int(height)), dst=out, interpolation=cv2.INTER_LINEAR)
    np.clip(out, 0.0, 1.0, out=out)
    out *= np.float32(max_value)
    return out


def _image_for_item(item, index, *, sr, n_fft, filters=None, out=None, **image_params):
    """The ``(1, height, width)`` image of one item, written into ``out`` if given.

    ``filters`` (from :func:`~._spectral.filters_snapshot`) are the window and
    filter bank built by ``LogMelImage.transform`` in the calling process: a
    joblib worker process that receives them never builds them itself.
    """
    if filters is not None:
        remember_filters(filters)
    y = read_item(item, index, sr=sr, min_samples=n_fft)
    if out is None:
        out = np.empty((1,) + tuple(image_params["size"]), dtype=np.float32)
    _logmel_image(y, sr=sr, n_fft=n_fft, out=out[0], **image_params)
    return out


def flatten_images(X):
    """Flatten ``(n, ...)`` images to ``(n, n_features)`` rows for classic estimators.

    Use it as ``FunctionTransformer(flatten_images)`` between
    :class:`LogMelImage` and a scikit-learn classifier.

    Examples
    --------
    >>> flatten_images(np.zeros((2, 1, 4, 4))).shape
    (2, 16)
    """
    X = np.asarray(X)
    return X.reshape(X.shape[0], -1)


class LogMelImage(AudioFrontEnd):
    """Turn audio files or waveforms into log-mel spectrogram images.

    Each utterance becomes one grayscale image of shape ``(1, height, width)``
    (224x224 by default, as in Seo & Kim 2020): the
    log-mel spectrogram in dB, min-max scaled to ``[0, max_value]``, low
    frequencies at the bottom row, time along the columns. The transform is
    stateless and deterministic; ``fit`` only validates the parameters.

    Parameters
    ----------
    sr : int, default=16000
        Rate the audio is resampled to, in Hz. Waveforms passed as arrays are
        assumed to be at this rate already.
    n_fft : int, default=2048
        FFT window length. Clips shorter than this are zero-padded
        symmetrically to ``n_fft`` samples (see :mod:`sklearn_ser.audio`).
    hop_length : int, default=512
        Hop between frames in samples.
    n_mels : int, default=128
        Number of mel bands.
    fmin : float, default=0.0
        Lowest mel filter frequency in Hz.
    fmax : float or None, default=None
        Highest mel filter frequency in Hz; ``None`` means ``sr / 2``.
    top_db : float or None, default=80.0
        Dynamic range kept below each image's peak, in dB.
    size : tuple of int (height, width), default=(224, 224)
        Output image size.
    max_value : float, default=255.0
        Pixel value of the loudest bin: 255 gives 0..255 images as in the
        paper, 1.0 gives images in ``[0, 1]``.
    n_jobs : int or None, default=None
        Number of joblib workers computing images (``-1``: all cores). They
        are threads unless a backend is set with
        :func:`joblib.parallel_config` (e.g. ``backend="loky"`` for processes,
        ``"dask"`` for a cluster): the per-image work (file decoding, FFT, the
        mel product, resizing) runs in code that releases the GIL, and
        threads need no start-up or pickling, which process workers cannot
        repay on short utterances (``benchmarks/performance.py``).
    memory : None, str or joblib.Memory, default=None
        Folder of the on-disk feature cache. Each image is stored under a
        digest of its audio file's **content** (or waveform's bytes) and of
        the parameters above, so cross-validation and grid searches compute
        each file's image once, and changing any parameter never returns a
        stale image. Writes are atomic; the images of one call are stored in
        packs of up to 256 (two files each, see
        :class:`~sklearn_ser.utils.FeatureCache`), not one file per image.
    verbose : int, default=0
        Show a progress bar while computing images when > 0.
    on_error : {"raise", "skip", "warn"}, default="raise"
        What an unreadable item (missing, empty, corrupt or undecodable file,
        zero-length or NaN/inf waveform) does to a batch. ``"raise"``: its
        error, naming the file or ``X[i]``, stops the batch. ``"skip"``: its
        row is kept, filled with ``fill_value``, and recorded in
        ``failed_items_``. ``"warn"``: the same, plus one
        :class:`~sklearn_ser.exceptions.FailedItemsWarning` giving the count
        and the names. Rows are never dropped, so ``y`` stays aligned; to
        remove bad files use :func:`sklearn_ser.datasets.drop_unreadable` on
        the corpus before the pipeline.
    fill_value : float, default=0.0
        Pixel value of every row filled in for a failed item. ``0.0`` is the
        image of digital silence; ``np.nan`` makes downstream estimators
        refuse the batch instead of training on filler.

    Attributes
    ----------
    failed_items_ : list of FailedItem
        The items of the last ``transform`` (or ``fit_transform``) call that
        could not be read, as :class:`~sklearn_ser.exceptions.FailedItem`
        ``(index, source, error)``; empty when all were read. Set by ``fit``
        to an empty list.

    See Also
    --------
    logmel_image : The same computation for one waveform.
    flatten_images : Turn the images into rows for classic estimators.

    Notes
    -----
    Output shape is ``(n_samples, 1, height, width)``, dtype float32: images,
    not feature columns, so ``get_feature_names_out`` is not provided.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features import LogMelImage
    >>> t = np.arange(8000) / 16000
    >>> X = [np.sin(2 * np.pi * 300 * t), np.sin(2 * np.pi * 3000 * t)]
    >>> LogMelImage(size=(32, 48)).fit_transform(X).shape
    (2, 1, 32, 48)

    A bad item among good ones, with ``on_error="skip"``:

    >>> images = LogMelImage(size=(8, 8), on_error="skip")
    >>> out = images.fit_transform([X[0], np.full(100, np.nan), X[1]])
    >>> out.shape, float(out[1].max()), images.failed_items_[0].source
    ((3, 1, 8, 8), 0.0, 'X[1]')

    On a corpus, with a cache and two workers::

        from sklearn_ser.datasets import load_emodb
        bunch = load_emodb()
        images = LogMelImage(n_jobs=2, memory="~/.cache/sklearn_ser").fit_transform(
            bunch.filenames)
    """

    _parameter_constraints = {
        **AudioFrontEnd._parameter_constraints,
        "sr": [Interval(Integral, 1, None, closed="left")],
        "n_fft": [Interval(Integral, 16, None, closed="left")],
        "hop_length": [Interval(Integral, 1, None, closed="left")],
        "n_mels": [Interval(Integral, 1, None, closed="left")],
        "fmin": [Interval(Real, 0, None, closed="left")],
        "fmax": [Interval(Real, 0, None, closed="neither"), None],
        "top_db": [Interval(Real, 0, None, closed="neither"), None],
        "size": [tuple, list],
        "max_value": [Interval(Real, 0, None, closed="neither")],
    }
    # 2: FFT in the waveform's precision, sparse mel product.
    _cache_version = 2
    _desc = "log-mel images"
    # The per-image work (decoding, FFT, sparse product, resizing) releases the GIL.
    _prefer = "threads"

    def __init__(self, sr=16000, n_fft=2048, hop_length=512, n_mels=128, fmin=0.0, fmax=None,
                 top_db=80.0, size=(224, 224), max_value=255.0, n_jobs=None, memory=None,
                 verbose=0, on_error="raise", fill_value=0.0):
        self.sr = sr
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.n_mels = n_mels
        self.fmin = fmin
        self.fmax = fmax
        self.top_db = top_db
        self.size = size
        self.max_value = max_value
        self.n_jobs = n_jobs
        self.memory = memory
        self.verbose = verbose
        self.on_error = on_error
        self.fill_value = fill_value

    def _check_params(self):
        size = tuple(self.size)
        if len(size) != 2 or not all(isinstance(s, Integral) and s > 0 for s in size):
            raise ValueError(
                f"size must be (height, width) with two positive integers, got {self.size!r}."
            )
        if self.fmax is not None and self.fmax > self.sr / 2:
            raise ValueError(
                f"fmax={self.fmax} is above the Nyquist frequency sr/2={self.sr / 2}; "
                "lower fmax or raise sr."
            )

    def _output_shape(self, params):
        return (1,) + params["size"]

    _fill_shape = _output_shape

    def _compute_kwargs(self, params):
        # Built here, in the calling process, and shipped with each item, so that a
        # worker process never builds them (nor imports librosa's signal stack).
        return {"filters": filters_snapshot(*_analysis_filters(
            params["sr"], params["n_fft"], params["n_mels"], params["fmin"], params["fmax"]))}

    @staticmethod
    def _compute(item, index, **params):
        return _image_for_item(item, index, **params)
