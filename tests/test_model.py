"""LeNet: the chapter's shapes, variants, Xavier init, and weight files in and out."""

import io
import math

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from cnnviz.lenet.model import (
    KERNEL_SIZES,
    VARIANTS,
    LeNetConfig,
    WeightsError,
    build_lenet,
    flat_features,
    layer_summary,
    load_weights,
    weights_to_bytes,
)

CHAPTER_SUMMARY = [
    ("Conv2d", "1x6x28x28"), ("Sigmoid", "1x6x28x28"), ("AvgPool2d", "1x6x14x14"),
    ("Conv2d", "1x16x10x10"), ("Sigmoid", "1x16x10x10"), ("AvgPool2d", "1x16x5x5"),
    ("Flatten", "1x400"), ("Linear", "1x120"), ("Sigmoid", "1x120"), ("Linear", "1x84"),
    ("Sigmoid", "1x84"), ("Linear", "1x10")]


def test_layer_summary_matches_the_chapter_printout():
    rows = layer_summary(build_lenet(VARIANTS["classic"]))
    assert [(r.name, r.shape_text) for r in rows] == CHAPTER_SUMMARY


def test_parameter_counts():
    rows = layer_summary(build_lenet())
    params = [r.params for r in rows]
    assert params == [1 * 6 * 25 + 6, 0, 0, 6 * 16 * 25 + 16, 0, 0, 0,
                      400 * 120 + 120, 0, 120 * 84 + 84, 0, 84 * 10 + 10]
    assert sum(params) == sum(p.numel() for p in build_lenet().parameters()) == 61706


def test_modern_variant_uses_relu_and_max_pooling():
    names = [r.name for r in layer_summary(build_lenet(VARIANTS["modern"]))]
    assert names.count("ReLU") == 4
    assert names.count("MaxPool2d") == 2
    assert "Sigmoid" not in names


@pytest.mark.parametrize("k", KERNEL_SIZES)
@pytest.mark.parametrize(("c1", "c2"), [(6, 16), (3, 8), (12, 32)])
def test_custom_channels_and_kernels_keep_shapes_consistent(k, c1, c2):
    config = LeNetConfig(activation="tanh", pooling="max", channels1=c1, channels2=c2,
                         kernel_size=k)
    rows = layer_summary(build_lenet(config))
    assert rows[0].shape == (1, c1, 28, 28)
    assert rows[6].shape == (1, flat_features(config))
    assert rows[-1].shape == (1, 10)


def test_forward_equals_the_layers_written_out_with_functional():
    model = build_lenet(VARIANTS["modern"], seed=3)
    X = torch.rand(4, 1, 28, 28)
    net = model.net
    F = nn.functional
    Y = F.max_pool2d(F.relu(F.conv2d(X, net[0].weight, net[0].bias, padding=2)), 2, 2)
    Y = F.max_pool2d(F.relu(F.conv2d(Y, net[3].weight, net[3].bias)), 2, 2).flatten(1)
    Y = F.relu(F.linear(Y, net[7].weight, net[7].bias))
    Y = F.relu(F.linear(Y, net[9].weight, net[9].bias))
    assert_close(model(X), F.linear(Y, net[11].weight, net[11].bias))


def test_xavier_uniform_bounds_and_seed_reproducibility():
    model = build_lenet(seed=7)
    for layer in model.net:
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            fan_in = layer.weight[0].numel()
            fan_out = layer.weight.shape[0] * layer.weight[0, 0].numel()
            bound = math.sqrt(6 / (fan_in + fan_out))
            assert layer.weight.abs().max() <= bound
            assert layer.weight.abs().max() > 0.8 * bound  # uses the range, not a tiny init
    for a, b in zip(model.parameters(), build_lenet(seed=7).parameters(), strict=True):
        assert_close(a, b)
    assert not torch.equal(model.net[0].weight, build_lenet(seed=8).net[0].weight)


def test_bad_config_is_rejected_with_a_message():
    with pytest.raises(ValueError, match="Kernel size"):
        LeNetConfig(kernel_size=4)
    with pytest.raises(ValueError, match="activation"):
        LeNetConfig(activation="swish")
    with pytest.raises(ValueError, match="channels1"):
        LeNetConfig(channels1=0)


def test_variant_labels():
    assert VARIANTS["classic"].label == "classic"
    assert VARIANTS["modern"].label == "modern"
    assert "7x7" in LeNetConfig(kernel_size=7).label


def test_weights_round_trip():
    trained = build_lenet(VARIANTS["modern"], seed=1)
    blob = weights_to_bytes(trained)
    state = torch.load(io.BytesIO(blob), weights_only=True)
    assert set(state) == set(trained.state_dict())
    fresh = build_lenet(VARIANTS["modern"], seed=2)
    load_weights(fresh, blob)
    X = torch.rand(2, 1, 28, 28)
    assert_close(fresh(X), trained(X))


def test_weights_load_into_another_activation_with_the_same_shapes():
    blob = weights_to_bytes(build_lenet(VARIANTS["classic"], seed=1))
    load_weights(build_lenet(VARIANTS["modern"]), blob)  # same tensors, different nonlinearity


def test_weights_of_another_architecture_are_rejected():
    blob = weights_to_bytes(build_lenet(LeNetConfig(channels1=8)))
    model = build_lenet()
    before = model.net[0].weight.clone()
    with pytest.raises(WeightsError, match=r"net\.0\.weight.*\(8, 1, 5, 5\).*\(6, 1, 5, 5\)"):
        load_weights(model, blob)
    assert torch.equal(model.net[0].weight, before)  # nothing half-loaded


def test_weights_with_other_layer_names_are_rejected():
    buffer = io.BytesIO()
    torch.save({"conv.weight": torch.zeros(3)}, buffer)
    with pytest.raises(WeightsError, match="different network"):
        load_weights(build_lenet(), buffer.getvalue())


@pytest.mark.parametrize("payload", [[torch.zeros(2)], {"a": 1}, "text"])
def test_files_that_are_not_state_dicts_are_rejected(payload):
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    with pytest.raises(WeightsError, match="state dict"):
        load_weights(build_lenet(), buffer.getvalue())


class Sneaky:
    """An object weights_only loading must refuse to rebuild."""


@pytest.mark.parametrize("blob", [b"not a torch file at all", None])
def test_garbage_and_pickled_objects_are_rejected(blob):
    if blob is None:
        buffer = io.BytesIO()
        torch.save({"net.0.weight": Sneaky()}, buffer)
        blob = buffer.getvalue()
    with pytest.raises(WeightsError, match="not a PyTorch weights file"):
        load_weights(build_lenet(), blob)
