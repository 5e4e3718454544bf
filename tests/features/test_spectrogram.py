"""Variable-length log-mel / log-STFT spectrograms (the front end of Dai et al. 2019) and their
container."""

import pickle

import librosa
import numpy as np
import pytest
import soundfile as sf
from sklearn.base import clone
from sklearn.model_selection import KFold
from sklearn.utils._indexing import _safe_indexing
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ser.features.spectrogram import (
    LogMelSpectrogram,
    LogSTFTSpectrogram,
    check_spectrograms,
    crop_middle,
    log_spectrogram,
    pack_spectrograms,
    spectrogram_lengths,
)

SR = 16000


def tone(freq, seconds, sr=SR, amplitude=0.5):
    t = np.arange(int(round(seconds * sr))) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def n_frames(n_samples, win=640, hop=160):
    return 1 + (n_samples - win) // hop


def test_stft_matches_a_direct_hamming_dft_without_centring():
    rng = np.random.default_rng(0)
    y = rng.normal(size=SR // 2).astype(np.float32)
    S = log_spectrogram(y, n_mels=None, top_db=None)
    window = np.hamming(641)[:-1]  # periodic Hamming, 40 ms
    frames = np.stack([y[i * 160:i * 160 + 640] * window for i in range(n_frames(len(y)))])
    power = np.abs(np.fft.rfft(frames, n=1024, axis=1)) ** 2
    db = 10 * np.log10(np.maximum(power, 1e-10))
    expected = (db - db.max()).T
    assert S.shape == (513, n_frames(len(y))) == expected.shape
    np.testing.assert_allclose(S, expected, atol=2e-3)


def test_mel_is_the_slaney_filter_bank_of_the_power_spectrum():
    rng = np.random.default_rng(1)
    y = rng.normal(size=SR // 4)
    stft_db = log_spectrogram(y, n_mels=None, top_db=None)
    power = 10 ** (stft_db / 10)  # up to the (common) reference
    basis = librosa.filters.mel(sr=SR, n_fft=1024, n_mels=128)
    mel = basis @ power
    expected = 10 * np.log10(mel / mel.max())
    S = log_spectrogram(y, top_db=None)
    assert S.shape == (128, n_frames(len(y)))
    np.testing.assert_allclose(S, expected, atol=1e-3)


def test_tone_lands_in_its_bin_and_values_are_db_below_peak():
    S = log_spectrogram(tone(1000.0, 1.0), n_mels=None)
    assert np.all(S.argmax(axis=0) == 64)  # 1000 Hz * 1024 / 16000
    assert S.max() == 0.0 and S.min() >= -80.0
    M = log_spectrogram(tone(1000.0, 1.0))
    centres = librosa.mel_frequencies(n_mels=128 + 2, fmax=SR / 2)[1:-1]
    assert abs(centres[M.argmax(axis=0)[0]] - 1000.0) < 60.0


def test_only_the_middle_14_seconds_of_longer_utterances_are_kept():
    rng = np.random.default_rng(2)
    y = rng.normal(size=20 * SR).astype(np.float32)
    S = log_spectrogram(y, top_db=None)
    middle = y[3 * SR:17 * SR]
    np.testing.assert_array_equal(S, log_spectrogram(middle, top_db=None, max_duration=None))
    assert S.shape[1] == n_frames(14 * SR) == 1397
    assert log_spectrogram(y, max_duration=None).shape[1] == n_frames(20 * SR)
    np.testing.assert_array_equal(crop_middle(np.arange(7), 4), [1, 2, 3, 4])


def test_clip_shorter_than_one_window_gives_one_frame():
    assert log_spectrogram(tone(500, 0.01)).shape == (128, 1)


def test_transform_returns_one_variable_length_array_per_utterance():
    X = [tone(300, 1.0), tone(600, 2.5), tone(900, 0.3)]
    out = LogMelSpectrogram().fit_transform(X)
    assert out.shape == (3,) and out.dtype == object
    assert [a.shape for a in out] == [(128, n_frames(len(x))) for x in X]
    assert all(a.dtype == np.float32 for a in out)
    stft = LogSTFTSpectrogram().transform(X)  # stateless: no fit needed
    assert [a.shape for a in stft] == [(513, n_frames(len(x))) for x in X]
    np.testing.assert_array_equal(out[1], log_spectrogram(X[1]))


def test_equal_lengths_still_give_an_object_array():
    out = LogMelSpectrogram(n_mels=16).transform([tone(300, 0.5), tone(400, 0.5)])
    assert out.dtype == object and out.shape == (2,) and out[0].shape == (16, n_frames(SR // 2))


def test_container_goes_through_sklearn_indexing_and_splitters():
    out = LogMelSpectrogram(n_mels=8).transform([tone(200 + 100 * k, 0.2 + 0.1 * k)
                                                 for k in range(6)])
    lengths = spectrogram_lengths(out)
    for train, _ in KFold(3).split(out):
        part = _safe_indexing(out, train)
        assert part.dtype == object and part.shape == (len(train),)
        assert spectrogram_lengths(part).tolist() == lengths[train].tolist()
    assert spectrogram_lengths(np.zeros((4, 8, 5))).tolist() == [5] * 4


def test_parameters_change_the_framing():
    y = tone(440, 1.0)
    S = LogMelSpectrogram(win_length=400, hop_length=320, n_fft=512, n_mels=40).transform([y])
    assert S[0].shape == (40, n_frames(SR, 400, 320))
    centred = LogMelSpectrogram(center=True).transform([y])[0]
    assert centred.shape[1] == n_frames(SR + 640)
    hann = LogMelSpectrogram(window="hann").transform([y])[0]
    assert not np.allclose(hann, log_spectrogram(y))


def test_stateless_contract_clone_and_pickle():
    front = LogMelSpectrogram(n_mels=64, max_duration=None)
    assert front.__sklearn_tags__().requires_fit is False
    assert clone(front).get_params() == front.get_params()
    again = pickle.loads(pickle.dumps(front))
    y = [tone(300, 0.5)]
    np.testing.assert_array_equal(again.transform(y)[0], front.transform(y)[0])
    assert "n_mels" not in LogSTFTSpectrogram().get_params()


@pytest.mark.parametrize("params, match", [
    (dict(win_length=2048), "win_length=2048 is longer than n_fft=1024"),
    (dict(fmax=9000.0), "above the Nyquist"),
    (dict(fmin=5000.0, fmax=4000.0), "must be below fmax"),
    (dict(max_duration=0.01), "shorter than one window"),
])
def test_inconsistent_parameters_say_what_to_change(params, match):
    with pytest.raises(ValueError, match=match):
        LogMelSpectrogram(**params).fit([tone(300, 0.5)])


def test_bad_parameter_types_are_rejected():
    with pytest.raises(InvalidParameterError, match="window"):
        LogMelSpectrogram(window="kaiser").transform([tone(300, 0.5)])
    with pytest.raises(InvalidParameterError, match="hop_length"):
        LogSTFTSpectrogram(hop_length=0).fit([tone(300, 0.5)])


def test_cache_and_parallel_workers_give_the_same_arrays(tmp_path, make_wav):
    paths = [str(make_wav(f"t{k}.wav", samples=tone(300 * (k + 1), 0.3 + 0.2 * k)))
             for k in range(3)]
    plain = LogMelSpectrogram(n_mels=32).transform(paths)
    cached = LogMelSpectrogram(n_mels=32, memory=tmp_path / "cache")
    first = cached.transform(paths)
    entries = list((tmp_path / "cache").rglob("*.npy"))
    assert len(entries) == 3
    second = cached.transform(paths)  # read back from the cache
    parallel = LogMelSpectrogram(n_mels=32, n_jobs=2).transform(paths)
    for a, b, c, d in zip(plain, first, second, parallel):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(a, d)
    # another parameter value is another cache entry, never a stale hit
    other = LogMelSpectrogram(n_mels=16, memory=tmp_path / "cache").transform(paths)
    assert other[0].shape[0] == 16


def test_check_spectrograms_rejects_what_it_cannot_use():
    with pytest.raises(TypeError, match="compute spectrograms first"):
        check_spectrograms(["a.wav"])
    with pytest.raises(ValueError, match="same number of bins"):
        check_spectrograms([np.zeros((4, 3)), np.zeros((5, 3))])
    with pytest.raises(ValueError, match="expected 8"):
        check_spectrograms([np.zeros((4, 3))], n_bins=8)
    with pytest.raises(ValueError, match="NaN"):
        check_spectrograms([np.full((4, 3), np.nan)])
    with pytest.raises(ValueError, match="non-empty 2-D"):
        check_spectrograms([np.zeros((4, 0))])
    with pytest.raises(ValueError, match="3-D"):
        check_spectrograms(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="empty"):
        check_spectrograms([])
    with pytest.raises(ValueError, match="2-D spectrogram"):
        pack_spectrograms([np.zeros(3)])
    as_list = check_spectrograms(np.zeros((2, 4, 3), dtype=np.float64))
    assert [a.dtype for a in as_list] == [np.float32] * 2


def test_real_emodb_files_give_frames_from_their_duration(emodb_home):
    from sklearn_ser.datasets import load_emodb

    files = load_emodb(data_home=emodb_home).filenames[:4]
    out = LogMelSpectrogram().fit_transform(files)
    for path, S in zip(files, out):
        info = sf.info(path)
        n = int(round(info.frames * SR / info.samplerate))
        assert S.shape == (128, n_frames(min(n, 14 * SR)))
        assert np.isfinite(S).all() and S.max() == 0.0
        # speech: energy varies over time far more than in a stationary tone
        assert S.mean(axis=0).std() > 3.0
