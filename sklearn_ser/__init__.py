"""sklearn-ser: speech emotion recognition from spectrogram images, the scikit-learn way."""

from ._labels import CANONICAL_EMOTIONS, PRETRAINING_EMOTIONS

__version__ = "0.1.0.dev0"

__all__ = ["CANONICAL_EMOTIONS", "PRETRAINING_EMOTIONS", "__version__"]
