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
import uuid
import zipfile
from pathlib import Path, PurePosixPath

from ..exceptions import ChecksumError, CorpusError
from ..utils._files import check_digest_format, download_to_temporary
from ._base import _load_one, get_data_home
from ._corpora import CORPORA

__all__ = ["fetch_crema_d", "fetch_emodb", "fetch_ravdess", "fetch_savee", "fetch_tess"]

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


def _fetch(name, data_home, download_if_missing, url, sha256, load_kwargs):
    spec = CORPORA[name]
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
    return _load_one(name, home, **load_kwargs)


def fetch_emodb(data_home=None, *, download_if_missing=True, url=None, sha256=None, **load_kwargs):
    """Load EmoDB, downloading its archive first when it is missing.

    When ``<data_home>/emodb`` exists, this only calls :func:`load_emodb`.
    Otherwise it downloads the official archive
    (``http://emodb.bilderbar.info/download/download.zip``, which holds
    ``wav/`` at its top), verifies its SHA-256 digest, unpacks it into
    ``<data_home>/emodb`` and loads it.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder that holds (or will hold) ``emodb/``; see
        :func:`get_data_home` (``SKLEARN_SER_DATA``, else
        ``~/sklearn_ser_data``). Created when a download is needed.
    download_if_missing : bool, default=True
        If False, raise :class:`~sklearn_ser.exceptions.CorpusError` instead
        of downloading a missing corpus.
    url : str, default=None
        Address of the archive (zip or tar; ``file://`` works too). Defaults
        to the official address above.
    sha256 : str, default=None
        SHA-256 digest (64 hexadecimal digits) the downloaded archive must
        match. sklearn-ser knows no trusted digest for the official archive,
        so a download needs this argument. Ignored when the corpus is
        present.
    **load_kwargs
        ``harmonize=`` and ``strict=``, passed to :func:`load_emodb`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        As returned by :func:`load_emodb`.

    Raises
    ------
    CorpusError
        When the corpus is missing and cannot be downloaded: no digest to
        verify it, ``download_if_missing=False``, or not an archive.
    ChecksumError
        When the download does not match ``sha256``; nothing is left behind.
    OSError
        When the address cannot be reached.

    See Also
    --------
    load_emodb : Load EmoDB already on disk.

    Notes
    -----
    The archive is streamed to a temporary file inside the data home while
    its digest is computed, unpacked into a temporary folder there and
    renamed into place in one step, so a half-downloaded or half-unpacked
    corpus never looks present. The archive is deleted afterwards.

    Examples
    --------
    >>> from sklearn_ser.datasets import fetch_emodb
    >>> emodb = fetch_emodb(sha256="<digest you trust>")  # doctest: +SKIP
    >>> len(emodb.filenames)  # doctest: +SKIP
    535
    """
    return _fetch("emodb", data_home, download_if_missing, url, sha256, load_kwargs)


def fetch_ravdess(
    data_home=None, *, download_if_missing=True, url=None, sha256=None, **load_kwargs
):
    """Load RAVDESS speech, downloading its archive first when it is missing.

    When ``<data_home>/ravdess`` exists, this only calls :func:`load_ravdess`.
    Otherwise it downloads the official speech archive
    (``https://zenodo.org/record/1188976/files/Audio_Speech_Actors_01-24.zip``,
    about 200 MB holding ``Actor_01/`` .. ``Actor_24/`` at its top), verifies
    its SHA-256 digest, unpacks it into ``<data_home>/ravdess`` and loads it.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder that holds (or will hold) ``ravdess/``; see
        :func:`get_data_home` (``SKLEARN_SER_DATA``, else
        ``~/sklearn_ser_data``). Created when a download is needed.
    download_if_missing : bool, default=True
        If False, raise :class:`~sklearn_ser.exceptions.CorpusError` instead
        of downloading a missing corpus.
    url : str, default=None
        Address of the archive (zip or tar; ``file://`` works too). Defaults
        to the official address above.
    sha256 : str, default=None
        SHA-256 digest (64 hexadecimal digits) the downloaded archive must
        match. sklearn-ser knows no trusted digest for the official archive,
        so a download needs this argument. Ignored when the corpus is
        present.
    **load_kwargs
        ``harmonize=`` and ``strict=``, passed to :func:`load_ravdess`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        As returned by :func:`load_ravdess`.

    Raises
    ------
    CorpusError
        When the corpus is missing and cannot be downloaded: no digest to
        verify it, ``download_if_missing=False``, or not an archive.
    ChecksumError
        When the download does not match ``sha256``; nothing is left behind.
    OSError
        When the address cannot be reached.

    See Also
    --------
    load_ravdess : Load RAVDESS already on disk.

    Notes
    -----
    The archive is verified before it is unpacked, and unpacked into a
    temporary folder that is renamed into place in one step; see
    :func:`fetch_emodb`.

    Examples
    --------
    >>> from sklearn_ser.datasets import fetch_ravdess
    >>> ravdess = fetch_ravdess(sha256="<digest you trust>")  # doctest: +SKIP
    >>> len(ravdess.filenames)  # doctest: +SKIP
    1440
    """
    return _fetch("ravdess", data_home, download_if_missing, url, sha256, load_kwargs)


def fetch_tess(data_home=None, *, download_if_missing=True, url=None, sha256=None, **load_kwargs):
    """Load TESS; download it only from an archive address you give.

    When ``<data_home>/tess`` exists, this only calls :func:`load_tess`.
    TESS has no single official archive (the University of Toronto
    Dataverse, https://doi.org/10.5683/SP2/E8H2MF, serves its files one
    folder at a time), so without ``url=`` a missing corpus raises an error
    that explains where to get it and where to put it: any sub-folders of
    ``<data_home>/tess/`` will do.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder that holds (or will hold) ``tess/``; see
        :func:`get_data_home` (``SKLEARN_SER_DATA``, else
        ``~/sklearn_ser_data``). Created when a download is needed.
    download_if_missing : bool, default=True
        If False, raise :class:`~sklearn_ser.exceptions.CorpusError` instead
        of downloading a missing corpus.
    url : str, default=None
        Address of an archive (zip or tar; ``file://`` works too) holding
        the TESS wav files in any folders.
    sha256 : str, default=None
        SHA-256 digest (64 hexadecimal digits) the archive must match;
        required with ``url=``. Ignored when the corpus is present.
    **load_kwargs
        ``harmonize=`` and ``strict=``, passed to :func:`load_tess`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        As returned by :func:`load_tess`.

    Raises
    ------
    CorpusError
        When the corpus is missing and cannot be downloaded (no ``url=``,
        no ``sha256=``, ``download_if_missing=False``, or not an archive).
    ChecksumError
        When the download does not match ``sha256``; nothing is left behind.
    OSError
        When the address cannot be reached.

    See Also
    --------
    load_tess : Load TESS already on disk.

    Examples
    --------
    >>> from sklearn_ser.datasets import fetch_tess
    >>> tess = fetch_tess(url="file:///archives/tess.zip",
    ...                   sha256="<digest you trust>")  # doctest: +SKIP
    """
    return _fetch("tess", data_home, download_if_missing, url, sha256, load_kwargs)


def fetch_savee(data_home=None, *, download_if_missing=True, url=None, sha256=None, **load_kwargs):
    """Load SAVEE; download it only from an archive address you give.

    When ``<data_home>/savee`` exists, this only calls :func:`load_savee`.
    SAVEE is distributed after registration at
    http://kahlan.eps.surrey.ac.uk/savee/, so without ``url=`` a missing
    corpus raises an error that explains where to get it and where to put
    it (``<data_home>/savee/AudioData/DC/a01.wav`` or
    ``<data_home>/savee/ALL/DC_a01.wav``).

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder that holds (or will hold) ``savee/``; see
        :func:`get_data_home` (``SKLEARN_SER_DATA``, else
        ``~/sklearn_ser_data``). Created when a download is needed.
    download_if_missing : bool, default=True
        If False, raise :class:`~sklearn_ser.exceptions.CorpusError` instead
        of downloading a missing corpus.
    url : str, default=None
        Address of an archive (zip or tar; ``file://`` works too) holding
        the SAVEE audio in either layout.
    sha256 : str, default=None
        SHA-256 digest (64 hexadecimal digits) the archive must match;
        required with ``url=``. Ignored when the corpus is present.
    **load_kwargs
        ``harmonize=`` and ``strict=``, passed to :func:`load_savee`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        As returned by :func:`load_savee`.

    Raises
    ------
    CorpusError
        When the corpus is missing and cannot be downloaded (no ``url=``,
        no ``sha256=``, ``download_if_missing=False``, or not an archive).
    ChecksumError
        When the download does not match ``sha256``; nothing is left behind.
    OSError
        When the address cannot be reached.

    See Also
    --------
    load_savee : Load SAVEE already on disk.

    Examples
    --------
    >>> from sklearn_ser.datasets import fetch_savee
    >>> savee = fetch_savee(url="file:///archives/AudioData.zip",
    ...                     sha256="<digest you trust>")  # doctest: +SKIP
    """
    return _fetch("savee", data_home, download_if_missing, url, sha256, load_kwargs)


def fetch_crema_d(
    data_home=None, *, download_if_missing=True, url=None, sha256=None, **load_kwargs
):
    """Load CREMA-D; download it only from an archive address you give.

    When ``<data_home>/crema_d`` exists, this only calls
    :func:`load_crema_d`. CREMA-D's audio lives in Git LFS storage of
    https://github.com/CheyneyComputerScience/CREMA-D rather than in one
    archive, so without ``url=`` a missing corpus raises an error that
    explains how to get it (``git lfs`` clone) and where to put it
    (``<data_home>/crema_d/AudioWAV/``).

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder that holds (or will hold) ``crema_d/``; see
        :func:`get_data_home` (``SKLEARN_SER_DATA``, else
        ``~/sklearn_ser_data``). Created when a download is needed.
    download_if_missing : bool, default=True
        If False, raise :class:`~sklearn_ser.exceptions.CorpusError` instead
        of downloading a missing corpus.
    url : str, default=None
        Address of an archive (zip or tar; ``file://`` works too) holding
        ``AudioWAV/`` or the wav files in any folders.
    sha256 : str, default=None
        SHA-256 digest (64 hexadecimal digits) the archive must match;
        required with ``url=``. Ignored when the corpus is present.
    **load_kwargs
        ``harmonize=`` and ``strict=``, passed to :func:`load_crema_d`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        As returned by :func:`load_crema_d`.

    Raises
    ------
    CorpusError
        When the corpus is missing and cannot be downloaded (no ``url=``,
        no ``sha256=``, ``download_if_missing=False``, or not an archive).
    ChecksumError
        When the download does not match ``sha256``; nothing is left behind.
    OSError
        When the address cannot be reached.

    See Also
    --------
    load_crema_d : Load CREMA-D already on disk.

    Examples
    --------
    >>> from sklearn_ser.datasets import fetch_crema_d
    >>> crema = fetch_crema_d(url="file:///archives/crema_d.tar.gz",
    ...                       sha256="<digest you trust>")  # doctest: +SKIP
    """
    return _fetch("crema_d", data_home, download_if_missing, url, sha256, load_kwargs)
