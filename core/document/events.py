"""A tiny observer: the document announces each change as a small named event.

Listeners are held weakly when they are bound methods, so a view that goes away stops
listening by itself; plain functions are held as given. A listener that raises is
logged and skipped: the change it was told about has already happened and been
recorded, and the other listeners still hear of it.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Callback = Callable[..., Any]

log = logging.getLogger("torchcanvas")


# A listener: a bound method as its object (held weakly) and its function, called as
# ``function(object, *args)``; anything else as (None, the callable, held as given).
# Calling through the function makes no bound method per call: a delete of ten thousand
# nodes emits fifty thousand events.
Listener = tuple["weakref.ref[Any] | None", Callback]


def _reference(callback: Callback) -> Listener:
    owner = getattr(callback, "__self__", None)
    function = getattr(callback, "__func__", None)
    if owner is not None and function is not None:
        try:
            return weakref.ref(owner), function
        except TypeError:  # a method of an object that cannot be weakly referenced
            pass
    return None, callback


def _callback(listener: Listener) -> Callback | None:
    """The listener as a callable again (None once its object has gone)."""
    owner_ref, function = listener
    if owner_ref is None:
        return function
    owner = owner_ref()
    return None if owner is None else function.__get__(owner, type(owner))


class Event:
    """One kind of announcement, with the callbacks that listen for it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._listeners: list[Listener] = []
        self._blocked = 0

    def _live(self) -> list[Callback]:
        callbacks = [c for c in map(_callback, self._listeners) if c is not None]
        if len(callbacks) != len(self._listeners):
            self._listeners = [r for r in self._listeners if _callback(r) is not None]
        return callbacks

    def connect(self, callback: Callback) -> Callback:
        if callback not in self._live():
            self._listeners.append(_reference(callback))
        return callback

    def disconnect(self, callback: Callback) -> None:
        self._listeners = [r for r in self._listeners if _callback(r) not in (None, callback)]

    def emit(self, *args: Any) -> None:
        if self._blocked:
            return
        gone = False
        for owner_ref, function in tuple(self._listeners):  # as they were when it came
            try:
                if owner_ref is None:
                    function(*args)
                    continue
                owner = owner_ref()
                if owner is None:
                    gone = True
                    continue
                function(owner, *args)
            except Exception:
                log.exception("A listener of %s failed", self.name)
        if gone:
            self._live()

    @contextmanager
    def blocked(self) -> Iterator[None]:
        """Silence this event, e.g. while a view writes into the model it mirrors."""
        self._blocked += 1
        try:
            yield
        finally:
            self._blocked -= 1

    def __len__(self) -> int:
        return len(self._live())

    def __repr__(self) -> str:
        return f"Event({self.name!r}, {len(self)} listeners)"


class DocumentEvents:
    """The fine-grained events a `Document` emits.

    Each event carries the ids a view needs to redraw just what changed:

    - ``node_added(graph_id, node_id)`` and ``node_removed(graph_id, node_id)``
    - ``edge_added(graph_id, edge)`` and ``edge_removed(graph_id, edge)``
    - ``args_changed(node_id)``: arguments, name or sharing of one node, or the
      container of a block (or of the root graph, ``ROOT``)
    - ``node_moved(node_id)``: a view hint (position) changed
    - ``structure_changed()``: anything that changes what the built module is
    - ``input_changed()``: the document's input shape or dtype
    - ``weights_changed()``: tensors of the live model changed in place
    - ``device_changed()``: the device the document asks for
    - ``batch_started()`` and ``batch_finished()``: around the events of one command
      (see `batch`), so that a view can put off what it would redo after each of them
      (a delete or its undo tells ten thousand nodes and edges one by one) and do it
      once at the end
    """

    node_added: Event
    node_removed: Event
    edge_added: Event
    edge_removed: Event
    args_changed: Event
    node_moved: Event
    structure_changed: Event
    input_changed: Event
    weights_changed: Event
    device_changed: Event
    batch_started: Event
    batch_finished: Event

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
        "batch_started",
        "batch_finished",
    )

    def __init__(self) -> None:
        for name in self.NAMES:
            setattr(self, name, Event(name))
        self._batches = 0

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

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Tell ``batch_started`` before the events inside and ``batch_finished`` after
        them, even when the change inside fails; nested batches make one."""
        self._batches += 1
        if self._batches == 1:
            self.batch_started.emit()
        try:
            yield
        finally:
            self._batches -= 1
            if self._batches == 0:
                self.batch_finished.emit()
