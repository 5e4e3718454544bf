"""The released YAMNet TFLite model converted to PyTorch, checked against the LiteRT interpreter.

The weight file is ``$SKLEARN_SER_WEIGHTS/yamnet.tflite`` (default
``../shared/weights/yamnet``); the reference is the LiteRT interpreter
(``pip install ai-edge-litert``). Both are optional: the tests skip without them.

The interpreter runs the release's int8 arithmetic (dynamic-range
quantisation: int8 weights, activations quantised to int8 on the fly for
every fully connected and 1x1 convolution, its DFT and mel filter bank
included); our port runs the dequantised weights in float32. The tolerances
below are the measured difference between the two (docs/yamnet.md).
"""

import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from sklearn_ser.audio import load_audio
from sklearn_ser.datasets import load_corpus
from sklearn_ser.exceptions import ChecksumError
from sklearn_ser.features.segments import SegmentedLogMel, tf_mel_filters
from sklearn_ser.models._tflite import read_tflite
from sklearn_ser.models.late_fusion import VGGishYAMNetFusion
from sklearn_ser.models.weights import (
    YAMNET_TFLITE_SHA256,
    convert_yamnet_tflite,
    load_state_into,
    load_yamnet_weights,
)
from sklearn_ser.models.yamnet import YAMNet

_HERE = Path(__file__).resolve()
WEIGHTS_HOME = Path(os.environ.get(
    "SKLEARN_SER_WEIGHTS", _HERE.parents[3] / "shared" / "weights" / "yamnet"))
TFLITE = WEIGHTS_HOME / "yamnet.tflite"

#: Largest |score difference| between our network and the interpreter on the
#: interpreter's own log-mel patch (measured: 0.0079 over 35 patches of 12 clips).
NET_ATOL = 0.02
#: Largest end-to-end |score difference| (our float front end + network vs the
#: interpreter on the waveform) on a clip's first patch (measured: 0.012).
E2E_ATOL = 0.05
#: Patch median |log-mel difference| bound in nats (measured: at most 0.057).
PATCH_MEDIAN_ATOL = 0.1
PATCH_HOP = 7680  # 48 frames of 160 samples: YAMNet's 0.48 s patch hop
PATCH_SAMPLES = 15600  # 400 + 95 * 160: one 96-frame patch

needs_weights = pytest.mark.skipif(not TFLITE.is_file(),
                                   reason=f"YAMNet TFLite weights not found at {TFLITE}")


@pytest.fixture(scope="module")
def interpreter():
    litert = pytest.importorskip("ai_edge_litert.interpreter",
                                 reason="the LiteRT reference needs: pip install ai-edge-litert")
    if not TFLITE.is_file():
        pytest.skip(f"YAMNet TFLite weights not found at {TFLITE}")
    it = litert.Interpreter(model_path=str(TFLITE))
    it.allocate_tensors()
    scores = next(d["index"] for d in it.get_output_details() if tuple(d["shape"]) == (1, 521))
    patch = next(d["index"] for d in it.get_output_details() if tuple(d["shape"]) == (96, 64))

    def run(waveform):
        it.set_tensor(it.get_input_details()[0]["index"],
                      np.asarray(waveform, np.float32)[np.newaxis])
        it.invoke()
        return it.get_tensor(scores)[0].copy(), it.get_tensor(patch).copy()

    return run


@pytest.fixture(scope="module")
def yamnet():
    if not TFLITE.is_file():
        pytest.skip(f"YAMNet TFLite weights not found at {TFLITE}")
    state = load_yamnet_weights("yamnet-tflite", weights_home=WEIGHTS_HOME)
    return load_state_into(YAMNet(), state).eval()


@pytest.fixture(scope="module")
def clips(data_home):
    """Four fixed clips of each of EmoDB, RAVDESS and TESS (skips a corpus that is absent)."""
    rng = np.random.default_rng(0)
    chosen = []
    for corpus in ("emodb", "ravdess", "tess"):
        if not (data_home / corpus).is_dir():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # this copy of TESS is incomplete: fine here
            bunch = load_corpus(corpus, data_home)
        chosen += [(corpus, f) for f in rng.choice(bunch.filenames, 4, replace=False)]
    if not chosen:
        pytest.skip(f"No corpus under {data_home}; set SKLEARN_SER_DATA")
    return chosen


def _scores(net, patches):
    with torch.no_grad():
        return torch.sigmoid(net(torch.as_tensor(patches).reshape(-1, 1, 96, 64))).numpy()


def _same_top5(ours, ref, atol):
    """Top-5 classes equal, except where the reference itself ranks them within ``atol``."""
    order = np.argsort(-ref)
    fifth = ref[order[4]]
    ours5, ref5 = set(np.argsort(-ours)[:5]), set(order[:5])
    return all(abs(ref[c] - fifth) <= atol for c in ours5 ^ ref5)


# ---------------------------------------------------------------------------------------------
@needs_weights
def test_reader_finds_the_release_layout():
    model = read_tflite(TFLITE)
    names = [t.name for t in model.tensors]
    assert len(model.operators) == 60 and model.inputs == (0,) and len(model.outputs) == 2
    dense = model.tensors[names.index("yamnet_frames/dense/MatMul")]
    assert dense.dtype == np.int8 and dense.shape == (521, 1024) and dense.scale.size >= 1
    state = convert_yamnet_tflite(model)
    assert state["layers.0.conv.weight"].shape == (32, 1, 3, 3)
    assert state["layers.13.pointwise.weight"].shape == (1024, 1024, 1, 1)
    assert state["logits.weight"].shape == (521, 1024)
    # the dequantised int8 values sit on the scale's grid
    q = state["logits.weight"].numpy() / dense.scale[0]
    np.testing.assert_allclose(q, np.round(q), atol=1e-3)
    # the release's own mel filter bank is TensorFlow's, to its int8 precision
    mel = next(t for t in model.tensors if t.name.endswith("MatMul_2/MatMul_2"))
    np.testing.assert_allclose(
        mel.dequantize(), tf_mel_filters(sr=16000, n_fft=512, n_mels=64, fmin=125, fmax=7500),
        atol=mel.scale.max() / 2 + 1e-6)


@needs_weights
def test_tampered_file_is_refused(tmp_path):
    copy = tmp_path / "yamnet.tflite"
    shutil.copyfile(TFLITE, copy)
    load_yamnet_weights(copy, include_top=False)  # the intact copy passes
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0x01
    copy.chmod(0o644)
    copy.write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match=YAMNET_TFLITE_SHA256):
        load_yamnet_weights(copy)
    with pytest.raises(ChecksumError):
        load_yamnet_weights("yamnet-tflite", weights_home=tmp_path)
    with pytest.raises(FileNotFoundError, match="yamnet.tflite"):
        load_yamnet_weights("yamnet-tflite", weights_home=tmp_path / "empty")


def test_network_matches_the_interpreter_on_its_own_patches(interpreter, yamnet, clips):
    n = 0
    for _, path in clips:
        wav, _ = load_audio(path, sr=16000)
        for k in range(3):
            x = wav[k * PATCH_HOP:k * PATCH_HOP + PATCH_SAMPLES]
            if len(x) < PATCH_SAMPLES:
                break
            ref, patch = interpreter(x)
            ours = _scores(yamnet, patch)[0]
            np.testing.assert_allclose(ours, ref, atol=NET_ATOL, err_msg=f"{path} patch {k}")
            assert _same_top5(ours, ref, NET_ATOL), (path, k)
            n += 1
    assert n >= len(clips)


def test_front_end_and_scores_end_to_end(interpreter, yamnet, clips):
    front_end = SegmentedLogMel.yamnet()
    for _, path in clips:
        segments = front_end.fit_transform([path])[0]
        wav, _ = load_audio(path, sr=16000)
        for k in range(min(3, len(segments))):
            x = wav[k * PATCH_HOP:k * PATCH_HOP + PATCH_SAMPLES]
            if len(x) < PATCH_SAMPLES:
                break
            ref, patch = interpreter(x)
            diff = np.abs(segments[k, 0] - patch)
            # int8 activations floor low-energy bands in the interpreter; the bulk agrees
            assert np.median(diff) < PATCH_MEDIAN_ATOL, (path, k, np.median(diff))
            assert np.mean(diff) < 0.5, (path, k, np.mean(diff))
            if k == 0:
                ours = _scores(yamnet, segments[:1])[0]
                np.testing.assert_allclose(ours, ref, atol=E2E_ATOL, err_msg=path)
                assert np.argmax(ours) == np.argmax(ref), path


def test_patch_grid_matches_the_interpreter_framing(interpreter):
    # A deterministic chirp: every band is excited, so the int8 floor plays no part and
    # framing or filter errors (a 56-sample window shift, librosa's filters) would show.
    t = np.arange(PATCH_SAMPLES + 2 * PATCH_HOP) / 16000
    x = 0.5 * np.sin(2 * np.pi * (100 * t + 3800 * t ** 2 / t[-1]))
    x += 0.05 * np.random.default_rng(0).standard_normal(t.size)
    segments = SegmentedLogMel.yamnet().fit_transform([x.astype(np.float32)])[0]
    assert len(segments) == 3
    shifted = SegmentedLogMel.yamnet(convention="librosa").fit_transform([x.astype(np.float32)])[0]
    for k in range(3):
        _, patch = interpreter(x[k * PATCH_HOP:k * PATCH_HOP + PATCH_SAMPLES])
        ours = np.median(np.abs(segments[k, 0] - patch))
        assert ours < 0.05, ours
        assert ours < np.median(np.abs(shifted[k, 0] - patch))


@needs_weights
@pytest.mark.parametrize("freeze", [True, False])
def test_pretrained_fusion_trains_under_bf16_autocast(freeze):
    net = VGGishYAMNetFusion(n_classes=3, fusion_channels=4, freeze_backbones=freeze,
                             freeze_batch_norm=True)
    load_state_into(net.yamnet, load_yamnet_weights(TFLITE, include_top=False))
    net.train()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = net(torch.randn(4, 1, 96, 64)).float().logsumexp(1).mean()
    loss.backward()
    bias = net.yamnet.layers[0].bn.bias
    assert (bias.grad is not None) != freeze
    # identity batch norms stay identities in training mode
    assert not net.yamnet.layers[0].bn.training


@needs_weights
def test_late_fusion_estimator_loads_the_pretrained_yamnet_by_name():
    from sklearn_ser.estimators import LateFusionClassifier
    from sklearn_ser.features.segments import pack_segments

    rng = np.random.default_rng(0)
    X = pack_segments([rng.normal(-3, 1, size=(k, 1, 96, 64)).astype("float32")
                       for k in (1, 2, 1, 2)])
    y = np.array(["anger", "sadness"] * 2)
    clf = LateFusionClassifier(yamnet_weights="yamnet-tflite", weights_home=WEIGHTS_HOME,
                               freeze_backbones=False, module__backbones=("yamnet",),
                               max_epochs=1, train_split=None, random_state=0, device="cpu")
    clf.fit(X, y)
    assert clf.module_.freeze_batch_norm  # "auto": the TFLite batch norms are folded
    expected = load_yamnet_weights(TFLITE, include_top=False)
    # fine-tuned: weights moved, identity batch-norm statistics did not
    bn = clf.module_.yamnet.layers[0].bn
    torch.testing.assert_close(bn.running_var, expected["layers.0.bn.running_var"])
    assert not torch.equal(clf.module_.yamnet.layers[0].conv.weight.detach(),
                           expected["layers.0.conv.weight"])
    assert clf.predict_proba(X).shape == (4, 2)
