"""File ▸ Import Model… in the window: the code is shown before it runs, the imported
network replaces the open one with its weights loaded, and failures say why."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.app.driver import trigger, wait_for_shapes
from tests.core import model_zoo
from widgets.import_dialog import ImportDialog


def zoo_file(folder: Path) -> Path:
    target = folder / "zoo.py"
    shutil.copy(model_zoo.__file__, target)
    return target


def fill(dialog, source: Path | str, name: str, shape: str) -> None:
    dialog.source.setText(str(source))
    dialog._source_changed()  # as when the field loses focus
    dialog.name.setCurrentText(name)
    dialog.shape.setText(shape)


def test_import_a_model_from_a_file(qtbot, make_window, tmp_path, screenshots):
    window = make_window("mlp")
    wait_for_shapes(qtbot, window)
    trigger(window, "import_model")
    dialog = window.findChildren(ImportDialog)[-1]
    source = zoo_file(tmp_path)
    fill(dialog, source, "ResNet", "")
    assert "class BasicBlock(nn.Module):" in dialog.code.toPlainText()
    assert str(source.resolve()) in dialog.path_label.text()
    assert dialog.name.findText("GoogLeNetSmall") >= 0  # offered without running the file
    QTest.mouseClick(dialog.run, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "sizes separated by commas" in dialog.error.text()
    fill(dialog, source, "GoogLeNetSmall", "2, 1, 32, 32")
    dialog.resize(900, 640)
    dialog.grab().save(str(screenshots / "import-dialog.png"))
    QTest.mouseClick(dialog.run, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.importer.job is None, timeout=20_000)
    wait_for_shapes(qtbot, window)
    workspace = window.workspace
    assert workspace.document.root.class_name == "GoogLeNetSmall"
    assert "Imported GoogLeNetSmall" in window.statusBar().currentMessage()
    reference = model_zoo.GoogLeNetSmall().eval()
    reference.load_state_dict(workspace.live.module.state_dict(), strict=True)
    x = torch.randn(2, 1, 32, 32)
    with torch.no_grad():
        assert torch.equal(workspace.live.module.eval()(x), reference(x))
    assert window.scene.report.output_shape == (2, 10)
    window.grab().save(str(screenshots / "imported-googlenet.png"))


def test_cancel_runs_nothing(qtbot, make_window, tmp_path):
    window = make_window("mlp")
    source = tmp_path / "boom.py"
    marker = tmp_path / "ran"
    source.write_text(f"open({str(marker)!r}, 'w').close()\n\nclass Net:\n    pass\n")
    dialog = window.importer.ask(source)
    assert dialog.name.currentText() == "Net" and "open(" in dialog.code.toPlainText()
    dialog.reject()
    QApplication.processEvents()
    assert not marker.exists()
    assert window.workspace.document.root.class_name != "Net"


def test_a_dropped_python_file_opens_the_dialog(qtbot, make_window, tmp_path):
    window = make_window("mlp")
    source = zoo_file(tmp_path)
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(source))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, data,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    dialog = window.findChildren(ImportDialog)[-1]
    assert dialog.isVisible() and dialog.source.text() == str(source)
    dialog.reject()


def test_a_model_that_cannot_be_imported_says_why_and_changes_nothing(
        qtbot, make_window, dialogs):
    window = make_window("mlp")
    before = window.workspace.document
    window.importer.start("tests.core.test_import:CalledTwice", (2, 4))
    qtbot.waitUntil(lambda: window.importer.job is None, timeout=20_000)
    assert window.workspace.document is before
    kind, text = dialogs[-1]
    assert kind == "warning" and "called more than once" in text


def saved_program(folder: Path) -> tuple[torch.nn.Module, Path]:
    torch.manual_seed(0)
    model = model_zoo.ResNet(model_zoo.BasicBlock).eval()
    path = folder / "resnet.pt2"
    torch.export.save(torch.export.export(model, (torch.randn(2, 3, 32, 32),)), path)
    return model, path


def imported_equals(window, model, shape) -> bool:
    module = window.workspace.live.module
    model.load_state_dict(module.state_dict(), strict=True)
    x = torch.randn(shape)
    with torch.no_grad():
        return torch.equal(module.eval()(x), model(x))


def test_a_pt2_file_chosen_in_the_dialog_imports_without_trust(qtbot, make_window, tmp_path):
    window = make_window("mlp")
    model, path = saved_program(tmp_path)
    trigger(window, "import_model")
    dialog = window.findChildren(ImportDialog)[-1]
    fill(dialog, path, "", "")
    assert dialog.run.text() == "Import" and not dialog.warning.isVisible()
    assert not dialog.name.isEnabled() and "No code from it runs" in dialog.code.toPlainText()
    QTest.mouseClick(dialog.run, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.importer.job is None, timeout=20_000)
    wait_for_shapes(qtbot, window)
    assert window.workspace.document.root.class_name == "ResNet"
    assert window.workspace.document.input.shape == (2, 3, 32, 32)
    assert imported_equals(window, model, (2, 3, 32, 32))


def test_a_dropped_pt2_file_opens_at_once(qtbot, make_window, tmp_path):
    window = make_window("mlp")
    model, path = saved_program(tmp_path)
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    window.dropEvent(QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, data,
                                Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier))
    qtbot.waitUntil(lambda: window.importer.job is None, timeout=20_000)
    wait_for_shapes(qtbot, window)
    assert not window.findChildren(ImportDialog)
    assert "Imported ResNet" in window.statusBar().currentMessage()
    assert imported_equals(window, model, (2, 3, 32, 32))


def test_a_damaged_pt2_file_says_why_and_changes_nothing(qtbot, make_window, tmp_path,
                                                         dialogs):
    window = make_window("mlp")
    before = window.workspace.document
    path = tmp_path / "broken.pt2"
    path.write_bytes(b"not a zip at all")
    window.importer.open_program(path)
    qtbot.waitUntil(lambda: window.importer.job is None, timeout=20_000)
    assert window.workspace.document is before
    kind, text = dialogs[-1]
    assert kind == "warning" and "broken.pt2 could not be imported" in text


def test_a_part_nothing_can_follow_is_kept_whole_and_the_window_says_so(
        qtbot, make_window, dialogs):
    window = make_window("mlp")
    window.importer.start("tests.core.test_import:AroundAGate", (3, 4))
    qtbot.waitUntil(lambda: window.importer.job is None, timeout=20_000)
    wait_for_shapes(qtbot, window)
    document = window.workspace.document
    assert document.root.class_name == "AroundAGate"
    assert next(n for n in document.root.nodes if n.name == "gate").type == "ValueGate"
    kind, text = dialogs[-1]
    assert kind == "warning" and "gate (ValueGate) is kept as one layer" in text
    module = window.workspace.live.module
    x = torch.randn(3, 4)
    with torch.no_grad():
        assert module.eval()(x).shape == (3, 2)
