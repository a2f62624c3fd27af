"""Giving freed memory back to the system. glibc's allocator raises its threshold for
serving big blocks from the heap each time one is freed, so the weights of layers the
live model let go stay counted against the process; trimming returns them."""

from __future__ import annotations

import ctypes
import sys
import threading

TRIM_AFTER = 32 << 20  # bytes let go between two trims

_lock = threading.Lock()
_freed = 0
_libc: ctypes.CDLL | None = None
if sys.platform.startswith("linux"):
    try:
        _libc = ctypes.CDLL("libc.so.6")
        _libc.malloc_trim  # noqa: B018 — glibc only (musl has none)
    except (OSError, AttributeError):
        _libc = None


def let_go(size: int) -> None:
    """``size`` bytes were freed; once enough were, hand free memory back."""
    global _freed
    with _lock:
        _freed += size
        if _freed < TRIM_AFTER:
            return
        _freed = 0
    if _libc is not None:
        _libc.malloc_trim(0)
