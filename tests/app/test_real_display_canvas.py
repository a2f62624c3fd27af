"""The canvas habits on a real display (issue 12; run under Xvfb like
test_real_display.py, skipped offscreen): a link dragged by the X server's mouse onto
empty canvas opens the filtered search and the layer typed there is connected; a real
right-click opens the node's menu; a real click in the minimap moves the view."""

import os
import shutil
import subprocess

import pytest
from PySide6.QtCore import QPoint, QPointF

from app.main_window import MainWindow
from core.catalog.templates import load_template
from core.workspace import Workspace
from tests.app.driver import wait_for_shapes
from tests.app.test_canvas_legible import chain_document

pytestmark = pytest.mark.skipif(
    os.environ.get("QT_QPA_PLATFORM", "offscreen") != "xcb" or not shutil.which("xdotool"),
    reason="needs a real display and xdotool: make test-x")

SHOTS = os.environ.get("TORCHCANVAS_SHOTS", "")


def xdotool(*args: str) -> None:
    subprocess.run(["xdotool", *args], check=True)


def on_screen(window, scene_point: QPointF) -> QPoint:
    view = window.view
    return view.viewport().mapToGlobal(view.mapFromScene(scene_point))


def shoot(window, tmp_path, name: str) -> None:
    window.grab().save(str(tmp_path / name))
    if SHOTS:
        subprocess.run(["import", "-window", "root", os.path.join(SHOTS, name)], check=False)


def open_window(qtbot, settings, document, size=(1024, 700)) -> MainWindow:
    window = MainWindow(Workspace(document), settings)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    wait_for_shapes(qtbot, window)
    # the docks take their share of the window a few turns after it shows
    qtbot.waitUntil(lambda: window.window_layout.idle, timeout=10_000)
    qtbot.wait(100)
    return window


def test_a_link_let_go_on_the_canvas_and_a_right_click(qtbot, settings, tmp_path):
    window = open_window(qtbot, settings, load_template("small-cnn"))
    window.view.resetTransform()
    window.view.centerOn(window.scene.nodes["n2"])
    qtbot.wait(200)
    start = on_screen(window, window.scene.nodes["n2"].output_port())
    end = start + QPoint(260, 40)
    xdotool("mousemove", str(start.x()), str(start.y()))
    xdotool("mousedown", "1")
    for step in range(1, 6):
        middle = start + (end - start) * step / 5
        xdotool("mousemove", str(middle.x()), str(middle.y()))
        qtbot.wait(30)
    xdotool("mouseup", "1")
    search = window.view.search
    qtbot.waitUntil(search.isVisible, timeout=5_000)
    listed = [search.matches.item(i).text() for i in range(search.matches.count())]
    assert "Conv2d" in listed and "Conv1d" not in listed
    shoot(window, tmp_path, "link-search-1024x700.png")
    xdotool("type", "--delay", "40", "batchnorm2d")
    qtbot.waitUntil(lambda: search.matches.count() and
                    search.matches.currentItem().text() == "BatchNorm2d", timeout=5_000)
    xdotool("key", "Return")
    qtbot.waitUntil(lambda: any(n.type == "BatchNorm2d"
                                for n in window.workspace.document.root.nodes), timeout=5_000)
    added = next(n for n in window.workspace.document.root.nodes if n.type == "BatchNorm2d")
    assert any(e.src == "n2" and e.dst == added.id for e in window.workspace.document.root.edges)
    wait_for_shapes(qtbot, window)
    assert not window.scene.nodes[added.id].look.error
    window.scene.flush()
    spot = on_screen(window, window.scene.nodes["n3"].mapToScene(QPointF(0, 8)))
    xdotool("mousemove", str(spot.x()), str(spot.y()))
    xdotool("click", "3")
    qtbot.waitUntil(lambda: window.view.context_menu is not None and
                    window.view.context_menu.isVisible(), timeout=5_000)
    assert window.scene.selected_node_ids() == ["n3"]
    shoot(window, tmp_path, "node-menu-1024x700.png")
    xdotool("key", "Escape")
    qtbot.waitUntil(lambda: not window.view.context_menu.isVisible(), timeout=5_000)
    window.workspace.history.mark_clean()


def test_a_real_click_in_the_minimap(qtbot, settings, tmp_path):
    window = open_window(qtbot, settings, chain_document(300), (1600, 1000))
    window.view.fit()
    minimap = window.view.minimap
    qtbot.waitUntil(minimap.isVisible, timeout=5_000)
    shoot(window, tmp_path, "minimap-1600x1000.png")
    top = window.view.mapToScene(window.view.viewport().rect()).boundingRect().top()
    target = minimap.mapToGlobal(QPoint(minimap.width() // 2, minimap.height() * 3 // 4))
    xdotool("mousemove", str(target.x()), str(target.y()))
    xdotool("click", "1")
    qtbot.waitUntil(lambda: window.view.mapToScene(window.view.viewport().rect())
                    .boundingRect().top() > top + 1000, timeout=5_000)
    window.workspace.history.mark_clean()
