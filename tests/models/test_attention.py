import math

import pytest
import torch

from sklearn_ser.models import (
    CBAM,
    ChannelAttention,
    ContextAttention,
    SpatialAttention,
    VAModule,
)


@pytest.fixture
def v():
    torch.manual_seed(0)
    return torch.randn(2, 16, 6, 5)


# --- channel attention ------------------------------------------------------------------


def test_channel_attention_shapes_and_range(v):
    attention = ChannelAttention(16, reduction=4)
    weights = attention(v)
    assert weights.shape == (2, 16, 1, 1)
    assert ((weights > 0) & (weights < 1)).all()
    torch.testing.assert_close(attention.refine(v), weights * v)


@pytest.mark.parametrize("channels, reduction", [(16, 4), (288, 4), (32, 2)])
def test_channel_attention_has_one_shared_mlp(channels, reduction):
    attention = ChannelAttention(channels, reduction=reduction)
    hidden = channels // reduction
    # W0 (C -> C/r) and W1 (C/r -> C), each with a bias, and nothing else.
    n_params = sum(p.numel() for p in attention.parameters())
    assert n_params == 2 * channels * hidden + hidden + channels
    linears = [m for m in attention.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [
        (channels, hidden),
        (hidden, channels),
    ]


def test_channel_attention_sums_gap_and_gmp_through_the_same_mlp():
    torch.manual_seed(0)
    attention = ChannelAttention(8, reduction=2)
    v = torch.randn(3, 8, 4, 4)
    gap, gmp = v.mean(dim=(2, 3)), v.amax(dim=(2, 3))
    expected = torch.sigmoid(attention.mlp(gap) + attention.mlp(gmp))
    torch.testing.assert_close(attention(v), expected[:, :, None, None])
    # a spatially constant map has GAP == GMP: the map is sigmoid(2 * MLP(v))
    const = torch.randn(3, 8, 1, 1).expand(3, 8, 4, 4)
    expected = torch.sigmoid(2 * attention.mlp(const[:, :, 0, 0]))
    torch.testing.assert_close(attention(const), expected[:, :, None, None])


def test_channel_attention_rejects_empty_bottleneck():
    with pytest.raises(ValueError, match="reduction"):
        ChannelAttention(2, reduction=4)


# --- spatial attention ------------------------------------------------------------------


def test_spatial_attention_shapes_and_no_bias(v):
    attention = SpatialAttention()
    assert attention.conv.bias is None
    assert attention.conv.kernel_size == (7, 7)
    assert attention.conv.padding == (3, 3)
    assert (attention.conv.in_channels, attention.conv.out_channels) == (2, 1)
    weights = attention(v)
    assert weights.shape == (2, 1, 6, 5)
    torch.testing.assert_close(attention.refine(v), weights * v)


def test_spatial_attention_stacks_channel_mean_then_max(v):
    attention = SpatialAttention(kernel_size=3)
    with torch.no_grad():
        attention.conv.weight.zero_()
        attention.conv.weight[0, 0, 1, 1] = 1.0  # picks channel 0 (the mean)
    torch.testing.assert_close(attention(v), torch.sigmoid(v.mean(dim=1, keepdim=True)))
    with torch.no_grad():
        attention.conv.weight.zero_()
        attention.conv.weight[0, 1, 1, 1] = 1.0  # picks channel 1 (the max)
    torch.testing.assert_close(attention(v), torch.sigmoid(v.amax(dim=1, keepdim=True)))


def test_spatial_attention_bias_option_and_kernel_check():
    assert SpatialAttention(bias=True).conv.bias is not None
    with pytest.raises(ValueError, match="odd"):
        SpatialAttention(kernel_size=4)


# --- VA module and CBAM -----------------------------------------------------------------


def test_va_and_cbam_shapes(v):
    assert VAModule(16)(v).shape == v.shape
    assert VAModule(16, residual=True)(v).shape == v.shape
    assert CBAM(16)(v).shape == v.shape


def test_va_spatial_has_no_bias_but_cbam_has():
    assert VAModule(16).spatial.conv.bias is None
    assert CBAM(16).spatial.conv.bias is not None


def _constant_maps(module, monkeypatch, v):
    fc = torch.linspace(0.1, 0.9, v.shape[1]).view(1, -1, 1, 1)
    fs = torch.linspace(0.2, 0.7, v.shape[2] * v.shape[3]).view(1, 1, *v.shape[2:])
    seen = {}

    def channel(x):
        seen["channel"] = x
        return fc

    def spatial(x):
        seen["spatial"] = x
        return fs

    monkeypatch.setattr(module.channel, "forward", channel)
    monkeypatch.setattr(module.spatial, "forward", spatial)
    return fc, fs, seen


def test_va_sums_parallel_maps(v, monkeypatch):
    va = VAModule(16)
    fc, fs, seen = _constant_maps(va, monkeypatch, v)
    out = va(v)
    assert torch.equal(out, fc * v + fs * v)
    # both maps come from V itself, not from a refined V
    assert seen["channel"] is v
    assert seen["spatial"] is v


def test_va_residual_adds_input(v, monkeypatch):
    va = VAModule(16, residual=True)
    fc, fs, _ = _constant_maps(va, monkeypatch, v)
    assert torch.equal(va(v), fc * v + fs * v + v)


def test_va_without_monkeypatch_matches_equation(v):
    va = VAModule(16)
    expected = va.channel(v) * v + va.spatial(v) * v
    torch.testing.assert_close(va(v), expected)


def test_cbam_chains_channel_then_spatial(v, monkeypatch):
    cbam = CBAM(16)
    refined = cbam.channel(v) * v
    expected = cbam.spatial(refined) * refined
    torch.testing.assert_close(cbam(v), expected)

    fc, fs, seen = _constant_maps(cbam, monkeypatch, v)
    out = cbam(v)
    assert torch.equal(out, fs * (fc * v))
    assert torch.equal(seen["spatial"], fc * v)  # spatial attention sees F_c ⊗ V


def test_va_differs_from_cbam_with_same_weights(v):
    torch.manual_seed(1)
    va, cbam = VAModule(16), CBAM(16)
    cbam.channel.load_state_dict(va.channel.state_dict())
    with torch.no_grad():
        cbam.spatial.conv.weight.copy_(va.spatial.conv.weight)
        cbam.spatial.conv.bias.zero_()
    assert not torch.allclose(va(v), cbam(v))


# --- context attention ------------------------------------------------------------------


def test_context_attention_shapes_and_alpha_sums_to_one():
    torch.manual_seed(0)
    attention = ContextAttention(12)
    h_s = torch.randn(3, 5, 12)
    av_t, alpha = attention(h_s, h_s[:, -1])
    assert av_t.shape == (3, 12)
    assert alpha.shape == (3, 5)
    assert (alpha >= 0).all()
    torch.testing.assert_close(alpha.sum(dim=1), torch.ones(3))
    assert (av_t.abs() < 1).all()


def test_context_attention_layers_have_no_bias():
    attention = ContextAttention(4)
    assert attention.score.bias is None
    assert attention.score.weight.shape == (4, 4)
    assert attention.combine.bias is None
    assert attention.combine.weight.shape == (4, 8)


def test_context_attention_hand_computed_example():
    attention = ContextAttention(2)
    with torch.no_grad():
        attention.score.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0]]))  # W
        attention.combine.weight.copy_(  # W_c acting on [C_t ; h_t]
            torch.tensor([[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, -1.0, 0.0]])
        )
    h_s = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]])
    h_t = h_s[:, -1]  # [[1., 1.]]

    # SC_ts = h_tᵀ W h_s: W h_s = (1, 0), (0, 2), (1, 2); dot (1, 1) -> 1, 2, 3
    scores = [1.0, 2.0, 3.0]
    total = sum(math.exp(s) for s in scores)
    alpha = [math.exp(s) / total for s in scores]
    # C_t = Σ α_ts h_s
    context = [alpha[0] + alpha[2], alpha[1] + alpha[2]]
    # av_t = tanh(W_c [C_t ; h_t]) = tanh(C_0 + h_t1, C_1 - h_t0)
    expected_av = [math.tanh(context[0] + 1.0), math.tanh(context[1] - 1.0)]

    av_t, got_alpha = attention(h_s, h_t)
    torch.testing.assert_close(got_alpha, torch.tensor([alpha]))
    torch.testing.assert_close(av_t, torch.tensor([expected_av]))


def test_context_attention_backward():
    attention = ContextAttention(6)
    h_s = torch.randn(2, 4, 6, requires_grad=True)
    av_t, _ = attention(h_s, h_s[:, -1])
    av_t.sum().backward()
    assert h_s.grad is not None
    assert attention.score.weight.grad is not None
    assert attention.combine.weight.grad is not None
