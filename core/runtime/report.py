"""The results of a dry run, as plain data (no torch), for views and summaries."""

from __future__ import annotations

from dataclasses import dataclass, field

Shape = tuple[int, ...]
# A value's shape: a tensor's, or for a tuple of values (an LSTM's output and (h, c),
# a chunk's pieces) a tuple of their shapes.
ShapeTree = tuple  # tuple[int, ...] | tuple[ShapeTree, ...]


def is_tuple_shape(shape: ShapeTree | None) -> bool:
    """True for the shape of a tuple of values, not of one tensor."""
    return bool(shape) and isinstance(shape[0], tuple)  # type: ignore[index]


@dataclass
class NodeShape:
    """What the dry run learned about one node.

    ``parameters`` counts the node's own parameters; for a twin (``shared``) they are
    the owner's and are counted once, at the owner, in the totals. ``waiting_for`` names
    the node whose failure or missing input keeps this one from running (``"input"``
    when no path from the input reaches it).
    """

    output_shape: ShapeTree | None = None
    input_shapes: list[ShapeTree] = field(default_factory=list)
    parameters: int = 0
    trainable: int = 0
    buffers: int = 0
    shared: bool = False
    lazy: bool = False
    error: str | None = None
    waiting_for: str | None = None


@dataclass
class ShapeReport:
    input_shape: Shape
    nodes: dict[str, NodeShape] = field(default_factory=dict)
    output_shape: ShapeTree | None = None
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


def format_shape(shape: ShapeTree | None) -> str:
    """``(2, 3)``; a tuple of values as a tuple of shapes, ``((2, 5, 8), (1, 2, 8))``."""
    if shape is None:
        return "?"
    return "(" + ", ".join(format_shape(s) if isinstance(s, tuple) else str(s)
                           for s in shape) + ")"
