"""Audio I/O: formats, resampling, and one clear error per kind of bad input."""

import numpy as np
import pytest
import soundfile as sf

from sklearn_ser.audio import check_waveform, load_audio, pad_to_length
from sklearn_ser.exceptions import AudioLoadError


def test_reads_wav_at_requested_rate(make_wav):
    path = make_wav(sr=8000, duration=0.5)
    y, sr = load_audio(path, sr=16000)
    assert sr == 16000 and y.dtype == np.float32 and y.shape == (8000,)


def test_keeps_native_rate_with_sr_none(make_wav):
    y, sr = load_audio(make_wav(sr=22050, duration=0.1), sr=None)
    assert sr == 22050 and y.shape == (2205,)


@pytest.mark.parametrize("fmt,subtype,ext", [("FLAC", "PCM_16", "flac"),
                                             ("OGG", "VORBIS", "ogg"),
                                             ("WAV", "PCM_U8", "wav"),
                                             ("WAV", "PCM_24", "wav"),
                                             ("WAV", "FLOAT", "wav")])
def test_formats(tmp_path, fmt, subtype, ext):
    t = np.arange(16000) / 16000
    path = tmp_path / f"a.{ext}"
    sf.write(path, 0.5 * np.sin(2 * np.pi * 200 * t), 16000, format=fmt, subtype=subtype)
    y, sr = load_audio(path)
    assert y.shape == (16000,) and np.abs(y).max() == pytest.approx(0.5, abs=0.05)


def test_stereo_is_mixed_to_mono(tmp_path):
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([np.full(400, 0.2), np.full(400, 0.4)], axis=1), 16000)
    y, _ = load_audio(path)
    assert y.shape == (400,) and np.allclose(y, 0.3, atol=1e-4)
    y2, _ = load_audio(path, mono=False)
    assert y2.shape == (2, 400)


def test_missing_file_names_it(tmp_path):
    path = tmp_path / "nope.wav"
    with pytest.raises(FileNotFoundError, match="nope.wav"):
        load_audio(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(AudioLoadError, match=r"empty\.wav.*empty \(0 bytes\)"):
        load_audio(path)


def test_corrupt_file(tmp_path):
    path = tmp_path / "corrupt.wav"
    path.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk")
    with pytest.raises(AudioLoadError, match=r"Cannot decode audio file .*corrupt\.wav"):
        load_audio(path)


def test_text_file_named_wav(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("this is not audio\n" * 20)
    with pytest.raises(AudioLoadError, match="notes.wav"):
        load_audio(path)


def test_zero_length_audio(tmp_path):
    path = tmp_path / "zero.wav"
    sf.write(path, np.zeros(0), 16000)
    with pytest.raises(AudioLoadError, match=r"zero\.wav.*no samples"):
        load_audio(path)


def test_nan_samples(tmp_path):
    path = tmp_path / "nan.wav"
    data = np.zeros(100, dtype=np.float32)
    data[10] = np.nan
    data[20] = np.inf
    sf.write(path, data, 16000, subtype="FLOAT")
    with pytest.raises(AudioLoadError, match=r"nan\.wav.*NaN or infinite samples \(2 of 100\)"):
        load_audio(path)


def test_silence_allowed_by_default_and_refused_on_request(make_wav):
    path = make_wav("silent.wav", samples=np.zeros(1600))
    y, _ = load_audio(path)
    assert not y.any()
    with pytest.raises(AudioLoadError, match=r"silent\.wav.*all zeros"):
        load_audio(path, allow_silence=False)


def test_short_clip_is_padded_symmetrically(make_wav):
    path = make_wav("short.wav", samples=np.full(100, 0.5))
    y, _ = load_audio(path, min_samples=2048)
    assert y.shape == (2048,)
    nonzero = np.flatnonzero(y)
    assert nonzero[0] == (2048 - 100) // 2 and nonzero[-1] == nonzero[0] + 99


def test_pad_to_length_keeps_long_signals():
    y = np.arange(10.0)
    assert pad_to_length(y, 5) is y


@pytest.mark.parametrize("bad,match", [
    (np.zeros((2, 10)), "must be 1-D"),
    (np.zeros(0), "no samples"),
    (np.array(["a", "b"]), "not a numeric waveform"),
])
def test_check_waveform_errors_name_the_source(bad, match):
    with pytest.raises(AudioLoadError, match=rf"X\[7\].*{match}|{match}"):
        check_waveform(bad, source="X[7]")


def test_real_emodb_file(emodb_home):
    path = emodb_home / "emodb" / "wav" / "03a01Fa.wav"
    y, sr = load_audio(path)
    info = sf.info(path)
    assert sr == 16000 and y.shape == (info.frames,)
    assert 0.01 < np.abs(y).max() <= 1.0


def test_real_ravdess_flac(ravdess_home):
    path = next((ravdess_home / "ravdess" / "Actor_01").glob("*.flac"))
    y, sr = load_audio(path, sr=8000)
    assert sr == 8000 and y.ndim == 1 and np.isfinite(y).all()
