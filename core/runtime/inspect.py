"""Rows and totals for summaries of a document's layers."""

from __future__ import annotations

from dataclasses import dataclass

from core.document.graph import Document
from core.runtime.plan import SEQUENTIAL_KIND, ModulePlan, plan_document
from core.runtime.shapes import ShapeReport, infer_shapes


@dataclass
class LayerRow:
    """One layer as a summary shows it; ``name`` is the qualified attribute path."""

    node_id: str
    name: str
    type: str
    output_shape: tuple[int, ...] | None
    parameters: int
    shared: bool
    depth: int
    error: str | None


def layer_rows(document: Document, report: ShapeReport | None = None) -> list[LayerRow]:
    """Every node in the order the model runs it, blocks before their contents."""
    report = report or infer_shapes(document)
    plan = plan_document(document)
    rows: list[LayerRow] = []
    _rows(document, plan, report, "", 0, rows)
    return rows


def _ordered(document: Document, plan: ModulePlan) -> list[str]:
    if plan.kind == SEQUENTIAL_KIND:
        return [node_id for _, node_id in plan.attributes]
    called = [call.node_id for call in plan.calls]
    graph = document.graph(plan.graph_id)
    return called + [node.id for node in graph.nodes if node.id not in called]


def _rows(document: Document, plan: ModulePlan, report: ShapeReport, prefix: str,
          depth: int, rows: list[LayerRow]) -> None:
    for node_id in _ordered(document, plan):
        node = document.node(node_id)
        shape = report.nodes.get(node_id)
        name = prefix + plan.names[node_id]
        rows.append(LayerRow(
            node_id=node_id,
            name=name,
            type=_block_type(plan.blocks[node_id]) if node_id in plan.blocks else node.type,
            output_shape=shape.output_shape if shape else None,
            parameters=shape.parameters if shape else 0,
            shared=node.shares is not None,
            depth=depth,
            error=shape.error if shape else None,
        ))
        if node_id in plan.blocks:
            _rows(document, plan.blocks[node_id], report, name + ".", depth + 1, rows)


def _block_type(plan: ModulePlan) -> str:
    return "Sequential" if plan.kind == SEQUENTIAL_KIND else plan.class_name


def summary_dict(document: Document, input_shape: tuple[int, ...] | None = None) -> dict:
    """The numbers ``torchcanvas summary --json`` prints."""
    report = infer_shapes(document, input_shape)
    rows = layer_rows(document, report) if report.error is None else []
    return {
        "title": document.title,
        "input_shape": list(report.input_shape),
        "output_shape": list(report.output_shape) if report.output_shape is not None else None,
        "parameters": report.parameters,
        "trainable": report.trainable,
        "buffers": report.buffers,
        "error": report.first_error(),
        "layers": [
            {
                "name": row.name,
                "type": row.type,
                "output_shape": None if row.output_shape is None else list(row.output_shape),
                "parameters": row.parameters,
                "shared": row.shared,
                "depth": row.depth,
                **({"error": row.error} if row.error else {}),
            }
            for row in rows
        ],
    }


def summary_text(document: Document, input_shape: tuple[int, ...] | None = None) -> str:
    data = summary_dict(document, input_shape)
    header = ("Layer", "Type", "Output shape", "Parameters")
    table = [header] + [
        ("  " * layer["depth"] + layer["name"], layer["type"],
         _shape(layer["output_shape"]),
         f"{layer['parameters']:,}" + (" (shared)" if layer["shared"] else ""))
        for layer in data["layers"]
    ]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    lines = [f"{data['title'] or 'Network'} — input {_shape(data['input_shape'])}"]
    rule = "  ".join("─" * w for w in widths)
    for index, row in enumerate(table):
        lines.append("  ".join(cell.ljust(w) if i < 3 else cell.rjust(w)
                               for i, (cell, w) in enumerate(zip(row, widths, strict=True))))
        if index == 0:
            lines.append(rule)
    lines.append(rule)
    lines.append(f"Output shape: {_shape(data['output_shape'])}")
    lines.append(f"Parameters: {data['parameters']:,} ({data['trainable']:,} trainable; "
                 "shared parameters counted once)")
    lines.append(f"Buffers: {data['buffers']:,} values")
    if data["error"]:
        lines.append(f"Problem: {data['error']}")
    return "\n".join(lines)


def _shape(shape) -> str:
    return "?" if shape is None else "(" + ", ".join(map(str, shape)) + ")"


__all__ = ["LayerRow", "layer_rows", "summary_dict", "summary_text"]
