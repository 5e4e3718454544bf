"""SAVEE, Surrey Audio-Visual Expressed Emotion: its description, loader and fetcher."""

import re

from ._base import _load_one, load_docstring
from ._fetch import _fetch, fetch_docstring
from ._spec import CorpusSpec

__all__ = ["SPEC", "fetch_savee", "load_savee"]


_SAVEE_SPEAKERS = {"DC": "male", "JE": "male", "JK": "male", "KL": "male"}
_SAVEE_CODES = {
    "a": "anger",
    "d": "disgust",
    "f": "fear",
    "h": "happiness",
    "n": "neutral",
    "sa": "sadness",
    "su": "surprise",
}
_SAVEE_SENTENCE = r"(?P<emotion>sa|su|[adfhn])(?P<number>\d\d)"
_SAVEE_FLAT_RE = re.compile(r"^(?P<speaker>DC|JE|JK|KL)_" + _SAVEE_SENTENCE + r"$")
_SAVEE_NESTED_RE = re.compile(r"^" + _SAVEE_SENTENCE + r"$")


def _parse_savee(path):
    match = _SAVEE_FLAT_RE.match(path.stem)
    if match is not None:
        speaker = match["speaker"]
    else:
        match = _SAVEE_NESTED_RE.match(path.stem)
        speaker = path.parent.name
        if match is None or speaker not in _SAVEE_SPEAKERS:
            return None
    number = int(match["number"])
    if not 1 <= number <= (30 if match["emotion"] == "n" else 15):
        return None
    return {"emotion": match["emotion"], "speaker": speaker, "sentence": match["number"]}


_SAVEE_DESCR = """\
Surrey Audio-Visual Expressed Emotion (SAVEE)
=============================================

Four native English male speakers (postgraduate students and researchers at
the University of Surrey) read phonetically balanced TIMIT sentences in
seven emotions.

Official distribution: 480 files; per speaker 30 neutral and 15 of each other
emotion, i.e. neutral 120 and anger, disgust, fear, happiness, sadness,
surprise 60 each.

Naming scheme: speaker ``DC``, ``JE``, ``JK`` or ``KL``; emotion code ``a``
anger, ``d`` disgust, ``f`` fear, ``h`` happiness, ``n`` neutral, ``sa``
sadness, ``su`` surprise; two-digit sentence number (01-30 for neutral, 01-15
otherwise). Two layouts are accepted: flat ``DC_a01.wav`` (as in the
``ALL/`` folder of common copies) and the original ``AudioData/DC/a01.wav``,
where the speaker is the parent folder. Extra per-item array: ``sentence``.

Expected layout: ``<data_home>/savee/ALL/DC_a01.wav`` or
``<data_home>/savee/AudioData/DC/a01.wav``.

Licence and citation: free for research after registration. Cite
S. Haq and P. J. B. Jackson, "Speaker-dependent audio-visual emotion
recognition", Proc. AVSP 2009, pp. 53-58. http://kahlan.eps.surrey.ac.uk/savee/
"""


#: What sklearn-ser knows about the corpus (see :class:`~._spec.CorpusSpec`).
SPEC = CorpusSpec(
    name="savee",
    title="SAVEE",
    folder="savee",
    layout="savee/ALL/DC_a01.wav or savee/AudioData/DC/a01.wav",
    pattern="DC_a01.wav (flat) or DC/a01.wav (speaker folder): speaker DC JE JK KL, "
    "emotion a d f h n sa su, sentence 01-30 for n and 01-15 otherwise",
    parse=_parse_savee,
    emotion_codes=_SAVEE_CODES,
    official_counts={
        "anger": 60,
        "disgust": 60,
        "fear": 60,
        "happiness": 60,
        "neutral": 120,
        "sadness": 60,
        "surprise": 60,
    },
    speakers=_SAVEE_SPEAKERS,
    extra_fields=("sentence",),
    url=None,
    manual_download="SAVEE is distributed after registration at "
    "http://kahlan.eps.surrey.ac.uk/savee/ . Put its AudioData/ folder (or the "
    "flat DC_a01.wav files) inside the savee/ folder.",
    descr=_SAVEE_DESCR,
)


def load_savee(data_home=None, *, harmonize=None, strict=False):
    return _load_one(SPEC, data_home, harmonize=harmonize, strict=strict)


load_savee.__doc__ = load_docstring(SPEC, """\
Load the audio of Surrey Audio-Visual Expressed Emotion (SAVEE).

    Reads ``<data_home>/savee/`` recursively, in either the flat layout
    ``ALL/DC_a01.wav`` or the original ``AudioData/DC/a01.wav`` (``.wav`` and
    ``.flac`` in any case). SAVEE is distributed after registration, so
    :func:`fetch_savee` downloads only from a ``url=`` you give it.

    Parameters
    ----------
$DATA_HOME
    harmonize : None, str or dict, default=None
        ``None`` keeps the canonical labels; ``"pretraining"`` applies
        ``HARMONIZATIONS["pretraining"]`` from :mod:`sklearn_ser._labels`
        (no change for SAVEE); a dict maps canonical labels to new labels,
        ``None`` dropping those items and labels missing from the dict kept
        unchanged.
    strict : bool, default=False
        If True, an audio file whose name does not follow the naming scheme,
        or whose header cannot be read, raises
        :class:`~sklearn_ser.exceptions.CorpusError` naming it; if False such
        files are skipped with one warning. Non-audio files (``Info.txt``,
        video, hidden files) are ignored.

$RETURNS
        target : ndarray of str
            Emotion: anger, disgust, fear, happiness, neutral, sadness,
            surprise.
$TARGET_NAMES
        speaker : ndarray of str
            ``"DC"``, ``"JE"``, ``"JK"`` or ``"KL"``.
        gender : ndarray of str
            ``"male"``.
        corpus : ndarray of str
            ``"savee"``.
        sentence : ndarray of str
            Two-digit sentence number within the emotion.
        sample_rate : int or ndarray of int
            Sample rate from the file headers; an array per file if they
            differ.
$DESCR_RAISES

    Warns
    -----
    PartialCorpusWarning
        When fewer files per emotion are found than the official 480 (per
        speaker 30 neutral and 15 of each other emotion).
    UserWarning
        When more files are found, for example the same utterance in both
        layouts, or files are skipped.

    See Also
    --------
    fetch_savee : Explains how to get SAVEE; downloads from a given ``url=``.
$LOAD_CORPUS

    Notes
    -----
    Emotion codes: ``a`` anger, ``d`` disgust, ``f`` fear, ``h`` happiness,
    ``n`` neutral, ``sa`` sadness, ``su`` surprise; sentence numbers 01-30
    for neutral and 01-15 otherwise. In the original layout the speaker is
    the name of the folder holding the file. Cite Haq & Jackson, AVSP 2009.

    Examples
    --------
    >>> from sklearn_ser.datasets import load_savee
    >>> savee = load_savee()  # doctest: +SKIP
    >>> len(savee.filenames), sorted(set(savee.speaker))  # doctest: +SKIP
    (480, ['DC', 'JE', 'JK', 'KL'])
    """)


def fetch_savee(data_home=None, *, download_if_missing=True, url=None, sha256=None,
                **load_kwargs):
    return _fetch(SPEC, data_home, download_if_missing, url, sha256, load_kwargs)


fetch_savee.__doc__ = fetch_docstring(
    SPEC,
    summary='Load SAVEE; download it only from an archive address you give.',
    description=(
        'SAVEE is distributed after registration at '
        'http://kahlan.eps.surrey.ac.uk/savee/, so without ``url=`` a missing corpus '
        'raises an error that explains where to get it and where to put it '
        '(``<data_home>/savee/AudioData/DC/a01.wav`` or '
        '``<data_home>/savee/ALL/DC_a01.wav``).'
    ),
    url=(
        'Address of an archive (zip or tar; ``file://`` works too) holding the SAVEE '
        'audio in either layout.'
    ),
    official_archive=False,
    examples="""\
    >>> from sklearn_ser.datasets import fetch_savee
    >>> savee = fetch_savee(url="file:///archives/AudioData.zip",
    ...                     sha256="<digest you trust>")  # doctest: +SKIP
""",
)
