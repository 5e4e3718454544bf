"""Sweeps on a Dask cluster through joblib's dask backend (docs/distributed.md).

A ``LocalCluster`` of two worker *processes* stands in for a multi-machine
cluster: the pipeline, the file paths and the labels are pickled to the
workers, which read the audio and the feature cache from a path they all see
(here a temporary folder; on a real cluster a shared file system). The code
is the one that runs on a real cluster; only the ``Client`` address changes.
"""

import logging
import warnings

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

import torch  # noqa: E402
from joblib import parallel_config  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from sklearn_ser.datasets import load_emodb  # noqa: E402
from sklearn_ser.estimators import VACNNBOVWClassifier  # noqa: E402
from sklearn_ser.features import BOVWEncoder, LogMelImage  # noqa: E402

EMOTIONS = ("anger", "sadness", "neutral", "happiness")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR)
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.fixture(scope="module")
def sixteen_files(emodb_home):
    """4 utterances of each of 4 emotions: real EmoDB audio."""
    bunch = load_emodb(data_home=emodb_home)
    files, y = np.asarray(bunch.filenames), np.asarray(bunch.target)
    picked = np.concatenate([np.flatnonzero(y == e)[:4] for e in EMOTIONS])
    return files[picked], y[picked]


def _pipeline(cache):
    return make_pipeline(
        LogMelImage(size=(32, 32), memory=cache),
        BOVWEncoder(n_words=8, kaze_threshold=1e-4, output="dict", memory=cache,
                    random_state=0),
        VACNNBOVWClassifier(max_epochs=1, batch_size=8, train_split=None, device="cpu",
                            random_state=0),
    )


def _cached_images(cache):
    """Keys of the images stored under ``cache`` (single entries and packs)."""
    keys = [p.stem for p in (cache / "sklearn_ser" / "LogMelImage").glob("*/*.npy")]
    for keys_file in (cache / "sklearn_ser" / "LogMelImage").glob("*/packs/*.keys"):
        keys += keys_file.read_text().split()
    return sorted(set(keys))


@pytest.mark.requires_kaze
def test_grid_search_and_cross_val_score_on_dask(client, sixteen_files, tmp_path):
    files, y = sixteen_files
    cache = tmp_path / "shared-cache"  # on a real cluster: a folder every worker mounts
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    search = GridSearchCV(_pipeline(str(cache)), {"vacnnbovwclassifier__lr": [1e-3, 1e-4]},
                          cv=cv, n_jobs=-1, error_score="raise")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*had no KAZE keypoints.*")
        with distributed.get_task_stream(client) as stream, parallel_config(backend="dask"):
            search.fit(files, y)
            scores = cross_val_score(_pipeline(str(cache)), files, y, cv=cv, n_jobs=-1)

    # The fits ran on the cluster's workers, not in this process.
    workers = set(client.scheduler_info()["workers"])
    ran_on = {task["worker"] for task in stream.data}
    assert len(stream.data) >= 4 + 2  # 2 candidates x 2 folds, then 2 folds
    assert ran_on and ran_on <= workers
    assert len(search.cv_results_["mean_test_score"]) == 2
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_params_["vacnnbovwclassifier__lr"] in (1e-3, 1e-4)
    assert search.predict(files[:3]).shape == (3,)

    # Every file's image was computed by the workers and stored in the shared cache.
    assert len(_cached_images(cache)) == len(files)

    # The same code without the cluster gives the same scores (one torch thread on both
    # sides: dask's nanny starts its workers with OMP_NUM_THREADS=1).
    assert set(client.run(torch.get_num_threads).values()) == {1}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*had no KAZE keypoints.*")
            local = cross_val_score(_pipeline(str(cache)), files, y, cv=cv, n_jobs=1)
    finally:
        torch.set_num_threads(threads)
    np.testing.assert_array_equal(scores, local)


@pytest.mark.requires_kaze
def test_feature_extraction_on_dask_equals_local(client, sixteen_files, tmp_path):
    files, _ = sixteen_files
    local = LogMelImage(size=(32, 32)).fit_transform(files)
    with distributed.get_task_stream(client) as stream, parallel_config(backend="dask"):
        remote = LogMelImage(size=(32, 32), n_jobs=2, memory=tmp_path).fit_transform(files)
    assert stream.data  # the images were computed on the workers
    np.testing.assert_array_equal(remote, local)
    assert len(_cached_images(tmp_path)) == len(files)
