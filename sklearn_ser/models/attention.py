"""Attention modules of Seo & Kim 2020 (VACNN + BOVW).

Visual attention on convolutional feature maps ``V`` of shape ``(B, C, H, W)``:

- :class:`ChannelAttention` -- ``F_c = σ(MLP(GAP(V)) + MLP(GMP(V)))``, shape ``(B, C, 1, 1)``;
- :class:`SpatialAttention` -- ``F_s = σ(conv7x7([mean_c(V); max_c(V)]))``, shape ``(B, 1, H, W)``;
- :class:`VAModule` -- the paper's *parallel* combination ``F_c ⊗ V + F_s ⊗ V``;
- :class:`CBAM` -- the *sequential* combination of Woo et al. (channel, then spatial), the
  ablation baseline.

Attention over a sequence:

- :class:`ContextAttention` -- Luong's multiplicative attention (eqs. 4-7 of Seo & Kim 2020).

``⊗`` is the element-wise product with broadcasting, as in the paper.
"""

import torch
from torch import nn

__all__ = ["CBAM", "ChannelAttention", "ContextAttention", "SpatialAttention", "VAModule"]


class ChannelAttention(nn.Module):
    """Channel attention map ``F_c`` (eq. 1 of Seo & Kim 2020).

    ``F_c = σ(W1(δ(W0(GAP(V)))) + W1(δ(W0(GMP(V)))))``: the global average and the global max
    of each channel go through *one shared* two-layer MLP ``C → C/r → C`` (``δ`` = ReLU), the two
    outputs are summed and squashed by a sigmoid.

    Parameters
    ----------
    channels : int
        Number of channels ``C`` of the feature map.
    reduction : int, default=4
        Reduction ratio ``r`` of the MLP bottleneck (the paper fixes 4); ``channels // reduction``
        must be at least 1.

    Attributes
    ----------
    mlp : torch.nn.Sequential
        ``Linear(C, C // r) → ReLU → Linear(C // r, C)``, both with bias: ``2 C (C // r) + C // r
        + C`` parameters, shared by the GAP and GMP descriptors.

    See Also
    --------
    SpatialAttention, VAModule, CBAM

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.models import ChannelAttention
    >>> attention = ChannelAttention(32)
    >>> v = torch.randn(2, 32, 56, 56)
    >>> attention(v).shape  # the map F_c
    torch.Size([2, 32, 1, 1])
    >>> attention.refine(v).shape  # F_c ⊗ V
    torch.Size([2, 32, 56, 56])
    """

    def __init__(self, channels, reduction=4):
        super().__init__()
        hidden = channels // reduction
        if hidden < 1:
            raise ValueError(
                f"ChannelAttention needs channels // reduction >= 1, got channels={channels} "
                f"and reduction={reduction}; use a smaller reduction."
            )
        self.mlp = nn.Sequential(
            nn.Linear(channels, hidden),
            nn.ReLU(),
            nn.Linear(hidden, channels),
        )
        self.sigmoid = nn.Sigmoid()

    def forward(self, v):
        """Return the map ``F_c`` of shape ``(B, C, 1, 1)`` for ``V`` of shape ``(B, C, H, W)``."""
        gap = v.mean(dim=(2, 3))
        gmp = v.amax(dim=(2, 3))
        weights = self.sigmoid(self.mlp(gap) + self.mlp(gmp))
        return weights[:, :, None, None]

    def refine(self, v):
        """Return the channel-refined map ``F_c ⊗ V`` (same shape as ``V``)."""
        return self(v) * v


class SpatialAttention(nn.Module):
    """Spatial attention map ``F_s`` (eq. 2 of Seo & Kim 2020).

    ``F_s = σ(conv7x7([mean_c(V); max_c(V)]))``: the mean and the max over channels are stacked
    (in that order) into a 2-channel map, convolved to one channel (stride 1, padding
    ``kernel_size // 2`` so ``H x W`` is kept) and squashed by a sigmoid.

    Parameters
    ----------
    kernel_size : int, default=7
        Odd size of the convolution kernel.
    bias : bool, default=False
        Whether the convolution has a bias. The VA module of the paper uses an unbiased
        convolution; standard CBAM uses ``bias=True``.

    Attributes
    ----------
    conv : torch.nn.Conv2d
        ``Conv2d(2, 1, kernel_size, padding=kernel_size // 2, bias=bias)``.

    See Also
    --------
    ChannelAttention, VAModule, CBAM

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.models import SpatialAttention
    >>> attention = SpatialAttention()
    >>> v = torch.randn(2, 32, 56, 56)
    >>> attention(v).shape  # the map F_s
    torch.Size([2, 1, 56, 56])
    >>> attention.refine(v).shape  # F_s ⊗ V
    torch.Size([2, 32, 56, 56])
    >>> attention.conv.bias is None
    True
    """

    def __init__(self, kernel_size=7, bias=False):
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(
                f"SpatialAttention needs an odd kernel_size to keep H x W, got {kernel_size}."
            )
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2, bias=bias)
        self.sigmoid = nn.Sigmoid()

    def forward(self, v):
        """Return the map ``F_s`` of shape ``(B, 1, H, W)`` for ``V`` of shape ``(B, C, H, W)``."""
        pooled = torch.cat([v.mean(dim=1, keepdim=True), v.amax(dim=1, keepdim=True)], dim=1)
        return self.sigmoid(self.conv(pooled))

    def refine(self, v):
        """Return the spatially refined map ``F_s ⊗ V`` (same shape as ``V``)."""
        return self(v) * v


class VAModule(nn.Module):
    """Visual attention (VA) module of VACNN: channel and spatial attention *in parallel*.

    ``VA(V) = F_c(V) ⊗ V + F_s(V) ⊗ V``, both maps computed from the same ``V`` and the two
    refined maps summed (CBAM instead chains them, see :class:`CBAM`). With ``residual=True``
    the input is added back, ``VA(V) + V`` (the paper joins the blocks "by adding convolutional
    features"; off by default).

    Parameters
    ----------
    channels : int
        Number of channels ``C`` of ``V``.
    reduction : int, default=4
        Reduction ratio of the channel-attention MLP.
    residual : bool, default=False
        Whether to return ``VA(V) + V``.

    Attributes
    ----------
    channel : ChannelAttention
    spatial : SpatialAttention
        With an unbiased 7x7 convolution, as in the paper.

    See Also
    --------
    CBAM : the sequential channel-then-spatial baseline.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.models import VAModule
    >>> va = VAModule(96)
    >>> va(torch.randn(2, 96, 28, 28)).shape
    torch.Size([2, 96, 28, 28])
    """

    def __init__(self, channels, reduction=4, residual=False):
        super().__init__()
        self.channel = ChannelAttention(channels, reduction=reduction)
        self.spatial = SpatialAttention(kernel_size=7, bias=False)
        self.residual = residual

    def forward(self, v):
        """Map ``V`` ``(B, C, H, W)`` to ``VA(V)`` of the same shape."""
        out = self.channel(v) * v + self.spatial(v) * v
        if self.residual:
            out = out + v
        return out


class CBAM(nn.Module):
    """Convolutional block attention module (Woo et al., 2018): channel, *then* spatial.

    ``V' = F_c(V) ⊗ V``, ``CBAM(V) = F_s(V') ⊗ V'``, with the standard biased 7x7 convolution in
    the spatial attention. Used for the ablation "fine-tuned CBAM + BOVW" of Seo & Kim 2020. With
    ``residual=True`` the input is added back, ``CBAM(V) + V``, mirroring :class:`VAModule`.

    Parameters
    ----------
    channels : int
        Number of channels ``C`` of ``V``.
    reduction : int, default=4
        Reduction ratio of the channel-attention MLP.
    residual : bool, default=False
        Whether to return ``CBAM(V) + V``.

    Attributes
    ----------
    channel : ChannelAttention
    spatial : SpatialAttention
        With a biased 7x7 convolution (standard CBAM).

    See Also
    --------
    VAModule : the paper's parallel variant.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.models import CBAM
    >>> cbam = CBAM(96)
    >>> cbam(torch.randn(2, 96, 28, 28)).shape
    torch.Size([2, 96, 28, 28])
    >>> cbam.spatial.conv.bias is not None
    True
    """

    def __init__(self, channels, reduction=4, residual=False):
        super().__init__()
        self.channel = ChannelAttention(channels, reduction=reduction)
        self.spatial = SpatialAttention(kernel_size=7, bias=True)
        self.residual = residual

    def forward(self, v):
        """Map ``V`` ``(B, C, H, W)`` to ``CBAM(V)`` of the same shape."""
        refined = self.channel(v) * v
        out = self.spatial(refined) * refined
        if self.residual:
            out = out + v
        return out


class ContextAttention(nn.Module):
    """Luong's multiplicative ("general") context attention (eqs. 4-7 of Seo & Kim 2020).

    For hidden states ``h_s`` (``S`` positions) and a target state ``h_t``::

        SC_ts = h_tᵀ W h_s                 (W: D x D, no bias)
        α_ts  = softmax_s(SC_ts)
        C_t   = Σ_s α_ts h_s
        av_t  = tanh(W_c [C_t ; h_t])      (W_c: 2D → D, no bias)

    Parameters
    ----------
    dim : int
        Size ``D`` of the hidden states.

    Attributes
    ----------
    score : torch.nn.Linear
        ``W`` of eq. 4, ``Linear(D, D, bias=False)``; ``score(h_s) = W h_s``.
    combine : torch.nn.Linear
        ``W_c`` of eq. 7, ``Linear(2 D, D, bias=False)``, applied to the concatenation
        ``[C_t ; h_t]`` (context first).

    Notes
    -----
    Eq. 7 as printed has no bias term and Luong et al. define ``W_c`` without one, so neither
    ``W`` nor ``W_c`` has a bias.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.models import ContextAttention
    >>> attention = ContextAttention(288)
    >>> h_s = torch.randn(2, 49, 288)
    >>> av_t, alpha = attention(h_s, h_s[:, -1])
    >>> av_t.shape, alpha.shape
    (torch.Size([2, 288]), torch.Size([2, 49]))
    """

    def __init__(self, dim):
        super().__init__()
        self.score = nn.Linear(dim, dim, bias=False)
        self.combine = nn.Linear(2 * dim, dim, bias=False)

    def forward(self, h_s, h_t):
        """Attend over ``h_s`` from ``h_t``.

        Parameters
        ----------
        h_s : torch.Tensor of shape (B, S, D)
            Hidden states of the source sequence.
        h_t : torch.Tensor of shape (B, D)
            Target hidden state.

        Returns
        -------
        av_t : torch.Tensor of shape (B, D)
            Attention vector ``tanh(W_c [C_t ; h_t])``.
        alpha : torch.Tensor of shape (B, S)
            Attention weights ``α_ts``; each row sums to 1.
        """
        scores = torch.bmm(self.score(h_s), h_t.unsqueeze(-1)).squeeze(-1)  # (B, S)
        alpha = torch.softmax(scores, dim=1)
        context = torch.bmm(alpha.unsqueeze(1), h_s).squeeze(1)  # (B, D)
        av_t = torch.tanh(self.combine(torch.cat([context, h_t], dim=1)))
        return av_t, alpha
