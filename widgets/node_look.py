"""What a node item shows, worked out from the document and the latest dry run."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.catalog.outputs import output_items
from core.catalog.registry import spec_for
from core.catalog.sizing import describe_fix, fix_for
from core.document.graph import Document
from core.document.validate import input_range, untrusted_layers
from core.errors import TorchCanvasError
from core.runtime.plan import plan_document
from core.runtime.report import NodeShape, format_shape


@dataclass(frozen=True)
class NodeLook:
    """The strings and flags a node item paints; no document objects inside."""

    title: str
    detail: str
    shape: str
    parameters: str
    category: str
    error: str | None = None
    waiting: bool = False
    shared: bool = False
    twin_of: str = ""
    inputs: int = 1
    is_block: bool = False
    tooltip: str = ""
    # The argument changes that make a layer in error take its input ("set in_features
    # to 64"), offered as a one-click fix; empty when none is known.
    fix: tuple[tuple[str, object], ...] = ()
    # The items of the tuple the node returns, one small port each, and each port's
    # tooltip (the item's name and, once a dry run saw it, its shape).
    items: tuple[str, ...] = ()
    item_tips: tuple[str, ...] = ()


def count_text(count: int) -> str:
    if count >= 1_000_000_000:
        return f"{count / 1e9:.2f} B"
    if count >= 1_000_000:
        return f"{count / 1e6:.2f} M"
    return f"{count:,}"


class LookContext:
    """What every look needs from the whole document, worked out once per refresh."""

    def __init__(self, document: Document, light: bool = False,
                 labels: dict[str, str] | None = None) -> None:
        """``light`` skips what needs the whole document (names from the plan, twins),
        for drawing one new node at once; the next full refresh fills them in.
        ``labels`` are names from an earlier plan, to redraw a few nodes without
        lowering the document again (a refresh after the next dry run corrects them)."""
        self.document = document
        self.light = light
        self.untrusted = set(untrusted_layers(document)) if document.custom_layers else set()
        self.owners: set[str | None] = set()
        self.incoming: dict[str, dict[str, int]] = {}
        self.labels: dict[str, str] = dict(labels or {})
        if light:
            return
        self.owners = {n.shares for _, n in document.walk() if n.shares}
        if labels is not None:
            return
        try:
            for plan in plan_document(document).walk():
                self.labels.update(plan.names)
        except TorchCanvasError:
            pass

    def _incoming(self, node_id: str) -> int:
        graph_id = self.document.parent_of(node_id)
        if graph_id not in self.incoming:
            counts: dict[str, int] = {}
            for edge in self.document.graph(graph_id).edges:
                counts[edge.dst] = counts.get(edge.dst, 0) + 1
            self.incoming[graph_id] = counts
        return self.incoming[graph_id].get(node_id, 0)

    def look(self, node_id: str, shape: NodeShape | None) -> NodeLook:
        document = self.document
        node = document.node(node_id)
        name = node.name or self.labels.get(node_id, "")
        if node.graph is not None:
            graph = node.graph
            kind = graph.class_name or (
                "Sequential" if graph.container == "sequential" else "Block")
            title = f"{name} · {kind}" if name else kind
            count = len(graph.nodes)
            detail = f"block of {count} node{'s' if count != 1 else ''}"
            category, inputs = "Block", input_range(node)[0]
            help_text = "a nested module: click ▸ to expand it, double-click to open it"
        elif node.type in self.untrusted:
            title = f"{name} · {node.type}" if name else node.type
            return NodeLook(title, "its code is not trusted, so it was not run", "",
                            "", "My layers", "This layer's code has not been trusted; the "
                            "project is open read-only", tooltip="Layer code from the file, "
                            "not run: reopen the project and trust it to use this layer")
        else:
            spec = spec_for(node.type)
            title = f"{name} · {node.type}" if name else node.type
            detail = spec.key_args(node.args)
            category, help_text = spec.category, spec.help
            low, high = input_range(node)
            inputs = high if high is not None else max(low, self._incoming(node_id) + 1)
        shape_text, parameters, error, waiting = "", "", None, False
        if shape is not None:
            if shape.output_shape is not None:
                shape_text = "→ " + format_shape(shape.output_shape)
            elif shape.waiting_for:
                waiting = True
                shape_text = "→ ? (no input)" if shape.waiting_for == "input" else "→ ?"
            if shape.parameters:
                parameters = count_text(shape.parameters) + " params"
            elif shape.lazy:
                parameters = "lazy params"
            error = self._named(shape.error) if shape.error else None
        twin_of = ""
        if node.shares and document.has_node(node.shares):
            owner = document.node(node.shares)
            twin_of = owner.name or self.labels.get(owner.id, owner.id)
        shared = bool(node.shares) or node_id in self.owners
        # The card elides a long title or detail; the tooltip always has them whole.
        tooltip = " — ".join(t for t in (title, detail) if t) + "\n" + (error or help_text)
        fix: tuple[tuple[str, object], ...] = ()
        if error and shape is not None and shape.input_shapes and not node.is_block:
            fix = _fix(node, shape.input_shapes[0])
            if fix:
                tooltip += f"\nFix: {describe_fix(dict(fix))} (the Fix button in the status bar)"
        if shared:
            others = [t for t in document.twins(node_id) if t != node_id]
            tooltip += "\nshares one module (the same parameters) with " + ", ".join(
                self.labels.get(t, t) for t in others)
        items = () if node.graph is not None else output_items(node.type, node.args)
        return NodeLook(title, detail, shape_text, parameters, category, error, waiting,
                        shared, twin_of, inputs, node.graph is not None, tooltip, fix,
                        items, _item_tips(items, shape))

    def _named(self, message: str) -> str:
        """``message`` with the nodes it mentions by id ("node n3 (Linear)") named as
        the canvas names them ("fc1 · Linear")."""
        def name(match: re.Match) -> str:
            node_id, layer_type = match.group(1), match.group(2)
            if not self.document.has_node(node_id):
                return match.group(0)
            node = self.document.node(node_id)
            label = node.name or self.labels.get(node_id, "")
            kind = layer_type or node.type
            return f"{label} · {kind}" if label else kind
        return _NODE_MENTION.sub(name, message)



def _item_tips(items: tuple[str, ...], shape: NodeShape | None) -> tuple[str, ...]:
    """One tooltip per item port: "item 1: h_n (1, 2, 16)"; the shape when known."""
    found = shape.output_shape if shape is not None else None
    shapes = found if isinstance(found, tuple) and len(found) == len(items) and \
        all(isinstance(s, tuple) for s in found) else None
    return tuple(f"item {i}: {name}" + (f" {format_shape(shapes[i])}" if shapes else "")
                 + "\ndrag to a layer to feed it this item (a GetItem is added)"
                 for i, name in enumerate(items))


_NODE_MENTION = re.compile(r"\bnode ([A-Za-z_][\w.]*)(?: \(([\w.]+)\))?")


def _fix(node, input_shape) -> tuple[tuple[str, object], ...]:
    try:
        return tuple(fix_for(node.type, node.args, input_shape).items())
    except (KeyError, TorchCanvasError):
        return ()
