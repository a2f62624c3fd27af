"""Undo and redo of a large step run on a worker behind the progress dialog, and give
back the weights bit for bit: weights as made (made again from their seeds), copies in
memory and copies spilled to disk."""

import threading

import pytest
import torch

import app.history_jobs
import app.inspection
from core.runtime import spill, undo_copies
from core.runtime.tensors import PutBack, TensorCommand
from tests.app.driver import wait_for_shapes
from tests.app.test_initializer_worker import apply_normal, weights


@pytest.fixture
def large(monkeypatch):
    """Every step counts as large; records on which thread each worker step ran."""
    monkeypatch.setattr(app.inspection, "OFF_THREAD_BYTES", 0)
    monkeypatch.setattr(app.history_jobs, "OFF_THREAD_BYTES", 0)
    threads: list[str] = []
    for owner, name in ((TensorCommand, "prepare"), (PutBack, "ahead")):
        original = getattr(owner, name)

        def watched(self, original=original, name=name):
            on_worker = threading.current_thread() is not threading.main_thread()
            threads.append(f"{name} {'worker' if on_worker else 'GUI'}")
            original(self)

        monkeypatch.setattr(owner, name, watched)
    return threads


def step(qtbot, window, action: str) -> None:
    window.actions[action].trigger()
    qtbot.waitUntil(lambda: window.history_jobs.idle and window.histograms.idle,
                    timeout=20_000)


def same(first, second) -> bool:
    return all(torch.equal(a, b) for a, b in zip(first, second, strict=True))


def test_undo_and_redo_of_a_large_initializer_run_on_a_worker_and_restore_exactly(
        qtbot, make_window, large):
    window = make_window("mlp")
    wait_for_shapes(qtbot, window)
    net = window.workspace.live.module
    as_made = weights(net)
    apply_normal(qtbot, window, seed=3)
    first = weights(net)
    apply_normal(qtbot, window, seed=4)  # its undo copies the first's values back
    second = weights(net)
    assert not same(as_made, first) and not same(first, second)
    large.clear()

    step(qtbot, window, "undo")
    assert same(weights(net), first)
    step(qtbot, window, "undo")  # made again from the seeds
    assert same(weights(net), as_made)
    assert large == ["ahead worker", "ahead worker"]
    assert window.actions["redo"].text().startswith("&Redo Initialize")
    assert not window.actions["undo"].isEnabled()

    step(qtbot, window, "redo")
    assert same(weights(net), first)
    step(qtbot, window, "redo")
    assert same(weights(net), second)
    assert large[2:] == ["prepare worker", "prepare worker"]
    assert not window.actions["redo"].isEnabled()
    # The redone steps undo again, exactly.
    step(qtbot, window, "undo")
    assert same(weights(net), first)
    step(qtbot, window, "undo")
    assert same(weights(net), as_made)


def test_a_worker_undo_reads_copies_spilled_to_disk(qtbot, make_window, large,
                                                    monkeypatch):
    window = make_window("mlp")
    wait_for_shapes(qtbot, window)
    net = window.workspace.live.module
    apply_normal(qtbot, window, seed=1)
    monkeypatch.setenv("TORCHCANVAS_UNDO_BUDGET", str(undo_copies.held_in_memory()))
    before, files = weights(net), set(spill.folder().iterdir())
    apply_normal(qtbot, window, seed=2)
    assert set(spill.folder().iterdir()) - files  # the copies went to disk
    after = weights(net)
    large.clear()
    step(qtbot, window, "undo")
    assert large == ["ahead worker"] and same(weights(net), before)
    step(qtbot, window, "redo")
    assert same(weights(net), after)


def test_small_steps_undo_on_the_gui_thread(qtbot, make_window, large, monkeypatch):
    window = make_window("mlp")
    wait_for_shapes(qtbot, window)
    net = window.workspace.live.module
    before = weights(net)
    apply_normal(qtbot, window, seed=3)
    monkeypatch.setattr(app.history_jobs, "OFF_THREAD_BYTES", 1 << 40)
    large.clear()
    window.actions["undo"].trigger()  # done when trigger returns
    assert window.history_jobs.idle and same(weights(net), before)
    assert large == []


def test_a_redo_that_fails_on_the_worker_changes_nothing(qtbot, make_window, large,
                                                         monkeypatch):
    window = make_window("mlp")
    wait_for_shapes(qtbot, window)
    net = window.workspace.live.module
    apply_normal(qtbot, window, seed=3)
    step(qtbot, window, "undo")
    before = weights(net)
    from core.runtime.init import ApplyInitializer

    original = ApplyInitializer.change

    def half_then_fail(self):
        original(self)
        raise RuntimeError("out of memory")

    monkeypatch.setattr(ApplyInitializer, "change", half_then_fail)
    step(qtbot, window, "redo")
    assert "Redoing failed: RuntimeError: out of memory" in \
        window.statusBar().currentMessage()
    assert same(weights(net), before)
    assert window.actions["redo"].text().startswith("&Redo Initialize")
    monkeypatch.setattr(ApplyInitializer, "change", original)
    step(qtbot, window, "redo")  # tried again, it is made
    assert not same(weights(net), before)


def test_an_undo_that_fails_on_the_worker_can_be_tried_again(qtbot, make_window, large,
                                                            monkeypatch):
    window = make_window("mlp")
    wait_for_shapes(qtbot, window)
    net = window.workspace.live.module
    before = weights(net)
    apply_normal(qtbot, window, seed=3)
    import core.runtime.tensors

    original = core.runtime.tensors.restore_all

    def fail(*args):
        raise OSError("the disk went away")

    monkeypatch.setattr(core.runtime.tensors, "restore_all", fail)
    step(qtbot, window, "undo")
    assert "Undoing failed: OSError: the disk went away" in \
        window.statusBar().currentMessage()
    assert window.actions["undo"].text().startswith("&Undo Initialize")
    monkeypatch.setattr(core.runtime.tensors, "restore_all", original)
    step(qtbot, window, "undo")
    assert same(weights(net), before)
    assert window.actions["redo"].text().startswith("&Redo Initialize")


def test_escape_leaves_the_window_modal_until_the_undo_ends(qtbot, make_window, large,
                                                           monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    window = make_window("mlp")
    wait_for_shapes(qtbot, window)
    net = window.workspace.live.module
    before = weights(net)
    apply_normal(qtbot, window, seed=3)
    release = threading.Event()
    original = PutBack.ahead

    def slow(self):
        release.wait(10)
        original(self)

    monkeypatch.setattr(PutBack, "ahead", slow)
    window.actions["undo"].trigger()
    dialog = window.history_jobs.job.dialog
    assert dialog.isVisible()
    assert dialog.windowModality() == Qt.WindowModality.WindowModal
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    dialog.close()
    assert dialog.isVisible() and not window.history_jobs.idle
    release.set()
    qtbot.waitUntil(lambda: window.history_jobs.idle, timeout=10_000)
    assert same(weights(net), before)
