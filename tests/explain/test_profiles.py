"""Per-emotion frequency profiles: the deciding rows stand out, grouping and ordering."""

import numpy as np
import pytest

from sklearn_ser.explain import frequency_profile


@pytest.fixture(scope="module")
def data(region):
    X = np.concatenate([region.images(3), region.images(3, block=False, seed=2)])
    y = np.array(["anger"] * 3 + ["neutral"] * 3)
    return X, y


@pytest.mark.parametrize("method, params", [
    ("gradcam", None),
    ("occlusion", {"size": 8, "stride": 4}),
    ("lime", {"tiles": (4, 4), "n_samples": 40, "random_state": 0}),
])
def test_anger_profile_peaks_on_the_rectangle_rows(region_clf, data, method, params):
    X, y = data
    prof = frequency_profile(region_clf, X, y, method=method, method_params=params)
    assert prof.profiles.shape == (2, 32) and prof.method == method
    assert prof.labels.tolist() == ["anger", "neutral"] and prof.counts.tolist() == [3, 3]
    # image rows 8-15 from the top are rows 16-23 counted from the bottom
    assert 16 <= int(np.argmax(prof.profiles[0])) <= 23


def test_true_versus_predicted_targets(region_clf, data):
    X, y = data
    true = frequency_profile(region_clf, X, y)
    # neutral images explained as "neutral": no Grad-CAM evidence anywhere
    np.testing.assert_array_equal(true.profiles[1], 0.0)
    wrong = np.array(["neutral"] * 3 + ["anger"] * 3)
    predicted = frequency_profile(region_clf, X, wrong, explain="predicted")
    # grouped by the given labels, explained for the predicted class
    np.testing.assert_allclose(predicted.profiles[1], true.profiles[0])


def test_custom_method_and_unnormalised(region_clf, data):
    X, y = data

    def rows_ramp(estimator, X, target):
        return np.broadcast_to(np.arange(32.0)[::-1, None], (len(X), 32, 32))

    prof = frequency_profile(region_clf, X, y, method=rows_ramp, normalize=False)
    np.testing.assert_allclose(prof.profiles, np.tile(np.arange(32.0), (2, 1)))
    assert prof.method == "rows_ramp"


def test_clear_errors(region_clf, data):
    X, y = data
    with pytest.raises(ValueError, match="not trained on"):
        frequency_profile(region_clf, X, np.array(["anger"] * 5 + ["boredom"]))
    with pytest.raises(ValueError, match="method must be"):
        frequency_profile(region_clf, X, y, method="shap")
    with pytest.raises(ValueError, match="explain must be"):
        frequency_profile(region_clf, X, y, explain="both")
