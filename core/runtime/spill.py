"""Tensors kept on disk instead of in memory: undo copies and modules the live model put
aside, once they pass their memory budget, are written to safetensors files in one
temporary folder. Each file is removed when the object that holds it is dropped, the
folder when the program ends. Reading back is bit for bit."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import threading
import uuid
import weakref
from pathlib import Path

import torch

from core.errors import TorchCanvasError
from core.io import safetensors_io
from core.runtime.limits import disk_reserve

_folder: Path | None = None
_lock = threading.Lock()


class SpillError(TorchCanvasError):
    """Tensors could not be written to disk (no room there, or a dtype safetensors
    cannot hold); nothing was kept."""


def folder() -> Path:
    """The temporary folder of this process (made on first use, removed at exit)."""
    global _folder
    with _lock:
        if _folder is None:
            _folder = Path(tempfile.mkdtemp(prefix="torchcanvas-spill-"))
            atexit.register(shutil.rmtree, _folder, True)
        return _folder


class Spilled:
    """Tensors in one file: `load` gives copies back, `read_into` fills a tensor."""

    def __init__(self, tensors: dict[str, torch.Tensor]) -> None:
        try:
            self.shapes = {name: (tensor.dtype, tuple(tensor.shape))
                           for name, tensor in tensors.items()}
        except (RuntimeError, ValueError) as error:  # a lazy parameter has no shape yet
            raise SpillError(f"cannot be written yet: {error}") from None
        self.size = sum(t.numel() * t.element_size() for t in tensors.values())
        where = folder()
        free = shutil.disk_usage(where).free
        if free - self.size < disk_reserve():
            raise SpillError(f"{self.size / 2**20:,.0f} MiB would not fit on the disk "
                             f"holding {where} ({free / 2**30:,.1f} GiB free)")
        self.path = where / f"{uuid.uuid4().hex}.safetensors"
        try:
            with open(self.path, "wb") as stream:
                safetensors_io.write(stream, {name: t.detach() for name, t in tensors.items()})
        except (OSError, safetensors_io.SafetensorsError) as error:
            self.path.unlink(missing_ok=True)
            raise SpillError(f"could not write {self.path.name}: {error}") from None
        self._remove = weakref.finalize(self, _remove, self.path)

    def read_into(self, name: str, tensor: torch.Tensor) -> None:
        """Copy the stored ``name`` into ``tensor`` (of its shape) in place."""
        dtype, shape = self.shapes[name]
        with torch.no_grad():
            if tensor.device.type == "cpu" and tensor.is_contiguous() and \
                    tensor.dtype == dtype:
                self._read(name, tensor)
            else:
                staged = torch.empty(shape, dtype=dtype)
                self._read(name, staged)
                tensor.copy_(staged)

    def load(self) -> dict[str, torch.Tensor]:
        """The stored tensors, read into new memory on the cpu."""
        tensors = {}
        for name, (dtype, shape) in self.shapes.items():
            tensors[name] = torch.empty(shape, dtype=dtype)
            self._read(name, tensors[name])
        return tensors

    def drop(self) -> None:
        self._remove()

    def _read(self, name: str, target: torch.Tensor) -> None:
        offset = 0
        for other, (dtype, shape) in self.shapes.items():
            if other == name:
                break
            offset += torch.Size(shape).numel() * dtype.itemsize
        want = target.numel() * target.element_size()
        if not want:
            return
        view = memoryview(target.reshape(-1).view(torch.uint8).numpy())  # type: ignore[arg-type]
        with open(self.path, "rb") as stream:
            header = int.from_bytes(stream.read(8), "little")
            stream.seek(8 + header + offset)
            done = 0
            while done < want:
                count = stream.readinto(view[done:])
                if not count:
                    raise SpillError(f"{self.path.name} is shorter than what was written")
                done += count


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
