"""VACNN and its fine-tuned fusion with a bag of visual words (Seo & Kim 2020).

Shapes at the paper's 224x224x1 input::

    image (B, 1, 224, 224)
    stem  ConvBlock 32 /2 → (B, 32, 112, 112) → 3x3 max pool /2 → (B, 32, 56, 56)
    va1   ConvBlock 32, ConvBlock 32, attention  → (B, 32, 56, 56)
    va2   ConvBlock 96 /2, ConvBlock 96, attention → (B, 96, 28, 28)
    va3   ConvBlock 288 /2, ConvBlock 288, attention → (B, 288, 14, 14)

:class:`VACNN` (pretraining) adds GroupNorm → ReLU → global average pool → FC 256 → ReLU →
FC ``n_classes``. :class:`VACNNBOVW` (fine-tuning) pools the encoder output to 7x7, reads it as
a sequence ``O`` of 49 positions and fuses it with the BOVW histogram through
:class:`~sklearn_ser.models.ContextAttention`.

Both networks return logits; the softmax belongs to the loss (``CrossEntropyLoss``) and to
``predict_proba``.
"""

from collections import OrderedDict

import torch
from torch import nn

from .attention import CBAM, ContextAttention, VAModule
from .blocks import AdaptiveAvgPool2d, ConvBlock

__all__ = [
    "ENCODER_STAGES",
    "BOVWEmbedding",
    "VABlock",
    "VACNN",
    "VACNNBOVW",
    "VACNNEncoder",
    "freeze_until",
]

#: Names of the encoder's stages, input to output (children of :class:`VACNNEncoder`).
ENCODER_STAGES = ("stem", "va1", "va2", "va3")

_ATTENTION_MODULES = {"va": VAModule, "cbam": CBAM}


def _augment_module(augment):
    if augment is None:
        return nn.Identity()
    if not isinstance(augment, nn.Module):
        raise TypeError(
            f"augment must be a torch.nn.Module (e.g. sklearn_ser.models.SpecAugment()) or "
            f"None, got {type(augment).__name__}."
        )
    if any(True for _ in augment.parameters()):
        raise ValueError(
            f"augment ({type(augment).__name__}) has parameters; an augmentation layer must "
            "have none, so that the network's weights transfer with or without it."
        )
    return augment


def _attention_module(attention, channels, reduction, residual):
    if attention is None:
        return nn.Identity()
    if not isinstance(attention, str) or attention not in _ATTENTION_MODULES:
        raise ValueError(
            f"attention must be 'va' (the paper's VA module), 'cbam' (the ablation) or None "
            f"(no attention), got {attention!r}."
        )
    return _ATTENTION_MODULES[attention](channels, reduction=reduction, residual=residual)


class VABlock(nn.Module):
    """A VA block: two :class:`ConvBlock` then an attention module.

    Parameters
    ----------
    in_channels : int
        Channels of the input.
    out_channels : int
        Filters of both convolution blocks (channels of the output).
    stride : int, default=1
        Stride of the first convolution block (the second always has stride 1).
    attention : {"va", "cbam"} or None, default="va"
        :class:`~sklearn_ser.models.VAModule`, :class:`~sklearn_ser.models.CBAM` or no
        attention (identity).
    residual : bool, default=False
        Passed to the attention module: add its input back (``VA(V) + V``). No effect when
        ``attention=None``.
    reduction : int, default=4
        Reduction ratio of the channel attention.
    groups : int, default=8
        Groups of the group normalisations.

    Attributes
    ----------
    conv1, conv2 : ConvBlock
    attention : VAModule, CBAM or torch.nn.Identity

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.models import VABlock
    >>> block = VABlock(32, 96, stride=2)
    >>> block(torch.zeros(2, 32, 56, 56)).shape
    torch.Size([2, 96, 28, 28])
    """

    def __init__(
        self, in_channels, out_channels, stride=1, attention="va", residual=False, reduction=4,
        groups=8,
    ):
        super().__init__()
        self.conv1 = ConvBlock(in_channels, out_channels, stride=stride, groups=groups)
        self.conv2 = ConvBlock(out_channels, out_channels, stride=1, groups=groups)
        self.attention = _attention_module(attention, out_channels, reduction, residual)

    def forward(self, x):
        """Map ``(B, in_channels, H, W)`` to ``(B, out_channels, H', W')``."""
        return self.attention(self.conv2(self.conv1(x)))


class VACNNEncoder(nn.Module):
    """Convolutional trunk of VACNN: stem and three VA blocks.

    Parameters
    ----------
    in_channels : int, default=1
        Channels of the input image (1: grayscale log-mel image).
    widths : tuple of 3 int, default=(32, 96, 288)
        Filters of the stem and VA block 1, of VA block 2 and of VA block 3. Each must be
        divisible by ``groups``.
    attention : {"va", "cbam"} or None, default="va"
        Attention module at the end of each VA block: the paper's parallel
        :class:`~sklearn_ser.models.VAModule`, the sequential
        :class:`~sklearn_ser.models.CBAM` (ablation) or none.
    residual : bool, default=False
        Add each attention module's input back to its output (``VA(V) + V``).
    reduction : int, default=4
        Reduction ratio of the channel attention.
    groups : int, default=8
        Groups of every group normalisation.

    Attributes
    ----------
    stem : torch.nn.Sequential
        ``conv`` (ConvBlock, stride 2) then ``pool`` (3x3 max pool, stride 2, padding 1).
    va1, va2, va3 : VABlock
        Strides 1, 2, 2.
    out_channels : int
        ``widths[-1]``, the channels of the output.

    Notes
    -----
    Inputs are cast to the parameters' dtype, so ``float64`` or ``uint8`` images coming from
    NumPy are accepted; the network does not rescale pixel values.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.models import VACNNEncoder
    >>> encoder = VACNNEncoder()
    >>> image = torch.zeros(2, 1, 224, 224)
    >>> encoder(image).shape
    torch.Size([2, 288, 14, 14])
    >>> maps = encoder.forward_features(image, return_all=True)
    >>> {name: tuple(m.shape[1:]) for name, m in maps.items()}
    {'stem': (32, 56, 56), 'va1': (32, 56, 56), 'va2': (96, 28, 28), 'va3': (288, 14, 14)}
    """

    def __init__(
        self, in_channels=1, widths=(32, 96, 288), attention="va", residual=False, reduction=4,
        groups=8,
    ):
        super().__init__()
        if len(widths) != 3:
            raise ValueError(
                f"widths must give 3 filter counts (stem and VA block 1, VA block 2, VA block "
                f"3), got {widths!r}."
            )
        w1, w2, w3 = widths
        block = dict(attention=attention, residual=residual, reduction=reduction, groups=groups)
        self.stem = nn.Sequential(
            OrderedDict(
                conv=ConvBlock(in_channels, w1, stride=2, groups=groups),
                pool=nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
            )
        )
        self.va1 = VABlock(w1, w1, stride=1, **block)
        self.va2 = VABlock(w1, w2, stride=2, **block)
        self.va3 = VABlock(w2, w3, stride=2, **block)
        self.out_channels = w3

    def forward_features(self, x, return_all=False):
        """Run the encoder, optionally keeping every stage's output.

        Parameters
        ----------
        x : torch.Tensor of shape (B, in_channels, H, W)
            Input images.
        return_all : bool, default=False
            Return a dict of all stage outputs instead of the last one.

        Returns
        -------
        torch.Tensor of shape (B, widths[-1], H / 16, W / 16) or dict
            The output of ``va3``; with ``return_all=True`` an ordered dict
            ``{"stem": ..., "va1": ..., "va2": ..., "va3": ...}`` (keys as in
            :data:`ENCODER_STAGES`, the stem's map taken after its max pool).
        """
        x = x.to(self.stem.conv.conv.weight.dtype)
        features = OrderedDict()
        for name in ENCODER_STAGES:
            x = getattr(self, name)(x)
            features[name] = x
        return features if return_all else x

    def forward(self, x):
        """Map images ``(B, in_channels, H, W)`` to ``(B, widths[-1], H / 16, W / 16)``."""
        return self.forward_features(x)


class VACNN(nn.Module):
    """Visual attention CNN for pretraining (Seo & Kim 2020, Fig. 2).

    ``encoder`` (stem + three VA blocks) then ``head``: GroupNorm → ReLU → global average
    pool → FC ``hidden`` → ReLU → dropout → FC ``n_classes``.

    Parameters
    ----------
    n_classes : int
        Number of emotion classes.
    in_channels : int, default=1
        Channels of the input image.
    widths : tuple of 3 int, default=(32, 96, 288)
        Filters of the stem/VA block 1, VA block 2 and VA block 3.
    attention : {"va", "cbam"} or None, default="va"
        Attention at the end of each VA block (see :class:`VACNNEncoder`).
    residual : bool, default=False
        Add each attention module's input back to its output.
    hidden : int, default=256
        Units of the first fully connected layer.
    dropout : float, default=0.0
        Dropout probability before the last layer (not in the paper; 0 disables it).
    augment : torch.nn.Module or None, default=None
        Applied to the input images first, e.g. :class:`~sklearn_ser.models.SpecAugment`,
        which acts in training mode only (not in the paper; ``None`` disables it). It must
        have no parameters, so that weights transfer with or without it.

    Attributes
    ----------
    augment : torch.nn.Module
        ``augment``, or :class:`torch.nn.Identity`.
    encoder : VACNNEncoder
    head : torch.nn.Sequential
        Children ``norm``, ``relu``, ``pool``, ``flatten``, ``fc1``, ``relu1``, ``dropout``,
        ``fc2``.

    See Also
    --------
    VACNNBOVW : the fine-tuning network, which takes this network's ``encoder`` weights.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.models import VACNN
    >>> net = VACNN(n_classes=7)
    >>> net(torch.zeros(2, 1, 224, 224)).shape  # logits
    torch.Size([2, 7])
    """

    def __init__(
        self, n_classes, in_channels=1, widths=(32, 96, 288), attention="va", residual=False,
        hidden=256, dropout=0.0, augment=None,
    ):
        super().__init__()
        self.augment = _augment_module(augment)
        self.encoder = VACNNEncoder(
            in_channels=in_channels, widths=widths, attention=attention, residual=residual
        )
        channels = self.encoder.out_channels
        self.head = nn.Sequential(
            OrderedDict(
                norm=nn.GroupNorm(8, channels),
                relu=nn.ReLU(),
                pool=AdaptiveAvgPool2d(1),
                flatten=nn.Flatten(),
                fc1=nn.Linear(channels, hidden),
                relu1=nn.ReLU(),
                dropout=nn.Dropout(dropout),
                fc2=nn.Linear(hidden, n_classes),
            )
        )

    def forward(self, image):
        """Map images ``(B, in_channels, H, W)`` to logits ``(B, n_classes)``."""
        return self.head(self.encoder(self.augment(image)))


class BOVWEmbedding(nn.Module):
    """Turn a BOVW histogram into a sequence of hidden states ``h_s``.

    ``histogram (B, n_words) → Linear(n_words, n_positions) → ReLU → (B, n_positions, 1) →
    Linear(1, dim) → ReLU → h_s (B, n_positions, dim)``: the histogram is squeezed to one value
    per position (49 neurons in the paper) and each value expanded to ``dim`` features (288).

    Parameters
    ----------
    n_words : int
        Size of the visual vocabulary (length of the histogram).
    n_positions : int
        Length ``S`` of the sequence (49 = 7x7 in the paper).
    dim : int
        Features per position (288 in the paper).

    Attributes
    ----------
    squeeze : torch.nn.Linear
        ``Linear(n_words, n_positions)``.
    expand : torch.nn.Linear
        ``Linear(1, dim)``, shared by all positions.

    Notes
    -----
    The paper calls both steps "MLP layers" without naming an activation; ReLU after each is
    our choice.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.models import BOVWEmbedding
    >>> embed = BOVWEmbedding(128, 49, 288)
    >>> embed(torch.rand(2, 128)).shape
    torch.Size([2, 49, 288])
    """

    def __init__(self, n_words, n_positions, dim):
        super().__init__()
        self.squeeze = nn.Linear(n_words, n_positions)
        self.expand = nn.Linear(1, dim)
        self.relu = nn.ReLU()

    def forward(self, histogram):
        """Map ``(B, n_words)`` to hidden states ``(B, n_positions, dim)``."""
        z = self.relu(self.squeeze(histogram))
        return self.relu(self.expand(z.unsqueeze(-1)))


class VACNNBOVW(nn.Module):
    """Fine-tuned VACNN fused with a BOVW histogram by context attention (Seo & Kim 2020, Fig. 3).

    ::

        O      = pool(encoder(image)) as a sequence        (B, grid², C)
        h_s    = BOVWEmbedding(bovw), h_t = h_s[:, -1]      (B, grid², C), (B, C)
        av_t   = ContextAttention(h_s, h_t)                 (B, C)      eqs. 4-7
        avf_s  = tanh(O ⊙ av_t) + h_s                       (B, grid², C)  eq. 8
        logits = Linear(ReLU(avf_s) flattened)              (B, n_classes)

    with ``C = widths[-1]`` (288).

    Parameters
    ----------
    n_classes : int
        Number of emotion classes.
    n_words : int, default=128
        Length of the BOVW histogram (the paper's vocabulary has 128 visual words).
    in_channels : int, default=1
        Channels of the input image.
    widths : tuple of 3 int, default=(32, 96, 288)
        Filters of the encoder; must match the pretrained :class:`VACNN` to transfer weights.
    attention : {"va", "cbam"} or None, default="va"
        Attention at the end of each VA block.
    residual : bool, default=False
        Add each attention module's input back to its output.
    grid : int, default=7
        Side of the pooled map; the sequence has ``grid ** 2`` positions.
    dropout : float, default=0.0
        Dropout probability before the classification layer (not in the paper).
    augment : torch.nn.Module or None, default=None
        Applied to the images first (not to the histograms), e.g.
        :class:`~sklearn_ser.models.SpecAugment` (training mode only; not in the paper).

    Attributes
    ----------
    augment : torch.nn.Module
        ``augment``, or :class:`torch.nn.Identity`.
    encoder : VACNNEncoder
        Same child name and parameter names as ``VACNN.encoder``, so
        ``fusion.encoder.load_state_dict(vacnn.encoder.state_dict())`` transfers the pretrained
        weights.
    pool : sklearn_ser.models.blocks.AdaptiveAvgPool2d
        To ``grid x grid``.
    bovw_embedding : BOVWEmbedding
    context : ContextAttention
    classifier : torch.nn.Sequential
        ``relu`` → ``flatten`` → ``dropout`` → ``fc`` (``Linear(grid² C, n_classes)``).

    Notes
    -----
    At 224x224 input the encoder gives 14x14 and ``AdaptiveAvgPool2d(7)`` is exactly the
    paper's 2x2 average pool with stride 2. At other input sizes adaptive pooling still gives
    ``grid x grid`` = 49 positions (averaging bigger windows, or repeating cells when the map is
    smaller than the grid, e.g. 4x4 at 64x64 input), so the BOVW path and the classification
    layer do not depend on the image size.

    Choices where the paper is silent: the encoder output enters the pool without the
    GroupNorm/ReLU of the pretraining head; the BOVW layers use ReLU (see
    :class:`BOVWEmbedding`); the "classification layer" is one linear layer over the flattened
    ``avf_s`` (``grid² C`` features), which keeps every position's features.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.models import VACNNBOVW
    >>> net = VACNNBOVW(n_classes=7)
    >>> image, bovw = torch.zeros(2, 1, 224, 224), torch.rand(2, 128)
    >>> net(image, bovw).shape  # logits
    torch.Size([2, 7])
    >>> logits, alpha = net(image, bovw, return_attention=True)
    >>> alpha.shape  # context-attention weights over the 49 positions
    torch.Size([2, 49])
    """

    def __init__(
        self, n_classes, n_words=128, in_channels=1, widths=(32, 96, 288), attention="va",
        residual=False, grid=7, dropout=0.0, augment=None,
    ):
        super().__init__()
        self.augment = _augment_module(augment)
        self.encoder = VACNNEncoder(
            in_channels=in_channels, widths=widths, attention=attention, residual=residual
        )
        channels = self.encoder.out_channels
        n_positions = grid * grid
        self.pool = AdaptiveAvgPool2d(grid)
        self.bovw_embedding = BOVWEmbedding(n_words, n_positions, channels)
        self.context = ContextAttention(channels)
        self.classifier = nn.Sequential(
            OrderedDict(
                relu=nn.ReLU(),
                flatten=nn.Flatten(),
                dropout=nn.Dropout(dropout),
                fc=nn.Linear(n_positions * channels, n_classes),
            )
        )

    def forward(self, image, bovw, return_attention=False):
        """Classify images with their BOVW histograms.

        Parameters
        ----------
        image : torch.Tensor of shape (B, in_channels, H, W)
            Log-mel images.
        bovw : torch.Tensor of shape (B, n_words)
            BOVW histograms (cast to the parameters' dtype).
        return_attention : bool, default=False
            Also return the context-attention weights.

        Returns
        -------
        logits : torch.Tensor of shape (B, n_classes)
        alpha : torch.Tensor of shape (B, grid ** 2)
            Only with ``return_attention=True``.
        """
        o = self.pool(self.encoder(self.augment(image))).flatten(2).transpose(1, 2)  # (B, S, C)
        h_s = self.bovw_embedding(bovw.to(o.dtype))  # (B, S, C)
        av_t, alpha = self.context(h_s, h_s[:, -1])
        avf_s = torch.tanh(o * av_t.unsqueeze(1)) + h_s
        logits = self.classifier(avf_s)
        return (logits, alpha) if return_attention else logits


def freeze_until(module, name):
    """Freeze the encoder's stages from the stem up to and including ``name``.

    Sets ``requires_grad=False`` on the parameters of ``encoder.stem`` and of every VA block up
    to ``name`` (the paper freezes up to ``"va1"`` when fine-tuning). Parameters of later stages
    and of the head are left as they are (this function never unfreezes).

    Parameters
    ----------
    module : VACNN, VACNNBOVW or VACNNEncoder
        A network with an ``encoder`` child, or the encoder itself.
    name : {"stem", "va1", "va2", "va3"} or None
        Last stage to freeze; None freezes nothing.

    Returns
    -------
    frozen : list of str
        Names (as in ``module.named_parameters()``) of the parameters frozen.

    Notes
    -----
    The encoder normalises with GroupNorm, which keeps no running statistics, so turning off
    gradients is enough to freeze a stage: no module needs to be put in ``eval`` mode (unlike
    BatchNorm). Optimisers skip parameters without gradients, so weight decay does not move
    frozen weights either.

    Examples
    --------
    >>> from sklearn_ser.models import VACNNBOVW, freeze_until
    >>> net = VACNNBOVW(n_classes=7)
    >>> frozen = freeze_until(net, "va1")
    >>> sorted({n.split(".")[1] for n in frozen})
    ['stem', 'va1']
    """
    if name is not None and name not in ENCODER_STAGES:
        raise ValueError(
            f"name must be one of {ENCODER_STAGES} or None (freeze nothing), got {name!r}."
        )
    if isinstance(module, VACNNEncoder):
        encoder, prefix = module, ""
    elif isinstance(getattr(module, "encoder", None), VACNNEncoder):
        encoder, prefix = module.encoder, "encoder."
    else:
        raise TypeError(
            f"freeze_until needs a VACNNEncoder or a module with one as its `encoder` child, "
            f"got {type(module).__name__}."
        )
    if name is None:
        return []
    stages = ENCODER_STAGES[: ENCODER_STAGES.index(name) + 1]
    frozen = []
    for stage in stages:
        for param_name, param in getattr(encoder, stage).named_parameters():
            param.requires_grad_(False)
            frozen.append(f"{prefix}{stage}.{param_name}")
    return frozen
