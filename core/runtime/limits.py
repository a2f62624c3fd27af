"""How much the live model may allocate: a design too large for this machine is refused
before anything is allocated (the dry run on meta knows its size for free)."""

from __future__ import annotations

import os

from core.errors import BuildError

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


def check_fits(size_bytes: int, what: str = "this network") -> None:
    """Raise `BuildError` when ``size_bytes`` would not fit the budget."""
    budget = memory_budget()
    if size_bytes > budget:
        raise BuildError(f"{what} needs {size_bytes / 2**30:,.1f} GiB for its weights, more "
                         f"than the {budget / 2**30:,.1f} GiB this machine can give it; "
                         "nothing was allocated")
