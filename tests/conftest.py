"""Shared fixtures: where the real corpora are, and small synthetic audio."""

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

_REPO = Path(__file__).resolve().parents[1]
_DEFAULT_DATA = _REPO.parent / "shared" / "corpora"


def _data_home():
    return Path(os.environ.get("SKLEARN_SER_DATA", _DEFAULT_DATA))


@pytest.fixture(scope="session")
def data_home():
    """Root of the real corpora (``SKLEARN_SER_DATA`` or ``../shared/corpora``)."""
    return _data_home()


@pytest.fixture(scope="session")
def emodb_home(data_home):
    """Root holding ``emodb/``; skips the test when EmoDB is not present."""
    if not (data_home / "emodb" / "wav").is_dir():
        pytest.skip(f"EmoDB not found under {data_home}; set SKLEARN_SER_DATA")
    return data_home


@pytest.fixture(scope="session")
def ravdess_home(data_home):
    """Root holding ``ravdess/``; skips the test when RAVDESS is not present."""
    if not (data_home / "ravdess").is_dir():
        pytest.skip(f"RAVDESS not found under {data_home}; set SKLEARN_SER_DATA")
    return data_home


@pytest.fixture(scope="session")
def tess_home(data_home):
    """Root holding ``tess/``; skips the test when TESS is not present."""
    if not (data_home / "tess").is_dir():
        pytest.skip(f"TESS not found under {data_home}; set SKLEARN_SER_DATA")
    return data_home


@pytest.fixture
def make_wav(tmp_path):
    """Write a synthetic tone (or given samples) to a wav file and return its path."""

    def _make(name="tone.wav", samples=None, sr=16000, duration=0.5, subtype="PCM_16"):
        if samples is None:
            t = np.arange(int(sr * duration)) / sr
            samples = 0.3 * np.sin(2 * np.pi * 440.0 * t)
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, samples, sr, subtype=subtype)
        return path

    return _make


@pytest.fixture(scope="session")
def make_separable_images():
    """Factory of toy 32x32 image sets for the VACNN estimators.

    ``make(per_class, offset, seed)`` returns ``(images, bovw, y)``: four emotions with
    ``per_class`` images each, every class brightened by ``offset`` in its own band of 8 rows
    (so they are separable), and random 16-word BOVW histograms.
    """
    def make(per_class, offset, seed):
        rng = np.random.default_rng(seed)
        y = np.array(["anger", "sadness", "happiness", "neutral"] * per_class)
        images = rng.uniform(0, 255, size=(len(y), 1, 32, 32)).astype(np.float32)
        for k, label in enumerate(np.unique(y)):
            images[y == label, :, 8 * k:8 * k + 8, :] += offset
        bovw = rng.dirichlet(np.ones(16), len(y)).astype(np.float32)
        return images, bovw, y

    return make
