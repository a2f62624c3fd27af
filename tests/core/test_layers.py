"""The chapter's layers behave as the chapter says, and a little more safely."""

import torch

from core.catalog.layers import (
    CenteredLayer,
    Concat,
    FixedHiddenLinear,
    HalveUntilL1,
    MyLinear,
    Sum,
)


def test_centered_layer_subtracts_the_mean():
    out = CenteredLayer()(torch.tensor([1.0, 2, 3, 4, 5]))
    assert torch.equal(out, torch.tensor([-2.0, -1, 0, 1, 2]))


def test_my_linear_has_its_own_parameters_and_relu():
    layer = MyLinear(5, 3)
    assert dict(layer.named_parameters()).keys() == {"weight", "bias"}
    assert layer.weight.shape == (5, 3)
    out = layer(torch.rand(2, 5))
    assert out.shape == (2, 3) and (out >= 0).all()


def test_fixed_hidden_weight_is_a_buffer_in_the_state_dict():
    layer = FixedHiddenLinear(20, 20)
    assert list(layer.state_dict()) == ["weight"]
    assert list(layer.parameters()) == []
    assert layer.weight.min() >= 0 and layer.weight.max() <= 1
    x = torch.rand(2, 20)
    assert torch.allclose(layer(x), x @ layer.weight + 1)
    assert layer.to(torch.float64).weight.dtype == torch.float64


def test_halving_stops_at_l1_norm_one_and_counts_its_steps():
    layer = HalveUntilL1()
    out = layer(torch.full((4,), 3.0))
    assert out.abs().sum() <= 1
    assert layer.last_steps == 4  # 12 → 6 → 3 → 1.5 → 0.75
    infinite = layer(torch.tensor([float("inf")]))
    assert layer.last_steps == layer.max_steps and torch.isinf(infinite).all()


def test_sum_and_concat():
    x = torch.ones(2, 3)
    assert Sum()(x).shape == ()
    assert Sum(dim=1, keepdim=True)(x).shape == (2, 1)
    assert Concat(dim=1)(x, x).shape == (2, 6)
