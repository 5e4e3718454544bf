"""YAMNetEmbedding: pretrained YAMNet patch embeddings pooled per utterance."""

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import sklearn_ser.features.yamnet as yamnet_module
from sklearn_ser.features import SegmentedLogMel, YAMNetEmbedding, pool_embeddings
from sklearn_ser.models import YAMNet, load_state_into, load_yamnet_weights

WEIGHTS_HOME = Path(os.environ.get(
    "SKLEARN_SER_WEIGHTS",
    Path(__file__).resolve().parents[3] / "shared" / "weights" / "yamnet"))

pytestmark = pytest.mark.skipif(not (WEIGHTS_HOME / "yamnet.tflite").is_file(),
                                reason=f"YAMNet TFLite weights not found in {WEIGHTS_HOME}")


def _waves():
    t = np.arange(16000 * 3) / 16000
    rng = np.random.default_rng(0)
    return [np.sin(2 * np.pi * 300 * t).astype(np.float32),
            (0.1 * rng.standard_normal(8000)).astype(np.float32)]  # 0.5 s: one padded patch


def test_pool_embeddings():
    frames = np.array([[1.0, -1.0], [3.0, 1.0]])
    assert pool_embeddings(frames, "mean").tolist() == [2.0, 0.0]
    assert pool_embeddings(frames, "max").tolist() == [3.0, 1.0]
    assert pool_embeddings(frames, "mean+std").tolist() == [2.0, 0.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="pooling"):
        pool_embeddings(frames, "median")


def test_shapes_and_equal_to_the_network_on_the_yamnet_front_end():
    X = _waves()
    emb = YAMNetEmbedding(weights_home=WEIGHTS_HOME, device="cpu")
    out = emb.fit_transform(X)
    assert out.shape == (2, 1024) and out.dtype == np.float32
    assert emb.get_feature_names_out()[0] == "yamnet_mean0"
    net = load_state_into(YAMNet(include_top=False),
                          load_yamnet_weights(WEIGHTS_HOME / "yamnet.tflite", include_top=False))
    segments = SegmentedLogMel.yamnet().fit_transform(X)
    # 3 s: patches at 0, .48, ..., 1.92 s and one aligned with the end; 0.5 s: one padded patch
    assert [len(s) for s in segments] == [6, 1]
    with torch.no_grad():
        expected = [net.eval()(torch.from_numpy(s)).numpy() for s in segments]
    np.testing.assert_allclose(out[0], expected[0].mean(0), rtol=1e-5, atol=1e-5)
    both = YAMNetEmbedding(weights_home=WEIGHTS_HOME, pooling="mean+max").fit_transform(X)
    assert both.shape == (2, 2048)
    np.testing.assert_allclose(both[0, 1024:], expected[0].max(0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(both[:, :1024], out, rtol=1e-6, atol=1e-6)


def test_cache_hit_recomputes_nothing_and_pooling_reuses_it(tmp_path, monkeypatch):
    X = _waves()
    first = YAMNetEmbedding(weights_home=WEIGHTS_HOME, memory=tmp_path).fit_transform(X)
    calls = []
    original = yamnet_module._embeddings_for_item

    def counting(*args, **kwargs):
        calls.append(args[1])
        return original(*args, **kwargs)

    monkeypatch.setattr(yamnet_module, "_embeddings_for_item", counting)
    again = YAMNetEmbedding(weights_home=WEIGHTS_HOME, memory=tmp_path).fit_transform(X)
    np.testing.assert_array_equal(first, again)
    YAMNetEmbedding(weights_home=WEIGHTS_HOME, memory=tmp_path, pooling="max").transform(X)
    assert calls == []
    YAMNetEmbedding(weights_home=WEIGHTS_HOME, memory=tmp_path, segment_hop=24).transform(X)
    assert sorted(calls) == [0, 1]  # another patch grid is another cache entry
    YAMNetEmbedding(weights_home=WEIGHTS_HOME, memory=tmp_path, layer=9).transform(X)
    assert sorted(calls) == [0, 0, 1, 1]  # so is another layer


def test_clone_params_and_errors(tmp_path):
    emb = YAMNetEmbedding(weights_home=WEIGHTS_HOME, pooling="mean+std", segment_hop=24)
    cloned = clone(emb)
    assert cloned.get_params() == emb.get_params()
    assert cloned.get_params()["pooling"] == "mean+std"
    with pytest.raises(FileNotFoundError, match="weights_home"):
        YAMNetEmbedding(weights_home=tmp_path).fit(_waves())
    with pytest.raises(ValueError, match="pooling"):
        YAMNetEmbedding(weights_home=WEIGHTS_HOME, pooling="median").fit(_waves())
    skipped = YAMNetEmbedding(weights_home=WEIGHTS_HOME, on_error="skip", fill_value=-1.0)
    out = skipped.fit_transform([_waves()[0], np.full(800, np.nan, np.float32)])
    assert np.all(out[1] == -1.0) and skipped.failed_items_[0].index == 1


def test_real_emodb_clip_is_speech_and_a_pipeline_fits(emodb_home):
    from sklearn_ser.datasets import load_emodb

    bunch = load_emodb(emodb_home)
    emb = YAMNetEmbedding(weights_home=WEIGHTS_HOME)
    E = emb.fit_transform(bunch.filenames[:1])
    # The AudioSet classifier is linear on the pooled embedding: its top class is "Speech".
    full = load_state_into(YAMNet(), load_yamnet_weights("yamnet-tflite",
                                                         weights_home=WEIGHTS_HOME))
    with torch.no_grad():
        logits = full.logits(torch.from_numpy(E))
    assert int(logits.argmax()) == 0  # class 0 of yamnet_class_map.csv is Speech
    idx = np.r_[np.flatnonzero(bunch.target == bunch.target[0])[:6],
                np.flatnonzero(bunch.target != bunch.target[0])[:6]]
    pipe = make_pipeline(YAMNetEmbedding(weights_home=WEIGHTS_HOME),
                         LogisticRegression(max_iter=500))
    pipe.fit(bunch.filenames[idx], bunch.target[idx])
    assert pipe.score(bunch.filenames[idx], bunch.target[idx]) == 1.0


def test_intermediate_layer_is_the_pooled_block_output():
    X = _waves()[:1]
    out = YAMNetEmbedding(weights_home=WEIGHTS_HOME, layer=10, pooling="mean+std").fit_transform(X)
    assert out.shape == (1, 1024)
    net = load_state_into(YAMNet(include_top=False),
                          load_yamnet_weights(WEIGHTS_HOME / "yamnet.tflite", include_top=False))
    x = torch.from_numpy(SegmentedLogMel.yamnet().fit_transform(X)[0])
    with torch.no_grad():
        for block in net.eval().layers[:10]:
            x = block(x)
    frames = x.mean(dim=(2, 3)).numpy()
    np.testing.assert_allclose(out[0], np.r_[frames.mean(0), frames.std(0)], rtol=1e-5,
                               atol=1e-5)
    assert YAMNetEmbedding(layer=10).set_params(layer=6).get_feature_names_out().shape == (256,)
