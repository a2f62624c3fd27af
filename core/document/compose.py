"""Writing documents in code: chains, blocks and twins in a few lines.

Templates, tests and benchmarks use this; the GUI edits through `core.document.edit`.
"""

from __future__ import annotations

import itertools
from typing import Any

from core.catalog.registry import spec_for
from core.document.graph import (
    BLOCK,
    INPUT,
    OUTPUT,
    SEQUENTIAL,
    Document,
    Edge,
    Graph,
    InputSpec,
    Node,
)


class Composer:
    """Hands out node ids and wires nodes into chains."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)

    def layer(self, layer_type: str, name: str = "", shares: Node | None = None,
              **args: Any) -> Node:
        if shares is not None:
            args = dict(shares.args)
        return Node(f"n{next(self._ids)}", layer_type,
                    spec_for(layer_type).validate_args(args), name,
                    shares.id if shares is not None else None)

    def twin(self, owner: Node, name: str = "") -> Node:
        """Another use of ``owner``'s module."""
        return self.layer(owner.type, name=name, shares=owner)

    def block(self, *nodes: Node, name: str = "", container: str = SEQUENTIAL,
              class_name: str = "") -> Node:
        return Node(f"n{next(self._ids)}", BLOCK, name=name,
                    graph=chain(*nodes, container=container, class_name=class_name))

    def document(self, *nodes: Node, input_shape: tuple[int, ...] = (2, 20),
                 container: str = SEQUENTIAL, class_name: str = "", title: str = "",
                 description: str = "", dtype: str = "float32") -> Document:
        return Document(root=chain(*nodes, container=container, class_name=class_name),
                        input=InputSpec(tuple(input_shape), dtype), title=title,
                        description=description)


def chain(*nodes: Node, container: str = SEQUENTIAL, class_name: str = "") -> Graph:
    """A graph whose nodes run one after another from input to output."""
    ids = [INPUT] + [node.id for node in nodes] + [OUTPUT]
    edges = [Edge(src, dst) for src, dst in itertools.pairwise(ids)]
    return Graph(nodes=list(nodes), edges=edges, container=container, class_name=class_name)
