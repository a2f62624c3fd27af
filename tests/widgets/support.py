"""Small helpers shared by the widget tests."""

from __future__ import annotations

from core.catalog.registry import spec_for
from core.document.graph import INPUT, OUTPUT, Document, Edge, Graph, Node
from core.workspace import Workspace


def one_layer(layer_type: str, **args) -> Document:
    """input → n1 (``layer_type`` with ``args``, the rest defaults) → output."""
    node = Node("n1", layer_type, spec_for(layer_type).validate_args(args))
    return Document(root=Graph([node], [Edge(INPUT, "n1"), Edge("n1", OUTPUT)]))


def steps(workspace: Workspace) -> int:
    """How many commands the history holds (applied since the start)."""
    return workspace.history.position()[0]
