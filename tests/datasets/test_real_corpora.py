"""The loaders on the real EmoDB and RAVDESS copies (skipped when absent)."""

import warnings
from collections import Counter

import numpy as np
import pytest

from sklearn_ser._labels import CANONICAL_EMOTIONS
from sklearn_ser.datasets import load_corpus, load_emodb, load_ravdess

EMODB_COUNTS = {
    "anger": 127,
    "boredom": 81,
    "disgust": 46,
    "fear": 69,
    "happiness": 71,
    "sadness": 62,
    "neutral": 79,
}


def _check_aligned(data):
    n = len(data.filenames)
    for key, value in data.items():
        if isinstance(value, np.ndarray) and key not in ("target_names",):
            assert value.shape == (n,), key


@pytest.fixture(scope="module")
def emodb(emodb_home):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the complete original copy warns about nothing
        return load_emodb(emodb_home)


@pytest.fixture(scope="module")
def ravdess(ravdess_home):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return load_ravdess(ravdess_home)


def test_emodb_counts_speakers_and_rate(emodb, emodb_home):
    assert len(emodb.filenames) == 535
    assert dict(Counter(emodb.target.tolist())) == EMODB_COUNTS
    assert sorted(set(emodb.speaker)) == "03 08 09 10 11 12 13 14 15 16".split()
    assert emodb.sample_rate == 16000
    assert isinstance(emodb.sample_rate, int)
    assert list(emodb.target_names) == sorted(EMODB_COUNTS)
    assert set(emodb.target) <= set(CANONICAL_EMOTIONS)
    assert set(emodb.corpus) == {"emodb"}
    _check_aligned(emodb)


def test_emodb_items_are_sorted_absolute_and_parsed(emodb, emodb_home):
    filenames = emodb.filenames.tolist()
    assert filenames == sorted(filenames)
    assert all(f.startswith("/") and f.endswith(".wav") for f in filenames)
    first = filenames.index(str((emodb_home / "emodb" / "wav" / "03a01Fa.wav").absolute()))
    item = (emodb.target[first], emodb.speaker[first], emodb.gender[first])
    assert item == ("happiness", "03", "male")
    assert (emodb.text[first], emodb.version[first]) == ("a01", "a")
    genders = dict(zip(emodb.speaker, emodb.gender))
    assert {s for s, g in genders.items() if g == "female"} == {"08", "09", "13", "14", "16"}
    assert "535" in emodb.DESCR and "Burkhardt" in emodb.DESCR


def test_emodb_from_environment_variable(emodb_home, monkeypatch):
    monkeypatch.setenv("SKLEARN_SER_DATA", str(emodb_home))
    data = load_emodb()
    assert len(data.filenames) == 535
    assert data.filenames[0].startswith(str(emodb_home.absolute()))


def test_emodb_pretraining_drops_boredom_keeping_arrays_aligned(emodb, emodb_home):
    data = load_emodb(emodb_home, harmonize="pretraining")
    assert len(data.filenames) == 535 - 81 == 454
    assert "boredom" not in set(data.target)
    assert "boredom" not in data.target_names
    _check_aligned(data)
    # Every kept item still carries its own speaker, text and label.
    def items(d):
        return zip(d.filenames, zip(d.target, d.speaker, d.gender, d.text))

    full = dict(items(emodb))
    for filename, fields in items(data):
        assert full[filename] == fields


def test_ravdess_counts_speakers_gender(ravdess):
    assert len(ravdess.filenames) == 1440
    counts = Counter(ravdess.target.tolist())
    assert counts.pop("neutral") == 96
    assert set(counts.values()) == {192} and len(counts) == 7
    assert sorted(set(ravdess.speaker)) == [f"{i:02d}" for i in range(1, 25)]
    for speaker, gender in zip(ravdess.speaker, ravdess.gender):
        assert gender == ("male" if int(speaker) % 2 else "female")
    assert all(f.endswith(".flac") for f in ravdess.filenames)  # this copy is FLAC
    assert ravdess.sample_rate == 16000
    assert Counter(ravdess.intensity.tolist()) == {"normal": 768, "strong": 672}
    _check_aligned(ravdess)


def test_ravdess_pretraining_merges_calm_into_neutral(ravdess_home):
    data = load_ravdess(ravdess_home, harmonize="pretraining")
    counts = Counter(data.target.tolist())
    assert counts["neutral"] == 288
    assert "calm" not in counts and "calm" not in data.target_names
    assert len(data.filenames) == 1440
    _check_aligned(data)


def test_emodb_plus_ravdess_concatenates_with_prefixed_speakers(emodb_home, ravdess_home):
    assert emodb_home == ravdess_home
    data = load_corpus("emodb+ravdess", emodb_home)
    assert len(data.filenames) == 535 + 1440
    assert len(set(data.speaker)) == 34
    assert data.speaker[0] == "emodb/03" and data.speaker[-1] == "ravdess/24"
    assert Counter(data.corpus.tolist()) == {"emodb": 535, "ravdess": 1440}
    assert data.sample_rate == 16000
    # Only the arrays every part has survive a concatenation.
    assert "text" not in data and "intensity" not in data
    assert "EmoDB" in data.DESCR and "RAVDESS" in data.DESCR
    _check_aligned(data)
