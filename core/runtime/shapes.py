"""Shape inference: a dry run on the ``meta`` device, one node at a time.

Nothing is allocated, so a design with billions of parameters is checked instantly. A
node that cannot take its input gets an error naming the expected and the actual shape;
nodes that do not depend on it still get their shapes.

A layer's output shape and parameter sizes depend only on its type, its arguments and
its input shapes, so each such combination is evaluated once and remembered: a graph of
a thousand repeated layers costs a handful of meta runs. Modules shared by several nodes
are the exception: they are run for real (on meta), in order, because the first call
fixes a lazy module's sizes for every later one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn.modules.lazy import LazyModuleMixin
from torch.nn.parameter import UninitializedBuffer, UninitializedParameter

from core.catalog.registry import spec_for
from core.document.graph import INPUT, Document, Node
from core.document.validate import describe_node
from core.errors import TorchCanvasError
from core.runtime.plan import ModulePlan, input_key, plan_document
from core.runtime.report import NodeShape, Shape, ShapeReport, ShapeTree, format_shape
from core.runtime.shape_rules import rule_output, rule_sizes

DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64}


@dataclass(frozen=True)
class _Value:
    """A tensor as the dry run sees it: shape and dtype, no data."""

    shape: Shape
    dtype: torch.dtype

    def tensor(self) -> torch.Tensor:
        return torch.empty(self.shape, dtype=self.dtype, device="meta")


# What flows along an edge: a tensor, or a tuple of values (an LSTM's output and (h, c)).
Value = _Value | tuple["Value", ...]


def _shape_of(value: Value) -> ShapeTree:
    if isinstance(value, _Value):
        return value.shape
    return tuple(_shape_of(item) for item in value)


def _meta(value: Value) -> Any:
    if isinstance(value, _Value):
        return value.tensor()
    return tuple(_meta(item) for item in value)


def _value_of(output: Any) -> Value | None:
    """What a call returned, as the dry run keeps it; None for anything but tensors and
    tuples (or lists) of them."""
    if isinstance(output, torch.Tensor):
        return _Value(tuple(output.shape), output.dtype)
    if isinstance(output, (tuple, list)) and output:
        items = [_value_of(item) for item in output]
        return None if any(item is None for item in items) else tuple(items)  # type: ignore
    return None


@dataclass(frozen=True)
class _Outcome:
    output: Value | None
    parameters: int
    trainable: int
    buffers: int
    lazy: bool
    reason: str | None


def infer_shapes(document: Document, input_shape: Shape | None = None) -> ShapeReport:
    """Dry-run ``document`` on ``meta`` with an input of ``input_shape``.

    Never raises for a bad graph: problems are reported in the result.
    """
    shape = tuple(document.input.shape if input_shape is None else input_shape)
    report = ShapeReport(input_shape=shape)
    try:
        if any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in shape):
            raise TorchCanvasError(f"input shape {format_shape(shape)} must be sizes ≥ 0")
        plan = plan_document(document)
        dtype = DTYPES.get(document.input.dtype, torch.float32)
        run = _DryRun(document, report)
        output = run.graph(plan, [_Value(shape, dtype)])
        report.output_shape = _shape_of(output) if output is not None else None
        run.count()
    except TorchCanvasError as error:
        report.error = str(error)
    except Exception as error:  # a bad graph must never raise out of shape inference
        report.error = f"cannot check shapes: {error}"
    return report


class _DryRun:
    def __init__(self, document: Document, report: ShapeReport) -> None:
        self.document = document
        self.report = report
        self.shared: dict[str, nn.Module] = {}  # owner id → its one meta module
        self.has_twins = {n.shares for _, n in document.walk() if n.shares}
        self.sizes: dict[str, _Outcome] = {}

    def graph(self, plan: ModulePlan, xs: list[Value | None]) -> Value | None:
        graph = self.document.graph(plan.graph_id)
        values: dict[str, Value | None] = {
            input_key(i): xs[i] if i < len(xs) else None for i in range(plan.inputs)}
        blocker: dict[str, str] = {}
        for call in plan.calls:
            node = self.document.node(call.node_id)
            result = self.report.nodes[node.id] = NodeShape()
            found = [values[source] for source in call.inputs]
            missing = [s for s, v in zip(call.inputs, found, strict=True) if v is None]
            if missing:
                result.waiting_for = blocker.get(missing[0], missing[0])
                blocker[node.id] = result.waiting_for
                values[node.id] = None
                continue
            inputs = [v for v in found if v is not None]
            result.input_shapes = [_shape_of(v) for v in inputs]
            output: Value | None
            if node.id in plan.blocks:
                output = self.graph(plan.blocks[node.id], list(inputs))
                if output is None:
                    inner = next((self.report.nodes[n.id].error for _, n in
                                  self.document.walk(node.id)
                                  if n.id in self.report.nodes and self.report.nodes[n.id].error),
                                 None)
                    result.error = f"{describe_node(node)}: {inner}" if inner else None
            else:
                outcome = self.sizes[node.id] = self.layer(node, inputs)
                output = outcome.output
                if outcome.reason:
                    result.error = _explain(node, inputs, outcome.reason)
            result.output_shape = _shape_of(output) if output is not None else None
            if output is None:
                blocker[node.id] = node.id
            values[node.id] = output
        for node in graph.nodes:
            if node.id not in self.report.nodes:
                self.report.nodes[node.id] = NodeShape(waiting_for=INPUT)
                for _, inside in self.document.walk(node.id) if node.graph else ():
                    self.report.nodes.setdefault(inside.id, NodeShape(waiting_for=INPUT))
        outputs = [values.get(key) for key in plan.outputs]
        if not outputs or any(output is None for output in outputs):
            return None
        return outputs[0] if len(outputs) == 1 else tuple(outputs)  # type: ignore[arg-type]

    def layer(self, node: Node, inputs: list[Value]) -> _Outcome:
        owner = node.shares or node.id
        args = _frozen(self.document.node(owner).args)
        if owner not in self.has_twins and owner == node.id:
            return _evaluate(node.type, args, tuple(inputs))
        module = self.shared.get(owner)
        if module is None:
            with torch.device("meta"):
                module = self.shared[owner] = spec_for(node.type).create(dict(args))
            module.eval()
        return _shared_by_rule(module, node.type, args, inputs) or _call(module, inputs)

    def count(self) -> None:
        """Per-node sizes, and totals with every shared module counted once."""
        report = self.report
        for _, node in self.document.walk():
            if node.graph is not None:
                continue
            result = report.nodes.setdefault(node.id, NodeShape(waiting_for=INPUT))
            owner = node.shares or node.id
            if owner in self.shared:
                sizes = _sizes(self.shared[owner])
            else:
                sizes = self.sizes.get(node.id) or _evaluate(node.type, _frozen(node.args), None)
            result.parameters, result.trainable = sizes.parameters, sizes.trainable
            result.buffers, result.lazy = sizes.buffers, sizes.lazy
            result.shared = node.shares is not None
            if not result.shared:
                report.parameters += result.parameters
                report.trainable += result.trainable
                report.buffers += result.buffers
        for _, node in self.document.walk():
            if node.graph is not None:
                inner = [report.nodes[n.id] for _, n in self.document.walk(node.id)
                         if n.graph is None and n.shares is None]
                result = report.nodes[node.id]
                result.parameters = sum(i.parameters for i in inner)
                result.trainable = sum(i.trainable for i in inner)
                result.buffers = sum(i.buffers for i in inner)
                result.lazy = any(i.lazy for i in inner)


def layer_sizes(layer_type: str, args: dict[str, Any]) -> tuple[int, int]:
    """Parameters and buffer elements of one layer, known without any input (lazy
    parameters count as 0 until a dry run sizes them)."""
    counted = rule_sizes(spec_for(layer_type).factory_path, args, None)
    if counted is not None:
        return counted
    sizes = _evaluate(layer_type, _frozen(args), None)
    return sizes.parameters, sizes.buffers


def _frozen(args: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(args.items()))


@functools.lru_cache(maxsize=8192)
def _evaluate(layer_type: str, args: tuple[tuple[str, Any], ...],
              inputs: tuple[Value, ...] | None) -> _Outcome:
    """Construct the layer on meta and, given inputs, call it once (or answer by a rule
    of `core.runtime.shape_rules` where one is sure of the output)."""
    if inputs is not None:
        ruled = _by_rule(layer_type, args, inputs)
        if ruled is not None:
            return ruled
    with torch.device("meta"):
        module = spec_for(layer_type).create(dict(args))
    module.eval()
    if inputs is None:
        return _sizes(module)
    return _call(module, list(inputs))


def _by_rule(layer_type: str, args: tuple[tuple[str, Any], ...],
             inputs: tuple[Value, ...]) -> _Outcome | None:
    """The outcome a rule gives without running the layer; None where none is sure."""
    tensors = [value for value in inputs if isinstance(value, _Value)]
    float32 = len(tensors) == len(inputs) and all(v.dtype == torch.float32 for v in tensors)
    factory = spec_for(layer_type).factory_path
    arguments = dict(args)
    output = rule_output(factory, arguments, [v.shape for v in tensors], float32)
    if output is None:
        return None
    value = _Value(output, torch.float32)
    counted = rule_sizes(factory, arguments, tensors[0].shape)
    if counted is not None:
        parameters, buffers = counted
        return _Outcome(value, parameters, parameters, buffers, False, None)
    with torch.device("meta"):
        module = spec_for(layer_type).create(arguments)
    if isinstance(module, LazyModuleMixin) and module.has_uninitialized_params():
        module.initialize_parameters(*(v.tensor() for v in tensors))  # as its first call would
    sizes = _sizes(module)
    return _Outcome(value, sizes.parameters, sizes.trainable, sizes.buffers, sizes.lazy, None)


def _shared_by_rule(module: nn.Module, layer_type: str, args: tuple[tuple[str, Any], ...],
                    inputs: list[Value]) -> _Outcome | None:
    """A rule's outcome for a module several nodes share: a lazy one is sized by its first
    call, as torch sizes it, and later calls must fit the size that call fixed."""
    tensors = [value for value in inputs if isinstance(value, _Value)]
    float32 = len(tensors) == len(inputs) and all(v.dtype == torch.float32 for v in tensors)
    arguments = dict(args)
    sized = not isinstance(module, LazyModuleMixin) or not module.has_uninitialized_params()
    if sized:  # a lazy module's first call may have fixed them (and made it a Linear)
        for fixed in ("in_features", "num_features"):
            if isinstance(getattr(module, fixed, None), int):
                arguments[fixed] = getattr(module, fixed)
    output = rule_output(spec_for(layer_type).factory_path, arguments,
                         [v.shape for v in tensors], float32)
    if output is None:
        return None
    if isinstance(module, LazyModuleMixin) and not sized:
        module.initialize_parameters(*(v.tensor() for v in tensors))
    sizes = _sizes(module)
    return _Outcome(_Value(output, torch.float32), sizes.parameters, sizes.trainable,
                    sizes.buffers, sizes.lazy, None)


def meta_layer(layer_type: str, args: dict[str, Any], shape: Shape) -> nn.Module:
    """The layer built on meta, a lazy one sized by a float32 input of ``shape`` as its
    first call would size it."""
    with torch.device("meta"):
        module = spec_for(layer_type).create(args)
    if isinstance(module, LazyModuleMixin) and module.has_uninitialized_params():
        module.initialize_parameters(_Value(shape, torch.float32).tensor())
    return module


def _call(module: nn.Module, inputs: list[Value]) -> _Outcome:
    try:
        with torch.no_grad():
            output = module(*(_meta(value) for value in inputs))
    except Exception as error:  # torch's refusal becomes the node's message
        reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
        sizes = _sizes(module)
        return _Outcome(None, sizes.parameters, sizes.trainable, sizes.buffers, sizes.lazy,
                        reason or type(error).__name__)
    sizes = _sizes(module)
    value = _value_of(output)
    if value is None:
        return _Outcome(None, sizes.parameters, sizes.trainable, sizes.buffers, sizes.lazy,
                        f"returned {type(output).__name__}, not a tensor or a tuple of them")
    return _Outcome(value, sizes.parameters, sizes.trainable, sizes.buffers, sizes.lazy, None)


def _sizes(module: nn.Module) -> _Outcome:
    parameters = trainable = buffers = 0
    lazy = False
    for parameter in module.parameters():
        if isinstance(parameter, UninitializedParameter):
            lazy = True
            continue
        parameters += parameter.numel()
        if parameter.requires_grad:
            trainable += parameter.numel()
    for buffer in module.buffers():
        if not isinstance(buffer, UninitializedBuffer):
            buffers += buffer.numel()
    return _Outcome(None, parameters, trainable, buffers, lazy, None)


def _explain(node: Node, inputs: list[Value], reason: str) -> str:
    got = " and ".join(format_shape(_shape_of(v)) for v in inputs)
    expected = spec_for(node.type).describe_expected(node.args)
    wanted = f"expects {expected}, " if expected else ""
    return f"{describe_node(node)} {wanted}got {got}: {reason}"
