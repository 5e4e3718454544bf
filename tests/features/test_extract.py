"""extract_per_item: computed rows go to the cache in packs, also when a batch stops."""

import numpy as np
import pytest

from sklearn_ser.features import _extract
from sklearn_ser.utils import FeatureCache


def _double(item, index, out=None):
    if item[0] < 0:
        raise RuntimeError("a bug, not a bad item")  # not an item error: stops the batch
    value = np.asarray(item, dtype=np.float32) * 2
    if out is None:
        return value
    out[...] = value
    return out


def _extract_into(items, cache_dir, n_jobs=None):
    out = np.empty((len(items), 3), np.float32)
    outputs = _extract.extract_per_item(items, _double, namespace="Double", cache_params={},
                                        memory=cache_dir, n_jobs=n_jobs, out=out,
                                        prefer="threads")
    return out, outputs


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_batch_is_stored_in_few_packs_and_read_back(tmp_path, monkeypatch, n_jobs):
    monkeypatch.setattr(_extract, "_PACK_MAX_ITEMS", 4)
    items = [np.full(3, i + 0.5) for i in range(10)]
    out, _ = _extract_into(items, tmp_path, n_jobs)
    np.testing.assert_array_equal(out, 2 * np.stack(items))
    cache = FeatureCache(tmp_path, "Double", {})
    assert len(list(cache.pack_folder.glob("*.keys"))) == 3  # 4 + 4 + 2 rows
    assert not list(cache.folder.glob("*.npy"))  # no single-item files

    calls = []
    monkeypatch.setattr(_extract, "_compute_one",
                        lambda *a, **k: calls.append(1) or pytest.fail("recomputed"))
    again, outputs = _extract_into(items, tmp_path, n_jobs)
    np.testing.assert_array_equal(again, out)
    assert calls == [] and all(o.base is again for o in outputs)  # read into the batch


def test_rows_done_before_an_error_are_stored(tmp_path):
    items = [np.full(3, float(i)) for i in range(5)] + [np.full(3, -1.0)]
    with pytest.raises(RuntimeError, match="a bug"):
        _extract_into(items, tmp_path)
    assert len(FeatureCache(tmp_path, "Double", {})) == 5


def test_without_a_batch_each_output_is_its_own_entry(tmp_path):
    items = [np.full(2, 1.0), np.full(3, 1.0)]  # ragged outputs
    outputs = _extract.extract_per_item(items, _double, namespace="Double", cache_params={},
                                        memory=tmp_path)
    cache = FeatureCache(tmp_path, "Double", {})
    assert len(list(cache.folder.glob("*.npy"))) == 2 and not cache.pack_folder.exists()
    assert [o.shape for o in outputs] == [(2,), (3,)]
