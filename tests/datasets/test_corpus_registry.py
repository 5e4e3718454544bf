"""The declarative corpus descriptions, the data home and the corpus names."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sklearn_ser._labels import CANONICAL_EMOTIONS
from sklearn_ser.datasets import get_data_home, list_corpora
from sklearn_ser.datasets._corpora import CORPORA, SKIP

OFFICIAL = {
    "emodb": (535, 10),
    "ravdess": (1440, 24),
    "tess": (2800, 2),
    "savee": (480, 4),
    "crema_d": (7442, 91),
}


def test_list_corpora():
    assert list_corpora() == sorted(OFFICIAL)


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_registry_is_consistent(name):
    spec = CORPORA[name]
    assert spec.name == spec.folder == name
    assert set(spec.emotion_codes.values()) <= set(CANONICAL_EMOTIONS)
    assert set(spec.official_counts) == set(spec.emotion_codes.values())
    assert (spec.n_official, len(spec.speakers)) == OFFICIAL[name]
    assert set(spec.speakers.values()) <= {"male", "female", "unknown"}
    assert spec.sha256 is None  # no trusted digest known: fetchers insist on sha256=
    assert (spec.url is None) == (name in ("tess", "savee", "crema_d"))
    assert spec.manual_download and spec.descr and spec.pattern


def test_crema_d_and_ravdess_speaker_sets():
    assert sorted(CORPORA["crema_d"].speakers) == [str(i) for i in range(1001, 1092)]
    assert sum(g == "female" for g in CORPORA["ravdess"].speakers.values()) == 12


def test_get_data_home_resolution(monkeypatch, tmp_path):
    monkeypatch.delenv("SKLEARN_SER_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert get_data_home() == str(tmp_path / "sklearn_ser_data")
    assert not (tmp_path / "sklearn_ser_data").exists()  # resolving creates nothing
    monkeypatch.setenv("SKLEARN_SER_DATA", "~/corpora")
    assert get_data_home() == str(tmp_path / "corpora")
    assert get_data_home(Path("/data/x")) == "/data/x"
    assert isinstance(get_data_home(tmp_path), str)


_RAVDESS_FIELDS = st.tuples(
    st.sampled_from(["01", "02", "03"]),
    st.sampled_from(["01", "02"]),
    st.integers(1, 8),
    st.sampled_from(["01", "02"]),
    st.sampled_from(["01", "02"]),
    st.sampled_from(["01", "02"]),
    st.integers(1, 24),
)


@given(_RAVDESS_FIELDS)
def test_ravdess_parser_round_trip(fields):
    modality, channel, emotion, intensity, statement, repetition, actor = fields
    codes = (modality, channel, f"{emotion:02d}", intensity, statement, repetition, f"{actor:02d}")
    name = "-".join(codes) + ".wav"
    spec = CORPORA["ravdess"]
    parsed = spec.parse(Path(f"Actor_{actor:02d}") / name)
    if (modality, channel) != ("03", "01"):
        assert parsed is SKIP
        return
    assert parsed["speaker"] == f"{actor:02d}"
    assert spec.emotion_codes[parsed["emotion"]] == [
        "neutral", "calm", "happiness", "sadness", "anger", "fear", "disgust", "surprise"
    ][emotion - 1]
    assert parsed["intensity"] == ("normal" if intensity == "01" else "strong")
    assert parsed["statement"] == statement and parsed["repetition"] == repetition


@pytest.mark.parametrize(
    "name, path",
    [
        ("emodb", "03a01Fa.wav.bak"),
        ("emodb", "04a01Fa.wav"),
        ("tess", "MAF_back_angry.wav"),
        ("tess", "OAF_back_surprise.wav"),
        ("savee", "DC_x01.wav"),
        ("savee", "DC/n31.wav"),
        ("crema_d", "1001_DFA_ANG_XY.wav"),
        ("ravdess", "03-01-01-01-01-01-1.wav"),
    ],
)
def test_parsers_reject_names_outside_the_scheme(name, path):
    assert CORPORA[name].parse(Path(path)) is None
