"""Neural networks of sklearn-ser, as plain :class:`torch.nn.Module` objects.

Nothing here imports scikit-learn or skorch: the estimators in :mod:`sklearn_ser.estimators`
wrap these modules.

VACNN + BOVW (Seo & Kim 2020):

- building blocks: :class:`ConvBlock`;
- attention: :class:`ChannelAttention`, :class:`SpatialAttention`, :class:`VAModule`,
  :class:`CBAM`, :class:`ContextAttention`;
- networks: :class:`VACNNEncoder` (with :class:`VABlock`), :class:`VACNN` (pretraining),
  :class:`VACNNBOVW` (fine-tuning with a BOVW histogram, via :class:`BOVWEmbedding`);
- transfer: :func:`freeze_until`;
- training-time augmentation (not in the papers): :class:`SpecAugment`.

Gaussian data selection + late fusion (Kim & Kwak 2024): :class:`VGGish`,
:class:`YAMNet` and their weight loaders (:func:`load_vggish_weights`,
:func:`load_yamnet_weights`, :func:`fetch_weights`), fused by :class:`VGGishYAMNetFusion`.

ViT with vertical patches and distillation (Kim & Lee 2024): :class:`VerticalPatchViT`,
:class:`TeacherViT`, :class:`StudentViT`, :class:`FeatureMapDistiller`,
:class:`DistillationLoss`.

CNN + BiGRU with center loss (Dai et al. 2019): :class:`CRNN`, :class:`CenterLoss`,
:class:`SoftmaxCenterLoss`.
"""

from .attention import CBAM, ChannelAttention, ContextAttention, SpatialAttention, VAModule
from .augment import SpecAugment
from .blocks import ConvBlock
from .crnn import CRNN, MaskedBatchNorm2d, MaskedConvBlock
from .late_fusion import VGGishYAMNetFusion
from .losses import CenterLoss, SoftmaxCenterLoss
from .vacnn import (
    ENCODER_STAGES,
    VACNN,
    VACNNBOVW,
    BOVWEmbedding,
    VABlock,
    VACNNEncoder,
    freeze_until,
)
from .vacnn_pretrained import list_pretrained_vacnn, load_pretrained_vacnn, pretrained_vacnn_card
from .vggish import VGGish, VGGishBlock
from .vit import (
    ConvStem,
    CoordinateEncoding,
    DistillationLoss,
    FeatureMapDistiller,
    MultiHeadSelfAttention,
    StudentViT,
    TeacherViT,
    TransformerBlock,
    TransformerEncoder,
    VerticalPatchEmbedding,
    VerticalPatchViT,
    resolve_distill_pairs,
)
from .weights import fetch_weights, load_state_into, load_vggish_weights, load_yamnet_weights
from .yamnet import BatchNormNoScale, YAMNet, YAMNetConv, YAMNetSeparableConv

__all__ = [
    "BatchNormNoScale",
    "BOVWEmbedding",
    "CBAM",
    "CenterLoss",
    "ChannelAttention",
    "ContextAttention",
    "ConvBlock",
    "ConvStem",
    "CoordinateEncoding",
    "CRNN",
    "DistillationLoss",
    "ENCODER_STAGES",
    "FeatureMapDistiller",
    "fetch_weights",
    "freeze_until",
    "list_pretrained_vacnn",
    "load_pretrained_vacnn",
    "load_state_into",
    "load_vggish_weights",
    "load_yamnet_weights",
    "MaskedBatchNorm2d",
    "MaskedConvBlock",
    "MultiHeadSelfAttention",
    "pretrained_vacnn_card",
    "resolve_distill_pairs",
    "SoftmaxCenterLoss",
    "SpatialAttention",
    "SpecAugment",
    "StudentViT",
    "TeacherViT",
    "TransformerBlock",
    "TransformerEncoder",
    "VABlock",
    "VACNN",
    "VACNNBOVW",
    "VACNNEncoder",
    "VAModule",
    "VerticalPatchEmbedding",
    "VerticalPatchViT",
    "VGGish",
    "VGGishBlock",
    "VGGishYAMNetFusion",
    "YAMNet",
    "YAMNetConv",
    "YAMNetSeparableConv",
]
