"""Opening from the window maps the weights and checks their checksum on a thread: the
document opens at once, and a damaged file is reported with a warning."""

import zipfile

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
    _saved(qtbot, make_window, path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(WEIGHTS_MEMBER)
    data[info.header_offset + info.file_size - 8] ^= 0x40  # inside the last tensor
    path.write_bytes(bytes(data))
    other = make_window("mlp")
    job = other.open_in_background(path)
    qtbot.waitUntil(lambda: job.finished, timeout=10_000)
    assert other.workspace.path == path
    qtbot.waitUntil(lambda: any(kind == "warning" for kind, _ in dialogs), timeout=10_000)
    text = next(text for kind, text in dialogs if kind == "warning")
    assert "damaged.tcanvas" in text and "checksum" in text
