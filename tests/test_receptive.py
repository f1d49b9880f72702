"""Receptive fields against autograd: the gradient of one output pixel is nonzero exactly there."""

import pytest
import torch

from cnnviz.lenet.model import VARIANTS, LeNetConfig, build_lenet
from cnnviz.lenet.receptive import Region, receptive_field


def gradient_support(net, layer_index, row, col):
    """Input pixels where d output[0, row, col] / d input is nonzero, as a boolean 28x28 mask."""
    X = torch.rand(1, 1, 28, 28, dtype=torch.float64, requires_grad=True)
    Y = net[:layer_index + 1](X)
    Y[0, 0, row, col].backward()
    return X.grad[0, 0] != 0


def mask(region):
    out = torch.zeros(28, 28, dtype=torch.bool)
    out[region.top:region.bottom + 1, region.left:region.right + 1] = True
    return out


@pytest.mark.parametrize("kernel_size", [3, 5, 7])
@pytest.mark.parametrize(("layer_index", "pixels"), [
    (0, [(0, 0), (13, 20), (27, 27)]), (1, [(5, 5)]), (2, [(0, 0), (7, 3), (13, 13)]),
    (3, [(0, 0), (4, 6)]), (5, [(0, 0), (1, 2)])])
def test_the_region_is_where_the_gradient_is_nonzero(kernel_size, layer_index, pixels):
    config = LeNetConfig(kernel_size=kernel_size)  # sigmoid and average pooling: no zeros
    net = build_lenet(config).double().net
    for row, col in pixels:
        side = net[:layer_index + 1](torch.zeros(1, 1, 28, 28, dtype=torch.float64)).shape[-1]
        if row >= side or col >= side:
            continue
        region = receptive_field(net, layer_index, row, col)
        assert torch.equal(gradient_support(net, layer_index, row, col), mask(region))


def test_max_pooling_reads_only_inside_the_region():
    net = build_lenet(VARIANTS["modern"]).double().net
    region = receptive_field(net, 5, 2, 3)
    assert not (gradient_support(net, 5, 2, 3) & ~mask(region)).any()


def test_deeper_layers_see_larger_parts_of_the_image():
    net = build_lenet(VARIANTS["classic"]).net
    assert receptive_field(net, 0, 10, 10).size == (5, 5)
    assert receptive_field(net, 2, 5, 5).size == (6, 6)
    assert receptive_field(net, 3, 5, 5).size == (14, 14)
    assert receptive_field(net, 5, 2, 2).size == (16, 16)
    assert receptive_field(net, 6, 0, 0) == Region(0, 0, 27, 27)  # flattened: everything
    with pytest.raises(ValueError, match="does not exist"):
        receptive_field(net, 12, 0, 0)
