"""Every template builds the chapter's network: same state_dict, same outputs."""

import pytest
import torch
from torch import nn

from core import build_module, infer_shapes
from core.catalog.templates import list_templates, load_template
from tests.chapter import REFERENCES

# TorchCanvas keeps FixedHiddenMLP's constant weight as a buffer; the chapter keeps it
# outside the state_dict.
BUFFER_SUFFIX = "rand_weight.weight"


def _pair(name):
    factory, shape = REFERENCES[name]
    torch.manual_seed(0)
    ours, theirs = build_module(load_template(name)), factory()
    x = torch.rand(shape)
    ours(x), theirs(x)  # sizes the lazy layers
    return ours, theirs, x


def _without_buffer(state):
    return {k: v for k, v in state.items() if not k.endswith(BUFFER_SUFFIX)}


def _copy_constant_weights(ours: nn.Module, theirs: nn.Module) -> None:
    """Give the chapter's plain-tensor rand_weight the values of our buffer."""
    for key, tensor in ours.state_dict().items():
        if key.endswith(BUFFER_SUFFIX):
            holder = theirs.get_submodule(key[: -len(BUFFER_SUFFIX)].rstrip("."))
            holder.rand_weight = tensor.clone()


def test_every_template_has_a_reference():
    assert {t.name for t in list_templates()} == set(REFERENCES)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_state_dict_keys_and_shapes_equal_the_chapter(name):
    ours, theirs, _ = _pair(name)
    mine = {k: tuple(v.shape) for k, v in _without_buffer(ours.state_dict()).items()}
    reference = {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert list(mine) == list(reference)
    assert mine == reference


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_each_loads_the_others_weights_and_gives_equal_outputs(name):
    ours, theirs, x = _pair(name)
    theirs.load_state_dict(_without_buffer(ours.state_dict()), strict=True)
    _copy_constant_weights(ours, theirs)
    ours.eval(), theirs.eval()  # dropout would draw different masks
    with torch.no_grad():
        assert torch.equal(ours(x), theirs(x))

    torch.manual_seed(1)
    other, _, _ = _pair(name)
    state = dict(theirs.state_dict())
    state.update({k: v for k, v in other.state_dict().items() if k.endswith(BUFFER_SUFFIX)})
    ours.load_state_dict(state, strict=True)
    _copy_constant_weights(ours, theirs)
    ours.eval(), theirs.eval()
    with torch.no_grad():
        assert torch.equal(ours(x), theirs(x))


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_inferred_shapes_and_counts_match_a_real_run(name):
    ours, theirs, x = _pair(name)
    report = infer_shapes(load_template(name))
    assert report.ok, report.first_error()
    assert report.output_shape == tuple(ours(x).shape) == tuple(theirs(x).shape)
    assert report.parameters == sum(p.numel() for p in theirs.parameters())


def test_shared_layer_is_one_module_counted_once():
    net, _, _ = _pair("shared-parameters")
    assert net[2] is net[4]
    with torch.no_grad():
        net[2].weight[0, 0] = 100
    assert net[4].weight[0, 0] == 100
    assert torch.equal(net[2].weight[0], net[4].weight[0])
    assert {"2.weight", "4.weight"} <= set(net.state_dict())
    counted = sum(p.numel() for p in net.parameters())
    assert infer_shapes(load_template("shared-parameters")).parameters == counted
    assert counted == (4 * 8 + 8) + (8 * 8 + 8) + (8 + 1)


def test_fixed_hidden_weight_is_a_persistent_untrained_buffer():
    net, _, x = _pair("fixed-hidden-mlp")
    assert "rand_weight.weight" in net.state_dict()
    assert "rand_weight.weight" not in dict(net.named_parameters())
    assert net.rand_weight.weight.requires_grad is False
    net(x).backward()
    assert net.linear.weight.grad is not None


def test_fixed_hidden_mlp_calls_its_linear_layer_twice():
    net = build_module(load_template("fixed-hidden-mlp"))
    calls = [n.target for n in net.graph.nodes if n.op == "call_module"]
    assert calls.count("linear") == 2
    assert [name for name, _ in net.named_children()].count("linear") == 1


def test_my_linear_gradients_reach_its_parameters():
    net, _, x = _pair("my-linear")
    out = net(x)
    assert (out >= 0).all()
    out.sum().backward()
    assert net[0].weight.grad is not None and net[0].bias.grad is not None


def test_centered_layer_output_has_zero_mean():
    net, _, x = _pair("centered-layer")
    assert abs(net(x).mean().item()) < 1e-6
