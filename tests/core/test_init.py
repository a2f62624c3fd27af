"""Initializers give the statistics of their distributions, reproducibly and undoably."""

import math

import numpy as np
import pytest
import torch

from core.catalog.templates import load_template
from core.document.compose import Composer
from core.document.history import History
from core.errors import EditError
from core.runtime.init import INITIALIZERS, ApplyInitializer, parse_pieces, theory
from core.runtime.live import LiveModel
from core.runtime.shapes import infer_shapes


def live_for(document):
    live = LiveModel()
    live.sync(document)
    live.materialize(document, infer_shapes(document))
    return live


@pytest.fixture
def big():
    """One 1000 × 600 linear layer (600,000 weights)."""
    c = Composer()
    document = c.document(c.layer("Linear", in_features=600, out_features=1000),
                          input_shape=(2, 600))
    live = live_for(document)
    return document, live, live.module[0].weight


def apply(document, live, name, seed=0, **args):
    history = History(document)
    command = ApplyInitializer(live, document, name, args, seed=seed)
    history.push(command)
    return history


def test_uniform_normal_and_truncated_normal(big):
    document, live, w = big
    apply(document, live, "uniform", a=-2.0, b=3.0)
    assert w.min() >= -2 and w.max() <= 3
    assert abs(w.mean().item() - 0.5) < 0.02 and abs(w.std().item() - 5 / math.sqrt(12)) < 0.02
    apply(document, live, "normal", mean=1.0, std=0.5)
    assert abs(w.mean().item() - 1) < 0.005 and abs(w.std().item() - 0.5) < 0.005
    apply(document, live, "trunc_normal", mean=0.0, std=1.0, a=-1.0, b=1.0)
    assert w.min() >= -1 and w.max() <= 1


def test_constant_ones_zeros_eye(big):
    document, live, w = big
    apply(document, live, "constant", value=42.0)
    assert torch.all(w == 42)
    apply(document, live, "ones")
    assert torch.all(w == 1)
    apply(document, live, "zeros")
    assert torch.all(w == 0)
    apply(document, live, "eye")
    assert torch.equal(w, torch.eye(1000, 600))


def test_xavier_and_kaiming_follow_their_formulas(big):
    document, live, w = big
    fan_in, fan_out = 600, 1000
    apply(document, live, "xavier_uniform", gain=1.0)
    bound = math.sqrt(6 / (fan_in + fan_out))
    assert w.abs().max() <= bound and w.abs().max() > 0.99 * bound
    assert abs(w.std().item() - bound / math.sqrt(3)) < 0.001
    apply(document, live, "xavier_normal", gain=2.0)
    assert abs(w.std().item() - 2 * math.sqrt(2 / (fan_in + fan_out))) < 0.002
    apply(document, live, "kaiming_normal", a=0.0, mode="fan_in", nonlinearity="relu")
    assert abs(w.std().item() - math.sqrt(2) / math.sqrt(fan_in)) < 0.001
    apply(document, live, "kaiming_uniform", a=0.0, mode="fan_out", nonlinearity="relu")
    assert w.abs().max() <= math.sqrt(2) * math.sqrt(3 / fan_out) + 1e-6


def test_orthogonal_and_sparse(big):
    document, live, w = big
    apply(document, live, "orthogonal", gain=1.0)
    assert torch.allclose(w.T @ w, torch.eye(600), atol=1e-4)
    apply(document, live, "sparse", sparsity=0.3, std=0.01)
    zeros_per_column = (w == 0).sum(dim=0).float()
    assert torch.all(zeros_per_column == math.ceil(0.3 * 1000))


def test_the_chapters_piecewise_distribution_has_its_proportions(big):
    document, live, w = big
    apply(document, live, "piecewise", seed=7)
    n = w.numel()
    assert abs((w == 0).sum().item() / n - 0.5) < 0.01
    assert abs(((w >= 5) & (w <= 10)).sum().item() / n - 0.25) < 0.01
    assert abs(((w <= -5) & (w >= -10)).sum().item() / n - 0.25) < 0.01
    assert ((w.abs() > 0) & (w.abs() < 5)).sum() == 0


def test_a_mixture_composed_by_hand(big):
    document, live, w = big
    apply(document, live, "mixture", pieces="0.2: 3; 0.3: U(-1, 0); 0.5: N(10, 0.1)")
    n = w.numel()
    assert abs((w == 3).sum().item() / n - 0.2) < 0.01
    assert abs(((w >= -1) & (w <= 0)).sum().item() / n - 0.3) < 0.01
    assert abs((w > 9).sum().item() / n - 0.5) < 0.01
    with pytest.raises(Exception, match="add up to 1"):
        parse_pieces("0.5: U(0, 1)")


def test_same_seed_same_tensors_and_undo_restores_bit_for_bit(big):
    document, live, w = big
    original = w.detach().clone()
    history = apply(document, live, "normal", seed=5, std=1.0)
    first = w.detach().clone()
    history.undo()
    assert torch.equal(w, original)
    history.redo()
    assert torch.equal(w, first)
    apply(document, live, "normal", seed=5, std=1.0)
    assert torch.equal(w, first)
    apply(document, live, "normal", seed=6, std=1.0)
    assert not torch.equal(w, first)


def test_default_reset_is_pytorchs_own(big):
    document, live, w = big
    apply(document, live, "zeros")
    apply(document, live, "default")
    bound = 1 / math.sqrt(600)
    assert w.abs().max() <= bound and w.std() > 0


def test_shared_parameters_are_initialized_once_and_stay_tied():
    document = load_template("shared-parameters")
    live = live_for(document)
    net = live.module
    history = History(document)
    command = ApplyInitializer(live, document, "normal", {"std": 1.0}, seed=1)
    history.push(command)
    owner = document.root.nodes[2].id
    assert [r.node_id for r in command.refs].count(owner) == 1
    assert net[2] is net[4] and net[2].weight.data_ptr() == net[4].weight.data_ptr()


def test_an_initializer_that_does_not_apply_changes_nothing():
    document = load_template("mlp")
    live = live_for(document)
    before = {k: v.clone() for k, v in live.module.state_dict().items()}
    with pytest.raises(EditError, match="Dirac"):
        History(document).push(ApplyInitializer(live, document, "dirac"))
    with pytest.raises(EditError, match=r"Identity \(eye\)"):
        History(document).push(ApplyInitializer(live, document, "eye", target="biases"))
    for key, value in live.module.state_dict().items():
        assert torch.equal(value, before[key])


def test_a_block_scope_changes_only_that_block():
    document = load_template("nest-mlp")
    live = live_for(document)
    block = document.root.nodes[0].id
    outside = live.module.linear.weight.detach().clone()
    History(document).push(ApplyInitializer(live, document, "constant", {"value": 3.0},
                                            node_ids=[block], target="all"))
    assert torch.all(live.module.net[0].weight == 3) and torch.all(live.module.net[2].bias == 3)
    assert torch.equal(live.module.linear.weight, outside)


def test_theory_gives_xavier_bounds():
    w = torch.empty(10, 30)
    shape = theory("xavier_uniform", {"gain": 1.0}, w, np.linspace(-1, 1, 41))
    bound = math.sqrt(6 / 40)
    assert shape.lines == pytest.approx([-bound, bound])
    x, y = shape.curve
    assert y[np.abs(x) < bound * 0.9].min() > 0 and y[np.abs(x) > bound * 1.1].max() == 0


def test_every_initializer_has_defaults_that_validate():
    for spec in INITIALIZERS.values():
        spec.validate_args({})
