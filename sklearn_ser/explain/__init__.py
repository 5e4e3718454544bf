"""Explanations of spectrogram classifiers (Kim & Kwak 2024).

Which time-frequency regions of a log-mel image decide a fitted network's emotion, by three
complementary methods, and what to do with the answer:

- :func:`grad_cam`: gradient-weighted class activation maps of the last feature map;
- :func:`lime_explanation`: a weighted linear surrogate over time-frequency tiles or
  superpixels (:func:`tile_segments`, :func:`slic_segments`);
- :func:`occlusion_sensitivity`: the drop of the class probability under a sliding mask;
- :func:`frequency_profile`: per-emotion activation over frequency across a data set;
- :func:`gradcam_to_audio`: the activated part of the utterance, as audio
  (via :func:`time_profile`);
- figures: :func:`plot_explanations`, :func:`plot_frequency_profile`,
  :func:`plot_confusion_matrix`.

Every method takes a fitted network of :mod:`sklearn_ser.estimators` or a fitted Pipeline
ending in one (its earlier steps are applied to ``X``, so audio files can be explained
directly) and returns maps of shape ``(n, H, W)`` aligned with the images: row 0 is the top,
highest-frequency row; columns are time.

Examples
--------
>>> import numpy as np
>>> from sklearn_ser.estimators import VACNNClassifier
>>> from sklearn_ser.explain import grad_cam, occlusion_sensitivity
>>> X = np.random.default_rng(0).uniform(0, 255, (8, 1, 32, 32)).astype("float32")
>>> clf = VACNNClassifier(module__widths=(8, 8, 8), max_epochs=1, train_split=None,
...                       random_state=0).fit(X, ["anger", "sadness"] * 4)
>>> grad_cam(clf, X[:2]).shape, occlusion_sensitivity(clf, X[:2], size=8).shape
((2, 32, 32), (2, 32, 32))
"""

from .audio import gradcam_to_audio, time_profile
from .gradcam import default_gradcam_layer, grad_cam
from .lime import lime_explanation, slic_segments, tile_segments
from .occlusion import occlusion_sensitivity
from .plotting import plot_confusion_matrix, plot_explanations, plot_frequency_profile
from .profiles import frequency_profile

__all__ = [
    "default_gradcam_layer",
    "frequency_profile",
    "grad_cam",
    "gradcam_to_audio",
    "lime_explanation",
    "occlusion_sensitivity",
    "plot_confusion_matrix",
    "plot_explanations",
    "plot_frequency_profile",
    "slic_segments",
    "tile_segments",
    "time_profile",
]
