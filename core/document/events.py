"""A tiny observer: the document announces each change as a small named event."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Callback = Callable[..., Any]


class Event:
    """One kind of announcement, with the callbacks that listen for it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._callbacks: list[Callback] = []
        self._blocked = 0

    def connect(self, callback: Callback) -> Callback:
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callback) -> None:
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, *args: Any) -> None:
        if self._blocked:
            return
        for callback in list(self._callbacks):
            callback(*args)

    @contextmanager
    def blocked(self) -> Iterator[None]:
        """Silence this event, e.g. while a view writes into the model it mirrors."""
        self._blocked += 1
        try:
            yield
        finally:
            self._blocked -= 1

    def __len__(self) -> int:
        return len(self._callbacks)

    def __repr__(self) -> str:
        return f"Event({self.name!r}, {len(self._callbacks)} listeners)"


class DocumentEvents:
    """The fine-grained events a `Document` emits.

    Each event carries the ids a view needs to redraw just what changed:

    - ``node_added(graph_id, node_id)`` and ``node_removed(graph_id, node_id)``
    - ``edge_added(graph_id, edge)`` and ``edge_removed(graph_id, edge)``
    - ``args_changed(node_id)``: arguments, name or sharing of one node
    - ``node_moved(node_id)``: a view hint (position) changed
    - ``structure_changed()``: anything that changes what the built module is
    - ``input_changed()``: the document's input shape or dtype
    - ``weights_changed()``, ``device_changed()``: for the live model (later issues)
    """

    NAMES = (
        "node_added",
        "node_removed",
        "edge_added",
        "edge_removed",
        "args_changed",
        "node_moved",
        "structure_changed",
        "input_changed",
        "weights_changed",
        "device_changed",
    )

    def __init__(self) -> None:
        for name in self.NAMES:
            setattr(self, name, Event(name))

    def __iter__(self) -> Iterator[Event]:
        return (getattr(self, name) for name in self.NAMES)

    @contextmanager
    def blocked(self) -> Iterator[None]:
        """Silence every event at once."""
        events = list(self)
        for event in events:
            event._blocked += 1
        try:
            yield
        finally:
            for event in events:
                event._blocked -= 1
