"""Log-mel spectrogram images: the input representation of method A."""

import os
from functools import partial
from numbers import Integral, Real

import cv2
import librosa
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import HasMethods, Interval

from ._extract import as_items, check_items, extract_per_item, read_item

__all__ = ["LogMelImage", "logmel_image", "flatten_images"]

#: Bump when the image computation changes, so cached images are recomputed.
_IMAGE_VERSION = 1


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

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(16000) / 16000
    >>> img = logmel_image(np.sin(2 * np.pi * 440 * t), size=(64, 64))
    >>> img.shape, img.dtype, float(img.min()), bool(200 < img.max() <= 255)
    ((64, 64), dtype('float32'), 0.0, True)
    """
    mel = librosa.feature.melspectrogram(
        y=y, sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels, fmin=fmin, fmax=fmax,
        power=2.0,
    )
    db = librosa.power_to_db(mel, ref=np.max, amin=1e-10, top_db=top_db)
    low, high = float(db.min()), float(db.max())
    if high > low:
        unit = (db - low) / (high - low)
    else:
        unit = np.zeros_like(db)
    unit = np.flipud(unit).astype(np.float32)
    height, width = size
    image = cv2.resize(unit, (int(width), int(height)), interpolation=cv2.INTER_LINEAR)
    np.clip(image, 0.0, 1.0, out=image)
    return (image * np.float32(max_value)).astype(np.float32, copy=False)


def _image_for_item(item, index, *, sr, n_fft, **image_params):
    y = read_item(item, index, sr=sr, min_samples=n_fft)
    return logmel_image(y, sr=sr, n_fft=n_fft, **image_params)[np.newaxis]


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


class LogMelImage(TransformerMixin, BaseEstimator):
    """Turn audio files or waveforms into log-mel spectrogram images.

    Each utterance becomes one grayscale image of shape ``(1, height, width)``
    (224x224 by default, as in method A of the toolkit's methods page): the
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
        Number of joblib workers computing images (``-1``: all cores).
    memory : None, str or joblib.Memory, default=None
        Folder of the on-disk feature cache. Each image is stored under a
        digest of its audio file's **content** (or waveform's bytes) and of
        the parameters above, so cross-validation and grid searches compute
        each file's image once, and changing any parameter never returns a
        stale image. Writes are atomic.
    verbose : int, default=0
        Show a progress bar while computing images when > 0.

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

    On a corpus, with a cache and two workers::

        from sklearn_ser.datasets import load_emodb
        bunch = load_emodb()
        images = LogMelImage(n_jobs=2, memory="~/.cache/sklearn_ser").fit_transform(
            bunch.filenames)
    """

    _parameter_constraints = {
        "sr": [Interval(Integral, 1, None, closed="left")],
        "n_fft": [Interval(Integral, 16, None, closed="left")],
        "hop_length": [Interval(Integral, 1, None, closed="left")],
        "n_mels": [Interval(Integral, 1, None, closed="left")],
        "fmin": [Interval(Real, 0, None, closed="left")],
        "fmax": [Interval(Real, 0, None, closed="neither"), None],
        "top_db": [Interval(Real, 0, None, closed="neither"), None],
        "size": [tuple, list],
        "max_value": [Interval(Real, 0, None, closed="neither")],
        "n_jobs": [Integral, None],
        "memory": [str, os.PathLike, HasMethods(["cache"]), None],
        "verbose": ["verbose"],
    }

    def __init__(self, sr=16000, n_fft=2048, hop_length=512, n_mels=128, fmin=0.0, fmax=None,
                 top_db=80.0, size=(224, 224), max_value=255.0, n_jobs=None, memory=None,
                 verbose=0):
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

    def _check_size(self):
        size = tuple(self.size)
        if len(size) != 2 or not all(isinstance(s, Integral) and s > 0 for s in size):
            raise ValueError(
                f"size must be (height, width) with two positive integers, got {self.size!r}."
            )
        return tuple(int(s) for s in size)

    def _check_fmax(self):
        if self.fmax is not None and self.fmax > self.sr / 2:
            raise ValueError(
                f"fmax={self.fmax} is above the Nyquist frequency sr/2={self.sr / 2}; "
                "lower fmax or raise sr."
            )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters and ``X``; nothing is learned.

        Parameters
        ----------
        X : sequence of str / path-like / 1-D arrays, or 2-D array
            Audio files, or waveforms at ``sr`` (one per row of a 2-D array).
        y : ignored

        Returns
        -------
        self : LogMelImage
        """
        self._check_size()
        self._check_fmax()
        check_items(as_items(X))
        return self

    def _image_params(self):
        return {
            "sr": int(self.sr),
            "n_fft": int(self.n_fft),
            "hop_length": int(self.hop_length),
            "n_mels": int(self.n_mels),
            "fmin": float(self.fmin),
            "fmax": None if self.fmax is None else float(self.fmax),
            "top_db": None if self.top_db is None else float(self.top_db),
            "size": self._check_size(),
            "max_value": float(self.max_value),
        }

    def transform(self, X):
        """Compute the log-mel image of every item of ``X``.

        Parameters
        ----------
        X : sequence of str / path-like / 1-D arrays, or 2-D array
            Audio files, or waveforms at ``sr``.

        Returns
        -------
        images : ndarray of shape (n_samples, 1, height, width), float32
            Values in ``[0, max_value]``.

        Raises
        ------
        FileNotFoundError, AudioLoadError
            For a missing, empty, corrupt, zero-length or non-finite input;
            the message names the file (or ``X[i]``).
        """
        self._check_fmax()
        params = self._image_params()
        items = as_items(X)
        cache_params = dict(params, version=_IMAGE_VERSION, librosa=librosa.__version__)
        images = extract_per_item(
            items,
            partial(_image_for_item, **params),
            namespace=type(self).__name__,
            cache_params=cache_params,
            memory=self.memory,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
            desc="log-mel images",
        )
        return np.stack(images).astype(np.float32, copy=False)

    def __sklearn_is_fitted__(self):
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = True
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []
        return tags
