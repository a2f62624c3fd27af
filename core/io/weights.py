"""Weights in and out: safetensors (the default) and ``torch.save`` state_dicts.

Nothing here ever unpickles an arbitrary object: ``.pt`` files load with
``weights_only=True`` and safetensors files hold nothing but tensors.
"""

from __future__ import annotations

import io
import json
import mmap
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import torch

from core.errors import InvalidFormatError, TorchCanvasError
from core.io import safetensors_io
from core.io.archive import Archive, check_stored
from core.io.atomic import write_atomically
from core.io.untrusted import expansion_budget, load_json, open_regular, read_into_tensor

ALIASES_KEY = "torchcanvas.aliases"
ORDER_KEY = "torchcanvas.order"
SAFETENSORS_SUFFIXES = (".safetensors",)
PICKLE_SUFFIXES = (".pt", ".pth", ".params", ".bin")


class WeightsError(TorchCanvasError):
    """A weights file could not be read or written."""


def _tensor_identity(tensor: torch.Tensor) -> tuple:
    return (tensor.untyped_storage().data_ptr(), tensor.storage_offset(),
            tuple(tensor.shape), tuple(tensor.stride()), tensor.dtype, str(tensor.device))


def _deduplicated(state: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict]:
    """Tensors to store (no two sharing storage) and the keys that alias another key."""
    tensors: dict[str, torch.Tensor] = {}
    aliases: dict[str, str] = {}
    seen: dict[tuple, str] = {}
    storages: set[int] = set()
    for key, tensor in state.items():
        if not isinstance(tensor, torch.Tensor):
            raise WeightsError(f"{key} is not a tensor")
        if tensor.is_meta or torch.nn.parameter.is_lazy(tensor):
            raise WeightsError(f"{key} has no values yet (run the model once to size it)")
        tensor = tensor.detach()
        identity = _tensor_identity(tensor)
        if identity in seen:
            aliases[key] = seen[identity]
            continue
        seen[identity] = key
        pointer = tensor.untyped_storage().data_ptr()
        if pointer in storages:
            tensor = tensor.clone()
        storages.add(pointer)
        tensors[key] = tensor
    return tensors, aliases


def write_safetensors(stream, state: dict[str, torch.Tensor], cancel=None) -> None:
    """Write a state_dict as safetensors. Keys that name the same tensor (tied layers)
    are stored once and listed as aliases, so loading gives them back under every key;
    the key order is kept too (safetensors sorts its own). ``cancel`` (a
    `threading.Event`) is checked between tensors."""
    safetensors_writer(state, cancel)[1](stream)


def safetensors_writer(state: dict[str, torch.Tensor], cancel=None
                       ) -> tuple[int, Callable[[BinaryIO], None]]:
    """How many bytes `write_safetensors` writes for ``state``, and the function that
    writes them to a stream (for a zip member whose size is written before it)."""
    tensors, aliases = _deduplicated(state)
    metadata = {ORDER_KEY: json.dumps(list(state))}
    if aliases:
        metadata[ALIASES_KEY] = json.dumps(aliases)
    try:
        header = safetensors_io.encode_header(tensors, metadata)
    except safetensors_io.SafetensorsError as error:
        raise WeightsError(f"cannot write weights: {error}") from None

    def write(stream: BinaryIO) -> None:
        safetensors_io.write(stream, tensors, cancel=cancel, header=header)

    return safetensors_io.file_size(header, tensors), write


def safetensors_bytes(state: dict[str, torch.Tensor]) -> bytes:
    buffer = io.BytesIO()
    write_safetensors(buffer, state)
    return buffer.getvalue()


def read_safetensors_bytes(data: bytes | bytearray | torch.Tensor) -> dict[str, torch.Tensor]:
    """Tensors from safetensors data; a bytearray or uint8 tensor is used in place."""
    buffer = data if isinstance(data, (bytearray, torch.Tensor)) else bytearray(data)
    try:
        tensors, metadata = safetensors_io.read(buffer)
    except safetensors_io.SafetensorsError as error:
        raise WeightsError(f"not a valid safetensors file: {error}") from None
    aliases = _metadata_json(metadata, ALIASES_KEY, {})
    if not isinstance(aliases, dict) or not all(isinstance(v, str) for v in aliases.values()):
        raise WeightsError("the aliases in the weights metadata are malformed")
    stored = set(tensors)
    for alias, original in aliases.items():
        if original not in stored:
            raise WeightsError(f"alias {alias[:80]} points at a missing tensor "
                               f"{original[:80]}")
        if alias in stored:
            raise WeightsError(f"alias {alias[:80]} is also a stored tensor")
        tensors[alias] = tensors[original]
    order = _metadata_json(metadata, ORDER_KEY, [])
    # The order is a courtesy: kept when it names every key once, ignored otherwise.
    if isinstance(order, list) and len(order) == len(tensors) and \
            all(isinstance(key, str) for key in order) and set(order) == set(tensors):
        tensors = {key: tensors[key] for key in order}
    return tensors


def _metadata_json(metadata: dict[str, str], key: str, default: object) -> object:
    """A flat JSON list or object that TorchCanvas keeps in the safetensors metadata."""
    if key not in metadata:
        return default
    try:
        return load_json(metadata[key].encode("utf-8", "surrogatepass"), key,
                         max_bytes=safetensors_io.MAX_HEADER, max_depth=1,
                         max_values=2 * safetensors_io.MAX_TENSORS + 1)
    except InvalidFormatError as error:
        raise WeightsError(f"the TorchCanvas metadata in the weights is malformed: "
                           f"{error}") from None


def save_weights(state: dict[str, torch.Tensor], path: str | os.PathLike[str]) -> None:
    """Write a state_dict atomically; the suffix picks safetensors or ``torch.save``."""
    suffix = Path(path).suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        plain = {k: v.detach().cpu() for k, v in state.items()}
        write_atomically(path, lambda stream: torch.save(plain, stream))
    else:
        write_atomically(path, lambda stream: write_safetensors(stream, state))


def _read_file(path: str | os.PathLike[str], map_file: bool = False) -> object:
    """What a weights or tensor file holds: safetensors as named tensors (``map_file``:
    over a mapping of the file, see `mapped`), a torch.save file as whatever it holds —
    loaded with ``weights_only=True``, so nothing runs. The format is told by the
    content, whatever the suffix says."""
    name = Path(path).name
    try:
        with open_regular(path) as (stream, size):
            head = stream.read(16)
            kind = sniff(head, size)
            if kind == "safetensors":
                buffer = mapped(stream, size, name) if map_file else None
                if buffer is None:
                    stream.seek(0)
                    buffer = read_into_tensor(stream, size, name)
                return read_safetensors_bytes(buffer)
            if kind == "zip":
                check_stored(Archive(stream, size, name))
            elif kind != "pickle":
                raise WeightsError(f"{name} is neither a safetensors file nor a file "
                                   "written by torch.save")
            stream.seek(0)
            loaded = _torch_load(stream, name)
            _check_sizes(loaded, name, size)
            return loaded
    except InvalidFormatError as error:
        raise WeightsError(str(error)) from None
    except OSError as error:
        raise WeightsError(f"cannot read {name}: {error.strerror or error}") from None


def mapped(stream, size: int, name: str) -> torch.Tensor | None:
    """The file's ``size`` bytes as a uint8 tensor over a private (copy-on-write)
    mapping of it, nothing read yet; None where it cannot be mapped (then it is read).

    Tensors made from it alias the file, as a project's mapped weights do: writing to
    them never reaches the file, but a program that rewrites the file in place while
    they live changes them, and truncating it ends the process."""
    if os.name != "posix" or not size:
        return None
    try:
        mapping = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_COPY)
    except (OSError, ValueError):
        return None
    if len(mapping) < size:
        raise WeightsError(f"{name} was cut short while it was being opened")
    return torch.frombuffer(mapping, dtype=torch.uint8, count=size)


def sniff(head: bytes, size: int) -> str:
    """A file's format from its first bytes: "safetensors", "zip" (torch.save's format),
    "pickle" (its old format) or "". safetensors goes first, told by a header length
    that fits the file followed by ``{``: the length is any number, and one file in 32
    that TorchCanvas writes starts with 0x80, the byte that starts a pickle."""
    if len(head) >= 9 and head[8:9] == b"{":
        length = int.from_bytes(head[:8], "little")
        if 2 <= length <= min(safetensors_io.MAX_HEADER, size - 8):
            return "safetensors"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if head[:1] == b"\x80":
        return "pickle"
    return ""


def _torch_load(stream, name: str) -> object:
    try:
        return torch.load(stream, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise WeightsError(
            f"{name} holds objects other than tensors and was refused; "
            f"nothing in it was run ({first[:200]})"
        ) from None
    except Exception as error:  # torch.load meets broken bytes with any exception type
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise WeightsError(f"{name} is not a readable torch file: "
                           f"{(first or type(error).__name__)[:200]}") from None


def _check_sizes(loaded: object, name: str, file_size: int) -> None:
    """Refuse tensors that claim more elements than the file could hold (a view with
    zero strides over one number): whoever copies or plots them would pay for it."""
    tensors = loaded.values() if isinstance(loaded, dict) else \
        loaded if isinstance(loaded, (list, tuple)) else [loaded]
    budget = max(file_size, expansion_budget(file_size))
    total = 0
    seen: set[tuple] = set()
    for tensor in tensors:
        if not isinstance(tensor, torch.Tensor):
            continue
        identity = _tensor_identity(tensor)
        if identity in seen:
            continue
        seen.add(identity)
        total += tensor.numel() * tensor.element_size()
        if total > budget:
            raise WeightsError(f"{name} holds tensors of more than {budget:,} bytes in "
                               "all, more than a file of its size can")


def load_weights(path: str | os.PathLike[str], map_file: bool = True
                 ) -> dict[str, torch.Tensor]:
    """Read a state_dict from safetensors or a ``torch.save`` file (weights only).

    A safetensors file is mapped, not read: its tensors alias the file (see `mapped`);
    copy them to keep them past a program rewriting it in place, or read it into
    memory (``map_file=False``)."""
    loaded = _read_file(path, map_file=map_file)
    if not isinstance(loaded, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in loaded.items()
    ):
        raise WeightsError(f"{Path(path).name} does not hold a state_dict (names → tensors)")
    return dict(loaded)


@dataclass
class StateMatch:
    """How a state_dict from a file fits a model: what loads, and what does not."""

    fitting: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def describe(self, limit: int = 8) -> str:
        lines = [f"{len(self.fitting)} tensors fit."]

        def listed(title: str, items: list[str]) -> None:
            if items:
                more = f" … and {len(items) - limit} more" if len(items) > limit else ""
                lines.append(f"{title} ({len(items)}): {', '.join(items[:limit])}{more}")

        listed("Missing from the file", self.missing)
        listed("In the file but not in the model", self.unexpected)
        listed("Different shapes", [f"{k} {list(a)} in the model, {list(b)} in the file"
                                    for k, a, b in self.mismatched])
        return "\n".join(lines)


def match_state(model: dict[str, torch.Tensor], incoming: dict[str, torch.Tensor]) -> StateMatch:
    """Compare a model's state_dict with one read from a file, key by key."""
    match = StateMatch()
    for key, tensor in model.items():
        if key not in incoming:
            match.missing.append(key)
        elif torch.nn.parameter.is_lazy(tensor) or \
                tuple(tensor.shape) == tuple(incoming[key].shape):
            match.fitting.append(key)
        else:
            match.mismatched.append((key, tuple(tensor.shape), tuple(incoming[key].shape)))
    match.unexpected = [key for key in incoming if key not in model]
    return match


def savable_state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The module's state_dict without tensors that have no size yet (lazy, unreached)."""
    return {k: v for k, v in module.state_dict().items()
            if not torch.nn.parameter.is_lazy(v)}


def load_tensor_file(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """A file holding a tensor, a list of tensors or a dict of tensors (the chapter's
    x-file, x-files and mydict), as named tensors; nothing else is unpickled. Read into
    memory: a browser or a data set keeps them for long."""
    loaded = _read_file(path)
    if isinstance(loaded, torch.Tensor):
        return {"tensor": loaded}
    if isinstance(loaded, (list, tuple)) and all(isinstance(t, torch.Tensor) for t in loaded):
        return {str(i): t for i, t in enumerate(loaded)}
    if isinstance(loaded, dict) and all(isinstance(t, torch.Tensor) for t in loaded.values()):
        return {str(k): t for k, t in loaded.items()}
    raise WeightsError(f"{Path(path).name} holds a {type(loaded).__name__}, not tensors")


def snapshot_state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A copy of `savable_state` that later edits of the module cannot touch, for a
    save running on another thread; keys that are one tensor stay one tensor."""
    copies: dict[tuple, torch.Tensor] = {}
    state = {}
    with torch.no_grad():
        for key, tensor in savable_state(module).items():
            identity = _tensor_identity(tensor)
            if identity not in copies:
                copies[identity] = tensor.detach().clone()
            state[key] = copies[identity]
    return state
