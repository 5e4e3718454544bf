"""RAVDESS, speech part (audio-only files): its description, loader and fetcher."""

import re

from ._base import _load_one, load_docstring
from ._fetch import _fetch, fetch_docstring
from ._spec import SKIP, CorpusSpec

__all__ = ["SPEC", "fetch_ravdess", "load_ravdess"]


_RAVDESS_SPEAKERS = {f"{i:02d}": ("male" if i % 2 else "female") for i in range(1, 25)}
_RAVDESS_CODES = {
    "01": "neutral",
    "02": "calm",
    "03": "happiness",
    "04": "sadness",
    "05": "anger",
    "06": "fear",
    "07": "disgust",
    "08": "surprise",
}
_RAVDESS_RE = re.compile(
    r"^(?P<modality>0[123])-(?P<channel>0[12])-(?P<emotion>0[1-8])-(?P<intensity>0[12])"
    r"-(?P<statement>0[12])-(?P<repetition>0[12])-(?P<speaker>\d\d)$"
)


def _parse_ravdess(path):
    match = _RAVDESS_RE.match(path.stem)
    if match is None or match["speaker"] not in _RAVDESS_SPEAKERS:
        return None
    if match["modality"] != "03" or match["channel"] != "01":
        return SKIP  # song, or audio taken from the audio-visual files
    return {
        "emotion": match["emotion"],
        "speaker": match["speaker"],
        "intensity": "normal" if match["intensity"] == "01" else "strong",
        "statement": match["statement"],
        "repetition": match["repetition"],
    }


_RAVDESS_DESCR = """\
Ryerson Audio-Visual Database of Emotional Speech and Song (RAVDESS), speech
===========================================================================

24 professional actors (12 female, 12 male) speak two lexically matched
English statements in neutral, calm, happy, sad, angry, fearful, disgust and
surprised expressions, each at normal and strong intensity (neutral: normal
only), two repetitions each. Only the audio-only speech files are loaded.

Official distribution (speech, audio-only): 1440 files = 24 actors x 60;
neutral 96, every other emotion 192.

Naming scheme ``MM-VV-EE-II-SS-RR-AA.wav``: modality ``MM`` (01 audio-video,
02 video-only, 03 audio-only), vocal channel ``VV`` (01 speech, 02 song),
emotion ``EE`` (01 neutral, 02 calm, 03 happy, 04 sad, 05 angry, 06 fearful,
07 disgust, 08 surprised), intensity ``II`` (01 normal, 02 strong), statement
``SS`` (01 "Kids are talking by the door", 02 "Dogs are sitting by the
door"), repetition ``RR`` (01/02), actor ``AA`` (01-24; odd male, even
female). Files whose modality is not 03 or whose vocal channel is 02 (song)
are skipped silently, so the song archive may sit in the same folder.
Extra per-item arrays: ``intensity`` ("normal"/"strong"), ``statement``,
``repetition``.

Label mapping: calm stays ``"calm"`` (harmonize="pretraining" maps it to
neutral); happy -> happiness, sad -> sadness, angry -> anger, fearful -> fear,
surprised -> surprise.

Expected layout: ``<data_home>/ravdess/Actor_XX/*.wav`` (or ``.flac``).

Licence and citation: CC BY-NC-SA 4.0. Cite S. R. Livingstone and F. A. Russo,
"The Ryerson Audio-Visual Database of Emotional Speech and Song (RAVDESS)",
PLoS ONE 13(5): e0196391, 2018. https://doi.org/10.5281/zenodo.1188976
"""


#: What sklearn-ser knows about the corpus (see :class:`~._spec.CorpusSpec`).
SPEC = CorpusSpec(
    name="ravdess",
    title="RAVDESS",
    folder="ravdess",
    layout="ravdess/Actor_01/03-01-05-01-01-01-01.wav",
    pattern="MM-VV-EE-II-SS-RR-AA.wav, e.g. 03-01-05-01-01-01-01.wav (modality 01-03, "
    "vocal channel 01-02, emotion 01-08, intensity 01-02, statement 01-02, "
    "repetition 01-02, actor 01-24)",
    parse=_parse_ravdess,
    emotion_codes=_RAVDESS_CODES,
    official_counts={
        "neutral": 96,
        "calm": 192,
        "happiness": 192,
        "sadness": 192,
        "anger": 192,
        "fear": 192,
        "disgust": 192,
        "surprise": 192,
    },
    speakers=_RAVDESS_SPEAKERS,
    extra_fields=("intensity", "statement", "repetition"),
    url="https://zenodo.org/record/1188976/files/Audio_Speech_Actors_01-24.zip",
    manual_download="Download Audio_Speech_Actors_01-24.zip from "
    "https://zenodo.org/record/1188976 and unzip it so that the Actor_01 ... "
    "Actor_24 folders sit inside the ravdess/ folder.",
    descr=_RAVDESS_DESCR,
)


def load_ravdess(data_home=None, *, harmonize=None, strict=False):
    return _load_one(SPEC, data_home, harmonize=harmonize, strict=strict)


load_ravdess.__doc__ = load_docstring(SPEC, """\
Load the speech part of RAVDESS (audio-only files).

    Reads ``<data_home>/ravdess/Actor_XX/*.wav`` (the corpus folder is
    searched recursively; ``.wav`` and ``.flac`` in any case). Nothing is
    downloaded: :func:`fetch_ravdess` does that.

    Parameters
    ----------
$DATA_HOME
    harmonize : None, str or dict, default=None
        ``None`` keeps the canonical labels (``"calm"`` included);
        ``"pretraining"`` applies ``HARMONIZATIONS["pretraining"]`` from
        :mod:`sklearn_ser._labels` (calm -> neutral, giving 288 neutral); a
        dict maps canonical labels to new labels, ``None`` dropping those
        items and labels missing from the dict kept unchanged.
    strict : bool, default=False
        If True, an audio file whose name does not follow the naming scheme,
        or whose header cannot be read, raises
        :class:`~sklearn_ser.exceptions.CorpusError` naming it; if False such
        files are skipped with one warning. Non-audio files are ignored.

$RETURNS
        target : ndarray of str
            Emotion: neutral, calm, happiness, sadness, anger, fear,
            disgust, surprise.
$TARGET_NAMES
        speaker : ndarray of str
            Actor id ``"01"`` .. ``"24"``.
        gender : ndarray of str
            ``"male"`` for odd actors, ``"female"`` for even ones.
        corpus : ndarray of str
            ``"ravdess"``.
        intensity : ndarray of str
            ``"normal"`` or ``"strong"``.
        statement : ndarray of str
            ``"01"`` (Kids are talking by the door) or ``"02"`` (Dogs are
            sitting by the door).
        repetition : ndarray of str
            ``"01"`` or ``"02"``.
        sample_rate : int or ndarray of int
            Sample rate from the file headers (48000 in the original
            release); an array per file if they differ.
$DESCR_RAISES

    Warns
    -----
    PartialCorpusWarning
        When fewer files per emotion are found than the official 1440
        (neutral 96, every other emotion 192).
    UserWarning
        When more files (or duplicates) are found, or files are skipped.

    See Also
    --------
    fetch_ravdess : Download RAVDESS speech when it is missing, then load it.
$LOAD_CORPUS

    Notes
    -----
    File names ``MM-VV-EE-II-SS-RR-AA``. Only modality 03 (audio-only) and
    vocal channel 01 (speech) are loaded; song files (vocal channel 02) and
    audio-visual or video-only names are skipped silently, so the song
    archive may be unpacked into the same folder. Licence CC BY-NC-SA 4.0;
    cite Livingstone & Russo, PLoS ONE 2018.

    Examples
    --------
    >>> from sklearn_ser.datasets import load_ravdess
    >>> ravdess = load_ravdess(harmonize="pretraining")  # doctest: +SKIP
    >>> len(ravdess.filenames), int((ravdess.target == "neutral").sum())  # doctest: +SKIP
    (1440, 288)
    """)


def fetch_ravdess(data_home=None, *, download_if_missing=True, url=None, sha256=None,
                  **load_kwargs):
    return _fetch(SPEC, data_home, download_if_missing, url, sha256, load_kwargs)


fetch_ravdess.__doc__ = fetch_docstring(
    SPEC,
    summary='Load RAVDESS speech, downloading its archive first when it is missing.',
    description=(
        'Otherwise it downloads the official speech archive '
        '(``https://zenodo.org/record/1188976/files/Audio_Speech_Actors_01-24.zip``, '
        'about 200 MB holding ``Actor_01/`` .. ``Actor_24/`` at its top), verifies its '
        'SHA-256 digest, unpacks it into ``<data_home>/ravdess`` and loads it.'
    ),
    url=(
        'Address of the archive (zip or tar; ``file://`` works too). Defaults to the '
        'official address above.'
    ),
    official_archive=True,
    examples="""\
    >>> from sklearn_ser.datasets import fetch_ravdess
    >>> ravdess = fetch_ravdess(sha256="<digest you trust>")  # doctest: +SKIP
    >>> len(ravdess.filenames)  # doctest: +SKIP
    1440
""",
)
