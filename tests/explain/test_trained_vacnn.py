"""A VACNN trained on synthetic images whose class is decided by a block's position."""

import numpy as np
import pytest
import torch

from sklearn_ser.estimators import VACNNClassifier
from sklearn_ser.explain import grad_cam, lime_explanation, occlusion_sensitivity, tile_segments
from sklearn_ser.utils.device import module_device, to_device

ANGER_BLOCK = (slice(0, 8), slice(16, 24))    # tile 2 of a 4x4 grid
NEUTRAL_BLOCK = (slice(24, 32), slice(0, 8))  # tile 12


def make(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 60, (n, 1, 32, 32)).astype(np.float32)
    y = np.array(["anger", "neutral"] * (n // 2))
    X[(y == "anger"), :, ANGER_BLOCK[0], ANGER_BLOCK[1]] = 230.0
    X[(y == "neutral"), :, NEUTRAL_BLOCK[0], NEUTRAL_BLOCK[1]] = 230.0
    return X, y


@pytest.fixture(scope="module")
def trained():
    X, y = make(48, 0)
    clf = VACNNClassifier(module__widths=(8, 8, 8), max_epochs=10, lr=3e-3, train_split=None,
                          random_state=0).fit(X, y)
    X_test, y_test = make(4, 100)
    assert (clf.predict(X_test) == y_test).all()
    return clf, X_test[y_test == "anger"]


def test_occlusion_and_lime_find_the_deciding_block(trained):
    clf, anger = trained
    occ = occlusion_sensitivity(clf, anger, size=8, stride=4)
    lime = lime_explanation(clf, anger, tiles=(4, 4), n_samples=100, random_state=0)
    tiles = tile_segments(32, 32, (4, 4))
    for m, weights in zip(occ, lime.weights):
        row, col = np.unravel_index(np.argmax(m), m.shape)
        assert tiles[row, col] == 2
        assert int(np.argmax(weights)) == 2


def test_grad_cam_matches_a_direct_computation(trained):
    clf, anger = trained
    net = clf.module_.eval()
    x = to_device(anger, module_device(net))
    features = net.encoder(x)
    logits = net.head(features)
    (grad,) = torch.autograd.grad(logits[:, 0].sum(), features)
    cam = torch.relu((grad.mean(dim=(2, 3), keepdim=True) * features).sum(dim=1, keepdim=True))
    cam = torch.nn.functional.interpolate(cam, size=(32, 32), mode="bilinear").detach()[:, 0]
    expected = cam / cam.amax(dim=(1, 2), keepdim=True).clamp_min(1e-12)
    np.testing.assert_allclose(grad_cam(clf, anger, target="anger"), expected.cpu().numpy(),
                               rtol=1e-4, atol=1e-5)
