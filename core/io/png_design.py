"""A PNG that carries the network: the canvas picture with graph.json in an ``iTXt``
chunk (as ComfyUI keeps its workflows), so a picture pasted in a slide or a chat is a
project someone can open. Reading it goes through the same validating reader as a
graph.json; layer code in it stays under the trust rules of opening a project."""

from __future__ import annotations

import struct
import zlib

from core.errors import InvalidFormatError

SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYWORD = b"torchcanvas"


def embed_design(png: bytes, graph_json: str) -> bytes:
    """``png`` with ``graph_json`` in an uncompressed iTXt chunk before its end."""
    chunks = list(_chunks(png, "the picture"))
    if not chunks or chunks[-1][0] != b"IEND":
        raise InvalidFormatError("the picture has no IEND chunk")
    data = KEYWORD + b"\0\0\0" + b"\0" + b"\0" + graph_json.encode("utf-8")
    chunk = struct.pack(">I", len(data)) + b"iTXt" + data + \
        struct.pack(">I", zlib.crc32(b"iTXt" + data) & 0xFFFFFFFF)
    end = chunks[-1][1]  # where IEND starts
    return png[:end] + chunk + png[end:]


def design_in(png: bytes, name: str = "the picture") -> bytes:
    """The graph.json bytes a PNG carries; `InvalidFormatError` when it carries none."""
    for kind, _, data in _chunks(png, name):
        if kind == b"iTXt" and data.startswith(KEYWORD + b"\0"):
            rest = data[len(KEYWORD) + 1:]
            if len(rest) < 2 or rest[0] != 0:
                raise InvalidFormatError(f"{name}: its network is stored compressed, "
                                         "which TorchCanvas does not write")
            rest = rest[2:]
            for _ in range(2):  # the language tag and the translated keyword
                end = rest.find(b"\0")
                if end < 0:
                    raise InvalidFormatError(f"{name}: a broken iTXt chunk")
                rest = rest[end + 1:]
            return rest
    raise InvalidFormatError(f"{name} is a picture that carries no TorchCanvas network")


def _chunks(png: bytes, name: str):
    """(kind, offset, data) of each chunk, each length checked against the file."""
    if not png.startswith(SIGNATURE):
        raise InvalidFormatError(f"{name} is not a PNG picture")
    offset = len(SIGNATURE)
    while offset < len(png):
        if offset + 12 > len(png):
            raise InvalidFormatError(f"{name}: a PNG chunk is cut short")
        (length,) = struct.unpack(">I", png[offset:offset + 4])
        kind = png[offset + 4:offset + 8]
        if offset + 12 + length > len(png):
            raise InvalidFormatError(f"{name}: a PNG chunk claims more than the file holds")
        yield kind, offset, png[offset + 8:offset + 8 + length]
        offset += 12 + length
        if kind == b"IEND":
            return
