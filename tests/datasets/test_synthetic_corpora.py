"""Parsing, labels, counts and stray files, on small synthetic corpus trees."""

import re
import warnings
from collections import Counter

import numpy as np
import pytest

from sklearn_ser.datasets import (
    load_corpus,
    load_crema_d,
    load_emodb,
    load_ravdess,
    load_savee,
    load_tess,
)
from sklearn_ser.exceptions import CorpusError, PartialCorpusWarning


def _load_quietly(loader, *args, **kwargs):
    """Load a partial fixture copy, swallowing only the expected partial warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", PartialCorpusWarning)
        return loader(*args, **kwargs)


def _load_quietly_but_skips(loader, data_home, strict=False):
    """Load, ignoring the partial-copy warning but letting the others through."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PartialCorpusWarning)
        return loader(data_home, strict=strict)


# ---------------------------------------------------------------- TESS


TESS_NAMES = [
    "OAF_angry/OAF_back_angry.wav",
    "OAF_Pleasant_surprise/OAF_back_ps.wav",
    "YAF_pleasant_surprised/YAF_germ_ps.wav",
    "YAF_happy/YAF_bath_happy.flac",
    "YAF_sad/yaf_Youth_Sad.WAV",
    "TESS Toronto emotional speech set data/OAF_neutral/OAF_chain_neutral.wav",
]


def test_tess_parses_names_labels_and_speakers(tmp_path, write_tree):
    write_tree(tmp_path / "tess", TESS_NAMES)
    with pytest.warns(PartialCorpusWarning, match=r"TESS .* found 6 of the 2800"):
        data = load_tess(tmp_path)
    items = {f.split("/tess/")[1]: i for i, f in enumerate(data.filenames)}
    assert set(items) == set(TESS_NAMES)
    got = {name: (data.target[i], data.speaker[i], data.word[i]) for name, i in items.items()}
    assert got["OAF_angry/OAF_back_angry.wav"] == ("anger", "OAF", "back")
    assert got["OAF_Pleasant_surprise/OAF_back_ps.wav"] == ("surprise", "OAF", "back")
    assert got["YAF_pleasant_surprised/YAF_germ_ps.wav"] == ("surprise", "YAF", "germ")
    assert got["YAF_happy/YAF_bath_happy.flac"] == ("happiness", "YAF", "bath")
    assert got["YAF_sad/yaf_Youth_Sad.WAV"] == ("sadness", "YAF", "youth")
    assert set(data.gender) == {"female"}
    assert list(data.target_names) == ["anger", "happiness", "neutral", "sadness", "surprise"]
    assert data.sample_rate == 16000
    assert list(data.filenames) == sorted(data.filenames)


def test_tess_partial_warning_names_counts(tmp_path, write_tree):
    write_tree(tmp_path / "tess", ["a/OAF_back_angry.wav", "a/OAF_bath_angry.wav"])
    with pytest.warns(PartialCorpusWarning) as record:
        load_tess(tmp_path)
    message = str(record[0].message)
    assert "TESS" in message and str(tmp_path / "tess") in message
    assert "anger 2/400" in message and "surprise 0/400" in message


def test_stray_non_audio_and_hidden_files_are_ignored(tmp_path, write_tree):
    root = write_tree(tmp_path / "tess", ["OAF_angry/OAF_back_angry.wav"])
    (root / "README.txt").write_text("about TESS")
    (root / "labels.csv").write_text("file,label\n")
    (root / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (root / "OAF_angry" / "._OAF_back_angry.wav").write_bytes(b"\0\5\26\7")  # AppleDouble
    write_tree(root / "__MACOSX", ["OAF_angry/OAF_bath_angry.wav"])
    data = _load_quietly(load_tess, tmp_path)
    assert [f.split("/tess/")[1] for f in data.filenames] == ["OAF_angry/OAF_back_angry.wav"]


def test_misnamed_audio_is_skipped_with_one_warning(tmp_path, write_tree):
    names = ["OAF_back_angry.wav", "OAF_back_bored.wav", "notes/take1.wav", "x.flac"]
    write_tree(tmp_path / "tess", names)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        data = load_tess(tmp_path)
    skipped = [w for w in record if not issubclass(w.category, PartialCorpusWarning)]
    assert len(skipped) == 1 and skipped[0].category is UserWarning
    message = str(skipped[0].message)
    assert "Skipped 3 audio file(s)" in message
    for name in ("OAF_back_bored.wav", "notes/take1.wav", "x.flac"):
        assert name in message
    assert "strict=True" in message
    assert skipped[0].filename == __file__  # attributed to the caller
    assert len(data.filenames) == 1


def test_misnamed_audio_raises_when_strict(tmp_path, write_tree):
    write_tree(tmp_path / "tess", ["OAF_back_angry.wav", "OAF_back_bored.wav"])
    with pytest.raises(CorpusError, match=r"OAF_back_bored\.wav.*OAF_back_angry\.wav") as excinfo:
        load_tess(tmp_path, strict=True)
    assert "naming scheme" in str(excinfo.value)


def test_warning_lists_only_the_first_few_names(tmp_path, write_tree):
    write_tree(tmp_path / "tess", ["OAF_back_angry.wav"] + [f"junk{i:02d}.wav" for i in range(12)])
    with pytest.warns(UserWarning, match=r"Skipped 12 audio file\(s\).*and 7 more"):
        _load_quietly_but_skips(load_tess, tmp_path)


# ---------------------------------------------------------------- SAVEE


@pytest.mark.parametrize("layout", ["flat", "original"])
def test_savee_complete_copy_loads_without_warning(tmp_path, write_tree, savee_names, layout):
    write_tree(tmp_path / "savee", savee_names(layout))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = load_savee(tmp_path)
    assert len(data.filenames) == 480
    assert Counter(data.target.tolist()) == {
        "neutral": 120,
        "anger": 60,
        "disgust": 60,
        "fear": 60,
        "happiness": 60,
        "sadness": 60,
        "surprise": 60,
    }
    assert Counter(data.speaker.tolist()) == {"DC": 120, "JE": 120, "JK": 120, "KL": 120}
    assert set(data.gender) == {"male"}
    suffix = "ALL/JE_sa15.wav" if layout == "flat" else "AudioData/JE/sa15.wav"
    i = [f.endswith(suffix) for f in data.filenames].index(True)
    assert (data.target[i], data.speaker[i], data.sentence[i]) == ("sadness", "JE", "15")


def test_savee_partial_and_duplicate_copies_warn(tmp_path, write_tree, savee_names):
    names = savee_names("original")
    write_tree(tmp_path / "savee", names[:-1])
    with pytest.warns(PartialCorpusWarning, match=r"SAVEE .*found 479 of the 480.*surprise 59/60"):
        load_savee(tmp_path)
    write_tree(tmp_path / "savee", [names[-1], "ALL/DC_a01.wav"])  # DC a01 now in both layouts
    match = r"more files than the official.*anger 61/60.*same utterance"
    with pytest.warns(UserWarning, match=match):
        data = load_savee(tmp_path)
    assert len(data.filenames) == 481


def test_savee_rejects_out_of_range_sentences(tmp_path, write_tree):
    write_tree(tmp_path / "savee", ["ALL/DC_n30.wav", "ALL/DC_a16.wav", "AudioData/XX/a01.wav"])
    with pytest.raises(CorpusError, match=r"DC_a16\.wav"):
        load_savee(tmp_path, strict=True)
    with pytest.warns(UserWarning, match=r"Skipped 2 audio file\(s\)"):
        data = _load_quietly_but_skips(load_savee, tmp_path)
    assert data.target.tolist() == ["neutral"]


# ---------------------------------------------------------------- CREMA-D


CREMA_NAMES = [
    "AudioWAV/1001_DFA_ANG_XX.wav",
    "AudioWAV/1091_IEO_HAP_HI.wav",
    "AudioWAV/1045_TIE_NEU_XX.wav",
]


def test_crema_d_parses_names(tmp_path, write_tree):
    write_tree(tmp_path / "crema_d", CREMA_NAMES)
    (tmp_path / "crema_d" / "VideoDemographics.csv").write_text("ActorID,Age,Sex\n1001,51,Male\n")
    with pytest.warns(PartialCorpusWarning, match=r"CREMA-D .*found 3 of the 7442.*anger 1/1271"):
        data = load_crema_d(tmp_path)
    assert data.speaker.tolist() == ["1001", "1045", "1091"]
    assert data.target.tolist() == ["anger", "neutral", "happiness"]
    assert data.sentence.tolist() == ["DFA", "TIE", "IEO"]
    assert data.level.tolist() == ["XX", "XX", "HI"]
    assert set(data.gender) == {"unknown"}
    assert set(data.corpus) == {"crema_d"}


def test_crema_d_rejects_unknown_actor_sentence_and_emotion(tmp_path, write_tree):
    bad = [
        "AudioWAV/1092_DFA_ANG_XX.wav",  # actor out of range
        "AudioWAV/1001_ABC_ANG_XX.wav",  # unknown sentence
        "AudioWAV/1001_DFA_CAL_XX.wav",  # unknown emotion
    ]
    write_tree(tmp_path / "crema_d", CREMA_NAMES[:1] + bad)
    with pytest.warns(UserWarning, match=r"Skipped 3 audio file\(s\)"):
        data = _load_quietly_but_skips(load_crema_d, tmp_path)
    assert data.speaker.tolist() == ["1001"]


def test_git_lfs_pointer_is_explained(tmp_path, write_tree):
    write_tree(tmp_path / "crema_d", CREMA_NAMES[:2])
    pointer = tmp_path / "crema_d" / "AudioWAV" / "1001_IEO_SAD_LO.wav"
    pointer.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12345\n")
    with pytest.raises(CorpusError, match=r"1001_IEO_SAD_LO\.wav.*git lfs pull"):
        _load_quietly_but_skips(load_crema_d, tmp_path, True)
    match = r"Skipped 1 CREMA-D file\(s\) whose audio header.*git lfs pull"
    with pytest.warns(UserWarning, match=match):
        data = _load_quietly_but_skips(load_crema_d, tmp_path)
    assert len(data.filenames) == 2 and "sadness" not in data.target


# ---------------------------------------------------------------- RAVDESS, EmoDB schemes


def test_ravdess_skips_song_and_audiovisual_files_silently(tmp_path, write_tree, ravdess_names):
    speech = ravdess_names(actors=(1, 2), ext=".flac")
    write_tree(tmp_path / "ravdess", speech)
    write_tree(tmp_path / "ravdess", ravdess_names(actors=(1,), channel="02"))  # song
    write_tree(tmp_path / "ravdess", ravdess_names(actors=(2,), modality="01")[:3])  # audio-visual
    data = _load_quietly(load_ravdess, tmp_path)
    assert len(data.filenames) == 120
    assert data.speaker.tolist().count("01") == 60
    assert data.gender[data.speaker == "01"][0] == "male"
    assert data.gender[data.speaker == "02"][0] == "female"
    path = tmp_path / "ravdess" / "Actor_02" / "03-01-02-02-01-02-02.flac"
    i = list(data.filenames).index(str(path))
    assert (data.target[i], data.intensity[i], data.statement[i], data.repetition[i]) == (
        "calm",
        "strong",
        "01",
        "02",
    )


def test_ravdess_invalid_codes_are_misnamed(tmp_path, write_tree):
    names = [
        "Actor_01/03-01-01-01-01-01-01.wav",
        "Actor_01/03-01-09-01-01-01-01.wav",  # emotion 09
        "Actor_25/03-01-01-01-01-01-25.wav",  # actor 25
    ]
    write_tree(tmp_path / "ravdess", names)
    with pytest.warns(UserWarning, match=r"Skipped 2 audio file\(s\)"):
        _load_quietly_but_skips(load_ravdess, tmp_path)


def test_emodb_scheme_on_synthetic_tree(tmp_path, write_tree):
    write_tree(tmp_path / "emodb", ["wav/03a01Fa.wav", "wav/16b10Tb.wav", "wav/08a02Lc.wav"])
    (tmp_path / "emodb" / "erkennung.txt").write_text("03a01Fa 90.0\n", encoding="latin-1")
    data = _load_quietly(load_emodb, tmp_path)
    assert data.target.tolist() == ["happiness", "boredom", "sadness"]
    assert data.speaker.tolist() == ["03", "08", "16"]
    assert data.gender.tolist() == ["male", "female", "female"]
    assert data.text.tolist() == ["a01", "a02", "b10"]


# ---------------------------------------------------------------- generic behaviour


def test_missing_corpus_names_the_path_and_the_ways_out(tmp_path):
    with pytest.raises(CorpusError) as excinfo:
        load_savee(tmp_path)
    message = str(excinfo.value)
    assert str(tmp_path / "savee") in message
    assert "data_home=" in message and "SKLEARN_SER_DATA" in message and "fetch_savee" in message


def test_missing_corpus_hints_when_data_home_is_the_corpus_folder(tmp_path):
    (tmp_path / "emodb").mkdir()
    with pytest.raises(CorpusError, match=re.escape(f"try data_home={str(tmp_path)!r}")):
        load_emodb(tmp_path / "emodb")


def test_corpus_folder_without_matching_audio_raises(tmp_path, write_tree):
    write_tree(tmp_path / "tess", ["take1.wav"])
    (tmp_path / "tess" / "notes.txt").write_text("")
    match = r"No audio file under .*tess follows the TESS naming scheme"
    with pytest.raises(CorpusError, match=match):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            load_tess(tmp_path)


def test_mixed_sample_rates_give_one_rate_per_file(tmp_path, write_tree):
    write_tree(tmp_path / "tess", ["OAF_back_angry.wav"], sr=16000)
    write_tree(tmp_path / "tess", ["YAF_back_angry.wav"], sr=24414)
    data = _load_quietly(load_tess, tmp_path)
    assert isinstance(data.sample_rate, np.ndarray)
    assert data.sample_rate.tolist() == [16000, 24414]


def test_custom_harmonization_dict(tmp_path, write_tree):
    write_tree(tmp_path / "tess", [f"OAF_back_{e}.wav" for e in ("angry", "happy", "neutral")])
    data = _load_quietly(load_tess, tmp_path, harmonize={"anger": "negative", "happiness": None})
    assert data.target.tolist() == ["negative", "neutral"]
    assert [f.rsplit("_", 1)[1] for f in data.filenames] == ["angry.wav", "neutral.wav"]
    assert list(data.target_names) == ["negative", "neutral"]
    assert data.word.tolist() == ["back", "back"] and data.speaker.shape == (2,)


@pytest.mark.parametrize(
    "harmonize, error, match",
    [
        ("pretrain", ValueError, r"harmonize='pretrain'\. Valid names are \['pretraining'\]"),
        ({"angry": "anger"}, ValueError, r"\['angry'\] that are not canonical"),
        ({"anger": 1}, ValueError, r"str or None"),
        (["pretraining"], TypeError, r"harmonize must be None"),
    ],
)
def test_invalid_harmonization_is_rejected(tmp_path, write_tree, harmonize, error, match):
    write_tree(tmp_path / "tess", ["OAF_back_angry.wav"])
    with pytest.raises(error, match=match):
        load_tess(tmp_path, harmonize=harmonize)


def test_load_corpus_concatenates_synthetic_corpora(tmp_path, write_tree, savee_names):
    write_tree(tmp_path / "savee", savee_names("flat"))
    write_tree(tmp_path / "crema_d", CREMA_NAMES)
    write_tree(tmp_path / "tess", ["OAF_back_ps.wav"], sr=24414)
    data = _load_quietly(load_corpus, "savee+CREMA-D", tmp_path)
    assert len(data.filenames) == 483
    assert data.speaker[0] == "savee/DC" and data.speaker[-1] == "crema_d/1091"
    assert data.sentence[-1] == "IEO"  # both parts have `sentence`
    assert "level" not in data
    assert data.sample_rate == 16000
    mixed = _load_quietly(load_corpus, "tess+crema_d", tmp_path, harmonize="pretraining")
    assert mixed.corpus.tolist() == ["tess", "crema_d", "crema_d", "crema_d"]
    assert mixed.sample_rate.tolist() == [24414, 16000, 16000, 16000]
    assert "surprise" in mixed.target_names


@pytest.mark.parametrize(
    "name, match",
    [
        ("iemocap", r"Unknown corpus 'iemocap'.*crema_d, emodb, ravdess, savee, tess"),
        ("tess+tess", "more than once"),
        ("tess+", "Unknown corpus ''"),
    ],
)
def test_load_corpus_rejects_bad_names(name, match):
    with pytest.raises(ValueError, match=match):
        load_corpus(name)
