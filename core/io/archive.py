"""Zip archives from untrusted files, read member by member within bounds.

Only stored and deflated members are read; every size a header declares is checked
against the file and the caller's limit before anything is allocated; deflate is
inflated in bounded chunks with a running total, so a member that expands past what it
declared stops there. Nothing is ever extracted to disk. Every failure, whatever
zipfile or zlib would have raised, is one `RefusedFileError` or `InvalidFormatError`.
"""

from __future__ import annotations

import io
import mmap
import os
import zipfile
import zlib

import torch

from core.errors import InvalidFormatError
from core.io.checksum import Checksum
from core.io.untrusted import RefusedFileError, allocate, read_into_tensor

# A project holds two members and a torch.save file one per storage; the directory is
# read entry by entry in Python (~5 µs each), so its size is capped before it is read.
MAX_MEMBERS = 100_000
MAX_DIRECTORY_BYTES = 16 << 20
CHUNK = 1 << 20
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated",
            zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA", 9: "deflate64"}
_END = b"PK\x05\x06"
_END64_LOCATOR = b"PK\x06\x07"
_END64 = b"PK\x06\x06"
# Where a stored member's bytes must start for its tensors to be used where they lie.
ALIGNMENT = 64


class Archive:
    """The members of a zip file, opened from ``stream`` (``size`` bytes long)."""

    def __init__(self, stream: io.BufferedIOBase, size: int, name: str) -> None:
        self.stream = stream
        self.size = size
        self.name = name
        entries, directory = _directory_extent(stream, size, name)
        if entries > MAX_MEMBERS or directory > MAX_DIRECTORY_BYTES:
            raise RefusedFileError(f"{name} lists {entries:,} members in {directory:,} "
                                   f"bytes, more than {MAX_MEMBERS:,} or "
                                   f"{MAX_DIRECTORY_BYTES >> 20} MB")
        try:
            stream.seek(0)
            archive = zipfile.ZipFile(stream)
            self.infos = {info.filename: info for info in archive.infolist()}
        except Exception as error:  # zipfile parses untrusted bytes; anything is possible
            raise InvalidFormatError(f"{name} is not a valid zip archive: "
                                     f"{_reason(error)}") from None
        if len(self.infos) > MAX_MEMBERS:
            raise RefusedFileError(f"{name} has more than {MAX_MEMBERS:,} members")

    def names(self) -> set[str]:
        return set(self.infos)

    def check(self, member: str, limit: int) -> zipfile.ZipInfo:
        """The member's directory entry, after checking what it declares: a method this
        reader inflates, no encryption, and sizes within the file and ``limit``."""
        info = self.infos[member]
        where = f"{self.name}: {member}"
        if info.flag_bits & 0x1:
            raise RefusedFileError(f"{where} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            method = _METHODS.get(info.compress_type, f"method {info.compress_type}")
            raise RefusedFileError(f"{where} is compressed with {method}; only stored and "
                                   "deflated members are read")
        if info.file_size > limit:
            raise RefusedFileError(f"{where} declares {info.file_size:,} bytes, more than "
                                   f"the {limit:,} allowed")
        if info.compress_size > self.size or info.header_offset > self.size:
            raise InvalidFormatError(f"{where} declares more bytes than the file holds")
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise InvalidFormatError(f"{where} is stored but declares two sizes")
        return info

    def read(self, member: str, limit: int) -> torch.Tensor:
        """The member's bytes as a uint8 tensor of at most ``limit`` bytes, its size and
        checksum checked against its directory entry."""
        info = self.check(member, limit)
        where = f"{self.name}: {member}"
        self.stream.seek(self._data_offset(info))
        try:
            if info.compress_type == zipfile.ZIP_STORED:
                buffer = read_into_tensor(self.stream, info.file_size, where)
                crc = zlib.crc32(buffer.numpy().data) if info.file_size else 0
            else:
                buffer, crc = self._inflate(info, where)
        except OSError as error:
            raise InvalidFormatError(f"{where} cannot be read: {error.strerror or error}") \
                from None
        if crc != info.CRC:
            raise InvalidFormatError(f"{where} is damaged (its checksum does not match)")
        return buffer

    def map_stored(self, member: str, limit: int) -> tuple[torch.Tensor, Checksum] | None:
        """A stored member's bytes as a uint8 tensor over a private (copy-on-write)
        mapping of the file, nothing copied, and the check of its checksum, not yet run;
        None where the member cannot be used where it lies (deflated, not aligned as
        `write_project` aligns it, or a system whose mapped files cannot be replaced).

        The mapping stays valid while the tensors live, also when the file is saved
        over: a save writes a new file and renames it over the old one. Writing to the
        tensors never reaches the file."""
        info = self.check(member, limit)
        if info.compress_type != zipfile.ZIP_STORED or not info.file_size or \
                os.name != "posix":
            return None
        start = self._data_offset(info)
        if start % ALIGNMENT:
            return None  # a file saved before members were aligned: read it
        try:
            mapping = mmap.mmap(self.stream.fileno(), 0, access=mmap.ACCESS_COPY)
        except (OSError, ValueError):
            return None
        if len(mapping) < start + info.file_size:
            raise InvalidFormatError(f"{self.name}: {member} runs past the end of the file")
        data = torch.frombuffer(mapping, dtype=torch.uint8, count=info.file_size,
                                offset=start)
        view = memoryview(mapping)[start:start + info.file_size]
        return data, Checksum(view, info.CRC, f"{self.name}: {member}")

    def read_bytes(self, member: str, limit: int) -> bytes:
        buffer = self.read(member, limit)
        return bytes(buffer.numpy().data) if buffer.numel() else b""

    def _data_offset(self, info: zipfile.ZipInfo) -> int:
        self.stream.seek(info.header_offset)
        local = self.stream.read(30)
        if len(local) != 30 or local[:4] != b"PK\x03\x04":
            raise InvalidFormatError(f"{self.name}: {info.filename} has a broken header")
        start = info.header_offset + 30 + int.from_bytes(local[26:28], "little") + \
            int.from_bytes(local[28:30], "little")
        if start + info.compress_size > self.size:
            raise InvalidFormatError(f"{self.name}: {info.filename} runs past the end of "
                                     "the file")
        return start

    def _inflate(self, info: zipfile.ZipInfo, where: str) -> tuple[torch.Tensor, int]:
        """Raw deflate into a buffer of the declared size, a chunk at a time; the output
        never passes the declared size, whatever the compressed data says."""
        expected = info.file_size
        buffer = allocate(expected, where)
        view = buffer.numpy().data if expected else memoryview(bytearray())
        inflater = zlib.decompressobj(-15)
        left = info.compress_size
        done = 0
        crc = 0
        pending = b""
        try:
            while not inflater.eof:
                if not pending and left:
                    pending = self.stream.read(min(CHUNK, left))
                    if not pending:
                        break
                    left -= len(pending)
                # One byte more than fits shows a member that expands past its size.
                piece = inflater.decompress(pending, min(CHUNK, expected - done + 1))
                pending = inflater.unconsumed_tail
                if not (piece or pending or left):
                    break  # no input left and nothing more comes out
                if done + len(piece) > expected:
                    raise RefusedFileError(f"{where} expands past the {expected:,} bytes "
                                           "it declares")
                view[done:done + len(piece)] = piece
                crc = zlib.crc32(piece, crc)
                done += len(piece)
        except zlib.error as error:
            raise InvalidFormatError(f"{where} is damaged: {_reason(error)}") from None
        if not inflater.eof or done != expected:
            raise InvalidFormatError(f"{where} is cut short ({done:,} of {expected:,} "
                                     "bytes)")
        return buffer, crc


def check_stored(archive: Archive) -> None:
    """Check that every member is stored within the file (what torch.save writes) and
    that together they fit in it, so torch's own reader inflates nothing and cannot read
    one stretch of the file again and again through many entries."""
    total = 0
    for member in archive.infos:
        info = archive.check(member, archive.size)
        if info.compress_type != zipfile.ZIP_STORED:
            raise RefusedFileError(f"{archive.name}: {member} is compressed; torch.save "
                                   "stores its members")
        total += info.file_size
    if total > archive.size:
        raise RefusedFileError(f"{archive.name}: its members declare {total:,} bytes in "
                               f"all, more than the file's {archive.size:,}")


def _directory_extent(stream: io.BufferedIOBase, size: int, name: str) -> tuple[int, int]:
    """How many members the end record declares and how long the directory is, read
    before zipfile walks the directory."""
    tail_size = min(size, 22 + 0xFFFF + 20)
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    at = tail.rfind(_END)
    if at < 0 or len(tail) - at < 22:
        raise InvalidFormatError(f"{name} is not a valid zip archive (no end record)")
    entries = int.from_bytes(tail[at + 10:at + 12], "little")
    directory = int.from_bytes(tail[at + 12:at + 16], "little")
    locator = tail[at - 20:at] if at >= 20 else b""
    if locator[:4] == _END64_LOCATOR:
        offset = int.from_bytes(locator[8:16], "little")
        if offset + 56 > size:
            raise InvalidFormatError(f"{name} is not a valid zip archive (broken zip64 "
                                     "end record)")
        stream.seek(offset)
        record = stream.read(56)
        if record[:4] != _END64:
            raise InvalidFormatError(f"{name} is not a valid zip archive (broken zip64 "
                                     "end record)")
        entries = int.from_bytes(record[32:40], "little")
        directory = int.from_bytes(record[40:48], "little")
    if directory > size:
        raise InvalidFormatError(f"{name} declares a directory larger than the file")
    return entries, directory


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return (text or type(error).__name__)[:160]
