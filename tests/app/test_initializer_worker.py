"""A large initializer fills the weights on a worker behind a progress dialog; the step it
records is the same one undo and redo know, bit for bit."""

import threading

import torch

import app.inspection
from core.runtime import undo_copies
from core.runtime.tensors import TensorCommand
from tests.app.driver import wait_for_shapes
from tests.app.test_memory_window import apply_normal as apply_through_panel


def weights(net) -> list[torch.Tensor]:
    return [p.detach().clone().view(torch.int32) for p in net.parameters()]


def apply_normal(qtbot, window, seed: int) -> None:
    apply_through_panel(qtbot, window, seed)
    qtbot.waitUntil(lambda: window.inspection.job is None and window.histograms.idle,
                    timeout=10_000)


def test_an_initializer_on_a_worker_equals_one_on_the_gui_thread_and_undoes_exactly(
        qtbot, make_window, monkeypatch):
    window = make_window("mlp")
    wait_for_shapes(qtbot, window)
    net = window.workspace.live.module
    apply_normal(qtbot, window, seed=3)  # on the GUI thread (small)
    on_gui_thread = weights(net)
    window.actions["undo"].trigger()
    monkeypatch.setenv("TORCHCANVAS_UNDO_BUDGET", str(undo_copies.held_in_memory()))
    before = weights(net)

    monkeypatch.setattr(app.inspection, "OFF_THREAD_BYTES", 0)  # every scope is large
    worker_threads = []
    original = TensorCommand.prepare

    def watched(self):
        worker_threads.append(threading.current_thread() is not threading.main_thread())
        original(self)

    monkeypatch.setattr(TensorCommand, "prepare", watched)
    apply_normal(qtbot, window, seed=3)
    assert worker_threads == [True]  # the fill ran off the GUI thread
    assert all(torch.equal(a, b) for a, b in zip(on_gui_thread, weights(net), strict=True))
    assert window.actions["undo"].text().startswith("&Undo Initialize")
    assert window.parameters.tree.topLevelItemCount() > 0

    window.actions["undo"].trigger()
    assert all(torch.equal(a, b) for a, b in zip(before, weights(net), strict=True))
    window.actions["redo"].trigger()
    assert all(torch.equal(a, b) for a, b in zip(on_gui_thread, weights(net), strict=True))


def test_a_large_initializer_that_fails_on_the_worker_changes_nothing(
        qtbot, make_window, monkeypatch):
    window = make_window("mlp")
    wait_for_shapes(qtbot, window)
    net = window.workspace.live.module
    before = weights(net)
    monkeypatch.setattr(app.inspection, "OFF_THREAD_BYTES", 0)
    from core.runtime.init import ApplyInitializer

    original = ApplyInitializer.change

    def half_then_fail(self):
        original(self)
        raise RuntimeError("out of memory")

    monkeypatch.setattr(ApplyInitializer, "change", half_then_fail)
    undo_text = window.actions["undo"].text()
    apply_normal(qtbot, window, seed=5)
    assert "RuntimeError: out of memory" in window.initializers.error.text()
    assert all(torch.equal(a, b) for a, b in zip(before, weights(net), strict=True))
    assert window.actions["undo"].text() == undo_text
