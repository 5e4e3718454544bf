"""scikit-learn estimators wrapping the toolkit's networks (skorch)."""

from ._base import resolve_device, SERNetClassifier
from ._checkpoint import load_training_state, ResumableCheckpoint
from ._performance import PerformanceMixin
from .crnn import CRNNClassifier, plot_embedding_pca, within_class_spread
from .late_fusion import LateFusionClassifier
from .vacnn import load_encoder_state, VACNNBOVWClassifier, VACNNClassifier
from .vit import DistilledViTClassifier, ViTClassifier

__all__ = [
    "CRNNClassifier",
    "DistilledViTClassifier",
    "LateFusionClassifier",
    "load_encoder_state",
    "load_training_state",
    "PerformanceMixin",
    "plot_embedding_pca",
    "resolve_device",
    "ResumableCheckpoint",
    "SERNetClassifier",
    "VACNNBOVWClassifier",
    "VACNNClassifier",
    "ViTClassifier",
    "within_class_spread",
]
