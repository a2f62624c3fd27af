"""Atomic file writes: a crash or a full disk never harms the file that was there."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from core.errors import TorchCanvasError


class Cancelled(TorchCanvasError):
    """The person cancelled; whatever was being written was removed."""


class SaveError(TorchCanvasError):
    """A file could not be written; the file that was there is untouched."""


def write_atomically(path: str | os.PathLike[str], write: Callable[[BinaryIO], object]) -> None:
    """Write through ``write(stream)`` to a temporary file, fsync it, then rename it
    over ``path`` and fsync the folder. Raises `SaveError` saying why."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                             dir=folder)
    except OSError as error:
        raise SaveError(f"cannot write in {folder}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise SaveError(f"cannot save {target.name}: {error.strerror or error}") from None
        raise
    _remove_stale_temporaries(folder, target.name)
    with contextlib.suppress(OSError):
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


STALE_AFTER_SECONDS = 120


def _remove_stale_temporaries(folder: Path, name: str) -> None:
    """Temporary files a killed writer left beside ``name`` (a write in progress is
    never that old)."""
    now = time.time()
    for leftover in folder.glob(f".{name}.*.tmp"):
        with contextlib.suppress(OSError):
            if now - leftover.stat().st_mtime > STALE_AFTER_SECONDS:
                leftover.unlink()
