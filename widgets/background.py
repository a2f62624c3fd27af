"""Work off the GUI thread: a function runs on the thread pool and its result comes
back to the GUI thread as a signal."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _Relay(QObject):
    finished = Signal(object)
    failed = Signal(object)


def _done() -> None:
    return None


class _Job(QRunnable):
    def __init__(self, function: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.function = function
        self.relay = relay

    def run(self) -> None:
        # PySide keeps the runnable itself alive after it ran: drop what the job holds
        # (a histogram's tensor, a snapshot) so that it is freed now.
        function, self.function = self.function, _done
        try:
            result = function()
        except Exception as error:  # reported to the GUI thread, never lost
            self._send(self.relay.failed, error)
            return
        self._send(self.relay.finished, result)

    @staticmethod
    def _send(signal, value) -> None:
        # RuntimeError: the window that asked has closed, and nobody waits for the answer.
        with contextlib.suppress(RuntimeError):
            signal.emit(value)


class Background(QObject):
    """Runs one kind of job; only the newest request's result is delivered."""

    def __init__(self, on_result: Callable[[Any], None],
                 on_error: Callable[[Exception], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.on_result = on_result
        self.on_error = on_error
        self.generation = 0
        self.delivered = 0
        self._relays: dict[int, _Relay] = {}

    @property
    def idle(self) -> bool:
        return self.delivered == self.generation

    def submit(self, function: Callable[[], Any]) -> int:
        self.generation += 1
        generation = self.generation
        relay = _Relay()
        relay.finished.connect(lambda result, g=generation: self._deliver(g, result, None))
        relay.failed.connect(lambda error, g=generation: self._deliver(g, None, error))
        self._relays[generation] = relay
        QThreadPool.globalInstance().start(_Job(function, relay))
        return generation

    def _deliver(self, generation: int, result: Any, error: Exception | None) -> None:
        if not shiboken6.isValid(self):
            return  # the window that asked has been closed and deleted
        self._relays.pop(generation, None)
        if generation != self.generation:
            return  # a newer request is on its way; this answer is stale
        self.delivered = generation
        if error is not None:
            self.on_error(error)
        else:
            self.on_result(result)
