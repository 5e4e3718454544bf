"""EmoDB, the Berlin Database of Emotional Speech: its description, loader and fetcher."""

import re

from ._base import _load_one, load_docstring
from ._fetch import _fetch, fetch_docstring
from ._spec import CorpusSpec

__all__ = ["SPEC", "fetch_emodb", "load_emodb"]


_EMODB_SPEAKERS = {
    "03": "male",
    "08": "female",
    "09": "female",
    "10": "male",
    "11": "male",
    "12": "male",
    "13": "female",
    "14": "female",
    "15": "male",
    "16": "female",
}
_EMODB_CODES = {
    "W": "anger",  # Wut
    "L": "boredom",  # Langeweile
    "E": "disgust",  # Ekel
    "A": "fear",  # Angst
    "F": "happiness",  # Freude
    "T": "sadness",  # Trauer
    "N": "neutral",
}
_EMODB_RE = re.compile(
    r"^(?P<speaker>\d\d)(?P<text>[ab]\d\d)(?P<emotion>[WLEAFTN])(?P<version>[a-z])$"
)


def _parse_emodb(path):
    match = _EMODB_RE.match(path.stem)
    if match is None or match["speaker"] not in _EMODB_SPEAKERS:
        return None
    return {
        "emotion": match["emotion"],
        "speaker": match["speaker"],
        "text": match["text"],
        "version": match["version"],
    }


_EMODB_DESCR = """\
Berlin Database of Emotional Speech (EmoDB)
===========================================

Ten professional actors (5 female, 5 male) speak ten everyday German sentences
in seven emotions; recordings in an anechoic chamber, mono, 16 kHz, 16-bit.

Official distribution: 535 files = anger (W) 127, boredom (L) 81, disgust (E)
46, fear (A) 69, happiness (F) 71, sadness (T) 62, neutral (N) 79.

Naming scheme ``SSTTTEV.wav``: speaker ``SS`` (03 08 09 10 11 12 13 14 15 16;
male 03 10 11 12 15, female 08 09 13 14 16), text code ``TTT`` (a01..b10),
emotion letter ``E`` (German initial: W Wut=anger, L Langeweile=boredom,
E Ekel=disgust, A Angst=fear, F Freude=happiness, T Trauer=sadness,
N neutral), version ``V``. Extra per-item arrays: ``text``, ``version``.

Expected layout: ``<data_home>/emodb/wav/*.wav``.

Licence and citation: distributed freely by its authors for research. Cite
F. Burkhardt, A. Paeschke, M. Rolfes, W. Sendlmeier and B. Weiss, "A database
of German emotional speech", Proc. Interspeech 2005, pp. 1517-1520.
Source: http://emodb.bilderbar.info/
"""


#: What sklearn-ser knows about the corpus (see :class:`~._spec.CorpusSpec`).
SPEC = CorpusSpec(
    name="emodb",
    title="EmoDB",
    folder="emodb",
    layout="emodb/wav/03a01Fa.wav",
    pattern="SSTTTEV.wav, e.g. 03a01Fa.wav (speaker 03 08 09 10 11 12 13 14 15 16, "
    "text a01-b10, emotion letter W L E A F T N, version letter)",
    parse=_parse_emodb,
    emotion_codes=_EMODB_CODES,
    official_counts={
        "anger": 127,
        "boredom": 81,
        "disgust": 46,
        "fear": 69,
        "happiness": 71,
        "sadness": 62,
        "neutral": 79,
    },
    speakers=_EMODB_SPEAKERS,
    extra_fields=("text", "version"),
    url="http://emodb.bilderbar.info/download/download.zip",
    manual_download="Download http://emodb.bilderbar.info/download/download.zip and "
    "unzip it so that the wav/ folder sits inside the emodb/ folder.",
    descr=_EMODB_DESCR,
)


def load_emodb(data_home=None, *, harmonize=None, strict=False):
    return _load_one(SPEC, data_home, harmonize=harmonize, strict=strict)


load_emodb.__doc__ = load_docstring(SPEC, """\
Load the Berlin Database of Emotional Speech (EmoDB).

    Reads ``<data_home>/emodb/wav/*.wav`` (the corpus folder is searched
    recursively; ``.wav`` and ``.flac`` in any case). Nothing is downloaded:
    :func:`fetch_emodb` does that.

    Parameters
    ----------
$DATA_HOME
    harmonize : None, str or dict, default=None
        ``None`` keeps the canonical labels; ``"pretraining"`` applies
        ``HARMONIZATIONS["pretraining"]`` from :mod:`sklearn_ser._labels`
        (boredom dropped, leaving 454 items; all arrays stay aligned); a dict
        maps canonical labels to new labels, ``None`` dropping those items and
        labels missing from the dict kept unchanged.
    strict : bool, default=False
        If True, an audio file whose name does not follow the naming scheme,
        or whose header cannot be read, raises
        :class:`~sklearn_ser.exceptions.CorpusError` naming it; if False such
        files are skipped with one warning. Non-audio files (the perception
        tables ``erkennung.txt``, label folders, hidden files) are ignored.

$RETURNS
        target : ndarray of str
            Emotion: anger, boredom, disgust, fear, happiness, neutral,
            sadness.
$TARGET_NAMES
        speaker : ndarray of str
            Speaker id ``"03"``, ``"08"``, ... ``"16"`` (10 speakers).
        gender : ndarray of str
            ``"male"`` (03 10 11 12 15) or ``"female"`` (08 09 13 14 16).
        corpus : ndarray of str
            ``"emodb"``.
        text : ndarray of str
            Text code ``"a01"`` .. ``"b10"``.
        version : ndarray of str
            Version letter of the take.
        sample_rate : int or ndarray of int
            Sample rate from the file headers (16000 for the original
            files); an array per file if they differ.
$DESCR_RAISES

    Warns
    -----
    PartialCorpusWarning
        When fewer files per emotion are found than the official 535
        (anger 127, boredom 81, disgust 46, fear 69, happiness 71,
        sadness 62, neutral 79).
    UserWarning
        When more files (or duplicates) are found, or files are skipped.

    See Also
    --------
    fetch_emodb : Download EmoDB when it is missing, then load it.
$LOAD_CORPUS

    Notes
    -----
    File names ``SSTTTEV.wav``: speaker, text code, German initial of the
    emotion (W Wut, L Langeweile, E Ekel, A Angst, F Freude, T Trauer,
    N neutral) and version letter. Cite Burkhardt et al., Interspeech 2005.

    Examples
    --------
    >>> from sklearn_ser.datasets import load_emodb
    >>> emodb = load_emodb()  # doctest: +SKIP
    >>> len(emodb.filenames), emodb.sample_rate  # doctest: +SKIP
    (535, 16000)
    >>> emodb.speaker[0], emodb.gender[0], emodb.target[0]  # doctest: +SKIP
    ('03', 'male', 'happiness')
    """)


def fetch_emodb(data_home=None, *, download_if_missing=True, url=None, sha256=None,
                **load_kwargs):
    return _fetch(SPEC, data_home, download_if_missing, url, sha256, load_kwargs)


fetch_emodb.__doc__ = fetch_docstring(
    SPEC,
    summary='Load EmoDB, downloading its archive first when it is missing.',
    description=(
        'Otherwise it downloads the official archive '
        '(``http://emodb.bilderbar.info/download/download.zip``, which holds ``wav/`` at '
        'its top), verifies its SHA-256 digest, unpacks it into ``<data_home>/emodb`` and '
        'loads it.'
    ),
    url=(
        'Address of the archive (zip or tar; ``file://`` works too). Defaults to the '
        'official address above.'
    ),
    official_archive=True,
    examples="""\
    >>> from sklearn_ser.datasets import fetch_emodb
    >>> emodb = fetch_emodb(sha256="<digest you trust>")  # doctest: +SKIP
    >>> len(emodb.filenames)  # doctest: +SKIP
    535
""",
)
