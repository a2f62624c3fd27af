"""The safetensors format, written as a stream and read without copying.

A safetensors file is an 8-byte little-endian header length, a JSON header naming each
tensor's dtype, shape and byte range, and the raw bytes. Writing tensor by tensor lets a
1 GB model go straight into a project zip; reading wraps one buffer in tensors. Every
declared size and range is checked against the buffer before anything is allocated.
"""

from __future__ import annotations

import itertools
import json
import math
from typing import BinaryIO

import torch

from core.errors import InvalidFormatError, TorchCanvasError
from core.io.atomic import Cancelled
from core.io.untrusted import load_json

DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}
NAMES = {dtype: name for name, dtype in DTYPES.items()}
MAX_HEADER = 100 << 20  # what the safetensors library itself reads
# The largest models hold a few thousand tensors; each entry is ~16 JSON values (its
# shape, its range, its name in the order metadata).
MAX_TENSORS = 32_768
MAX_RANK = 64
MAX_HEADER_VALUES = 24 * MAX_TENSORS + 4096


class SafetensorsError(TorchCanvasError):
    """A safetensors file that is malformed, truncated or lies about its sizes."""


def _as_bytes(tensor: torch.Tensor) -> memoryview:
    flat = tensor.detach().cpu().contiguous().reshape(-1)
    return flat.view(torch.uint8).numpy().data if flat.numel() else memoryview(b"")


def encode_header(tensors: dict[str, torch.Tensor],
                  metadata: dict[str, str] | None = None) -> bytes:
    """The file's first bytes for ``tensors``: the header's length and the header."""
    header: dict[str, object] = {}
    offset = 0
    for name, tensor in tensors.items():
        if tensor.dtype not in NAMES:
            raise SafetensorsError(f"{name}: dtype {tensor.dtype} cannot be stored")
        size = tensor.numel() * tensor.element_size()
        header[name] = {"dtype": NAMES[tensor.dtype], "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + size]}
        offset += size
    if metadata:
        header["__metadata__"] = metadata
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    return len(encoded).to_bytes(8, "little") + encoded


def file_size(header: bytes, tensors: dict[str, torch.Tensor]) -> int:
    return len(header) + sum(t.numel() * t.element_size() for t in tensors.values())


def write(stream: BinaryIO, tensors: dict[str, torch.Tensor],
          metadata: dict[str, str] | None = None, cancel=None,
          header: bytes | None = None) -> None:
    """Write ``tensors`` (already free of shared storage) in the safetensors format,
    after ``header`` if `encode_header` already made it; a set ``cancel`` event stops
    between tensors with `Cancelled`."""
    stream.write(encode_header(tensors, metadata) if header is None else header)
    for tensor in tensors.values():
        if cancel is not None and cancel.is_set():
            raise Cancelled("cancelled")
        stream.write(_as_bytes(tensor))


def read(buffer: bytearray | torch.Tensor) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Tensors that share ``buffer``'s memory (a bytearray or a uint8 tensor), and the
    file's metadata. Every entry is checked — dtype, shape, range, no two ranges
    overlapping, at most `MAX_TENSORS` — before the first tensor is made, so a header
    cannot make this build more than the buffer holds."""
    if isinstance(buffer, torch.Tensor):
        raw = buffer
        view = buffer.numpy().data if buffer.numel() else memoryview(b"")
    else:
        raw = torch.frombuffer(buffer, dtype=torch.uint8) if len(buffer) else \
            torch.empty(0, dtype=torch.uint8)
        view = memoryview(buffer)
    if len(view) < 8:
        raise SafetensorsError("too short to be a safetensors file")
    length = int.from_bytes(view[:8], "little")
    if length > min(MAX_HEADER, len(view) - 8):
        raise SafetensorsError(f"the header declares {length} bytes; the file has "
                               f"{len(view) - 8}")
    try:
        header = load_json(bytes(view[8:8 + length]), "the header", max_bytes=MAX_HEADER,
                           max_depth=3, max_values=MAX_HEADER_VALUES)
    except InvalidFormatError as error:
        raise SafetensorsError(str(error)) from None
    if not isinstance(header, dict):
        raise SafetensorsError("the header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str)
                                                 for v in metadata.values()):
        raise SafetensorsError("the metadata is not an object of strings")
    if len(header) > MAX_TENSORS:
        raise SafetensorsError(f"the header lists {len(header):,} tensors, more than "
                               f"{MAX_TENSORS:,}")
    base = 8 + length
    entries = [_entry(name, entry, len(view) - base) for name, entry in header.items()]
    _check_overlaps(entries)
    tensors: dict[str, torch.Tensor] = {}
    try:
        for name, dtype, shape, start, end in entries:
            if start == end:
                tensors[name] = torch.empty(shape, dtype=dtype)
                continue
            piece = raw[base + start:base + end]
            if piece.data_ptr() % dtype.itemsize:
                piece = piece.clone()  # a view needs its dtype's alignment; copy this one
            tensors[name] = piece.view(dtype).reshape(shape)
    except (RuntimeError, ValueError, MemoryError) as error:
        raise SafetensorsError(f"{name}: cannot be made into a tensor ({error})"[:200]) \
            from None
    return tensors, metadata


_Entry = tuple[str, torch.dtype, list[int], int, int]


def _entry(name: str, entry: object, data_size: int) -> _Entry:
    """One header entry, checked: a known dtype, a shape torch can hold, and a byte
    range inside the data that holds exactly that shape."""
    if not isinstance(entry, dict):
        raise SafetensorsError(f"{name}: not a tensor entry")
    dtype = DTYPES.get(entry.get("dtype"))  # type: ignore[arg-type]
    if dtype is None:
        raise SafetensorsError(f"{name}: unknown dtype {str(entry.get('dtype'))[:40]!r}")
    shape, offsets = entry.get("shape"), entry.get("data_offsets")
    # JSON gives plain ints, never bools, so `type(...) is int` is the whole check.
    if type(shape) is not list or len(shape) > MAX_RANK or (shape and (
            set(map(type, shape)) != {int} or min(shape) < 0 or max(shape) >= 1 << 40)):
        raise SafetensorsError(f"{name}: the shape must be a list of at most {MAX_RANK} "
                               "sizes")
    if type(offsets) is not list or len(offsets) != 2 or type(offsets[0]) is not int or \
            type(offsets[1]) is not int or offsets[0] < 0:
        raise SafetensorsError(f"{name}: data_offsets must be two non-negative integers")
    start, end = offsets
    if end > data_size or start > end:
        raise SafetensorsError(f"{name} declares bytes {start}–{end}; the data holds "
                               f"{data_size}")
    count = math.prod(shape)
    # Strides are products of sizes: an empty tensor whose other sizes multiply past
    # int64 would overflow them.
    if not count and math.prod(s for s in shape if s) >= 1 << 62:
        raise SafetensorsError(f"{name}: the shape {shape} is too large for a tensor")
    if end - start != count * dtype.itemsize:
        raise SafetensorsError(f"{name}: {end - start} bytes cannot hold a "
                               f"{shape} tensor")
    return name, dtype, shape, start, end


def _check_overlaps(entries: list[_Entry]) -> None:
    spans = sorted((start, end, name) for name, _, _, start, end in entries if end > start)
    for (_, first_end, first), (second_start, _, second) in itertools.pairwise(spans):
        if second_start < first_end:
            raise SafetensorsError(f"{first} and {second} overlap")
