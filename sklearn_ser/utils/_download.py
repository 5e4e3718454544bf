"""Streaming downloads checked against SHA-256 digests (corpora and pretrained weights).

Nothing here runs at import. A download only ever goes to a temporary file in the
destination folder, which is deleted if anything goes wrong; the callers compare the
digest and move the file into place.
"""

import hashlib
import os
import re
import tempfile
import urllib.error
import urllib.request

CHUNK_SIZE = 1 << 20
TIMEOUT_S = 60
_SHA256_RE = re.compile(r"^[0-9a-fA-F]{64}$")


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
