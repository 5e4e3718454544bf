"""The optimised paths give the outputs of the straightforward ones (issue 9).

- ``LogMelImage`` computes the mel power spectrogram with a cached sparse
  filter bank and one vectorised FFT pass in the waveform's precision,
  instead of ``librosa.feature.melspectrogram`` (float64 FFT, dense product):
  the values must agree with librosa's to float32 rounding, the images to
  within 0.01 on their 0-255 scale, and an image must be the same bit for bit
  whichever thread or process computes it and whatever the BLAS thread count.
- Workers that receive the filters never build them (never import librosa's
  signal stack).
- the ``amp`` / ``channels_last`` options off give the plain estimator; with
  channels-last or bf16 autocast it predicts the same up to rounding.
"""

import contextlib

import cv2
import librosa
import numpy as np
import pytest
import torch
from sklearn.base import clone
from threadpoolctl import ThreadpoolController, threadpool_limits

from sklearn_ser.estimators import VACNNBOVWClassifier, VACNNClassifier
from sklearn_ser.estimators._performance import autocast_dtype
from sklearn_ser.features import LogMelImage, _spectral, logmel_image
from sklearn_ser.features import logmel as logmel_module


def reference_image(y, *, sr=16000, n_fft=2048, hop_length=512, n_mels=128, fmin=0.0,
                    fmax=None, top_db=80.0, size=(224, 224), max_value=255.0):
    """The image recipe written with librosa's public functions (the pre-optimisation code)."""
    mel = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=n_fft, hop_length=hop_length,
                                         n_mels=n_mels, fmin=fmin, fmax=fmax, power=2.0)
    db = librosa.power_to_db(mel, ref=np.max, amin=1e-10, top_db=top_db)
    low, high = float(db.min()), float(db.max())
    unit = (db - low) / (high - low) if high > low else np.zeros_like(db)
    unit = np.flipud(unit).astype(np.float32)
    image = cv2.resize(unit, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
    np.clip(image, 0.0, 1.0, out=image)
    return (image * np.float32(max_value)).astype(np.float32, copy=False)


#: Largest difference allowed between LogMelImage's image and the librosa recipe's, as a
#: fraction of ``max_value`` (0.01 on the 0-255 scale; measured on EmoDB: 0.002).
IMAGE_ATOL = 0.01 / 255


def assert_image_close(got, expected, max_value=255.0, err_msg=""):
    np.testing.assert_allclose(got, expected, rtol=0, atol=IMAGE_ATOL * max_value,
                               err_msg=err_msg)


def _signal(n, dtype, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 16000
    y = 0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
    return (y + 0.01 * rng.standard_normal(n)).astype(dtype)


SETTINGS = [
    dict(n_fft=2048, hop_length=512, n_mels=128),
    dict(n_fft=512, hop_length=128, n_mels=64, fmax=6000.0),
    dict(n_fft=400, hop_length=160, n_mels=40, fmin=50.0),
    dict(n_fft=1023, hop_length=300, n_mels=32),  # odd window, hop not dividing it
]


@pytest.mark.filterwarnings("ignore:n_fft=.*is too large")
@pytest.mark.parametrize("settings", SETTINGS)
@pytest.mark.parametrize("n", [100, 1023, 2048, 2049, 5000, 16007, 16000 * 40 + 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_power_mel_is_librosa_melspectrogram_to_rounding(settings, n, dtype):
    y = _signal(n, dtype)
    expected = librosa.feature.melspectrogram(y=y, sr=16000, power=2.0, **settings)
    window, basis = logmel_module._analysis_filters(
        16000, settings["n_fft"], settings["n_mels"], settings.get("fmin", 0.0),
        settings.get("fmax"))
    got = logmel_module._power_mel(y, n_fft=settings["n_fft"],
                                   hop_length=settings["hop_length"], window=window,
                                   mel_basis=basis)
    assert got.dtype == expected.dtype
    assert got.shape == expected.shape
    # float32: the FFT's rounding is relative to each frame's energy, so the bound is
    # relative to the loudest value; float64 input is transformed in float64 by both.
    rtol, scale = (1e-4, 1e-6) if dtype == np.float32 else (1e-9, 1e-12)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=scale * float(expected.max()))


def test_float32_route_differs_from_float64_by_unbiased_rounding_only():
    """The float32 route differs from librosa's float64 FFT by rounding only, on real speech
    levels (a 60 dB range of bins), not by anything systematic."""
    y = _signal(48000, np.float32, seed=3)
    window, basis = logmel_module._analysis_filters(16000, 2048, 128, 0.0, None)
    got = logmel_module._power_mel(y, n_fft=2048, hop_length=512, window=window,
                                   mel_basis=basis)
    exact = logmel_module._power_mel(y.astype(np.float64), n_fft=2048, hop_length=512,
                                     window=window, mel_basis=basis)
    assert got.dtype == np.float32 and exact.dtype == np.float64
    loud = exact > exact.max() * 1e-6
    relative = np.abs(got[loud] - exact[loud]) / exact[loud]
    assert relative.max() < 1e-4
    assert abs(float(np.mean((got[loud] - exact[loud]) / exact[loud]))) < 1e-6  # unbiased


@pytest.mark.parametrize("top_db", [80.0, 30.0, None])
def test_power_to_db_is_librosa_bit_for_bit(top_db):
    rng = np.random.default_rng(1)
    power = (rng.exponential(size=(64, 50)) ** 4).astype(np.float32)
    power[0, :5] = 0.0
    expected = librosa.power_to_db(power, ref=np.max, amin=1e-10, top_db=top_db)
    got = _spectral.power_to_db(power, amin=1e-10, top_db=top_db)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


@pytest.mark.filterwarnings("ignore:n_fft=.*is too large")
def test_logmel_image_equals_librosa_recipe_on_synthetic_edge_cases():
    cases = [_signal(16000, np.float32), _signal(300, np.float32), _signal(16000, np.float64),
             np.zeros(4000, dtype=np.float32)]
    for y in cases:
        for kwargs in (dict(size=(224, 224)), dict(size=(32, 48), top_db=None, max_value=1.0),
                       dict(n_fft=512, hop_length=128, n_mels=64, fmax=7000.0, size=(64, 64))):
            assert_image_close(logmel_image(y, **kwargs), reference_image(y, **kwargs),
                               max_value=kwargs.get("max_value", 255.0))


def test_logmel_image_rejects_what_librosa_rejected():
    with pytest.raises(ValueError, match="floating-point"):
        logmel_image(np.arange(4000))
    with pytest.raises(ValueError, match="NaN"):
        logmel_image(np.array([0.0, np.nan] * 2000))
    with pytest.raises(ValueError, match="1-D"):
        logmel_image(np.zeros((2, 4000)))


def test_emodb_images_equal_librosa_recipe(emodb_home):
    from sklearn_ser.audio import load_audio
    from sklearn_ser.datasets import load_emodb

    files = list(load_emodb(data_home=emodb_home).filenames)[::5]  # 107 real utterances
    images = LogMelImage().fit_transform(files)
    for path, image in zip(files, images):
        y, _ = load_audio(path, sr=16000, min_samples=2048)
        assert_image_close(image[0], reference_image(y), err_msg=path)


@pytest.mark.parametrize("backend", [None, "loky"], ids=["threads", "processes"])
def test_parallel_cached_transform_equals_sequential_and_reference(emodb_home, tmp_path,
                                                                   backend):
    from joblib import parallel_config

    from sklearn_ser.audio import load_audio
    from sklearn_ser.datasets import load_emodb

    files = list(load_emodb(data_home=emodb_home).filenames)[:12]
    sequential = LogMelImage(size=(64, 64)).fit_transform(files)
    reference = np.stack([reference_image(load_audio(f, sr=16000)[0], size=(64, 64))[None]
                          for f in files])
    assert_image_close(sequential, reference)
    front = LogMelImage(size=(64, 64), n_jobs=2, memory=tmp_path)
    # None: LogMelImage's own choice (thread workers, which write into the batch);
    # "loky": process workers, whose images are copied in.
    with parallel_config(backend=backend) if backend else contextlib.nullcontext():
        np.testing.assert_array_equal(front.fit_transform(files), sequential)  # by workers
    np.testing.assert_array_equal(front.fit_transform(files), sequential)  # from the cache


def test_images_do_not_depend_on_the_blas_thread_count(make_wav):
    """The mel product is a sparse product outside BLAS, so no BLAS setting changes a bit."""
    controller = ThreadpoolController()
    if not controller.select(user_api="blas"):
        pytest.skip("no BLAS library found by threadpoolctl")
    paths = [str(make_wav(f"w{k}.wav", samples=_signal(8000 + 97 * k, np.float64, seed=k)))
             for k in range(6)]
    with threadpool_limits(limits=1, user_api="blas"):
        one = LogMelImage(size=(32, 32)).fit_transform(paths)
    with threadpool_limits(limits=2, user_api="blas"):
        two = LogMelImage(size=(32, 32), n_jobs=2).fit_transform(paths)
    np.testing.assert_array_equal(one, two)


def test_thread_workers_give_the_sequential_images_bit_for_bit(make_wav):
    paths = [str(make_wav(f"item{k}.wav", samples=_signal(int(16000 * seconds), np.float64,
                                                           seed=k)))
             for k, seconds in enumerate((0.3, 1.0, 2.5, 0.7, 1.9, 3.1))]
    sequential = LogMelImage(size=(48, 64)).fit_transform(paths * 3)
    threaded = LogMelImage(size=(48, 64), n_jobs=4).fit_transform(paths * 3)
    np.testing.assert_array_equal(threaded, sequential)


def test_worker_with_filters_never_builds_them(make_wav, monkeypatch):
    path = str(make_wav())
    params = LogMelImage(size=(32, 32))._item_params()
    filters = _spectral.filters_snapshot(*logmel_module._analysis_filters(
        params["sr"], params["n_fft"], params["n_mels"], params["fmin"], params["fmax"]))
    expected = logmel_module._image_for_item(path, 0, **params)
    # A fresh worker: no filters built yet, and building them would fail.
    monkeypatch.setattr(_spectral, "_FILTERS", {})

    def forbidden(*args, **kwargs):
        raise AssertionError("the worker built the mel filter bank")

    monkeypatch.setattr(librosa.filters, "mel", forbidden)
    got = logmel_module._image_for_item(path, 0, filters=filters, **params)
    np.testing.assert_array_equal(got, expected)


def test_get_into_reads_what_get_reads_and_misses_on_anything_else(tmp_path):
    from sklearn_ser.utils import FeatureCache

    cache = FeatureCache(tmp_path, "Demo", {"a": 1})
    value = np.random.default_rng(0).normal(size=(1, 8, 6)).astype(np.float32)
    cache.put("k", value)
    out = np.full((2, 1, 8, 6), -1.0, dtype=np.float32)
    assert cache.get_into("k", out[1])
    np.testing.assert_array_equal(out[1], cache.get("k"))
    assert not cache.get_into("k", np.empty((1, 8, 7), np.float32))  # other shape
    assert not cache.get_into("k", np.empty((1, 8, 6), np.float64))  # other dtype
    assert not cache.get_into("missing", np.empty((1, 8, 6), np.float32))
    strided = np.empty((1, 8, 12), np.float32)[..., ::2]  # not contiguous: goes through get
    assert cache.get_into("k", strided)
    np.testing.assert_array_equal(strided, value)
    path = cache.path_for("k")
    path.write_bytes(path.read_bytes()[:-10])  # truncated entry
    assert not cache.get_into("k", np.empty((1, 8, 6), np.float32))


def test_warm_transform_reads_into_the_batch_and_recomputes_a_broken_entry(make_wav, tmp_path):
    files = [str(make_wav(f"t{i}.wav", duration=0.3 + 0.1 * i)) for i in range(4)]
    front = LogMelImage(size=(24, 40), memory=tmp_path / "cache")
    cold = front.fit_transform(files)
    warm = front.fit_transform(files)
    np.testing.assert_array_equal(warm, cold)
    assert warm.dtype == np.float32 and warm.flags.c_contiguous
    entries = sorted((tmp_path / "cache").rglob("*.npy"))
    entries[0].write_bytes(entries[0].read_bytes()[:100])  # a damaged entry is a miss
    np.testing.assert_array_equal(front.fit_transform(files), cold)


# -- amp / channels_last ---------------------------------------------------------------------------

# Every SERNetClassifier takes amp and channels_last (the options of the former mixin).
FastVACNNClassifier = VACNNClassifier


FastVACNNBOVWClassifier = VACNNBOVWClassifier


@pytest.fixture(scope="module")
def small_data():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 255, size=(24, 1, 32, 32)).astype(np.float32)
    y = np.array(["anger", "boredom", "sadness"] * 8)
    return X, y


def _fit(cls, X, y, **options):
    return cls(max_epochs=2, train_split=None, random_state=0, device="cpu", **options).fit(X, y)


def test_mixin_with_options_off_is_the_plain_estimator(small_data):
    X, y = small_data
    plain = _fit(VACNNClassifier, X, y)
    fast = _fit(FastVACNNClassifier, X, y)
    np.testing.assert_array_equal(fast.predict_proba(X), plain.predict_proba(X))


def test_mixin_params_clone_and_set_params(small_data):
    est = FastVACNNClassifier(amp=True, channels_last=True, max_epochs=1)
    params = est.get_params()
    assert params["amp"] is True and params["channels_last"] is True
    copy = clone(est)
    assert copy.amp is True and copy.channels_last is True
    assert copy.set_params(amp=False).amp is False


def _same_weights(fast, plain):
    """Give ``fast`` the weights of ``plain`` (copying keeps fast's memory format)."""
    fast.module_.load_state_dict(plain.module_.state_dict())
    return fast


def test_channels_last_predicts_like_float32(small_data):
    X, y = small_data
    plain = _fit(VACNNClassifier, X, y)
    fast = _fit(FastVACNNClassifier, X, y, channels_last=True)
    conv = next(m for m in fast.module_.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    # Training diverges only by summation order; with the same weights, the same outputs.
    np.testing.assert_allclose(fast.predict_proba(X), plain.predict_proba(X), atol=0.05)
    _same_weights(fast, plain)
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    np.testing.assert_allclose(fast.predict_proba(X), plain.predict_proba(X), atol=1e-5)


def test_bf16_autocast_predicts_float32_probabilities_close_to_float32(small_data):
    X, y = small_data
    plain = _fit(VACNNClassifier, X, y)
    fast = _fit(FastVACNNClassifier, X, y, amp=True)
    proba = fast.predict_proba(X)
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    _same_weights(fast, plain)
    # bf16 keeps ~3 significant digits inside the network
    np.testing.assert_allclose(fast.predict_proba(X), plain.predict_proba(X), atol=0.05)


def test_channels_last_with_dict_inputs(small_data):
    X, y = small_data
    bovw = np.random.default_rng(1).dirichlet(np.ones(8), len(X)).astype(np.float32)
    data = {"image": X, "bovw": bovw}
    plain = _fit(VACNNBOVWClassifier, data, y)
    fast = _same_weights(_fit(FastVACNNBOVWClassifier, data, y, channels_last=True), plain)
    np.testing.assert_allclose(fast.predict_proba(data), plain.predict_proba(data), atol=1e-5)


def test_autocast_dtype_validates():
    assert autocast_dtype("cpu", False) is None
    assert autocast_dtype("cpu", True) is torch.bfloat16
    with pytest.raises(ValueError, match="True or False"):
        autocast_dtype("cpu", "fp16")
