"""Emotional-speech corpora: loaders, fetchers and the data home.

Each corpus lives in its own folder under the data home (see
:func:`get_data_home`) and is loaded into a :class:`sklearn.utils.Bunch` whose
labels come from :data:`sklearn_ser.CANONICAL_EMOTIONS`. The ``load_*``
functions only read; the ``fetch_*`` functions download a missing corpus
(verified against a SHA-256 digest) and then load it.
"""

from ._base import drop_unreadable, get_data_home, list_corpora, load_corpus
from ._crema_d import fetch_crema_d, load_crema_d
from ._emodb import fetch_emodb, load_emodb
from ._ravdess import fetch_ravdess, load_ravdess
from ._savee import fetch_savee, load_savee
from ._tess import fetch_tess, load_tess

__all__ = [
    "drop_unreadable",
    "fetch_crema_d",
    "fetch_emodb",
    "fetch_ravdess",
    "fetch_savee",
    "fetch_tess",
    "get_data_home",
    "list_corpora",
    "load_corpus",
    "load_crema_d",
    "load_emodb",
    "load_ravdess",
    "load_savee",
    "load_tess",
]
