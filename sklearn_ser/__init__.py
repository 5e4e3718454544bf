"""sklearn-ser: speech emotion recognition from spectrogram images, the scikit-learn way."""

from ._labels import CANONICAL_EMOTIONS, PRETRAINING_EMOTIONS
from .metrics import register_scorers

__version__ = "0.1.0.dev0"

# Make scoring="ser_wa" / "ser_ua" usable in cross_val_score and GridSearchCV.
register_scorers()

__all__ = ["CANONICAL_EMOTIONS", "PRETRAINING_EMOTIONS", "__version__"]
