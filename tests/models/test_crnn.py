"""CRNN: length-exact CNN, masked batch norm, packed Bi-GRU, outputs."""

import numpy as np
import pytest
import torch
from torch import nn

from sklearn_ser.models.crnn import CRNN, MaskedBatchNorm2d, MaskedConvBlock, frame_mask


def padded_batch(items, extra=0, fill=0.0):
    """Stack (n_bins, T_i) tensors, padded with ``fill`` to the longest + ``extra`` frames."""
    n_frames = max(x.shape[1] for x in items) + extra
    X = torch.full((len(items), items[0].shape[0], n_frames), fill)
    for i, x in enumerate(items):
        X[i, :, :x.shape[1]] = x
    return X, torch.tensor([x.shape[1] for x in items])


def test_default_network_outputs_do_not_depend_on_batch_partners():
    torch.manual_seed(0)
    net = CRNN(n_classes=4).eval()
    target = torch.randn(128, 183)
    alone = net(target[None], torch.tensor([183]))
    partners = [
        [target, torch.randn(128, 400)],                       # much longer partner
        [torch.randn(128, 60), target, torch.randn(128, 1397)],  # short and 14 s partners
        [target, torch.randn(128, 183)],                       # no padding at all
    ]
    for items in partners:
        X, lengths = padded_batch(items)
        logits, embedding = net(X, lengths)
        k = next(i for i, x in enumerate(items) if x is target)
        torch.testing.assert_close(logits[k], alone[0][0], atol=1e-5, rtol=0)
        torch.testing.assert_close(embedding[k], alone[1][0], atol=1e-5, rtol=0)


def test_padding_value_and_amount_are_ignored():
    torch.manual_seed(1)
    net = CRNN(n_classes=3, n_bins=40, channels=(8, 8), kernel_sizes=((9, 9), 3),
               strides=((2, 2), 1), pool_sizes=((2, 2), (2, 2))).eval()
    items = [torch.randn(40, 97), torch.randn(40, 31)]
    reference = net(*padded_batch(items))[0]
    for extra, fill in [(1, 0.0), (13, 5.0), (200, float("nan")), (64, -1e6)]:
        torch.testing.assert_close(net(*padded_batch(items, extra, fill))[0], reference,
                                   atol=1e-5, rtol=0)


@pytest.mark.parametrize("kernel, stride, pool", [
    ((5, 5), 1, (2, 2)), ((4, 6), (1, 2), (2, 3)), ((3, 8), (2, 3), (1, 1)), (7, 2, 2),
])
def test_every_block_geometry_is_length_exact(kernel, stride, pool):
    torch.manual_seed(2)
    block = MaskedConvBlock(1, 3, kernel, pool, stride=stride).eval()
    block.norm.running_mean.uniform_(-1, 1)  # a non-trivial affine map in eval mode
    block.norm.running_var.uniform_(0.5, 2)
    lengths = [23, 11, 40, 17]
    items = [torch.randn(1, 12, n) for n in lengths]
    X = torch.zeros(4, 1, 12, 55)
    for i, x in enumerate(items):
        X[i, :, :, :x.shape[-1]] = x
    out, out_lengths = block(X, torch.tensor(lengths))
    for i, x in enumerate(items):
        alone, n = block(x[None], torch.tensor([x.shape[-1]]))
        assert int(out_lengths[i]) == int(n[0]) == alone.shape[-1] == block.output_length(
            lengths[i])
        torch.testing.assert_close(out[i, :, :, :int(n[0])], alone[0], atol=1e-5, rtol=0)
        assert torch.all(out[i, :, :, int(n[0]):] == 0)


def test_training_mode_ignores_padding_amount_too():
    torch.manual_seed(3)
    net = CRNN(n_classes=2, n_bins=32, channels=(4, 8), kernel_sizes=(7, 3), strides=(2, 1),
               pool_sizes=(2, 2), hidden_size=16, embedding_dim=8).train()
    items = [torch.randn(32, 70), torch.randn(32, 45), torch.randn(32, 90)]
    a = net(*padded_batch(items))[0]
    b = net(*padded_batch(items, extra=37, fill=3.0))[0]
    torch.testing.assert_close(a, b, atol=1e-5, rtol=0)


def test_masked_batch_norm_uses_only_valid_frames():
    torch.manual_seed(4)
    masked = MaskedBatchNorm2d(3).train()
    plain = nn.BatchNorm2d(3).train()
    x = torch.randn(2, 3, 5, 9)
    garbage = torch.cat([x, torch.full((2, 3, 5, 4), 50.0)], dim=-1)
    out = masked(garbage, torch.tensor([9, 9]))[..., :9]
    torch.testing.assert_close(out, plain(x), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(masked.running_mean, plain.running_mean)
    torch.testing.assert_close(masked.running_var, plain.running_var)
    # unequal lengths: statistics over the valid frames of both items only
    masked = MaskedBatchNorm2d(1, affine=False).train()
    y = torch.tensor([[[[1.0, 2.0, 3.0, 99.0]]], [[[5.0, -9.0, -9.0, -9.0]]]])
    out = masked(y, torch.tensor([3, 1]))
    valid = torch.tensor([1.0, 2.0, 3.0, 5.0])
    expected = (valid - valid.mean()) / torch.sqrt(valid.var(unbiased=False) + 1e-5)
    torch.testing.assert_close(torch.cat([out[0, 0, 0, :3], out[1, 0, 0, :1]]), expected)


def test_summary_is_forward_last_valid_step_and_backward_first_step():
    torch.manual_seed(5)
    net = CRNN(n_classes=2, n_bins=16, channels=(4,), kernel_sizes=(3,), strides=(1,),
               pool_sizes=(2,), hidden_size=5, embedding_dim=3).eval()
    x = torch.randn(1, 16, 30)
    X, lengths = padded_batch([x[0], torch.randn(16, 50)])
    summary, embedding = net.forward_features(X, lengths)
    # by hand on the unpadded utterance: CNN, then a full (unpacked) GRU run
    h, n = x[:, None], torch.tensor([30])
    for block in net.blocks:
        h, n = block(h, n)
    seq = h.flatten(1, 2).transpose(1, 2)
    out, _ = net.gru(seq)
    expected = torch.cat([out[0, -1, :5], out[0, 0, 5:]])
    torch.testing.assert_close(summary[0], expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(embedding[0], net.prelu(net.fc1(expected)), atol=1e-6, rtol=0)


def test_shapes_lengths_and_short_utterances():
    net = CRNN(n_classes=5).eval()
    assert net.min_length == 15 and net.output_length(160) == 10
    assert net.sequence_features == 64 * 8
    assert CRNN(n_classes=5, n_bins=513).sequence_features == 64 * 32
    short = torch.randn(1, 128, 6)
    logits, embedding = net(short, torch.tensor([6]))
    assert logits.shape == (1, 5) and embedding.shape == (1, 128)
    X, lengths = padded_batch([short[0], torch.randn(128, 300)])
    torch.testing.assert_close(net(X, lengths)[0][0], logits[0], atol=1e-5, rtol=0)
    # (B, 1, n_bins, T) works too, and lengths=None means "no padding"
    torch.testing.assert_close(net(X[:, None])[0][1], net(X[1:], None)[0][0], atol=1e-5, rtol=0)


def test_errors_say_what_is_wrong():
    net = CRNN(n_classes=2, n_bins=64)
    with pytest.raises(ValueError, match=r"\(B, 64, T\)"):
        net(torch.zeros(1, 32, 50))
    with pytest.raises(ValueError, match=r"lengths must hold one value in \[1, 50\]"):
        net(torch.zeros(2, 64, 50), torch.tensor([50, 51]))
    with pytest.raises(ValueError, match="one entry per convolution block"):
        CRNN(n_classes=2, channels=(4, 8), kernel_sizes=(3,))
    with pytest.raises(ValueError, match="too few for the CNN"):
        CRNN(n_classes=2, n_bins=4)
    with pytest.raises(ValueError, match="kernel_size must be"):
        MaskedConvBlock(1, 2, (3, 0))


def test_frame_mask():
    assert frame_mask(torch.tensor([0, 2]), 3).tolist() == [[False] * 3, [True, True, False]]
    assert np.array_equal(frame_mask(torch.tensor([3]), 3).numpy(), [[True] * 3])
