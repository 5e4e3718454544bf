"""Files written whole or not at all, their SHA-256 digests, and checked downloads.

Used by the feature cache, checkpoints, saved models, corpora and pretrained weights.
Nothing here runs at import. A download only ever goes to a temporary file in the
destination folder, which is deleted if anything goes wrong; the callers compare the
digest and move the file into place.
"""

import contextlib
import hashlib
import itertools
import os
import platform
import re
import tempfile
import threading
import urllib.error
import urllib.request

CHUNK_SIZE = 1 << 20
TIMEOUT_S = 60
_SHA256_RE = re.compile(r"^[0-9a-fA-F]{64}$")


#: Makes temporary names unique within a thread (with the process and thread ids).
_TEMPORARY_COUNTER = itertools.count()


def write_atomically(path, write, *, prefix, fsync=False):
    """Write a file so that ``path`` never holds a partial one.

    ``write(fh)`` fills a temporary file (``prefix`` + process id, thread id
    and a counter + ``.tmp``, created exclusively and readable by the owner
    only, as ``tempfile.mkstemp`` does) in ``path``'s folder, which is then
    renamed over ``path`` (``os.replace``); on any failure, Ctrl-C included,
    the temporary file is removed and the error re-raised. ``fsync=True``
    flushes the data to disk before the rename. The name is unique without
    ``mkstemp``'s random names and retries, Python work under the GIL that
    thread workers writing many small cache entries would queue on.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder, "a.txt")
    ...     write_atomically(path, lambda fh: fh.write(b"done"), prefix=".a-")
    ...     path.read_bytes(), sorted(p.name for p in pathlib.Path(folder).iterdir())
    (b'done', ['a.txt'])
    """
    folder = os.path.dirname(os.fspath(path)) or "."
    tmp = os.path.join(folder, f"{prefix}{os.getpid()}-{threading.get_ident()}-"
                               f"{next(_TEMPORARY_COUNTER)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def sha256_file(path):
    """SHA-256 digest of a file's content, 64 lower-case hex digits, read in 1 MiB chunks.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder, "w.bin")
    ...     _ = path.write_bytes(b"abc")
    ...     sha256_file(path) == hashlib.sha256(b"abc").hexdigest()
    True
    """
    hasher = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK_SIZE), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def library_versions():
    """Versions of Python and of the libraries a saved model or a result depends on.

    Examples
    --------
    >>> sorted(library_versions())[:3]
    ['joblib', 'numpy', 'python']
    """
    import joblib
    import numpy as np
    import sklearn
    import skorch
    import torch

    import sklearn_ser

    return {
        "python": platform.python_version(),
        "sklearn_ser": sklearn_ser.__version__,
        "scikit-learn": sklearn.__version__,
        "skorch": skorch.__version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "joblib": joblib.__version__,
    }


def check_digest_format(sha256, example="FILE"):
    """Return ``sha256`` in lower case, or raise ``ValueError`` unless it is 64 hex digits.

    ``example`` names the file in the hint (``sha256sum <example>``).

    Examples
    --------
    >>> check_digest_format("A" * 64) == "a" * 64
    True
    """
    if not isinstance(sha256, str) or _SHA256_RE.match(sha256) is None:
        raise ValueError(
            f"sha256 must be a SHA-256 digest of 64 hexadecimal digits; got {sha256!r}. "
            f"Compute it with `sha256sum {example}` on a copy you trust."
        )
    return sha256.lower()


def download_to_temporary(url, folder, *, prefix, source, manual):
    """Stream ``url`` into a temporary file in ``folder`` while hashing it.

    Parameters
    ----------
    url : str
    folder : path-like
        Existing folder that receives the temporary file.
    prefix : str
        Prefix of the temporary file's name.
    source, manual : str
        Used in the error for an unreachable address: "Could not download
        {source}: ... or put {manual} by hand."

    Returns
    -------
    path : str
        The temporary file (suffix ``.download``); the caller moves or deletes it.
    sha256 : str
        Its digest, 64 lower-case hex digits.

    Raises
    ------
    OSError
        When the address cannot be reached; nothing is left behind, as for any
        other failure (including Ctrl-C).
    """
    fd, part = tempfile.mkstemp(prefix=prefix, suffix=".download", dir=folder)
    hasher = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                response = urllib.request.urlopen(url, timeout=TIMEOUT_S)
            except urllib.error.URLError as exc:
                raise OSError(
                    f"Could not download {source}: {exc.reason}. Check the address and the "
                    f"connection, or put {manual} by hand."
                ) from exc
            with response:
                for chunk in iter(lambda: response.read(CHUNK_SIZE), b""):
                    hasher.update(chunk)
                    out.write(chunk)
    except BaseException:
        os.remove(part)
        raise
    return part, hasher.hexdigest()
