"""The requires_kaze / requires_ximgproc skips of tests/conftest.py, against fake OpenCV builds."""

import importlib.util
import types
from pathlib import Path

import pytest

# tests/ is not a package: load the conftest that pytest uses, by its path.
_spec = importlib.util.spec_from_file_location(
    "tests_conftest", Path(__file__).with_name("conftest.py"))
_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_conftest)
kaze_missing_reason = _conftest.kaze_missing_reason
ximgproc_missing_reason = _conftest.ximgproc_missing_reason
pytest_runtest_setup = _conftest.pytest_runtest_setup


def _cv2(version="5.0.0", **attributes):
    return types.SimpleNamespace(__version__=version, **attributes)


def test_kaze_found_at_top_level_or_in_contrib():
    assert kaze_missing_reason(_cv2("4.10.0", KAZE_create=object)) is None
    contrib = types.SimpleNamespace(KAZE_create=object)
    assert kaze_missing_reason(_cv2(xfeatures2d=contrib)) is None


def test_kaze_missing_gives_the_version_and_the_fix():
    reason = kaze_missing_reason(_cv2("5.0.0"))
    assert "OpenCV 5.0.0" in reason and "cv2.KAZE_create" in reason
    assert "opencv-contrib-python-headless" in reason
    assert kaze_missing_reason(_cv2(xfeatures2d=types.SimpleNamespace())) is not None


def test_ximgproc():
    slic = types.SimpleNamespace(createSuperpixelSLIC=object)
    assert ximgproc_missing_reason(_cv2(ximgproc=slic)) is None
    assert "cv2.ximgproc" in ximgproc_missing_reason(_cv2("5.0.0"))


class _Item:
    def __init__(self, *markers):
        self.markers = set(markers)

    def get_closest_marker(self, name):
        return object() if name in self.markers else None


def test_marked_tests_skip_on_a_build_without_the_feature(monkeypatch):
    import cv2

    monkeypatch.delattr(cv2, "KAZE_create", raising=False)
    monkeypatch.delattr(cv2, "xfeatures2d", raising=False)
    monkeypatch.delattr(cv2, "ximgproc", raising=False)
    with pytest.raises(pytest.skip.Exception, match="KAZE"):
        pytest_runtest_setup(_Item("requires_kaze"))
    with pytest.raises(pytest.skip.Exception, match="ximgproc"):
        pytest_runtest_setup(_Item("requires_ximgproc"))
    pytest_runtest_setup(_Item())  # unmarked tests run


def test_marked_tests_run_on_a_build_with_the_feature(monkeypatch):
    import cv2

    monkeypatch.setattr(cv2, "KAZE_create", object, raising=False)
    monkeypatch.setattr(cv2, "ximgproc", types.SimpleNamespace(createSuperpixelSLIC=object),
                        raising=False)
    pytest_runtest_setup(_Item("requires_kaze", "requires_ximgproc"))  # no skip
