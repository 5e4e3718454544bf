"""FeatureCache and digests: content addressing, atomic writes, parameter folders."""

import os
import time

import joblib
import numpy as np
import pytest

from sklearn_ser.utils import FeatureCache, digest_item, digest_params, resolve_cache_location


def test_file_digest_follows_content(tmp_path):
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"hello")
    b.write_bytes(b"hello")
    assert digest_item(a) == digest_item(str(b))  # same content, different path
    time.sleep(0.01)
    a.write_bytes(b"hellp")  # same size, new content and mtime
    assert digest_item(a) != digest_item(b)


def test_file_digest_sees_in_place_edit_with_restored_mtime(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"abc")
    first = digest_item(path)
    st = os.stat(path)
    path.write_bytes(b"abcd")  # size changes even if the mtime were restored
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert digest_item(path) != first


def test_array_digest_includes_dtype_and_shape():
    x = np.zeros(4, dtype=np.float32)
    assert digest_item(x) != digest_item(x.astype(np.float64))
    assert digest_item(x) != digest_item(x.reshape(2, 2))
    assert digest_item(x) == digest_item(x.copy())


def test_params_digest_is_order_independent():
    assert digest_params({"a": 1, "b": 2}) == digest_params({"b": 2, "a": 1})
    assert digest_params({"a": 1}) != digest_params({"a": 2})


def test_put_get_and_atomicity(tmp_path):
    cache = FeatureCache(tmp_path, "T", {"p": 1})
    assert cache.get("k") is None and len(cache) == 0
    cache.put("k", np.arange(3))
    np.testing.assert_array_equal(cache.get("k"), np.arange(3))
    assert len(cache) == 1 and not list(cache.folder.glob("*.tmp"))
    # a partial file (as left by a killed writer under another name) is never read as an entry
    (cache.folder / ".k2.123.tmp").write_bytes(b"\x93NUMPY partial")
    assert cache.get("k2") is None and len(cache) == 1


def test_corrupt_entry_is_a_miss(tmp_path):
    cache = FeatureCache(tmp_path, "T", {})
    cache.put("k", np.ones(2))
    cache.path_for("k").write_bytes(b"garbage")
    assert cache.get("k") is None
    assert cache.get_or_compute("k", lambda: np.zeros(2)).tolist() == [0, 0]


def test_failed_write_leaves_no_temp_file(tmp_path):
    cache = FeatureCache(tmp_path, "T", {})
    with pytest.raises(ValueError):
        cache.put("k", np.array([object()], dtype=object))  # allow_pickle=False refuses
    assert not list(cache.folder.glob("*"))


@pytest.mark.parametrize("array", [
    np.arange(12, dtype=np.float32).reshape(1, 3, 4),
    np.array(2.5),  # 0-d
    np.zeros((0, 5)),  # empty
    np.array([True, False]),
    np.arange(6, dtype=np.float16),
    np.array([1 + 2j, 3 - 4j], dtype=np.complex64),
    np.arange(6, dtype=">i4"),  # big-endian
    np.arange(20.0).reshape(4, 5)[:, ::2],  # not contiguous: through np.save
    np.asfortranarray(np.arange(20.0).reshape(4, 5)),  # Fortran order: through np.save
    np.array(["ab", "c"]),
], ids=lambda a: f"{a.dtype.str}{a.shape}")
def test_entries_are_the_files_np_save_writes(tmp_path, array):
    cache = FeatureCache(tmp_path, "T", {})
    cache.put("k", array)
    expected = tmp_path / "expected.npy"
    np.save(expected, array, allow_pickle=False)
    assert cache.path_for("k").read_bytes() == expected.read_bytes()
    got = cache.get("k")
    assert got.dtype == array.dtype and got.shape == array.shape
    np.testing.assert_array_equal(got, array)


def test_write_interrupted_midway_leaves_no_entry_and_no_temp_file(tmp_path, monkeypatch):
    from sklearn_ser.utils import _cache

    cache = FeatureCache(tmp_path, "T", {})
    cache.put("k", np.zeros(3))
    calls = []

    def failing_write(fd, data):  # the header went through the file object, the data fails
        calls.append(len(data))
        os.write(fd, bytes(data)[:8])
        raise KeyboardInterrupt

    monkeypatch.setattr(_cache, "_write_all", failing_write)
    with pytest.raises(KeyboardInterrupt):
        cache.put("k", np.ones(3))
    with pytest.raises(KeyboardInterrupt):
        cache.put("other", np.ones(3))
    assert calls == [24, 24]  # the data of both puts, cut short
    np.testing.assert_array_equal(cache.get("k"), np.zeros(3))  # the old entry is intact
    assert cache.get("other") is None
    assert sorted(p.name for p in cache.folder.iterdir()) == ["k.npy"]


def test_resolve_cache_location(tmp_path):
    assert resolve_cache_location(None) is None
    assert resolve_cache_location(tmp_path) == str(tmp_path)
    assert resolve_cache_location(joblib.Memory(tmp_path, verbose=0)) == str(tmp_path)
    assert resolve_cache_location(joblib.Memory(None)) is None
    with pytest.raises(TypeError, match="memory must be"):
        resolve_cache_location(3)
