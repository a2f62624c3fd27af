"""File → Open builds the project's model on the worker that reads the file: the GUI
thread makes no layer and copies no weights, and the model holds the file's weights."""

import threading

import torch

from core.document.compose import Composer
from core.io.files import save_document
from core.runtime.fill_from_file import FromFile
from core.runtime.live import LiveModel
from tests.app.test_inspection import ready


def project(path):
    c = Composer()
    document = c.document(c.layer("Linear", in_features=64, out_features=32),
                          c.layer("BatchNorm1d", num_features=32), c.layer("ReLU"),
                          c.layer("Linear", in_features=32, out_features=8),
                          input_shape=(4, 64))
    generator = torch.Generator().manual_seed(3)
    weights = {"0.weight": torch.randn(32, 64, generator=generator),
               "0.bias": torch.randn(32, generator=generator),
               "1.weight": torch.randn(32, generator=generator),
               "1.bias": torch.randn(32, generator=generator),
               "1.running_mean": torch.randn(32, generator=generator),
               "1.running_var": torch.rand(32, generator=generator),
               "1.num_batches_tracked": torch.tensor(17),
               "3.weight": torch.randn(8, 32, generator=generator),
               "3.bias": torch.randn(8, generator=generator)}
    save_document(document, path, weights=weights)
    return weights


def test_opening_builds_the_model_off_the_gui_thread(qtbot, make_window, dialogs, tmp_path,
                                                     monkeypatch):
    path = tmp_path / "net.tcanvas"
    weights = project(path)
    window = make_window("mlp")
    ready(qtbot, window)  # its own model built
    on_gui_thread = []
    for owner, name in ((LiveModel, "_new_module"), (LiveModel, "load_project"),
                        (LiveModel, "load_state"), (FromFile, "make")):
        original = getattr(owner, name)

        def spied(*args, _original=original, _name=name, **kwargs):
            if threading.current_thread() is threading.main_thread():
                on_gui_thread.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(owner, name, spied)
    job = window.open_in_background(path)
    qtbot.waitUntil(lambda: job.finished, timeout=20_000)
    qtbot.waitUntil(lambda: window.projects.checker.idle, timeout=20_000)
    assert window.workspace.path == path and not dialogs
    live = window.workspace.live_now
    assert live is not None and window.workspace.live is live  # in step: nothing rebuilt
    state = live.module.state_dict()
    assert list(state) == list(weights)
    for key, tensor in weights.items():
        assert torch.equal(state[key], tensor), key
    assert on_gui_thread == []
