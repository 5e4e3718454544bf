"""Pretrained VACNN networks that ship with the package, loaded by name.

Seo & Kim (2020) pretrain their VACNN on TESS + RAVDESS (seven harmonised
emotions) and fine-tune it, early layers frozen, on a small target corpus.
Pretraining takes about an hour on a CPU, so the package carries the result:

``"vacnn-tess-ravdess"``
    VACNN with the paper's visual attention (VA) modules.

Each is a state dict of :class:`~sklearn_ser.models.VACNN` stored in float16
(half the size; the rounding changes no prediction on the pretraining corpus
in the check recorded in its model card) next to a model card, a JSON file
with the data, classes, image size, recipe, accuracy, command and licence.
The file's SHA-256 is pinned here, in code, and checked before the file is
read; it is read with ``torch.load(..., weights_only=True)``, so no pickled
code can run.

Licence note: the weights are derived from TESS (CC BY-NC-ND 4.0, Dupuis &
Pichora-Fuller 2010) and RAVDESS (CC BY-NC-SA 4.0, Livingstone & Russo 2018);
their use is restricted to non-commercial purposes and attribution to both
corpora is required.
"""

import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import torch

from .weights import check_sha256

__all__ = [
    "SHIPPED_VACNN",
    "ShippedVACNN",
    "list_pretrained_vacnn",
    "load_pretrained_vacnn",
    "pretrained_vacnn_card",
]


@dataclass(frozen=True)
class ShippedVACNN:
    """A pretrained VACNN shipped in ``sklearn_ser/models/pretrained/``.

    Attributes
    ----------
    name : str
        The name ``VACNNBOVWClassifier(pretrained=name)`` accepts.
    sha256 : str
        Pinned SHA-256 of ``<name>.pt``.
    attention : str
        ``module__attention`` of the network (``"va"`` or ``"cbam"``).
    """

    name: str
    sha256: str
    attention: str

    @property
    def filename(self):
        return f"{self.name}.pt"

    @property
    def card_filename(self):
        return f"{self.name}.json"


#: The shipped networks by name.
SHIPPED_VACNN = {
    shipped.name: shipped
    for shipped in (
        ShippedVACNN(
            "vacnn-tess-ravdess",
            "7239fbfae7e68b774a522322e4a78ce3f46a824189cc8f3d832aa84cf7fb5e71",
            "va",
        ),
    )
}


def _shipped(name):
    if name not in SHIPPED_VACNN:
        raise ValueError(
            f"No shipped pretrained VACNN is named {name!r}; choose from "
            f"{sorted(SHIPPED_VACNN)} or pass the path of a parameter file."
        )
    return SHIPPED_VACNN[name]


def _folder(root):
    if root is not None:
        return Path(os.path.expanduser(os.fspath(root)))
    return Path(str(resources.files(__package__) / "pretrained"))


def list_pretrained_vacnn():
    """Names of the pretrained VACNN networks shipped with the package.

    Examples
    --------
    >>> from sklearn_ser.models import list_pretrained_vacnn
    >>> list_pretrained_vacnn()
    ['vacnn-tess-ravdess']
    """
    return sorted(SHIPPED_VACNN)


def pretrained_vacnn_card(name, *, root=None):
    """The model card of a shipped network, as a dict.

    Parameters
    ----------
    name : str
        One of :func:`list_pretrained_vacnn`.
    root : str or os.PathLike, optional
        Folder holding the files (default: the package's own copy).

    Returns
    -------
    card : dict
        ``corpora``, ``classes``, ``image_size``, ``recipe``,
        ``pretraining_accuracy``, ``licence``, ``command``... (see the file).

    Examples
    --------
    >>> from sklearn_ser.models import pretrained_vacnn_card
    >>> card = pretrained_vacnn_card("vacnn-tess-ravdess")
    >>> card["corpora"], card["image_size"]
    (['tess', 'ravdess'], [128, 128])
    """
    shipped = _shipped(name)
    return json.loads((_folder(root) / shipped.card_filename).read_text(encoding="utf-8"))


def load_pretrained_vacnn(name, *, root=None):
    """The float32 state dict of a shipped :class:`~sklearn_ser.models.VACNN`.

    The file's SHA-256 is checked against the digest pinned in
    :data:`SHIPPED_VACNN` before it is read, and it is read with
    ``weights_only=True``.

    Parameters
    ----------
    name : str
        One of :func:`list_pretrained_vacnn`.
    root : str or os.PathLike, optional
        Folder holding ``<name>.pt`` (default: the package's own copy).

    Returns
    -------
    state : dict of str to torch.Tensor

    Raises
    ------
    sklearn_ser.exceptions.ChecksumError
        When the file differs from the shipped one.

    Examples
    --------
    >>> from sklearn_ser.models import VACNN, load_pretrained_vacnn, pretrained_vacnn_card
    >>> card = pretrained_vacnn_card("vacnn-tess-ravdess")
    >>> net = VACNN(n_classes=len(card["classes"]), attention=card["attention"])
    >>> net.load_state_dict(load_pretrained_vacnn("vacnn-tess-ravdess"))
    <All keys matched successfully>
    """
    shipped = _shipped(name)
    path = _folder(root) / shipped.filename
    if not path.is_file():
        raise FileNotFoundError(
            f"The shipped network file {path} is missing; reinstall sklearn-ser (the file is "
            "package data) or pass the folder that holds it as root=."
        )
    check_sha256(path, shipped.sha256)
    state = torch.load(path, map_location="cpu", weights_only=True)
    return {key: value.float() if value.is_floating_point() else value
            for key, value in state.items()}
