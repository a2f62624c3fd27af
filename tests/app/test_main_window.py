"""The main window opens with a network; bad files, errors and settings are handled."""

import logging
import sys

from PySide6.QtWidgets import QDockWidget, QGraphicsRectItem

from app.errors import install_exception_handler
from core.io.files import document_to_dict
from tests.app.driver import assert_canvas_matches, trigger, wait_for_shapes


def test_opens_with_the_chapter_mlp(qtbot, make_window, screenshots):
    window = make_window("mlp")
    wait_for_shapes(qtbot, window)
    window.grab().save(str(screenshots / "mlp.png"))
    titles = sorted(item.look.title for item in window.scene.nodes.values())
    assert titles == ["hidden · LazyLinear", "out · LazyLinear", "relu · ReLU"]
    out = window.workspace.document.root.nodes[2].id
    assert window.scene.nodes[out].look.shape == "→ (2, 10)"
    assert "7,946 parameters" in window.totals.text()
    assert window.windowTitle().startswith("MLP (a custom module)")
    assert window.scene.boundaries["input"].text == "input (2, 20)"
    docks = {d.objectName() for d in window.findChildren(QDockWidget)}
    assert {"dock_palette", "dock_inspector"} <= docks


def test_a_bad_file_shows_a_message_and_keeps_the_document(make_window, tmp_path, dialogs):
    window = make_window("mlp")
    bad = tmp_path / "bad.tcanvas"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    before = document_to_dict(window.workspace.document)
    assert window.open_path(bad) is False
    assert document_to_dict(window.workspace.document) == before
    assert dialogs and dialogs[-1][0] == "warning" and "bad.tcanvas" in dialogs[-1][1]


def test_open_and_recent_files(qtbot, make_window, tmp_path):
    window = make_window("chimera")
    path = tmp_path / "chimera.tcanvas"
    assert window.save_to(path)
    trigger(window, "new")
    assert not window.workspace.document.root.nodes
    assert window.open_path(path)
    assert_canvas_matches(window)
    assert [a.text() for a in window.recent_menu.actions()] == ["chimera.tcanvas"]


def test_an_unexpected_error_is_shown_logged_and_changes_nothing(qtbot, make_window, caplog,
                                                                  monkeypatch):
    window = make_window("mlp")
    shown = []
    monkeypatch.setattr("app.errors.QMessageBox.open", lambda box: shown.append(box.text()))
    old_hook = sys.excepthook
    install_exception_handler(window)
    try:
        before = document_to_dict(window.workspace.document)
        with caplog.at_level(logging.ERROR, logger="torchcanvas"):
            try:
                raise RuntimeError("boom")
            except RuntimeError:
                sys.excepthook(*sys.exc_info())
        assert shown and "boom" in shown[0] and "as it was" in shown[0]
        assert "boom" in caplog.text
        assert document_to_dict(window.workspace.document) == before
    finally:
        sys.excepthook = old_hook


def test_window_layout_persists(qtbot, make_window, settings):
    window = make_window()
    window.resize(790, 560)
    chosen = window.size()  # as the screen and the docks' minimum sizes allow
    assert chosen.height() == 560
    window.close()
    again = make_window()
    assert again.size() == chosen


def test_void_methods_can_be_called_ten_thousand_times(qtbot):
    """PySide6 6.12.0 on Python < 3.12 leaks None on void calls and aborts; we pin below."""
    item = QGraphicsRectItem(0, 0, 10, 10)
    for i in range(10_000):
        item.setPos(i, i)
        item.setFlag(QGraphicsRectItem.GraphicsItemFlag.ItemIsMovable, i % 2 == 0)
    assert item.pos().x() == 9_999


def test_start_up_shows_the_window_first_and_then_the_chapter_mlp(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from app.main import start_gui

    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    _, window = start_gui()
    qtbot.addWidget(window)
    assert window.isVisible()
    qtbot.waitUntil(lambda: len(window.scene.nodes) == 3, timeout=20_000)
    wait_for_shapes(qtbot, window)
    assert window.workspace.document.root.class_name == "MLP"
    assert not window.isWindowModified()
    # the model panels follow the first shapes, and show the network they missed
    qtbot.waitUntil(lambda: window.inspection is not None, timeout=20_000)
    wait_for_shapes(qtbot, window)
    assert window.parameters.tree.topLevelItemCount() > 0
    assert window.devices.combo.currentText() == window.workspace.live.device.type


def test_the_window_needs_no_torch_to_paint():
    """Start-up paints before torch loads: nothing the window imports may need it."""
    import subprocess
    import sys

    code = ("import sys, app.main, app.main_window, widgets.palette, widgets.inspector; "
            "print('torch' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, env={**__import__("os").environ,
                                          "QT_QPA_PLATFORM": "offscreen"})
    assert run.stdout.strip() == "False", run.stderr
