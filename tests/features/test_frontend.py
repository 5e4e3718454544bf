"""The front-end base class: shared parameters, failure handling and cache keys."""

import pathlib
import warnings

import librosa
import numpy as np
import pytest

import sklearn_ser
from sklearn_ser.exceptions import FailedItemsWarning
from sklearn_ser.features import (
    LogMelImage,
    LogMelSpectrogram,
    LogSTFTSpectrogram,
    SegmentedLogMel,
    YAMNetEmbedding,
)
from sklearn_ser.features._frontend import EXECUTION_PARAMS, AudioFrontEnd

FRONT_ENDS = [
    (LogMelImage, dict(size=(8, 8)), (1, 8, 8)),
    (LogMelSpectrogram, {}, (128, 1)),
    (LogSTFTSpectrogram, {}, (513, 1)),
    (SegmentedLogMel, {}, (1, 1, 96, 64)),
]


def _tone(seconds=0.5, freq=440.0):
    t = np.arange(int(16000 * seconds)) / 16000
    return np.sin(2 * np.pi * freq * t)


@pytest.mark.parametrize("cls, params, fill_shape", FRONT_ENDS)
def test_every_front_end_is_a_subclass_with_the_execution_parameters(cls, params,
                                                                      fill_shape):
    assert issubclass(cls, AudioFrontEnd)
    assert set(EXECUTION_PARAMS) <= set(cls().get_params())


@pytest.mark.parametrize("cls, params, fill_shape", FRONT_ENDS)
@pytest.mark.parametrize("on_error", ["skip", "warn"])
def test_every_front_end_fills_and_reports_a_bad_item(cls, params, fill_shape, on_error):
    front = cls(on_error=on_error, fill_value=-1.0, **params)
    X = [_tone(), np.full(100, np.nan), _tone(freq=880.0)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = front.fit_transform(X)
    assert len(out) == 3
    assert [f.index for f in front.failed_items_] == [1]
    assert front.failed_items_[0].source == "X[1]"
    np.testing.assert_array_equal(np.asarray(out[1]), np.full(fill_shape, -1.0, np.float32))
    assert np.all(np.asarray(out[0]) != -1.0)
    warned = [w for w in caught if issubclass(w.category, FailedItemsWarning)]
    assert len(warned) == (1 if on_error == "warn" else 0)
    if warned:  # attributed to the caller, not to the toolkit
        assert warned[0].filename == __file__


@pytest.mark.parametrize("cls, params, fill_shape", FRONT_ENDS)
def test_every_front_end_raises_by_default(cls, params, fill_shape):
    with pytest.raises(Exception, match=r"X\[1\]"):
        cls(**params).fit([_tone(), np.full(100, np.nan)])


def test_the_yamnet_embedding_is_a_front_end_too():
    assert issubclass(YAMNetEmbedding, AudioFrontEnd)
    assert set(EXECUTION_PARAMS) <= set(YAMNetEmbedding().get_params())


def test_logmel_image_cache_key_is_unchanged():
    """Images cached before the front ends shared a base class stay valid: same key."""
    front = LogMelImage(sr=16000, fmin=0, size=[64, 32])
    expected = {"sr": 16000, "n_fft": 2048, "hop_length": 512, "n_mels": 128, "fmin": 0.0,
                "fmax": None, "top_db": 80.0, "size": (64, 32), "max_value": 255.0,
                "version": 2, "librosa": librosa.__version__}
    got = front._cache_params(front._item_params())
    assert got == expected
    assert [type(got[k]) for k in expected] == [type(v) for v in expected.values()]


def test_execution_parameters_do_not_enter_the_cache_key():
    a = LogMelImage(n_jobs=2, verbose=1, on_error="warn", fill_value=np.nan, memory="x")
    b = LogMelImage()
    assert a._cache_params(a._item_params()) == b._cache_params(b._item_params())


def test_one_mel_filter_bank_builder_and_one_db_conversion():
    package = pathlib.Path(sklearn_ser.__file__).parent
    builders, db = [], []
    for path in package.rglob("*.py"):
        text = path.read_text()
        if "filters.mel(" in text:
            builders.append(path.relative_to(package).as_posix())
        if "np.log10(np.maximum(" in text or "power_to_db(" in text and "def power_to_db" \
                in text:
            db.append(path.relative_to(package).as_posix())
    assert builders == ["features/_spectral.py"]
    assert db == ["features/_spectral.py"]
