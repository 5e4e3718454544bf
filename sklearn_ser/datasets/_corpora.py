"""Declarative descriptions of the emotional-speech corpora sklearn-ser knows.

Each corpus is one :class:`CorpusSpec`: where its folder lives under the data
home, how its file names encode speaker and emotion, how its emotion codes map
to :data:`sklearn_ser._labels.CANONICAL_EMOTIONS`, its official totals, its
speakers and their gender, where it can be downloaded and the text of its
``DESCR``. The generic machinery in :mod:`sklearn_ser.datasets._base` reads
only these descriptions, so adding a corpus means adding one entry to
:data:`CORPORA`.

A spec's ``parse`` function receives the path of an audio file relative to the
corpus folder and returns one of

* a ``dict`` with the keys ``"emotion"`` (the corpus's own emotion code, a key
  of ``emotion_codes``), ``"speaker"`` (a key of ``speakers``) and one key per
  name in ``extra_fields``;
* ``None`` when the file name does not follow the corpus's naming scheme;
* :data:`SKIP` when the name follows the scheme but the file is deliberately
  not part of the loaded set (RAVDESS song and audio-visual files).
"""

import re
from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional

__all__ = ["CORPORA", "SKIP", "CorpusSpec"]

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


# --------------------------------------------------------------------------
# EmoDB
# --------------------------------------------------------------------------

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

# --------------------------------------------------------------------------
# RAVDESS (speech, audio-only)
# --------------------------------------------------------------------------

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

# --------------------------------------------------------------------------
# TESS
# --------------------------------------------------------------------------

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

# --------------------------------------------------------------------------
# SAVEE
# --------------------------------------------------------------------------

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

# --------------------------------------------------------------------------
# CREMA-D
# --------------------------------------------------------------------------

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

# --------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------

#: Every corpus sklearn-ser can load, by registry name.
CORPORA = {
    spec.name: spec
    for spec in (
        CorpusSpec(
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
        ),
        CorpusSpec(
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
        ),
        CorpusSpec(
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
        ),
        CorpusSpec(
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
        ),
        CorpusSpec(
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
        ),
    )
}

