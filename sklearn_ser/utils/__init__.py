"""Utilities shared by sklearn-ser's transformers and estimators."""

from ._cache import FeatureCache, digest_item, digest_params, resolve_cache_location
from .complexity import flops_and_params
from .device import module_device, to_device

__all__ = [
    "digest_item",
    "digest_params",
    "FeatureCache",
    "flops_and_params",
    "module_device",
    "resolve_cache_location",
    "to_device",
]
