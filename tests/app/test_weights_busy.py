"""While a job writes the live weights on a worker (a large undo, an Import Weights copy)
the workspace is "weights busy": a step or a training run finishing meanwhile is recorded
after the job, an Open finishing meanwhile is shown after it, and Import Weights checks
again after its prompt that the network is the one it matched. Undo and redo stay exact.
(review2, findings 1, 7 and 8.)"""

import threading

import pytest
import torch
from PySide6.QtWidgets import QFileDialog, QMessageBox

import app.model_files
from core.document.graph import Document
from core.runtime.live import TensorRef
from core.runtime.tensors import PutBack, SetTensorValue, TensorCommand
from core.training import Trainer
from tests.app.driver import wait_for_shapes
from tests.app.test_history_worker import large, same, step  # noqa: F401
from tests.app.test_initializer_worker import apply_normal, weights
from tests.app.test_inspection import ready
from tests.app.test_load_weights_worker import state, theirs
from tests.app.test_open_model_worker import project
from tests.app.test_train_window import train_ready


def held(monkeypatch, owner, name):
    """Hold ``owner.name`` on its worker until the returned ``go`` is set."""
    go, started = threading.Event(), threading.Event()
    original = getattr(owner, name)

    def slow(self, *args):
        started.set()
        go.wait(20)
        return original(self, *args)

    monkeypatch.setattr(owner, name, slow)
    return go, started


@pytest.mark.usefixtures("large")  # every step runs on a worker
def test_a_step_made_during_a_worker_undo_is_recorded_after_it(qtbot, make_window,
                                                                monkeypatch):
    window = make_window("mlp")
    wait_for_shapes(qtbot, window)
    workspace = window.workspace
    net = workspace.live.module
    as_made = weights(net)
    apply_normal(qtbot, window, seed=3)
    initialized = weights(net)
    go, started = held(monkeypatch, PutBack, "ahead")
    window.actions["undo"].trigger()  # the worker puts the weights back
    assert started.wait(10) and workspace.busy
    node = next(iter(workspace.live.built.modules))
    # what a signal or timer does meanwhile on the GUI thread (not the person: modal)
    workspace.when_idle(lambda: workspace.execute(
        SetTensorValue(workspace.live, TensorRef(node, "weight"), (0, 0), 42.0)))
    window.actions["redo"].trigger()  # refused while the job runs: nothing changes
    assert window.actions["undo"].text().startswith("&Undo Initialize")
    go.set()
    qtbot.waitUntil(lambda: window.history_jobs.idle and workspace.busy is None,
                    timeout=20_000)
    assert window.actions["undo"].text().startswith("&Undo Set")
    assert workspace.live.owner_module(node).weight[0, 0].item() == 42.0
    step(qtbot, window, "undo")  # held no more: go is set
    assert same(weights(net), as_made)  # the Initialize was undone before the step
    assert not window.actions["undo"].isEnabled()
    step(qtbot, window, "redo")
    assert workspace.live.owner_module(node).weight[0, 0].item() == 42.0
    assert not same(weights(net), initialized)


@pytest.mark.usefixtures("large")
def test_a_training_run_finishing_during_a_worker_undo_is_recorded_after_it(
        qtbot, make_window, monkeypatch):
    window = make_window("mlp")
    panel = train_ready(qtbot, window)
    panel.epochs.setValue(2)
    training_go, training_started = held(monkeypatch, Trainer, "run")
    panel.start.click()  # loads the data (the input follows it), then trains, held
    qtbot.waitUntil(training_started.is_set, timeout=20_000)
    wait_for_shapes(qtbot, window)
    net = ready(qtbot, window)
    as_made = weights(net)
    apply_normal(qtbot, window, seed=3)  # a large step, on a worker
    assert window.actions["undo"].text().startswith("&Undo Initialize")
    undo_go, undo_started = held(monkeypatch, PutBack, "ahead")
    window.actions["undo"].trigger()
    assert undo_started.wait(10)
    training_go.set()
    qtbot.waitUntil(lambda: not window.training.busy, timeout=30_000)
    # finished, but waiting: the worker still puts the Initialize's weights back
    assert window.training.last_result.epochs
    assert window.actions["undo"].text().startswith("&Undo Initialize")
    undo_go.set()
    qtbot.waitUntil(lambda: window.history_jobs.idle and window.workspace.busy is None,
                    timeout=20_000)
    assert window.actions["undo"].text().startswith("&Undo Train")
    trained = weights(net)
    assert not same(trained, as_made)
    step(qtbot, window, "undo")
    assert same(weights(net), as_made)  # the Initialize undone first, then the training
    assert window.actions["undo"].text() == "&Undo Set input shape"  # the data's, before
    step(qtbot, window, "redo")
    assert same(weights(net), trained)


def test_an_open_finishing_during_an_import_copy_is_shown_after_it(
        qtbot, make_window, tmp_path, monkeypatch, dialogs):
    monkeypatch.setattr(app.model_files, "OFF_THREAD_BYTES", 0)
    opened_path = tmp_path / "other.tcanvas"
    saved = project(opened_path)
    window = make_window("file-io-mlp")
    net = ready(qtbot, window)
    before = state(net)
    old_history = window.workspace.history
    path = theirs(tmp_path)
    go, started = held(monkeypatch, TensorCommand, "prepare")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    window.actions["import_weights"].trigger()
    qtbot.waitUntil(started.is_set, timeout=20_000)  # the copy job holds the weights
    job = window.open_in_background(opened_path)
    qtbot.waitUntil(lambda: job.finished, timeout=20_000)
    assert window.workspace.path != opened_path  # the Open waits for the copy
    assert window.workspace.history is old_history
    go.set()
    qtbot.waitUntil(lambda: window.workspace.path == opened_path, timeout=20_000)
    # the import was recorded in the history it was made for, not in the opened one
    assert old_history.next_undo.text == "Import weights from theirs.safetensors"
    assert not same(list(state(net).values()), list(before.values()))
    assert window.workspace.history.next_undo is None
    opened = window.workspace.live.module.state_dict()
    assert all(torch.equal(opened[key], tensor) for key, tensor in saved.items())
    assert not [d for d in dialogs if d[0] == "warning"]


def partial(tmp_path):
    """theirs(), less one tensor: the person is asked whether to load the rest."""
    from safetensors.torch import load_file, save_file

    tensors = load_file(theirs(tmp_path))
    tensors.pop(next(iter(tensors)))
    path = tmp_path / "partial.safetensors"
    save_file(tensors, path)
    return path


def test_import_checks_the_network_again_after_the_prompt(qtbot, make_window, tmp_path,
                                                          monkeypatch, dialogs):
    monkeypatch.setattr(app.model_files, "OFF_THREAD_BYTES", 0)
    window = make_window("file-io-mlp")
    net = ready(qtbot, window)
    before = state(net)
    old_history = window.workspace.history
    path = partial(tmp_path)

    def yes_but_meanwhile(parent, title, text, *args):
        dialogs.append(("question", text))
        window.workspace.replace(Document())  # whatever slipped past the busy state
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", yes_but_meanwhile)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    window.actions["import_weights"].trigger()
    qtbot.waitUntil(lambda: window.files.job is None and window.workspace.busy is None,
                    timeout=20_000)
    assert [kind for kind, _ in dialogs] == ["question", "warning"]
    assert "the network changed meanwhile; nothing was changed" in dialogs[-1][1]
    assert same(list(state(net).values()), list(before.values()))
    assert old_history.next_undo is None and window.workspace.history.next_undo is None


def test_undo_while_an_open_reads_is_refused_plainly(qtbot, make_window, tmp_path,
                                                     monkeypatch):
    opened_path = tmp_path / "other.tcanvas"
    project(opened_path)
    window = make_window("mlp")
    net = ready(qtbot, window)
    apply_normal(qtbot, window, seed=3)
    initialized = weights(net)
    job = window.open_in_background(opened_path)
    window.actions["undo"].trigger()  # before the Open's result is back (a signal)
    assert "Cannot undo now: opening other.tcanvas" in window.statusBar().currentMessage()
    assert same(weights(net), initialized)
    qtbot.waitUntil(lambda: job.finished and window.workspace.path == opened_path,
                    timeout=20_000)


def test_a_run_waiting_for_busy_weights_stays_running_stoppable_and_single(
        qtbot, make_window, monkeypatch):
    window = make_window("mlp")
    panel = train_ready(qtbot, window)
    panel.epochs.setValue(1)
    runs = []
    original_run = Trainer.run
    monkeypatch.setattr(Trainer, "run", lambda self: (runs.append(self), original_run(self))[1])
    steps = window.workspace.history.undo_text
    window.workspace.begin_busy("a held job")  # as a worker undo of a large step does
    panel.start.click()
    qtbot.waitUntil(lambda: panel.status.text().startswith("Waiting for a held job"),
                    timeout=30_000)
    assert window.training.busy and panel.stop.isEnabled() and not panel.start.isEnabled()
    panel.start.click()  # pressed again while it waits: nothing more starts
    window.workspace.end_busy()
    qtbot.waitUntil(lambda: not window.training.busy, timeout=30_000)
    assert len(runs) == 1 and window.workspace.history.undo_text != steps

    # Stopped while it waits: no run starts and the model is as it was.
    steps = window.workspace.history.undo_text
    window.workspace.begin_busy("a held job")
    panel.start.click()
    qtbot.waitUntil(lambda: panel.status.text().startswith("Waiting for"), timeout=30_000)
    panel.stop.click()
    window.workspace.end_busy()
    qtbot.waitUntil(lambda: not window.training.busy, timeout=30_000)
    assert panel.status.text() == "Stopped before the first epoch; the model is as it was."
    assert len(runs) == 1 and window.workspace.history.undo_text == steps


def test_a_callback_that_fails_does_not_strand_those_queued_after_it():
    from core.workspace import Workspace

    workspace, ran = Workspace(Document()), []

    def fails() -> None:
        raise RuntimeError("a callback's own fault")

    workspace.begin_busy("a job")
    workspace.when_idle(fails)
    workspace.when_idle(lambda: ran.append("shown"))
    with pytest.raises(RuntimeError, match="own fault"):
        workspace.end_busy()
    assert ran == ["shown"] and workspace.busy is None


def test_a_cancelled_open_leaves_the_weights_free_at_once(qtbot, make_window, tmp_path,
                                                          monkeypatch):
    import app.projects

    path = tmp_path / "other.tcanvas"
    project(path)
    window = make_window("mlp")
    ready(qtbot, window)
    apply_normal(qtbot, window, seed=3)
    go = threading.Event()
    original = app.projects._read

    def slow_read(path):  # a big project, or a stalled network share
        go.wait(30)
        return original(path)

    monkeypatch.setattr(app.projects, "_read", slow_read)
    job = window.open_in_background(path)
    assert window.workspace.busy == "opening other.tcanvas"
    job.dialog.canceled.emit()  # the person presses Cancel; the read goes on
    assert window.workspace.busy is None
    window.actions["undo"].trigger()  # works at once, not "Cannot undo now"
    assert "Cannot" not in window.statusBar().currentMessage()
    go.set()
    qtbot.waitUntil(lambda: job.finished, timeout=20_000)
    assert window.workspace.busy is None and window.workspace.path is None  # not shown
