"""Reading files nobody vouches for: regular files only, within a memory budget, and
JSON counted and measured before it is parsed.

A hostile file can be a named pipe that never answers, ``/dev/zero`` that never ends,
or a few kilobytes that expand to gigabytes. Every loader opens its file through
`open_regular`, sizes whatever it builds against `expansion_budget`, and parses JSON
through `load_json`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.errors import InvalidFormatError

# What a loader may build per byte of the file it reads, and at least (e.g. a small
# project whose deflated weights are mostly zeros).
MEMORY_PER_FILE_BYTE = 32
MEMORY_FLOOR = 128 << 20


class RefusedFileError(InvalidFormatError):
    """A file, or a part of one, that TorchCanvas will not read: not a regular file,
    compressed in a way it does not read, or asking for more memory than it may take."""


def machine_memory() -> int:
    """Memory this machine can still give (Linux's MemAvailable, else all of it)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    with contextlib.suppress(OSError, ValueError, AttributeError):
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return 8 << 30


def expansion_budget(file_size: int) -> int:
    """The most bytes a loader may build from a file of ``file_size`` bytes beyond the
    file itself (decompressed members, parsed JSON): a multiple of the file with a
    floor, and never more than half of what the machine has free."""
    return min(max(MEMORY_PER_FILE_BYTE * file_size, MEMORY_FLOOR), machine_memory() // 2)


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"),
          (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
          (stat.S_ISSOCK, "a socket"))


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


@contextlib.contextmanager
def open_regular(path: str | os.PathLike[str]) -> Iterator[tuple[io.BufferedReader, int]]:
    """The file at ``path`` opened for reading, and its size, if it is a regular file.

    A named pipe is never opened (opening one waits for a writer), a device or a folder
    is refused; the file is opened without waiting and checked again once open, so a
    file swapped for a pipe in between is refused too."""
    name = Path(path).name or str(path)
    try:
        before = os.stat(path)
        if not stat.S_ISREG(before.st_mode):
            raise RefusedFileError(f"{name} is {_kind(before.st_mode)}, not a file")
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                         | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise RefusedFileError(f"cannot read {name}: {error.strerror or error}") from None
    try:
        after = os.fstat(handle)
        if not stat.S_ISREG(after.st_mode) or (after.st_dev, after.st_ino) != (
                before.st_dev, before.st_ino):
            raise RefusedFileError(f"{name} changed while it was being opened")
        stream = os.fdopen(handle, "rb")
    except BaseException:
        os.close(handle)
        raise
    with stream:
        yield stream, after.st_size


def read_into_tensor(stream: io.BufferedIOBase, size: int, what: str) -> torch.Tensor:
    """``size`` bytes from ``stream`` as a uint8 tensor, read into memory nothing has
    touched yet (a zero-filled buffer would be filled twice, seconds on a big file)."""
    buffer = allocate(size, what)
    if size:
        view = buffer.numpy().data
        got = 0
        while got < size:
            count = stream.readinto(view[got:])
            if not count:
                raise InvalidFormatError(f"{what} is cut short ({got} of {size} bytes)")
            got += count
    return buffer


def allocate(size: int, what: str) -> torch.Tensor:
    """An uninitialized uint8 buffer, or a typed error when the machine has no room."""
    try:
        return torch.empty(size, dtype=torch.uint8)
    except (RuntimeError, MemoryError):
        raise RefusedFileError(f"{what} needs {size} bytes, more memory than is free") \
            from None


# JSON ---------------------------------------------------------------------------------

_STRUCTURE = bytes.maketrans(b'"[{]}', b"\x01\x02\x02\x03\x03")
_IGNORED = bytes(c for c in range(256) if c not in b'"[{]}')


def load_json(data: bytes, what: str, *, max_bytes: int, max_depth: int,
              max_values: int) -> Any:
    """Parse untrusted UTF-8 JSON after checking, without parsing it, that it is at most
    ``max_bytes`` long, nests at most ``max_depth`` deep and holds at most about
    ``max_values`` values, so what the parser builds is bounded by the caller.
    Raises `InvalidFormatError` naming ``what``."""
    if len(data) > max_bytes:
        raise InvalidFormatError(f"{what} is larger than {_size(max_bytes)}")
    # Every value after the first in a list or object follows a comma; counted over the
    # whole text (strings too), which can only overcount.
    values = data.count(b",") + data.count(b"[") + data.count(b"{") + 1
    if values > max_values:
        raise InvalidFormatError(f"{what} holds more than {max_values:,} values")
    depth = nesting(data) if data.count(b"[") + data.count(b"{") > max_depth else 0
    if depth > max_depth:
        raise InvalidFormatError(f"{what} nests more than {max_depth} deep")
    try:
        text = data.decode("utf-8-sig")
        return json.loads(text)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InvalidFormatError(f"{what} is not valid JSON: {reason[:120]}") from None
    except MemoryError:
        raise RefusedFileError(f"{what} needs more memory than is free") from None


def nesting(data: bytes) -> int:
    """How deep the lists and objects of JSON text nest, brackets inside strings not
    counted; done with bytes and numpy operations, so a 64 MB text takes ~0.2 s."""
    # A backslash inside a string always escapes the next character: pairs of escaped
    # backslashes go first, then escaped quotes, leaving only quotes that delimit.
    plain = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    events = np.frombuffer(plain.translate(_STRUCTURE, _IGNORED), dtype=np.uint8)
    del plain
    if not events.size:
        return 0
    inside = np.bitwise_xor.accumulate(events == 1)  # after an odd number of quotes
    brackets = events[(events != 1) & ~inside]
    if not brackets.size:
        return 0
    steps = np.where(brackets == 2, 1, -1).astype(np.int32)
    return int(np.cumsum(steps).max())


def _size(count: int) -> str:
    return f"{count >> 20} MB" if count >= 1 << 20 else f"{count:,} bytes"
