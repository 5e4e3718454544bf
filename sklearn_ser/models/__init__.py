"""Neural networks of sklearn-ser, as plain :class:`torch.nn.Module` objects.

Nothing here imports scikit-learn or skorch: the estimators in :mod:`sklearn_ser.estimators`
wrap these modules.

Method A (VACNN + BOVW, seeds 000 and 001):

- building blocks: :class:`ConvBlock`;
- attention: :class:`ChannelAttention`, :class:`SpatialAttention`, :class:`VAModule`,
  :class:`CBAM`, :class:`ContextAttention`;
- networks: :class:`VACNNEncoder` (with :class:`VABlock`), :class:`VACNN` (pretraining),
  :class:`VACNNBOVW` (fine-tuning with a BOVW histogram, via :class:`BOVWEmbedding`);
- transfer: :func:`freeze_until`.
"""

from .attention import CBAM, ChannelAttention, ContextAttention, SpatialAttention, VAModule
from .blocks import ConvBlock
from .vacnn import (
    ENCODER_STAGES,
    BOVWEmbedding,
    VABlock,
    VACNN,
    VACNNBOVW,
    VACNNEncoder,
    freeze_until,
)

__all__ = [
    "BOVWEmbedding",
    "CBAM",
    "ChannelAttention",
    "ContextAttention",
    "ConvBlock",
    "ENCODER_STAGES",
    "SpatialAttention",
    "VABlock",
    "VACNN",
    "VACNNBOVW",
    "VACNNEncoder",
    "VAModule",
    "freeze_until",
]
