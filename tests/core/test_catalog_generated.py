"""The whole of torch.nn in the catalog: every layer constructs, validates, dry-runs on
meta and round-trips through generated code; the hand-written entries stay as they were.

Each test walks the whole catalog in one loop (a test per entry would pay the suite's
per-test garbage collection 158 times) and reports every entry that fails at once.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.nn.parameter import UninitializedTensorMixin

from core import build_module, infer_shapes, to_python
from core.catalog import generate, generated, refinements
from core.catalog.arguments import KINDS
from core.catalog.registry import CATALOG, CATEGORIES, HAND_WRITTEN, LayerSpec, spec_for
from core.document.graph import INPUT, OUTPUT, Document, Edge, Graph, InputSpec, Node
from core.errors import ArgumentError
from core.runtime.report import is_tuple_shape
from tests.core.catalog_46 import HAND_WRITTEN_46

# What stays out of the catalog, and why (the generated file lists the reasons too).
SKIPPED = {
    "Module": "base class", "Container": "deprecated base class",
    "Sequential": "container", "ModuleList": "container", "ModuleDict": "container",
    "ParameterList": "holds parameters", "ParameterDict": "holds parameters",
    "RNNBase": "base class", "RNNCellBase": "base class",
    "DataParallel": "wraps a module", "TransformerEncoder": "takes a module instance",
    "TransformerDecoder": "takes a module instance", "NLLLoss2d": "deprecated alias",
}

# Arguments whose default here is an example, not torch's default, because torch's
# (None) cannot run or because the hand-written entry chose a value.
EXAMPLE_DEFAULTS = {
    ("Upsample", "scale_factor"), ("UpsamplingNearest2d", "scale_factor"),
    ("UpsamplingBilinear2d", "scale_factor"), ("FractionalMaxPool2d", "output_ratio"),
    ("FractionalMaxPool3d", "output_ratio"), ("Softmin", "dim"), ("Softmax", "dim"),
    ("LogSoftmax", "dim"), ("Transformer", "activation"),
    ("TransformerEncoderLayer", "activation"), ("TransformerDecoderLayer", "activation"),
    ("ConvTranspose2d", "stride"),
}

# Layers whose extra_repr shows an int default that a float argument holds as a float
# (CrossMapLRN2d's k=1 is k=1.0 here): the same layer, printed differently.
INT_DEFAULTS_SHOWN = {"CrossMapLRN2d"}

# Parameters that hold a tensor or a function, which no argument kind holds.
TORCH_OBJECTS = {"weight", "pos_weight", "distance_function"}

# Constructor parameters the hand-written entries never had (torch's default is used).
HAND_WRITTEN_OMISSIONS = {
    "ReLU": {"inplace"}, "LeakyReLU": {"inplace"}, "SiLU": {"inplace"}, "ELU": {"inplace"},
    "Mish": {"inplace"}, "Dropout": {"inplace"}, "Dropout2d": {"inplace"},
    "Embedding": {"norm_type", "_weight", "_freeze"},
    "MaxPool1d": {"return_indices"}, "MaxPool2d": {"return_indices"},
    "AdaptiveMaxPool2d": {"return_indices"}, "AvgPool2d": {"divisor_override"},
    "BatchNorm1d": {"bias"}, "BatchNorm2d": {"bias"}, "LazyBatchNorm1d": {"bias"},
    "LazyBatchNorm2d": {"bias"}, "GroupNorm": {"bias"}, "ConvTranspose2d": {"padding_mode"},
}


def nn_specs() -> list[LayerSpec]:
    return [spec for spec in CATALOG.values() if spec.factory_path.startswith("nn.")]


def one_layer_document(spec: LayerSpec, args: dict) -> Document:
    """Input → the layer → output, the input wired to every port the layer needs."""
    node = Node("n1", spec.type, args)
    edges = [Edge(INPUT, node.id, port) for port in range(spec.inputs[0])]
    return Document(root=Graph(nodes=[node], edges=[*edges, Edge(node.id, OUTPUT)]),
                    input=InputSpec(spec.sample_shape(args), spec.input_dtype))


def report(failures: dict[str, str]) -> str:
    return "\n".join(f"{name}: {why}" for name, why in failures.items())


def test_every_public_layer_of_torch_nn_is_an_entry_or_skipped_with_a_reason():
    classes = generate.layer_classes()
    covered = {spec.class_name for spec in nn_specs()}
    assert set(classes) - covered == set(SKIPPED)
    assert set(refinements.SKIPPED) == set(SKIPPED)
    for name in SKIPPED:
        assert f"- {name}: " in generated.__doc__, f"{name} is skipped without a reason"
    for spec in nn_specs():
        assert spec.factory is classes[spec.class_name]
        assert spec.factory_path == f"nn.{spec.class_name}" and spec.type == spec.class_name
    assert len(CATALOG) > 100
    for required in ("RNN", "LSTM", "GRU", "MultiheadAttention", "TransformerEncoderLayer",
                     "Transformer", "Conv3d", "ConvTranspose1d", "ConvTranspose3d", "Upsample",
                     "ZeroPad2d", "ReflectionPad2d", "InstanceNorm2d", "ReLU6", "Hardswish",
                     "Hardsigmoid", "CrossEntropyLoss", "MSELoss"):
        assert required in CATALOG


def test_the_generated_file_is_what_the_installed_torch_says():
    installed = torch.__version__.split("+")[0]
    if installed != generated.TORCH_VERSION:
        pytest.skip(f"generated for torch {generated.TORCH_VERSION}, {installed} installed")
    written = Path(generated.__file__).read_text(encoding="utf-8")
    assert generate.source(HAND_WRITTEN) == written, (
        "core/catalog/generated.py is stale: run python -m core.catalog.generate")


def test_the_hand_written_entries_are_unchanged():
    assert len(HAND_WRITTEN_46) == 46
    assert list(CATALOG)[:3] == ["Linear", "LazyLinear", "Identity"]
    for name, (category, path, inputs, expects, args) in HAND_WRITTEN_46.items():
        spec = CATALOG[name]
        assert (spec.category, spec.factory_path, spec.inputs, spec.expects) == \
            (category, path, inputs, expects), name
        assert tuple((a.name, a.kind, a.default, a.minimum, a.maximum, a.choices, a.length,
                      a.optional) for a in spec.args) == args, name
    assert set(HAND_WRITTEN) == {spec[1][3:] for spec in HAND_WRITTEN_46.values()
                                 if spec[1].startswith("nn.")}


def test_arguments_are_the_constructor_parameters_by_name_and_default():
    """What module import relies on: an argument per constructor parameter, named alike,
    required exactly where torch has no default, and torch's default otherwise."""
    failures = {}
    for spec in nn_specs():
        parameters = {p.name: p for p in generate._parameters(spec.factory)}
        left_out = {name for name in parameters if name.startswith("_")
                    or name in refinements.OMITTED
                    or name in refinements.OMITTED_IN.get(spec.type, {})}
        torch_only = set(parameters) - {a.name for a in spec.args} - left_out
        if torch_only - HAND_WRITTEN_OMISSIONS.get(spec.type, set()) - TORCH_OBJECTS:
            failures[spec.type] = f"no argument for {sorted(torch_only)}"
        for arg in spec.args:
            parameter = parameters.get(arg.name)
            if parameter is None:
                failures[spec.type] = f"{arg.name} is not a constructor parameter"
                continue
            if arg.required != (parameter.default is inspect.Parameter.empty):
                failures[spec.type] = f"{arg.name}: required={arg.required}"
            elif not arg.required and arg.default != parameter.default and \
                    (spec.type, arg.name) not in EXAMPLE_DEFAULTS:
                failures[spec.type] = f"{arg.name}: {arg.default!r} != {parameter.default!r}"
    assert not failures, report(failures)


def test_every_entry_validates_its_defaults_and_constructs_on_meta():
    failures = {}
    for spec in CATALOG.values():
        try:
            assert spec.help and spec.category in CATEGORIES
            for arg in spec.args:
                assert arg.kind in KINDS and arg.help, arg.name
                assert arg.validate(arg.default) == arg.default, arg.name
            args = spec.validate_args({})
            assert args == spec.defaults()
            with torch.device("meta"):
                assert isinstance(spec.create(args), nn.Module)
        except Exception as error:  # collected, reported together
            failures[spec.type] = f"{type(error).__name__}: {error}"
    assert not failures, report(failures)


def test_every_entry_dry_runs_alone_or_says_why_it_cannot():
    failures = {}
    for spec in CATALOG.values():
        args = spec.validate_args({})
        sample = spec.sample_shape(args)
        if spec.input_rank is not None and len(sample) != spec.input_rank:
            failures[spec.type] = f"sample {sample} is not of rank {spec.input_rank}"
            continue
        result = infer_shapes(one_layer_document(spec, args))
        if spec.no_dry_run:
            if result.ok:
                failures[spec.type] = f"dry-runs, yet says {spec.no_dry_run!r}"
            continue
        if not result.ok or result.output_shape is None:
            failures[spec.type] = f"{sample}: {result.error or result.nodes['n1'].error}"
        elif spec.outputs and not is_tuple_shape(result.output_shape):
            failures[spec.type] = f"returns a tuple, yet its shape is {result.output_shape}"
    assert not failures, report(failures)


def _direct_inputs(spec: LayerSpec, args: dict) -> list[torch.Tensor]:
    """Inputs for the layers a graph cannot feed or whose output it cannot pass on."""
    x = torch.rand(spec.sample_shape(args))
    classes = torch.randint(0, 4, (2,))
    if spec.type in ("RNN", "LSTM", "GRU", "LSTMCell"):
        return [x]
    if spec.type == "MultiheadAttention":
        return [x, x, x]
    if spec.type.startswith("MaxUnpool"):
        pooled, indices = getattr(nn, spec.type.replace("Unpool", "Pool"))(
            2, return_indices=True)(torch.rand(spec.sample_shape(args)))
        return [pooled, indices]
    if spec.type in ("NLLLoss", "MultiMarginLoss"):
        return [torch.rand(2, 4), classes]
    if spec.type == "MultiLabelMarginLoss":
        return [torch.rand(2, 4), torch.tensor([[1, 2, -1, 0], [0, -1, 0, 0]])]
    if spec.type in ("LinearCrossEntropyLoss", "AdaptiveLogSoftmaxWithLoss"):
        return [torch.rand(2, args["in_features"]), classes]
    if spec.type == "CTCLoss":
        return [torch.rand(6, 2, 5).log_softmax(2), torch.randint(1, 5, (2, 3)),
                torch.tensor([6, 6]), torch.tensor([3, 2])]
    if spec.type == "GaussianNLLLoss":
        return [x, x, torch.ones_like(x)]
    if spec.type == "CosineEmbeddingLoss":
        return [torch.rand(2, 8), torch.rand(2, 8), torch.tensor([1.0, -1.0])]
    raise AssertionError(f"{spec.type}: no direct inputs known")


def test_what_cannot_dry_run_in_a_graph_runs_on_its_own_inputs():
    failures = {}
    for spec in CATALOG.values():
        if not spec.no_dry_run:
            continue
        args = spec.validate_args({})
        try:
            with torch.no_grad():
                output = spec.create(args).eval()(*_direct_inputs(spec, args))
            if spec.outputs:
                assert isinstance(output, tuple) and len(output) == len(spec.outputs)
            else:
                assert isinstance(output, torch.Tensor)
        except Exception as error:  # collected, reported together
            failures[spec.type] = f"{type(error).__name__}: {error}"
    assert not failures, report(failures)


def test_every_entry_round_trips_through_generated_python():
    """Export → run: the exported source builds the same module (type, arguments as
    extra_repr shows them, state_dict shapes) as the catalog does."""
    failures = {}
    for spec in CATALOG.values():
        if spec.form != "module":  # see the test after this one
            continue
        args = spec.validate_args({})
        document = one_layer_document(spec, args)
        try:
            namespace: dict = {"__name__": "exported"}
            exec(compile(to_python(document), "<exported>", "exec"), namespace)
            with torch.device("meta"):
                exported = namespace["build_model"]()
                expected = spec.create(args)
            layer = exported[0] if isinstance(exported, nn.Sequential) else \
                next(iter(exported.children()))
            assert type(layer).__qualname__ == type(expected).__qualname__
            if spec.type not in INT_DEFAULTS_SHOWN:
                assert layer.extra_repr() == expected.extra_repr()
            assert _sizes(layer) == _sizes(expected)
        except Exception as error:  # collected, reported together
            failures[spec.type] = f"{type(error).__name__}: {error}"
    assert not failures, report(failures)


def test_every_tensor_operation_is_exported_as_an_expression_that_computes_the_same():
    """A tensor operation or parameter has no module of its own in the exported source:
    it is an expression in the forward (or a registered tensor), and the exported network
    gives what the built one gives."""
    failures = {}
    for spec in CATALOG.values():
        if spec.form == "module":
            continue
        args = spec.validate_args({})
        document = one_layer_document(spec, args)
        try:
            source = to_python(document)
            namespace: dict = {"__name__": "exported"}
            exec(compile(source, "<exported>", "exec"), namespace)
            torch.manual_seed(0)
            built = build_module(document).eval()
            exported = namespace["build_model"]().eval()
            exported.load_state_dict(built.state_dict(), strict=True)
            assert not list(exported.children()) and not list(built.children())
            assert f"class {spec.class_name}(" not in source
            x = torch.rand(document.input.shape)
            with torch.no_grad():
                expected, got = built(x), exported(x)
            pairs = zip(expected, got, strict=True) if isinstance(expected, tuple) else \
                [(expected, got)]
            assert all(torch.equal(a, b) for a, b in pairs)
        except Exception as error:  # collected, reported together
            failures[spec.type] = f"{type(error).__name__}: {error}"
    assert not failures, report(failures)


def _sizes(module: nn.Module) -> dict[str, tuple[int, ...] | None]:
    """The state_dict's shapes (None for a lazy layer's uninitialized tensors)."""
    return {key: None if isinstance(value, UninitializedTensorMixin) else tuple(value.shape)
            for key, value in module.state_dict().items()}


def test_tuple_outputs_and_losses_are_marked():
    assert spec_for("LSTM").outputs == ("output", "(h_n, c_n)")
    assert spec_for("GRU").outputs == ("output", "h_n") and spec_for("RNN").returns_tuple
    assert spec_for("MultiheadAttention").inputs == (3, 3)
    assert not spec_for("Linear").returns_tuple
    losses = [spec for spec in CATALOG.values() if spec.category == "Loss"]
    assert len(losses) > 15
    assert all(spec.inputs[0] >= 2 for spec in losses)
    assert spec_for("MSELoss").inputs == (2, 2)
    assert spec_for("TripletMarginLoss").inputs == (3, 3)


def test_generated_arguments_check_values_as_torch_would():
    upsample = spec_for("Upsample")
    assert upsample.validate_args({"scale_factor": [2, 1.5]})["scale_factor"] == (2.0, 1.5)
    assert upsample.validate_args({"size": [4], "scale_factor": None})["size"] == (4,)
    assert spec_for("ZeroPad2d").validate_args({"padding": [1, 1, 2, 0]})["padding"] == \
        (1, 1, 2, 0)
    with pytest.raises(ArgumentError, match="3 ints"):
        spec_for("Conv3d").validate_args({"kernel_size": [3, 3]})
    with pytest.raises(ArgumentError, match="is not one of"):
        spec_for("RNN").validate_args({"nonlinearity": "sigmoid"})
    with pytest.raises(ArgumentError, match="divisible"):
        spec_for("MultiheadAttention").validate_args({"embed_dim": 10, "num_heads": 3})
    with pytest.raises(ArgumentError, match="stride"):
        spec_for("Conv3d").validate_args({"padding": "same", "stride": 2})
    assert spec_for("Conv3d").arg("in_channels").required
    assert not spec_for("Conv3d").arg("stride").required
    assert spec_for("Linear").arg("in_features").required  # marked on hand entries too
