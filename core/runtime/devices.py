"""Which devices torch can use here, and the chapter's fall-back rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from core.document.edit import Command, Recorder
from core.errors import EditError, TorchCanvasError

if TYPE_CHECKING:
    from core.runtime.live import LiveModel


class DeviceError(TorchCanvasError):
    """A device that is not on this machine."""


@dataclass(frozen=True)
class DeviceInfo:
    name: str
    label: str
    memory: int | None = None


def available_devices() -> list[DeviceInfo]:
    """cpu, every cuda:i with its name and memory, and mps where there is one."""
    devices = [DeviceInfo("cpu", "CPU")]
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            properties = torch.cuda.get_device_properties(index)
            devices.append(DeviceInfo(f"cuda:{index}", properties.name,
                                      properties.total_memory))
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append(DeviceInfo("mps", "Apple GPU (MPS)"))
    return devices


def check_device(name: str) -> torch.device:
    """``name`` as a device, or `DeviceError` saying why it cannot be used here."""
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise DeviceError(f"{name!r} is not a device name (try cpu, cuda:0 or mps)") from None
    if device.type == "cpu":
        return torch.device("cpu")
    known = {info.name for info in available_devices()}
    wanted = f"cuda:{device.index or 0}" if device.type == "cuda" else device.type
    if wanted not in known:
        if device.type == "cuda" and torch.cuda.is_available():
            count = torch.cuda.device_count()
            raise DeviceError(f"{name} is not here: this machine has {count} GPU"
                              f"{'s' if count != 1 else ''} (cuda:0 … cuda:{count - 1})")
        raise DeviceError(f"{name} is not available on this machine")
    return torch.device(wanted)


def try_gpu(index: int = 0) -> str:
    """The chapter's rule: gpu(index) if it exists, otherwise the cpu."""
    names = [info.name for info in available_devices()]
    if "mps" in names:
        return "mps"
    return f"cuda:{index}" if f"cuda:{index}" in names else "cpu"


class SetDevice(Command):
    """Move the live model (parameters and buffers, the fixed weight included) to another
    device, and remember the choice in the document. An absent device is refused and the
    model stays where it was."""

    def __init__(self, live: LiveModel, device: str) -> None:
        super().__init__()
        self.live, self.device = live, device
        self.text = f"Move to {device}"

    def _do(self, r: Recorder) -> None:
        try:
            target = str(check_device(self.device))
        except DeviceError as error:
            raise EditError(str(error)) from None
        live, old = self.live, str(self.live.device)
        live.move_to(target)
        r.record(lambda: live.move_to(old))
        r.set_device(target)
