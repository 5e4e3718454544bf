"""Grad-CAM: localisation on a network with a known decision region, layers, targets, inputs."""

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_ser.estimators import VACNNBOVWClassifier, VACNNClassifier
from sklearn_ser.explain import default_gradcam_layer, grad_cam

WIDTHS = (8, 8, 8)


@pytest.fixture(scope="module")
def bovw_data():
    rng = np.random.default_rng(0)
    y = np.array(["anger", "sadness"] * 6)
    images = rng.uniform(0, 255, size=(len(y), 1, 32, 32)).astype(np.float32)
    images[y == "anger", :, :8] += 150
    bovw = rng.dirichlet(np.ones(8), len(y)).astype(np.float32)
    return {"image": images, "bovw": bovw}, y


@pytest.fixture(scope="module")
def vacnn(bovw_data):
    X, y = bovw_data
    return VACNNClassifier(module__widths=WIDTHS, max_epochs=2, train_split=None,
                           random_state=0).fit(X["image"], y)


@pytest.fixture(scope="module")
def fused(bovw_data, vacnn):
    X, y = bovw_data
    return VACNNBOVWClassifier(module__widths=WIDTHS, pretrained=vacnn, max_epochs=1,
                               train_split=None, random_state=0).fit(X, y)


def test_peaks_in_the_deciding_region(region_clf, region):
    images = region.images(3)
    maps = grad_cam(region_clf, images)
    assert maps.shape == (3, region.size, region.size) and maps.dtype == np.float32
    assert maps.min() >= 0 and np.allclose(maps.max(axis=(1, 2)), 1.0)
    inside = np.zeros((region.size, region.size), dtype=bool)
    inside[region.rows, region.cols] = True
    for m in maps:
        row, col = np.unravel_index(np.argmax(m), m.shape)
        assert inside[row, col]
        assert m[inside].mean() > 5 * m[~inside].mean()


def test_default_layer_is_the_last_multichannel_conv(region_clf, region, vacnn, fused, bovw_data):
    assert default_gradcam_layer(region_clf, region.images(1)) == "features"
    assert default_gradcam_layer(vacnn, bovw_data[0]["image"]) == "encoder.va3"
    assert default_gradcam_layer(fused, bovw_data[0]) == "encoder.va3"


def test_target_against_the_evidence_gives_an_empty_map(region_clf, region):
    images = region.images(2)
    # "neutral" has logit -12 (m - 0.5): its gradient is negative wherever the map is active
    np.testing.assert_array_equal(grad_cam(region_clf, images, target="neutral"), 0.0)
    np.testing.assert_array_equal(grad_cam(region_clf, images, target=[1, "neutral"]), 0.0)
    np.testing.assert_array_equal(grad_cam(region_clf, images, target=None),
                                  grad_cam(region_clf, images, target=["anger", 0]))


def test_raw_maps_scale_with_the_score(region_clf, region):
    raw = grad_cam(region_clf, region.images(1), normalize=False)
    normed = grad_cam(region_clf, region.images(1))
    assert raw.max() > 0
    np.testing.assert_allclose(raw / raw.max(), normed, rtol=1e-5, atol=1e-6)


def test_layer_by_name_or_module_and_errors(vacnn, bovw_data):
    images = bovw_data[0]["image"][:2]
    by_name = grad_cam(vacnn, images, layer="encoder.va2")
    by_module = grad_cam(vacnn, images, layer=vacnn.module_.encoder.va2)
    np.testing.assert_array_equal(by_name, by_module)
    assert by_name.shape == (2, 32, 32) and np.isfinite(by_name).all()
    with pytest.raises(ValueError, match="named_modules"):
        grad_cam(vacnn, images, layer="encoder.va9")
    with pytest.raises(ValueError, match="not a \\(batch, channels, height, width\\)"):
        grad_cam(vacnn, images, layer="head.fc2")
    with pytest.raises(ValueError, match="not part of the fitted network"):
        grad_cam(vacnn, images, layer=torch.nn.Conv2d(1, 2, 3))


def test_network_state_is_left_as_it_was(vacnn, bovw_data):
    module = vacnn.module_
    module.train()
    module.encoder.va1.eval()
    grads = [None if p.grad is None else p.grad.clone() for p in module.parameters()]
    grad_cam(vacnn, bovw_data[0]["image"][:2])
    assert module.training and module.head.training and not module.encoder.va1.training
    for before, p in zip(grads, module.parameters()):  # parameters' .grad untouched
        assert (before is None and p.grad is None) or torch.equal(before, p.grad)
    module.eval()


def test_dict_input_and_frozen_layers(fused, bovw_data):
    X, _ = bovw_data
    maps = grad_cam(fused, X, layer="encoder.va1")  # frozen stage: gradients reach it anyway
    assert maps.shape == (12, 32, 32) and np.isfinite(maps).all() and maps.max() > 0
    # each image is explained with its own BOVW histogram
    one = grad_cam(fused, {"image": X["image"][3:4], "bovw": X["bovw"][3:4]},
                   layer="encoder.va1")
    np.testing.assert_allclose(maps[3], one[0], rtol=1e-4, atol=1e-5)
    assert grad_cam(fused, X, batch_size=5).shape == (12, 32, 32)


def test_pipeline_applies_the_preceding_steps(vacnn, bovw_data):
    images = bovw_data[0]["image"]
    flat = images.reshape(len(images), -1)
    pipe = make_pipeline(FunctionTransformer(lambda F: F.reshape(-1, 1, 32, 32)), vacnn)
    np.testing.assert_array_equal(grad_cam(pipe, flat[:3]), grad_cam(vacnn, images[:3]))


def test_clear_errors(vacnn, bovw_data):
    images = bovw_data[0]["image"]
    with pytest.raises(ValueError, match="not fitted"):
        grad_cam(VACNNClassifier(), images)
    with pytest.raises(TypeError, match="neural network"):
        grad_cam(LogisticRegression().fit(images.reshape(12, -1), bovw_data[1]), images)
    with pytest.raises(ValueError, match="shape \\(n_samples, n_channels"):
        grad_cam(vacnn, images[0])
    with pytest.raises(ValueError, match="neither a class label"):
        grad_cam(vacnn, images[:2], target="boredom")
    with pytest.raises(ValueError, match="one target per sample"):
        grad_cam(vacnn, images[:2], target=["anger"] * 3)
    with pytest.raises(ValueError, match="batch_size"):
        grad_cam(vacnn, images[:2], batch_size=0)
    bad = images[:2].copy()
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        grad_cam(vacnn, bad)


def test_model_agnostic_methods_on_dict_input(fused, bovw_data):
    from sklearn_ser.explain import lime_explanation, occlusion_sensitivity

    X, _ = bovw_data
    sub = {"image": X["image"][:3], "bovw": X["bovw"][:3]}
    one = {"image": X["image"][2:3], "bovw": X["bovw"][2:3]}
    occ = occlusion_sensitivity(fused, sub, size=8, stride=8, batch_size=5)
    np.testing.assert_allclose(occ[2], occlusion_sensitivity(fused, one, size=8, stride=8)[0],
                               atol=1e-5)
    lime = lime_explanation(fused, sub, tiles=(2, 2), n_samples=12, random_state=0)
    assert lime.heatmaps.shape == (3, 32, 32) and np.isfinite(lime.heatmaps).all()
    assert lime.targets.tolist() == fused.predict(sub).tolist()


def test_segmented_utterances_get_a_recipe(vacnn, bovw_data):
    images = bovw_data[0]["image"]
    segmented = np.empty(2, dtype=object)
    segmented[0], segmented[1] = images[:2], images[2:5]
    with pytest.raises(ValueError, match="segmented utterances"):
        grad_cam(vacnn, segmented)
    with pytest.raises(ValueError, match="segmented utterances"):
        grad_cam(vacnn, [images[:2], images[2:5]])


def test_late_fusion_with_frozen_backbones_is_explainable():
    # Frozen VGGish/YAMNet run without autograd in training; Grad-CAM asks for input
    # gradients, so the graph must be kept through them and the default layer declared.
    from sklearn_ser.estimators import LateFusionClassifier
    from sklearn_ser.features import expand_segments, pack_segments

    rng = np.random.default_rng(0)
    X = pack_segments([rng.normal(size=(k, 1, 96, 64)).astype(np.float32)
                       for k in (1, 2, 1, 1, 2, 1)])
    y = np.array(["anger", "sadness"] * 3)
    clf = LateFusionClassifier(max_epochs=1, module__fusion_channels=4, train_split=None,
                               random_state=0).fit(X, y)
    assert clf.module_.freeze_backbones
    segments = expand_segments(X)[0][:2]
    assert default_gradcam_layer(clf, segments) == "vggish.block4"
    maps = grad_cam(clf, segments)
    assert maps.shape == (2, 96, 64)
    assert np.isfinite(maps).all() and maps.max() > 0
