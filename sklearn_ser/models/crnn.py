"""CNN + bidirectional GRU over variable-length spectrograms (Dai et al. 2019).

:class:`CRNN` takes a zero-padded batch of spectrograms with their true
lengths (numbers of frames) and returns ``(logits, embedding)``::

    X        (B, n_bins, T)          padded batch, lengths (B,)
    cnn      (B, C, n_bins', T')     MaskedConvBlock x len(channels)
    sequence (B, T', C * n_bins')    one vector per remaining frame
    bigru    (B, 2 * hidden_size)    forward GRU at its last valid frame ++
                                     backward GRU at frame 0 (packed sequences)
    fc1      (B, embedding_dim)      Linear + PReLU: the learned feature
    fc2      (B, n_classes)          Linear: logits

What the seed text gives: a first convolution with large kernels followed by
small ones (citing VGG and ResNet), a Bi-GRU of 128 units per direction, FC1
with PReLU. Its figure 2-(a), which held the exact layers, is lost from the
text, so ``channels``, ``kernel_sizes``, ``strides`` and ``pool_sizes`` are
parameters. The defaults are this toolkit's choice, a ResNet-like stem::

    block 1   conv 7x7, 32 ch, stride 2   BN ReLU   max-pool 2x2
    block 2   conv 3x3, 64 ch             BN ReLU   max-pool 2x2
    block 3   conv 3x3, 64 ch             BN ReLU   max-pool 2x2

so 128 mel bands x T frames leave 8 rows x ``T // 16`` frames (64 x 8 = 512
features per step for the GRU; 32 rows, 2048 features, for 513 STFT bins).
The embedding width (FC1) is lost from the text too: 128 by default.

Padding never leaks
-------------------
An utterance's outputs do not depend on how much padding its batch added
(on its batch partners), up to floating-point round-off:

- the input's padded frames are set to zero first, whatever value the
  caller padded with;
- every convolution pads with zeros by ``kernel // 2``; the new length
  follows the convolution's own arithmetic, ``T' = (T + 2 * (k // 2) - k) // s + 1``,
  so a kept frame reads valid frames plus zeros past the end, exactly as the
  convolution of the unpadded utterance would; after every layer the frames
  past the utterance's new length are set to zero again, so the next layer
  again sees zeros there;
- time pooling has no padding and rounds down, ``T' = floor(T / p)``, so a
  kept frame only pools valid frames;
- batch normalisation (:class:`MaskedBatchNorm2d`) computes its training
  statistics over valid frames only, and in evaluation mode is a per-frame
  affine map;
- the GRU runs on packed sequences, so each direction starts and stops at
  the utterance's own ends.

Utterances shorter than :attr:`CRNN.min_length` frames (the fewest that
survive the pooling, 8 with the defaults) are zero-extended to it, the same
way in every batch.
"""

from numbers import Integral

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

__all__ = [
    "CRNN",
    "MaskedBatchNorm2d",
    "MaskedConvBlock",
    "frame_mask",
]


def frame_mask(lengths, n_frames):
    """Boolean ``(B, n_frames)`` mask, ``True`` at the frames ``t < lengths[b]``.

    Parameters
    ----------
    lengths : torch.Tensor of shape (B,), integer
    n_frames : int

    Returns
    -------
    mask : torch.Tensor of shape (B, n_frames), bool

    Examples
    --------
    >>> frame_mask(torch.tensor([1, 3]), 4).int().tolist()
    [[1, 0, 0, 0], [1, 1, 1, 0]]
    """
    return torch.arange(n_frames, device=lengths.device)[None, :] < lengths[:, None]


def _zero_padding(x, lengths):
    """Zero the frames (last axis) of ``x`` at or past each item's length."""
    mask = frame_mask(lengths, x.shape[-1])
    mask = mask.view(mask.shape[0], *([1] * (x.dim() - 2)), mask.shape[1])
    return x.masked_fill(~mask, 0.0)


def _pair(value, name):
    if isinstance(value, Integral):
        return int(value), int(value)
    pair = tuple(value)
    if len(pair) != 2 or not all(isinstance(v, Integral) and v > 0 for v in pair):
        raise ValueError(
            f"{name} must be a positive integer or a pair (frequency, time) of them, got "
            f"{value!r}."
        )
    return int(pair[0]), int(pair[1])


class MaskedBatchNorm2d(nn.BatchNorm2d):
    """Batch normalisation whose training statistics ignore padded frames.

    In training mode the per-channel mean and variance are computed over
    the valid ``(frequency, frame)`` positions of the batch only, and the
    running estimates are updated from them (momentum as in
    :class:`torch.nn.BatchNorm2d`, unbiased variance). In evaluation mode it
    is :class:`torch.nn.BatchNorm2d` with its running statistics, a
    per-position affine map that cannot mix frames.

    Parameters
    ----------
    num_features : int
        Channels.
    **kwargs
        ``eps``, ``momentum``, ``affine`` of :class:`torch.nn.BatchNorm2d`
        (``track_running_stats`` is always on).

    Examples
    --------
    >>> bn = MaskedBatchNorm2d(1)
    >>> x = torch.tensor([[[[1.0, 3.0, 100.0]]]])       # third frame is padding
    >>> bn(x, torch.tensor([2]))[..., :2].tolist()
    [[[[-0.999..., 0.999...]]]]
    """

    def __init__(self, num_features, **kwargs):
        kwargs["track_running_stats"] = True
        super().__init__(num_features, **kwargs)

    def forward(self, x, lengths=None):
        """Normalise ``x`` of shape ``(B, C, F, T)``; ``lengths`` gives the valid frames."""
        if not self.training or lengths is None:
            return super().forward(x)
        valid = frame_mask(lengths, x.shape[-1])[:, None, None, :]
        count = valid.sum() * x.shape[2]
        if count < 2:
            raise ValueError(
                "MaskedBatchNorm2d needs at least two valid values per channel in training mode; "
                "use a larger batch or longer inputs."
            )
        x_valid = x.masked_fill(~valid, 0.0)
        mean = x_valid.sum(dim=(0, 2, 3)) / count
        centred = (x_valid - mean[None, :, None, None]).masked_fill_(~valid, 0.0)
        var = (centred * centred).sum(dim=(0, 2, 3)) / count  # two passes: no cancellation
        with torch.no_grad():
            self.num_batches_tracked += 1
            momentum = (1.0 / float(self.num_batches_tracked) if self.momentum is None
                        else self.momentum)
            self.running_mean.mul_(1 - momentum).add_(momentum * mean.detach())
            unbiased = var.detach() * count / (count - 1)
            self.running_var.mul_(1 - momentum).add_(momentum * unbiased)
        scale = torch.rsqrt(var + self.eps)
        if self.affine:
            scale = scale * self.weight
        shift = -mean * scale
        if self.affine:
            shift = shift + self.bias
        # Padded positions get ``shift``; the caller zeroes them again after the activation.
        return torch.addcmul(shift[None, :, None, None], x, scale[None, :, None, None])


class MaskedConvBlock(nn.Module):
    """Convolution → masked batch norm → ReLU → max pooling, length-exact along time.

    The convolution pads with zeros by ``kernel // 2`` on both axes; the
    pooling has stride equal to its size, no padding, and rounds down.
    After each step the frames past every item's (new) length are set to
    zero (see the module notes).

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of the input and of the output.
    kernel_size : int or (int, int)
        Convolution kernel, ``(frequency, time)``.
    pool_size : int or (int, int), default=(2, 2)
        Max-pooling size (and stride), ``(frequency, time)``; ``1`` or
        ``(1, 1)`` disables pooling.
    stride : int or (int, int), default=1
        Convolution stride, ``(frequency, time)``. A time stride ``s`` keeps
        the block exact: ``T' = (T + 2 * (k // 2) - k) // s + 1`` and a kept
        frame reads only valid frames and zeros.

    Examples
    --------
    >>> block = MaskedConvBlock(1, 4, kernel_size=(5, 5), pool_size=(2, 2))
    >>> y, lengths = block(torch.zeros(2, 1, 16, 9), torch.tensor([9, 5]))
    >>> tuple(y.shape), lengths.tolist()
    ((2, 4, 8, 4), [4, 2])
    """

    def __init__(self, in_channels, out_channels, kernel_size, pool_size=(2, 2), stride=1):
        super().__init__()
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.pool_size = _pair(pool_size, "pool_size")
        self.stride = _pair(stride, "stride")
        self.padding = (self.kernel_size[0] // 2, self.kernel_size[1] // 2)
        self.conv = nn.Conv2d(in_channels, out_channels, self.kernel_size, stride=self.stride,
                              padding=self.padding, bias=False)
        self.norm = MaskedBatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.pool = (nn.MaxPool2d(self.pool_size, stride=self.pool_size)
                     if self.pool_size != (1, 1) else nn.Identity())

    def _conv_length(self, n, axis):
        return (n + 2 * self.padding[axis] - self.kernel_size[axis]) // self.stride[axis] + 1

    def output_length(self, lengths):
        """Frames left of inputs of ``lengths`` frames (int or integer tensor)."""
        return self._conv_length(lengths, 1) // self.pool_size[1]

    def output_bins(self, n_bins):
        """Frequency rows left of an input with ``n_bins`` rows."""
        return self._conv_length(n_bins, 0) // self.pool_size[0]

    def forward(self, x, lengths):
        """Apply the block to ``x`` ``(B, C, F, T)`` with valid ``lengths`` ``(B,)``.

        Returns
        -------
        y : torch.Tensor of shape (B, out_channels, F', T')
        lengths : torch.Tensor of shape (B,)
        """
        x = self.conv(x)
        lengths = self._conv_length(lengths, 1)
        x = _zero_padding(self.relu(self.norm(x, lengths)), lengths)
        x = self.pool(x)
        lengths = lengths // self.pool_size[1]
        return _zero_padding(x, lengths), lengths


class CRNN(nn.Module):
    """CNN + Bi-GRU + FC1 (PReLU, the embedding) + FC2 over variable-length spectrograms.

    Parameters
    ----------
    n_classes : int
        Number of emotion classes (outputs of FC2).
    n_bins : int, default=128
        Frequency rows of the input spectrograms (128 mel bands; 513 for a
        1024-point log-STFT).
    channels : tuple of int, default=(32, 64, 64)
        Output channels of the convolution blocks.
    kernel_sizes : tuple, default=((7, 7), (3, 3), (3, 3))
        Kernel of each block, ``(frequency, time)`` or one int: a large first
        kernel, small later ones (Dai et al. 2019, section 2.1).
    strides : tuple, default=((2, 2), 1, 1)
        Convolution stride of each block, ``(frequency, time)`` or one int.
    pool_sizes : tuple, default=((2, 2), (2, 2), (2, 2))
        Max pooling of each block, ``(frequency, time)``; rounds down.
    hidden_size : int, default=128
        GRU units per direction (Dai et al. 2019: 128, giving a 256-wide output).
    embedding_dim : int, default=128
        Width of FC1, the learned feature the center loss acts on.
    dropout : float, default=0.0
        Dropout between the embedding and FC2 (not in the paper).

    Attributes
    ----------
    blocks : torch.nn.ModuleList of MaskedConvBlock
    gru : torch.nn.GRU
        Bidirectional, batch first, one layer.
    fc1 : torch.nn.Linear
    prelu : torch.nn.PReLU
    fc2 : torch.nn.Linear
    min_length : int
        Fewest input frames that leave one frame after the CNN (15 with the
        defaults); shorter utterances are zero-extended to it.
    sequence_features : int
        Width of the sequence fed to the GRU, ``channels[-1] * n_bins'``.

    Examples
    --------
    >>> net = CRNN(n_classes=4, n_bins=32, channels=(4, 8), kernel_sizes=(5, 3), strides=(1, 1),
    ...            pool_sizes=(2, 2), hidden_size=8, embedding_dim=6).eval()
    >>> X = torch.randn(3, 32, 40)
    >>> logits, embedding = net(X, torch.tensor([40, 25, 12]))
    >>> tuple(logits.shape), tuple(embedding.shape), net.min_length
    ((3, 4), (3, 6), 4)

    The second utterance alone, without the padding its batch added:

    >>> alone, _ = net(X[1:2, :, :25], torch.tensor([25]))
    >>> bool(torch.allclose(alone, logits[1:2], atol=1e-5))
    True
    """

    def __init__(self, n_classes, n_bins=128, channels=(32, 64, 64),
                 kernel_sizes=((7, 7), (3, 3), (3, 3)), strides=((2, 2), 1, 1),
                 pool_sizes=((2, 2), (2, 2), (2, 2)), hidden_size=128, embedding_dim=128,
                 dropout=0.0):
        super().__init__()
        channels = tuple(int(c) for c in channels)
        kernel_sizes, strides, pool_sizes = tuple(kernel_sizes), tuple(strides), tuple(pool_sizes)
        if not channels or not len(channels) == len(kernel_sizes) == len(strides) == \
                len(pool_sizes):
            raise ValueError(
                "channels, kernel_sizes, strides and pool_sizes must have one entry per "
                f"convolution block (at least one); got {len(channels)}, {len(kernel_sizes)}, "
                f"{len(strides)} and {len(pool_sizes)}."
            )
        if n_classes < 1 or n_bins < 1:
            raise ValueError(f"n_classes and n_bins must be positive, got {n_classes}, {n_bins}.")
        self.n_classes = int(n_classes)
        self.n_bins = int(n_bins)
        self.embedding_dim = int(embedding_dim)
        blocks, in_channels, rows = [], 1, self.n_bins
        for out_channels, kernel, stride, pool in zip(channels, kernel_sizes, strides,
                                                      pool_sizes):
            block = MaskedConvBlock(in_channels, out_channels, kernel, pool, stride=stride)
            rows = block.output_bins(rows)
            if rows < 1:
                raise ValueError(
                    f"n_bins={n_bins} is too few for the CNN: no frequency row is left after "
                    f"block {len(blocks) + 1}. Use fewer or smaller frequency strides and pools "
                    "(e.g. pool_sizes=((2, 2), (1, 2), ...)) or more bins."
                )
            blocks.append(block)
            in_channels = out_channels
        self.blocks = nn.ModuleList(blocks)
        self.sequence_features = in_channels * rows
        self.gru = nn.GRU(self.sequence_features, int(hidden_size), batch_first=True,
                          bidirectional=True)
        self.fc1 = nn.Linear(2 * int(hidden_size), self.embedding_dim)
        self.prelu = nn.PReLU()
        self.dropout = nn.Dropout(float(dropout))
        self.fc2 = nn.Linear(self.embedding_dim, self.n_classes)
        self.min_length = self._min_length()

    def _min_length(self):
        n = 1
        while self.output_length(n) < 1:
            n += 1
        return n

    def output_length(self, lengths):
        """Frames the CNN leaves of inputs of ``lengths`` frames (int or tensor)."""
        for block in self.blocks:
            lengths = block.output_length(lengths)
        return lengths

    def forward_features(self, X, lengths=None):
        """The 256-wide Bi-GRU summary and the FC1 embedding.

        Parameters
        ----------
        X : torch.Tensor of shape (B, n_bins, T) or (B, 1, n_bins, T)
            Padded batch; values past each length are ignored.
        lengths : torch.Tensor of shape (B,), integer, optional
            Valid frames of each item; ``None`` means all ``T``.

        Returns
        -------
        summary : torch.Tensor of shape (B, 2 * hidden_size)
        embedding : torch.Tensor of shape (B, embedding_dim)
        """
        if X.dim() == 3:
            X = X.unsqueeze(1)
        if X.dim() != 4 or X.shape[1] != 1 or X.shape[2] != self.n_bins:
            raise ValueError(
                f"CRNN expects a batch of shape (B, {self.n_bins}, T) or (B, 1, {self.n_bins}, "
                f"T), got {tuple(X.shape)}; build it with n_bins={X.shape[-2]} if the input is "
                "right."
            )
        batch, n_frames = X.shape[0], X.shape[-1]
        if lengths is None:
            lengths = torch.full((batch,), n_frames, dtype=torch.long, device=X.device)
        lengths = torch.as_tensor(lengths, device=X.device).long()
        if lengths.shape != (batch,) or bool((lengths < 1).any()) or \
                bool((lengths > n_frames).any()):
            raise ValueError(
                f"lengths must hold one value in [1, {n_frames}] per item of the batch, got "
                f"{lengths.tolist()}."
            )
        x = _zero_padding(X, lengths)
        if n_frames < self.min_length:
            x = nn.functional.pad(x, (0, self.min_length - n_frames))
        lengths = lengths.clamp(min=self.min_length)
        for block in self.blocks:
            x, lengths = block(x, lengths)
        seq = x.flatten(1, 2).transpose(1, 2)  # (B, T', C * F')
        packed = pack_padded_sequence(seq, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, h_n = self.gru(packed)  # (2, B, H): forward at its last valid frame, backward at 0
        summary = torch.cat([h_n[0], h_n[1]], dim=1)
        embedding = self.prelu(self.fc1(summary))
        return summary, embedding

    def forward(self, X, lengths=None):
        """Logits and embedding of a padded batch.

        Parameters
        ----------
        X : torch.Tensor of shape (B, n_bins, T) or (B, 1, n_bins, T)
        lengths : torch.Tensor of shape (B,), optional

        Returns
        -------
        logits : torch.Tensor of shape (B, n_classes)
        embedding : torch.Tensor of shape (B, embedding_dim)
            FC1's output after PReLU, the feature the center loss acts on.
        """
        _, embedding = self.forward_features(X, lengths)
        return self.fc2(self.dropout(embedding)), embedding
