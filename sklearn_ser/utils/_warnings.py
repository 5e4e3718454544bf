"""Warnings that point at the user's code, not at the toolkit's insides."""

import os
import sys
import warnings

import sklearn

# Frames in these folders are passed over when a warning picks the line it points at:
# the toolkit itself and scikit-learn (whose pipelines and searches call the toolkit).
_INTERNAL_DIRS = tuple(
    os.path.dirname(os.path.abspath(path)) + os.sep
    for path in (os.path.dirname(os.path.abspath(__file__)), sklearn.__file__)
)


def warn_from_caller(message, category=UserWarning):
    """``warnings.warn`` attributed to the first caller outside sklearn-ser and scikit-learn.

    ``message`` may be a ``Warning`` instance (its class is then the category).
    """
    frame, level = sys._getframe(1), 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(
            _INTERNAL_DIRS):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
