"""Vertical-patch vision transformers, coordinate encoding, distillation (Kim & Lee 2024).

A log-mel image is cut into *vertical strips*: every token holds all frequency rows of
``patch_width`` consecutive frames, so self-attention relates whole spectra across time. Two
networks share that transformer:

- :class:`TeacherViT`: a :class:`ConvStem` that keeps the image size (locality), then
  :class:`CoordinateEncoding` (x and y in ``[-1, 1]`` as two extra channels: absolute position),
  then the vertical-patch ViT;
- :class:`StudentViT`: the plain vertical-patch ViT, with no stem and **no** positional encoding
  of any kind.

:class:`FeatureMapDistiller` runs both on the same batch and returns the student's logits with
the L1 distance between chosen feature maps (stage 2 and 3 of the recipe); :class:`DistillationLoss`
turns that into ``ce_weight * cross-entropy + alpha * L1``.

Shapes at the paper's 128x128 input with the defaults (``patch_width=4``, ``embed_dim=192``,
``depth=6``, ``stem_channels=(16, 32, 64)``, ``pool="cls"``)::

    image  (B, 1, 128, 128)            divided by max_value (255)
    stem   (B, 64, 128, 128)           teacher only: 3 ConvBlocks, stride 1
    coords (B, 66, 128, 128)           teacher only: + x, y channels
    embed  (B, 1 + 32, 192)            class token + 32 vertical-strip tokens
    block0 ... block5 (B, 33, 192)     pre-norm transformer blocks
    norm   (B, 33, 192)                final LayerNorm; logits from the class token

Every network returns logits; the softmax belongs to the loss and to ``predict_proba``.
:meth:`VerticalPatchViT.forward_features` returns all the maps above by name, which is what
distillation pairs refer to (:func:`resolve_distill_pairs`).
"""

from collections import OrderedDict
from numbers import Integral

import torch
from torch import nn
from torch.nn import functional as F

from .blocks import ConvBlock

__all__ = [
    "ConvStem",
    "CoordinateEncoding",
    "DistillationLoss",
    "FeatureMapDistiller",
    "MultiHeadSelfAttention",
    "StudentViT",
    "TeacherViT",
    "TransformerBlock",
    "TransformerEncoder",
    "VerticalPatchEmbedding",
    "VerticalPatchViT",
    "resolve_distill_pairs",
]

#: Default channels of the teacher's convolutional stem, one ConvBlock each (the paper's figure 2
#: is not legible in the extracted text; this is our choice, growing per block as it describes).
TEACHER_STEM_CHANNELS = (16, 32, 64)

#: Feature-map names that only the teacher has (image-shaped maps before the tokens).
TEACHER_ONLY_FEATURES = ("stem", "coords")


class CoordinateEncoding(nn.Module):
    """Append image coordinates as two channels: ``x`` then ``y``, each in ``[-1, 1]``.

    For an input ``(B, C, H, W)`` the output is ``(B, C + 2, H, W)`` with
    ``out[:, C, i, j] = torch.linspace(-1, 1, W)[j]`` (x: column, time) and
    ``out[:, C + 1, i, j] = torch.linspace(-1, 1, H)[i]`` (y: row, from the top row at -1; in a
    :class:`~sklearn_ser.features.LogMelImage` the top row is the highest frequency). The
    coordinates are computed for each input size, so the module has no parameters and no buffers.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.models.vit import CoordinateEncoding
    >>> out = CoordinateEncoding()(torch.zeros(2, 3, 4, 5))
    >>> out.shape
    torch.Size([2, 5, 4, 5])
    >>> out[0, 3, 0].tolist()  # x: along the columns
    [-1.0, -0.5, 0.0, 0.5, 1.0]
    >>> torch.equal(out[0, 4, :, 0], torch.linspace(-1, 1, 4))  # y: along the rows
    True
    """

    def forward(self, x):
        """Map ``(B, C, H, W)`` to ``(B, C + 2, H, W)``."""
        batch, _, height, width = x.shape
        xs = torch.linspace(-1, 1, width, dtype=x.dtype, device=x.device)
        ys = torch.linspace(-1, 1, height, dtype=x.dtype, device=x.device)
        grid_x = xs.view(1, 1, 1, width).expand(batch, 1, height, width)
        grid_y = ys.view(1, 1, height, 1).expand(batch, 1, height, width)
        return torch.cat([x, grid_x, grid_y], dim=1)


class ConvStem(nn.Module):
    """Size-keeping convolutional stem: one :class:`ConvBlock` per entry of ``channels``.

    Every block is a 3x3 convolution with stride 1 and padding 1, GroupNorm and ReLU, so a 128x128
    image stays 128x128 (no information is dropped by striding) while the channels grow.

    Parameters
    ----------
    in_channels : int, default=1
        Channels of the input image.
    channels : tuple of int, default=(16, 32, 64)
        Output channels of each block; each must be divisible by ``groups``.
    groups : int, default=8
        Groups of each GroupNorm.

    Attributes
    ----------
    blocks : torch.nn.Sequential
        Children ``conv0``, ``conv1``... (:class:`ConvBlock`).
    out_channels : int
        ``channels[-1]``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.models.vit import ConvStem
    >>> ConvStem(channels=(8, 16))(torch.zeros(2, 1, 32, 32)).shape
    torch.Size([2, 16, 32, 32])
    """

    def __init__(self, in_channels=1, channels=TEACHER_STEM_CHANNELS, groups=8):
        super().__init__()
        channels = tuple(channels)
        if not channels or not all(isinstance(c, Integral) and c > 0 for c in channels):
            raise ValueError(
                f"channels must be a non-empty tuple of positive ints (one per stem block), got "
                f"{channels!r}."
            )
        bad = [c for c in channels if c % groups]
        if bad:
            raise ValueError(
                f"Every stem width must be divisible by groups={groups} (GroupNorm), but "
                f"{bad} are not; use multiples of {groups}, e.g. channels=(16, 32, 64)."
            )
        layers = OrderedDict()
        previous = in_channels
        for k, width in enumerate(channels):
            layers[f"conv{k}"] = ConvBlock(previous, int(width), stride=1, groups=groups)
            previous = int(width)
        self.blocks = nn.Sequential(layers)
        self.out_channels = previous

    def forward(self, x):
        """Map ``(B, in_channels, H, W)`` to ``(B, channels[-1], H, W)``."""
        return self.blocks(x)


class VerticalPatchEmbedding(nn.Module):
    """Cut an image into vertical strips (all rows x ``patch_width`` columns) and embed each.

    A convolution with kernel and stride ``(height, patch_width)``: token ``j`` is a linear
    function of columns ``j * patch_width ... (j + 1) * patch_width - 1`` over **all** ``height``
    rows (every frequency bin of that time slice) and of nothing else.

    Parameters
    ----------
    in_channels : int
        Channels of the input.
    height : int
        Rows of the input (128 for the paper's log-mel images); the input must have exactly
        this many.
    patch_width : int
        Columns (frames) per token; the input width must be a multiple of it.
    embed_dim : int
        Size of each token.

    Attributes
    ----------
    proj : torch.nn.Conv2d
        Kernel and stride ``(height, patch_width)``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.models.vit import VerticalPatchEmbedding
    >>> embed = VerticalPatchEmbedding(1, height=128, patch_width=4, embed_dim=64)
    >>> embed(torch.zeros(2, 1, 128, 128)).shape  # 128 / 4 = 32 tokens
    torch.Size([2, 32, 64])
    """

    def __init__(self, in_channels, height, patch_width, embed_dim):
        super().__init__()
        self.height = int(height)
        self.patch_width = int(patch_width)
        self.proj = nn.Conv2d(
            in_channels, embed_dim, kernel_size=(self.height, self.patch_width),
            stride=(self.height, self.patch_width),
        )

    def forward(self, x):
        """Map ``(B, in_channels, height, W)`` to tokens ``(B, W / patch_width, embed_dim)``."""
        _, _, height, width = x.shape
        if height != self.height:
            raise ValueError(
                f"The patch embedding was built for images {self.height} rows high (each token "
                f"covers all of them), got {height} rows; build the network with "
                f"height={height} or resize the images (LogMelImage(size=({self.height}, ...)))."
            )
        if width % self.patch_width:
            raise ValueError(
                f"The image width {width} is not a multiple of patch_width={self.patch_width}; "
                f"pick a patch_width that divides {width} or resize the images."
            )
        return self.proj(x).flatten(2).transpose(1, 2)


class MultiHeadSelfAttention(nn.Module):
    """Scaled dot-product self-attention over a token sequence, ``n_heads`` heads.

    Written with explicit matrix products so that :class:`torch.utils.flop_counter.FlopCounterMode`
    counts the attention maps too.

    Parameters
    ----------
    dim : int
        Token size; must be divisible by ``n_heads``.
    n_heads : int
        Number of heads.
    dropout : float, default=0.0
        Dropout on the attention weights and on the output projection.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.models.vit import MultiHeadSelfAttention
    >>> MultiHeadSelfAttention(32, 4)(torch.zeros(2, 10, 32)).shape
    torch.Size([2, 10, 32])
    """

    def __init__(self, dim, n_heads, dropout=0.0):
        super().__init__()
        if dim % n_heads:
            raise ValueError(
                f"embed_dim={dim} must be divisible by n_heads={n_heads}; change one of them "
                f"(e.g. n_heads={max(h for h in range(1, n_heads + 1) if dim % h == 0)})."
            )
        self.n_heads = n_heads
        self.scale = (dim // n_heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.attn_drop = nn.Dropout(dropout)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(dropout)

    def forward(self, x):
        """Map tokens ``(B, N, dim)`` to ``(B, N, dim)``."""
        batch, n_tokens, dim = x.shape
        qkv = self.qkv(x).view(batch, n_tokens, 3, self.n_heads, dim // self.n_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each (B, heads, N, head_dim)
        weights = torch.softmax(torch.matmul(q, k.transpose(-2, -1)) * self.scale, dim=-1)
        out = torch.matmul(self.attn_drop(weights), v)  # (B, heads, N, head_dim)
        out = out.transpose(1, 2).reshape(batch, n_tokens, dim)
        return self.proj_drop(self.proj(out))


class TransformerBlock(nn.Module):
    """Pre-norm transformer block: ``x + MHSA(LN(x))`` then ``x + MLP(LN(x))``.

    Parameters
    ----------
    dim : int
        Token size.
    n_heads : int
        Attention heads (``dim`` must be divisible by it).
    mlp_ratio : float, default=4.0
        Hidden size of the MLP as a multiple of ``dim``.
    dropout : float, default=0.0
        Dropout in the attention and after each MLP layer.

    Attributes
    ----------
    norm1, norm2 : torch.nn.LayerNorm
    attn : MultiHeadSelfAttention
    mlp : torch.nn.Sequential
        ``fc1`` → GELU → dropout → ``fc2`` → dropout.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.models.vit import TransformerBlock
    >>> TransformerBlock(32, 4, mlp_ratio=2)(torch.zeros(2, 10, 32)).shape
    torch.Size([2, 10, 32])
    """

    def __init__(self, dim, n_heads, mlp_ratio=4.0, dropout=0.0):
        super().__init__()
        hidden = max(1, int(round(dim * mlp_ratio)))
        self.norm1 = nn.LayerNorm(dim)
        self.attn = MultiHeadSelfAttention(dim, n_heads, dropout=dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(
            OrderedDict(
                fc1=nn.Linear(dim, hidden),
                act=nn.GELU(),
                drop1=nn.Dropout(dropout),
                fc2=nn.Linear(hidden, dim),
                drop2=nn.Dropout(dropout),
            )
        )

    def forward(self, x):
        """Map tokens ``(B, N, dim)`` to ``(B, N, dim)``."""
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TransformerEncoder(nn.Module):
    """A stack of ``depth`` :class:`TransformerBlock` with the same settings.

    Parameters
    ----------
    dim : int
        Token size.
    depth : int
        Number of blocks.
    n_heads : int
        Attention heads per block.
    mlp_ratio : float, default=4.0
        MLP hidden size as a multiple of ``dim``.
    dropout : float, default=0.0
        Dropout inside each block.

    Attributes
    ----------
    blocks : torch.nn.ModuleList

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.models.vit import TransformerEncoder
    >>> encoder = TransformerEncoder(32, depth=3, n_heads=4)
    >>> outs = encoder(torch.zeros(2, 10, 32), return_all=True)
    >>> len(outs), outs[-1].shape
    (3, torch.Size([2, 10, 32]))
    """

    def __init__(self, dim, depth, n_heads, mlp_ratio=4.0, dropout=0.0):
        super().__init__()
        self.blocks = nn.ModuleList(
            TransformerBlock(dim, n_heads, mlp_ratio=mlp_ratio, dropout=dropout)
            for _ in range(depth)
        )

    def forward(self, x, return_all=False):
        """Run the blocks on tokens ``(B, N, dim)``.

        Returns
        -------
        torch.Tensor of shape (B, N, dim) or list of them
            The last block's output, or with ``return_all=True`` every block's output in order.
        """
        outputs = []
        for block in self.blocks:
            x = block(x)
            outputs.append(x)
        return outputs if return_all else x


class VerticalPatchViT(nn.Module):
    """Vision transformer on vertical strips, optionally after a stem and coordinate encoding.

    ``image / max_value`` → [:class:`ConvStem`] → [:class:`CoordinateEncoding`] →
    :class:`VerticalPatchEmbedding` → [class token] → dropout → :class:`TransformerEncoder`
    → LayerNorm → class token (or token mean) → ``Linear(embed_dim, n_classes)``.

    There is no learned or fixed positional embedding; with ``coordinates=False`` the network
    knows nothing about where a strip lies in time. :class:`TeacherViT` and :class:`StudentViT`
    fix the two configurations of the method.

    Parameters
    ----------
    n_classes : int
        Number of emotion classes.
    height : int, default=128
        Rows of the input image (log-mel bands); each token spans all of them.
    in_channels : int, default=1
        Channels of the input image.
    patch_width : int, default=4
        Frames per token; the input width must be a multiple of it (32 tokens at width 128).
    embed_dim : int, default=192
        Token size.
    depth : int, default=6
        Transformer blocks.
    n_heads : int, default=3
        Attention heads (``embed_dim`` must be divisible by it).
    mlp_ratio : float, default=4.0
        MLP hidden size as a multiple of ``embed_dim``.
    dropout : float, default=0.1
        Dropout after the embedding and inside each block.
    stem_channels : tuple of int or None, default=None
        Channels of a :class:`ConvStem` before the patches (None: no stem).
    coordinates : bool, default=False
        Concatenate x, y coordinate channels (:class:`CoordinateEncoding`) before the patches.
    pool : {"cls", "mean"}, default="cls"
        Classify from a learned class token prepended to the sequence, or from the mean of the
        strip tokens (no class token).
    max_value : float, default=255.0
        Inputs are divided by it (``LogMelImage`` images lie in ``[0, 255]``).

    Attributes
    ----------
    stem : ConvStem or None
    coords : CoordinateEncoding or None
    patch_embed : VerticalPatchEmbedding
    cls_token : torch.nn.Parameter of shape (1, 1, embed_dim) or None
    encoder : TransformerEncoder
    norm : torch.nn.LayerNorm
    head : torch.nn.Linear
    feature_names : tuple of str
        Keys of :meth:`forward_features`, input to output.

    Notes
    -----
    Paper values the extracted text does not give (patch width, token size, depth, heads, stem
    widths, pooling) are our choices, ViT-Tiny-like; all are parameters. Without coordinates the
    encoder is permutation-equivariant over the strip tokens, so a student's logits do not change
    when whole strips are permuted: whatever the teacher's position information leaves in its
    feature maps, the student can only imitate it from the strips' content.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.models.vit import VerticalPatchViT
    >>> net = VerticalPatchViT(4, height=32, patch_width=4, embed_dim=16, depth=2, n_heads=2,
    ...                        stem_channels=(8,), coordinates=True)
    >>> image = torch.zeros(2, 1, 32, 32)
    >>> net(image).shape
    torch.Size([2, 4])
    >>> {k: tuple(v.shape[1:]) for k, v in net.forward_features(image).items()}
    {'stem': (8, 32, 32), 'coords': (10, 32, 32), 'embed': (9, 16), 'block0': (9, 16),
     'block1': (9, 16), 'norm': (9, 16)}
    """

    def __init__(
        self, n_classes, height=128, in_channels=1, patch_width=4, embed_dim=192, depth=6,
        n_heads=3, mlp_ratio=4.0, dropout=0.1, stem_channels=None, coordinates=False,
        pool="cls", max_value=255.0,
    ):
        super().__init__()
        if pool not in ("cls", "mean"):
            raise ValueError(
                f"pool must be 'cls' (class token) or 'mean' (mean of the tokens), got {pool!r}."
            )
        if not isinstance(depth, Integral) or depth < 1:
            raise ValueError(f"depth must be a positive int (transformer blocks), got {depth!r}.")
        self.pool = pool
        self.max_value = float(max_value)
        channels = in_channels
        names = []
        self.stem = None
        if stem_channels is not None:
            self.stem = ConvStem(in_channels, stem_channels)
            channels = self.stem.out_channels
            names.append("stem")
        self.coords = None
        if coordinates:
            self.coords = CoordinateEncoding()
            channels += 2
            names.append("coords")
        self.patch_embed = VerticalPatchEmbedding(channels, height, patch_width, embed_dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim)) if pool == "cls" else None
        self.embed_drop = nn.Dropout(dropout)
        self.encoder = TransformerEncoder(embed_dim, depth, n_heads, mlp_ratio, dropout)
        self.norm = nn.LayerNorm(embed_dim)
        self.head = nn.Linear(embed_dim, n_classes)
        names += ["embed"] + [f"block{k}" for k in range(depth)] + ["norm"]
        self.feature_names = tuple(names)
        self._init_weights()

    def _init_weights(self):
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=0.02)
                nn.init.zeros_(module.bias)
        if self.cls_token is not None:
            nn.init.trunc_normal_(self.cls_token, std=0.02)

    def forward_features(self, x):
        """Run the network and keep every intermediate map, by name.

        Parameters
        ----------
        x : torch.Tensor of shape (B, in_channels, height, W)
            Images, in ``[0, max_value]`` (cast to the parameters' dtype).

        Returns
        -------
        features : OrderedDict of str to torch.Tensor
            ``"stem"`` (B, C, height, W) and ``"coords"`` (B, C + 2, height, W) when present,
            then ``"embed"`` (tokens entering the first block), ``"block0"`` ...
            ``"block{depth-1}"`` and ``"norm"``, each (B, N, embed_dim) with
            ``N = W / patch_width`` (+ 1 for the class token, at index 0). Keys as in
            :attr:`feature_names`.
        """
        features = OrderedDict()
        x = x.to(self.head.weight.dtype) / self.max_value
        if self.stem is not None:
            x = features["stem"] = self.stem(x)
        if self.coords is not None:
            x = features["coords"] = self.coords(x)
        tokens = self.patch_embed(x)
        if self.cls_token is not None:
            tokens = torch.cat([self.cls_token.expand(tokens.shape[0], -1, -1), tokens], dim=1)
        features["embed"] = tokens
        outputs = self.encoder(self.embed_drop(tokens), return_all=True)
        for k, out in enumerate(outputs):
            features[f"block{k}"] = out
        features["norm"] = self.norm(outputs[-1])
        return features

    def classify(self, tokens):
        """Logits ``(B, n_classes)`` from the normalised tokens (``features["norm"]``)."""
        pooled = tokens[:, 0] if self.cls_token is not None else tokens.mean(dim=1)
        return self.head(pooled)

    def forward(self, x):
        """Map images ``(B, in_channels, height, W)`` to logits ``(B, n_classes)``."""
        return self.classify(self.forward_features(x)["norm"])


class TeacherViT(VerticalPatchViT):
    """The teacher: size-keeping convolutional stem + coordinate encoding + vertical-patch ViT.

    Parameters
    ----------
    n_classes : int
    height : int, default=128
    stem_channels : tuple of int, default=(16, 32, 64)
        One stride-1 :class:`ConvBlock` per entry (multiples of 8).
    **kwargs
        ``in_channels``, ``patch_width``, ``embed_dim``, ``depth``, ``n_heads``, ``mlp_ratio``,
        ``dropout``, ``pool``, ``max_value`` of :class:`VerticalPatchViT`.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.models.vit import TeacherViT
    >>> teacher = TeacherViT(7, height=32, stem_channels=(8,), embed_dim=16, depth=1, n_heads=2)
    >>> teacher(torch.zeros(2, 1, 32, 32)).shape
    torch.Size([2, 7])
    >>> teacher.feature_names
    ('stem', 'coords', 'embed', 'block0', 'norm')
    """

    def __init__(self, n_classes, height=128, stem_channels=TEACHER_STEM_CHANNELS, **kwargs):
        super().__init__(n_classes, height=height, stem_channels=stem_channels, coordinates=True,
                         **kwargs)


class StudentViT(VerticalPatchViT):
    """The student: a plain vertical-patch ViT, no stem and no positional encoding at all.

    Parameters
    ----------
    n_classes : int
    height : int, default=128
    **kwargs
        ``in_channels``, ``patch_width``, ``embed_dim``, ``depth``, ``n_heads``, ``mlp_ratio``,
        ``dropout``, ``pool``, ``max_value`` of :class:`VerticalPatchViT`.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.models.vit import StudentViT
    >>> student = StudentViT(7, height=32, embed_dim=16, depth=1, n_heads=2)
    >>> student(torch.zeros(2, 1, 32, 32)).shape
    torch.Size([2, 7])
    >>> student.feature_names
    ('embed', 'block0', 'norm')
    """

    def __init__(self, n_classes, height=128, **kwargs):
        for name in ("stem_channels", "coordinates"):
            if name in kwargs:
                raise TypeError(
                    f"StudentViT has no {name!r}: the student is a plain ViT; use TeacherViT or "
                    "VerticalPatchViT for a stem or coordinate channels."
                )
        super().__init__(n_classes, height=height, **kwargs)


def resolve_distill_pairs(distill_pairs, depth):
    """Turn a distillation-pair specification into a list of ``(student_name, teacher_name)``.

    Parameters
    ----------
    distill_pairs : {"blocks", "last"} or list
        - ``"blocks"``: every transformer block with its counterpart
          (``("block0", "block0")`` ... ``("block{depth-1}", ...)``);
        - ``"last"``: the last block only;
        - a list whose items are an int ``k`` (block ``k`` with block ``k``; negative counts
          from the end), a name (that map in both networks: ``"embed"``, ``"block2"``,
          ``"norm"``) or a pair ``(student_name, teacher_name)`` such as
          ``("block1", "block3")``.
    depth : int
        Transformer blocks of both networks.

    Returns
    -------
    pairs : list of tuple of str
        Without repeats, in the order given.

    Raises
    ------
    ValueError
        An unknown name, a block index out of range, a teacher-only map (``"stem"``,
        ``"coords"``: image-shaped, the student has no such map) or an empty list.

    Examples
    --------
    >>> from sklearn_ser.models.vit import resolve_distill_pairs
    >>> resolve_distill_pairs("last", depth=4)
    [('block3', 'block3')]
    >>> resolve_distill_pairs([0, -1, "norm", ("block1", "block2")], depth=4)
    [('block0', 'block0'), ('block3', 'block3'), ('norm', 'norm'), ('block1', 'block2')]
    """
    token_names = ["embed"] + [f"block{k}" for k in range(depth)] + ["norm"]
    help_text = (
        f"use 'blocks', 'last', block indices in [-{depth}, {depth - 1}], names among "
        f"{token_names} or (student_name, teacher_name) pairs"
    )
    if isinstance(distill_pairs, str):
        if distill_pairs == "blocks":
            return [(f"block{k}", f"block{k}") for k in range(depth)]
        if distill_pairs == "last":
            return [(f"block{depth - 1}", f"block{depth - 1}")]
        raise ValueError(
            f"distill_pairs={distill_pairs!r} is not understood; {help_text}.") from None

    def one_name(item):
        if isinstance(item, Integral) and not isinstance(item, bool):
            if not -depth <= item < depth:
                raise ValueError(
                    f"Block index {item} is out of range for depth={depth}; {help_text}."
                )
            return f"block{item % depth}"
        if isinstance(item, str):
            if item in TEACHER_ONLY_FEATURES:
                raise ValueError(
                    f"{item!r} is a teacher-only image map (the student has no stem or "
                    f"coordinate channels) and cannot be matched; {help_text}."
                )
            if item not in token_names:
                raise ValueError(f"Unknown feature map {item!r}; {help_text}.")
            return item
        raise ValueError(f"Cannot read {item!r} as a feature map; {help_text}.")

    try:
        items = list(distill_pairs)
    except TypeError:
        raise ValueError(
            f"distill_pairs={distill_pairs!r} is not understood; {help_text}.") from None
    pairs = []
    for item in items:
        if isinstance(item, (tuple, list)):
            if len(item) != 2:
                raise ValueError(
                    f"A pair must be (student_name, teacher_name), got {item!r}; {help_text}."
                )
            pair = (one_name(item[0]), one_name(item[1]))
        else:
            name = one_name(item)
            pair = (name, name)
        if pair not in pairs:
            pairs.append(pair)
    if not pairs:
        raise ValueError(f"distill_pairs is empty; {help_text}.")
    return pairs


class FeatureMapDistiller(nn.Module):
    """Student and frozen teacher side by side: student logits and the L1 between chosen maps.

    The teacher's parameters get ``requires_grad=False`` and the teacher stays in ``eval`` mode
    (no dropout) even when the distiller is put in training mode; its maps are computed without
    gradients.

    Parameters
    ----------
    student : VerticalPatchViT
        The network being trained (its parameters are the distiller's trainable ones).
    teacher : VerticalPatchViT
        The trained teacher.
    pairs : list of (str, str)
        ``(student_name, teacher_name)`` keys of the two networks' ``forward_features`` (see
        :func:`resolve_distill_pairs`); paired maps must have the same shape.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.models.vit import FeatureMapDistiller, StudentViT, TeacherViT
    >>> kw = dict(height=32, embed_dim=16, depth=2, n_heads=2)
    >>> teacher = TeacherViT(3, stem_channels=(8,), **kw)
    >>> distiller = FeatureMapDistiller(StudentViT(3, **kw), teacher, pairs=[("block1", "block1")])
    >>> logits, l1 = distiller(torch.rand(2, 1, 32, 32) * 255)
    >>> logits.shape, l1.shape, bool(l1 > 0)
    (torch.Size([2, 3]), torch.Size([]), True)
    """

    def __init__(self, student, teacher, pairs):
        super().__init__()
        pairs = [tuple(pair) for pair in pairs]
        if not pairs:
            raise ValueError("pairs is empty: give at least one (student_name, teacher_name).")
        for s_name, t_name in pairs:
            if s_name not in student.feature_names:
                raise ValueError(
                    f"The student has no feature map {s_name!r}; it has {student.feature_names}."
                )
            if t_name not in teacher.feature_names:
                raise ValueError(
                    f"The teacher has no feature map {t_name!r}; it has {teacher.feature_names}."
                )
        self.student = student
        self.teacher = teacher
        self.pairs = pairs
        for param in self.teacher.parameters():
            param.requires_grad_(False)
        self.teacher.eval()

    def train(self, mode=True):
        """Set the student's training mode; the teacher always stays in eval mode."""
        super().train(mode)
        self.teacher.eval()
        return self

    def pair_distances(self, student_features, teacher_features):
        """Mean absolute difference of each pair, as a 1-D tensor (one entry per pair)."""
        distances = []
        for s_name, t_name in self.pairs:
            s_map, t_map = student_features[s_name], teacher_features[t_name]
            if s_map.shape != t_map.shape:
                raise ValueError(
                    f"Cannot match student map {s_name!r} {tuple(s_map.shape)} with teacher map "
                    f"{t_name!r} {tuple(t_map.shape)}: paired maps need the same shape (same "
                    "patch_width, embed_dim and pooling in both networks)."
                )
            distances.append(F.l1_loss(s_map, t_map))
        return torch.stack(distances)

    def forward(self, x):
        """Return the student's logits ``(B, n_classes)`` and the mean L1 of the pairs (scalar)."""
        student_features = self.student.forward_features(x)
        with torch.no_grad():
            teacher_features = self.teacher.forward_features(x)
        l1 = self.pair_distances(student_features, teacher_features).mean()
        return self.student.classify(student_features["norm"]), l1


class DistillationLoss(nn.Module):
    """``ce_weight * cross_entropy(logits, y) + alpha * l1`` on :class:`FeatureMapDistiller` output.

    Stage 2 of the method is ``ce_weight=0, alpha=1`` (feature-map matching alone), stage 3 is
    ``ce_weight=1, alpha=α``.

    Parameters
    ----------
    ce_weight : float, default=1.0
        Weight of the cross-entropy term (0 skips computing it).
    alpha : float, default=1.0
        Weight of the L1 feature-map term.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.models.vit import DistillationLoss
    >>> loss = DistillationLoss(ce_weight=0.0, alpha=2.0)
    >>> float(loss((torch.zeros(4, 3), torch.tensor(0.25)), torch.zeros(4, dtype=torch.long)))
    0.5
    """

    def __init__(self, ce_weight=1.0, alpha=1.0):
        super().__init__()
        self.ce_weight = float(ce_weight)
        self.alpha = float(alpha)

    def forward(self, output, target):
        """Loss of ``output = (logits, l1)`` against class indices ``target``."""
        logits, l1 = output
        loss = self.alpha * l1
        if self.ce_weight:
            loss = loss + self.ce_weight * F.cross_entropy(logits, target)
        return loss
