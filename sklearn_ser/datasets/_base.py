"""Data home, generic corpus loading, label harmonisation and count checks.

Every corpus is described once in :mod:`sklearn_ser.datasets._corpora`; the
functions here turn such a description and a folder of audio files into a
:class:`sklearn.utils.Bunch`.
"""

import os
import sys
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import soundfile as sf
from joblib import Parallel, delayed
from sklearn.utils import Bunch

from .._labels import CANONICAL_EMOTIONS, HARMONIZATIONS
from ..audio import ITEM_ERRORS, load_audio
from ..exceptions import CorpusError, FailedItem, FailedItemsWarning, PartialCorpusWarning
from ._corpora import CORPORA, SKIP
from ._manifests import missing_release_files

__all__ = [
    "drop_unreadable",
    "get_data_home",
    "list_corpora",
    "load_corpus",
    "load_crema_d",
    "load_emodb",
    "load_ravdess",
    "load_savee",
    "load_tess",
]

#: Environment variable naming the default data home.
DATA_HOME_ENV = "SKLEARN_SER_DATA"

#: File extensions (compared case-insensitively) treated as audio.
AUDIO_EXTENSIONS = (".wav", ".flac")

# Folders created by archivers that never hold corpus files.
_JUNK_DIRS = ("__MACOSX",)

# How many offending file names a warning lists before "and N more".
_N_NAMES_SHOWN = 5

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def get_data_home(data_home=None):
    """Return the folder that holds the corpora.

    The folder is, in this order: ``data_home`` when given, the
    ``SKLEARN_SER_DATA`` environment variable when set, else
    ``~/sklearn_ser_data``. Each corpus lives in a sub-folder named after it
    (``emodb/``, ``ravdess/``, ``tess/``, ``savee/``, ``crema_d/``).

    Parameters
    ----------
    data_home : str or path-like, default=None
        The data home. ``~`` is expanded to the user's home folder.

    Returns
    -------
    data_home : str
        The path of the data home.

    See Also
    --------
    list_corpora : The corpus names, which are also the sub-folder names.

    Notes
    -----
    Unlike :func:`sklearn.datasets.get_data_home`, the folder is not created:
    loaders only read, and the ``fetch_*`` functions create it when they
    download a corpus.

    Examples
    --------
    >>> from sklearn_ser.datasets import get_data_home
    >>> get_data_home("/data/corpora")
    '/data/corpora'
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or os.path.join("~", "sklearn_ser_data")
    return os.path.expanduser(os.fspath(data_home))


def list_corpora():
    """Return the names of the corpora sklearn-ser can load.

    Returns
    -------
    names : list of str
        Names accepted by :func:`load_corpus`, each also the name of the
        corpus's folder under the data home.

    Examples
    --------
    >>> from sklearn_ser.datasets import list_corpora
    >>> list_corpora()
    ['crema_d', 'emodb', 'ravdess', 'savee', 'tess']
    """
    return sorted(CORPORA)


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _warn(message, category=UserWarning):
    """Warn, attributing the warning to the first caller outside this package."""
    frame = sys._getframe(0)
    level = 1
    while (
        frame is not None
        and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _PACKAGE_DIR
    ):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)


def _name_list(names):
    shown = ", ".join(str(n) for n in names[:_N_NAMES_SHOWN])
    if len(names) > _N_NAMES_SHOWN:
        shown += f" and {len(names) - _N_NAMES_SHOWN} more"
    return shown


def _resolve_harmonization(harmonize):
    """Return the label map for ``harmonize`` (``None`` for no change)."""
    if harmonize is None:
        return None
    if isinstance(harmonize, str):
        if harmonize not in HARMONIZATIONS:
            raise ValueError(
                f"Unknown harmonize={harmonize!r}. Valid names are {sorted(HARMONIZATIONS)}; "
                "pass None to keep the canonical labels, or a dict mapping canonical labels "
                "to new labels (None drops a label)."
            )
        return dict(HARMONIZATIONS[harmonize])
    if isinstance(harmonize, dict):
        unknown = sorted(set(harmonize) - set(CANONICAL_EMOTIONS))
        if unknown:
            raise ValueError(
                f"harmonize maps labels {unknown} that are not canonical emotion labels; "
                f"its keys must be among {list(CANONICAL_EMOTIONS)}."
            )
        bad = {k: v for k, v in harmonize.items() if v is not None and not isinstance(v, str)}
        if bad:
            raise ValueError(f"harmonize must map each label to a str or None; got {bad}.")
        return dict(harmonize)
    raise TypeError(
        f"harmonize must be None, one of {sorted(HARMONIZATIONS)} or a dict; "
        f"got {type(harmonize).__name__}."
    )


def _fetcher_hint(spec):
    if spec.url is not None:
        return f"or download it with sklearn_ser.datasets.fetch_{spec.name}()."
    return (
        f"sklearn_ser.datasets.fetch_{spec.name}() cannot download it without url=: "
        f"{spec.manual_download}"
    )


def _missing_corpus_error(spec, home, root):
    hint = ""
    if Path(home).name.lower() == spec.folder:
        hint = (
            f" data_home should be the folder that holds {spec.folder}/, "
            f"not {spec.folder}/ itself; try data_home={str(Path(home).parent)!r}."
        )
    return CorpusError(
        f"{spec.title} not found: the folder {root} does not exist.{hint} Put the corpus "
        f"there (expected layout: <data_home>/{spec.layout}), point data_home= or the "
        f"{DATA_HOME_ENV} environment variable at the folder that holds {spec.folder}/, "
        + _fetcher_hint(spec)
    )


def _audio_files(root):
    """Yield audio files under ``root`` recursively, in a deterministic order.

    Hidden files and folders (``.DS_Store``, AppleDouble ``._x.wav``) and
    ``__MACOSX`` folders are left out.
    """
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _JUNK_DIRS)
        for filename in sorted(filenames):
            if filename.startswith("."):
                continue
            if os.path.splitext(filename)[1].lower() in AUDIO_EXTENSIONS:
                yield Path(dirpath) / filename


def _unreadable_hint(path):
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError:
        return ""
    if head.startswith(b"version https://git-lfs"):
        return (
            " It is a Git LFS pointer, not audio: fetch the real files with "
            "`git lfs pull` in the clone you copied it from."
        )
    if len(head) == 0:
        return " The file is empty; copy it again."
    return " The file may be truncated or corrupt; copy or download it again."


def _scan(spec, root, strict):
    """Parse every audio file under ``root`` with the corpus's naming scheme.

    Returns the parsed records ``(absolute_path, fields)`` sorted by path,
    the relative paths of the audio files whose names do not follow the
    scheme, and the number of files skipped on purpose (``SKIP``).
    """
    records, mismatched, n_skipped = [], [], 0
    for path in _audio_files(root):
        rel = path.relative_to(root)
        fields = spec.parse(rel)
        if fields is SKIP:
            n_skipped += 1
        elif fields is None:
            if strict:
                raise CorpusError(
                    f"The file {path} does not follow the {spec.title} naming scheme: expected "
                    f"{spec.pattern}. Rename or remove it, or pass strict=False to skip such "
                    "files with a warning."
                )
            mismatched.append(rel.as_posix())
        else:
            records.append((str(path.absolute()), fields))
    if mismatched:
        _warn(
            f"Skipped {len(mismatched)} audio file(s) under {root} whose names do not follow "
            f"the {spec.title} naming scheme ({spec.pattern}): {_name_list(mismatched)}. "
            "Pass strict=True to raise an error instead."
        )
    records.sort(key=lambda record: record[0])
    return records, mismatched, n_skipped


def _check_counts(spec, root, counts, records):
    """Warn when per-label counts differ from the official distribution."""
    labels = sorted(set(spec.official_counts) | set(counts))
    fewer = [
        f"{label} {counts.get(label, 0)}/{spec.official_counts.get(label, 0)}"
        for label in labels
        if counts.get(label, 0) < spec.official_counts.get(label, 0)
    ]
    more = [
        f"{label} {counts.get(label, 0)}/{spec.official_counts.get(label, 0)}"
        for label in labels
        if counts.get(label, 0) > spec.official_counts.get(label, 0)
    ]
    n_found = sum(counts.values())
    if fewer:
        missing = missing_release_files(spec.name, [Path(path).stem for path, _ in records])
        named = f"; missing: {_name_list(missing)}" if missing else ""
        _warn(
            f"{spec.title} under {root} is incomplete: found {n_found} of the "
            f"{spec.n_official} official files (found/expected: {', '.join(fewer)}{named}). "
            f"Results are not comparable with published ones; get a complete copy (see "
            f"fetch_{spec.name}()) for those.",
            PartialCorpusWarning,
        )
    # The same utterance twice (e.g. as .wav and .flac, or in both SAVEE layouts).
    keys = Counter(tuple(sorted(fields.items())) for _, fields in records)
    duplicated = [path for path, fields in records if keys[tuple(sorted(fields.items()))] > 1]
    if more or duplicated:
        message = f"{spec.title} under {root} holds "
        if more:
            message += (
                f"more files than the official distribution ({n_found} found, "
                f"{spec.n_official} official; found/expected: {', '.join(more)})"
            )
        if duplicated:
            message += (" and " if more else "") + (
                f"{len(duplicated)} files that name the same utterance as another "
                f"({_name_list([os.path.relpath(p, root) for p in duplicated])})"
            )
        _warn(message + ". All were kept; remove duplicates or extra files for a clean copy.")


def _sample_rates(paths, strict, spec):
    """Read each file's sample rate from its header; drop unreadable and empty files.

    A file whose header cannot be read, or whose header says it holds no
    samples (zero-length audio, which no front end can use), is skipped with
    one warning per kind, or raises :class:`CorpusError` when ``strict``.
    """
    rates = np.zeros(len(paths), dtype=int)
    readable = np.ones(len(paths), dtype=bool)
    unreadable, empty = [], []
    for i, path in enumerate(paths):
        try:
            info = sf.info(path)
        except (RuntimeError, OSError) as exc:  # sf.LibsndfileError is a RuntimeError
            if strict:
                raise CorpusError(
                    f"Cannot read the audio header of {path} ({exc}).{_unreadable_hint(path)}"
                ) from exc
            readable[i] = False
            unreadable.append(path)
            continue
        rates[i] = info.samplerate
        if info.frames == 0:
            if strict:
                raise CorpusError(
                    f"The audio file {path} holds no samples (zero-length audio); copy it "
                    "again or remove it, or pass strict=False to skip such files with a warning."
                )
            readable[i] = False
            empty.append(path)
    if unreadable:
        _warn(
            f"Skipped {len(unreadable)} {spec.title} file(s) whose audio header cannot be "
            f"read: {_name_list(unreadable)}.{_unreadable_hint(unreadable[0])}"
        )
    if empty:
        _warn(
            f"Skipped {len(empty)} {spec.title} file(s) that hold no samples (zero-length "
            f"audio): {_name_list(empty)}. Copy them again or remove them."
        )
    return rates, readable


def _counts_table(spec, counts, kept=None):
    lines = ["label        found  official" + ("  kept as" if kept is not None else "")]
    for label in sorted(set(spec.official_counts) | set(counts)):
        line = f"{label:<12} {counts.get(label, 0):>5}  {spec.official_counts.get(label, 0):>8}"
        if kept is not None:
            new = kept.get(label, label)
            line += f"  {'(dropped)' if new is None else new}"
        lines.append(line.rstrip())
    lines.append(f"{'total':<12} {sum(counts.values()):>5}  {spec.n_official:>8}")
    return "\n".join(lines)


def _one_sample_rate(rates):
    """An int when every file shares one rate, else the per-file array."""
    unique = np.unique(rates)
    if len(unique) == 1:
        return int(unique[0])
    if len(unique) == 0:
        return None
    return rates


# --------------------------------------------------------------------------
# Generic loaders
# --------------------------------------------------------------------------


def _load_one(name, data_home=None, *, harmonize=None, strict=False):
    spec = CORPORA[name]
    mapping = _resolve_harmonization(harmonize)
    home = get_data_home(data_home)
    root = Path(home) / spec.folder
    if not root.is_dir():
        raise _missing_corpus_error(spec, home, root)

    records, mismatched, n_skipped = _scan(spec, root, strict)
    if not records:
        raise CorpusError(
            f"No audio file under {root} follows the {spec.title} naming scheme "
            f"({spec.pattern}); found {len(mismatched)} other audio file(s)"
            + (f" ({_name_list(mismatched)})" if mismatched else "")
            + f". Expected layout: <data_home>/{spec.layout}."
        )

    filenames = np.array([path for path, _ in records], dtype=str)
    target = np.array([spec.emotion_codes[fields["emotion"]] for _, fields in records], dtype=str)
    speaker = np.array([fields["speaker"] for _, fields in records], dtype=str)
    gender = np.array([spec.speakers.get(s, "unknown") for s in speaker], dtype=str)
    extras = {
        key: np.array([fields[key] for _, fields in records], dtype=str)
        for key in spec.extra_fields
    }

    counts = Counter(target.tolist())
    _check_counts(spec, root, counts, records)

    keep = np.ones(len(target), dtype=bool)
    if mapping is not None:
        new_target = [mapping.get(label, label) for label in target.tolist()]
        keep = np.array([label is not None for label in new_target], dtype=bool)
        target = np.array([label for label in new_target if label is not None], dtype=str)
        filenames, speaker, gender = filenames[keep], speaker[keep], gender[keep]
        extras = {key: values[keep] for key, values in extras.items()}

    rates, readable = _sample_rates(filenames.tolist(), strict, spec)
    if not readable.all():
        rates, target, filenames = rates[readable], target[readable], filenames[readable]
        speaker, gender = speaker[readable], gender[readable]
        extras = {key: values[readable] for key, values in extras.items()}

    loaded = f"Loaded from {root}: {len(filenames)} items"
    if mapping is not None:
        loaded += f" after harmonize={harmonize!r}"
    notes = [loaded + "."]
    if mismatched:
        notes.append(f"Skipped {len(mismatched)} audio file(s) not following the naming scheme.")
    if n_skipped:
        notes.append(f"Skipped {n_skipped} file(s) outside the loaded set (see above).")
    if not readable.all():
        notes.append(f"Skipped {int((~readable).sum())} unreadable file(s).")
    descr = (
        spec.descr
        + "\nThis copy\n---------\n\n"
        + "\n".join(notes)
        + "\n\n"
        + _counts_table(spec, counts, mapping)
        + "\n"
    )
    return Bunch(
        filenames=filenames,
        target=target,
        target_names=np.unique(target),
        speaker=speaker,
        gender=gender,
        corpus=np.full(len(filenames), spec.name),
        sample_rate=_one_sample_rate(rates),
        **extras,
        DESCR=descr,
    )


def _parse_corpus_names(name):
    if not isinstance(name, str):
        raise TypeError(
            f"name must be a str such as 'emodb' or 'tess+ravdess'; got {type(name).__name__}."
        )
    names = [part.strip().lower().replace("-", "_") for part in name.split("+")]
    unknown = [n for n in names if n not in CORPORA]
    if unknown:
        raise ValueError(
            f"Unknown corpus {unknown[0]!r} in name={name!r}. Known corpora: "
            f"{', '.join(list_corpora())}; join several with '+', e.g. 'tess+ravdess'."
        )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(
            f"name={name!r} lists {', '.join(repeated)} more than once; list each corpus once."
        )
    return names


def load_corpus(name, data_home=None, *, harmonize=None, strict=False):
    """Load one corpus, or several concatenated, by name.

    Parameters
    ----------
    name : str
        A corpus name from :func:`list_corpora` (``"emodb"``, ``"ravdess"``,
        ``"tess"``, ``"savee"``, ``"crema_d"``; ``"crema-d"`` and upper case
        are accepted), or several joined by ``+`` such as ``"tess+ravdess"``.
    data_home : str or path-like, default=None
        Folder holding the corpus folders; see :func:`get_data_home`.
    harmonize : None, str or dict, default=None
        Label harmonisation applied to each corpus after its labels have been
        mapped to the canonical set. ``None`` keeps the canonical labels; a
        name from :data:`sklearn_ser._labels.HARMONIZATIONS` such as
        ``"pretraining"`` (calm -> neutral, boredom dropped); or a dict
        mapping canonical labels to new labels, where ``None`` drops the
        items and labels missing from the dict are kept unchanged.
    strict : bool, default=False
        If True, an audio file whose name does not follow the corpus's naming
        scheme, or whose header cannot be read, raises
        :class:`~sklearn_ser.exceptions.CorpusError`; if False such files are
        skipped with one warning.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With one entry per utterance in the arrays ``filenames`` (absolute
        paths, sorted within each corpus), ``target`` (emotion labels),
        ``speaker``, ``gender`` (``"male"``, ``"female"`` or ``"unknown"``)
        and ``corpus``; ``target_names`` (sorted unique labels);
        ``sample_rate`` (an int when every file has the same rate, else an
        array per file); ``DESCR``. A single corpus also returns its own
        extra arrays (for example RAVDESS ``intensity``); a concatenation
        keeps only the extra arrays that every part has.

    Raises
    ------
    CorpusError
        When a corpus folder is missing, or (``strict=True``) a file does not
        follow the naming scheme.

    Warns
    -----
    PartialCorpusWarning
        When a corpus holds fewer files per emotion than the official
        distribution.
    UserWarning
        When it holds more files or duplicates, or when files are skipped.

    See Also
    --------
    list_corpora : The names accepted.
    load_emodb, load_ravdess, load_tess, load_savee, load_crema_d : The
        loaders of the individual corpora, documenting each naming scheme.

    Notes
    -----
    In a concatenation, the parts appear in the order named and ``speaker``
    values are prefixed with the corpus name and a slash (``"ravdess/01"``,
    ``"emodb/03"``), so that speakers of different corpora never collide
    when used as groups in cross-validation. A single corpus keeps its bare
    speaker ids (``"01"``). Count checks apply to each corpus before
    harmonisation.

    Examples
    --------
    >>> from sklearn_ser.datasets import load_corpus
    >>> data = load_corpus("emodb+ravdess", harmonize="pretraining")  # doctest: +SKIP
    >>> len(data.filenames), data.speaker[0]  # doctest: +SKIP
    (1894, 'emodb/03')
    """
    names = _parse_corpus_names(name)
    parts = [_load_one(n, data_home, harmonize=harmonize, strict=strict) for n in names]
    if len(parts) == 1:
        return parts[0]

    standard = ("filenames", "target", "speaker", "gender", "corpus")
    extra_keys = [
        key
        for key in parts[0]
        if key not in standard + ("target_names", "sample_rate", "DESCR")
        and all(key in part for part in parts[1:])
    ]
    arrays = {
        key: np.concatenate([part[key] for part in parts]).astype(str)
        for key in standard + tuple(extra_keys)
    }
    arrays["speaker"] = np.concatenate(
        [np.char.add(f"{n}/", part.speaker.astype(str)) for n, part in zip(names, parts)]
    ).astype(str)
    per_file_rates = np.concatenate(
        [
            np.full(len(part.filenames), part.sample_rate)
            if not isinstance(part.sample_rate, np.ndarray)
            else part.sample_rate
            for part in parts
        ]
    )
    header = (
        f"Concatenation of {len(parts)} corpora: "
        + ", ".join(f"{n} ({len(part.filenames)} items)" for n, part in zip(names, parts))
        + ".\nSpeaker ids are prefixed with the corpus name, e.g. "
        f"{arrays['speaker'][0]!r}.\n"
        + _label_sets_note(names, parts)
        + "\n"
    )
    return Bunch(
        **{key: arrays[key] for key in ("filenames", "target")},
        target_names=np.unique(arrays["target"]),
        **{key: arrays[key] for key in ("speaker", "gender", "corpus")},
        sample_rate=_one_sample_rate(per_file_rates.astype(int)) if len(per_file_rates) else None,
        **{key: arrays[key] for key in extra_keys},
        DESCR=header + "\n\n".join(part.DESCR for part in parts),
    )


def _label_sets_note(names, parts):
    """A DESCR line naming the labels that only some parts of a concatenation have."""
    sets = {n: set(part.target.tolist()) for n, part in zip(names, parts)}
    union = set().union(*sets.values())
    partial = sorted(label for label in union if not all(label in s for s in sets.values()))
    if not partial:
        return "Every part has the same labels.\n"
    where = "; ".join(
        f"{label} ({', '.join(n for n in names if label in sets[n])} only)" for label in partial
    )
    return (
        f"Labels not present in every part: {where}. target_names is the union; pass "
        "harmonize='pretraining' (or a dict) to map the corpora onto shared labels.\n"
    )


# Bunch entries that are not one value per item.
_NOT_PER_ITEM = ("target_names", "sample_rate", "DESCR", "unreadable")


def _check_one_file(index, path, allow_silence):
    try:
        load_audio(path, sr=None, allow_silence=allow_silence)
    except ITEM_ERRORS as exc:
        return FailedItem(index, path, f"{type(exc).__name__}: {exc}")
    return None


def drop_unreadable(bunch, *, allow_silence=True, n_jobs=None):
    """Remove the files that cannot be read from every per-item array of a corpus.

    Each file of ``bunch.filenames`` is decoded in full with
    :func:`~sklearn_ser.audio.load_audio`; a file that is missing, empty,
    corrupt, not audio, zero-length, holds NaN or infinite samples (or is
    silent, with ``allow_silence=False``) is dropped from ``filenames``,
    ``target``, ``speaker``, ``gender``, ``corpus`` and every other per-item
    array **together**, so labels stay aligned with files. This is where
    unreadable items should be removed: a transformer inside a pipeline cannot
    drop rows without putting ``y`` out of step.

    Parameters
    ----------
    bunch : :class:`~sklearn.utils.Bunch` or dict
        A corpus as returned by :func:`load_corpus` and the ``load_*``
        functions: ``filenames`` and arrays of the same length.
    allow_silence : bool, default=True
        If False, all-zero (digitally silent) files are dropped too.
    n_jobs : int or None, default=None
        Threads decoding files (libsndfile releases the GIL); ``-1`` for all
        cores.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        A new Bunch (``bunch`` is not changed) without the unreadable files;
        ``target_names`` and ``sample_rate`` are recomputed, ``DESCR`` says
        what was dropped, and ``unreadable`` lists one
        :class:`~sklearn_ser.exceptions.FailedItem` ``(index, source, error)``
        per dropped file, ``index`` being its row in ``bunch``.

    Warns
    -----
    FailedItemsWarning
        When files are dropped: their count, names and the first error.

    See Also
    --------
    sklearn_ser.features.LogMelImage : ``on_error="warn"`` keeps the rows of
        unreadable items (filled) and reports them instead.

    Examples
    --------
    >>> import os, tempfile, numpy as np, soundfile as sf
    >>> folder = tempfile.mkdtemp()
    >>> good, bad = os.path.join(folder, "good.wav"), os.path.join(folder, "bad.wav")
    >>> sf.write(good, np.full(800, 0.1), 16000)
    >>> _ = open(bad, "w").write("not audio")
    >>> corpus = {"filenames": np.array([good, bad]), "target": np.array(["anger", "fear"]),
    ...           "speaker": np.array(["01", "02"])}
    >>> import warnings
    >>> with warnings.catch_warnings(record=True):
    ...     warnings.simplefilter("always")
    ...     clean = drop_unreadable(corpus)
    >>> clean.target.tolist(), clean.speaker.tolist(), clean.unreadable[0].index
    (['anger'], ['01'], 1)
    """
    if "filenames" not in bunch:
        raise TypeError(
            "drop_unreadable needs a corpus Bunch with a 'filenames' array (as load_corpus "
            f"returns); got {type(bunch).__name__} with keys {sorted(bunch)}."
        )
    filenames = np.asarray(bunch["filenames"])
    n_items = len(filenames)
    results = Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(_check_one_file)(i, str(path), allow_silence) for i, path in enumerate(filenames)
    )
    failures = [failure for failure in results if failure is not None]
    keep = np.ones(n_items, dtype=bool)
    keep[[f.index for f in failures]] = False

    data = Bunch()
    for key, value in bunch.items():
        if (
            key not in _NOT_PER_ITEM
            and isinstance(value, (np.ndarray, list, tuple))
            and len(value) == n_items
        ):
            value = np.asarray(value)[keep]
        data[key] = value
    if "target" in data:
        data["target_names"] = np.unique(data["target"])
    rate = bunch.get("sample_rate")
    if isinstance(rate, np.ndarray) and len(rate) == n_items:
        data["sample_rate"] = _one_sample_rate(rate[keep]) if keep.any() else None
    data["unreadable"] = failures
    if failures:
        names = [f.source for f in failures]
        message = (
            f"Dropped {len(failures)} of {n_items} files that cannot be read, from every "
            f"per-item array: {_name_list(names)}. First error: {failures[0].error}"
        )
        if "DESCR" in data:
            data["DESCR"] = data["DESCR"] + "\n" + message + "\n"
        _warn(FailedItemsWarning(message, failures))
    return data


# --------------------------------------------------------------------------
# One loader per corpus
# --------------------------------------------------------------------------


# The docstrings below repeat the shared parameters on purpose: each loader's
# help() is complete on its own, as in scikit-learn's fetchers.


def load_emodb(data_home=None, *, harmonize=None, strict=False):
    """Load the Berlin Database of Emotional Speech (EmoDB).

    Reads ``<data_home>/emodb/wav/*.wav`` (the corpus folder is searched
    recursively; ``.wav`` and ``.flac`` in any case). Nothing is downloaded:
    :func:`fetch_emodb` does that.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder that holds ``emodb/``; see :func:`get_data_home`
        (``SKLEARN_SER_DATA``, else ``~/sklearn_ser_data``).
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

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        One entry per utterance, sorted by path, in the arrays:

        filenames : ndarray of str
            Absolute paths of the audio files.
        target : ndarray of str
            Emotion: anger, boredom, disgust, fear, happiness, neutral,
            sadness.
        target_names : ndarray of str
            Sorted unique labels present.
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
        DESCR : str
            Provenance, licence, citation, naming scheme and the counts
            found against the official ones.

    Raises
    ------
    CorpusError
        When ``<data_home>/emodb`` does not exist (the message names the
        path), or with ``strict=True`` when a file is misnamed.

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
    load_corpus : Load several corpora concatenated.

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
    """
    return _load_one("emodb", data_home, harmonize=harmonize, strict=strict)


def load_ravdess(data_home=None, *, harmonize=None, strict=False):
    """Load the speech part of RAVDESS (audio-only files).

    Reads ``<data_home>/ravdess/Actor_XX/*.wav`` (the corpus folder is
    searched recursively; ``.wav`` and ``.flac`` in any case). Nothing is
    downloaded: :func:`fetch_ravdess` does that.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder that holds ``ravdess/``; see :func:`get_data_home`
        (``SKLEARN_SER_DATA``, else ``~/sklearn_ser_data``).
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

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        One entry per utterance, sorted by path, in the arrays:

        filenames : ndarray of str
            Absolute paths of the audio files.
        target : ndarray of str
            Emotion: neutral, calm, happiness, sadness, anger, fear,
            disgust, surprise.
        target_names : ndarray of str
            Sorted unique labels present.
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
        DESCR : str
            Provenance, licence, citation, naming scheme and the counts
            found against the official ones.

    Raises
    ------
    CorpusError
        When ``<data_home>/ravdess`` does not exist (the message names the
        path), or with ``strict=True`` when a file is misnamed.

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
    load_corpus : Load several corpora concatenated.

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
    """
    return _load_one("ravdess", data_home, harmonize=harmonize, strict=strict)


def load_tess(data_home=None, *, harmonize=None, strict=False):
    """Load the Toronto Emotional Speech Set (TESS).

    Reads ``<data_home>/tess/<any folders>/OAF_back_angry.wav`` (searched
    recursively; ``.wav`` and ``.flac`` in any case). TESS has no single
    official archive, so :func:`fetch_tess` downloads only from a ``url=``
    you give it.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder that holds ``tess/``; see :func:`get_data_home`
        (``SKLEARN_SER_DATA``, else ``~/sklearn_ser_data``).
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

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        One entry per utterance, sorted by path, in the arrays:

        filenames : ndarray of str
            Absolute paths of the audio files.
        target : ndarray of str
            Emotion: anger, disgust, fear, happiness, neutral, sadness,
            surprise.
        target_names : ndarray of str
            Sorted unique labels present.
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
        DESCR : str
            Provenance, licence, citation, naming scheme and the counts
            found against the official ones.

    Raises
    ------
    CorpusError
        When ``<data_home>/tess`` does not exist (the message names the
        path), or with ``strict=True`` when a file is misnamed.

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
    load_corpus : Load several corpora concatenated.

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
    """
    return _load_one("tess", data_home, harmonize=harmonize, strict=strict)


def load_savee(data_home=None, *, harmonize=None, strict=False):
    """Load the audio of Surrey Audio-Visual Expressed Emotion (SAVEE).

    Reads ``<data_home>/savee/`` recursively, in either the flat layout
    ``ALL/DC_a01.wav`` or the original ``AudioData/DC/a01.wav`` (``.wav`` and
    ``.flac`` in any case). SAVEE is distributed after registration, so
    :func:`fetch_savee` downloads only from a ``url=`` you give it.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder that holds ``savee/``; see :func:`get_data_home`
        (``SKLEARN_SER_DATA``, else ``~/sklearn_ser_data``).
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

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        One entry per utterance, sorted by path, in the arrays:

        filenames : ndarray of str
            Absolute paths of the audio files.
        target : ndarray of str
            Emotion: anger, disgust, fear, happiness, neutral, sadness,
            surprise.
        target_names : ndarray of str
            Sorted unique labels present.
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
        DESCR : str
            Provenance, licence, citation, naming scheme and the counts
            found against the official ones.

    Raises
    ------
    CorpusError
        When ``<data_home>/savee`` does not exist (the message names the
        path), or with ``strict=True`` when a file is misnamed.

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
    load_corpus : Load several corpora concatenated.

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
    """
    return _load_one("savee", data_home, harmonize=harmonize, strict=strict)


def load_crema_d(data_home=None, *, harmonize=None, strict=False):
    """Load the Crowd-sourced Emotional Multimodal Actors Dataset (CREMA-D).

    Reads ``<data_home>/crema_d/AudioWAV/1001_DFA_ANG_XX.wav`` (the corpus
    folder is searched recursively; ``.wav`` and ``.flac`` in any case).
    CREMA-D's audio is stored with Git LFS, so :func:`fetch_crema_d`
    downloads only from a ``url=`` you give it.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder that holds ``crema_d/``; see :func:`get_data_home`
        (``SKLEARN_SER_DATA``, else ``~/sklearn_ser_data``).
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

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        One entry per utterance, sorted by path, in the arrays:

        filenames : ndarray of str
            Absolute paths of the audio files.
        target : ndarray of str
            Emotion: anger, disgust, fear, happiness, neutral, sadness.
        target_names : ndarray of str
            Sorted unique labels present.
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
    load_corpus : Load several corpora concatenated.

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
    """
    return _load_one("crema_d", data_home, harmonize=harmonize, strict=strict)
