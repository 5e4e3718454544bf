"""Grad-CAM to audio: exact kept intervals on hand-computed maps, smoothing, files."""

import numpy as np
import pytest
import soundfile as sf

from sklearn_ser.explain import gradcam_to_audio, time_profile

PROFILE = np.array([-1.0, 2.0, 3.0, -1.0, -1.0, 0.0, 5.0, 5.0, -2.0, 1.0])


def signed_map(profile=PROFILE):
    """A 3-row map whose column sums are ``profile`` (rows 1 and 2 cancel out)."""
    noise = np.random.default_rng(0).normal(size=profile.shape)
    return np.stack([profile, noise, -noise])


def test_keeps_exactly_the_columns_above_zero():
    y = np.arange(1000, dtype=np.float32) / 1000  # 100 samples per column
    res = gradcam_to_audio(signed_map(), y, sr=1000, smooth=1, threshold=0)
    # columns 1-2, 6-7 and 9 are > 0; column 5 (exactly 0) is not kept
    np.testing.assert_array_equal(np.flatnonzero(res.keep), [1, 2, 6, 7, 9])
    np.testing.assert_allclose(res.intervals, [[0.1, 0.3], [0.6, 0.8], [0.9, 1.0]])
    expected = np.concatenate([y[100:300], y[600:800], y[900:1000]])
    np.testing.assert_array_equal(res.waveform, expected)
    assert res.sr == 1000 and res.threshold == 0.0 and res.path is None


def test_columns_map_to_rounded_sample_edges():
    y = np.ones(1003, dtype=np.float32)  # 100.3 samples per column
    res = gradcam_to_audio(signed_map(), y, sr=1003, smooth=1, threshold=0)
    # edges round(j * 100.3): 100, 201, 301, 602, 702, 802, 903, 1003
    np.testing.assert_array_equal(np.round(res.intervals * 1003),
                                  [[100, 301], [602, 802], [903, 1003]])
    assert res.waveform.shape == (201 + 200 + 100,)


def test_smoothing_and_mean_threshold():
    profile = np.zeros(10)
    profile[2] = 3.0
    np.testing.assert_allclose(time_profile(profile[None], smooth=3),
                               [0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(time_profile(np.ones((2, 4)), smooth=4), [2, 2, 2, 2])
    y = np.ones(1000, dtype=np.float32)
    res = gradcam_to_audio(profile[None], y, sr=1000, smooth=3)  # mean of smoothed = 0.3
    assert res.threshold == pytest.approx(0.3)
    np.testing.assert_allclose(res.intervals, [[0.1, 0.4]])
    heat = np.zeros((4, 10))
    heat[:, 2:4] = 1.0  # non-negative, Grad-CAM-like: the above-average part is kept
    np.testing.assert_allclose(gradcam_to_audio(heat, y, sr=1000, smooth=1).intervals,
                               [[0.2, 0.4]])
    med = gradcam_to_audio(signed_map(), y, sr=1000, smooth=1, threshold="median")
    assert med.threshold == pytest.approx(0.5)
    np.testing.assert_array_equal(np.flatnonzero(med.keep), [1, 2, 6, 7, 9])


def test_hop_length_frames_and_mask_mode():
    heat = np.array([[1.0, 0.0, 0.0, 0.0, 1.0]])
    y = np.arange(1, 451, dtype=np.float32)
    # frame j is centred on j * 100: it covers [j * 100 - 50, j * 100 + 50)
    res = gradcam_to_audio(heat, y, sr=100, smooth=1, threshold=0, hop_length=100)
    np.testing.assert_allclose(res.intervals * 100, [[0, 50], [350, 450]])
    masked = gradcam_to_audio(heat, y, sr=100, smooth=1, threshold=0, hop_length=100,
                              mode="mask")
    assert masked.waveform.shape == y.shape
    np.testing.assert_array_equal(masked.waveform[:50], y[:50])
    np.testing.assert_array_equal(masked.waveform[50:350], 0.0)
    with pytest.raises(ValueError, match="hop_length"):
        gradcam_to_audio(np.ones((2, 10)), y, sr=100, hop_length=100)


def test_writes_a_readable_file_from_a_file(make_wav, tmp_path):
    t = np.arange(8000) / 8000
    path = make_wav("utt.wav", samples=0.3 * np.sin(2 * np.pi * 200 * t), sr=8000)
    heat = np.zeros((8, 16))
    heat[:, 4:8] = 1.0
    out = tmp_path / "kept.wav"
    res = gradcam_to_audio(heat, path, smooth=1, out=out)
    assert res.sr == 8000 and res.path == out
    np.testing.assert_allclose(res.intervals, [[0.25, 0.5]])
    data, sr = sf.read(out)
    assert sr == 8000 and data.shape == (2000,)
    np.testing.assert_allclose(data, res.waveform, atol=1e-4)
    resampled = gradcam_to_audio(heat, path, sr=16000, smooth=1)
    assert resampled.sr == 16000 and resampled.waveform.shape == (4000,)


def test_nothing_kept_gives_empty_audio(tmp_path):
    res = gradcam_to_audio(np.ones((2, 5)), np.ones(100), sr=100, out=tmp_path / "none.wav")
    assert res.waveform.shape == (0,) and res.intervals.shape == (0, 2)
    assert not res.keep.any()


def test_clear_errors():
    y = np.ones(100)
    with pytest.raises(ValueError, match="sr is required"):
        gradcam_to_audio(np.ones((2, 5)), y)
    with pytest.raises(ValueError, match="one map"):
        gradcam_to_audio(np.ones((2, 2, 5)), y, sr=100)
    with pytest.raises(ValueError, match="threshold"):
        gradcam_to_audio(np.ones((2, 5)), y, sr=100, threshold="max")
    with pytest.raises(ValueError, match="smooth"):
        gradcam_to_audio(np.ones((2, 5)), y, sr=100, smooth=0)
    with pytest.raises(ValueError, match="mode"):
        gradcam_to_audio(np.ones((2, 5)), y, sr=100, mode="cut")
    with pytest.raises(FileNotFoundError):
        gradcam_to_audio(np.ones((2, 5)), "missing.wav")
