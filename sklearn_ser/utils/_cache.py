"""Content-addressed on-disk cache for per-item features.

A :class:`FeatureCache` stores arrays keyed by a digest of the item they were
computed from, under a folder named after the producing transformer and a
digest of its parameters::

    <location>/sklearn_ser/<namespace>/<params-digest>/<input-digest>.npy
    <location>/sklearn_ser/<namespace>/<params-digest>/packs/<pack>.npy
    <location>/sklearn_ser/<namespace>/<params-digest>/packs/<pack>.keys

An entry is either its own ``.npy`` file (:meth:`FeatureCache.put`, for
arrays of any shape) or one row of a *pack* (:meth:`FeatureCache.put_many`):
one ``.npy`` file stacking many same-shape arrays, and a ``.keys`` text file
naming their keys, row by row. A batch of images is then two files instead of
one per item: creating files, not writing bytes, is what a cache of many small
entries pays for (the cost of creating a file varies widely from folder to
folder and minute to minute; see the benchmarks page), and on a network file
system each creation is a round trip.

The input digest is computed from the *content* of a file (not its path or
modification time), so a renamed or copied corpus still hits the cache, and a
file edited in place misses it. Writes go to a temporary file in the same
folder that is then renamed over the final name (``os.replace``), so a reader,
a concurrent worker, or a process killed mid-write never sees a partial entry;
a pack's ``.keys`` file is renamed in only after its array, and a pack counts
only once both are there. Entries and packs are never modified, only added:
writers in several processes or machines never need a lock, and an item
stored twice is stored twice with the same content. A writer killed mid-write
leaves only its temporary file (``.<key>.*.tmp``), which is never read as an
entry; :meth:`FeatureCache.remove_stale_temporaries` deletes such files once
they are an hour old, and the front ends call it before they write.
"""

import hashlib
import io
import json
import os
import time
from pathlib import Path

import numpy as np

from ._files import write_atomically

#: Bump when the layout of cache entries changes.
_LAYOUT_VERSION = 1
#: Age in seconds after which a temporary file is taken as left by a killed writer (a live
#: writer keeps one for the milliseconds an ``np.save`` takes).
_STALE_TEMPORARY_S = 3600
_CHUNK = 1 << 20


def resolve_cache_location(memory):
    """Return the folder a ``memory=`` parameter points to, or ``None``.

    Parameters
    ----------
    memory : None, str, os.PathLike or joblib.Memory
        ``None`` disables caching. A path is used as the cache root. A
        :class:`joblib.Memory` contributes its ``location`` (``None`` there
        also disables caching).

    Returns
    -------
    location : str or None
    """
    if memory is None:
        return None
    if isinstance(memory, (str, os.PathLike)):
        return os.fspath(memory)
    location = getattr(memory, "location", "missing")
    if location == "missing":
        raise TypeError(
            "memory must be None, a folder path or a joblib.Memory, "
            f"got {type(memory).__name__}; pass memory='path/to/cache' to enable caching."
        )
    return None if location is None else os.fspath(location)


def digest_params(params):
    """Stable hex digest of a JSON-serialisable mapping of parameters."""
    text = json.dumps(params, sort_keys=True, default=repr)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


#: Digests of files already read in this process, keyed by their stat signature
#: (path, device, inode, size, modification time in ns): like git's index, a file whose
#: signature is unchanged is not read again; any change to it forces a new digest.
_FILE_DIGESTS = {}
_MAX_MEMO = 200_000


def _file_digest(path):
    st = os.stat(path)
    signature = (os.path.abspath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    digest = _FILE_DIGESTS.get(signature)
    if digest is None:
        h = hashlib.blake2b(digest_size=16)
        h.update(b"file:")
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(_CHUNK), b""):
                h.update(block)
        digest = h.hexdigest()
        if len(_FILE_DIGESTS) >= _MAX_MEMO:
            _FILE_DIGESTS.clear()
        _FILE_DIGESTS[signature] = digest
    return digest


def digest_item(item):
    """Hex digest identifying one input item by content.

    Parameters
    ----------
    item : str, os.PathLike or array-like
        A file is digested by its bytes (remembered for the process while the
        file's path, inode, size and modification time stay the same); an
        array by its dtype, shape and bytes.

    Returns
    -------
    digest : str
    """
    if isinstance(item, (str, os.PathLike)):
        return _file_digest(item)
    arr = np.ascontiguousarray(item)
    h = hashlib.blake2b(digest_size=16)
    h.update(f"array:{arr.dtype.str}:{arr.shape}:".encode())
    h.update(arr.tobytes())
    return h.hexdigest()


#: ``.npy`` headers already built, per (shape, dtype): a corpus's entries share a few.
_NPY_HEADERS = {}


def _npy_header(shape, dtype):
    """The ``.npy`` (format 1.0) header ``np.save`` writes for a C-contiguous array."""
    key = (tuple(shape), dtype.str)
    header = _NPY_HEADERS.get(key)
    if header is None:
        buffer = io.BytesIO()
        np.lib.format.write_array_header_1_0(buffer, {
            "descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False,
            "shape": tuple(shape)})
        header = buffer.getvalue()
        if len(_NPY_HEADERS) >= 1024:
            _NPY_HEADERS.clear()
        _NPY_HEADERS[key] = header
    return header


def _read_npy_header(fh):
    """``(shape, fortran_order, dtype)`` of the ``.npy`` file ``fh``, left at its data."""
    fmt = np.lib.format
    version = fmt.read_magic(fh)
    read_header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
    return read_header(fh)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _write_npy(fh, array):
    """Write the bytes ``np.save(fh, array, allow_pickle=False)`` writes.

    A C-contiguous array goes out as its cached header, then its buffer in
    ``os.write`` calls on the file descriptor, past the buffered file object,
    which releases the GIL, so that thread workers writing cache entries share
    the work instead of queueing on it. Anything else (not C-contiguous,
    objects, a header too large for format 1.0) goes through ``np.save``.
    """
    if array.flags.c_contiguous and not array.dtype.hasobject:
        try:
            header = _npy_header(array.shape, array.dtype)
        except ValueError:
            pass
        else:
            _write_header_and_data(fh, header, [array])
            return
    np.save(fh, array, allow_pickle=False)


def _write_header_and_data(fh, header, arrays):
    """Write ``header``, then the buffers of the C-contiguous ``arrays`` with ``os.write``."""
    fh.write(header)
    fh.flush()
    for array in arrays:
        _write_all(fh.fileno(), array.reshape(-1).view(np.uint8))


class FeatureCache:
    """On-disk store of one array per input item, keyed by content digest (own file or pack row).

    Parameters
    ----------
    location : str or os.PathLike
        Cache root folder; created on first write.
    namespace : str
        Name of the producer, e.g. ``"LogMelImage"``.
    params : dict
        Parameters that determine the output; their digest names the folder,
        so changing any of them can never return a stale entry.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> cache = FeatureCache(tempfile.mkdtemp(), "Demo", {"scale": 2})
    >>> cache.get_or_compute("k", lambda: np.arange(3) * 2)
    array([0, 2, 4])
    >>> cache.get("k")
    array([0, 2, 4])
    """

    def __init__(self, location, namespace, params):
        self.location = os.fspath(location)
        self.namespace = namespace
        self.params = params
        self.folder = Path(self.location, "sklearn_ser", namespace,
                           f"v{_LAYOUT_VERSION}-{digest_params(params)}")
        self._index = None  # key -> (pack, row, n_rows), read from the folder on first use
        self._packs = {}  # pack -> (path, data offset, row shape, dtype), or False if unusable

    def __getstate__(self):
        # Sent to worker processes without what it read of the folder; each reads its own.
        state = self.__dict__.copy()
        state["_index"], state["_packs"] = None, {}
        return state

    @property
    def pack_folder(self):
        """Folder of the packs written by :meth:`put_many`."""
        return self.folder / "packs"

    def _pack_index(self):
        if self._index is None:
            index = {}
            try:
                with os.scandir(self.pack_folder) as it:
                    names = sorted(e.name[:-5] for e in it
                                   if e.name.endswith(".keys") and not e.name.startswith("."))
            except (FileNotFoundError, NotADirectoryError):
                names = []
            for name in names:
                try:
                    keys = (self.pack_folder / f"{name}.keys").read_text().split()
                except (OSError, UnicodeDecodeError):
                    continue
                for row, key in enumerate(keys):
                    index.setdefault(key, (name, row, len(keys)))
            self._index = index
        return self._index

    def _pack_layout(self, name, n_rows):
        """(path, data offset, row shape, dtype) of a pack, or ``None`` if it is unusable."""
        layout = self._packs.get(name)
        if layout is None:
            path = self.pack_folder / f"{name}.npy"
            layout = False
            try:
                with open(path, "rb") as fh:
                    shape, fortran_order, dtype = _read_npy_header(fh)
                    offset = fh.tell()
                    size = os.fstat(fh.fileno()).st_size
            except (FileNotFoundError, ValueError, EOFError, OSError):
                pass
            else:
                # A pack must match its key list and hold all its rows; anything else is
                # not one this cache wrote, and its keys are misses.
                if (len(shape) >= 1 and shape[0] == n_rows and not dtype.hasobject
                        and not (fortran_order and len(shape) > 1)
                        and size >= offset + n_rows * dtype.itemsize * int(np.prod(shape[1:]))):
                    layout = (path, offset, tuple(shape[1:]), dtype)
            self._packs[name] = layout
        return layout or None

    def _read_pack_row(self, key, out=None):
        """Read ``key``'s row of its pack into ``out`` (or a new array); ``None`` on a miss."""
        where = self._pack_index().get(key)
        if where is None:
            return None
        name, row, n_rows = where
        layout = self._pack_layout(name, n_rows)
        if layout is None:
            return None
        path, offset, shape, dtype = layout
        if out is None:
            out = np.empty(shape, dtype)
        elif out.shape != shape or out.dtype != dtype or not out.flags.c_contiguous:
            return None
        try:
            with open(path, "rb", buffering=0) as fh:
                fh.seek(offset + row * out.nbytes)
                if fh.readinto(memoryview(out).cast("B")) != out.nbytes:
                    return None
        except OSError:
            return None
        return out

    def path_for(self, key):
        """Path of the entry for ``key`` (which need not exist)."""
        return self.folder / f"{key}.npy"

    def get(self, key):
        """Return the stored array for ``key``, or ``None`` on a miss.

        An unreadable entry (which atomic writes make unlikely, but a full disk
        or an outside edit can cause) is treated as a miss.
        """
        row = self._read_pack_row(key)
        if row is not None:
            return row
        path = self.path_for(key)
        try:
            return np.load(path, allow_pickle=False)
        except (FileNotFoundError, ValueError, EOFError, OSError):
            return None

    def get_into(self, key, out):
        """Read the entry for ``key`` straight into ``out``; return whether it was a hit.

        Saves :meth:`get`'s allocation and the caller's copy into a stacked
        batch (half the memory traffic of a warm ``LogMelImage`` run). An entry
        that is missing, unreadable, truncated, or whose dtype or shape differs
        from ``out``'s is a miss, and ``out`` is then unspecified.

        Parameters
        ----------
        key : str
        out : ndarray, C-contiguous
            Destination, e.g. one row of a preallocated batch.

        Returns
        -------
        hit : bool

        Examples
        --------
        >>> import tempfile, numpy as np
        >>> cache = FeatureCache(tempfile.mkdtemp(), "Demo", {})
        >>> cache.put("k", np.arange(3.0))
        >>> out = np.empty(3)
        >>> cache.get_into("k", out), out
        (True, array([0., 1., 2.]))
        >>> cache.get_into("k", np.empty(4)), cache.get_into("missing", out)
        (False, False)
        """
        if self._read_pack_row(key, out) is not None:
            return True
        if not out.flags.c_contiguous:
            cached = self.get(key)
            if cached is None or cached.shape != out.shape or cached.dtype != out.dtype:
                return False
            out[...] = cached
            return True
        try:
            with open(self.path_for(key), "rb") as fh:
                shape, fortran_order, dtype = _read_npy_header(fh)
                if shape != out.shape or dtype != out.dtype or (fortran_order and out.ndim > 1):
                    return False
                return fh.readinto(memoryview(out).cast("B")) == out.nbytes
        except (FileNotFoundError, ValueError, EOFError, OSError):
            return False

    def put(self, key, array):
        """Store ``array`` under ``key`` atomically (temporary file + rename).

        The entry is the file ``np.save`` writes; objects are refused
        (``ValueError``), as ``np.save(..., allow_pickle=False)`` refuses them.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        array = np.asarray(array)
        write_atomically(self.path_for(key), lambda fh: _write_npy(fh, array),
                         prefix=f".{key}.")

    def put_many(self, keys, arrays):
        """Store same-shape arrays under their keys as one pack: two files for any number.

        The pack's array (the arrays stacked, as ``np.save`` writes it) and
        then its key list are each written atomically; the entries are found
        by :meth:`get` and :meth:`get_into` like single ones.

        Parameters
        ----------
        keys : sequence of str
            One key per array, without whitespace.
        arrays : sequence of ndarray
            Same shape and dtype; no objects.

        Examples
        --------
        >>> import tempfile, numpy as np
        >>> cache = FeatureCache(tempfile.mkdtemp(), "Demo", {})
        >>> cache.put_many(["a", "b"], [np.zeros(2), np.ones(2)])
        >>> cache.get("b"), sorted(cache.keys())
        (array([1., 1.]), ['a', 'b'])
        """
        keys = [str(key) for key in keys]
        if len(keys) != len(arrays):
            raise ValueError(f"put_many got {len(keys)} keys for {len(arrays)} arrays; "
                             "pass one key per array.")
        if not keys:
            return
        if any(key.split() != [key] for key in keys):
            raise ValueError("Cache keys must be non-empty and contain no whitespace.")
        arrays = [np.ascontiguousarray(array) for array in arrays]
        first = arrays[0]
        if first.dtype.hasobject:
            raise ValueError("Object arrays cannot be cached (they would need pickling).")
        for array in arrays[1:]:
            if array.shape != first.shape or array.dtype != first.dtype:
                raise ValueError(
                    "put_many stores arrays of one shape and dtype; got "
                    f"{first.shape} {first.dtype} and {array.shape} {array.dtype}. "
                    "Store arrays of other shapes with put().")
        header = _npy_header((len(arrays),) + first.shape, first.dtype)
        name = hashlib.blake2b("\n".join(keys).encode(), digest_size=16).hexdigest()
        self.pack_folder.mkdir(parents=True, exist_ok=True)
        write_atomically(self.pack_folder / f"{name}.npy",
                         lambda fh: _write_header_and_data(fh, header, arrays),
                         prefix=f".{name}.")
        write_atomically(self.pack_folder / f"{name}.keys",
                         lambda fh: fh.write("\n".join(keys).encode()), prefix=f".{name}.")
        if self._index is not None:
            for row, key in enumerate(keys):
                self._index.setdefault(key, (name, row, len(keys)))

    def keys(self):
        """The keys of every stored entry, single files and packs, as a set.

        Reads the folder again, so entries other processes stored since are included.
        """
        found = set()
        if self.folder.is_dir():
            found.update(path.stem for path in self.folder.glob("*.npy"))
        self._index = None
        found.update(self._pack_index())
        return found

    def remove_stale_temporaries(self, older_than=_STALE_TEMPORARY_S):
        """Delete temporary files that writers killed mid-write left in the folder.

        Parameters
        ----------
        older_than : float, default=3600
            Only temporary files last modified more than this many seconds ago
            are deleted, so that concurrent writers keep theirs.

        Returns
        -------
        n_removed : int
        """
        now = time.time()
        n_removed = 0
        for folder in (self.folder, self.pack_folder):
            try:
                entries = os.scandir(folder)
            except (FileNotFoundError, NotADirectoryError):
                continue
            with entries:
                for entry in entries:
                    if not (entry.name.startswith(".") and entry.name.endswith(".tmp")):
                        continue
                    try:
                        if now - entry.stat().st_mtime > older_than:
                            os.unlink(entry.path)
                            n_removed += 1
                    except FileNotFoundError:  # its writer finished or another process did it
                        pass
        return n_removed

    def get_or_compute(self, key, compute):
        """Return the cached array for ``key``, computing and storing it on a miss."""
        cached = self.get(key)
        if cached is not None:
            return cached
        value = compute()
        self.put(key, value)
        return value

    def __len__(self):
        return len(self.keys())
