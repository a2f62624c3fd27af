"""Issue 10's problems as a person meets them in the window: each test drives the real
main window and fails on the version that had the problem."""

import logging

import torch
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox

from app.main import show_first_document
from app.main_window import MainWindow
from core.document.compose import chain
from core.document.edit import Command, SetArgument
from core.document.graph import Document, InputSpec, Node
from core.io.files import read_project
from core.workspace import Workspace
from tests.app.driver import drag, drop, select, set_argument, set_text, wait_for_shapes


def press(widget, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(widget, key, modifier)
    QApplication.processEvents()


def ctrl_z(widget) -> None:
    press(widget, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)


def big_network() -> Document:
    layers = [Node(f"n{i}", "Linear", {"in_features": 1024, "out_features": 1024})
              for i in range(1, 9)]
    return Document(root=chain(*layers), input=InputSpec((2, 1024)))


def test_saves_while_edits_keep_coming_write_files_whose_weights_fit_their_graph(
        qtbot, make_window, tmp_path):
    window = make_window()
    window.workspace.replace(big_network())
    wait_for_shapes(qtbot, window)
    sizes = [512, 768, 256, 1024]
    for round_, size in enumerate(sizes):
        path = tmp_path / f"save{round_}.tcanvas"
        window.workspace.execute(SetArgument("n8", "out_features", size))
        job = window.save_in_background(path)
        # the script keeps editing while the writer works
        window.workspace.execute(SetArgument("n8", "out_features", size + 1))
        window.workspace.execute(SetArgument("n1", "out_features", 1024))
        qtbot.waitUntil(lambda job=job: job.finished, timeout=30_000)
        project = read_project(path)
        assert project.document.node("n8").args["out_features"] == size
        assert tuple(project.weights["7.weight"].shape) == (size, 1024)
        assert window.isWindowModified(), "edits after the snapshot must stay unsaved"
        window.workspace.undo()
        window.workspace.undo()
        assert not window.isWindowModified()  # exactly what the file holds


def test_the_device_box_follows_undo_and_redo(make_window):
    window = make_window("mlp")

    class Retarget(Command):  # stands in for a move to a GPU this machine lacks
        text = "Move to mps"

        def _do(self, r):
            r.set_device("mps")

    window.workspace.execute(Retarget())
    assert window.devices.combo.currentText() == "mps"
    window.actions["undo"].trigger()
    assert window.devices.combo.currentText() == "cpu"
    window.actions["redo"].trigger()
    assert window.devices.combo.currentText() == "mps"


def test_typing_an_absent_device_and_enter_is_refused_and_adds_no_entry(make_window, dialogs):
    window = make_window("mlp")
    combo: QComboBox = window.devices.combo
    entries = combo.count()
    combo.lineEdit().setFocus()
    combo.lineEdit().selectAll()
    QTest.keyClicks(combo.lineEdit(), "cuda:0")
    press(combo.lineEdit(), Qt.Key.Key_Return)
    assert combo.count() == entries
    assert [kind for kind, _ in dialogs] == ["warning"]
    assert "cuda:0" in dialogs[0][1]
    assert combo.currentText() == "cpu"
    assert window.workspace.document.device == "cpu"


def test_undo_after_an_input_edit_and_a_new_selection_keeps_the_step(qtbot, make_window):
    window = make_window("mlp")
    wait_for_shapes(qtbot, window)
    set_text(window.inspector.input_shape, "3, 20")
    assert window.workspace.document.input.shape == (3, 20)
    select(window, "n1", "n3")
    QApplication.processEvents()
    window.actions["undo"].trigger()
    assert window.workspace.document.input.shape == (2, 20)
    assert window.workspace.history.can_redo
    window.scene.clearSelection()
    QApplication.processEvents()
    assert window.inspector.input_shape.text() == "2, 20"


def test_ctrl_z_in_an_inspector_field_undoes_the_edit_just_made(qtbot, make_window):
    window = make_window("mlp")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    wait_for_shapes(qtbot, window)
    select(window, "n1")
    set_argument(qtbot, window, "out_features", "128")
    assert window.workspace.document.node("n1").args["out_features"] == 128
    field = window.inspector.editors["out_features"].widget
    assert QApplication.focusWidget() in (field, getattr(field, "lineEdit", lambda: None)())
    ctrl_z(QApplication.focusWidget())
    assert window.workspace.document.node("n1").args["out_features"] == 256
    assert window.workspace.history.can_redo


def test_ctrl_z_in_the_palette_filter_undoes_the_document_not_the_text(qtbot, make_window):
    window = make_window("mlp")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.workspace.execute(SetArgument("n3", "out_features", 5))
    window.palette.filter.setFocus()
    assert QApplication.focusWidget() is window.palette.filter
    QTest.keyClicks(window.palette.filter, "lin")
    ctrl_z(window.palette.filter)
    assert window.palette.filter.text() == "lin"
    assert window.workspace.document.node("n3").args["out_features"] == 10


def test_connecting_two_ports_selects_nothing_on_the_way(qtbot, make_window):
    window = make_window("mlp")
    wait_for_shapes(qtbot, window)
    scene = window.scene
    scene.clearSelection()
    drag(window, scene.nodes["n1"].output_port(), scene.nodes["n3"].input_port(0))
    assert scene.selected_node_ids() == []


def test_a_layer_dropped_while_pytorch_loads_is_kept(qtbot, settings):
    window = MainWindow(Workspace(Document()), settings, ready=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    drop(window, "ReLU", QPointF(0, 0))
    assert len(window.workspace.document.root.nodes) == 1
    show_first_document(window, None)
    nodes = window.workspace.document.root.nodes
    assert [n.type for n in nodes] == ["ReLU"]
    assert window.workspace.history.can_undo and window.isWindowModified()
    assert window.inspection is not None  # the panels that need torch are there


def test_show_log_shows_the_file_being_written(make_window, monkeypatch, tmp_path):
    from app.logs import setup_logging

    window = make_window()
    written = setup_logging()
    logging.getLogger("torchcanvas").error("marker 7f3a: something went wrong")
    # the platform's folders move once the application has its name
    monkeypatch.setenv("TORCHCANVAS_LOG_DIR", str(tmp_path / "elsewhere"))
    dialog = window.do_show_log()
    assert written.exists()
    assert "marker 7f3a" in dialog.text.toPlainText()
    dialog.close()


def test_an_argument_edit_reaches_the_live_model_before_any_dry_run(qtbot, make_window):
    window = make_window("mlp")
    wait_for_shapes(qtbot, window)  # the live model has been built
    window.workspace.execute(SetArgument("n1", "out_features", 300))
    module = window.workspace.live.module
    assert tuple(module.hidden.weight.shape) == (300, 20)
    assert tuple(module.out.weight.shape) == (10, 300)
    wait_for_shapes(qtbot, window)  # and the dry run that follows changes nothing
    module = window.workspace.live.module
    assert tuple(module.out.weight.shape) == (10, 300)
    assert module(torch.zeros(2, 20)).shape == (2, 10)
