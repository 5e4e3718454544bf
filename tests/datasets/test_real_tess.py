"""The TESS loader on the real copy (skipped when absent).

The shared copy holds 2798 of the 2800 files of the release: ``OAF_back_angry``
and ``YAF_beg_sad`` are missing. One original file is spelled
``OA_bite_neutral``: it is OAF's neutral "bite".
"""

import warnings
from collections import Counter

import numpy as np
import pytest

from sklearn_ser.datasets import load_corpus, load_tess
from sklearn_ser.datasets._manifests import missing_release_files, release_manifest
from sklearn_ser.exceptions import PartialCorpusWarning

MISSING = ["OAF_back_angry", "YAF_beg_sad"]


@pytest.fixture(scope="module")
def tess_and_warnings(tess_home):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_tess(tess_home)
    return data, caught


def _present(tess_home):
    stems = {p.stem for p in (tess_home / "tess").rglob("*") if p.suffix in (".wav", ".flac")}
    return stems


def test_every_file_is_read_with_both_speakers_and_seven_emotions(tess_and_warnings, tess_home):
    data, _ = tess_and_warnings
    expected = 2800 - len([m for m in MISSING if m not in _present(tess_home)])
    assert len(data.filenames) == expected
    assert Counter(data.speaker.tolist()).keys() == {"OAF", "YAF"}
    assert sorted(set(data.target)) == sorted(
        ["anger", "disgust", "fear", "happiness", "neutral", "sadness", "surprise"])
    assert set(data.gender) == {"female"}
    # 200 words, each said by both speakers in all seven emotions
    assert len(set(data.word)) == 200


def test_pleasant_surprise_is_surprise(tess_and_warnings):
    data, _ = tess_and_warnings
    ps = np.array(["_ps." in f for f in data.filenames])
    assert ps.sum() == 400
    assert set(data.target[ps]) == {"surprise"}


def test_the_oa_prefixed_original_is_oafs_neutral_bite(tess_and_warnings):
    data, caught = tess_and_warnings
    index = [i for i, f in enumerate(data.filenames) if "OA_bite_neutral" in f]
    assert len(index) == 1
    i = index[0]
    assert (data.speaker[i], data.target[i], data.word[i]) == ("OAF", "neutral", "bite")
    # read as a regular file: no "does not follow the naming scheme" warning
    assert not [w for w in caught if "naming scheme" in str(w.message)]
    oaf_neutral = (data.speaker == "OAF") & (data.target == "neutral")
    assert oaf_neutral.sum() == 200


def test_partial_copy_warning_names_the_missing_files(tess_and_warnings, tess_home):
    _, caught = tess_and_warnings
    missing = [m for m in MISSING if m not in _present(tess_home)]
    partial = [w for w in caught if issubclass(w.category, PartialCorpusWarning)]
    if not missing:
        assert not partial
        return
    assert len(partial) == 1
    message = str(partial[0].message)
    for stem in missing:
        assert stem in message
    assert "2800" in message


def test_harmonised_for_pretraining_with_ravdess(tess_home, ravdess_home):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PartialCorpusWarning)
        data = load_corpus("tess+ravdess", data_home=tess_home, harmonize="pretraining")
    assert set(data.corpus) == {"tess", "ravdess"}
    assert len(set(data.target)) == 7
    assert len(data.filenames) == (data.corpus == "tess").sum() + 1440


def test_release_manifest_names_files_by_stem():
    files = release_manifest("tess")
    assert len(files) == 2800
    assert all(len(f.sha256) == 64 and f.size > 0 for f in files)
    present = [f.stem for f in files if f.stem not in MISSING]
    assert missing_release_files("tess", present) == sorted(MISSING)
    # stems in a different case still match (file names are matched case-insensitively)
    assert missing_release_files("tess", [s.upper() for s in present]) == sorted(MISSING)
    # SAVEE repeats "a01" for every speaker: stems do not identify files there
    assert missing_release_files("savee", []) is None
    assert release_manifest("no-such-corpus") == ()
