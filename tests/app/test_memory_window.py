"""Undo copies of weights in the window (issue 14): past the memory budget they go to
disk and Ctrl+Z still gives every bit back; where they fit nowhere the person is told
that the step cannot be undone, and Undo is off."""

import torch
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from core.runtime import spill, undo_copies
from tests.app.driver import trigger, wait_for_shapes


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
