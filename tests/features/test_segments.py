"""SegmentedLogMel and the segment <-> utterance helpers."""

import pickle

import numpy as np
import pytest
from scipy.signal import get_window
from sklearn.base import clone
from sklearn.utils._indexing import _safe_indexing
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ser.features.segments import (
    SegmentedLogMel,
    check_segments,
    expand_segments,
    log_mel_spectrogram,
    mean_by_utterance,
    pack_segments,
    segment_spectrogram,
)

SR = 16000


def tone(freq, seconds, sr=SR):
    t = np.arange(int(seconds * sr)) / sr
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def n_frames(n_samples, n_fft=1200, hop=480):
    return 1 + (n_samples - n_fft) // hop


def test_log_mel_is_periodic_hann_magnitude_stft_without_centring():
    rng = np.random.default_rng(0)
    y = rng.normal(size=SR).astype(np.float32)
    S = log_mel_spectrogram(y)
    # direct computation: frames from sample 0, periodic Hann, |rfft|, HTK mel, log(. + 0.01)
    import librosa

    window = get_window("hann", 1200, fftbins=True)
    assert window[0] == 0 and window[600] == pytest.approx(1.0)  # periodic: peak at N/2
    frames = np.stack([y[i * 480:i * 480 + 1200] * window for i in range(n_frames(SR))])
    mag = np.abs(np.fft.rfft(frames, axis=1))
    basis = librosa.filters.mel(sr=SR, n_fft=1200, n_mels=64, fmin=125, fmax=7500, htk=True,
                                norm=None)
    expected = np.log(mag @ basis.T + 0.01)
    assert S.shape == (n_frames(SR), 64)
    np.testing.assert_allclose(S, expected, rtol=1e-4, atol=1e-4)


def test_segment_spectrogram_overlap_and_end_coverage():
    spec = np.arange(200 * 3, dtype=np.float32).reshape(200, 3)
    seg = segment_spectrogram(spec, segment_frames=96, segment_hop=48)
    # regular starts 0, 48, 96 (96 + 96 = 192 < 200), then one aligned with the end: 104
    assert seg.shape == (4, 1, 96, 3)
    for k, start in enumerate([0, 48, 96, 104]):
        np.testing.assert_array_equal(seg[k, 0], spec[start:start + 96])
    exact = segment_spectrogram(spec[:192], segment_frames=96, segment_hop=48)
    assert exact.shape[0] == 3  # no extra segment when the regular ones reach the end
    with pytest.raises(ValueError, match="fewer than segment_frames"):
        segment_spectrogram(spec[:50])


def test_transform_keeps_one_entry_per_utterance():
    X = [tone(300, 4.0), tone(800, 0.4), tone(1500, 2.0)]
    Xs = SegmentedLogMel().fit_transform(X)
    assert isinstance(Xs, np.ndarray) and Xs.dtype == object and Xs.shape == (3,)
    frames = n_frames(4 * SR)
    expected_first = len(range(0, frames - 96 + 1, 24)) + 1
    assert [u.shape for u in Xs] == [(expected_first, 1, 96, 64), (1, 1, 96, 64),
                                     (1, 1, 96, 64)]
    assert all(u.dtype == np.float32 for u in Xs)


def test_short_utterance_is_zero_padded_to_one_segment():
    Xs = SegmentedLogMel().fit_transform([tone(500, 0.5)])
    seg = Xs[0][0, 0]
    silence = np.float32(np.log(0.01))
    # symmetric padding: silent frames at both ends, the tone in the middle
    np.testing.assert_allclose(seg[0], silence, atol=1e-6)
    np.testing.assert_allclose(seg[-1], silence, atol=1e-6)
    assert seg[48].max() > silence + 3


def test_segment_parameters_and_other_framing():
    X = [tone(440, 2.0)]
    Xs = SegmentedLogMel(n_fft=400, hop_length=160, segment_frames=96, segment_hop=48,
                         n_mels=40).fit_transform(X)
    frames = 1 + (2 * SR - 400) // 160
    assert Xs[0].shape == (len(range(0, frames - 96 + 1, 48)) + 1, 1, 96, 40)


def test_deterministic_and_cache(tmp_path):
    X = [tone(440, 3.0), tone(220, 1.0)]
    a = SegmentedLogMel().fit_transform(X)
    b = SegmentedLogMel(memory=tmp_path).fit_transform(X)
    c = SegmentedLogMel(memory=tmp_path).fit_transform(X)  # from the cache
    for u, v, w in zip(a, b, c):
        np.testing.assert_array_equal(u, v)
        np.testing.assert_array_equal(u, w)


def test_safe_indexing_splits_utterances_not_segments():
    Xs = SegmentedLogMel().fit_transform([tone(300, 4.0), tone(800, 0.4), tone(1500, 3.5)])
    sub = _safe_indexing(Xs, np.array([2, 0]))
    assert sub.shape == (2,) and sub[0] is Xs[2] and sub[1] is Xs[0]


def test_parameter_errors():
    with pytest.raises(ValueError, match="Nyquist"):
        SegmentedLogMel(sr=8000, fmax=7500.0).fit([tone(300, 1.0, sr=8000)])
    with pytest.raises(ValueError, match="win_length"):
        SegmentedLogMel(win_length=2048).fit([tone(300, 1.0)])
    with pytest.raises(InvalidParameterError):
        SegmentedLogMel(segment_hop=0).fit([tone(300, 1.0)])
    with pytest.raises(TypeError, match="single path"):
        SegmentedLogMel().fit_transform("a.wav")


def test_clone_and_pickle():
    est = SegmentedLogMel(segment_hop=48, memory=None)
    assert clone(est).get_params() == est.get_params()
    again = pickle.loads(pickle.dumps(est))
    X = [tone(300, 3.0)]
    np.testing.assert_array_equal(again.fit_transform(X)[0], est.fit_transform(X)[0])


def test_pack_expand_and_mean():
    X = pack_segments([np.zeros((2, 1, 4, 3)), np.ones((3, 1, 4, 3))])
    assert X.dtype == object and X.shape == (2,)
    segments, owner = expand_segments(X)
    assert segments.shape == (5, 1, 4, 3) and owner.tolist() == [0, 0, 1, 1, 1]
    proba = np.array([[1, 0], [0, 1], [0.2, 0.8], [0.4, 0.6], [0.6, 0.4]], dtype=np.float32)
    np.testing.assert_allclose(mean_by_utterance(proba, owner), [[0.5, 0.5], [0.4, 0.6]])
    with pytest.raises(ValueError, match="no segment"):
        mean_by_utterance(proba[:2], owner[:2], n_utterances=2 + 1)


def test_check_segments_messages():
    assert check_segments(np.zeros((3, 1, 8, 4)))[0].shape == (1, 1, 8, 4)
    with pytest.raises(TypeError, match="SegmentedLogMel"):
        check_segments(["a.wav"])
    with pytest.raises(ValueError, match="same size"):
        check_segments([np.zeros((1, 1, 8, 4)), np.zeros((1, 1, 8, 5))])
    with pytest.raises(ValueError, match=r"n_segments >= 1"):
        check_segments([np.zeros((0, 1, 8, 4))])
    with pytest.raises(ValueError, match="4-D"):
        check_segments(np.zeros((3, 8, 4)))
    with pytest.raises(ValueError, match="NaN"):
        check_segments([np.full((1, 1, 8, 4), np.nan)])


def test_real_emodb_segment_counts(emodb_home):
    import soundfile as sf

    from sklearn_ser.datasets import load_emodb

    bunch = load_emodb(data_home=emodb_home)
    files = list(bunch.filenames[:12])
    Xs = SegmentedLogMel().fit_transform(files)
    for path, u in zip(files, Xs):
        n = sf.info(path).frames
        frames = max(n_frames(n), 96)
        expected = len(range(0, frames - 96 + 1, 24))
        expected += (expected - 1) * 24 + 96 < frames
        assert u.shape == (expected, 1, 96, 64)
        assert np.isfinite(u).all()
