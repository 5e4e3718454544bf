"""Feature transformers: audio front ends, segmenters, selectors and image encoders."""

from .bovw import BOVWEncoder, extract_kaze_descriptors, select_n_words
from .gds import GaussianDataSelector, gds_scores
from .logmel import LogMelImage, flatten_images, logmel_image
from .segments import (
    SegmentedLogMel,
    check_segments,
    expand_segments,
    log_mel_spectrogram,
    mean_by_utterance,
    pack_segments,
    segment_spectrogram,
    tf_mel_filters,
)
from .spectrogram import (
    LogMelSpectrogram,
    LogSTFTSpectrogram,
    check_spectrograms,
    crop_middle,
    log_spectrogram,
    pack_spectrograms,
    spectrogram_lengths,
)
from .yamnet import YAMNetEmbedding, pool_embeddings

__all__ = [
    "BOVWEncoder",
    "check_segments",
    "check_spectrograms",
    "crop_middle",
    "expand_segments",
    "extract_kaze_descriptors",
    "flatten_images",
    "GaussianDataSelector",
    "gds_scores",
    "log_mel_spectrogram",
    "log_spectrogram",
    "logmel_image",
    "LogMelImage",
    "LogMelSpectrogram",
    "LogSTFTSpectrogram",
    "mean_by_utterance",
    "pack_segments",
    "pack_spectrograms",
    "pool_embeddings",
    "segment_spectrogram",
    "SegmentedLogMel",
    "tf_mel_filters",
    "select_n_words",
    "spectrogram_lengths",
    "YAMNetEmbedding",
]
