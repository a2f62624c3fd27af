"""The main window opens with a network, and a bad file changes nothing."""

from PySide6.QtWidgets import QGraphicsRectItem, QMessageBox

from app.main_window import MainWindow
from core.templates import load_template


def test_opens_with_the_chapter_mlp(qtbot):
    window = MainWindow(load_template("mlp"))
    qtbot.addWidget(window)
    window.show()
    tree = window.layers
    names = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    assert names == ["hidden", "relu", "out"]
    assert tree.topLevelItem(2).text(2) == "(2, 10)"
    assert "7,946 parameters" in window.totals.text()
    assert "TorchCanvas" in window.windowTitle()


def test_a_bad_file_shows_a_message_and_keeps_the_document(qtbot, tmp_path, monkeypatch):
    window = MainWindow(load_template("mlp"))
    qtbot.addWidget(window)
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: shown.append(args[2]))
    bad = tmp_path / "bad.tcanvas"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    before = window.document
    assert window.open_path(bad) is False
    assert window.document is before
    assert shown and "bad.tcanvas" in shown[0]


def test_void_methods_can_be_called_ten_thousand_times(qtbot):
    """PySide6 6.12.0 on Python < 3.12 leaks None on void calls and aborts; we pin below."""
    item = QGraphicsRectItem(0, 0, 10, 10)
    for i in range(10_000):
        item.setPos(i, i)
        item.setFlag(QGraphicsRectItem.GraphicsItemFlag.ItemIsMovable, i % 2 == 0)
    assert item.pos().x() == 9_999
