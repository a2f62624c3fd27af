"""The safetensors format, written as a stream and read without copying.

A safetensors file is an 8-byte little-endian header length, a JSON header naming each
tensor's dtype, shape and byte range, and the raw bytes. Writing tensor by tensor lets a
1 GB model go straight into a project zip; reading wraps one buffer in tensors. Every
declared size and range is checked against the buffer before anything is allocated.
"""

from __future__ import annotations

import itertools
import json
from typing import BinaryIO

import torch

from core.errors import TorchCanvasError
from core.io.atomic import Cancelled

DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}
NAMES = {dtype: name for name, dtype in DTYPES.items()}
MAX_HEADER = 100 << 20


class SafetensorsError(TorchCanvasError):
    """A safetensors file that is malformed, truncated or lies about its sizes."""


def _as_bytes(tensor: torch.Tensor) -> memoryview:
    flat = tensor.detach().cpu().contiguous().reshape(-1)
    return flat.view(torch.uint8).numpy().data if flat.numel() else memoryview(b"")


def write(stream: BinaryIO, tensors: dict[str, torch.Tensor],
          metadata: dict[str, str] | None = None, cancel=None) -> None:
    """Write ``tensors`` (already free of shared storage) in the safetensors format;
    a set ``cancel`` event stops between tensors with `Cancelled`."""
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
    stream.write(len(encoded).to_bytes(8, "little"))
    stream.write(encoded)
    for tensor in tensors.values():
        if cancel is not None and cancel.is_set():
            raise Cancelled("cancelled")
        stream.write(_as_bytes(tensor))


def read(buffer: bytearray | torch.Tensor) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Tensors that share ``buffer``'s memory (a bytearray or a uint8 tensor), and the
    file's metadata."""
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
        header = json.loads(bytes(view[8:8 + length]))
    except (ValueError, UnicodeDecodeError):
        raise SafetensorsError("the header is not valid JSON") from None
    if not isinstance(header, dict):
        raise SafetensorsError("the header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict):
        raise SafetensorsError("the metadata is not a JSON object")
    data = view[8 + length:]
    base = 8 + length
    tensors: dict[str, torch.Tensor] = {}
    spans = []
    for name, entry in header.items():
        dtype, shape, (start, end) = _entry(name, entry)
        count = 1
        for size in shape:
            count *= size
        if end > len(data) or start > end:
            raise SafetensorsError(f"{name} declares bytes {start}–{end}; the data holds "
                                   f"{len(data)}")
        if (end - start) != count * torch.empty((), dtype=dtype).element_size():
            raise SafetensorsError(f"{name}: {end - start} bytes cannot hold a "
                                   f"{list(shape)} tensor")
        spans.append((start, end, name))
        if count == 0:
            tensors[name] = torch.empty(shape, dtype=dtype)
            continue
        piece = raw[base + start:base + end]
        size = piece.numel() // count
        if (base + start) % size:
            piece = piece.clone()  # a view needs its dtype's alignment; copy this one
        tensors[name] = piece.view(dtype).reshape(shape)
    spans.sort()
    for (_, first_end, first), (second_start, _, second) in itertools.pairwise(spans):
        if second_start < first_end:
            raise SafetensorsError(f"{first} and {second} overlap")
    return tensors, {str(k): str(v) for k, v in metadata.items()}


def _entry(name: str, entry: object) -> tuple[torch.dtype, list[int], tuple[int, int]]:
    if not isinstance(entry, dict):
        raise SafetensorsError(f"{name}: not a tensor entry")
    dtype = DTYPES.get(entry.get("dtype"))  # type: ignore[arg-type]
    if dtype is None:
        raise SafetensorsError(f"{name}: unknown dtype {entry.get('dtype')!r}")
    shape, offsets = entry.get("shape"), entry.get("data_offsets")
    if not isinstance(shape, list) or not all(isinstance(s, int) and not isinstance(s, bool)
                                              and 0 <= s < 1 << 40 for s in shape):
        raise SafetensorsError(f"{name}: the shape must be a list of sizes")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(
            isinstance(o, int) and not isinstance(o, bool) and o >= 0 for o in offsets):
        raise SafetensorsError(f"{name}: data_offsets must be two non-negative integers")
    return dtype, shape, (offsets[0], offsets[1])
