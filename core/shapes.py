"""Shape inference: a dry run on the ``meta`` device, one node at a time.

Nothing is allocated, so a design with billions of parameters is checked instantly. A
node that cannot take its input gets an error naming the expected and the actual shape;
nodes that do not depend on it still get their shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn.parameter import UninitializedParameter

from core.build import BuiltModel, build
from core.catalog import spec_for
from core.errors import TorchCanvasError
from core.graph import INPUT, Document
from core.plan import ModulePlan
from core.validate import describe_node

Shape = tuple[int, ...]
DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64}


@dataclass
class NodeShape:
    """What the dry run learned about one node.

    ``parameters`` counts the node's own parameters; for a twin (``shared``) they are
    the owner's and are counted once, at the owner, in the totals. ``waiting_for`` names
    the node whose failure or missing input keeps this one from running.
    """

    output_shape: Shape | None = None
    input_shapes: list[Shape] = field(default_factory=list)
    parameters: int = 0
    buffers: int = 0
    shared: bool = False
    lazy: bool = False
    error: str | None = None
    waiting_for: str | None = None


@dataclass
class ShapeReport:
    input_shape: Shape
    nodes: dict[str, NodeShape] = field(default_factory=dict)
    output_shape: Shape | None = None
    parameters: int = 0
    trainable: int = 0
    buffers: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.node_errors() and self.output_shape is not None

    def node_errors(self) -> dict[str, str]:
        return {i: s.error for i, s in self.nodes.items() if s.error}

    def first_error(self) -> str | None:
        if self.error:
            return self.error
        return next(iter(self.node_errors().values()), None)


def format_shape(shape: Shape | None) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join(str(s) for s in shape) + ")"


def infer_shapes(document: Document, input_shape: Shape | None = None) -> ShapeReport:
    """Dry-run ``document`` on ``meta`` with an input of ``input_shape``.

    Never raises for a bad graph: problems are reported in the result.
    """
    shape = tuple(document.input.shape if input_shape is None else input_shape)
    report = ShapeReport(input_shape=shape)
    try:
        if any(not isinstance(s, int) or s < 0 for s in shape):
            raise TorchCanvasError(f"input shape {format_shape(shape)} must be sizes ≥ 0")
        built = build(document, device="meta", require_output_path=False)
        dummy = torch.empty(shape, dtype=DTYPES.get(document.input.dtype, torch.float32),
                            device="meta")
    except TorchCanvasError as error:
        report.error = str(error)
        return report
    except Exception as error:  # a bad graph must never raise out of shape inference
        report.error = f"cannot build: {error}"
        return report
    built.module.eval()
    with torch.no_grad():
        output = _run(document, built, built.plan, dummy, report)
    report.output_shape = _shape_of(output)
    _count(document, built, report)
    return report


def _shape_of(value: object) -> Shape | None:
    return tuple(value.shape) if isinstance(value, torch.Tensor) else None


def _run(document: Document, built: BuiltModel, plan: ModulePlan,
         x: torch.Tensor | None, report: ShapeReport) -> torch.Tensor | None:
    graph = document.graph(plan.graph_id)
    values: dict[str, torch.Tensor | None] = {INPUT: x}
    blocker: dict[str, str] = {}
    for call in plan.calls:
        node = document.node(call.node_id)
        result = report.nodes[node.id] = NodeShape()
        inputs = [values[source] for source in call.inputs]
        missing = [s for s, v in zip(call.inputs, inputs, strict=True) if v is None]
        if missing:
            result.waiting_for = blocker.get(missing[0], missing[0])
            blocker[node.id] = result.waiting_for
            values[node.id] = None
            continue
        result.input_shapes = [tuple(v.shape) for v in inputs]  # type: ignore[union-attr]
        if node.id in plan.blocks:
            output = _run(document, built, plan.blocks[node.id], inputs[0], report)
            inner = [i for _, n in document.walk(node.id) if (i := n.id) in report.nodes
                     and report.nodes[i].error]
            if output is None and inner:
                result.error = f"{describe_node(node)}: {report.nodes[inner[0]].error}"
        else:
            try:
                output = built.modules[node.id](*inputs)
            except Exception as error:  # torch's refusal becomes the node's message
                output = None
                result.error = _explain(node, inputs, error)
        if not isinstance(output, torch.Tensor) and output is not None:
            result.error = f"{describe_node(node)} returned {type(output).__name__}, not a tensor"
            output = None
        result.output_shape = _shape_of(output)
        if output is None:
            blocker[node.id] = node.id
        values[node.id] = output
    for node in graph.nodes:
        if node.id not in report.nodes:
            report.nodes[node.id] = NodeShape(waiting_for=INPUT)
            if node.graph is not None:
                for _, inner in document.walk(node.id):
                    report.nodes.setdefault(inner.id, NodeShape(waiting_for=INPUT))
    return values.get(plan.output) if plan.output is not None else None


def _explain(node, inputs: list[torch.Tensor], error: Exception) -> str:
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    got = " and ".join(format_shape(tuple(v.shape)) for v in inputs)
    expected = spec_for(node.type).describe_expected(node.args)
    wanted = f"expects {expected}, " if expected else ""
    return f"{describe_node(node)} {wanted}got {got}: {reason}"


def _count(document: Document, built: BuiltModel, report: ShapeReport) -> None:
    for _, node in document.walk():
        result = report.nodes.setdefault(node.id, NodeShape(waiting_for=INPUT))
        module = built.modules[node.id]
        result.shared = node.shares is not None
        for parameter in module.parameters():
            if isinstance(parameter, UninitializedParameter):
                result.lazy = True
            else:
                result.parameters += parameter.numel()
        result.buffers = sum(b.numel() for b in module.buffers()
                             if not isinstance(b, nn.parameter.UninitializedBuffer))
    for parameter in built.module.parameters():
        if isinstance(parameter, UninitializedParameter):
            continue
        report.parameters += parameter.numel()
        if parameter.requires_grad:
            report.trainable += parameter.numel()
    report.buffers = sum(b.numel() for b in built.module.buffers()
                         if not isinstance(b, nn.parameter.UninitializedBuffer))
