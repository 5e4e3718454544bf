"""LIME on spectrograms: ranks the deciding tile first, reproducible, segmentations."""

import numpy as np
import pytest

from sklearn_ser.explain import lime_explanation, slic_segments, tile_segments
from sklearn_ser.explain.lime import _distances, _samples


def test_tiles_cover_the_image_in_row_major_order(region):
    labels = tile_segments(32, 32, (4, 4))
    assert labels.shape == (32, 32)
    np.testing.assert_array_equal(np.bincount(labels.ravel()), np.full(16, 64))
    assert (labels[region.rows, region.cols] == region.tile).all()
    uneven = tile_segments(10, 7, (3, 2))
    assert set(np.unique(uneven)) == set(range(6))
    np.testing.assert_array_equal(uneven[:, 0], [0, 0, 0, 2, 2, 2, 2, 4, 4, 4])
    with pytest.raises(ValueError, match="does not fit"):
        tile_segments(8, 8, (9, 2))


def test_deciding_tile_ranks_first(region_clf, region):
    res = lime_explanation(region_clf, region.images(2), tiles=(4, 4), n_samples=150,
                           random_state=0)
    assert res.heatmaps.shape == (2, 32, 32) and res.segments.shape == (2, 32, 32)
    assert res.targets.tolist() == ["anger", "anger"]
    for weights, heat, seg in zip(res.weights, res.heatmaps, res.segments):
        assert weights.shape == (16,)
        assert int(np.argmax(weights)) == region.tile
        assert weights[region.tile] > 0.3
        assert np.abs(np.delete(weights, region.tile)).max() < 0.25 * weights[region.tile]
        np.testing.assert_allclose(heat, weights[seg])
    assert np.all(res.scores > 0.5)


def test_seeded_and_reproducible(region_clf, region):
    images = region.images(1)
    kwargs = dict(tiles=(4, 4), n_samples=40, fill="noise")
    a = lime_explanation(region_clf, images, random_state=3, **kwargs)
    b = lime_explanation(region_clf, images, random_state=3, **kwargs)
    c = lime_explanation(region_clf, images, random_state=4, **kwargs)
    np.testing.assert_array_equal(a.weights[0], b.weights[0])
    assert not np.array_equal(a.weights[0], c.weights[0])
    d = lime_explanation(region_clf, images, random_state=3, batch_size=7, **kwargs)
    np.testing.assert_allclose(a.weights[0], d.weights[0], atol=1e-8)


def test_perturbations_and_kernel_distances():
    z = _samples(10, 50, np.random.RandomState(0))
    assert z.shape == (50, 10) and (z[0] == 1).all()
    assert (z[1:].sum(axis=1) <= 9).all() and set(np.unique(z)) == {0.0, 1.0}
    probe = np.array([[1, 1, 1, 1], [1, 0, 0, 0], [0, 0, 0, 0]], dtype=float)
    np.testing.assert_allclose(_distances(probe, "cosine"), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(_distances(probe, "hamming"), [0.0, 0.75, 1.0])


@pytest.mark.requires_ximgproc
def test_other_segmentations(region_clf, region):
    images = region.images(1)
    slic = lime_explanation(region_clf, images, segmentation="slic", n_segments=16,
                            n_samples=60, random_state=0)
    seg = slic.segments[0]
    assert slic.weights[0].shape == (seg.max() + 1,)
    # the heaviest superpixel lies on the rectangle
    top = int(np.argmax(slic.weights[0]))
    assert (seg[region.rows, region.cols] == top).mean() > 0.3
    labels = slic_segments(images[0], n_segments=16)
    assert labels.shape == (32, 32)

    def halves(image):  # left and right halves of the image
        return (np.arange(32)[None, :] >= 16).repeat(32, axis=0).astype(int)

    res = lime_explanation(region_clf, images, segmentation=halves, n_samples=20,
                           random_state=0)
    assert res.weights[0].shape == (2,) and res.weights[0][1] > res.weights[0][0]
    fixed = lime_explanation(region_clf, images, segmentation=tile_segments(32, 32, 2),
                             n_samples=20, random_state=0, distance="hamming")
    assert fixed.weights[0].shape == (4,)


def test_clear_errors(region_clf, region):
    images = region.images(1)
    with pytest.raises(ValueError, match="n_samples must be at least 2"):
        lime_explanation(region_clf, images, n_samples=1)
    with pytest.raises(ValueError, match="segmentation must be"):
        lime_explanation(region_clf, images, segmentation="quickshift")
    with pytest.raises(ValueError, match="integer label map"):
        lime_explanation(region_clf, images, segmentation=np.zeros((3, 3), dtype=int))
    with pytest.raises(ValueError, match="distance"):
        lime_explanation(region_clf, images, distance="euclidean")
    with pytest.raises(ValueError, match="kernel_width"):
        lime_explanation(region_clf, images, kernel_width=0)
