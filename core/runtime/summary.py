"""The model summary: one row per module with its output shape, parameters, buffers,
memory and multiply-accumulates (from `torch.utils.flop_counter`, on the meta device),
and totals in which shared parameters count once."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from core.catalog.registry import spec_for
from core.document.graph import Document
from core.errors import TorchCanvasError
from core.runtime.build import build
from core.runtime.inspect import layer_rows
from core.runtime.report import ShapeReport, format_shape
from core.runtime.shape_rules import COUNTED, rule_macs, rule_sizes
from core.runtime.shapes import DTYPES, infer_shapes, meta_layer


@dataclass
class SummaryRow:
    node_id: str
    name: str
    type: str
    depth: int
    output_shape: tuple[int, ...] | None
    parameters: int
    trainable: int
    buffers: int
    memory: int
    macs: int | None
    shared: bool


@dataclass
class ModelSummary:
    rows: list[SummaryRow] = field(default_factory=list)
    parameters: int = 0
    trainable: int = 0
    buffers: int = 0
    memory: int = 0
    macs: int | None = None
    output_shape: tuple[int, ...] | None = None
    error: str | None = None

    def text(self, title: str = "") -> str:
        header = ("Module", "Type", "Output shape", "Params", "Trainable", "Buffers",
                  "Memory", "MACs")
        table: list[tuple[str, ...]] = [header]
        for row in self.rows:
            table.append(("  " * row.depth + row.name, row.type, format_shape(row.output_shape),
                          f"{row.parameters:,}" + (" (shared)" if row.shared else ""),
                          f"{row.trainable:,}", f"{row.buffers:,}", _bytes(row.memory),
                          "?" if row.macs is None else f"{row.macs:,}"))
        table.append(("Total", "", format_shape(self.output_shape), f"{self.parameters:,}",
                      f"{self.trainable:,}", f"{self.buffers:,}", _bytes(self.memory),
                      "?" if self.macs is None else f"{self.macs:,}"))
        widths = [max(len(r[i]) for r in table) for i in range(len(header))]
        lines = [title] if title else []
        for index, cells in enumerate(table):
            if index in (1, len(table) - 1):
                lines.append("  ".join("─" * w for w in widths))
            lines.append("  ".join(cell.ljust(w) if i < 3 else cell.rjust(w)
                                   for i, (cell, w) in enumerate(zip(cells, widths,
                                                                     strict=True))))
        if self.error:
            lines.append(f"Problem: {self.error}")
        return "\n".join(lines)


def _bytes(count: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count} B"


def model_summary(document: Document) -> ModelSummary:
    """Never raises for a bad graph: the problem is in ``error``."""
    report = infer_shapes(document)
    summary = ModelSummary(output_shape=report.output_shape, error=report.first_error())
    if report.error is not None:
        return summary
    if _by_rules(document, report, summary):
        return summary
    try:
        built = build(document, device="meta", require_output_path=False)
    except TorchCanvasError as error:
        summary.error = str(error)
        return summary
    module = built.module.eval()
    flops: dict[str, int] = {}
    if report.ok:
        dummy = torch.empty(report.input_shape, device="meta",
                            dtype=DTYPES.get(document.input.dtype, torch.float32))
        try:
            with FlopCounterMode(display=False) as counter, torch.no_grad():
                module(dummy)
            root = type(module).__name__
            flops = {name.removeprefix(root).lstrip("."): sum(ops.values())
                     for name, ops in counter.get_flop_counts().items() if name != "Global"}
            summary.macs = counter.get_total_flops() // 2
        except Exception as error:  # flop counting is a bonus; shapes already passed
            summary.error = f"multiply-accumulates not counted: {error}"
    counted: set[int] = set()
    for row in layer_rows(document, report):
        node_module = built.modules[row.node_id]
        tensors = list(node_module.parameters()) + list(node_module.buffers())
        memory = sum(t.numel() * t.element_size() for t in tensors
                     if not torch.nn.parameter.is_lazy(t))
        trainable = sum(p.numel() for p in node_module.parameters() if p.requires_grad and
                        not isinstance(p, torch.nn.parameter.UninitializedParameter))
        shape = report.nodes.get(row.node_id)
        summary.rows.append(SummaryRow(
            row.node_id, row.name, row.type, row.depth, row.output_shape, row.parameters,
            trainable, shape.buffers if shape else 0, memory,
            flops.get(row.name, 0) // 2 if flops else None, row.shared))
        if row.depth == 0 or document.node(row.node_id).graph is None:
            for tensor in tensors:
                if id(tensor) not in counted and not torch.nn.parameter.is_lazy(tensor):
                    counted.add(id(tensor))
                    summary.memory += tensor.numel() * tensor.element_size()
    summary.parameters, summary.trainable = report.parameters, report.trainable
    summary.buffers = report.buffers
    return summary


def _by_rules(document: Document, report: ShapeReport, summary: ModelSummary) -> bool:
    """Fill ``summary`` from the dry run alone when every node is a layer of its own
    whose multiply-accumulates follow from its arguments and shapes (Linear,
    convolutions, norms, pools and the layers without parameters): what building the
    network on meta and counting a forward pass would give, without either — a
    10,000-layer summary in well under a second. False, untouched, otherwise."""
    if not report.ok:
        return False
    for _, node in document.walk():
        spec = spec_for(node.type) if node.graph is None and node.shares is None else None
        if spec is None or spec.factory_path not in COUNTED or spec.form not in (
                "module", "expression"):  # an expression (Add, Concat) is one of them
            return False
        if _first_input(report, node.id) is None and \
                rule_sizes(spec.factory_path, node.args, None) is None:
            return False  # not run: its memory would need the module as built
    total = 0
    for row in layer_rows(document, report):
        shape = report.nodes[row.node_id]
        inputs = _first_input(report, row.node_id)
        node = document.node(row.node_id)
        factory = spec_for(node.type).factory_path
        macs = rule_macs(factory, node.args, inputs, shape.output_shape) \
            if inputs and shape.output_shape else 0
        total += macs
        if rule_sizes(factory, node.args, inputs) is not None:
            memory = 4 * (shape.parameters + shape.buffers)  # float32
        else:
            assert inputs is not None
            memory = _memory(node.type, tuple(sorted(node.args.items())), inputs)
        summary.rows.append(SummaryRow(
            row.node_id, row.name, row.type, row.depth, row.output_shape, row.parameters,
            shape.trainable, shape.buffers, memory, macs, row.shared))
        summary.memory += memory
    summary.macs = total
    summary.parameters, summary.trainable = report.parameters, report.trainable
    summary.buffers = report.buffers
    return True


@functools.lru_cache(maxsize=4096)
def _memory(layer_type: str, args: tuple[tuple[str, Any], ...], shape: tuple[int, ...]) -> int:
    """Bytes of a layer's parameters and buffers once a call on ``shape`` has sized it."""
    module = meta_layer(layer_type, dict(args), shape)
    return sum(t.numel() * t.element_size()
               for t in (*module.parameters(), *module.buffers())
               if not torch.nn.parameter.is_lazy(t))


def _first_input(report: ShapeReport, node_id: str) -> tuple[int, ...] | None:
    found = report.nodes.get(node_id)
    if found is None or not found.input_shapes or not isinstance(found.input_shapes[0], tuple):
        return None
    first = found.input_shapes[0]
    return first if all(isinstance(size, int) for size in first) else None
