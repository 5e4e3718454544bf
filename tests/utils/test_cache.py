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


# ------------------------------------------------------------------ packs (put_many)

def test_pack_is_the_stacked_np_save_file_and_its_rows_are_entries(tmp_path):
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(1, 5, 4)).astype(np.float32) for _ in range(7)]
    keys = [f"k{i}" for i in range(7)]
    cache = FeatureCache(tmp_path, "T", {"a": 1})
    cache.put_many(keys, arrays)
    packs = sorted(p.name for p in cache.pack_folder.iterdir())
    assert len(packs) == 2 and packs[0].endswith(".keys") and packs[1].endswith(".npy")
    expected = tmp_path / "expected.npy"
    np.save(expected, np.stack(arrays), allow_pickle=False)
    assert (cache.pack_folder / packs[1]).read_bytes() == expected.read_bytes()

    fresh = FeatureCache(tmp_path, "T", {"a": 1})  # reads the folder, as another process would
    assert fresh.keys() == set(keys) and len(fresh) == 7
    out = np.full((7, 1, 5, 4), np.nan, np.float32)
    for i in (6, 0, 3):
        assert fresh.get_into(keys[i], out[i])
        np.testing.assert_array_equal(out[i], arrays[i])
        np.testing.assert_array_equal(fresh.get(keys[i]), arrays[i])
    assert not fresh.get_into("k1", np.empty((1, 5, 5), np.float32))  # other shape: a miss
    assert not fresh.get_into("k1", np.empty((1, 5, 4), np.float64))  # other dtype
    assert fresh.get("missing") is None
    # single entries and packs live side by side
    fresh.put("single", np.arange(3))
    assert fresh.keys() == set(keys) | {"single"}


def test_pack_without_its_key_list_or_cut_short_is_a_miss(tmp_path):
    cache = FeatureCache(tmp_path, "T", {})
    cache.put_many(["a", "b"], [np.zeros(4), np.ones(4)])
    (keys_file,) = cache.pack_folder.glob("*.keys")
    pack = keys_file.with_suffix(".npy")
    content = pack.read_bytes()

    pack.write_bytes(content[:-8])  # truncated: the last row is incomplete
    cut = FeatureCache(tmp_path, "T", {})
    assert cut.get("a") is None and not cut.get_into("b", np.empty(4))

    pack.write_bytes(content)
    keys_file.write_text("a\nb\nc")  # key list longer than the pack: not one the cache wrote
    assert FeatureCache(tmp_path, "T", {}).get("a") is None

    keys_file.unlink()  # a writer killed between the array and its key list
    assert FeatureCache(tmp_path, "T", {}).keys() == set()


def test_put_many_refuses_mixed_shapes_objects_and_bad_keys(tmp_path):
    cache = FeatureCache(tmp_path, "T", {})
    with pytest.raises(ValueError, match="one shape and dtype"):
        cache.put_many(["a", "b"], [np.zeros(3), np.zeros(4)])
    with pytest.raises(ValueError, match="one shape and dtype"):
        cache.put_many(["a", "b"], [np.zeros(3), np.zeros(3, np.float32)])
    with pytest.raises(ValueError, match="Object arrays"):
        cache.put_many(["a"], [np.array([None])])
    with pytest.raises(ValueError, match="whitespace"):
        cache.put_many(["a b"], [np.zeros(3)])
    with pytest.raises(ValueError, match="one key per array"):
        cache.put_many(["a"], [np.zeros(3), np.zeros(3)])
    cache.put_many([], [])
    assert cache.keys() == set()


def test_pickled_cache_reads_the_folder_again(tmp_path):
    import pickle

    cache = FeatureCache(tmp_path, "T", {})
    cache.put_many(["a"], [np.zeros(2)])
    assert cache.get("a") is not None  # index read
    other = FeatureCache(tmp_path, "T", {})
    other.put_many(["b"], [np.ones(2)])
    copy = pickle.loads(pickle.dumps(cache))
    np.testing.assert_array_equal(copy.get("b"), np.ones(2))  # written after the index was read


def test_stale_temporaries_in_the_pack_folder_are_swept(tmp_path):
    cache = FeatureCache(tmp_path, "T", {})
    cache.put_many(["a"], [np.zeros(2)])
    stale = cache.pack_folder / ".x.1-2-3.tmp"
    stale.write_bytes(b"half")
    os.utime(stale, (time.time() - 7200,) * 2)
    assert cache.remove_stale_temporaries() == 1 and not stale.exists()


def test_fortran_ordered_pack_is_a_miss_not_wrong_rows(tmp_path):
    cache = FeatureCache(tmp_path, "T", {})
    cache.put_many(["a", "b"], [np.arange(3.0), np.arange(3.0) + 10])
    (keys_file,) = cache.pack_folder.glob("*.keys")
    np.save(keys_file.with_suffix(".npy"), np.asfortranarray(np.arange(6.0).reshape(2, 3)))
    assert FeatureCache(tmp_path, "T", {}).get("b") is None  # its rows are not contiguous
