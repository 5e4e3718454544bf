"""The VGGish + YAMNet late-fusion network of Kim & Kwak 2024 (Figure 8).

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

Of the two backbones only YAMNet has released weights that this package can
load (the TFLite model: ``load_yamnet_weights("yamnet-tflite")``, see
``docs/yamnet.md``). Without VGGish weights, the configurations that use
pretrained features without pretending are

- ``backbones=("vggish", "yamnet")``, ``freeze_backbones=("yamnet",)``: the
  pretrained YAMNet fixed, VGGish trained from scratch inside the fusion;
- ``backbones=("yamnet",)``: a YAMNet-only head (the pretrained YAMNet,
  frozen or fine-tuned, then the fully connected layer);

and ``yamnet_layer`` taps an earlier YAMNet block than the last one.
"""

import torch
from torch import nn

from .blocks import AdaptiveAvgPool2d
from .vggish import VGGish
from .yamnet import YAMNET_LAYERS, YAMNet

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
    freeze_backbones : bool or tuple of str, default=False
        Freeze VGGish and YAMNet (``True``) or the ones named
        (``("yamnet",)``): their parameters get ``requires_grad=False`` and
        they stay in eval mode (batch-norm statistics do not move) even when
        the module is put in training mode.
    freeze_batch_norm : bool, default=False
        Keep the backbones' batch norms in eval mode (running statistics used
        and not updated) while the rest trains. Needed to fine-tune YAMNet
        from the TFLite release, whose batch norms are folded into the
        convolutions: they are identities carrying an offset, and in
        training mode they would re-normalise every channel by batch
        statistics. Their offsets still train.
    backbones : tuple of str, default=("vggish", "yamnet")
        The branches: both (the paper's fusion) or ``("yamnet",)`` alone (a
        YAMNet-only head; then ``vggish`` and ``project`` do not exist).
    yamnet_layer : int, default=14
        YAMNet block (1-14) whose globally averaged output enters the fusion:
        14 is the release's 1024-d embedding; earlier blocks (512 channels
        for 8-12) carry more of what emotion needs (see ``docs/yamnet_embedding.md``).

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
                 freeze_backbones=False, freeze_batch_norm=False,
                 backbones=("vggish", "yamnet"), yamnet_layer=14):
        super().__init__()
        self.n_classes = n_classes
        self.fusion_size = tuple(fusion_size)
        self.backbones = tuple(backbones)
        if self.backbones not in (("vggish", "yamnet"), ("yamnet",)):
            raise ValueError(
                f"backbones must be ('vggish', 'yamnet') or ('yamnet',), got {backbones!r}."
            )
        if freeze_backbones is True:
            frozen = self.backbones
        elif not freeze_backbones:
            frozen = ()
        else:
            frozen = (freeze_backbones,) if isinstance(freeze_backbones, str) else tuple(
                freeze_backbones)
            unknown = set(frozen) - set(self.backbones)
            if unknown:
                raise ValueError(
                    f"freeze_backbones names {sorted(unknown)}, not among the backbones "
                    f"{self.backbones}."
                )
        self.freeze_backbones = freeze_backbones
        self.frozen_backbones = frozen
        self.freeze_batch_norm = freeze_batch_norm
        if not 1 <= yamnet_layer <= len(YAMNET_LAYERS):
            raise ValueError(
                f"yamnet_layer must be in 1..{len(YAMNET_LAYERS)}, got {yamnet_layer}.")
        self.yamnet_layer = int(yamnet_layer)
        n_inputs = YAMNET_LAYERS[self.yamnet_layer - 1][2]
        if "vggish" in self.backbones:
            self.vggish = VGGish(include_top=False)
            self.project = nn.ModuleDict({
                name: nn.Sequential(nn.Conv2d(channels, fusion_channels, 1),
                                    nn.BatchNorm2d(fusion_channels))
                for name, channels in _VGGISH_TAPS.items()
            })
            self.resize = AdaptiveAvgPool2d(self.fusion_size)
            n_inputs += fusion_channels * self.fusion_size[0] * self.fusion_size[1]
        else:
            self.gradcam_layer = f"yamnet.layers.{self.yamnet_layer - 1}"
        self.yamnet = YAMNet(include_top=False)
        self.classifier = nn.Linear(n_inputs, n_classes)
        for name in frozen:
            for param in getattr(self, name).parameters():
                param.requires_grad_(False)
        self.train(self.training)

    def backbone_parameters(self):
        """Parameters of the backbones (VGGish, when present, and YAMNet)."""
        for name in self.backbones:
            yield from getattr(self, name).parameters()

    def train(self, mode=True):
        super().train(mode)
        for name in self.backbones:
            backbone = getattr(self, name)
            if name in self.frozen_backbones:
                backbone.eval()
            elif self.freeze_batch_norm:
                for module in backbone.modules():
                    if isinstance(module, nn.modules.batchnorm._BatchNorm):
                        module.eval()
        return self

    def _yamnet_features(self, x):
        for block in self.yamnet.layers[:self.yamnet_layer]:
            x = block(x)
        return x.mean(dim=(2, 3))

    def forward(self, x):
        # Frozen backbones run without autograd, except when the caller asks for input
        # gradients (Grad-CAM, saliency): then the graph is kept through them.
        grad = torch.is_grad_enabled()
        with torch.set_grad_enabled(grad and ("yamnet" not in self.frozen_backbones
                                              or x.requires_grad)):
            features = [self._yamnet_features(x)]
        if "vggish" in self.backbones:
            with torch.set_grad_enabled(grad and ("vggish" not in self.frozen_backbones
                                                  or x.requires_grad)):
                maps = self.vggish.feature_maps(x)
            fused = sum(self.resize(self.project[name](maps[name])) for name in _VGGISH_TAPS)
            features.insert(0, torch.relu(fused).flatten(1))
        return self.classifier(torch.cat(features, dim=1))
