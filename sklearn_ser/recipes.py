"""Recipes: the toolkit's complete models (front end + model), by name.

A recipe is a function of a few settings that returns an unfitted
:class:`~sklearn.pipeline.Pipeline` whose first step is the audio front end:
it takes audio files (or waveforms) and emotion labels. The command line
(``sklearn-ser evaluate --model NAME``) and the benchmarks build their models
here, so that a model means the same thing everywhere.

>>> from sklearn_ser.recipes import get_recipe, list_recipes
>>> list_recipes()
['vacnn-bovw', 'vacnn', 'logmel-logreg', 'late-fusion', 'vit-distilled', 'crnn']
>>> pipe = get_recipe("logmel-logreg", image_size=32)
>>> [name for name, _ in pipe.steps]
['logmelimage', 'functiontransformer', 'standardscaler', 'logisticregression']

Settings every recipe takes: ``n_jobs``, ``memory`` (the feature cache) and
``verbose``. The networks' recipes also take ``epochs`` (maximum epochs, per
stage for ``vit-distilled``), ``patience``, ``lr``, ``batch_size``,
``device`` and ``random_state``; see :func:`get_recipe` for the rest.
"""

from dataclasses import dataclass

__all__ = ["Recipe", "get_recipe", "list_recipes"]

_FRONT_END = ("n_jobs", "memory", "verbose")
_NETWORK = ("epochs", "patience", "lr", "batch_size", "device", "random_state")


@dataclass(frozen=True)
class Recipe:
    """A named model: what it is, which settings it takes, and how it is built.

    Attributes
    ----------
    name : str
    summary : str
        One line: front end -> steps -> classifier.
    citation : str or None
        The paper it follows, by author and year.
    image_size : int or None
        Default side of the square log-mel images; ``None`` when the front end
        makes no images (its output keeps the spectrogram's own size).
    params : tuple of str
        The settings :func:`get_recipe` accepts for it.
    """

    name: str
    summary: str
    citation: object
    image_size: object
    params: tuple
    _build: object

    def build(self, **params):
        """The unfitted pipeline of this recipe (see :func:`get_recipe`)."""
        from sklearn.pipeline import make_pipeline

        unknown = sorted(set(params) - set(self.params))
        if unknown:
            raise TypeError(
                f"Recipe {self.name!r} takes no {', '.join(unknown)}; it takes "
                f"{', '.join(self.params)}.")
        settings = {"n_jobs": None, "memory": None, "verbose": 0, "epochs": 30,
                    "patience": 10, "lr": None, "batch_size": None, "device": "auto",
                    "random_state": 0, "image_size": self.image_size}
        settings.update(params)
        if settings["image_size"] is None:  # None means the recipe's own size
            settings["image_size"] = self.image_size
        return make_pipeline(*self._build(settings))


def _front_end_params(s):
    return {"n_jobs": s["n_jobs"], "memory": s["memory"], "verbose": s["verbose"]}


def _log_mel_image(s):
    from .features import LogMelImage

    size = int(s["image_size"])
    return LogMelImage(size=(size, size), **_front_end_params(s))


def _net_params(s, *, lr=None, batch_size=None):
    """Training settings of a network; ``lr``/``batch_size`` given override its defaults."""
    params = {"max_epochs": s["epochs"], "patience": s["patience"], "device": s["device"],
              "random_state": s["random_state"], "verbose": s["verbose"]}
    if s.get("refit_full"):
        params["refit_full"] = True
    for name, default in (("lr", lr), ("batch_size", batch_size)):
        value = s[name] if s[name] is not None else default
        if value is not None:
            params[name] = value
    return params


def _vacnn_params(s):
    from .models import SpecAugment

    # The paper's values (Seo & Kim 2020): Adam at 1e-3, batch 8.
    params = _net_params(s, lr=1e-3, batch_size=8)
    if s.get("lr_step") is not None:  # otherwise the estimator's default, the paper's 10
        params["lr_step_size"] = s["lr_step"]
    params["module__augment"] = SpecAugment() if s.get("augment") else None
    return params


def _vacnn_bovw(s):
    from .estimators import VACNNBOVWClassifier
    from .features import BOVWEncoder

    return [_log_mel_image(s),
            BOVWEncoder(n_words=s.get("n_words") or 128, output="dict", memory=s["memory"],
                        n_jobs=s["n_jobs"], random_state=s["random_state"],
                        verbose=s["verbose"]),
            VACNNBOVWClassifier(pretrained=s.get("pretrained"), **_vacnn_params(s))]


def _vacnn(s):
    from .estimators import VACNNClassifier

    return [_log_mel_image(s), VACNNClassifier(**_vacnn_params(s))]


def _logmel_logreg(s):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    from .features import flatten_images

    return [_log_mel_image(s), FunctionTransformer(flatten_images), StandardScaler(),
            LogisticRegression(C=0.01, max_iter=2000)]


def _late_fusion(s):
    from .estimators import LateFusionClassifier
    from .features import GaussianDataSelector, SegmentedLogMel

    return [SegmentedLogMel(**_front_end_params(s)), GaussianDataSelector(),
            LateFusionClassifier(**_net_params(s))]


def _vit_distilled(s):
    from .estimators import DistilledViTClassifier

    params = _net_params(s)
    epochs = params.pop("max_epochs")
    return [_log_mel_image(s),
            DistilledViTClassifier(teacher_epochs=epochs, matching_epochs=epochs,
                                   student_epochs=epochs, **params)]


def _crnn(s):
    from .estimators import CRNNClassifier
    from .features import LogMelSpectrogram

    return [LogMelSpectrogram(**_front_end_params(s)), CRNNClassifier(**_net_params(s))]


_VACNN_OPTIONS = ("lr_step", "augment", "refit_full")
_RECIPES = {r.name: r for r in (
    Recipe("vacnn-bovw", "log-mel image -> BOVW histogram -> VACNN+BOVW", "Seo & Kim 2020", 224,
           ("image_size", "n_words", "pretrained", *_VACNN_OPTIONS, *_NETWORK, *_FRONT_END),
           _vacnn_bovw),
    Recipe("vacnn", "log-mel image -> VACNN", "Seo & Kim 2020", 224,
           ("image_size", *_VACNN_OPTIONS, *_NETWORK, *_FRONT_END), _vacnn),
    Recipe("logmel-logreg",
           "64x64 log-mel image -> flatten -> StandardScaler -> LogisticRegression", None, 64,
           ("image_size", *_FRONT_END), _logmel_logreg),
    Recipe("late-fusion",
           "96x64 log-mel segments -> Gaussian data selection -> VGGish+YAMNet",
           "Kim & Kwak 2024", None, ("refit_full", *_NETWORK, *_FRONT_END), _late_fusion),
    Recipe("vit-distilled",
           "128x128 log-mel image -> teacher ViT distilled into a student ViT",
           "Kim & Lee 2024", 128, ("image_size", *_NETWORK, *_FRONT_END), _vit_distilled),
    Recipe("crnn", "variable-length log-mel spectrogram -> CNN + BiGRU, center loss",
           "Dai et al. 2019", None, ("refit_full", *_NETWORK, *_FRONT_END), _crnn),
)}


def list_recipes():
    """Names of the recipes, in the order the command line lists them.

    Returns
    -------
    names : list of str

    Examples
    --------
    >>> "crnn" in list_recipes()
    True
    """
    return list(_RECIPES)


def recipe_info(name):
    """The :class:`Recipe` record of ``name`` (summary, citation, settings)."""
    try:
        return _RECIPES[name]
    except KeyError:
        raise ValueError(
            f"Unknown recipe {name!r}; choose one of {', '.join(_RECIPES)}.") from None


def get_recipe(name, **params):
    """The unfitted pipeline of a named recipe: audio files in, emotions out.

    Parameters
    ----------
    name : str
        One of :func:`list_recipes`:

        - ``"vacnn-bovw"``: ``LogMelImage`` -> ``BOVWEncoder(output="dict")`` ->
          :class:`~sklearn_ser.estimators.VACNNBOVWClassifier` (Seo & Kim 2020);
          fine-tuned from ``pretrained`` weights when given, else from scratch.
        - ``"vacnn"``: ``LogMelImage`` -> :class:`~sklearn_ser.estimators.VACNNClassifier`.
        - ``"logmel-logreg"``: ``LogMelImage`` (64x64) -> flatten -> ``StandardScaler``
          -> ``LogisticRegression(C=0.01)``, a fast sanity baseline.
        - ``"late-fusion"``: ``SegmentedLogMel`` -> ``GaussianDataSelector`` ->
          :class:`~sklearn_ser.estimators.LateFusionClassifier` (Kim & Kwak 2024;
          VGGish and YAMNet randomly initialised).
        - ``"vit-distilled"``: ``LogMelImage`` (128x128) ->
          :class:`~sklearn_ser.estimators.DistilledViTClassifier` (Kim & Lee 2024).
        - ``"crnn"``: ``LogMelSpectrogram`` ->
          :class:`~sklearn_ser.estimators.CRNNClassifier` (Dai et al. 2019).
    **params
        Settings; each recipe takes those in its :attr:`Recipe.params`:
        ``image_size`` (side of the images, default per recipe), ``n_words``
        (BOVW vocabulary, 128), ``pretrained`` (VACNN weights file),
        ``lr_step`` (epochs between tenfold decays, the estimator's 10),
        ``augment`` (SpecAugment, off), ``refit_full`` (off), ``epochs``
        (30), ``patience`` (10), ``lr`` and ``batch_size`` (the estimator's;
        1e-3 and 8 for the VACNNs), ``device`` ("auto"), ``random_state``
        (0), ``n_jobs``, ``memory`` and ``verbose``.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Unfitted; its first step is the front end.

    Raises
    ------
    ValueError
        For an unknown recipe.
    TypeError
        For a setting the recipe does not take.

    Examples
    --------
    >>> pipe = get_recipe("vacnn", image_size=64, epochs=2)
    >>> pipe[0].size, pipe[-1].max_epochs, pipe[-1].lr
    ((64, 64), 2, 0.001)
    """
    return recipe_info(name).build(**params)
