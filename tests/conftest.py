"""Shared fixtures: where the real corpora are, small synthetic audio, OpenCV features.

OpenCV builds differ: KAZE (``BOVWEncoder``) is in plain OpenCV 4 (``cv2.KAZE_create``) and in
the contrib build of OpenCV 5 (``cv2.xfeatures2d.KAZE_create``); SLIC superpixels (LIME's
``segmentation="slic"``) are in the contrib build only (``cv2.ximgproc``). A test that needs
one of them carries the marker ``requires_kaze`` / ``requires_ximgproc`` (or requests the
fixture ``kaze`` / ``ximgproc``, which its fixtures can do too) and is skipped, with the
reason, where the installed OpenCV lacks it, instead of failing on the library's ImportError.
"""

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

_REPO = Path(__file__).resolve().parents[1]

#: marker name -> function returning why the test cannot run here, or None.
_OPENCV_REQUIREMENTS = {}


def kaze_missing_reason(cv2=None):
    """Why KAZE cannot run with this OpenCV (``None`` when it can)."""
    if cv2 is None:
        import cv2
    if getattr(cv2, "KAZE_create", None) is not None:
        return None
    if getattr(getattr(cv2, "xfeatures2d", None), "KAZE_create", None) is not None:
        return None
    return (f"OpenCV {getattr(cv2, '__version__', '?')} has neither cv2.KAZE_create nor "
            "cv2.xfeatures2d.KAZE_create (BOVWEncoder needs KAZE; install "
            "opencv-contrib-python-headless)")


def ximgproc_missing_reason(cv2=None):
    """Why SLIC superpixels cannot run with this OpenCV (``None`` when they can)."""
    if cv2 is None:
        import cv2
    if getattr(getattr(cv2, "ximgproc", None), "createSuperpixelSLIC", None) is not None:
        return None
    return (f"OpenCV {getattr(cv2, '__version__', '?')} has no cv2.ximgproc (SLIC superpixels "
            "need the contrib build, opencv-contrib-python-headless)")


_OPENCV_REQUIREMENTS["requires_kaze"] = kaze_missing_reason
_OPENCV_REQUIREMENTS["requires_ximgproc"] = ximgproc_missing_reason


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "requires_kaze: skip when OpenCV has no KAZE (BOVWEncoder)")
    config.addinivalue_line(
        "markers", "requires_ximgproc: skip when OpenCV has no cv2.ximgproc (SLIC)")


def pytest_runtest_setup(item):
    for marker, reason_of in _OPENCV_REQUIREMENTS.items():
        if item.get_closest_marker(marker) is not None:
            reason = reason_of()
            if reason is not None:
                pytest.skip(reason)


@pytest.fixture(scope="session")
def kaze():
    """Skips the test (and the fixtures that request it) without KAZE in OpenCV."""
    reason = kaze_missing_reason()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def ximgproc():
    """Skips the test without ``cv2.ximgproc`` (SLIC superpixels) in OpenCV."""
    reason = ximgproc_missing_reason()
    if reason is not None:
        pytest.skip(reason)
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
