"""Feature transformers: audio front ends and image encoders."""

from .bovw import BOVWEncoder, extract_kaze_descriptors, select_n_words
from .logmel import LogMelImage, flatten_images, logmel_image

__all__ = [
    "BOVWEncoder",
    "LogMelImage",
    "extract_kaze_descriptors",
    "flatten_images",
    "logmel_image",
    "select_n_words",
]
