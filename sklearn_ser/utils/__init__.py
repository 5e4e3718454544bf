"""Internal utilities shared by sklearn-ser's transformers and estimators."""

from ._cache import FeatureCache, digest_item, digest_params, resolve_cache_location

__all__ = ["FeatureCache", "digest_item", "digest_params", "resolve_cache_location"]
