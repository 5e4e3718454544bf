"""The VGGish + YAMNet late-fusion network of method B (seed 004, Figure 8).

::

    segment (1 x 96 x 64)
     |-> VGGish  pool2 128 x 24 x 16 -> 1x1 conv + BN -> avg-pool to 6 x 4 --+
     |           pool3 256 x 12 x  8 -> 1x1 conv + BN -> avg-pool to 6 x 4 --+-> sum -> ReLU
     |           pool4 512 x  6 x  4 -> 1x1 conv + BN -----------------------+      -> flatten --+
     |-> YAMNet  layer14 1024 x 3 x 2 -> global average pool (1024) ------------------------------+
                                                               depth concatenation -> FC -> logits

- The three VGGish pool maps are brought to ``fusion_channels`` channels by
  1x1 convolutions (each followed by batch normalisation, since the maps'
  scales differ), resized to ``fusion_size`` (default 6 x 4, the pool-4 size)
  by adaptive **average** pooling (an exact 4x4 / 2x2 averaging for 96 x 64
  input), added, and passed through a ReLU. The sum is flattened, so the
  time-frequency position the paper wants to keep from VGGish survives.
- YAMNet's last map is globally average-pooled (1024 values), as in the
  release.
- The two are joined by depth concatenation and a fully connected layer gives
  the class logits (softmax is applied by the loss / ``predict_proba``).
"""

import torch
from torch import nn

from .vggish import VGGish
from .yamnet import YAMNet

__all__ = ["VGGishYAMNetFusion"]

_VGGISH_TAPS = {"pool2": 128, "pool3": 256, "pool4": 512}


class VGGishYAMNetFusion(nn.Module):
    """Late fusion of VGGish pool-2/3/4 maps and the YAMNet embedding.

    Parameters
    ----------
    n_classes : int
        Number of emotions.
    fusion_channels : int, default=128
        Channels of the VGGish maps after their 1x1 convolutions.
    fusion_size : tuple of int, default=(6, 4)
        (frames, bands) the VGGish maps are average-pooled to before the sum.
    freeze_backbones : bool, default=False
        Freeze VGGish and YAMNet: their parameters get ``requires_grad=False``
        and they stay in eval mode (YAMNet's batch-norm statistics do not
        move) even when the module is put in training mode.
    freeze_batch_norm : bool, default=False
        Keep the backbones' batch norms in eval mode (running statistics used
        and not updated) while the rest trains. Needed to fine-tune YAMNet
        from the TFLite release, whose batch norms are folded into the
        convolutions: they are identities carrying an offset, and in
        training mode they would re-normalise every channel by batch
        statistics. Their offsets still train.

    Attributes
    ----------
    vggish : VGGish
        Without its fully connected layers.
    yamnet : YAMNet
        Without its classification layer.
    project : torch.nn.ModuleDict
        ``"pool2"``, ``"pool3"``, ``"pool4"`` → 1x1 conv + batch norm.
    classifier : torch.nn.Linear
        ``fusion_channels * 6 * 4 + 1024`` → ``n_classes``.

    Examples
    --------
    >>> net = VGGishYAMNetFusion(n_classes=4, fusion_channels=8).eval()
    >>> net(torch.zeros(2, 1, 96, 64)).shape
    torch.Size([2, 4])
    """

    #: Default layer for :func:`sklearn_ser.explain.grad_cam`: VGGish's last pooled map.
    gradcam_layer = "vggish.block4"

    def __init__(self, n_classes, fusion_channels=128, fusion_size=(6, 4),
                 freeze_backbones=False, freeze_batch_norm=False):
        super().__init__()
        self.n_classes = n_classes
        self.fusion_size = tuple(fusion_size)
        self.freeze_backbones = freeze_backbones
        self.freeze_batch_norm = freeze_batch_norm
        self.vggish = VGGish(include_top=False)
        self.yamnet = YAMNet(include_top=False)
        self.project = nn.ModuleDict({
            name: nn.Sequential(nn.Conv2d(channels, fusion_channels, 1),
                                nn.BatchNorm2d(fusion_channels))
            for name, channels in _VGGISH_TAPS.items()
        })
        self.resize = nn.AdaptiveAvgPool2d(self.fusion_size)
        n_vggish = fusion_channels * self.fusion_size[0] * self.fusion_size[1]
        self.classifier = nn.Linear(n_vggish + 1024, n_classes)
        if freeze_backbones:
            for param in self.backbone_parameters():
                param.requires_grad_(False)
        self.train(self.training)

    def backbone_parameters(self):
        """Parameters of VGGish and YAMNet."""
        yield from self.vggish.parameters()
        yield from self.yamnet.parameters()

    def train(self, mode=True):
        super().train(mode)
        if self.freeze_backbones:
            self.vggish.eval()
            self.yamnet.eval()
        elif self.freeze_batch_norm:
            for module in (*self.vggish.modules(), *self.yamnet.modules()):
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.eval()
        return self

    def forward(self, x):
        # Frozen backbones run without autograd, except when the caller asks for input
        # gradients (Grad-CAM, saliency): then the graph is kept through them.
        track = torch.is_grad_enabled() and (not self.freeze_backbones or x.requires_grad)
        with torch.set_grad_enabled(track):
            maps = self.vggish.feature_maps(x)
            yamnet = self.yamnet.embed(x)
        fused = sum(self.resize(self.project[name](maps[name])) for name in _VGGISH_TAPS)
        fused = torch.relu(fused).flatten(1)
        return self.classifier(torch.cat([fused, yamnet], dim=1))
