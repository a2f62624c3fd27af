"""File ▸ Import Weights of a large file reads, matches and copies on a worker behind a
progress dialog, and records one undo step that gives the old weights back bit for bit;
a bad or mismatched file says so and changes nothing."""

import gc
import threading
import weakref

import pytest
import torch
from PySide6.QtWidgets import QFileDialog
from safetensors.torch import save_file

import app.model_files
from core.document.edit import Move
from core.io import weights as weights_io
from core.runtime.tensors import TensorCommand
from tests.app.test_inspection import ready
from tests.chapter import FileMLP


@pytest.fixture
def large(monkeypatch):
    """Every file counts as large; records where the read and the copy ran."""
    monkeypatch.setattr(app.model_files, "OFF_THREAD_BYTES", 0)
    threads: list[str] = []

    def on(name):
        gui = threading.current_thread() is threading.main_thread()
        return f"{name} {'GUI' if gui else 'worker'}"

    original_load, original_prepare = weights_io.load_weights, TensorCommand.prepare

    def load(path, **options):
        threads.append(on("read"))
        return original_load(path, **options)

    def prepare(self):
        threads.append(on("copy"))
        original_prepare(self)

    monkeypatch.setattr(weights_io, "load_weights", load)
    monkeypatch.setattr(TensorCommand, "prepare", prepare)
    return threads


def state(net) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def same(first: dict, second: dict) -> bool:
    return first.keys() == second.keys() and all(
        torch.equal(first[k].view(torch.int32), second[k].view(torch.int32)) for k in first)


def import_through_menu(qtbot, window, monkeypatch, path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    window.actions["import_weights"].trigger()
    qtbot.waitUntil(lambda: window.files.job is None, timeout=20_000)


def theirs(tmp_path):
    net = FileMLP()
    net(torch.rand(2, 20))
    path = tmp_path / "theirs.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, path)
    return path


def test_weights_load_on_a_worker_as_one_undo_step(qtbot, make_window, tmp_path,
                                                   monkeypatch, large):
    window = make_window("file-io-mlp")
    net = ready(qtbot, window)
    before = state(net)
    path = theirs(tmp_path)
    import_through_menu(qtbot, window, monkeypatch, path)
    assert large == ["read worker", "copy worker"]
    from safetensors.torch import load_file

    assert same(state(net), load_file(path))
    assert window.actions["undo"].text() == "&Undo Import weights from theirs.safetensors"
    window.actions["undo"].trigger()
    assert same(state(net), before)
    window.actions["redo"].trigger()
    assert same(state(net), load_file(path))
    step = weakref.ref(window.workspace.history.next_undo)
    window.actions["undo"].trigger()
    assert same(state(net), before)
    assert not window.actions["undo"].isEnabled()  # one step, undone
    # Dropped from the history, the step and its copy for redo are freed: the finished
    # jobs that made it do not keep it.
    node = window.workspace.document.root.nodes[0]
    window.workspace.execute(Move({node.id: (0.0, 0.0)}))
    gc.collect()
    assert step() is None


def test_a_bad_or_mismatched_file_says_so_and_changes_nothing(
        qtbot, make_window, tmp_path, monkeypatch, large, dialogs):
    window = make_window("file-io-mlp")
    net = ready(qtbot, window)
    before = state(net)
    undo = window.actions["undo"].text()

    bad = tmp_path / "bad.safetensors"
    data = bytearray(theirs(tmp_path).read_bytes())
    bad.write_bytes(bytes(data[:len(data) // 2]))  # cut short
    import_through_menu(qtbot, window, monkeypatch, bad)
    assert dialogs[-1][0] == "warning" and dialogs[-1][1].startswith("bad.safetensors: ")
    assert "declares bytes" in dialogs[-1][1]

    other = tmp_path / "other.safetensors"
    save_file({"hidden.weight": torch.zeros(256, 21), "output.weight": torch.zeros(10, 256)},
              other)
    import_through_menu(qtbot, window, monkeypatch, other)  # the answer is Cancel
    assert dialogs[-1][0] == "question" and "Different shapes" in dialogs[-1][1]

    nothing = tmp_path / "nothing.safetensors"
    save_file({"elsewhere.weight": torch.zeros(3)}, nothing)
    import_through_menu(qtbot, window, monkeypatch, nothing)
    assert dialogs[-1][0] == "warning" and "fits nothing" in dialogs[-1][1]

    assert large == ["read worker"] * 3  # nothing was copied
    assert same(state(net), before) and window.actions["undo"].text() == undo


def test_a_cancelled_copy_puts_everything_back(qtbot, make_window, tmp_path, monkeypatch,
                                               large):
    window = make_window("file-io-mlp")
    net = ready(qtbot, window)
    before = state(net)
    undo = window.actions["undo"].text()
    from widgets.jobs import JobControl

    reported: list[int] = []

    def cancel_after_the_first(self, done):
        reported.append(done)
        self.set()  # the person presses Cancel once the first tensor is in

    monkeypatch.setattr(JobControl, "progress", cancel_after_the_first)
    import_through_menu(qtbot, window, monkeypatch, theirs(tmp_path))
    assert reported == [1] and large == ["read worker", "copy worker"]
    assert "cancelled; nothing was changed" in window.statusBar().currentMessage()
    assert same(state(net), before) and window.actions["undo"].text() == undo


def test_escape_cancels_the_copy_and_the_window_stays_modal_until_it_is_undone(
        qtbot, make_window, tmp_path, monkeypatch, large):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    window = make_window("file-io-mlp")
    net = ready(qtbot, window)
    before = state(net)
    release = threading.Event()
    original = TensorCommand.remember

    def held(self, tensor):
        release.wait(10)
        original(self, tensor)

    monkeypatch.setattr(TensorCommand, "remember", held)
    path = theirs(tmp_path)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    window.actions["import_weights"].trigger()
    qtbot.waitUntil(lambda: window.files.job is not None
                    and window.files.job.dialog.labelText().startswith("Loading"))
    dialog = window.files.job.dialog
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible() and dialog.labelText().endswith("Cancelling…")
    release.set()
    qtbot.waitUntil(lambda: window.files.job is None, timeout=10_000)
    assert "cancelled; nothing was changed" in window.statusBar().currentMessage()
    assert same(state(net), before)
