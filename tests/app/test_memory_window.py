"""Undo copies of weights in the window (issue 14): past the memory budget they go to
disk and Ctrl+Z still gives every bit back; where they fit nowhere the person is told
that the step cannot be undone, and Undo is off."""

import gc
import warnings

import torch
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.interpreter import share_with_workers
from app.main_window import MainWindow
from core.document.compose import Composer
from core.document.edit import SetArgument
from core.runtime import spill, undo_copies
from core.workspace import Workspace
from tests.app.driver import select, trigger, wait_for_shapes


def ready(qtbot, window):
    wait_for_shapes(qtbot, window)
    qtbot.waitUntil(lambda: window.inspection is not None
                    and window.workspace.live.module is not None, timeout=10_000)
    return window.workspace.live.module


def apply_normal(qtbot, window, seed=0):
    panel = window.initializers
    panel.choose("normal")
    panel.seed.setValue(seed)
    panel.whole.setChecked(True)
    QTest.mouseClick(panel.apply, Qt.MouseButton.LeftButton)
    QApplication.processEvents()
    qtbot.waitUntil(lambda: window.histograms.idle, timeout=10_000)


def weights(net) -> list[torch.Tensor]:
    return [p.detach().clone().view(torch.int32) for p in net.parameters()]


def test_an_initializer_past_the_undo_budget_undoes_from_disk(qtbot, make_window,
                                                              monkeypatch):
    window = make_window("mlp")
    net = ready(qtbot, window)
    apply_normal(qtbot, window)  # the weights as made: undo would make them again
    monkeypatch.setenv("TORCHCANVAS_UNDO_BUDGET", str(undo_copies.held_in_memory()))
    before, files = weights(net), set(spill.folder().iterdir())
    apply_normal(qtbot, window, seed=1)
    assert window.initializers.error.text() == ""
    assert set(spill.folder().iterdir()) - files  # the copies went to disk
    assert any(not torch.equal(a, b) for a, b in zip(before, weights(net), strict=True))
    assert window.actions["undo"].isEnabled()
    trigger(window, "undo")
    assert all(torch.equal(a, b) for a, b in zip(before, weights(net), strict=True))


def test_an_initializer_whose_copy_fits_nowhere_says_it_cannot_be_undone(qtbot, make_window,
                                                                        monkeypatch):
    window = make_window("mlp")
    ready(qtbot, window)
    apply_normal(qtbot, window)
    monkeypatch.setenv("TORCHCANVAS_UNDO_BUDGET", str(undo_copies.held_in_memory()))
    monkeypatch.setenv("TORCHCANVAS_DISK_RESERVE", str(1 << 62))
    apply_normal(qtbot, window, seed=1)
    assert "cannot be undone" in window.initializers.error.text()
    assert "cannot be undone" in window.statusBar().currentMessage()
    assert not window.actions["undo"].isEnabled()
    assert window.workspace.modified


def test_argument_edits_in_the_window_leave_no_old_weights_behind(qtbot, settings,
                                                                  monkeypatch):
    """With the node selected (its weights in the tensor view and the histogram), 30
    argument edits: beyond the layers the live model keeps within its budget, no tensor
    of an old layer stays alive anywhere in the window (not in a panel, a job, a
    command)."""
    monkeypatch.setenv("TORCHCANVAS_CACHE_BUDGET", "0")
    c = Composer()
    node = c.layer("Linear", in_features=256, out_features=256)
    window = MainWindow(Workspace(c.document(node, input_shape=(1, 256))), settings)
    qtbot.addWidget(window)
    window.collector = share_with_workers(window)  # as the app runs it: gc on a timer
    window.show()
    ready(qtbot, window)
    select(window, node.id)
    for k in range(1, 31):
        window.workspace.execute(SetArgument(node.id, "out_features", 256 + k))
        wait_for_shapes(qtbot, window)
        qtbot.waitUntil(lambda: window.histograms.idle, timeout=10_000)
    live = window.workspace.live
    assert live.module[0].out_features == 286
    assert live.kept_bytes() == 0  # the budget is 0: only the layer in use is held
    QApplication.processEvents()
    gc.collect()
    held = {t.untyped_storage().data_ptr() for kept in live._cache.values()
            if kept.module is not None for t in kept.module.state_dict().values()}
    with warnings.catch_warnings():  # isinstance on torch.distributed's deprecated alias
        warnings.simplefilter("ignore", FutureWarning)
        tensors = [t for t in gc.get_objects() if isinstance(t, torch.Tensor)]
    old = [tuple(t.shape) for t in tensors
           if t.numel() >= 256 * 256 and t.untyped_storage().data_ptr() not in held]
    assert old == []
