"""Opening from the window maps the weights and checks their checksum on a thread: the
document opens at once, and a damaged file is reported with a warning."""

import zipfile

import safetensors.torch
import torch

from core.io.files import WEIGHTS_MEMBER
from tests.app.test_inspection import ready


def _saved(qtbot, make_window, path):
    window = make_window("fixed-hidden-mlp")
    ready(qtbot, window)
    assert window.save_to(path)
    return {k: v.clone() for k, v in window.workspace.live.module.state_dict().items()}


def test_a_sound_project_opens_with_its_weights_and_no_warning(qtbot, make_window, dialogs,
                                                                 tmp_path):
    path = tmp_path / "sound.tcanvas"
    state = _saved(qtbot, make_window, path)
    other = make_window("mlp")
    job = other.open_in_background(path)
    qtbot.waitUntil(lambda: job.finished, timeout=10_000)
    qtbot.waitUntil(lambda: other.projects.checker.idle, timeout=10_000)
    opened = other.workspace.live.module.state_dict()
    assert all(torch.equal(opened[k], v) for k, v in state.items())
    assert not [d for d in dialogs if d[0] == "warning"]


def test_a_damaged_tensor_is_reported_after_the_project_opens(qtbot, make_window, dialogs,
                                                               tmp_path):
    path = tmp_path / "damaged.tcanvas"
    state = _saved(qtbot, make_window, path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(WEIGHTS_MEMBER)
    data[info.header_offset + info.file_size - 8] ^= 0x40  # inside the last tensor
    path.write_bytes(bytes(data))
    other = make_window("mlp")
    job = other.open_in_background(path)
    qtbot.waitUntil(lambda: job.finished, timeout=10_000)
    qtbot.waitUntil(lambda: any(kind == "warning" for kind, _ in dialogs), timeout=10_000)
    text = next(text for kind, text in dialogs if kind == "warning")
    assert "damaged.tcanvas" in text and "checksum" in text
    # nothing of the damaged weights stays in the model to be saved under a new checksum
    start = info.header_offset + 30 + int.from_bytes(
        data[info.header_offset + 26:info.header_offset + 28], "little") + int.from_bytes(
        data[info.header_offset + 28:info.header_offset + 30], "little")  # past the header
    as_stored = safetensors.torch.load(bytes(data[start:start + info.file_size]))
    live = other.workspace.live.module.state_dict()
    assert not any(torch.equal(live[key], value) for key, value in as_stored.items()
                   if key.endswith("weight") and value.numel() > 1 and key in live
                   and not torch.equal(value, state[key]))
    assert other.workspace.path is None  # an unsaved copy: Save asks where
    assert path.read_bytes() == bytes(data)  # the file is left as it is
