"""LogMelImage: shapes, orientation, determinism, cache, bad input, real EmoDB."""

import time

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_ser.exceptions import AudioLoadError
from sklearn_ser.features import LogMelImage, flatten_images, logmel_image
from sklearn_ser.utils import FeatureCache

SR = 16000


def tone(freq, seconds=1.0, sr=SR):
    t = np.arange(int(seconds * sr)) / sr
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_shape_dtype_and_range():
    X = LogMelImage(size=(40, 30)).fit_transform([tone(200), tone(900, 0.3)])
    assert X.shape == (2, 1, 40, 30) and X.dtype == np.float32
    assert X.min() >= 0 and X.max() <= 255 and X.max() > 250


def test_unit_range_option():
    unit = LogMelImage(size=(32, 32), max_value=1.0).fit_transform([tone(400)])
    full = LogMelImage(size=(32, 32)).fit_transform([tone(400)])
    assert 0.0 <= unit.min() and unit.max() <= 1.0
    np.testing.assert_allclose(unit * 255.0, full, rtol=1e-5, atol=1e-4)


def test_low_frequencies_at_the_bottom_row():
    low, high = LogMelImage(size=(64, 64)).fit_transform([tone(150), tone(6000)])[:, 0]
    # energy row profile: argmax row of the mean over time
    low_row = int(np.argmax(low.mean(axis=1)))
    high_row = int(np.argmax(high.mean(axis=1)))
    assert low_row > 48 and high_row < 16


def test_time_runs_along_columns():
    y = np.concatenate([np.zeros(SR), tone(500)])  # silence then a tone
    img = LogMelImage(size=(32, 64)).fit_transform([y])[0, 0]
    assert img[:, :24].mean() < img[:, 40:].mean()


def test_deterministic_and_matches_function():
    y = tone(440)
    a = LogMelImage(size=(48, 48)).fit_transform([y])
    b = LogMelImage(size=(48, 48)).fit_transform([y.copy()])
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a[0, 0], logmel_image(y, size=(48, 48)))


def test_two_d_array_rows_are_waveforms():
    X = np.stack([tone(300, 0.5), tone(3000, 0.5)])
    out = LogMelImage(size=(16, 16)).fit(X).transform(X)
    assert out.shape == (2, 1, 16, 16)


def test_does_not_mutate_input():
    X = np.stack([tone(300, 0.5)])
    before = X.copy()
    LogMelImage(size=(16, 16)).fit_transform(X)
    np.testing.assert_array_equal(X, before)


def test_short_clip_is_padded_not_rejected():
    out = LogMelImage(size=(16, 16)).fit_transform([tone(440, seconds=0.01)])
    assert np.isfinite(out).all() and out.max() > 0


def test_silence_gives_zero_image():
    out = LogMelImage(size=(16, 16)).fit_transform([np.zeros(SR, dtype=np.float32)])
    assert not out.any()


@pytest.mark.parametrize("params,match", [
    ({"size": (10,)}, "size must be"),
    ({"fmax": 9000}, "Nyquist"),
    ({"n_mels": 0}, "n_mels"),
])
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        LogMelImage(**params).fit([tone(300)])


def test_bad_inputs_name_the_item(tmp_path):
    bad = tone(300)
    bad[5] = np.nan
    with pytest.raises(AudioLoadError, match=r"X\[1\]"):
        LogMelImage(size=(8, 8)).fit_transform([tone(300), bad])
    with pytest.raises(TypeError, match="wrap it in a list"):
        LogMelImage().fit_transform(str(tmp_path / "a.wav"))
    with pytest.raises(FileNotFoundError, match="missing.wav"):
        LogMelImage().fit_transform([str(tmp_path / "missing.wav")])


def test_bad_file_inside_parallel_batch_names_the_file(make_wav, tmp_path):
    good = make_wav("good.wav")
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFFxxxxWAVE")
    with pytest.raises(AudioLoadError, match="corrupt.wav"):
        LogMelImage(size=(8, 8), n_jobs=2).fit_transform([good, corrupt, good])


def test_cache_hits_and_parameter_keying(tmp_path, make_wav, monkeypatch):
    files = [make_wav(f"t{i}.wav", samples=tone(200 + 300 * i, 0.3)) for i in range(3)]
    cache_dir = tmp_path / "cache"
    first = LogMelImage(size=(16, 16), memory=cache_dir).fit_transform(files)

    # The globals of the module that defined LogMelImage: under --import-mode=importlib a
    # doctest run of logmel.py may have put another copy of the module in sys.modules.
    module_globals = LogMelImage._compute.__globals__
    calls = []
    original = module_globals["_logmel_image"]
    monkeypatch.setitem(module_globals, "_logmel_image",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    second = LogMelImage(size=(16, 16), memory=str(cache_dir)).fit_transform(files)
    np.testing.assert_array_equal(first, second)
    assert calls == []  # every image came from the cache
    # joblib.Memory is accepted too, and a changed parameter misses the cache
    LogMelImage(size=(16, 17), memory=joblib.Memory(cache_dir, verbose=0)).fit_transform(files)
    assert len(calls) == 3
    # no temporary files are left behind
    assert not list(cache_dir.rglob("*.tmp"))


def test_cache_key_follows_content_not_path(tmp_path, make_wav):
    path = make_wav("a.wav", samples=tone(300, 0.3))
    t = LogMelImage(size=(16, 16), memory=tmp_path / "c")
    first = t.fit_transform([path])
    make_wav("a.wav", samples=tone(5000, 0.3))  # same path, new content
    second = t.fit_transform([path])
    assert not np.array_equal(first, second)
    (folder,) = (tmp_path / "c" / "sklearn_ser" / "LogMelImage").iterdir()
    assert len(list(folder.glob("packs/*.keys"))) == 2  # one image stored per call
    assert len(FeatureCache(tmp_path / "c", "LogMelImage", {})) == 0  # other parameters


def test_clone_and_pipeline():
    pipe = make_pipeline(LogMelImage(size=(8, 8)), FunctionTransformer(flatten_images))
    out = clone(pipe).fit_transform([tone(300), tone(600)])
    assert out.shape == (2, 64)


def test_real_emodb_full_corpus_with_cache(emodb_home, tmp_path):
    from sklearn_ser.datasets import load_emodb

    bunch = load_emodb(emodb_home)
    transformer = LogMelImage(n_jobs=2, memory=tmp_path / "cache")
    start = time.perf_counter()
    images = transformer.fit_transform(bunch.filenames)
    cold = time.perf_counter() - start
    warm_runs = []
    for _ in range(3):  # best of three cached runs, as timeit reports
        start = time.perf_counter()
        again = transformer.fit_transform(bunch.filenames)
        warm_runs.append(time.perf_counter() - start)
    warm = min(warm_runs)
    print(f"\nLogMelImage on EmoDB (535 files, n_jobs=2): cold {cold:.2f} s, warm "
          f"{' / '.join(f'{w:.2f}' for w in warm_runs)} s, speed-up {cold / warm:.1f}x")
    assert images.shape == (535, 1, 224, 224)
    np.testing.assert_array_equal(images, again)
    assert cold / warm >= 10
