"""TESS, the Toronto Emotional Speech Set: its description, loader and fetcher."""

import re

from ._base import _load_one, load_docstring
from ._fetch import _fetch, fetch_docstring
from ._spec import CorpusSpec

__all__ = ["SPEC", "fetch_tess", "load_tess"]


_TESS_SPEAKERS = {"OAF": "female", "YAF": "female"}
_TESS_CODES = {
    "angry": "anger",
    "disgust": "disgust",
    "fear": "fear",
    "happy": "happiness",
    "neutral": "neutral",
    "ps": "surprise",  # pleasant surprise
    "sad": "sadness",
}
# The release itself names OAF's neutral "bite" ``OA_bite_neutral``: ``OA`` is read as ``OAF``.
_TESS_RE = re.compile(
    r"^(?P<speaker>OAF|OA|YAF)_(?P<word>[a-z]+)_(?P<emotion>angry|disgust|fear|happy|neutral|ps|sad)$",
    re.IGNORECASE,
)


def _parse_tess(path):
    match = _TESS_RE.match(path.stem)
    if match is None:
        return None
    speaker = match["speaker"].upper()
    return {
        "emotion": match["emotion"].lower(),
        "speaker": "OAF" if speaker == "OA" else speaker,
        "word": match["word"].lower(),
    }


_TESS_DESCR = """\
Toronto Emotional Speech Set (TESS)
===================================

Two actresses (aged 26 and 64) speak 200 target words in the carrier phrase
"Say the word ..." in seven emotions.

Official distribution: 2800 files = 2 speakers x 7 emotions x 200 words;
400 per emotion.

Naming scheme ``SPK_word_emotion.wav``: speaker ``OAF`` (older adult female)
or ``YAF`` (younger adult female), the target word, emotion ``angry``,
``disgust``, ``fear``, ``happy``, ``neutral``, ``ps`` (pleasant surprise) or
``sad``; matched case-insensitively. The folders holding the files (for
example ``OAF_angry/`` or ``YAF_pleasant_surprised/``) are not used. Extra
per-item array: ``word``.

Label mapping: ``ps`` (pleasant surprise) -> ``"surprise"``, because the
canonical label set has no separate pleasant surprise; angry -> anger,
happy -> happiness, sad -> sadness.

Expected layout: ``<data_home>/tess/<any folders>/OAF_back_angry.wav``.

Licence and citation: CC BY-NC-ND 4.0. Cite K. Dupuis and M. K.
Pichora-Fuller, "Toronto emotional speech set (TESS)", University of Toronto,
Psychology Department, 2010. https://doi.org/10.5683/SP2/E8H2MF
"""


#: What sklearn-ser knows about the corpus (see :class:`~._spec.CorpusSpec`).
SPEC = CorpusSpec(
    name="tess",
    title="TESS",
    folder="tess",
    layout="tess/OAF_angry/OAF_back_angry.wav",
    pattern="SPK_word_emotion.wav, e.g. OAF_back_angry.wav (speaker OAF or YAF, "
    "emotion angry disgust fear happy neutral ps sad)",
    parse=_parse_tess,
    emotion_codes=_TESS_CODES,
    official_counts={label: 400 for label in _TESS_CODES.values()},
    speakers=_TESS_SPEAKERS,
    extra_fields=("word",),
    url=None,
    manual_download="TESS has no single official archive. Download the files from the "
    "University of Toronto Dataverse (https://doi.org/10.5683/SP2/E8H2MF) and put "
    "them, in any sub-folders, inside the tess/ folder.",
    descr=_TESS_DESCR,
)


def load_tess(data_home=None, *, harmonize=None, strict=False):
    return _load_one(SPEC, data_home, harmonize=harmonize, strict=strict)


load_tess.__doc__ = load_docstring(SPEC, """\
Load the Toronto Emotional Speech Set (TESS).

    Reads ``<data_home>/tess/<any folders>/OAF_back_angry.wav`` (searched
    recursively; ``.wav`` and ``.flac`` in any case). TESS has no single
    official archive, so :func:`fetch_tess` downloads only from a ``url=``
    you give it.

    Parameters
    ----------
$DATA_HOME
    harmonize : None, str or dict, default=None
        ``None`` keeps the canonical labels; ``"pretraining"`` applies
        ``HARMONIZATIONS["pretraining"]`` from :mod:`sklearn_ser._labels`
        (no change for TESS); a dict maps canonical labels to new labels,
        ``None`` dropping those items and labels missing from the dict kept
        unchanged.
    strict : bool, default=False
        If True, an audio file whose name does not follow the naming scheme,
        or whose header cannot be read, raises
        :class:`~sklearn_ser.exceptions.CorpusError` naming it; if False such
        files are skipped with one warning. Non-audio files are ignored.

$RETURNS
        target : ndarray of str
            Emotion: anger, disgust, fear, happiness, neutral, sadness,
            surprise.
$TARGET_NAMES
        speaker : ndarray of str
            ``"OAF"`` (older adult female) or ``"YAF"`` (younger adult
            female).
        gender : ndarray of str
            ``"female"``.
        corpus : ndarray of str
            ``"tess"``.
        word : ndarray of str
            The target word spoken in the carrier phrase.
        sample_rate : int or ndarray of int
            Sample rate from the file headers; an array per file if they
            differ.
$DESCR_RAISES

    Warns
    -----
    PartialCorpusWarning
        When fewer files per emotion are found than the official 2800
        (2 speakers x 7 emotions x 200 words; 400 per emotion).
    UserWarning
        When more files (or duplicates) are found, or files are skipped.

    See Also
    --------
    fetch_tess : Explains how to get TESS; downloads from a given ``url=``.
$LOAD_CORPUS

    Notes
    -----
    File names ``SPK_word_emotion.wav``, matched case-insensitively, with
    emotion ``angry``, ``disgust``, ``fear``, ``happy``, ``neutral``,
    ``ps`` or ``sad``. The pleasant surprise code ``ps`` becomes
    ``"surprise"``, since the canonical label set has no separate pleasant
    surprise. The folder names (``OAF_angry/``, ``YAF_pleasant_surprised/``)
    are not used. Licence CC BY-NC-ND 4.0; cite Dupuis & Pichora-Fuller 2010.

    Examples
    --------
    >>> from sklearn_ser.datasets import load_tess
    >>> tess = load_tess()  # doctest: +SKIP
    >>> len(tess.filenames), sorted(set(tess.speaker))  # doctest: +SKIP
    (2800, ['OAF', 'YAF'])
    """)


def fetch_tess(data_home=None, *, download_if_missing=True, url=None, sha256=None,
               **load_kwargs):
    return _fetch(SPEC, data_home, download_if_missing, url, sha256, load_kwargs)


fetch_tess.__doc__ = fetch_docstring(
    SPEC,
    summary='Load TESS; download it only from an archive address you give.',
    description=(
        'TESS has no single official archive (the University of Toronto Dataverse, '
        'https://doi.org/10.5683/SP2/E8H2MF, serves its files one folder at a time), so '
        'without ``url=`` a missing corpus raises an error that explains where to get it '
        'and where to put it: any sub-folders of ``<data_home>/tess/`` will do.'
    ),
    url=(
        'Address of an archive (zip or tar; ``file://`` works too) holding the TESS wav '
        'files in any folders.'
    ),
    official_archive=False,
    examples="""\
    >>> from sklearn_ser.datasets import fetch_tess
    >>> tess = fetch_tess(url="file:///archives/tess.zip",
    ...                   sha256="<digest you trust>")  # doctest: +SKIP
""",
)
