import pytest
import torch
from torch import nn

from sklearn_ser.models import (
    CBAM,
    ENCODER_STAGES,
    VACNN,
    VACNNBOVW,
    VABlock,
    VACNNEncoder,
    VAModule,
    freeze_until,
)

SMALL = 64  # image side for fast tests


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def test_encoder_shapes_at_224():
    encoder = VACNNEncoder()
    sizes = {}

    def record(module, args, out):
        sizes["stem_conv"] = tuple(out.shape[1:])

    handle = encoder.stem.conv.register_forward_hook(record)
    with torch.no_grad():
        maps = encoder.forward_features(torch.randn(1, 1, 224, 224), return_all=True)
    handle.remove()
    assert sizes["stem_conv"] == (32, 112, 112)  # before the max pool
    assert list(maps) == list(ENCODER_STAGES)
    assert {name: tuple(m.shape) for name, m in maps.items()} == {
        "stem": (1, 32, 56, 56),
        "va1": (1, 32, 56, 56),
        "va2": (1, 96, 28, 28),
        "va3": (1, 288, 14, 14),
    }


def test_encoder_forward_returns_last_map():
    encoder = VACNNEncoder()
    x = torch.randn(2, 1, SMALL, SMALL)
    with torch.no_grad():
        out = encoder(x)
        maps = encoder.forward_features(x, return_all=True)
    assert out.shape == (2, 288, 4, 4)
    assert torch.equal(out, maps["va3"])
    assert encoder.out_channels == 288


def test_encoder_structure():
    encoder = VACNNEncoder()
    assert [name for name, _ in encoder.named_children()] == list(ENCODER_STAGES)
    assert [name for name, _ in encoder.stem.named_children()] == ["conv", "pool"]
    pool = encoder.stem.pool
    assert isinstance(pool, nn.MaxPool2d)
    assert (pool.kernel_size, pool.stride, pool.padding) == (3, 2, 1)
    for name, stride in [("va1", 1), ("va2", 2), ("va3", 2)]:
        block = getattr(encoder, name)
        assert isinstance(block, VABlock)
        assert [child for child, _ in block.named_children()] == ["conv1", "conv2", "attention"]
        assert block.conv1.conv.stride == (stride, stride)
        assert block.conv2.conv.stride == (1, 1)


@pytest.mark.parametrize(
    "attention, module", [("va", VAModule), ("cbam", CBAM), (None, nn.Identity)]
)
def test_attention_choices_build_and_run(attention, module):
    net = VACNN(n_classes=5, attention=attention)
    for name in ("va1", "va2", "va3"):
        assert type(getattr(net.encoder, name).attention) is module
    assert net(torch.randn(2, 1, SMALL, SMALL)).shape == (2, 5)


def test_residual_is_passed_to_attention():
    encoder = VACNNEncoder(residual=True)
    assert all(getattr(encoder, n).attention.residual for n in ("va1", "va2", "va3"))
    assert not VACNNEncoder().va1.attention.residual


@pytest.mark.parametrize("attention", ["VA", "se", "none", 1])
def test_invalid_attention_raises(attention):
    with pytest.raises(ValueError, match="attention must be 'va'.*'cbam'.*None"):
        VACNNEncoder(attention=attention)


def test_invalid_widths_raises():
    with pytest.raises(ValueError, match="widths"):
        VACNNEncoder(widths=(32, 96))


def test_custom_widths():
    net = VACNN(n_classes=3, widths=(8, 16, 24))
    maps = net.encoder.forward_features(torch.randn(2, 1, SMALL, SMALL), return_all=True)
    assert [m.shape[1] for m in maps.values()] == [8, 8, 16, 24]
    assert net.head.fc1.in_features == 24


def test_vacnn_forward_backward():
    net = VACNN(n_classes=7)
    image = torch.randn(2, 1, SMALL, SMALL)
    logits = net(image)
    assert logits.shape == (2, 7)
    nn.functional.cross_entropy(logits, torch.tensor([0, 3])).backward()
    assert all(p.grad is not None for p in net.parameters())


def test_vacnn_head():
    net = VACNN(n_classes=7, hidden=64, dropout=0.5)
    head = net.head
    assert isinstance(head.norm, nn.GroupNorm) and head.norm.num_groups == 8
    assert (head.fc1.in_features, head.fc1.out_features) == (288, 64)
    assert (head.fc2.in_features, head.fc2.out_features) == (64, 7)
    assert head.dropout.p == 0.5


def test_vacnn_accepts_float64_and_keyword_image():
    net = VACNN(n_classes=4).eval()
    image = torch.randn(2, 1, SMALL, SMALL, dtype=torch.float64)
    with torch.no_grad():
        out = net(image=image)
        expected = net(image.float())
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, expected)


def test_vacnn_bovw_forward_backward():
    net = VACNNBOVW(n_classes=7, n_words=32)
    image, bovw = torch.randn(2, 1, SMALL, SMALL), torch.rand(2, 32)
    logits = net(image=image, bovw=bovw)
    assert logits.shape == (2, 7)
    nn.functional.cross_entropy(logits, torch.tensor([1, 6])).backward()
    assert all(p.grad is not None for p in net.parameters())


def test_vacnn_bovw_intermediate_shapes():
    net = VACNNBOVW(n_classes=4, n_words=16)
    assert net.pool.output_size == 7
    assert net.classifier.fc.in_features == 49 * 288
    assert (net.bovw_embedding.squeeze.in_features,
            net.bovw_embedding.squeeze.out_features) == (16, 49)
    assert (net.bovw_embedding.expand.in_features,
            net.bovw_embedding.expand.out_features) == (1, 288)
    image, bovw = torch.randn(2, 1, SMALL, SMALL), torch.rand(2, 16).double()
    with torch.no_grad():
        h_s = net.bovw_embedding(bovw.float())
        logits, alpha = net(image, bovw, return_attention=True)
    assert h_s.shape == (2, 49, 288)
    assert logits.shape == (2, 4)
    assert alpha.shape == (2, 49)
    torch.testing.assert_close(alpha.sum(dim=1), torch.ones(2))


def test_vacnn_bovw_matches_equation_8():
    net = VACNNBOVW(n_classes=3, n_words=16, widths=(8, 16, 24), grid=3).eval()
    image, bovw = torch.randn(2, 1, SMALL, SMALL), torch.rand(2, 16)
    with torch.no_grad():
        o = net.pool(net.encoder(image)).flatten(2).transpose(1, 2)
        assert o.shape == (2, 9, 24)
        h_s = net.bovw_embedding(bovw)
        av_t, _ = net.context(h_s, h_s[:, -1])
        avf_s = torch.tanh(o * av_t[:, None, :]) + h_s
        expected = net.classifier.fc(torch.relu(avf_s).flatten(1))
        torch.testing.assert_close(net(image, bovw), expected)


def test_pool_is_papers_2x2_average_at_224():
    net = VACNNBOVW(n_classes=2)
    x = torch.randn(1, 288, 14, 14)
    torch.testing.assert_close(net.pool(x), nn.functional.avg_pool2d(x, 2))


def test_encoder_weights_transfer_from_vacnn_to_fusion():
    vacnn = VACNN(n_classes=7).eval()
    fusion = VACNNBOVW(n_classes=8).eval()
    assert vacnn.encoder.state_dict().keys() == fusion.encoder.state_dict().keys()
    image = torch.randn(2, 1, SMALL, SMALL)
    with torch.no_grad():
        assert not torch.allclose(fusion.encoder(image), vacnn.encoder(image))
        fusion.encoder.load_state_dict(vacnn.encoder.state_dict())  # strict
        assert torch.equal(fusion.encoder(image), vacnn.encoder(image))


def _param_names(module, prefixes):
    return [n for n, _ in module.named_parameters() if n.startswith(prefixes)]


def test_freeze_until_va1_freezes_exactly_stem_and_va1():
    net = VACNNBOVW(n_classes=7)
    frozen = freeze_until(net, "va1")
    expected = _param_names(net, ("encoder.stem.", "encoder.va1."))
    assert sorted(frozen) == sorted(expected)
    assert len(expected) > 0
    for name, param in net.named_parameters():
        assert param.requires_grad == (name not in expected), name


@pytest.mark.parametrize("name, n_stages", [(None, 0), ("stem", 1), ("va2", 3), ("va3", 4)])
def test_freeze_until_each_stage(name, n_stages):
    net = VACNN(n_classes=7)
    frozen = freeze_until(net, name)
    prefixes = tuple(f"encoder.{s}." for s in ENCODER_STAGES[:n_stages])
    expected = _param_names(net, prefixes) if prefixes else []
    assert sorted(frozen) == sorted(expected)
    assert all(p.requires_grad for p in net.head.parameters())


def test_freeze_until_on_encoder_and_training_leaves_frozen_weights():
    encoder = VACNNEncoder(widths=(8, 16, 24))
    frozen = freeze_until(encoder, "stem")
    assert frozen and all(n.startswith("stem.") for n in frozen)
    before = encoder.stem.conv.conv.weight.clone()
    optimizer = torch.optim.Adam(
        [p for p in encoder.parameters() if p.requires_grad], lr=0.1, weight_decay=1e-4
    )
    encoder(torch.randn(2, 1, SMALL, SMALL)).sum().backward()
    optimizer.step()
    assert encoder.stem.conv.conv.weight.grad is None
    assert torch.equal(encoder.stem.conv.conv.weight, before)


def test_freeze_until_errors():
    with pytest.raises(ValueError, match=r"'stem', 'va1', 'va2', 'va3'"):
        freeze_until(VACNN(n_classes=2), "va4")
    with pytest.raises(TypeError, match="VACNNEncoder"):
        freeze_until(nn.Linear(2, 2), "stem")
