"""scikit-learn estimators wrapping the toolkit's networks (skorch)."""

from ._base import SERNetClassifier, resolve_device
from .vacnn import VACNNBOVWClassifier, VACNNClassifier, load_encoder_state

__all__ = [
    "SERNetClassifier",
    "VACNNBOVWClassifier",
    "VACNNClassifier",
    "load_encoder_state",
    "resolve_device",
]
