"""The registry of the corpora sklearn-ser knows, by name.

Each corpus lives in its own module (spec, description, ``load_*``,
``fetch_*``); this module only lists them.
"""

from . import _crema_d, _emodb, _ravdess, _savee, _tess
from ._spec import SKIP, CorpusSpec

__all__ = ["CORPORA", "SKIP", "CorpusSpec"]

#: Every corpus sklearn-ser can load, by registry name.
CORPORA = {module.SPEC.name: module.SPEC
           for module in (_emodb, _ravdess, _tess, _savee, _crema_d)}
