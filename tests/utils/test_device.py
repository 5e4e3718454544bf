"""to_device / module_device: one helper moves any batch layout to a network's device."""

from collections import OrderedDict, namedtuple

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from sklearn_ser.utils.device import module_device, to_device

Pair = namedtuple("Pair", "image lengths")


def _devices(batch):
    """Devices of every tensor in a nested batch."""
    if isinstance(batch, torch.Tensor):
        return [batch.device]
    if isinstance(batch, dict):
        return [d for v in batch.values() for d in _devices(v)]
    if isinstance(batch, (list, tuple)):
        return [d for v in batch for d in _devices(v)]
    return []


def test_nested_structures_keep_their_layout_and_move_every_tensor():
    batch = {
        "image": np.ones((2, 1, 4, 4), dtype=np.float32),
        "padded": (torch.zeros(2, 3, 5), torch.tensor([5, 2])),
        "pair": Pair(torch.ones(2), [torch.ones(1), np.arange(3)]),
        "meta": {"name": "x", "n": 3, "none": None},
    }
    moved = to_device(batch, "meta")  # a device that is not the tensors' own
    assert set(_devices(moved)) == {torch.device("meta")}
    assert len(_devices(moved)) == 6
    assert isinstance(moved["padded"], tuple) and isinstance(moved["pair"], Pair)
    assert isinstance(moved["pair"].lengths, list)
    assert moved["image"].shape == (2, 1, 4, 4) and moved["image"].dtype == torch.float32
    assert moved["meta"] == {"name": "x", "n": 3, "none": None}
    assert to_device(OrderedDict(a=torch.ones(1)), "meta").__class__ is OrderedDict


def test_tensors_already_there_are_not_copied():
    x = torch.ones(3)
    assert to_device(x, "cpu") is x
    assert to_device({"x": x}, torch.device("cpu"))["x"] is x


def test_object_arrays_are_left_alone():
    ragged = np.empty(2, dtype=object)
    ragged[:] = [np.zeros(2), np.zeros(3)]
    assert to_device(ragged, "meta") is ragged


def test_packed_sequence_moves_with_its_indices():
    packed = pack_padded_sequence(torch.zeros(2, 4, 3), torch.tensor([4, 2]), batch_first=True,
                                  enforce_sorted=False)
    moved = to_device(packed, "meta")
    assert moved.data.device.type == "meta" and moved.sorted_indices.device.type == "meta"


def test_module_device():
    assert module_device(torch.nn.Linear(2, 2).to("meta")) == torch.device("meta")
    assert module_device(torch.nn.BatchNorm1d(2, affine=False).to("meta")).type == "meta"
    assert module_device(torch.nn.ReLU()) == torch.device("cpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_round_trip():
    batch = {"X": torch.ones(2, 3), "lengths": torch.tensor([3, 1])}
    moved = to_device(batch, "cuda", non_blocking=True)
    assert {d.type for d in _devices(moved)} == {"cuda"}
    back = to_device(moved, "cpu")
    assert torch.equal(back["X"], batch["X"]) and torch.equal(back["lengths"], batch["lengths"])
