"""Bad audio files of every kind, written fresh for each test that asks for them."""

import numpy as np
import pytest
import soundfile as sf

SR = 16000


def tone(freq=440.0, seconds=0.5, sr=SR, amplitude=0.5):
    """A sine tone (float64), the same everywhere so that images can be compared."""
    t = np.arange(int(round(seconds * sr))) / sr
    return amplitude * np.sin(2 * np.pi * freq * t)


@pytest.fixture
def audio_dir(tmp_path):
    """A folder of good and bad audio files; ``audio_dir[name]`` is the path of one.

    Good (readable) files: ``tone`` (16-bit, 16 kHz, 0.5 s), ``tone_u8``,
    ``tone_24``, ``tone_float``, ``stereo`` (the tone on both channels),
    ``rate_8k``, ``rate_96k``, ``short`` (100 samples, shorter than the FFT
    window), ``silent``. Bad ones: ``empty`` (0 bytes), ``zero_length`` (a
    valid header and no samples), ``nan`` (NaN and inf samples),
    ``corrupt_header``, ``text`` (a text file named .wav), ``missing``.
    """
    folder = tmp_path / "audio"
    folder.mkdir()
    paths = {}

    def write(name, data, sr=SR, subtype="PCM_16"):
        path = folder / f"{name}.wav"
        sf.write(path, data, sr, subtype=subtype)
        paths[name] = str(path)

    write("tone", tone())
    write("tone_u8", tone(), subtype="PCM_U8")
    write("tone_24", tone(), subtype="PCM_24")
    write("tone_float", tone(), subtype="FLOAT")
    write("stereo", np.stack([tone(), tone()], axis=1))
    write("rate_8k", tone(sr=8000), sr=8000)
    write("rate_96k", tone(sr=96000), sr=96000)
    write("short", tone(seconds=100 / SR))
    write("silent", np.zeros(SR // 2))
    write("zero_length", np.zeros(0))
    bad = tone().astype(np.float32)
    bad[100], bad[200] = np.nan, np.inf
    write("nan", bad, subtype="FLOAT")
    (folder / "empty.wav").write_bytes(b"")
    paths["empty"] = str(folder / "empty.wav")
    (folder / "corrupt_header.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt \xff\xff" + bytes(64))
    paths["corrupt_header"] = str(folder / "corrupt_header.wav")
    (folder / "text.wav").write_text("this is a text file, not audio\n" * 20)
    paths["text"] = str(folder / "text.wav")
    paths["missing"] = str(folder / "missing.wav")
    return paths
