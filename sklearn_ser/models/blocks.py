"""Convolution building blocks shared by the networks in :mod:`sklearn_ser.models`."""

from torch import nn

__all__ = ["ConvBlock", "conv3x3"]


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
