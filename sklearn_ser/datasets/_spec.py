"""Declarative descriptions of the emotional-speech corpora sklearn-ser knows.

Each corpus is one :class:`CorpusSpec`: where its folder lives under the data
home, how its file names encode speaker and emotion, how its emotion codes map
to :data:`sklearn_ser._labels.CANONICAL_EMOTIONS`, its official totals, its
speakers and their gender, where it can be downloaded and the text of its
``DESCR``. The generic machinery in :mod:`sklearn_ser.datasets._base` reads
only these descriptions. Each corpus has its own module (``_emodb.py``...)
holding its spec, description, ``load_*`` and ``fetch_*``; adding a corpus
means adding such a module and listing it in :mod:`._corpora`.

A spec's ``parse`` function receives the path of an audio file relative to the
corpus folder and returns one of

* a ``dict`` with the keys ``"emotion"`` (the corpus's own emotion code, a key
  of ``emotion_codes``), ``"speaker"`` (a key of ``speakers``) and one key per
  name in ``extra_fields``;
* ``None`` when the file name does not follow the corpus's naming scheme;
* :data:`SKIP` when the name follows the scheme but the file is deliberately
  not part of the loaded set (RAVDESS song and audio-visual files).
"""

from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional

__all__ = ["SKIP", "CorpusSpec"]

#: Returned by a parser for a file that follows the scheme but is left out on
#: purpose (for example a RAVDESS song file).
SKIP = object()


@dataclass(frozen=True)
class CorpusSpec:
    """Everything sklearn-ser needs to know about one corpus.

    Parameters
    ----------
    name : str
        Registry key, also the value of the ``corpus`` array (``"crema_d"``).
    title : str
        Human-readable name used in messages (``"CREMA-D"``).
    folder : str
        Folder under the data home that holds the corpus.
    layout : str
        The expected layout below ``folder``, for error messages.
    pattern : str
        The file-naming scheme in words, for warnings and errors.
    parse : callable
        ``parse(relative_path) -> dict | None | SKIP``; see the module
        docstring.
    emotion_codes : mapping of str to str
        The corpus's emotion code -> canonical emotion label.
    official_counts : mapping of str to int
        Number of files per canonical emotion in the official distribution.
    speakers : mapping of str to str
        Every speaker id of the corpus -> ``"male"``, ``"female"`` or
        ``"unknown"`` (when the file name does not tell).
    extra_fields : tuple of str
        Names of the corpus-specific per-item arrays returned by the loader.
    url : str or None
        Official download address of one archive holding the corpus, or
        ``None`` when there is no single public archive.
    sha256 : str or None
        Trusted SHA-256 digest of the archive at ``url``, or ``None`` when
        unknown (the fetcher then insists on ``sha256=`` from the caller).
    manual_download : str
        How to obtain the corpus by hand, for error messages.
    descr : str
        Provenance, licence, citation, naming scheme and label mapping; the
        loader appends the counts found.
    """

    name: str
    title: str
    folder: str
    layout: str
    pattern: str
    parse: Callable
    emotion_codes: Mapping[str, str]
    official_counts: Mapping[str, int]
    speakers: Mapping[str, str]
    extra_fields: tuple = ()
    url: Optional[str] = None
    sha256: Optional[str] = None
    manual_download: str = ""
    descr: str = field(default="", repr=False)

    @property
    def n_official(self):
        """Total number of files in the official distribution."""
        return sum(self.official_counts.values())
