"""The example gallery: every template with a picture and what it demonstrates."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
)

from core.catalog.templates import list_templates, load_template
from widgets.canvas_image import thumbnail

NAME_ROLE = Qt.ItemDataRole.UserRole


class Gallery(QDialog):
    """``example_chosen(name)`` when a person opens an example."""

    example_chosen = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Examples")
        self.resize(980, 680)
        self.list = QListWidget(self)
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(220, 160))
        self.list.setGridSize(QSize(250, 215))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setWordWrap(True)
        self.about = QLabel(self)
        self.about.setWordWrap(True)
        self.about.setMinimumHeight(60)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open
                                   | QDialogButtonBox.StandardButton.Close, self)
        buttons.accepted.connect(self._open)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Each example is a network from the chapter or a classic "
                                "pattern; open one to explore it on the canvas.", self))
        layout.addWidget(self.list)
        layout.addWidget(self.about)
        layout.addWidget(buttons)
        for template in list_templates():
            item = QListWidgetItem(QIcon(thumbnail(load_template(template.name))),
                                   template.title)
            item.setData(NAME_ROLE, template.name)
            item.setToolTip(template.description)
            self.list.addItem(item)
        self.descriptions = {t.name: (t.title, t.description) for t in list_templates()}
        self.list.currentItemChanged.connect(self._describe)
        self.list.itemActivated.connect(lambda _: self._open())
        self.list.setCurrentRow(0)

    def _describe(self, item) -> None:
        if item is not None:
            title, text = self.descriptions[item.data(NAME_ROLE)]
            self.about.setText(f"<b>{title}</b><br>{text}")

    def choose(self, name: str) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(NAME_ROLE) == name:
                self.list.setCurrentRow(row)

    def _open(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.example_chosen.emit(item.data(NAME_ROLE))
            self.accept()
