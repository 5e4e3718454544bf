import pytest
import torch
from torch import nn

from sklearn_ser.models import ConvBlock


@pytest.mark.parametrize(
    "stride, size, expected", [(1, 16, 16), (2, 16, 8), (2, 15, 8), (2, 224, 112)]
)
def test_conv_block_shapes(stride, size, expected):
    block = ConvBlock(3, 16, stride=stride)
    out = block(torch.randn(2, 3, size, size))
    assert out.shape == (2, 16, expected, expected)


def test_conv_block_layers():
    block = ConvBlock(1, 32, stride=2)
    assert [name for name, _ in block.named_children()] == ["conv", "norm", "relu"]
    assert block.conv.kernel_size == (3, 3)
    assert block.conv.padding == (1, 1)
    assert block.conv.stride == (2, 2)
    assert block.conv.bias is None
    assert isinstance(block.norm, nn.GroupNorm)
    assert block.norm.num_groups == 8
    assert block.norm.num_channels == 32


def test_conv_block_output_is_relu_of_group_norm():
    torch.manual_seed(0)
    block = ConvBlock(2, 8, groups=4)
    x = torch.randn(2, 2, 10, 10)
    out = block(x)
    assert (out >= 0).all()
    expected = torch.relu(nn.functional.group_norm(block.conv(x), 4, block.norm.weight,
                                                   block.norm.bias))
    torch.testing.assert_close(out, expected)


def test_conv_block_channels_must_divide_into_groups():
    with pytest.raises(ValueError):
        ConvBlock(1, 12, groups=8)
