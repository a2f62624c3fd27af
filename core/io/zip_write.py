"""Writing a project's zip: graph.json deflated, the weights stored and aligned.

The weights member's bytes start on a 64-byte boundary (the padding is an extra field,
as Android's zipalign writes it), so a reader can use its tensors where the file maps
them. Its CRC-32 is summed on a second thread while the file takes the same bytes, so
the sum costs no time where a core is free. What it writes is a plain zip (zip64 where
sizes need it) that any unzip reads.
"""

from __future__ import annotations

import struct
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

ALIGNMENT = 64
_ALIGN_TAG = 0xD935
_ZIP64_TAG = 0x0001
_LIMIT = 0xFFFFFFFF
_DEFLATED, _STORED = 8, 0
_MADE_BY = (3 << 8) | 45  # Unix, zip 4.5
_MODE = 0o600 << 16


@dataclass
class _Entry:
    name: bytes
    method: int
    crc: int
    compressed: int
    size: int
    offset: int
    stamp: tuple[int, int]


class ZipWriter:
    """Members written one after the other into ``stream`` (a new, seekable file);
    `close` writes the directory."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.entries: list[_Entry] = []
        self.position = stream.tell()
        self.stamp = _dos_time(time.localtime())

    def add_deflated(self, name: str, data: bytes) -> None:
        packer = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        packed = packer.compress(data) + packer.flush()
        entry = _Entry(name.encode(), _DEFLATED, zlib.crc32(data), len(packed), len(data),
                       self.position, self.stamp)
        self._write(_local_header(entry, b""))
        self._write(packed)
        self.entries.append(entry)

    def add_stored(self, name: str, size: int, write: Callable[[BinaryIO], None]) -> None:
        """A stored member of ``size`` bytes that ``write(stream)`` writes; its bytes
        start on an `ALIGNMENT` boundary."""
        entry = _Entry(name.encode(), _STORED, 0, size, size, self.position, self.stamp)
        zip64 = struct.pack("<HHQQ", _ZIP64_TAG, 16, size, size)
        start = self.position + 30 + len(entry.name) + len(zip64) + 6
        padding = -start % ALIGNMENT
        align = struct.pack("<HHH", _ALIGN_TAG, 2 + padding, ALIGNMENT) + b"\0" * padding
        self._write(_local_header(entry, zip64 + align))
        body = _Summing(self.stream)
        try:
            write(body)  # type: ignore[arg-type]
        finally:
            entry.crc = body.finish()
        if body.size != size:
            raise ValueError(f"{name}: {body.size} bytes written, {size} declared")
        self.position += size
        self.stream.seek(entry.offset + 14)
        self.stream.write(struct.pack("<I", entry.crc))
        self.stream.seek(self.position)
        self.entries.append(entry)

    def close(self) -> None:
        directory_start = self.position
        for entry in self.entries:
            self._write(_directory_entry(entry))
        directory_size = self.position - directory_start
        count = len(self.entries)
        if max(directory_start, directory_size) >= _LIMIT or count >= 0xFFFF:
            end64 = self.position
            self._write(struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, _MADE_BY, 45, 0, 0,
                                    count, count, directory_size, directory_start))
            self._write(struct.pack("<4sIQI", b"PK\x06\x07", 0, end64, 1))
            count, directory_size, directory_start = 0xFFFF, _LIMIT, _LIMIT
        self._write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count,
                                directory_size, directory_start, 0))

    def _write(self, data: bytes) -> None:
        self.stream.write(data)
        self.position += len(data)


class _Summing:
    """A stream that passes every write on and sums its CRC on a second thread, in
    order, while the file takes the same bytes (both let go of the GIL)."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.size = 0
        self.crc = 0
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="crc")

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        self.pool.submit(self._sum, view)
        self.stream.write(view)
        self.size += len(view)
        return len(view)

    def _sum(self, view: memoryview) -> None:
        self.crc = zlib.crc32(view, self.crc)

    def finish(self) -> int:
        self.pool.shutdown(wait=True)
        return self.crc


def _local_header(entry: _Entry, extra: bytes) -> bytes:
    stored = entry.method == _STORED and bool(extra)
    sizes = (_LIMIT, _LIMIT) if stored else (entry.compressed, entry.size)
    return struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 45 if stored else 20, 0,
                       entry.method, *entry.stamp, entry.crc, *sizes, len(entry.name),
                       len(extra)) + entry.name + extra


def _directory_entry(entry: _Entry) -> bytes:
    big = [value for value in (entry.size, entry.compressed) if value >= _LIMIT or
           entry.method == _STORED]
    if entry.offset >= _LIMIT:
        big.append(entry.offset)
    extra = struct.pack(f"<HH{len(big)}Q", _ZIP64_TAG, 8 * len(big), *big) if big else b""
    sizes = (_LIMIT, _LIMIT) if entry.method == _STORED else (entry.compressed, entry.size)
    offset = _LIMIT if entry.offset >= _LIMIT else entry.offset
    return struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", _MADE_BY,
                       45 if extra else 20, 0, entry.method, *entry.stamp, entry.crc,
                       *sizes, len(entry.name), len(extra), 0, 0, 0, _MODE,
                       offset) + entry.name + extra


def _dos_time(moment: time.struct_time) -> tuple[int, int]:
    year = max(moment.tm_year, 1980)
    return (moment.tm_hour << 11 | moment.tm_min << 5 | moment.tm_sec // 2,
            (year - 1980) << 9 | moment.tm_mon << 5 | moment.tm_mday)
