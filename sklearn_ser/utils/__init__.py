"""Utilities shared by sklearn-ser's transformers and estimators."""

from ._cache import digest_item, digest_params, FeatureCache, resolve_cache_location
from .complexity import flops_and_params

__all__ = [
    "digest_item",
    "digest_params",
    "FeatureCache",
    "flops_and_params",
    "resolve_cache_location",
]
