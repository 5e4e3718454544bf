"""YAMNet (Google, AudioSet) in PyTorch, laid out like the released Keras model.

A MobileNetV1 on 96 x 64 log-mel patches: one full 3x3 convolution, then
thirteen depthwise-separable layers (3x3 depthwise convolution + 1x1
pointwise convolution), each convolution followed by batch normalisation
(with a learned offset but no scale, epsilon 1e-4) and ReLU; global average
pooling gives a 1024-d embedding and a dense layer the 521 AudioSet class
logits::

    layer   type        stride  filters   output (for 96 x 64)
    1       conv           2       32     32 x 48 x 32
    2       separable      1       64     64 x 48 x 32
    3       separable      2      128    128 x 24 x 16
    4       separable      1      128
    5       separable      2      256    256 x 12 x  8
    6       separable      1      256
    7       separable      2      512    512 x  6 x  4
    8-12    separable      1      512
    13      separable      2     1024   1024 x  3 x  2
    14      separable      1     1024
    global average pool -> 1024; logits 521

Without released weights every convolution is He-initialised (fan-in, ReLU
gain; the depthwise ones per channel), so activations keep their scale
through the 27 convolutions even with frozen, eval-mode batch norm; PyTorch's
default initialisation shrinks them by about 1e-11, which would leave a
frozen random YAMNet silent.

Convolutions use TensorFlow's "same" padding: with stride 2 on an even size,
the extra row/column of zeros goes at the bottom/right (PyTorch's symmetric
``padding=1`` would shift every stride-2 layer by one pixel and break the
released weights).
"""

import math

import torch.nn.functional as F
from torch import nn

__all__ = ["YAMNET_LAYERS", "BatchNormNoScale", "YAMNet", "YAMNetConv", "YAMNetSeparableConv",
           "tf_same_padding"]

#: (kind, stride, filters) of layers 1..14, as released.
YAMNET_LAYERS = (
    ("conv", 2, 32),
    ("separable", 1, 64),
    ("separable", 2, 128),
    ("separable", 1, 128),
    ("separable", 2, 256),
    ("separable", 1, 256),
    ("separable", 2, 512),
    ("separable", 1, 512),
    ("separable", 1, 512),
    ("separable", 1, 512),
    ("separable", 1, 512),
    ("separable", 1, 512),
    ("separable", 2, 1024),
    ("separable", 1, 1024),
)

#: Batch-norm epsilon of the release.
YAMNET_BN_EPSILON = 1e-4


def tf_same_padding(size, kernel_size, stride):
    """Padding ``(before, after)`` of TensorFlow's "same" mode along one axis.

    Examples
    --------
    >>> tf_same_padding(96, 3, 2), tf_same_padding(48, 3, 1), tf_same_padding(3, 3, 2)
    ((0, 1), (1, 1), (1, 1))
    """
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel_size - size, 0)
    return total // 2, total - total // 2


class BatchNormNoScale(nn.BatchNorm2d):
    """Batch normalisation with a learned offset (``bias``) and no scale.

    Keras' ``BatchNormalization(center=True, scale=False)``: the state dict
    holds ``bias``, ``running_mean`` and ``running_var`` (no ``weight``).
    ``momentum`` follows PyTorch's convention (Keras' 0.99 is 0.01 here).

    The scale is a real tensor of ones, kept as a non-persistent buffer (so
    never trained and never saved), rather than ``None``: with ``weight=None``
    cuDNN's batch-norm backward (CUDA, and bf16 autocast) returns an empty
    gradient for ``bias`` ("got [0] but expected shape compatible with
    [C]") or fails with "tensor does not have a device".

    Examples
    --------
    >>> import torch
    >>> bn = BatchNormNoScale(4).eval()
    >>> sorted(bn.state_dict())
    ['bias', 'num_batches_tracked', 'running_mean', 'running_var']
    >>> bn.weight.tolist(), bn.weight.requires_grad
    ([1.0, 1.0, 1.0, 1.0], False)
    """

    def __init__(self, num_features, eps=YAMNET_BN_EPSILON, momentum=0.01):
        super().__init__(num_features, eps=eps, momentum=momentum, affine=False)
        del self.weight
        self.register_buffer("weight", self.running_mean.new_ones(num_features),
                             persistent=False)
        self.bias = nn.Parameter(self.running_mean.new_zeros(num_features))


class _SameConv2d(nn.Conv2d):
    """A bias-free convolution with TensorFlow "same" padding computed from the input size."""

    def forward(self, x):
        kh, kw = self.kernel_size
        sh, sw = self.stride
        top, bottom = tf_same_padding(x.shape[-2], kh, sh)
        left, right = tf_same_padding(x.shape[-1], kw, sw)
        if top or bottom or left or right:
            x = F.pad(x, (left, right, top, bottom))
        return super().forward(x)


class YAMNetConv(nn.Module):
    """Full 3x3 convolution (TF same padding, no bias) + batch norm without scale + ReLU.

    Examples
    --------
    >>> import torch
    >>> YAMNetConv(1, 32, stride=2)(torch.zeros(1, 1, 96, 64)).shape
    torch.Size([1, 32, 48, 32])
    """

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv = _SameConv2d(in_channels, out_channels, 3, stride=stride, bias=False)
        self.bn = BatchNormNoScale(out_channels)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class YAMNetSeparableConv(nn.Module):
    """Depthwise 3x3 conv + BN + ReLU, then pointwise 1x1 conv + BN + ReLU (MobileNetV1).

    Examples
    --------
    >>> import torch
    >>> YAMNetSeparableConv(32, 64, stride=2)(torch.zeros(1, 32, 48, 32)).shape
    torch.Size([1, 64, 24, 16])
    """

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.depthwise = _SameConv2d(in_channels, in_channels, 3, stride=stride,
                                     groups=in_channels, bias=False)
        self.depthwise_bn = BatchNormNoScale(in_channels)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.pointwise_bn = BatchNormNoScale(out_channels)

    def forward(self, x):
        x = F.relu(self.depthwise_bn(self.depthwise(x)))
        return F.relu(self.pointwise_bn(self.pointwise(x)))


class YAMNet(nn.Module):
    """The YAMNet audio event classifier (MobileNetV1 on 96 x 64 log-mel patches).

    Parameters
    ----------
    n_classes : int, default=521
        Outputs of the ``logits`` layer (521 AudioSet classes as released).
    include_top : bool, default=True
        Keep the ``logits`` layer; without it ``forward`` returns the
        1024-d embedding.

    Attributes
    ----------
    layers : torch.nn.ModuleList
        ``layers[k]`` is the release's ``layer{k + 1}``.
    logits : torch.nn.Linear
        Present when ``include_top``. The release applies a sigmoid to it
        (multi-label); ``forward`` returns the raw logits.

    See Also
    --------
    sklearn_ser.models.weights.load_yamnet_weights : Released weights as a state dict.

    Examples
    --------
    >>> import torch
    >>> net = YAMNet().eval()
    >>> net(torch.zeros(2, 1, 96, 64)).shape, net.embed(torch.zeros(2, 1, 96, 64)).shape
    (torch.Size([2, 521]), torch.Size([2, 1024]))
    """

    def __init__(self, n_classes=521, include_top=True):
        super().__init__()
        self.n_classes = n_classes
        self.include_top = include_top
        layers = []
        in_channels = 1
        for kind, stride, filters in YAMNET_LAYERS:
            block = YAMNetConv if kind == "conv" else YAMNetSeparableConv
            layers.append(block(in_channels, filters, stride=stride))
            in_channels = filters
        self.layers = nn.ModuleList(layers)
        if include_top:
            self.logits = nn.Linear(in_channels, n_classes)
        self.reset_parameters()

    def reset_parameters(self):
        """He initialisation (fan-in, ReLU gain) of the convolutions; BN and logits reset."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                module.reset_running_stats()
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, std=0.01)
                nn.init.zeros_(module.bias)

    def feature_map(self, x):
        """Output of layer 14, ``(batch, 1024, frames / 32, bands / 32)`` (rounded up)."""
        if x.ndim != 4 or x.shape[1] != 1:
            raise ValueError(
                f"YAMNet expects log-mel patches of shape (batch, 1, frames, bands), got "
                f"{tuple(x.shape)}."
            )
        for layer in self.layers:
            x = layer(x)
        return x

    def embed(self, x):
        """1024-d embeddings (global average of :meth:`feature_map`)."""
        return self.feature_map(x).mean(dim=(2, 3))

    def forward(self, x):
        """Class logits ``(batch, n_classes)``, or embeddings without the top."""
        x = self.embed(x)
        return self.logits(x) if self.include_top else x
