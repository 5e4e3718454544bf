"""Reference digests of the original corpus releases, shipped as package data.

Each ``manifests/<corpus>.sha256`` lists one file of the public release per
line: ``<sha256>  <size>  <path>``. Folder spellings differ between
distributions (``OAF_Fear/`` or ``OAF_fear/``) and converted copies change the
extension (``.wav`` -> ``.flac``), so files are matched on their stem.
"""

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import PurePosixPath

__all__ = ["ReleaseFile", "release_manifest", "missing_release_files"]

# The releases also hold text files (EmoDB's perception tables): only audio can be missing.
_AUDIO_SUFFIXES = {".wav", ".flac"}


@dataclass(frozen=True)
class ReleaseFile:
    """One file of an original corpus release."""

    sha256: str
    size: int
    path: str

    @property
    def stem(self):
        """The file name without folder or extension (``"OAF_back_angry"``)."""
        return PurePosixPath(self.path).stem


@lru_cache(maxsize=None)
def release_manifest(name):
    """The files of corpus ``name``'s original release, or ``()`` when none is shipped.

    Parameters
    ----------
    name : str
        Registry name of the corpus (``"tess"``).

    Returns
    -------
    files : tuple of ReleaseFile

    Examples
    --------
    >>> from sklearn_ser.datasets._manifests import release_manifest
    >>> files = release_manifest("tess")
    >>> len(files), files[0].stem
    (2800, 'OAF_back_fear')
    """
    resource = resources.files(__package__) / "manifests" / f"{name}.sha256"
    if not resource.is_file():
        return ()
    files = []
    for line in resource.read_text(encoding="utf-8").splitlines():
        if line.strip():
            sha256, size, path = line.split(maxsplit=2)
            files.append(ReleaseFile(sha256, int(size), path))
    return tuple(files)


def missing_release_files(name, found_stems):
    """Stems of the release's files whose stem is not among ``found_stems``.

    Returns ``None`` when no manifest is shipped for ``name`` or when stems do
    not identify files in it (SAVEE repeats ``a01`` for every speaker), so a
    caller can fall back on counts alone.
    """
    files = [f for f in release_manifest(name)
             if PurePosixPath(f.path).suffix.lower() in _AUDIO_SUFFIXES]
    stems = [f.stem.lower() for f in files]
    if not files or len(set(stems)) != len(stems):
        return None
    found = {stem.lower() for stem in found_stems}
    return sorted(f.stem for f in files if f.stem.lower() not in found)
