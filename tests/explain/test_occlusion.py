"""Occlusion sensitivity: agrees with the known decision region, batched, seeded, validated."""

import numpy as np
import pytest

from sklearn_ser.explain import occlusion_sensitivity
from sklearn_ser.explain.occlusion import _starts


def test_windows_cover_the_whole_image():
    np.testing.assert_array_equal(_starts(32, 8, 4), [0, 4, 8, 12, 16, 20, 24])
    np.testing.assert_array_equal(_starts(30, 8, 8), [0, 8, 16, 22])
    np.testing.assert_array_equal(_starts(8, 8, 3), [0])


def test_drop_is_confined_to_the_deciding_region(region_clf, region):
    images = region.images(2, distractor=True)
    maps = occlusion_sensitivity(region_clf, images, size=8, stride=4)
    assert maps.shape == (2, region.size, region.size) and maps.dtype == np.float32
    inside = np.zeros((region.size, region.size), dtype=bool)
    inside[region.rows, region.cols] = True
    for m in maps:
        row, col = np.unravel_index(np.argmax(m), m.shape)
        assert inside[row, col]
        assert m[inside].mean() > 0.1
        # the bright distractor block outside the rectangle changes nothing
        assert np.abs(m[20:28, 2:10]).max() < 1e-4
        # pixels whose windows never touch the rectangle (nor its 1-pixel rim): no drop
        assert np.abs(m[:, :8]).max() < 1e-6


def test_agrees_with_grad_cam_on_the_peak_region(region_clf, region):
    from sklearn_ser.explain import grad_cam

    images = region.images(1)
    occ = occlusion_sensitivity(region_clf, images, size=4, stride=2, fill="zero")[0]
    cam = grad_cam(region_clf, images)[0]
    top_occ = occ >= np.quantile(occ, 0.9)
    top_cam = cam >= np.quantile(cam, 0.9)
    assert (top_occ & top_cam).sum() / top_cam.sum() > 0.5


def test_target_sign_and_fills(region_clf, region):
    images = region.images(1)
    for_anger = occlusion_sensitivity(region_clf, images, target="anger", size=8)
    against = occlusion_sensitivity(region_clf, images, target="neutral", size=8)
    np.testing.assert_allclose(for_anger, -against, atol=1e-6)  # two classes: drops mirror
    a = occlusion_sensitivity(region_clf, images, size=8, fill="noise", random_state=0)
    b = occlusion_sensitivity(region_clf, images, size=8, fill="noise", random_state=0)
    np.testing.assert_array_equal(a, b)
    c = occlusion_sensitivity(region_clf, images, size=8, fill=255.0)
    assert abs(c).max() < 1e-3  # filling with bright pixels keeps the block bright


def test_batch_size_does_not_change_the_result(region_clf, region):
    images = region.images(2)
    a = occlusion_sensitivity(region_clf, images, size=(8, 4), stride=(4, 2), batch_size=7)
    b = occlusion_sensitivity(region_clf, images, size=(8, 4), stride=(4, 2), batch_size=500)
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_clear_errors(region_clf, region):
    images = region.images(1)
    with pytest.raises(ValueError, match="does not fit"):
        occlusion_sensitivity(region_clf, images, size=40)
    with pytest.raises(ValueError, match="fill must be"):
        occlusion_sensitivity(region_clf, images, fill="median")
    with pytest.raises(ValueError, match="stride"):
        occlusion_sensitivity(region_clf, images, stride=0)
