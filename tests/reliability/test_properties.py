"""Property-based tests: any length, rate and amplitude gives a finite image in range.

The documented contract (``logmel_image`` and ``LogMelImage`` docstrings):
shape ``(height, width)`` per image, dtype float32, values in
``[0, max_value]``, no NaN or infinity, whatever the waveform's length (short
clips are padded), rate (files are resampled) or scale (the image is scale
invariant; peaks above 1e6 are rescaled, peaks below ~1e-7 render as silence).
"""

import os
import tempfile

import numpy as np
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sklearn_ser.features import LogMelImage, logmel_image

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

sizes = st.tuples(st.integers(4, 48), st.integers(4, 48))
amplitudes = st.floats(-3, 12).map(lambda e: 10.0 ** e)  # 1e-3 .. 1e12
rates = st.sampled_from([8000, 11025, 16000, 22050, 44100, 48000])


@st.composite
def waveforms(draw, min_len=1, max_len=24000, kinds=("tone", "noise", "mix", "impulse")):
    """A tone, noise, a mixture or an impulse, with random length, amplitude and seed."""
    n = draw(st.integers(min_len, max_len))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(kinds))
    t = np.arange(n) / 16000
    if kind == "tone":
        y = np.sin(2 * np.pi * draw(st.floats(20, 7900)) * t)
    elif kind == "noise":
        y = rng.standard_normal(n)
    elif kind == "mix":
        y = np.sin(2 * np.pi * 300 * t) * rng.uniform(0, 1) + 0.1 * rng.standard_normal(n)
    else:
        y = np.zeros(n)
        y[rng.integers(n)] = 1.0
    peak = np.abs(y).max()
    y = y / peak if peak > 0 else y
    return (draw(amplitudes) * y).astype(draw(st.sampled_from([np.float32, np.float64])))


def _check_image(image, size, max_value):
    assert image.shape == size and image.dtype == np.float32
    assert np.isfinite(image).all()
    assert image.min() >= 0.0 and image.max() <= max_value


@SETTINGS
@given(y=waveforms(min_len=512), sr=rates, size=sizes, max_value=st.sampled_from([1.0, 255.0]),
       n_mels=st.integers(8, 40))
def test_logmel_image_is_finite_with_documented_shape_and_range(y, sr, size, max_value, n_mels):
    image = logmel_image(y, sr=sr, n_fft=512, hop_length=128, n_mels=n_mels, size=size,
                         max_value=max_value)
    _check_image(image, size, max_value)


@SETTINGS
@given(y=waveforms(min_len=2048, max_len=16000, kinds=("tone", "noise", "mix")),
       scale=st.floats(-1, 8).map(lambda e: 10.0 ** e))
def test_logmel_image_does_not_depend_on_scale(y, scale):
    # Sustained sounds at peak 1, scaled by 0.1 .. 1e8: the loudest mel bin stays more than
    # top_db above amin, the condition stated in logmel_image's notes.
    y = y.astype(np.float64) / np.abs(y).max()
    ref = logmel_image(y, size=(24, 24))
    scaled = logmel_image(y * scale, size=(24, 24))
    np.testing.assert_allclose(scaled, ref, atol=0.5)  # out of 255


@SETTINGS
@given(X=st.lists(waveforms(max_len=6000), min_size=1, max_size=3), size=sizes)
def test_logmel_front_end_pads_and_keeps_range(X, size):
    out = LogMelImage(n_fft=1024, hop_length=256, n_mels=32, size=size).fit_transform(X)
    assert out.shape == (len(X), 1) + size
    for image in out:
        _check_image(image[0], size, 255.0)


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(y=waveforms(min_len=1, max_len=8000), file_sr=st.sampled_from([8000, 22050, 44100, 96000]),
       subtype=st.sampled_from(["PCM_U8", "PCM_16", "PCM_24", "FLOAT"]),
       channels=st.sampled_from([1, 2]))
def test_logmel_front_end_on_files_of_any_rate_depth_and_channels(y, file_sr, subtype, channels):
    peak = np.abs(y).max()
    y = y / peak * 0.9 if peak > 0 else y  # PCM files hold [-1, 1]
    data = np.stack([y] * channels, axis=1) if channels == 2 else y
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "clip.wav")
        sf.write(path, data, file_sr, subtype=subtype)
        out = LogMelImage(n_fft=512, hop_length=128, n_mels=32, size=(16, 20)).fit_transform(
            [path])
    assert out.shape == (1, 1, 16, 20)
    _check_image(out[0, 0], (16, 20), 255.0)
