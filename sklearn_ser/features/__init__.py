"""Feature transformers: audio front ends and image encoders."""

from .logmel import LogMelImage, flatten_images, logmel_image

__all__ = ["LogMelImage", "flatten_images", "logmel_image"]
