"""The items of the tuple a node returns, by name, for the canvas to offer one port each
(LSTM: "output" and "(h_n, c_n)"). Data only: which item a port picks is a `GetItem`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.catalog.registry import CATALOG

# More pieces than this would crowd a card; the tuple is still there on the main port.
MOST_ITEMS = 8

# Port labels shorter than the catalog's item names, where those are long.
_SHORT = {"attn_output_weights": "attn_weights"}


def output_items(node_type: str, args: Mapping[str, Any]) -> tuple[str, ...]:
    """The names of the items a node of ``node_type`` with ``args`` returns, in order;
    empty when it returns one tensor, or when the count depends on the input's shape
    (``split`` by one size)."""
    if node_type == "Chunk":
        count = args.get("chunks")
        return _pieces(count) if isinstance(count, int) else ()
    if node_type == "Split":
        sizes = args.get("split_size")
        return _pieces(len(sizes)) if isinstance(sizes, (list, tuple)) else ()
    spec = CATALOG.get(node_type)
    if spec is None or not spec.returns_tuple:
        return ()
    return tuple(_SHORT.get(name, name) for name in spec.outputs[:MOST_ITEMS])


def _pieces(count: int) -> tuple[str, ...]:
    return tuple(f"[{i}]" for i in range(count)) if 1 < count <= MOST_ITEMS else ()
