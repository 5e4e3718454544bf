"""Fixtures building small corpus trees of synthetic audio for the loader tests.

The helpers are handed out as fixtures (not imported) so that the tests work
under any pytest import mode.
"""

import io
import itertools

import numpy as np
import pytest
import soundfile as sf


def _wav_bytes(sr=16000, n_samples=160, fmt="WAV"):
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(n_samples), sr, format=fmt, subtype="PCM_16")
    return buffer.getvalue()


_AUDIO = {
    (".wav", 16000): _wav_bytes(),
    (".flac", 16000): _wav_bytes(fmt="FLAC"),
}


def _write_tree(root, relpaths, sr=16000):
    """Write a tiny silent audio file at each ``root/relpath``; return ``root``.

    The format follows the extension (``.flac`` or anything else as wav), so
    hundreds of files cost milliseconds.
    """
    for rel in relpaths:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        ext = ".flac" if path.suffix.lower() == ".flac" else ".wav"
        key = (ext, sr)
        if key not in _AUDIO:
            _AUDIO[key] = _wav_bytes(sr=sr, fmt=ext[1:].upper())
        path.write_bytes(_AUDIO[key])
    return root


def _savee_names(layout="flat"):
    """All 480 SAVEE file names in the flat (``ALL/DC_a01.wav``) or original layout."""
    names = []
    for speaker in ("DC", "JE", "JK", "KL"):
        for code in ("a", "d", "f", "h", "n", "sa", "su"):
            for number in range(1, (30 if code == "n" else 15) + 1):
                if layout == "flat":
                    names.append(f"ALL/{speaker}_{code}{number:02d}.wav")
                else:
                    names.append(f"AudioData/{speaker}/{code}{number:02d}.wav")
    return names


def _ravdess_names(actors=(1, 2), channel="01", modality="03", ext=".wav"):
    """RAVDESS speech names of the given actors (60 per actor)."""
    names = []
    for actor, emotion, intensity, statement, repetition in itertools.product(
        actors, range(1, 9), (1, 2), (1, 2), (1, 2)
    ):
        if emotion == 1 and intensity == 2:
            continue
        names.append(
            f"Actor_{actor:02d}/{modality}-{channel}-{emotion:02d}-{intensity:02d}-"
            f"{statement:02d}-{repetition:02d}-{actor:02d}{ext}"
        )
    return names


@pytest.fixture
def write_tree():
    """``write_tree(root, relpaths, sr=16000)``: tiny silent audio at each path."""
    return _write_tree


@pytest.fixture
def savee_names():
    """``savee_names(layout="flat" | "original")``: the 480 SAVEE names."""
    return _savee_names


@pytest.fixture
def ravdess_names():
    """``ravdess_names(actors, channel, modality, ext)``: RAVDESS names, 60 per actor."""
    return _ravdess_names
