"""How much the live model may allocate: a design too large for this machine is refused
before anything is allocated (the dry run on meta knows its size for free)."""

from __future__ import annotations

import os

from core.errors import BuildError
from core.runtime.report import ShapeReport

SHARE_OF_MEMORY = 0.7
# Modules of layers no longer in the network, kept so that undo finds their weights: past
# this, the least recently used go (an untouched one is rebuilt from its seed, bit for
# bit; one whose weights changed is written to a temporary file first).
CACHE_BUDGET = 64 << 20
# Copies of tensors that undo puts back (an initializer, loaded or trained weights): past
# this share of memory (at most UNDO_MAX), they are written to a temporary file.
UNDO_SHARE = 1 / 16
UNDO_MAX = 1 << 30
# A copy is not written to disk when it would leave less free space than this there:
# that step then cannot be undone, and the person is told.
DISK_RESERVE = 2 << 30


def physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 16 << 30


def _override(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(float(value)) if value else default


def memory_budget() -> int:
    """Bytes the live model may use: a share of this machine's physical memory."""
    return _override("TORCHCANVAS_MEMORY_BUDGET", int(physical_memory() * SHARE_OF_MEMORY))


def cache_budget() -> int:
    """Bytes of parameters and buffers the live model may hold in modules of layers that
    are no longer in the network."""
    return _override("TORCHCANVAS_CACHE_BUDGET", CACHE_BUDGET)


def undo_budget() -> int:
    """Bytes of undo copies of tensors held in memory, all commands together."""
    return _override("TORCHCANVAS_UNDO_BUDGET",
                     min(int(physical_memory() * UNDO_SHARE), UNDO_MAX))


def disk_reserve() -> int:
    return _override("TORCHCANVAS_DISK_RESERVE", DISK_RESERVE)


def check_fits(size_bytes: int, what: str = "this network",
               purpose: str = "for its weights") -> None:
    """Raise `BuildError` when ``size_bytes`` would not fit the budget."""
    budget = memory_budget()
    if size_bytes > budget:
        raise BuildError(f"{what} needs {size_bytes / 2**30:,.1f} GiB {purpose}, more "
                         f"than the {budget / 2**30:,.1f} GiB this machine can give it; "
                         "nothing was allocated")


def tensor_bytes(shape: tuple[int, ...] | list[int] | None, item_bytes: int = 4) -> int:
    """The bytes of a tensor of ``shape`` (of every tensor, for a tuple of shapes)."""
    if shape and isinstance(shape[0], (tuple, list)):
        return sum(tensor_bytes(part, item_bytes) for part in shape)
    count = 1
    for size in shape or ():
        count *= max(int(size), 0)
    return count * item_bytes


def forward_bytes(report: ShapeReport) -> int:
    """What one forward pass with gradients may hold at once: its input and every node's
    output (autograd keeps them for the backward pass)."""
    return tensor_bytes(report.input_shape) + sum(
        tensor_bytes(shape.output_shape) for shape in report.nodes.values())


def check_run_fits(weights_bytes: int, report: ShapeReport | None) -> None:
    """Raise `BuildError` when running the model on a sample would not fit."""
    if report is not None:
        check_fits(weights_bytes + forward_bytes(report), "a forward pass",
                   f"for the weights and the activations of input "
                   f"{tuple(report.input_shape)}")
