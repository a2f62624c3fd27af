"""What a tensor held before a command changed it, kept for undo within a memory budget.

A tensor whose module still has the weights it was made with needs no copy: undo makes
that module again from its seed (`AsMade`). Other copies are held in memory while all
of them together stay within `undo_budget`; past it a copy is written to a temporary
safetensors file instead (`core.runtime.spill`). Where the disk has no room either,
`UndoRefused` says so and the command that asked cannot be undone. A copy's memory or
file is given back when the copy is dropped, which happens when its undo step is
undone, dropped from the history or the history is cleared."""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterable

import torch

from core.errors import TorchCanvasError
from core.runtime.limits import undo_budget
from core.runtime.live import Key, LiveModel, TensorAddress
from core.runtime.spill import Spilled, SpillError

_lock = threading.Lock()
_held = 0


class UndoRefused(TorchCanvasError):
    """A copy for undo fits neither the memory budget nor the disk."""


def held_in_memory() -> int:
    """Bytes of undo copies in memory now, all commands together."""
    return _held


def saved_for_undo(live: LiveModel, tensor: torch.Tensor,
                   address: TensorAddress | None) -> SavedTensor | AsMade:
    """What undo needs to give ``tensor`` back (raises `UndoRefused`)."""
    if address is not None and live.untouched(address):
        return AsMade(live, address)
    return SavedTensor(tensor)


class AsMade:
    """A tensor as its module was made: nothing is kept, undo makes it again."""

    on_disk = False

    def __init__(self, live: LiveModel, address: TensorAddress) -> None:
        self.live, self.address = live, address

    def restore(self, tensor: torch.Tensor,
                made: dict[Key, dict[str, torch.Tensor]] | None = None) -> None:
        """Put the made values back; ``made`` holds the module last made again, so
        its other tensors need not make it once more."""
        made = {} if made is None else made
        if self.address.key not in made:
            made.clear()  # one module made again at a time
            made[self.address.key] = self.live.made_tensors(self.address.key)
        with torch.no_grad():
            tensor.copy_(made[self.address.key][self.address.name])


def restore_all(live: LiveModel, saved: Iterable[
        tuple[TensorAddress | torch.Tensor, SavedTensor | AsMade]]) -> None:
    """Give every tensor back what it held (found by its address where it has one)."""
    made: dict[Key, dict[str, torch.Tensor]] = {}
    as_made: set[Key] = set()
    for target, copy in saved:
        tensor = live.tensor_at(target) if isinstance(target, TensorAddress) else target
        if isinstance(copy, AsMade):
            copy.restore(tensor, made)
            as_made.add(copy.address.key)
        else:
            copy.restore(tensor)
    for key in as_made:  # every tensor the command changed is back: all as made again
        live.mark_as_made(key)


def kept_for_redo(state: dict[str, torch.Tensor | SavedTensor],
                  keys: list[str]) -> dict[str, torch.Tensor | SavedTensor]:
    """The incoming tensors of ``keys`` that a command applies again on redo, as copies
    within the undo budget (one that fits neither memory nor disk stays as it is)."""
    kept: dict[str, torch.Tensor | SavedTensor] = {}
    for key in keys:
        value = state[key]
        if isinstance(value, torch.Tensor):
            with contextlib.suppress(UndoRefused):
                value = SavedTensor(value)
        kept[key] = value
    return kept


def _give_back(size: int) -> None:
    global _held
    with _lock:
        _held -= size


class SavedTensor:
    """A bit-for-bit copy of one tensor, in memory or on disk."""

    def __init__(self, tensor: torch.Tensor) -> None:
        global _held
        size = tensor.numel() * tensor.element_size()
        self.copy: torch.Tensor | None = None
        self.file: Spilled | None = None
        with _lock:
            fits = _held + size <= undo_budget()
            if fits:
                _held += size
        if fits:
            weakref.finalize(self, _give_back, size)
            self.copy = tensor.detach().clone()
            return
        try:
            self.file = Spilled({"tensor": tensor})
        except SpillError as error:
            raise UndoRefused(
                f"a copy of {size / 2**20:,.0f} MiB is more than the {undo_budget() / 2**20:,.0f} "
                f"MiB kept in memory for undo, and {error}") from None

    @property
    def on_disk(self) -> bool:
        return self.file is not None

    def restore(self, tensor: torch.Tensor) -> None:
        """Put the saved values back into ``tensor`` in place."""
        with torch.no_grad():
            if self.copy is not None:
                tensor.copy_(self.copy)
            elif self.file is not None:
                self.file.read_into("tensor", tensor)
