"""Interrupted work: a killed extraction leaves a usable cache; a killed training resumes.

Both tests start a child Python process and kill it with SIGKILL (no
cleanup handlers run, as when a job is cancelled or a machine runs out of
memory), then check what it left and finish the work in this process.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import soundfile as sf
import torch
from skorch.callbacks import Callback

from sklearn_ser.estimators import (
    ResumableCheckpoint,
    VACNNBOVWClassifier,
    VACNNClassifier,
    load_training_state,
)
from sklearn_ser.features import LogMelImage
from sklearn_ser.utils import digest_item

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _child_env():
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    return env


# ------------------------------------------------------------------ feature cache

EXTRACT = textwrap.dedent("""
    import sys
    from sklearn_ser.features import LogMelImage, _extract
    _extract._PACK_MAX_ITEMS = 8  # small packs, so that several land before the kill
    files = open(sys.argv[2]).read().split("\\n")
    LogMelImage(size=(64, 64), memory=sys.argv[1]).fit_transform(files)
    print("finished")
""")


def _stored_entries(root):
    """{key: array} of every complete cache entry under ``root``: single files and packs."""
    entries = {path.stem: np.load(path, allow_pickle=False)
               for path in root.rglob("*.npy") if path.parent.name != "packs"}
    for keys_file in root.rglob("packs/*.keys"):
        rows = np.load(keys_file.with_suffix(".npy"), allow_pickle=False)
        keys = keys_file.read_text().split()
        assert len(keys) == len(rows)
        entries.update(zip(keys, rows))
    return entries


def _cache_files(root):
    return {path: path.stat().st_mtime_ns for path in root.rglob("*") if path.is_file()}


def test_killed_extraction_leaves_only_complete_entries(tmp_path):
    rng = np.random.default_rng(0)
    files = []
    for i in range(240):
        path = tmp_path / "wav" / f"{i:03d}.wav"
        path.parent.mkdir(exist_ok=True)
        t = np.arange(4000) / 16000
        sf.write(path, 0.4 * np.sin(2 * np.pi * rng.uniform(100, 4000) * t)
                 + 0.05 * rng.standard_normal(len(t)), 16000)
        files.append(str(path))
    listing = tmp_path / "files.txt"
    listing.write_text("\n".join(files))
    cache = tmp_path / "cache"

    child = subprocess.Popen([sys.executable, "-c", EXTRACT, str(cache), str(listing)],
                             env=_child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and child.poll() is None:
        if len(list(cache.rglob("packs/*.keys"))) >= 3:  # 24 entries
            break
        time.sleep(0.002)
    child.send_signal(signal.SIGKILL)
    _, err = child.communicate()
    assert child.returncode == -signal.SIGKILL, err.decode()[-2000:]

    entries = _stored_entries(cache)
    assert 20 <= len(entries) < len(files), "the child was not killed mid-corpus"
    clean = LogMelImage(size=(64, 64)).fit_transform(files)  # no cache
    by_key = {digest_item(path): image for path, image in zip(files, clean)}
    for key, image in entries.items():  # every entry is complete and right
        np.testing.assert_array_equal(image, by_key[key])
    before = _cache_files(cache)

    rerun = LogMelImage(size=(64, 64), memory=cache).fit_transform(files)
    np.testing.assert_array_equal(rerun, clean)
    assert set(_stored_entries(cache)) == set(by_key)
    after = _cache_files(cache)
    # What the killed run stored is reused untouched (a temporary file it was writing
    # may be left for the stale-temporary sweep).
    assert all(after.get(path) == stamp for path, stamp in before.items()
               if not path.name.endswith(".tmp"))


# ------------------------------------------------------------------ training

# Shuffled batches and dropout, so that the random state matters; a StepLR step that a
# resumed run only gets right if the scheduler state is restored; early stopping with
# best-weight restoring, whose state must survive too.
PARAMS = dict(max_epochs=6, lr_step_size=2, lr_gamma=0.1, patience=4, random_state=0,
              batch_size=4, iterator_train__shuffle=True, module__dropout=0.3, device="cpu")

TRAIN = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    import torch
    from skorch.callbacks import Callback
    from sklearn_ser.estimators import VACNNClassifier
    from sklearn_ser.estimators import ResumableCheckpoint

    torch.set_num_threads(1)
    data = np.load(sys.argv[1])

    class KillDuringEpoch4(Callback):
        def on_batch_end(self, net, training=False, **kwargs):
            if training and len(net.history) == 4 and len(net.history[-1]["batches"]) == 2:
                os.kill(os.getpid(), signal.SIGKILL)

    VACNNClassifier(**PARAMS, callbacks=[("kill", KillDuringEpoch4()),
                                         ("resume", ResumableCheckpoint(sys.argv[2]))]
                    ).fit(data["X"], data["y"])
    print("finished")
""").replace("**PARAMS", "**" + repr(PARAMS))


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    y = np.array(["anger", "sadness", "happiness", "neutral"] * 6)
    X = rng.uniform(0, 255, size=(len(y), 1, 16, 16)).astype(np.float32)
    for k, label in enumerate(np.unique(y)):
        X[y == label, :, 4 * k:4 * k + 4, :] += 200
    return X, y


def _train_in_process(X, y, **extra):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the child uses one thread: same arithmetic
    try:
        return VACNNClassifier(**PARAMS, **extra).fit(X, y)
    finally:
        torch.set_num_threads(threads)


def test_killed_training_resumes_to_the_uninterrupted_result(tmp_path, images):
    X, y = images
    np.savez(tmp_path / "data.npz", X=X, y=y)
    folder = tmp_path / "run"
    child = subprocess.run([sys.executable, "-c", TRAIN, str(tmp_path / "data.npz"),
                            str(folder)], env=_child_env(), capture_output=True, timeout=300)
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]

    state = load_training_state(folder / "training_state.pt")  # weights_only=True inside
    assert state["epoch"] == 3  # the kill came in epoch 4; epoch 3 was saved whole
    assert not [p for p in os.listdir(folder) if p.endswith(".tmp")]

    resumed = _train_in_process(X, y, callbacks=[("resume", ResumableCheckpoint(folder))])
    reference = _train_in_process(X, y)  # never interrupted, no checkpoint
    assert dict(resumed.callbacks_)["resume"].resumed_from_ == 3
    assert len(resumed.history) == len(reference.history) == 6
    for key in ("train_loss", "valid_loss", "valid_acc", "event_lr"):
        assert resumed.history[:, key] == reference.history[:, key], key
    assert reference.history[:, "event_lr"][-1] == pytest.approx(1e-5)  # the schedule ran
    np.testing.assert_array_equal(resumed.predict_proba(X), reference.predict_proba(X))


class _Crash(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_batch_end(self, net, training=False, **kwargs):
        if training and len(net.history) == self.epoch:
            raise RuntimeError("simulated crash")


def test_resume_with_frozen_pretrained_bovw_classifier(tmp_path, images):
    X, y = images
    bovw = np.random.default_rng(1).dirichlet(np.ones(8), len(y)).astype(np.float32)
    pretrained = VACNNClassifier(max_epochs=1, train_split=None, random_state=0).fit(X, y)
    params = dict(PARAMS, pretrained=pretrained, max_epochs=4)
    inputs = {"image": X, "bovw": bovw}
    with pytest.raises(RuntimeError, match="simulated crash"):
        VACNNBOVWClassifier(**params, callbacks=[
            ("crash", _Crash(epoch=3)), ("resume", ResumableCheckpoint(tmp_path))]).fit(inputs, y)
    resumed = VACNNBOVWClassifier(**params, callbacks=[
        ("resume", ResumableCheckpoint(tmp_path))]).fit(inputs, y)
    reference = VACNNBOVWClassifier(**params).fit(inputs, y)
    assert dict(resumed.callbacks_)["resume"].resumed_from_ == 2
    np.testing.assert_array_equal(resumed.predict_proba(inputs), reference.predict_proba(inputs))
    assert resumed.frozen_parameters_ == reference.frozen_parameters_


def test_a_finished_run_is_not_trained_again(tmp_path, images):
    X, y = images
    first = VACNNClassifier(**dict(PARAMS, max_epochs=2),
                            callbacks=[("resume", ResumableCheckpoint(tmp_path))]).fit(X, y)
    again = VACNNClassifier(**dict(PARAMS, max_epochs=2),
                            callbacks=[("resume", ResumableCheckpoint(tmp_path))]).fit(X, y)
    assert len(again.history) == 2
    np.testing.assert_array_equal(first.predict_proba(X), again.predict_proba(X))
    # partial_fit after fit trains on, without reloading the checkpoint
    again.partial_fit(X, y)
    assert len(again.history) == 4


def test_state_of_other_data_is_refused(tmp_path, images):
    X, y = images
    VACNNClassifier(**dict(PARAMS, max_epochs=1),
                    callbacks=[("resume", ResumableCheckpoint(tmp_path))]).fit(X, y)
    with pytest.raises(ValueError, match="written while training on other data.*Delete it"):
        VACNNClassifier(**dict(PARAMS, max_epochs=1),
                        callbacks=[("resume", ResumableCheckpoint(tmp_path))]).fit(X, y[::-1])


def test_unreadable_state_file_is_reported_not_ignored(tmp_path, images):
    X, y = images
    (tmp_path / "training_state.pt").write_bytes(b"half a file")
    with pytest.raises(ValueError, match=r"Cannot load the training state .*delete it"):
        VACNNClassifier(**dict(PARAMS, max_epochs=1),
                        callbacks=[("resume", ResumableCheckpoint(tmp_path))]).fit(X, y)


def test_temporaries_of_killed_writers_are_swept_by_the_next_run(tmp_path):
    from sklearn_ser.utils import FeatureCache

    y = np.sin(np.arange(4000) / 5.0)
    front = LogMelImage(size=(8, 8), memory=tmp_path)
    front.fit_transform([y])
    folder = next(tmp_path.rglob("*.keys")).parent
    stale, live = folder / ".dead.123.tmp", folder / ".live.456.tmp"
    stale.write_bytes(b"\x93NUMPY half")
    live.write_bytes(b"\x93NUMPY half")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    front.fit_transform([y])  # all cached: nothing written, nothing swept
    assert stale.exists()
    front.fit_transform([y, 2 * y + 0.1])  # a miss: the writer sweeps first
    assert not stale.exists() and live.exists()
    assert FeatureCache(tmp_path, "x", {}).remove_stale_temporaries() == 0  # no folder yet
