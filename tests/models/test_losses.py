"""CenterLoss and SoftmaxCenterLoss: values, gradients, center updates (Dai et al. 2019,
eq. 2-7)."""

import pickle

import pytest
import torch
from torch.nn import functional as F

from sklearn_ser.models.losses import CenterLoss, SoftmaxCenterLoss


def test_center_update_matches_the_formula_on_a_hand_computed_batch():
    loss = CenterLoss(n_classes=3, n_features=2, alpha=0.25)
    loss.centers.copy_(torch.tensor([[1.0, 1.0], [5.0, 5.0], [0.0, -4.0]]))
    x = torch.tensor([[3.0, 1.0], [5.0, 3.0], [4.0, -4.0], [0.0, 0.0]])
    target = torch.tensor([0, 0, 2, 0])
    loss(x, target)
    # class 0: batch mean (8/3, 4/3); c0 = (1, 1) + 0.25 * ((8/3, 4/3) - (1, 1)) = (17/12, 13/12)
    # class 2: batch mean (4, -4);    c2 = (0, -4) + 0.25 * ((4, -4) - (0, -4)) = (1, -4)
    # class 1: absent, keeps (5, 5)
    expected = torch.tensor([[17 / 12, 13 / 12], [5.0, 5.0], [1.0, -4.0]])
    torch.testing.assert_close(loss.centers, expected)


def test_loss_value_uses_old_centers_and_class_weights():
    weight = torch.tensor([1.0, 3.0])
    loss = CenterLoss(n_classes=2, n_features=2, alpha=1.0, class_weight=weight)
    loss.centers.copy_(torch.tensor([[0.0, 0.0], [1.0, 1.0]]))
    x = torch.tensor([[2.0, 0.0], [1.0, 3.0], [1.0, 1.0]])
    target = torch.tensor([0, 1, 1])
    value = loss(x, target)
    # 1/2 sum_i w_yi ||x_i - c_yi||^2 / sum_i w_yi = (1*4 + 3*4 + 3*0) / 2 / (1 + 3 + 3)
    assert float(value) == pytest.approx(16 / 2 / 7)
    summed = CenterLoss(n_classes=2, n_features=2, class_weight=weight, reduction="sum").eval()
    summed.centers.copy_(torch.tensor([[0.0, 0.0], [1.0, 1.0]]))
    assert float(summed(x, target)) == pytest.approx(8.0)
    # alpha = 1: each present center jumps to its batch mean
    torch.testing.assert_close(loss.centers, torch.tensor([[2.0, 0.0], [1.0, 2.0]]))


def test_gradient_reaches_features_only_and_centers_are_a_buffer():
    loss = CenterLoss(n_classes=2, n_features=3, alpha=0.5)
    assert list(loss.parameters()) == []
    assert set(loss.state_dict()) == {"centers", "class_weight"}
    x = torch.randn(4, 3, requires_grad=True)
    target = torch.tensor([0, 1, 1, 0])
    loss.eval()
    loss.centers.copy_(torch.randn(2, 3))
    loss(x, target).backward()
    expected = (x - loss.centers[target]).detach() / 4  # d/dx of 1/2 ||x - c||^2, mean over 4
    torch.testing.assert_close(x.grad, expected)


def test_evaluation_mode_does_not_move_the_centers():
    loss = CenterLoss(n_classes=2, n_features=2).eval()
    loss(torch.ones(3, 2), torch.tensor([0, 1, 1]))
    assert torch.all(loss.centers == 0)
    loss.train()
    loss(torch.ones(3, 2), torch.tensor([0, 1, 1]))
    torch.testing.assert_close(loss.centers, torch.full((2, 2), 0.5))
    loss.reset_centers()
    assert torch.all(loss.centers == 0)


def test_joint_loss_is_weighted_cross_entropy_plus_lambda_center_loss():
    torch.manual_seed(0)
    weight = torch.tensor([0.5, 2.0, 1.0])
    logits, embedding = torch.randn(6, 3), torch.randn(6, 4)
    target = torch.tensor([0, 1, 2, 2, 1, 0])
    joint = SoftmaxCenterLoss(3, 4, lambda_=0.3, alpha=0.5, class_weight=weight).eval()
    joint.centers.copy_(torch.randn(3, 4))
    w = weight[target]
    center = (0.5 * w * ((embedding - joint.centers[target]) ** 2).sum(1)).sum() / w.sum()
    ce = F.cross_entropy(logits, target, weight=weight)
    torch.testing.assert_close(joint((logits, embedding), target), ce + 0.3 * center)
    torch.testing.assert_close(joint.last_center_loss, center)
    plain = SoftmaxCenterLoss(3, 4, lambda_=0.0, class_weight=weight)
    torch.testing.assert_close(plain((logits, embedding), target), ce)
    assert torch.any(plain.centers != 0)  # centers still tracked with lambda_ = 0


def test_joint_loss_survives_pickling_with_its_centers():
    joint = SoftmaxCenterLoss(2, 2)
    joint((torch.zeros(2, 2), torch.ones(2, 2)), torch.tensor([0, 1]))
    again = pickle.loads(pickle.dumps(joint))
    torch.testing.assert_close(again.centers, joint.centers)


def test_invalid_arguments_are_rejected():
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\]"):
        CenterLoss(2, 2, alpha=1.5)
    with pytest.raises(ValueError, match="2 positive finite weights"):
        CenterLoss(2, 2, class_weight=[1.0, 0.0])
    with pytest.raises(ValueError, match="reduction"):
        CenterLoss(2, 2, reduction="none")
    with pytest.raises(ValueError, match="lambda_ must be >= 0"):
        SoftmaxCenterLoss(2, 2, lambda_=-1)
    with pytest.raises(TypeError, match=r"\(logits, embedding\) pair"):
        SoftmaxCenterLoss(2, 2)(torch.zeros(2, 2), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"shape \(batch, 2\)"):
        CenterLoss(2, 2)(torch.zeros(3, 5), torch.tensor([0, 1, 1]))
