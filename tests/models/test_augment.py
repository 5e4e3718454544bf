"""SpecAugment: training-only time stretch and time/frequency masks of spectrogram images."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone

from sklearn_ser.estimators import VACNNBOVWClassifier, VACNNClassifier
from sklearn_ser.models import VACNN, VACNNBOVW, SpecAugment


def _images(batch=6, height=32, width=40, seed=0):
    return torch.rand(batch, 1, height, width, generator=torch.Generator().manual_seed(seed))


def test_eval_mode_is_the_identity_and_training_mode_changes_images():
    x = _images()
    augment = SpecAugment()
    assert augment.eval()(x) is x
    torch.manual_seed(0)
    y = augment.train()(x)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert not torch.equal(y, x)


def test_all_off_is_the_identity_in_training_mode():
    x = _images()
    augment = SpecAugment(n_freq_masks=0, n_time_masks=0, time_stretch=0.0).train()
    assert torch.equal(augment(x), x)


def test_frequency_masks_cover_whole_rows_with_the_fill_value():
    x = _images(batch=50)
    torch.manual_seed(1)
    y = SpecAugment(freq_mask=0.5, n_freq_masks=1, n_time_masks=0, time_stretch=0.0,
                    fill=-1.0).train()(x)
    changed = y != x
    rows = changed.all(dim=3)  # (B, 1, H): whole rows masked
    assert torch.equal(changed.any(dim=3), rows)  # nothing masked outside whole rows
    assert (y[changed] == -1.0).all()
    per_image = rows.sum(dim=(1, 2))
    assert per_image.max() <= 0.5 * 32 and per_image.max() > 0
    # each image's masked rows are one contiguous band
    for r in rows[:, 0]:
        idx = torch.nonzero(r).flatten()
        if len(idx):
            assert idx[-1] - idx[0] + 1 == len(idx)


def test_time_masks_cover_whole_columns_with_the_image_mean():
    x = _images(batch=50)
    torch.manual_seed(2)
    y = SpecAugment(time_mask=0.3, n_freq_masks=0, n_time_masks=2, time_stretch=0.0).train()(x)
    changed = y != x
    cols = changed.all(dim=2)  # (B, 1, W)
    assert torch.equal(changed.any(dim=2), cols)
    assert cols.sum(dim=(1, 2)).max() <= 2 * int(0.3 * 40)
    means = x.mean(dim=(1, 2, 3))
    for b in range(len(x)):
        if changed[b].any():
            assert torch.allclose(y[b][changed[b]], means[b].expand(int(changed[b].sum())))


def test_time_stretch_resamples_time_only():
    height, width = 16, 64
    rows = torch.arange(height, dtype=torch.float32)[:, None].expand(height, width)
    x = rows.expand(8, 1, height, width).clone()  # constant along time
    augment = SpecAugment(n_freq_masks=0, n_time_masks=0, time_stretch=0.5).train()
    torch.manual_seed(3)
    assert torch.allclose(augment(x), x)  # frequency rows are never moved
    ramp = torch.arange(width, dtype=torch.float32).expand(8, 1, height, width).clone()
    y = augment(ramp)
    assert torch.allclose(y, y[:, :, :1].expand_as(y), atol=1e-5)  # rows stretched alike
    steps = y[:, 0, 0, 1:] - y[:, 0, 0, :-1]
    assert (steps >= 0).all()  # order of time frames kept
    span = y[:, 0, 0, -1] - y[:, 0, 0, 0]
    assert (span >= 0.5 * width - 2).all() and (span <= width - 1 + 1e-4).all()
    assert (span < width - 1.5).any()  # some images really were cropped


def test_same_seed_same_augmentation():
    x = _images()
    augment = SpecAugment().train()
    torch.manual_seed(5)
    a = augment(x)
    torch.manual_seed(5)
    assert torch.equal(augment(x), a)


@pytest.mark.parametrize("kwargs, match", [
    ({"freq_mask": 1.5}, "freq_mask"),
    ({"time_mask": -0.1}, "time_mask"),
    ({"time_stretch": 1.0}, "time_stretch"),
    ({"n_time_masks": -1}, "n_time_masks"),
    ({"n_freq_masks": 1.5}, "n_freq_masks"),
    ({"fill": "median"}, "fill"),
])
def test_bad_parameters_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SpecAugment(**kwargs)


def test_non_image_input_is_refused():
    with pytest.raises(ValueError, match="B, C, H, W"):
        SpecAugment().train()(torch.zeros(3, 32, 32))


def test_networks_take_it_without_changing_their_weights():
    plain = VACNN(n_classes=4, widths=(8, 16, 32))
    augmented = VACNN(n_classes=4, widths=(8, 16, 32), augment=SpecAugment())
    assert plain.state_dict().keys() == augmented.state_dict().keys()
    augmented.load_state_dict(plain.state_dict())
    x = _images(batch=3, height=64, width=64) * 255
    plain.eval(), augmented.eval()
    assert torch.equal(plain(x), augmented(x))  # eval: no augmentation
    fusion = VACNNBOVW(n_classes=4, n_words=8, widths=(8, 16, 32), augment=SpecAugment())
    fusion.encoder.load_state_dict(plain.encoder.state_dict())
    assert fusion(x, torch.rand(3, 8)).shape == (3, 4)


def test_networks_refuse_augmentations_with_parameters():
    with pytest.raises(ValueError, match="has parameters"):
        VACNN(n_classes=3, augment=torch.nn.Conv2d(1, 1, 3))
    with pytest.raises(TypeError, match="SpecAugment"):
        VACNN(n_classes=3, augment="specaugment")


def test_estimators_with_augmentation_clone_pickle_and_fit():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 255, size=(16, 1, 32, 32)).astype("float32")
    y = np.array(["anger", "sadness"] * 8)
    clf = VACNNClassifier(module__augment=SpecAugment(), module__widths=(8, 16, 32),
                          max_epochs=2, train_split=None, random_state=0, device="cpu")
    twin = clone(clf)
    assert isinstance(twin.get_params()["module__augment"], SpecAugment)
    assert twin.get_params()["module__augment"] is not clf.get_params()["module__augment"]
    clf.fit(X, y)
    again = clone(clf).fit(X, y)  # same seed: same augmented batches, same weights
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    Xd = {"image": X, "bovw": rng.dirichlet(np.ones(8), 16).astype("float32")}
    fusion = VACNNBOVWClassifier(pretrained=clf, module__augment=SpecAugment(),
                                 module__widths=(8, 16, 32), max_epochs=1, train_split=None,
                                 random_state=0, device="cpu").fit(Xd, y)
    assert fusion.predict(Xd).shape == (16,)
