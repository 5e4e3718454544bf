"""A network whose decision depends only on a known rectangle, and images that trigger it."""

from types import SimpleNamespace

import matplotlib
import numpy as np
import pytest
import torch
from torch import nn

from sklearn_ser.estimators import SERNetClassifier

matplotlib.use("Agg")

SIZE = 32
#: The rectangle RegionNet reads: rows 8-15 (frequency), columns 16-23 (time); in a 4x4 grid
#: of 8x8 tiles it is tile 1 * 4 + 2 = 6.
ROWS, COLS = slice(8, 16), slice(16, 24)
REGION_TILE = 6


class RegionNet(nn.Module):
    """Logit of "anger" = 12 * (mean of a blurred feature map inside ROWS x COLS - 0.5).

    The convolution averages 3x3 neighbourhoods (fixed weights), so a bright (255) block on
    the rectangle gives "anger" with probability ~1 and dark noise (<= 40) gives "neutral".
    Nothing outside the rectangle (and its one-pixel rim) affects the output.
    """

    def __init__(self, n_classes=2):
        super().__init__()
        self.features = nn.Conv2d(1, 4, kernel_size=3, padding=1)
        with torch.no_grad():
            self.features.weight.fill_(1.0 / 9.0)
            self.features.bias.zero_()
        self.relu = nn.ReLU()

    def forward(self, image):
        maps = self.relu(self.features(image / 255.0))
        logit = 12.0 * (maps[:, :, ROWS, COLS].mean(dim=(1, 2, 3)) - 0.5)
        return torch.stack([logit, -logit], dim=1)  # classes_ = ["anger", "neutral"]


def region_images(n, *, block=True, distractor=False, seed=0):
    """Dark noise images; with ``block`` the rectangle is bright, with ``distractor`` another
    bright block sits outside it (rows 20-27, columns 2-9)."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 40, size=(n, 1, SIZE, SIZE)).astype(np.float32)
    if block:
        images[:, :, ROWS, COLS] = 255.0
    if distractor:
        images[:, :, 20:28, 2:10] = 255.0
    return images


@pytest.fixture(scope="session")
def region():
    """The rectangle (``rows``, ``cols``, its ``tile`` in a 4x4 grid), the image ``size`` and
    ``images(n, block=True, distractor=False, seed=0)``."""
    return SimpleNamespace(rows=ROWS, cols=COLS, tile=REGION_TILE, size=SIZE,
                           images=region_images)


@pytest.fixture(scope="session")
def region_clf():
    """RegionNet wrapped in a fitted SERNetClassifier; lr=0 keeps its hand-set weights."""
    X = np.concatenate([region_images(4), region_images(4, block=False, seed=1)])
    y = np.array(["anger"] * 4 + ["neutral"] * 4)
    clf = SERNetClassifier(RegionNet, lr=0.0, max_epochs=1, train_split=None, device="cpu",
                           random_state=0).fit(X, y)
    return clf


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
