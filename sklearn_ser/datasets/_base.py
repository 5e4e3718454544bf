"""Data home, generic corpus loading, label harmonisation and count checks.

Every corpus is described once in :mod:`sklearn_ser.datasets._corpora`; the
functions here turn such a description and a folder of audio files into a
:class:`sklearn.utils.Bunch`.
"""

import os
from collections import Counter
from pathlib import Path

import numpy as np
import soundfile as sf
from joblib import Parallel, delayed
from sklearn.utils import Bunch

from .._labels import CANONICAL_EMOTIONS, HARMONIZATIONS
from ..audio import ITEM_ERRORS, load_audio
from ..exceptions import CorpusError, FailedItem, FailedItemsWarning, PartialCorpusWarning
from ..utils._warnings import warn_from_caller
from ._manifests import missing_release_files
from ._spec import SKIP

__all__ = [
    "drop_unreadable",
    "get_data_home",
    "list_corpora",
    "load_corpus",
]

#: Environment variable naming the default data home.
DATA_HOME_ENV = "SKLEARN_SER_DATA"

#: File extensions (compared case-insensitively) treated as audio.
AUDIO_EXTENSIONS = (".wav", ".flac")

# Folders created by archivers that never hold corpus files.
_JUNK_DIRS = ("__MACOSX",)

# How many offending file names a warning lists before "and N more".
_N_NAMES_SHOWN = 5


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


def load_docstring(spec, template):
    """The docstring of ``load_<corpus>``: ``template`` with the shared parts filled in.

    ``$DATA_HOME`` (the ``data_home`` parameter), ``$RETURNS`` (the Returns
    header and ``filenames``), ``$TARGET_NAMES``, ``$DESCR_RAISES`` (``DESCR``
    and the Raises section) and ``$LOAD_CORPUS`` (its See Also line) are the
    same for every corpus but for its folder.
    """
    from string import Template

    folder = spec.folder
    return Template(template).substitute(
        DATA_HOME=(f"    data_home : str or path-like, default=None\n"
                   f"        Folder that holds ``{folder}/``; see :func:`get_data_home`\n"
                   f"        (``SKLEARN_SER_DATA``, else ``~/sklearn_ser_data``)."),
        RETURNS=("    Returns\n    -------\n    data : :class:`~sklearn.utils.Bunch`\n"
                 "        One entry per utterance, sorted by path, in the arrays:\n\n"
                 "        filenames : ndarray of str\n"
                 "            Absolute paths of the audio files."),
        TARGET_NAMES=("        target_names : ndarray of str\n"
                      "            Sorted unique labels present."),
        DESCR_RAISES=("        DESCR : str\n"
                      "            Provenance, licence, citation, naming scheme and the counts\n"
                      "            found against the official ones.\n\n"
                      "    Raises\n    ------\n    CorpusError\n"
                      f"        When ``<data_home>/{folder}`` does not exist (the message names "
                      "the\n        path), or with ``strict=True`` when a file is misnamed."),
        LOAD_CORPUS="    load_corpus : Load several corpora concatenated.",
    )


def _registry():
    """The corpora by name; imported on use, since each corpus module imports this one."""
    from ._corpora import CORPORA

    return CORPORA


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
    return sorted(_registry())


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _warn(message, category=UserWarning):
    """Warn, attributing the warning to the first caller outside the toolkit."""
    warn_from_caller(message, category)


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


def _spec(spec):
    """A :class:`~._spec.CorpusSpec`, given as such or by registry name."""
    return _registry()[spec] if isinstance(spec, str) else spec


def _load_one(spec, data_home=None, *, harmonize=None, strict=False):
    """Load the corpus ``spec`` describes (a spec, or a registry name)."""
    spec = _spec(spec)
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
    unknown = [n for n in names if n not in _registry()]
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


def _subset_corpus(bunch, keep):
    """A new corpus Bunch with the items where the boolean mask ``keep`` is True.

    Every per-item array or list (as long as ``filenames``) is cut; ``target_names``
    and a per-file ``sample_rate`` are recomputed from what is kept; other fields
    (``DESCR``...) are kept as they are.
    """
    keep = np.asarray(keep, dtype=bool)
    n_items = len(bunch["filenames"])
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
    return data


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

    data = _subset_corpus(bunch, keep)
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
