"""How much the live model may allocate: a design too large for this machine is refused
before anything is allocated (the dry run on meta knows its size for free)."""

from __future__ import annotations

import os

from core.errors import BuildError
from core.runtime.report import ShapeReport

SHARE_OF_MEMORY = 0.7


def memory_budget() -> int:
    """Bytes the live model may use: a share of this machine's physical memory."""
    override = os.environ.get("TORCHCANVAS_MEMORY_BUDGET")
    if override:
        return int(float(override))
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 16 << 30
    return int(total * SHARE_OF_MEMORY)


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
