"""Vertical-patch ViT networks (Kim & Lee 2024): patches, coordinates, teacher/student,
distillation, FLOPs."""

import pytest
import torch
from torch import nn

from sklearn_ser.models.vit import (
    ConvStem,
    CoordinateEncoding,
    DistillationLoss,
    FeatureMapDistiller,
    StudentViT,
    TeacherViT,
    VerticalPatchEmbedding,
    VerticalPatchViT,
    resolve_distill_pairs,
)
from sklearn_ser.utils.complexity import flops_and_params

TINY = dict(height=16, patch_width=4, embed_dim=8, depth=2, n_heads=2, mlp_ratio=2.0)


def _images(n=3, size=16, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, size, size, generator=gen) * 255


# -- vertical patches ------------------------------------------------------------------------
@pytest.mark.parametrize("column", [0, 5, 15])
def test_a_token_covers_every_frequency_bin_of_its_strip_and_nothing_else(column):
    torch.manual_seed(0)
    embed = VerticalPatchEmbedding(1, height=16, patch_width=4, embed_dim=8)
    x = _images(1)
    base = embed(x)
    assert base.shape == (1, 4, 8)
    for row in range(16):  # every frequency bin of the time slice
        perturbed = x.clone()
        perturbed[0, 0, row, column] += 50.0
        changed = (embed(perturbed) - base).abs().amax(dim=2)[0]
        token = column // 4
        assert changed[token] > 0, f"pixel ({row}, {column}) does not reach token {token}"
        others = torch.cat([changed[:token], changed[token + 1:]])
        assert torch.all(others == 0), f"pixel ({row}, {column}) leaks into other tokens"


def test_student_tokens_are_vertical_strips_too():
    torch.manual_seed(0)
    student = StudentViT(3, pool="mean", **TINY).eval()
    x = _images(1)
    base = student.forward_features(x)["embed"]
    perturbed = x.clone()
    perturbed[0, 0, 11, 9] += 100.0  # column 9 → strip 2
    changed = (student.forward_features(perturbed)["embed"] - base).abs().amax(dim=2)[0]
    assert torch.nonzero(changed).flatten().tolist() == [2]


def test_patch_embedding_rejects_wrong_height_and_width_with_a_fix():
    embed = VerticalPatchEmbedding(1, height=16, patch_width=4, embed_dim=8)
    with pytest.raises(ValueError, match="16 rows high.*height=32"):
        embed(torch.zeros(1, 1, 32, 16))
    with pytest.raises(ValueError, match="not a multiple of patch_width=4"):
        embed(torch.zeros(1, 1, 16, 18))


# -- coordinate encoding and stem ----------------------------------------------------------------
def test_coordinate_channels_are_exactly_linspace():
    x = torch.randn(2, 3, 5, 7)
    out = CoordinateEncoding()(x)
    assert out.shape == (2, 5, 5, 7)
    assert torch.equal(out[:, :3], x)
    assert torch.equal(out[:, 3], torch.linspace(-1, 1, 7).expand(2, 5, 7))
    assert torch.equal(out[:, 4], torch.linspace(-1, 1, 5).view(5, 1).expand(2, 5, 7))
    assert float(out[:, 3:].min()) == -1.0 and float(out[:, 3:].max()) == 1.0
    assert not list(CoordinateEncoding().parameters()) and not list(CoordinateEncoding().buffers())


def test_teacher_at_128x128_keeps_the_size_through_the_stem_and_appends_coordinates():
    teacher = TeacherViT(7).eval()  # the defaults: 128 rows, patch width 4, stem (16, 32, 64)
    with torch.no_grad():
        maps = teacher.forward_features(torch.zeros(1, 1, 128, 128))
    assert maps["stem"].shape == (1, 64, 128, 128)
    assert maps["coords"].shape == (1, 66, 128, 128)
    assert torch.equal(maps["coords"][0, 64], torch.linspace(-1, 1, 128).expand(128, 128))
    assert torch.equal(maps["coords"][0, 65],
                       torch.linspace(-1, 1, 128).view(128, 1).expand(128, 128))
    assert maps["embed"].shape == (1, 33, 192)  # class token + 128 / 4 strips
    assert [k for k in maps if k.startswith("block")] == [f"block{k}" for k in range(6)]
    assert teacher(torch.zeros(1, 1, 128, 128)).shape == (1, 7)


def test_conv_stem_grows_channels_and_checks_group_norm_widths():
    stem = ConvStem(channels=(8, 16, 24))
    assert stem(torch.zeros(1, 1, 20, 12)).shape == (1, 24, 20, 12)
    assert [m.conv.stride for m in stem.blocks] == [(1, 1)] * 3
    with pytest.raises(ValueError, match="divisible by groups=8"):
        ConvStem(channels=(8, 12))


# -- student: no positional information -----------------------------------------------------------
def test_student_has_no_positional_parameters_or_modules():
    student = StudentViT(4, **TINY)
    names = [name for name, _ in student.named_parameters()]
    assert not any("pos" in name for name in names)
    assert student.stem is None and student.coords is None
    assert not any(isinstance(m, (CoordinateEncoding, ConvStem)) for m in student.modules())
    assert student.feature_names == ("embed", "block0", "block1", "norm")
    # the only parameters are the patch projection, class token, blocks, final norm and head
    assert {name.split(".")[0] for name in names} == {
        "patch_embed", "cls_token", "encoder", "norm", "head"}
    with pytest.raises(TypeError, match="plain ViT"):
        StudentViT(4, coordinates=True, **TINY)


def test_student_ignores_strip_order_but_the_teacher_does_not():
    torch.manual_seed(0)
    student = StudentViT(4, **TINY).eval()
    teacher = TeacherViT(4, stem_channels=(8,), **TINY).eval()
    x = _images(2)
    strips = x.view(2, 1, 16, 4, 4)
    shuffled = strips[:, :, :, [2, 0, 3, 1]].reshape(2, 1, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(student(shuffled), student(x), rtol=1e-5, atol=1e-5)
        assert not torch.allclose(teacher(shuffled), teacher(x), atol=1e-5)


def test_mean_pooling_has_no_class_token():
    net = VerticalPatchViT(3, pool="mean", **TINY)
    assert net.cls_token is None
    assert net.forward_features(_images(1))["embed"].shape == (1, 4, 8)
    with pytest.raises(ValueError, match="pool must be"):
        VerticalPatchViT(3, pool="max", **TINY)


# -- distillation -----------------------------------------------------------------------------
def test_resolve_distill_pairs():
    assert resolve_distill_pairs("blocks", 3) == [(f"block{k}", f"block{k}") for k in range(3)]
    assert resolve_distill_pairs("last", 3) == [("block2", "block2")]
    assert resolve_distill_pairs([-1, "embed", ("block0", "block2"), 2], 3) == [
        ("block2", "block2"), ("embed", "embed"), ("block0", "block2")]
    with pytest.raises(ValueError, match="teacher-only"):
        resolve_distill_pairs(["stem"], 3)
    with pytest.raises(ValueError, match="out of range"):
        resolve_distill_pairs([3], 3)
    with pytest.raises(ValueError, match="Unknown feature map 'block7'"):
        resolve_distill_pairs([("block7", "block0")], 3)
    with pytest.raises(ValueError, match="empty"):
        resolve_distill_pairs([], 3)


def test_matching_lowers_the_l1_between_student_and_teacher_maps_on_a_fixed_batch():
    torch.manual_seed(0)
    teacher = TeacherViT(3, stem_channels=(8,), **TINY)
    student = StudentViT(3, **TINY)
    teacher_state = {k: v.clone() for k, v in teacher.state_dict().items()}
    distiller = FeatureMapDistiller(student, teacher, resolve_distill_pairs("blocks", 2)).train()
    assert not teacher.training and student.training
    assert not any(p.requires_grad for p in teacher.parameters())
    loss_fn = DistillationLoss(ce_weight=0.0, alpha=1.0)
    x, y = _images(8, seed=1), torch.zeros(8, dtype=torch.long)
    optimizer = torch.optim.Adam(p for p in distiller.parameters() if p.requires_grad)

    def l1_now():
        distiller.eval()
        with torch.no_grad():
            value = float(distiller(x)[1])
        distiller.train()
        return value

    before = l1_now()
    for _ in range(30):
        optimizer.zero_grad()
        loss_fn(distiller(x), y).backward()
        optimizer.step()
    after = l1_now()
    assert after < 0.7 * before
    assert student.head.weight.grad is None  # the matching stage does not train the head
    for key, value in teacher.state_dict().items():
        assert torch.equal(value, teacher_state[key])


def test_distiller_refuses_maps_the_networks_do_not_have():
    kw = dict(TINY)
    with pytest.raises(ValueError, match="student has no feature map 'stem'"):
        FeatureMapDistiller(StudentViT(3, **kw), TeacherViT(3, stem_channels=(8,), **kw),
                            [("stem", "stem")])
    shallow = dict(kw, depth=1)
    with pytest.raises(ValueError, match="teacher has no feature map 'block1'"):
        FeatureMapDistiller(StudentViT(3, **kw), TeacherViT(3, stem_channels=(8,), **shallow),
                            [("block1", "block1")])


def test_distillation_loss_combines_cross_entropy_and_l1():
    logits, y = torch.tensor([[2.0, 0.0], [0.0, 1.0]]), torch.tensor([0, 1])
    ce = float(nn.functional.cross_entropy(logits, y))
    loss = DistillationLoss(ce_weight=1.0, alpha=0.5)((logits, torch.tensor(0.4)), y)
    assert float(loss) == pytest.approx(ce + 0.2)


# -- complexity ---------------------------------------------------------------------------------
def test_flops_and_params_counts_convolutions_exactly_and_restores_the_mode():
    conv = nn.Conv2d(2, 4, kernel_size=3, padding=1, bias=False).train()
    counts = flops_and_params(conv, (1, 2, 5, 5))
    assert counts == {"flops": 2 * 4 * 2 * 9 * 25, "params": 72, "trainable_params": 72}
    assert conv.training
    with pytest.raises(ValueError, match="batch dimension"):
        flops_and_params(conv, (2, 5, 5.0))


def test_the_student_costs_far_fewer_flops_than_the_teacher():
    teacher = TeacherViT(7, stem_channels=(8,), **dict(TINY, height=32))
    student = StudentViT(7, **dict(TINY, height=32))
    t, s = flops_and_params(teacher, (1, 1, 32, 32)), flops_and_params(student, (1, 1, 32, 32))
    assert s["flops"] * 5 < t["flops"] and s["params"] < t["params"]
    # the attention products are counted: the same student on a longer sequence costs more
    # than linearly in the number of tokens
    wide = flops_and_params(student, (1, 1, 32, 64))["flops"]
    assert wide > 2 * s["flops"]
