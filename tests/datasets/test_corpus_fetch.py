"""Fetchers, against archives served from ``file://`` addresses in tmp_path."""

import hashlib
import os
import tarfile
import warnings
import zipfile

import pytest

from sklearn_ser.datasets import fetch_crema_d, fetch_emodb, fetch_ravdess, fetch_savee, fetch_tess
from sklearn_ser.exceptions import ChecksumError, CorpusError, PartialCorpusWarning
from sklearn_ser.utils import _files as _download


@pytest.fixture
def home(tmp_path):
    """An empty data home, apart from the archives."""
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def no_network(monkeypatch):
    """Fail the test if a fetcher tries to open any address."""

    def _refuse(*args, **kwargs):
        raise AssertionError("a download was attempted")

    monkeypatch.setattr(_download.urllib.request, "urlopen", _refuse)


def _zip(path, members, write_tree, tmp_path):
    """Zip ``members`` (archive name -> tiny wav, or bytes) to ``path``."""
    src = write_tree(tmp_path / "src", [m for m, v in members.items() if v is None])
    with zipfile.ZipFile(path, "w") as zf:
        for name, content in members.items():
            if content is None:
                zf.write(src / name, name)
            else:
                zf.writestr(name, content)
    return path


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fetch_quietly(fetcher, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PartialCorpusWarning)
        return fetcher(*args, **kwargs)


def test_fetch_emodb_from_verified_zip(home, tmp_path, write_tree):
    archive = _zip(
        tmp_path / "download.zip",
        {
            "wav/03a01Fa.wav": None,
            "wav/16b10Tb.wav": None,
            "erkennung.txt": b"03a01Fa 90\n",
            "lablaut/03a01Fa.lab": b"",
        },
        write_tree,
        tmp_path,
    )
    with pytest.warns(PartialCorpusWarning, match="found 2 of the 535"):
        data = fetch_emodb(home, url=archive.as_uri(), sha256=_digest(archive).upper())
    assert sorted(os.listdir(home)) == ["emodb"]  # no temporary file or folder left
    assert (home / "emodb" / "wav" / "03a01Fa.wav").is_file()
    assert (home / "emodb" / "erkennung.txt").is_file()
    expected = [str(home / "emodb" / "wav" / n) for n in ("03a01Fa.wav", "16b10Tb.wav")]
    assert data.filenames.tolist() == expected
    assert data.target.tolist() == ["happiness", "sadness"]
    assert archive.is_file()  # the source is untouched


def test_fetch_ravdess_places_actor_folders(home, tmp_path, write_tree, ravdess_names):
    names = ravdess_names(actors=(1,))
    archive = _zip(tmp_path / "speech.zip", dict.fromkeys(names), write_tree, tmp_path)
    data = _fetch_quietly(
        fetch_ravdess, home, url=archive.as_uri(), sha256=_digest(archive), harmonize="pretraining"
    )
    assert (home / "ravdess" / "Actor_01" / "03-01-01-01-01-01-01.wav").is_file()
    assert len(data.filenames) == 60 and "calm" not in data.target_names
    assert sorted(os.listdir(home)) == ["ravdess"]


def test_fetch_unwraps_a_top_folder_named_like_the_corpus(home, tmp_path, write_tree):
    members = {"CREMA-D/AudioWAV/1001_DFA_ANG_XX.wav": None, "__MACOSX/CREMA-D/._x": b"junk"}
    archive = _zip(tmp_path / "crema.zip", members, write_tree, tmp_path)
    data = _fetch_quietly(fetch_crema_d, home, url=archive.as_uri(), sha256=_digest(archive))
    assert (home / "crema_d" / "AudioWAV" / "1001_DFA_ANG_XX.wav").is_file()
    assert data.speaker.tolist() == ["1001"]
    assert sorted(os.listdir(home)) == ["crema_d"]


def test_fetch_tess_from_tar_gz(home, tmp_path, write_tree):
    names = ["TESS data/OAF_angry/OAF_back_angry.wav", "TESS data/YAF_ps/YAF_back_ps.wav"]
    src = write_tree(tmp_path / "src", names)
    archive = tmp_path / "tess.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(src / "TESS data", arcname="TESS data")
    data = _fetch_quietly(fetch_tess, home, url=archive.as_uri(), sha256=_digest(archive))
    assert data.target.tolist() == ["anger", "surprise"]
    assert (home / "tess" / "TESS data" / "YAF_ps" / "YAF_back_ps.wav").is_file()
    assert sorted(os.listdir(home)) == ["tess"]


def test_wrong_checksum_raises_and_leaves_nothing(home, tmp_path, write_tree):
    archive = _zip(tmp_path / "download.zip", {"wav/03a01Fa.wav": None}, write_tree, tmp_path)
    wrong = "0" * 64
    with pytest.raises(ChecksumError) as excinfo:
        fetch_emodb(home, url=archive.as_uri(), sha256=wrong)
    message = str(excinfo.value)
    assert f"expected {wrong}" in message and f"got {_digest(archive)}" in message
    assert os.listdir(home) == []


def test_refuses_to_download_without_a_digest(home, no_network):
    with pytest.raises(CorpusError, match=r"Refusing to download EmoDB from http://emodb.*sha256="):
        fetch_emodb(home)
    match = r"Refusing to download RAVDESS from file:///x\.zip.*sha256="
    with pytest.raises(CorpusError, match=match):
        fetch_ravdess(home, url="file:///x.zip")
    assert os.listdir(home) == []


@pytest.mark.parametrize(
    "fetcher, folder, where",
    [
        (fetch_tess, "tess", "Dataverse"),
        (fetch_savee, "savee", "registration"),
        (fetch_crema_d, "crema_d", "git lfs"),
    ],
)
def test_corpora_without_public_archive_explain_manual_download(
    home, no_network, fetcher, folder, where
):
    with pytest.raises(CorpusError) as excinfo:
        fetcher(home, sha256="a" * 64)
    message = str(excinfo.value)
    assert str(home / folder) in message and where in message and "url=" in message
    assert os.listdir(home) == []


def test_present_corpus_is_loaded_without_download(home, no_network, write_tree):
    write_tree(home / "savee", ["AudioData/DC/a01.wav"])
    url = "http://example.invalid/savee.zip"
    data = _fetch_quietly(fetch_savee, home, url=url, sha256="bad", strict=True)
    assert data.speaker.tolist() == ["DC"]


def test_present_real_emodb_is_loaded_without_download(emodb_home, no_network):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(fetch_emodb(emodb_home).filenames) == 535


def test_download_if_missing_false(home, no_network):
    with pytest.raises(CorpusError, match=r"download_if_missing=False"):
        fetch_emodb(home, download_if_missing=False)


def test_invalid_arguments_fail_before_downloading(home, no_network):
    with pytest.raises(ValueError, match=r"64 hexadecimal digits; got 'abc'"):
        fetch_emodb(home, sha256="abc")
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['harmonise'\]"):
        fetch_emodb(home, harmonise="pretraining")
    assert os.listdir(home) == []


def test_not_an_archive_is_rejected_and_cleaned_up(home, tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html>Please log in</html>")
    with pytest.raises(CorpusError, match=r"neither a zip nor a tar archive"):
        fetch_tess(home, url=page.as_uri(), sha256=_digest(page))
    assert os.listdir(home) == []


def test_archive_escaping_its_folder_is_rejected(home, tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../escaped.wav", b"RIFF")
    with pytest.raises(CorpusError, match=r"'\.\./escaped\.wav' points outside"):
        fetch_tess(home, url=archive.as_uri(), sha256=_digest(archive))
    assert os.listdir(home) == []
    assert not (tmp_path / "escaped.wav").exists()


def test_unreachable_address_leaves_nothing(home, tmp_path):
    missing = (tmp_path / "nowhere.zip").as_uri()
    with pytest.raises(OSError, match=r"Could not download TESS from file://.*nowhere\.zip"):
        fetch_tess(home, url=missing, sha256="a" * 64)
    assert os.listdir(home) == []


def test_data_home_is_created_for_a_download(tmp_path, write_tree):
    archive = _zip(tmp_path / "a.zip", {"OAF_back_angry.wav": None}, write_tree, tmp_path)
    new_home = tmp_path / "new" / "home"
    data = _fetch_quietly(fetch_tess, new_home, url=archive.as_uri(), sha256=_digest(archive))
    assert data.filenames.tolist() == [str(new_home / "tess" / "OAF_back_angry.wav")]
