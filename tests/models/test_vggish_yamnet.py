"""VGGish and YAMNet architectures, and the converters of their released weights.

The released files are not available here, so the converters are checked on
synthetic files with the official names and shapes (a Keras HDF5 file built
with h5py, a TF variable dict, a torchvggish-style state dict), and layouts
are checked functionally against NumPy reimplementations of TensorFlow's
conventions (NHWC kernels, "same" padding, NHWC flattening).
"""

import hashlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sklearn_ser.exceptions import ChecksumError
from sklearn_ser.models.late_fusion import VGGishYAMNetFusion
from sklearn_ser.models.vggish import VGGish
from sklearn_ser.models.weights import (
    VGGISH_PORT_KEYS,
    check_sha256,
    convert_vggish_port,
    convert_vggish_tf,
    convert_yamnet_keras,
    fetch_weights,
    load_state_into,
    load_vggish_weights,
    load_yamnet_weights,
    read_tf_checkpoint,
)
from sklearn_ser.models.yamnet import YAMNET_LAYERS, YAMNet, tf_same_padding


def n_params(module):
    return sum(p.numel() for p in module.parameters())


# ---------------------------------------------------------------------------------------------
# architectures
# ---------------------------------------------------------------------------------------------
def test_vggish_published_shapes_and_size():
    net = VGGish().eval()
    x = torch.randn(2, 1, 96, 64)
    maps = net.feature_maps(x)
    assert {k: tuple(v.shape[1:]) for k, v in maps.items()} == {
        "pool1": (64, 48, 32), "pool2": (128, 24, 16), "pool3": (256, 12, 8),
        "pool4": (512, 6, 4)}
    assert net(x).shape == (2, 128)
    assert net.fc1_1.weight.shape == (4096, 12288)
    # conv 4.50 M + fc 67.6 M: the released VGGish has 72.1 M parameters
    assert n_params(net) == 72_141_184
    headless = VGGish(include_top=False)
    assert n_params(headless) == 4_499_712 and not hasattr(headless, "fc1_1")
    with pytest.raises(ValueError, match="include_top=False"):
        net(torch.zeros(1, 1, 64, 64))


def test_yamnet_published_shapes_and_size():
    net = YAMNet().eval()
    x = torch.randn(2, 1, 96, 64)
    assert net.feature_map(x).shape == (2, 1024, 3, 2)
    assert net(x).shape == (2, 521) and net.embed(x).shape == (2, 1024)
    assert len(net.layers) == 14
    assert [type(layer).__name__ for layer in net.layers] == (
        ["YAMNetConv"] + ["YAMNetSeparableConv"] * 13)
    # MobileNetV1 body (3x3 conv, then depthwise 3x3 + pointwise 1x1; BN offsets only) + head
    expected, cin = 0, 1
    for kind, _, cout in YAMNET_LAYERS:
        expected += 9 * cin * cout + cout if kind == "conv" else 9 * cin + cin + cin * cout + cout
        cin = cout
    expected += 1024 * 521 + 521
    assert n_params(net) == expected == 3_729_481  # "3.7 M weights" in the release notes
    assert net.layers[1].depthwise.groups == 32
    assert all(bn.eps == 1e-4 for bn in net.modules() if isinstance(bn, torch.nn.BatchNorm2d))
    assert "logits.weight" not in YAMNet(include_top=False).state_dict()


def test_tf_same_padding_puts_the_extra_zero_at_the_end():
    assert tf_same_padding(96, 3, 2) == (0, 1)
    assert tf_same_padding(48, 3, 1) == (1, 1)
    assert tf_same_padding(7, 3, 2) == (1, 1)
    assert tf_same_padding(6, 1, 1) == (0, 0)


def _numpy_conv_tf_same(x, kernel, stride):
    """x: (H, W, Cin); kernel: (kh, kw, Cin, Cout) as in TF; 'same' padding."""
    H, W, _ = x.shape
    kh, kw, _, cout = kernel.shape
    (top, bottom), (left, right) = tf_same_padding(H, kh, stride), tf_same_padding(W, kw, stride)
    xp = np.pad(x, ((top, bottom), (left, right), (0, 0)))
    oh, ow = -(-H // stride), -(-W // stride)
    out = np.zeros((oh, ow, cout))
    for i in range(oh):
        for j in range(ow):
            patch = xp[i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[i, j] = np.tensordot(patch, kernel, axes=([0, 1, 2], [0, 1, 2]))
    return out


# ---------------------------------------------------------------------------------------------
# YAMNet: Keras HDF5
# ---------------------------------------------------------------------------------------------
def _yamnet_keras_weights(rng):
    """Official YAMNet weight names and TF shapes, random values."""
    weights = {}

    def bn(prefix, c):
        weights[f"{prefix}/bn/beta"] = rng.normal(size=c)
        weights[f"{prefix}/bn/moving_mean"] = rng.normal(size=c)
        weights[f"{prefix}/bn/moving_variance"] = rng.uniform(0.5, 2.0, size=c)

    cin = 1
    for k, (kind, _, filters) in enumerate(YAMNET_LAYERS, 1):
        if kind == "conv":
            weights[f"layer{k}/conv/kernel"] = rng.normal(size=(3, 3, cin, filters))
            bn(f"layer{k}/conv", filters)
        else:
            weights[f"layer{k}/depthwise_conv/depthwise_kernel"] = rng.normal(size=(3, 3, cin, 1))
            bn(f"layer{k}/depthwise_conv", cin)
            weights[f"layer{k}/pointwise_conv/kernel"] = rng.normal(size=(1, 1, cin, filters))
            bn(f"layer{k}/pointwise_conv", filters)
        cin = filters
    weights["logits/kernel"] = rng.normal(size=(1024, 521))
    weights["logits/bias"] = rng.normal(size=521)
    return {k: v.astype(np.float32) for k, v in weights.items()}


def _write_keras_h5(path, weights):
    """Lay weights out as Keras' save_weights does: /<layer>/<layer>/<weight>:0 + attributes."""
    h5py = pytest.importorskip("h5py")
    layers = {}
    for name in weights:
        layer = name.rsplit("/", 1)[0]
        layers.setdefault(layer, []).append(name)
    with h5py.File(path, "w") as fh:
        fh.attrs["layer_names"] = [n.encode() for n in layers]
        fh.attrs["backend"] = b"tensorflow"
        for layer, names in layers.items():
            group = fh.require_group(layer)
            group.attrs["weight_names"] = [f"{n}:0".encode() for n in names]
            for n in names:
                group.create_dataset(f"{n}:0", data=weights[n])
    return path


def test_yamnet_h5_converter_on_a_synthetic_release_file(tmp_path):
    rng = np.random.default_rng(0)
    weights = _yamnet_keras_weights(rng)
    path = _write_keras_h5(tmp_path / "yamnet.h5", weights)
    state = load_yamnet_weights(path)
    net = load_state_into(YAMNet(), state).eval()

    # layouts
    got = {k: v.detach().numpy() for k, v in net.state_dict().items()}
    np.testing.assert_array_equal(got["layers.1.depthwise.weight"][5, 0],
                                  weights["layer2/depthwise_conv/depthwise_kernel"][:, :, 5, 0])
    assert got["layers.1.pointwise.weight"][7, 3, 0, 0] == weights[
        "layer2/pointwise_conv/kernel"][0, 0, 3, 7]
    np.testing.assert_array_equal(got["layers.4.pointwise_bn.running_var"],
                                  weights["layer5/pointwise_conv/bn/moving_variance"])
    np.testing.assert_array_equal(got["layers.4.pointwise_bn.bias"],
                                  weights["layer5/pointwise_conv/bn/beta"])
    np.testing.assert_array_equal(got["logits.weight"], weights["logits/kernel"].T)

    # functional: layer 1 = TF conv (NHWC kernel, same padding, stride 2) + BN(no scale) + ReLU
    x = rng.normal(size=(1, 1, 20, 14)).astype(np.float32)
    with torch.no_grad():
        ours = net.layers[0](torch.from_numpy(x))[0].permute(1, 2, 0).numpy()
    conv = _numpy_conv_tf_same(x[0, 0][:, :, None], weights["layer1/conv/kernel"], 2)
    beta, mean, var = (weights[f"layer1/conv/bn/{k}"] for k in
                       ("beta", "moving_mean", "moving_variance"))
    expected = np.maximum((conv - mean) / np.sqrt(var + 1e-4) + beta, 0)
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-4)

    # depthwise layer: per-channel TF conv
    h = rng.normal(size=(1, 32, 9, 6)).astype(np.float32)
    with torch.no_grad():
        dw = net.layers[1].depthwise(torch.from_numpy(h))[0].permute(1, 2, 0).numpy()
    K = weights["layer2/depthwise_conv/depthwise_kernel"]
    for c in (0, 17, 31):
        ref = _numpy_conv_tf_same(h[0, c][:, :, None], K[:, :, c:c + 1, :], 1)[:, :, 0]
        np.testing.assert_allclose(dw[:, :, c], ref, rtol=1e-4, atol=1e-4)

    headless = load_yamnet_weights(path, include_top=False)
    assert "logits.weight" not in headless
    load_state_into(YAMNet(include_top=False), headless)


def test_yamnet_converter_reports_missing_and_wrong_weights():
    rng = np.random.default_rng(0)
    weights = _yamnet_keras_weights(rng)
    del weights["layer7/pointwise_conv/bn/moving_mean"]
    with pytest.raises(ValueError, match="layer7/pointwise_conv/bn/moving_mean.*missing"):
        convert_yamnet_keras(weights)
    weights = _yamnet_keras_weights(rng)
    weights["layer3/pointwise_conv/kernel"] = np.zeros((1, 1, 64, 100), np.float32)
    with pytest.raises(ValueError, match="not the released architecture"):
        convert_yamnet_keras(weights)


def test_keras_names_with_a_model_save_prefix_are_found():
    rng = np.random.default_rng(0)
    weights = _yamnet_keras_weights(rng)
    prefixed = {f"model_weights/{k.rsplit('/', 1)[0]}/{k}:0": v for k, v in weights.items()}
    a, b = convert_yamnet_keras(weights), convert_yamnet_keras(prefixed)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


# ---------------------------------------------------------------------------------------------
# VGGish: TF variables, torchvggish port, saved state dicts
# ---------------------------------------------------------------------------------------------
def _vggish_tf_variables(rng):
    shapes = {"conv1": (3, 3, 1, 64), "conv2": (3, 3, 64, 128),
              "conv3/conv3_1": (3, 3, 128, 256), "conv3/conv3_2": (3, 3, 256, 256),
              "conv4/conv4_1": (3, 3, 256, 512), "conv4/conv4_2": (3, 3, 512, 512),
              "fc1/fc1_1": (12288, 4096), "fc1/fc1_2": (4096, 4096), "fc2": (4096, 128)}
    variables = {}
    for scope, shape in shapes.items():
        fan_in = int(np.prod(shape[:-1]))
        variables[f"vggish/{scope}/weights"] = (
            rng.standard_normal(shape, dtype=np.float32) * np.float32(np.sqrt(2 / fan_in)))
        variables[f"vggish/{scope}/biases"] = rng.normal(0, 0.01, size=shape[-1]).astype(
            np.float32)
    return variables


def test_vggish_tf_converter_matches_tensorflow_conventions():
    rng = np.random.default_rng(0)
    variables = _vggish_tf_variables(rng)
    net = load_state_into(VGGish(), load_vggish_weights(variables)).eval()
    x = rng.normal(size=(2, 1, 96, 64)).astype(np.float32)
    with torch.no_grad():
        pool4 = net.feature_maps(torch.from_numpy(x))["pool4"]
        emb = net(torch.from_numpy(x)).numpy()
    # first conv = TF conv with the NHWC kernel
    with torch.no_grad():
        conv1 = F.relu(net.block1.convs[0](torch.from_numpy(x[:1])))[0].permute(1, 2, 0).numpy()
    ref = _numpy_conv_tf_same(x[0, 0][:, :, None], variables["vggish/conv1/weights"], 1)
    ref = np.maximum(ref + variables["vggish/conv1/biases"], 0)
    np.testing.assert_allclose(conv1[:8, :8], ref[:8, :8], rtol=1e-4, atol=1e-4)
    # the top: TF flattens pool4 as (time, frequency, channel) and multiplies x @ W
    h = pool4.permute(0, 2, 3, 1).reshape(2, -1).numpy().astype(np.float64)
    for scope in ("fc1/fc1_1", "fc1/fc1_2"):
        h = np.maximum(h @ variables[f"vggish/{scope}/weights"]
                       + variables[f"vggish/{scope}/biases"], 0)
    h = h @ variables["vggish/fc2/weights"] + variables["vggish/fc2/biases"]
    np.testing.assert_allclose(emb, h, rtol=1e-3, atol=1e-4)
    # unscoped names and include_top=False work too
    unscoped = {k.removeprefix("vggish/"): v for k, v in variables.items()
                if not k.startswith("vggish/fc")}
    load_state_into(VGGish(include_top=False), convert_vggish_tf(unscoped, include_top=False))


def _port_state_from(state):
    inverse = {new: old for old, new in VGGISH_PORT_KEYS.items()}
    out = {}
    for key, value in state.items():
        for new, old in inverse.items():
            if key.startswith(new):
                out[old + key[len(new):]] = value.clone()
    return out


def test_torch_port_state_dict_saved_and_reloaded_with_checksum(tmp_path):
    torch.manual_seed(0)
    reference = VGGish().state_dict()
    port = _port_state_from(reference)
    assert sorted({k.rsplit(".", 1)[0] for k in port}) == sorted(
        k.rstrip(".") for k in VGGISH_PORT_KEYS)
    port["pproc.pca_matrix"] = torch.zeros(128, 128)  # ignored
    path = tmp_path / "vggish-port.pth"
    torch.save(port, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    state = load_vggish_weights(path, sha256=digest)
    net = load_state_into(VGGish(), state)
    assert all(torch.equal(net.state_dict()[k], reference[k]) for k in reference)
    with pytest.raises(ChecksumError, match="expected SHA-256"):
        load_vggish_weights(path, sha256="0" * 64)
    with pytest.raises(ValueError, match="64 hexadecimal"):
        check_sha256(path, "abc")
    # our own saved state dict, headless
    torch.save(reference, tmp_path / "ours.pt")
    headless = load_vggish_weights(tmp_path / "ours.pt", include_top=False)
    assert not any(k.startswith("fc") for k in headless)
    load_state_into(VGGish(include_top=False), headless)


def test_port_keys_unknown_and_load_errors(tmp_path):
    with pytest.raises(ValueError, match="Unexpected key"):
        convert_vggish_port({"classifier.0.weight": torch.zeros(1)})
    with pytest.raises(ValueError, match="do not fit"):
        load_state_into(VGGish(include_top=False), {"block1.convs.0.weight": torch.zeros(1)})
    with pytest.raises(FileNotFoundError, match="fetch_weights"):
        load_yamnet_weights(tmp_path / "nope.h5")
    # a full VGGish state fits a headless VGGish: the fc keys are ignored
    load_state_into(VGGish(include_top=False), VGGish().state_dict())


def test_tf_checkpoint_reader_needs_tensorflow(tmp_path):
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="tensorflow-cpu"):
            read_tf_checkpoint(tmp_path / "vggish_model.ckpt")
    else:  # pragma: no cover - TensorFlow is not a test dependency
        pytest.skip("TensorFlow is installed")


# ---------------------------------------------------------------------------------------------
# fetch_weights: file:// URLs stand in for the network
# ---------------------------------------------------------------------------------------------
def test_fetch_weights_verifies_caches_and_refuses_mismatch(tmp_path):
    source = tmp_path / "src" / "weights.pt"
    source.parent.mkdir()
    torch.save(YAMNet(include_top=False).state_dict(), source)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    home = tmp_path / "home"
    url = source.as_uri()

    with pytest.raises(ValueError, match="unchecked"):
        fetch_weights(url, weights_home=home)
    with pytest.raises(ChecksumError, match="deleted"):
        fetch_weights(url, sha256="f" * 64, weights_home=home)
    assert not home.exists() or list(home.iterdir()) == []  # nothing left behind

    path = fetch_weights(url, sha256=digest, weights_home=home)
    assert path == home / "weights.pt" and path.read_bytes() == source.read_bytes()
    source.unlink()  # the second call uses the cache (re-verified)
    assert fetch_weights(url, sha256=digest, weights_home=home) == path
    with pytest.raises(ChecksumError):
        fetch_weights(url, sha256="e" * 64, weights_home=home)
    load_state_into(YAMNet(include_top=False), load_yamnet_weights(path, sha256=digest))

    with pytest.raises(ValueError, match="Unknown weights"):
        fetch_weights("resnet50", sha256=digest, weights_home=home)
    with pytest.raises(ValueError, match="no pinned digest"):
        fetch_weights("yamnet", weights_home=home)


# ---------------------------------------------------------------------------------------------
# the fusion network
# ---------------------------------------------------------------------------------------------
def test_fusion_network_shapes_and_freezing():
    net = VGGishYAMNetFusion(n_classes=5)
    assert net.classifier.in_features == 128 * 6 * 4 + 1024
    assert net(torch.zeros(3, 1, 96, 64)).shape == (3, 5)
    frozen = VGGishYAMNetFusion(n_classes=5, freeze_backbones=True).train()
    assert not any(p.requires_grad for p in frozen.backbone_parameters())
    assert not frozen.yamnet.training and not frozen.vggish.training
    assert frozen.classifier.training and frozen.project.training
    trainable = [n for n, p in frozen.named_parameters() if p.requires_grad]
    assert all(n.startswith(("project", "classifier")) for n in trainable)


@pytest.mark.parametrize("freeze", [True, False])
def test_fusion_backward_under_bf16_autocast(freeze):
    # YAMNet's scale-free batch norm hands a real (frozen) weight tensor to the kernel: with
    # weight=None cuDNN returned an empty bias gradient under autocast.
    net = VGGishYAMNetFusion(n_classes=3, fusion_channels=4, freeze_backbones=freeze).train()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = net(torch.randn(4, 1, 96, 64))
    out.float().logsumexp(1).mean().backward()
    bn = net.yamnet.layers[3].pointwise_bn
    assert not bn.weight.requires_grad and "weight" not in bn.state_dict()
    if freeze:
        assert bn.bias.grad is None and net.classifier.weight.grad is not None
    else:
        assert bn.bias.grad is not None and bn.bias.grad.shape == (128,)
        assert torch.isfinite(bn.bias.grad).all() and bn.bias.grad.abs().sum() > 0


def test_fusion_freeze_batch_norm_keeps_statistics_but_trains_offsets():
    net = VGGishYAMNetFusion(n_classes=3, fusion_channels=4, freeze_batch_norm=True).train()
    bn = net.yamnet.layers[0].bn
    assert not bn.training and net.project["pool2"][1].training
    before = bn.running_mean.clone()
    net(torch.randn(4, 1, 96, 64)).sum().backward()
    assert torch.equal(bn.running_mean, before) and bn.bias.grad is not None


def test_fusion_yamnet_only_head_and_partial_freezing():
    head = VGGishYAMNetFusion(n_classes=3, backbones=("yamnet",), yamnet_layer=10,
                              freeze_backbones=True)
    assert not hasattr(head, "vggish") and head.classifier.in_features == 512
    assert head.gradcam_layer == "yamnet.layers.9"
    x = torch.randn(2, 1, 96, 64)
    head.train()(x).sum().backward()
    assert all(p.grad is None for p in head.yamnet.parameters())
    assert head.classifier.weight.grad is not None
    # pretrained YAMNet fixed, VGGish trained inside the fusion
    mixed = VGGishYAMNetFusion(n_classes=3, fusion_channels=4, freeze_backbones=("yamnet",))
    mixed.train()(x).sum().backward()
    assert mixed.yamnet.layers[0].bn.bias.grad is None and not mixed.yamnet.training
    assert mixed.vggish.block1.convs[0].weight.grad is not None and mixed.vggish.training
    with pytest.raises(ValueError, match="backbones"):
        VGGishYAMNetFusion(n_classes=3, backbones=("vggish",))
    with pytest.raises(ValueError, match="not among"):
        VGGishYAMNetFusion(n_classes=3, backbones=("yamnet",), freeze_backbones=("vggish",))
