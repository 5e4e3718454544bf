"""Training-time augmentation of spectrogram images, as a network layer.

:class:`SpecAugment` masks random frequency bands and time spans (Park et al., 2019) and
stretches time by a random crop resized back to the full width. It acts only while its
network is in training mode (``net.train()``), like dropout, and is the identity in
``eval`` mode: predictions, explanations (Grad-CAM, LIME, occlusion run in ``eval``) and
saved weights are unaffected, and it has no parameters, so a network with it has the same
``state_dict`` as one without.

Seo & Kim 2020 train without augmentation; it is offered because the networks
over-fit EmoDB-sized corpora quickly (see ``docs/vacnn_reproduction.md``). Put it first in
a network through its ``augment=`` argument, e.g.
``VACNNClassifier(module__augment=SpecAugment())``.
"""

from numbers import Real

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["SpecAugment"]


class SpecAugment(nn.Module):
    """Random time stretch, frequency masks and time masks of images ``(B, C, H, W)``.

    Rows are frequency bands, columns time frames (the layout of
    :class:`~sklearn_ser.features.LogMelImage`). In training mode, for every image of
    the batch independently:

    1. **time stretch**: a window of ``round(W * (1 - u * time_stretch))`` columns,
       ``u ~ U(0, 1)``, at a random offset, is resized back to ``W`` columns (bilinear);
    2. ``n_freq_masks`` **frequency masks**: bands of ``floor(v * freq_mask * H)`` rows,
       ``v ~ U(0, 1)``, at random offsets, are set to ``fill``;
    3. ``n_time_masks`` **time masks**: spans of ``floor(v * time_mask * W)`` columns, the
       same way.

    In ``eval`` mode the input is returned unchanged (the same tensor).

    Parameters
    ----------
    freq_mask : float, default=0.15
        Largest frequency mask, as a fraction of the image height, in ``[0, 1]``.
    time_mask : float, default=0.15
        Largest time mask, as a fraction of the image width, in ``[0, 1]``.
    n_freq_masks : int, default=2
        Frequency masks per image.
    n_time_masks : int, default=2
        Time masks per image.
    time_stretch : float, default=0.2
        Largest fraction of the width cropped away before resizing back, in ``[0, 1)``;
        0 disables the stretch.
    fill : "mean" or float, default="mean"
        Value of the masked pixels: each image's own mean (a neutral grey that does not
        change its average), or a constant.

    Notes
    -----
    Randomness comes from torch's global generator, which the toolkit's estimators seed
    (``random_state``) inside :func:`torch.random.fork_rng`; everything runs on the
    input's device, in one batched pass (``grid_sample`` for the stretch).

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.models import SpecAugment
    >>> augment = SpecAugment()
    >>> x = torch.rand(4, 1, 64, 64)
    >>> augment.train()(x).shape
    torch.Size([4, 1, 64, 64])
    >>> augment.eval()(x) is x
    True
    """

    def __init__(self, freq_mask=0.15, time_mask=0.15, n_freq_masks=2, n_time_masks=2,
                 time_stretch=0.2, fill="mean"):
        super().__init__()
        for name, value in (("freq_mask", freq_mask), ("time_mask", time_mask),
                            ("time_stretch", time_stretch)):
            if isinstance(value, bool) or not isinstance(value, Real) or not 0 <= value <= 1:
                raise ValueError(f"{name} must be a fraction in [0, 1], got {value!r}.")
        if time_stretch >= 1:
            raise ValueError(
                f"time_stretch must be below 1 (it is the largest fraction of the width cropped "
                f"away), got {time_stretch!r}."
            )
        for name, value in (("n_freq_masks", n_freq_masks), ("n_time_masks", n_time_masks)):
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}.")
        if not (fill == "mean" or (isinstance(fill, Real) and not isinstance(fill, bool))):
            raise ValueError(f"fill must be 'mean' or a number, got {fill!r}.")
        self.freq_mask = freq_mask
        self.time_mask = time_mask
        self.n_freq_masks = n_freq_masks
        self.n_time_masks = n_time_masks
        self.time_stretch = time_stretch
        self.fill = fill

    def extra_repr(self):
        return (f"freq_mask={self.freq_mask}, time_mask={self.time_mask}, "
                f"n_freq_masks={self.n_freq_masks}, n_time_masks={self.n_time_masks}, "
                f"time_stretch={self.time_stretch}, fill={self.fill!r}")

    def forward(self, x):
        """Augment ``x`` of shape ``(B, C, H, W)`` in training mode; return it in eval mode."""
        if not self.training:
            return x
        if x.dim() != 4:
            raise ValueError(f"SpecAugment expects images (B, C, H, W), got shape "
                             f"{tuple(x.shape)}.")
        if not x.is_floating_point():
            x = x.float()
        if self.time_stretch > 0:
            x = self._stretch_time(x)
        batch, _, height, width = x.shape
        if self.fill == "mean":
            fill = x.mean(dim=(1, 2, 3), keepdim=True)
        else:
            fill = torch.full((batch, 1, 1, 1), float(self.fill), dtype=x.dtype, device=x.device)
        masked = torch.zeros(batch, 1, height, width, dtype=torch.bool, device=x.device)
        rows = self._spans(batch, height, self.freq_mask, self.n_freq_masks, x.device)
        cols = self._spans(batch, width, self.time_mask, self.n_time_masks, x.device)
        masked |= rows[:, None, :, None]
        masked |= cols[:, None, None, :]
        return torch.where(masked, fill, x)

    @staticmethod
    def _spans(batch, length, fraction, count, device):
        """``(batch, length)`` boolean mask: the union of ``count`` random spans per row."""
        position = torch.arange(length, device=device)
        mask = torch.zeros(batch, length, dtype=torch.bool, device=device)
        for _ in range(count):
            size = (torch.rand(batch, device=device) * (fraction * length)).long()
            start = (torch.rand(batch, device=device) * (length - size + 1)).long()
            mask |= (position >= start[:, None]) & (position < (start + size)[:, None])
        return mask

    def _stretch_time(self, x):
        """Crop a random window of columns per image and resize it back to the full width."""
        batch, _, _, width = x.shape
        kept = torch.round(width * (1 - torch.rand(batch, device=x.device) * self.time_stretch))
        kept = kept.clamp(min=1)
        start = torch.floor(torch.rand(batch, device=x.device) * (width - kept + 1))
        # affine_grid's x runs over [-1, 1] across the output; map it onto [start, start + kept).
        theta = torch.zeros(batch, 2, 3, dtype=x.dtype, device=x.device)
        theta[:, 0, 0] = kept / width
        theta[:, 0, 2] = (2 * start + kept) / width - 1
        theta[:, 1, 1] = 1
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="border",
                             align_corners=False)
