"""The shape rules answer exactly what the dry run on meta answers, or nothing.

Every rule is held to torch: for many arguments and input shapes (good ones and ones
the layer refuses), the rule's output, parameters, buffers and lazy flag equal those of
the layer built on meta and called, and where torch refuses, the rule says nothing. A
fresh process shows that the first network's shapes import neither torch._dynamo nor
sympy (the second and a half that the rules save).
"""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
import torch

from core.catalog.registry import spec_for
from core.runtime import shapes
from core.runtime.shape_rules import RULES

# Arguments to try for each ruled catalog type, besides its defaults.
VARIANTS: dict[str, list[dict]] = {
    "Linear": [{"in_features": 3, "out_features": 5}, {"in_features": 16, "out_features": 1,
                                                       "bias": False},
               {"in_features": 4, "out_features": 7}],
    "LazyLinear": [{"out_features": 5}, {"out_features": 3, "bias": False}],
    "BatchNorm1d": [{"num_features": 3}, {"num_features": 4, "affine": False},
                    {"num_features": 3, "track_running_stats": False}],
    "BatchNorm2d": [{"num_features": 3}, {"num_features": 4, "affine": False}],
    "BatchNorm3d": [{"num_features": 3}, {"num_features": 2, "bias": False}],
    "LazyBatchNorm1d": [{}, {"affine": False}, {"track_running_stats": False}],
    "LazyBatchNorm2d": [{}, {"affine": False}],
    "LayerNorm": [{"normalized_shape": (4,)}, {"normalized_shape": (3, 4)},
                  {"normalized_shape": (4,), "elementwise_affine": False},
                  {"normalized_shape": (4,), "bias": False}, {"normalized_shape": 3}],
    "RMSNorm": [{"normalized_shape": (4,)}, {"normalized_shape": (3, 4), "eps": 1e-3},
                {"normalized_shape": (4,), "elementwise_affine": False}],
    "GroupNorm": [{"num_groups": 1, "num_channels": 3}, {"num_groups": 2, "num_channels": 4},
                  {"num_groups": 4, "num_channels": 4, "affine": False}],
    "GELU": [{"approximate": "tanh"}],
    "Hardtanh": [{"min_val": -2.0, "max_val": 0.5}],
    "Dropout": [{"p": 0.0}, {"p": 1.0}],
    "AlphaDropout": [{"p": 0.2}],
    "Softmax": [{"dim": 0}, {"dim": 1}, {"dim": -2}, {"dim": 3}, {"dim": -4}],
    "LogSoftmax": [{"dim": 1}, {"dim": 2}],
    "Softmin": [{"dim": 0}, {"dim": -3}],
    "Concat": [{"dim": 0}, {"dim": -1}, {"dim": 2}, {"dim": -3}],
    "Conv1d": [{"in_channels": 3, "out_channels": 4, "kernel_size": 2, "stride": 2},
               {"in_channels": 4, "out_channels": 6, "kernel_size": 3, "padding": 1,
                "groups": 2}, {"in_channels": 3, "out_channels": 3, "padding": "same"},
               {"in_channels": 3, "out_channels": 3, "padding": "valid", "dilation": 2}],
    "Conv2d": [{"in_channels": 3, "out_channels": 4, "kernel_size": (2, 3), "stride": (2, 1)},
               {"in_channels": 4, "out_channels": 8, "kernel_size": 3, "padding": (1, 0),
                "groups": 4, "bias": False},
               {"in_channels": 3, "out_channels": 2, "kernel_size": 2, "padding": "same",
                "dilation": 2},
               {"in_channels": 3, "out_channels": 2, "kernel_size": 1, "padding_mode": "reflect"},
               {"in_channels": 4, "out_channels": 4, "kernel_size": 5, "padding": 2}],
    "Conv3d": [{"in_channels": 4, "out_channels": 2, "kernel_size": 1},
               {"in_channels": 2, "out_channels": 2, "kernel_size": 2, "stride": 2}],
    "LazyConv2d": [{"out_channels": 4, "kernel_size": 2}, {"out_channels": 4, "groups": 2,
                                                           "kernel_size": 1}],
    "LazyConv3d": [{"out_channels": 2, "kernel_size": 1}],
    "MaxPool1d": [{"kernel_size": 3, "stride": 1, "padding": 1}, {"kernel_size": 2,
                                                                  "dilation": 2}],
    "MaxPool2d": [{"kernel_size": 3, "stride": 2, "padding": 1},
                  {"kernel_size": (2, 1), "stride": (1, 2)}, {"kernel_size": 2,
                                                              "ceil_mode": True},
                  {"kernel_size": 2, "padding": 2}],
    "MaxPool3d": [{"kernel_size": 1}, {"kernel_size": 2, "stride": 1}],
    "LeakyReLU": [{"negative_slope": 0.3}],
    "ELU": [{"alpha": 0.5}],
    "CELU": [{"alpha": 2.0}],
    "Softplus": [{"beta": 2.0, "threshold": 5.0}],
}

SIZES = (1, 2, 3, 4, 5)


def _ruled_types() -> list[str]:
    from core.catalog.registry import CATALOG

    return sorted(name for name, spec in CATALOG.items() if spec.factory_path in RULES)


def _shapes(rng: random.Random, count: int, args: dict) -> list[tuple[int, ...]]:
    found = [(rng.choice(SIZES), 4), (2, 3, 4), (2, 3, 4, 4), (1, 4, 3, 4, 2), (4,), (3, 4),
             (2, 4, 4, 5, 6), (1, 2, 3, 3, 3), (2, 4, 6, 7)]
    channels = args.get("num_features", args.get("num_channels", args.get(
        "in_features", args.get("in_channels"))))
    if channels:
        found += [(2, channels), (1, channels), (2, channels, 3), (2, channels, 3, 3),
                  (1, channels, 1, 1), (2, channels, 2, 2, 2), (5, 2, channels),
                  (2, channels, 9), (1, channels, 8, 7), (2, channels, 4, 5, 6),
                  (2, channels, 2, 3)]
    while len(found) < count:
        found.append(tuple(rng.choice(SIZES) for _ in range(rng.randint(1, 5))))
    return found


def _by_meta(layer_type: str, args: dict, inputs: list[shapes._Value]) -> shapes._Outcome:
    with torch.device("meta"):
        module = spec_for(layer_type).create(dict(args))
    module.eval()
    return shapes._call(module, list(inputs))


def _agree(layer_type: str, args: dict, input_shapes: list[tuple[int, ...]]) -> bool:
    """Assert the rule and the dry run agree; True when the rule answered."""
    inputs = tuple(shapes._Value(s, torch.float32) for s in input_shapes)
    frozen = shapes._frozen(args)
    ruled = shapes._by_rule(layer_type, frozen, inputs)
    truth = _by_meta(layer_type, args, list(inputs))
    if ruled is None:
        return False
    assert truth.reason is None, (layer_type, args, input_shapes, truth.reason)
    assert ruled == truth, (layer_type, args, input_shapes, ruled, truth)
    return True


@pytest.mark.parametrize("layer_type", _ruled_types())
def test_a_rule_gives_what_the_dry_run_gives(layer_type):
    spec = spec_for(layer_type)
    rng = random.Random(layer_type)
    answered = 0
    for args in [spec.defaults(), *({**spec.defaults(), **v} for v in VARIANTS.get(layer_type,
                                                                                    []))]:
        for shape in _shapes(rng, 24, args):
            if spec.inputs[0] >= 2:
                others = [shape, tuple(reversed(shape)), (*shape[:-1], shape[-1] + 1)]
                for second in others:
                    answered += _agree(layer_type, args, [shape, second])
                answered += _agree(layer_type, args, [shape, shape, shape])
            else:
                answered += _agree(layer_type, args, [shape])
    assert answered >= 3, f"the rule for {layer_type} never answered"


@pytest.mark.parametrize("layer_type", _ruled_types())
def test_sizes_known_from_the_arguments_are_those_of_the_built_layer(layer_type):
    """`layer_sizes` (what the canvas and the live model's budget ask before any dry
    run) answers from the arguments where it can: the same counts as the layer built."""
    spec = spec_for(layer_type)
    for args in [spec.defaults(), *({**spec.defaults(), **v} for v in VARIANTS.get(layer_type,
                                                                                    []))]:
        with torch.device("meta"):
            module = spec.create(dict(args))
        built = shapes._sizes(module)
        assert shapes.layer_sizes(layer_type, args) == (built.parameters, built.buffers)


@pytest.mark.parametrize("input_shape", [(0, 4), (2, 0), ()])
def test_empty_and_scalar_inputs_are_left_to_the_dry_run(input_shape):
    value = shapes._Value(input_shape, torch.float32)
    assert shapes._by_rule("ReLU", (), (value,)) is None
    assert shapes._by_rule("Linear", shapes._frozen(
        {"in_features": 4, "out_features": 2, "bias": True}), (value,)) is None


@pytest.mark.parametrize("dtype", [torch.float64, torch.int64, torch.float16])
def test_other_dtypes_are_left_to_the_dry_run(dtype):
    value = shapes._Value((2, 4), dtype)
    for layer_type, args in (("ReLU", {}), ("Sigmoid", {}), ("Identity", {}),
                             ("Linear", {"in_features": 4, "out_features": 2, "bias": True})):
        assert shapes._by_rule(layer_type, shapes._frozen(args), (value,)) is None


def test_a_lazy_layer_is_sized_by_its_input_as_its_first_call_would():
    for layer_type, args, shape in (("LazyLinear", {"out_features": 6, "bias": True}, (2, 9)),
                                    ("LazyBatchNorm2d", {}, (2, 5, 3, 3)),
                                    ("LazyBatchNorm1d", {"affine": False}, (2, 7))):
        assert _agree(layer_type, {**spec_for(layer_type).defaults(), **args}, [shape])


def test_a_refusal_keeps_torchs_own_words():
    from core.document.compose import Composer

    c = Composer()
    bad = c.layer("Linear", "hidden", in_features=10, out_features=5)
    norm = c.layer("BatchNorm2d", "norm", num_features=3)
    document = c.document(bad, input_shape=(2, 20))
    report = shapes.infer_shapes(document)
    assert "same reduction dim" in report.nodes[bad.id].error
    document = c.document(norm, input_shape=(2, 4, 5, 5))
    report = shapes.infer_shapes(document)
    assert "running_mean should contain 4 elements not 3" in report.nodes[norm.id].error


def test_every_rule_is_a_catalog_layer_of_torch_or_the_catalog():
    from core.catalog.registry import CATALOG

    paths = {spec.factory_path for spec in CATALOG.values()}
    assert set(RULES) <= paths


FIRST_SHAPES = """
import sys
from core.catalog.templates import load_template
from core.runtime.shapes import infer_shapes
for name in ("mlp", "shared-parameters", "residual-block", "mlp-dropout-batchnorm",
             "nest-mlp", "small-cnn"):
    report = infer_shapes(load_template(name))
    assert report.ok, report.first_error()
print(sorted(m for m in ("torch._dynamo", "sympy") if m in sys.modules))
"""


def test_the_first_networks_shapes_import_neither_dynamo_nor_sympy():
    run = subprocess.run([sys.executable, "-c", FIRST_SHAPES], capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]", run.stdout


def test_a_network_of_ruled_layers_reports_what_the_dry_run_and_a_real_run_give(monkeypatch):
    """The whole report with the rules equals the report without them, node by node, and
    the output and parameter count equal those of the built network run on real data."""
    from core.document.compose import Composer
    from core.runtime.build import build

    c = Composer()
    layers = [c.layer("LazyLinear", out_features=12), c.layer("LayerNorm", normalized_shape=(12,)),
              c.layer("GELU"), c.layer("Dropout", p=0.1),
              c.layer("Linear", in_features=12, out_features=8), c.layer("LazyBatchNorm1d"),
              c.layer("Softmax", dim=-1)]
    document = c.document(*layers, input_shape=(3, 5, 7))
    shapes._evaluate.cache_clear()
    ruled = shapes.infer_shapes(document)
    assert ruled.ok, ruled.first_error()
    monkeypatch.setattr(shapes, "_by_rule", lambda *_: None)
    shapes._evaluate.cache_clear()
    dry = shapes.infer_shapes(document)
    shapes._evaluate.cache_clear()
    assert ruled == dry
    module = build(document).module.eval()
    with torch.no_grad():
        real = module(torch.randn(3, 5, 7))
    assert ruled.output_shape == tuple(real.shape)
    assert ruled.parameters == sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("name", ["shared-parameters", "residual-block", "mlp-dropout-batchnorm",
                                  "nest-mlp", "chimera", "small-cnn"])
def test_the_examples_report_the_same_with_and_without_rules(name, monkeypatch):
    """Shared lazy layers (sized by their first call), blocks, merges and lazy norms."""
    from core.catalog.templates import load_template

    shapes._evaluate.cache_clear()
    ruled = shapes.infer_shapes(load_template(name))
    monkeypatch.setattr(shapes, "_by_rule", lambda *_: None)
    monkeypatch.setattr(shapes, "_shared_by_rule", lambda *_: None)
    shapes._evaluate.cache_clear()
    dry = shapes.infer_shapes(load_template(name))
    shapes._evaluate.cache_clear()
    assert ruled == dry


def test_a_shared_lazy_layer_refuses_a_second_input_of_another_size():
    from core.document.compose import Composer
    from core.document.graph import INPUT, OUTPUT, Edge

    c = Composer()
    first = c.layer("LazyLinear", out_features=4)
    widen = c.layer("Linear", in_features=4, out_features=6)
    twin = c.twin(first)
    document = c.document(first, widen, twin)
    document.root.edges = [Edge(INPUT, first.id), Edge(first.id, widen.id),
                           Edge(widen.id, twin.id), Edge(twin.id, OUTPUT)]
    report = shapes.infer_shapes(document)
    assert report.nodes[twin.id].error and report.nodes[twin.id].output_shape is None
    assert "(2, 6)" in report.nodes[twin.id].error
    assert report.nodes[first.id].parameters == 20 * 4 + 4

