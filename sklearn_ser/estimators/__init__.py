"""scikit-learn estimators wrapping the toolkit's networks (skorch)."""

from ._base import SERNetClassifier, resolve_device
from ._checkpoint import ResumableCheckpoint, load_training_state
from ._performance import PerformanceMixin
from .crnn import CRNNClassifier, plot_embedding_pca, within_class_spread
from .late_fusion import LateFusionClassifier
from .vacnn import VACNNBOVWClassifier, VACNNClassifier, load_encoder_state
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
