"""Atomic file writes: a crash or a full disk never harms the file that was there.

Only regular files and new paths are written: a device node, a FIFO or a folder at the
target is refused, never replaced. A replaced file keeps its permissions; a new one gets
what the umask gives. The temporary file is created exclusively (never through a link)
in the target's folder, under a name short enough for any legal target name."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from core.errors import TorchCanvasError


class Cancelled(TorchCanvasError):
    """The person cancelled; whatever was being written was removed."""


class SaveError(TorchCanvasError):
    """A file could not be written; the file that was there is untouched."""


NAME_MAX = 255
LARGE = 64 << 20  # a replaced file this large has its cached pages released first
STALE_AFTER_SECONDS = 120
_RANDOM = re.compile(r"[a-z0-9_]{8}")


def check_target(path: str | os.PathLike[str]) -> os.stat_result | None:
    """The status of the file at ``path`` (None for a new path); raises `SaveError` when
    something other than a regular file is there, for writers that cannot go through
    `write_atomically`."""
    target = Path(path)
    try:
        status = target.stat()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise SaveError(f"cannot save {target.name}: {error.strerror or error}") from None
    if not stat.S_ISREG(status.st_mode):
        raise SaveError(f"{target.name} is not a regular file ({_kind(status.st_mode)}); "
                        "only regular files or new paths are written")
    return status


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"


def temporary_prefix(name: str) -> str:
    """Temporary files for ``name`` are ``<prefix><8 random characters>.tmp``: the name
    itself when that fits the file-name limit, else a short digest of it."""
    prefix = f".{name}."
    if len(os.fsencode(f"{prefix}{'x' * 8}.tmp")) <= NAME_MAX:
        return prefix
    return f".tc-{hashlib.blake2b(os.fsencode(name), digest_size=8).hexdigest()}."


def _create_temporary(folder: Path, name: str) -> tuple[int, Path]:
    """A new file beside the target, opened for writing; ``O_EXCL`` means it is never an
    existing file or a link, and mode 0o666 lets the umask decide what others may do."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) \
        | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    prefix = temporary_prefix(name)
    for _ in range(100):
        temporary = folder / f"{prefix}{secrets.token_hex(4)}.tmp"
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {folder}")


def write_atomically(path: str | os.PathLike[str], write: Callable[[BinaryIO], object]) -> None:
    """Write through ``write(stream)`` to a temporary file, fsync it, then rename it
    over ``path`` and fsync the folder. Raises `SaveError` saying why."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    existing = check_target(target)
    if existing is not None and existing.st_size >= LARGE:
        _release_cache(target)
    try:
        handle, temporary = _create_temporary(folder, target.name)
    except OSError as error:
        raise SaveError(f"cannot write in {folder}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            if existing is not None and hasattr(os, "fchmod"):
                with contextlib.suppress(OSError):
                    os.fchmod(stream.fileno(), stat.S_IMODE(existing.st_mode) & 0o777)
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        check_target(target)  # something else may have appeared there meanwhile
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


def _release_cache(path: Path) -> None:
    """Let the system drop the cached pages of the file about to be replaced: writing a
    gigabyte beside a gigabyte of cache took three to five times the processor time of
    writing over it (measured for issue 14). Pages something has mapped stay."""
    if not hasattr(os, "posix_fadvise"):
        return
    with contextlib.suppress(OSError):
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                         | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0))
        try:
            if stat.S_ISREG(os.fstat(handle).st_mode):
                os.posix_fadvise(handle, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(handle)


def _remove_stale_temporaries(folder: Path, name: str) -> None:
    """Temporary files a killed writer left beside ``name`` (a write in progress is
    never that old). Names are compared, never globbed: a ``*`` or ``[`` in ``name``
    matches only itself."""
    now = time.time()
    prefix = temporary_prefix(name)
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            leftover = entry.name
            if not (leftover.startswith(prefix) and leftover.endswith(".tmp")
                    and _RANDOM.fullmatch(leftover[len(prefix):-len(".tmp")])):
                continue
            with contextlib.suppress(OSError):
                status = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(status.st_mode) and now - status.st_mtime > STALE_AFTER_SECONDS:
                    os.unlink(entry.path)
