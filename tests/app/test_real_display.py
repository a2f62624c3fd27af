"""One whole task on a real display (issue 12; `make test-x` runs it under Xvfb, and the
offscreen `make test` skips it): LeNet for (1, 1, 28, 28) built from the palette with
keys typed into the filter and the inspector, no layer turning red; an undo with the
focus in a field; the window at 1024×700 with screenshots."""

import os
import shutil
import subprocess

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.main_window import MainWindow
from core.document.graph import Document, InputSpec
from core.runtime.report import format_shape
from core.workspace import Workspace
from tests.app.driver import set_argument, wait_for_shapes
from tests.app.test_shape_aware import LENET

pytestmark = pytest.mark.skipif(
    os.environ.get("QT_QPA_PLATFORM", "offscreen") != "xcb" or not shutil.which("xdotool"),
    reason="needs a real display and xdotool: make test-x")


def test_lenet_on_a_real_display(qtbot, settings, tmp_path):
    window = MainWindow(Workspace(Document(input=InputSpec((1, 1, 28, 28)))), settings)
    qtbot.addWidget(window)
    window.resize(1024, 700)
    window.show()
    qtbot.waitExposed(window)
    wait_for_shapes(qtbot, window)
    for layer_type, chosen in LENET:
        window.palette.filter.setFocus()
        window.palette.filter.selectAll()
        QTest.keyClicks(window.palette.filter, layer_type)
        QTest.keyClick(window.palette.filter, Qt.Key.Key_Return)
        window.scene.flush()
        qtbot.waitUntil(lambda c=chosen: all(n in window.inspector.editors for n in c),
                        timeout=5_000)
        for name, value in chosen.items():
            set_argument(qtbot, window, name, str(value))
        wait_for_shapes(qtbot, window)
        assert not window.scene.report.node_errors(), layer_type
    assert format_shape(window.scene.report.output_shape) == "(1, 10)"
    window.grab().save(str(tmp_path / "lenet-1024x700.png"))
    count = len(window.workspace.document.root.nodes)
    window.activateWindow()
    field = window.inspector.editors["out_features"].widget
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=5_000)
    # A real key chord from the X server, as a person presses it.
    subprocess.run(["xdotool", "key", "--clearmodifiers", "ctrl+z"], check=True)
    qtbot.waitUntil(lambda: window.workspace.history.can_redo, timeout=5_000)
    window.scene.flush()
    assert len(window.workspace.document.root.nodes) in (count, count - 1)
    assert (window.width(), window.height()) == (1024, 700)
    assert window.minimumSizeHint().width() <= 1024
    window.workspace.history.mark_clean()
