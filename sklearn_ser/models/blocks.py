"""Convolution building blocks shared by the networks in :mod:`sklearn_ser.models`."""

import math

import torch
from torch import nn

__all__ = ["AdaptiveAvgPool2d", "ConvBlock", "adaptive_avg_pool2d_matmul", "conv3x3"]


def _pooling_matrix(n_in, n_out, like):
    """``(n_out, n_in)`` averaging weights of adaptive pooling along one axis.

    Output cell ``i`` averages inputs ``floor(i n_in / n_out)`` to
    ``ceil((i + 1) n_in / n_out) - 1``, as :func:`torch.nn.functional.adaptive_avg_pool2d`.
    """
    weights = torch.zeros(n_out, n_in, dtype=like.dtype, device=like.device)
    for i in range(n_out):
        start, stop = (i * n_in) // n_out, math.ceil((i + 1) * n_in / n_out)
        weights[i, start:stop] = 1.0 / (stop - start)
    return weights


def adaptive_avg_pool2d_matmul(x, output_size):
    """Adaptive average pooling of ``x`` ``(..., H, W)`` as two matrix products.

    The same windows and weights as :func:`torch.nn.functional.adaptive_avg_pool2d`
    (equal up to float rounding), but its backward pass is a matrix product too, which
    is deterministic on CUDA, where the backward of adaptive pooling accumulates with
    atomic additions in arbitrary order and has no deterministic implementation.

    Parameters
    ----------
    x : torch.Tensor of shape (..., H, W)
    output_size : int or (int, int)

    Returns
    -------
    torch.Tensor of shape (..., out_H, out_W)

    Examples
    --------
    >>> x = torch.arange(16.0).view(1, 1, 4, 4)
    >>> adaptive_avg_pool2d_matmul(x, 2)
    tensor([[[[ 2.5000,  4.5000],
              [10.5000, 12.5000]]]])
    """
    out_h, out_w = (output_size, output_size) if isinstance(output_size, int) else output_size
    height, width = x.shape[-2:]
    out_h = height if out_h is None else out_h
    out_w = width if out_w is None else out_w
    rows = _pooling_matrix(height, out_h, x)
    cols = _pooling_matrix(width, out_w, x)
    return torch.matmul(torch.matmul(rows, x), cols.transpose(0, 1))


class AdaptiveAvgPool2d(nn.AdaptiveAvgPool2d):
    """:class:`torch.nn.AdaptiveAvgPool2d` that stays usable under deterministic algorithms.

    Identical to torch's layer (same arguments, no parameters), except on a GPU when
    ``torch.use_deterministic_algorithms(True)`` is in force (an estimator's
    ``deterministic=True``): torch's CUDA backward of adaptive pooling has no deterministic
    implementation and would raise, so the pooling is computed by
    :func:`adaptive_avg_pool2d_matmul` instead (global pooling by a mean).

    Examples
    --------
    >>> AdaptiveAvgPool2d(7)(torch.zeros(2, 8, 14, 14)).shape
    torch.Size([2, 8, 7, 7])
    """

    def forward(self, x):
        if x.device.type == "cpu" or not torch.are_deterministic_algorithms_enabled():
            return super().forward(x)
        size = self.output_size
        if size == 1 or size == (1, 1):
            return x.mean(dim=(-2, -1), keepdim=True)
        return adaptive_avg_pool2d_matmul(x, size)


def conv3x3(in_channels, out_channels, stride=1, bias=False):
    """3x3 convolution with padding 1 (keeps the size at ``stride=1``, halves it at 2).

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of the input and of the output.
    stride : int, default=1
        Stride of the convolution.
    bias : bool, default=False
        Whether the convolution has a bias. Off by default because a
        normalisation layer, which has its own shift, follows it.

    Returns
    -------
    torch.nn.Conv2d
    """
    return nn.Conv2d(
        in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=bias
    )


class ConvBlock(nn.Module):
    """The *convolution block* of VACNN: 3x3 conv → GroupNorm → ReLU.

    Parameters
    ----------
    in_channels : int
        Channels of the input.
    out_channels : int
        Number of filters (channels of the output); must be divisible by
        ``groups``.
    stride : int, default=1
        Stride of the convolution: 1 keeps ``H x W``, 2 gives
        ``ceil(H / 2) x ceil(W / 2)``.
    groups : int, default=8
        Number of groups of the group normalisation (the paper fixes 8).

    Attributes
    ----------
    conv : torch.nn.Conv2d
        3x3 convolution, padding 1, no bias (the GroupNorm shift replaces it).
    norm : torch.nn.GroupNorm
    relu : torch.nn.ReLU

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.models import ConvBlock
    >>> block = ConvBlock(1, 32, stride=2)
    >>> block(torch.zeros(2, 1, 224, 224)).shape
    torch.Size([2, 32, 112, 112])
    """

    def __init__(self, in_channels, out_channels, stride=1, groups=8):
        super().__init__()
        self.conv = conv3x3(in_channels, out_channels, stride=stride)
        self.norm = nn.GroupNorm(groups, out_channels)
        self.relu = nn.ReLU()

    def forward(self, x):
        """Map ``(B, in_channels, H, W)`` to ``(B, out_channels, H', W')``."""
        return self.relu(self.norm(self.conv(x)))
