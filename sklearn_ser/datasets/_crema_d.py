"""CREMA-D (Crowd-sourced Emotional Multimodal Actors Dataset): description, loader, fetcher."""

import re

from ._base import _load_one, load_docstring
from ._fetch import _fetch, fetch_docstring
from ._spec import CorpusSpec

__all__ = ["SPEC", "fetch_crema_d", "load_crema_d"]


_CREMA_D_SPEAKERS = {str(i): "unknown" for i in range(1001, 1092)}
_CREMA_D_CODES = {
    "ANG": "anger",
    "DIS": "disgust",
    "FEA": "fear",
    "HAP": "happiness",
    "NEU": "neutral",
    "SAD": "sadness",
}
_CREMA_D_SENTENCES = (
    "IEO", "TIE", "IOM", "IWW", "TAI", "MTI", "IWL", "ITH", "DFA", "ITS", "TSI", "WSI"
)  # fmt: skip
_CREMA_D_RE = re.compile(
    r"^(?P<speaker>1\d{3})_(?P<sentence>[A-Z]{3})_(?P<emotion>ANG|DIS|FEA|HAP|NEU|SAD)"
    r"_(?P<level>LO|MD|HI|XX)$"
)


def _parse_crema_d(path):
    match = _CREMA_D_RE.match(path.stem)
    if match is None or match["speaker"] not in _CREMA_D_SPEAKERS:
        return None
    if match["sentence"] not in _CREMA_D_SENTENCES:
        return None
    return {
        "emotion": match["emotion"],
        "speaker": match["speaker"],
        "sentence": match["sentence"],
        "level": match["level"],
    }


_CREMA_D_DESCR = """\
Crowd-sourced Emotional Multimodal Actors Dataset (CREMA-D)
===========================================================

91 actors (48 male, 43 female, aged 20-74, of diverse ethnic backgrounds)
speak 12 sentences in six emotions, at up to four intensity levels.

Official distribution: 7442 files = anger, disgust, fear, happiness and
sadness 1271 each, neutral 1087; speakers 1001-1091.

Naming scheme ``AAAA_SSS_EEE_LL.wav``: actor ``AAAA`` (1001-1091), sentence
code ``SSS`` (IEO TIE IOM IWW TAI MTI IWL ITH DFA ITS TSI WSI), emotion
``EEE`` (ANG anger, DIS disgust, FEA fear, HAP happiness, NEU neutral,
SAD sadness), level ``LL`` (LO low, MD medium, HI high, XX unspecified).
The file name does not give the actor's sex, so ``gender`` is ``"unknown"``
(it is listed in ``VideoDemographics.csv`` of the distribution). Extra
per-item arrays: ``sentence``, ``level``.

Expected layout: ``<data_home>/crema_d/AudioWAV/1001_DFA_ANG_XX.wav``.

Licence and citation: Open Database License (ODbL 1.0) for the database,
Database Contents License for its contents. Cite H. Cao, D. G. Cooper,
M. K. Keutmann, R. C. Gur, A. Nenkova and R. Verma, "CREMA-D: Crowd-sourced
Emotional Multimodal Actors Dataset", IEEE Trans. Affective Computing 5(4),
pp. 377-390, 2014. https://github.com/CheyneyComputerScience/CREMA-D
"""


#: What sklearn-ser knows about the corpus (see :class:`~._spec.CorpusSpec`).
SPEC = CorpusSpec(
    name="crema_d",
    title="CREMA-D",
    folder="crema_d",
    layout="crema_d/AudioWAV/1001_DFA_ANG_XX.wav",
    pattern="AAAA_SSS_EEE_LL.wav, e.g. 1001_DFA_ANG_XX.wav (actor 1001-1091, one of "
    f"the sentence codes {' '.join(_CREMA_D_SENTENCES)}, emotion ANG DIS FEA HAP NEU "
    "SAD, level LO MD HI XX)",
    parse=_parse_crema_d,
    emotion_codes=_CREMA_D_CODES,
    official_counts={
        "anger": 1271,
        "disgust": 1271,
        "fear": 1271,
        "happiness": 1271,
        "neutral": 1087,
        "sadness": 1271,
    },
    speakers=_CREMA_D_SPEAKERS,
    extra_fields=("sentence", "level"),
    url=None,
    manual_download="CREMA-D's audio is stored with Git LFS. Run "
    "`git lfs install && git clone https://github.com/CheyneyComputerScience/CREMA-D` "
    "(or download AudioWAV/ from that repository's LFS storage) and put the "
    "AudioWAV/ folder inside the crema_d/ folder.",
    descr=_CREMA_D_DESCR,
)


def load_crema_d(data_home=None, *, harmonize=None, strict=False):
    return _load_one(SPEC, data_home, harmonize=harmonize, strict=strict)


load_crema_d.__doc__ = load_docstring(SPEC, """\
Load the Crowd-sourced Emotional Multimodal Actors Dataset (CREMA-D).

    Reads ``<data_home>/crema_d/AudioWAV/1001_DFA_ANG_XX.wav`` (the corpus
    folder is searched recursively; ``.wav`` and ``.flac`` in any case).
    CREMA-D's audio is stored with Git LFS, so :func:`fetch_crema_d`
    downloads only from a ``url=`` you give it.

    Parameters
    ----------
$DATA_HOME
    harmonize : None, str or dict, default=None
        ``None`` keeps the canonical labels; ``"pretraining"`` applies
        ``HARMONIZATIONS["pretraining"]`` from :mod:`sklearn_ser._labels`
        (no change for CREMA-D); a dict maps canonical labels to new labels,
        ``None`` dropping those items and labels missing from the dict kept
        unchanged.
    strict : bool, default=False
        If True, an audio file whose name does not follow the naming scheme,
        or whose header cannot be read (for example a Git LFS pointer),
        raises :class:`~sklearn_ser.exceptions.CorpusError` naming it; if
        False such files are skipped with one warning. Non-audio files
        (``VideoDemographics.csv``, hidden files) are ignored.

$RETURNS
        target : ndarray of str
            Emotion: anger, disgust, fear, happiness, neutral, sadness.
$TARGET_NAMES
        speaker : ndarray of str
            Actor id ``"1001"`` .. ``"1091"``.
        gender : ndarray of str
            ``"unknown"``: the file name does not give the actor's sex
            (``VideoDemographics.csv`` of the distribution does).
        corpus : ndarray of str
            ``"crema_d"``.
        sentence : ndarray of str
            Three-letter sentence code (``"DFA"``, ``"IEO"``, ...).
        level : ndarray of str
            Emotion level ``"LO"``, ``"MD"``, ``"HI"`` or ``"XX"``
            (unspecified).
        sample_rate : int or ndarray of int
            Sample rate from the file headers; an array per file if they
            differ.
        DESCR : str
            Provenance, licence, citation, naming scheme and the counts
            found against the official ones.

    Raises
    ------
    CorpusError
        When ``<data_home>/crema_d`` does not exist (the message names the
        path), or with ``strict=True`` when a file is misnamed or unreadable.

    Warns
    -----
    PartialCorpusWarning
        When fewer files per emotion are found than the official 7442
        (1271 each of anger, disgust, fear, happiness and sadness;
        1087 neutral).
    UserWarning
        When more files (or duplicates) are found, or files are skipped.

    See Also
    --------
    fetch_crema_d : Explains how to get CREMA-D; downloads from a given
        ``url=``.
$LOAD_CORPUS

    Notes
    -----
    File names ``AAAA_SSS_EEE_LL.wav``: actor, sentence code, emotion (ANG
    DIS FEA HAP NEU SAD) and level. Licence ODbL 1.0; cite Cao et al., IEEE
    Trans. Affective Computing 2014.

    Examples
    --------
    >>> from sklearn_ser.datasets import load_crema_d
    >>> crema = load_crema_d()  # doctest: +SKIP
    >>> len(crema.filenames), len(set(crema.speaker))  # doctest: +SKIP
    (7442, 91)
    """)


def fetch_crema_d(data_home=None, *, download_if_missing=True, url=None, sha256=None,
                  **load_kwargs):
    return _fetch(SPEC, data_home, download_if_missing, url, sha256, load_kwargs)


fetch_crema_d.__doc__ = fetch_docstring(
    SPEC,
    summary='Load CREMA-D; download it only from an archive address you give.',
    description=(
        "CREMA-D's audio lives in Git LFS storage of "
        'https://github.com/CheyneyComputerScience/CREMA-D rather than in one archive, so '
        'without ``url=`` a missing corpus raises an error that explains how to get it '
        '(``git lfs`` clone) and where to put it (``<data_home>/crema_d/AudioWAV/``). '
    ),
    url=(
        'Address of an archive (zip or tar; ``file://`` works too) holding ``AudioWAV/`` '
        'or the wav files in any folders.'
    ),
    official_archive=False,
    examples="""\
    >>> from sklearn_ser.datasets import fetch_crema_d
    >>> crema = fetch_crema_d(url="file:///archives/crema_d.tar.gz",
    ...                       sha256="<digest you trust>")  # doctest: +SKIP
""",
)
