"""Download a missing corpus, verify it against a SHA-256 digest, unpack it.

Nothing here runs at import. A download is only ever written to a temporary
file inside the data home; it is unpacked only once its digest matches, into a
temporary folder that is renamed into place in one step, so an interrupted or
corrupt download never leaves something that looks like a corpus.
"""

import logging
import os
import shutil
import tarfile
import textwrap
import uuid
import zipfile
from pathlib import Path, PurePosixPath

from ..exceptions import ChecksumError, CorpusError
from ..utils._files import check_digest_format, download_to_temporary
from ._base import _load_one, _spec, get_data_home

logger = logging.getLogger(__name__)

_LOAD_KWARGS = ("harmonize", "strict")


def _download(url, home, expected, spec):
    """Stream ``url`` to a temporary file in ``home`` and verify its digest.

    Returns the path of the verified file; on any failure nothing is left.
    """
    logger.info("Downloading %s from %s to %s", spec.title, url, home)
    part, actual = download_to_temporary(
        url, home, prefix=f".{spec.folder}-", source=f"{spec.title} from {url}",
        manual=f"the corpus in {Path(home) / spec.folder}")
    if actual != expected:
        os.remove(part)
        raise ChecksumError(
            f"The {spec.title} archive downloaded from {url} does not match its expected "
            f"SHA-256 digest: expected {expected}, got {actual}. The download was deleted. "
            "It may be corrupt or the archive may have changed; check the address and the "
            "digest, then try again."
        )
    logger.info("Verified SHA-256 %s", actual)
    return part


def _check_member(name, url):
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts:
        raise CorpusError(
            f"Refusing to unpack the archive from {url}: member {name!r} points outside it."
        )


def _extract(archive, dest, url):
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for member in zf.infolist():
                _check_member(member.filename, url)
            zf.extractall(dest)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tf:
            if hasattr(tarfile, "data_filter"):
                tf.extractall(dest, filter="data")
            else:  # pragma: no cover - Python without tar extraction filters
                for member in tf.getmembers():
                    _check_member(member.name, url)
                    if not (member.isfile() or member.isdir()):
                        raise CorpusError(
                            f"Refusing to unpack the archive from {url}: member {member.name!r} "
                            "is a link or a special file."
                        )
                tf.extractall(dest)
    else:
        raise CorpusError(
            f"The file downloaded from {url} is neither a zip nor a tar archive, so it cannot be "
            "unpacked. Check that url= points at the archive itself, not at a web page."
        )


def _corpus_top(extracted, spec):
    """The folder to move into place: unwrap a single top folder named like the corpus.

    EmoDB's zip holds ``wav/`` and RAVDESS's holds ``Actor_XX/`` at top level:
    the extraction folder itself becomes ``emodb/`` or ``ravdess/``. An archive
    holding only ``emodb/`` (or ``CREMA-D/``, ...) is unwrapped once. Any other
    top folder is kept, since loaders search their folder recursively.
    """
    entries = [e for e in os.listdir(extracted) if not e.startswith(".") and e != "__MACOSX"]
    if len(entries) == 1:
        only = os.path.join(extracted, entries[0])
        if os.path.isdir(only) and entries[0].lower().replace("-", "_") == spec.folder:
            return only
    return extracted


def _download_and_extract(spec, home, url, sha256):
    root = Path(home) / spec.folder
    if url is None:
        url = spec.url
    if url is None:
        raise CorpusError(
            f"{spec.title} not found at {root}, and it has no single public archive that "
            f"sklearn-ser can download. {spec.manual_download} Then call load_{spec.name}(). "
            "If you have the corpus as an archive at an address you trust, pass url= and "
            "sha256= to fetch it from there."
        )
    expected = sha256 if sha256 is not None else spec.sha256
    if expected is None:
        raise CorpusError(
            f"Refusing to download {spec.title} from {url} without a SHA-256 digest to verify "
            f"it: sklearn-ser does not know the digest of this archive. Pass sha256='<64 hex "
            "digits>', the digest you trust (for example from `sha256sum` on a copy you "
            f"checked), or put the corpus in {root} by hand ({spec.manual_download})"
        )
    expected = check_digest_format(expected, "archive.zip")

    os.makedirs(home, exist_ok=True)
    archive = _download(url, home, expected, spec)
    extracted = os.path.join(home, f".{spec.folder}-{uuid.uuid4().hex}.extracting")
    try:
        os.mkdir(extracted)
        logger.info("Unpacking %s into %s", archive, root)
        _extract(archive, extracted, url)
        try:
            os.rename(_corpus_top(extracted, spec), root)
        except OSError:
            if not root.is_dir():
                raise
            logger.info("%s appeared meanwhile (another process?); keeping it", root)
    finally:
        shutil.rmtree(extracted, ignore_errors=True)
        os.remove(archive)


def _fetch(spec, data_home, download_if_missing, url, sha256, load_kwargs):
    """Load the corpus ``spec`` describes, downloading it first when it is missing."""
    spec = _spec(spec)
    name = spec.name
    unexpected = sorted(set(load_kwargs) - set(_LOAD_KWARGS))
    if unexpected:
        raise TypeError(
            f"fetch_{name}() got unexpected keyword argument(s) {unexpected}; it passes only "
            f"{list(_LOAD_KWARGS)} on to load_{name}()."
        )
    home = get_data_home(data_home)
    root = Path(home) / spec.folder
    if not root.is_dir():
        if not download_if_missing:
            raise CorpusError(
                f"{spec.title} not found: the folder {root} does not exist and "
                "download_if_missing=False. Pass download_if_missing=True to download it, "
                f"or point data_home= or SKLEARN_SER_DATA at the folder holding {spec.folder}/."
            )
        _download_and_extract(spec, home, url, sha256)
    return _load_one(spec, home, **load_kwargs)


def fetch_docstring(spec, *, summary, description, url, official_archive, examples):
    """The docstring of ``fetch_<corpus>``: what is shared written once, the rest per corpus.

    ``description`` says what happens when the corpus folder is missing; ``url``
    describes the ``url=`` parameter; ``official_archive`` says whether a public
    archive exists (then a download needs only ``sha256=``); ``examples`` is the
    Examples section's body, indented by four spaces.
    """
    name, title = spec.name, spec.title
    if official_archive:
        sha256 = ("SHA-256 digest (64 hexadecimal digits) the downloaded archive must\n"
                  "        match. sklearn-ser knows no trusted digest for the official archive,\n"
                  "        so a download needs this argument. Ignored when the corpus is\n"
                  "        present.")
        missing = ("When the corpus is missing and cannot be downloaded: no digest to\n"
                   "        verify it, ``download_if_missing=False``, or not an archive.")
        notes = """
    Notes
    -----
    The archive is streamed to a temporary file inside the data home while
    its digest is computed, unpacked into a temporary folder there and
    renamed into place in one step, so a half-downloaded or half-unpacked
    corpus never looks present. The archive is deleted afterwards.
"""
    else:
        sha256 = ("SHA-256 digest (64 hexadecimal digits) the archive must match;\n"
                  "        required with ``url=``. Ignored when the corpus is present.")
        missing = ("When the corpus is missing and cannot be downloaded (no ``url=``,\n"
                   "        no ``sha256=``, ``download_if_missing=False``, or not an archive).")
        notes = ""
    # Never break inside a word: addresses and ``literals`` must stay whole.
    wrap = textwrap.TextWrapper(width=78, initial_indent="    ", subsequent_indent="    ",
                                break_long_words=False, break_on_hyphens=False)
    url_wrap = textwrap.TextWrapper(width=78, initial_indent="        ",
                                    subsequent_indent="        ", break_long_words=False,
                                    break_on_hyphens=False)
    intro = wrap.fill(f"When ``<data_home>/{spec.folder}`` exists, this only calls "
                      f":func:`load_{name}`. {description}")
    return f"""{summary}

{intro}

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder that holds (or will hold) ``{spec.folder}/``; see
        :func:`get_data_home` (``SKLEARN_SER_DATA``, else
        ``~/sklearn_ser_data``). Created when a download is needed.
    download_if_missing : bool, default=True
        If False, raise :class:`~sklearn_ser.exceptions.CorpusError` instead
        of downloading a missing corpus.
    url : str, default=None
{url_wrap.fill(url)}
    sha256 : str, default=None
        {sha256}
    **load_kwargs
        ``harmonize=`` and ``strict=``, passed to :func:`load_{name}`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        As returned by :func:`load_{name}`.

    Raises
    ------
    CorpusError
        {missing}
    ChecksumError
        When the download does not match ``sha256``; nothing is left behind.
    OSError
        When the address cannot be reached.

    See Also
    --------
    load_{name} : Load {title} already on disk.
{notes}
    Examples
    --------
{examples}"""
