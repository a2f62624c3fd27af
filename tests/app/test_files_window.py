"""Devices, projects with weights, weights in and out, tensor files, clone and verify,
exports — from the window."""

import pytest
import torch
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from core.io.files import read_project
from tests.app.driver import trigger
from tests.app.test_inspection import ready, settle
from tests.chapter import FileMLP


def test_an_absent_device_is_refused_and_the_model_stays(qtbot, make_window, dialogs):
    window = make_window("fixed-hidden-mlp")
    ready(qtbot, window)
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    window.devices.choose(f"cuda:{count}")
    assert dialogs[-1][0] == "warning" and "not" in dialogs[-1][1]
    assert window.workspace.live.device.type == "cpu"
    assert window.workspace.document.device == "cpu"
    assert window.devices.combo.currentData() == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")
def test_choosing_cuda_moves_the_model_and_the_columns_follow(qtbot, make_window):
    window = make_window("fixed-hidden-mlp")
    ready(qtbot, window)
    window.devices.choose("cuda:0")
    settle(qtbot, window)
    assert {i.text(3) for i in window.parameters.items.values()} == {"cuda:0"}
    assert window.workspace.live.module.rand_weight.weight.is_cuda
    trigger(window, "undo")
    settle(qtbot, window)
    assert {i.text(3) for i in window.parameters.items.values()} == {"cpu"}


def test_open_edit_save_reopen_keeps_the_weights(qtbot, make_window, tmp_path):
    window = make_window("file-io-mlp")
    net = ready(qtbot, window)
    window.initializers.choose("constant")
    window.initializers.apply.click()
    assert torch.all(net.hidden.weight == 1)
    path = tmp_path / "mlp.tcanvas"
    assert window.save_to(path)
    trigger(window, "new")
    assert window.open_path(path)
    reopened = ready(qtbot, window)
    assert torch.all(reopened.hidden.weight == 1) and torch.all(reopened.output.weight == 1)
    assert set(read_project(path).weights) == {"hidden.weight", "hidden.bias",
                                              "output.weight", "output.bias"}


def test_weights_saved_by_the_chapters_code_import_and_a_partial_match_asks(
        qtbot, make_window, tmp_path, monkeypatch, dialogs):
    window = make_window("file-io-mlp")
    net = ready(qtbot, window)
    theirs = FileMLP()
    theirs(torch.rand(2, 20))
    torch.save(theirs.state_dict(), tmp_path / "mlp.params")
    assert window.files.import_weights(tmp_path / "mlp.params")
    assert torch.equal(net.hidden.weight, theirs.hidden.weight)
    partial = {"hidden.weight": torch.zeros(256, 20), "output.weight": torch.zeros(3, 256)}
    torch.save(partial, tmp_path / "partial.pt")
    assert not window.files.import_weights(tmp_path / "partial.pt")  # the answer is Cancel
    assert "Different shapes" in dialogs[-1][1]
    assert torch.equal(net.hidden.weight, theirs.hidden.weight)
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    assert window.files.import_weights(tmp_path / "partial.pt")
    assert torch.all(net.hidden.weight == 0)
    trigger(window, "undo")
    assert torch.equal(net.hidden.weight, theirs.hidden.weight)


def test_clone_and_verify_reports_equal(qtbot, make_window, dialogs):
    window = make_window("chimera")
    ready(qtbot, window)
    trigger(window, "clone_verify")
    assert dialogs[-1][0] == "information" and "Y_clone == Y: all equal" in dialogs[-1][1]


def test_the_tensor_browser_opens_the_chapters_files(qtbot, make_window, tmp_path):
    window = make_window("mlp")
    ready(qtbot, window)
    x, y = torch.arange(4), torch.zeros(4)
    torch.save(x, tmp_path / "x-file")
    torch.save([x, y], tmp_path / "x-files")
    torch.save({"x": x, "y": y}, tmp_path / "mydict")
    for name, count in (("x-file", 1), ("x-files", 2), ("mydict", 2)):
        browser = window.files.open_tensors(tmp_path / name)
        qtbot.waitUntil(lambda b=browser: b.histogram.idle)
        assert browser.names.count() == count
        assert browser.values.model.rowCount() == 4
        browser.close()


def test_a_project_dropped_on_the_window_opens(qtbot, make_window, tmp_path):
    window = make_window("mlp")
    ready(qtbot, window)
    path = tmp_path / "nest.tcanvas"
    other = make_window("nest-mlp")
    ready(qtbot, other)
    assert other.save_to(path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(QPoint(50, 50), *args)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(window, QDropEvent(QPointF(50, 50), *args))
    qtbot.waitUntil(lambda: window.workspace.path == path, timeout=10_000)
    assert window.workspace.document.root.class_name == "NestMLP"


def test_the_canvas_exports_as_png_and_svg(qtbot, make_window, tmp_path):
    window = make_window("shared-parameters")
    ready(qtbot, window)
    assert window.files.export_image(tmp_path / "net.png")
    assert window.files.export_image(tmp_path / "net.svg")
    assert (tmp_path / "net.png").read_bytes()[:4] == b"\x89PNG"
    assert b"<svg" in (tmp_path / "net.svg").read_bytes()[:400]


def test_opening_in_the_background_and_cancelling_it(qtbot, make_window, tmp_path):
    window = make_window("nest-mlp")
    ready(qtbot, window)
    path = tmp_path / "nest.tcanvas"
    assert window.save_to(path)
    other = make_window("mlp")
    job = other.open_in_background(path)
    job.cancel.set()
    qtbot.waitUntil(lambda: job.finished, timeout=10_000)
    assert other.workspace.document.root.class_name == "MLP"
    assert "cancelled" in other.statusBar().currentMessage()
    job = other.open_in_background(path)
    qtbot.waitUntil(lambda: job.finished, timeout=10_000)
    assert other.workspace.document.root.class_name == "NestMLP"
