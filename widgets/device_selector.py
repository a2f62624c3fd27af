"""The device the model lives on: cpu, each cuda:i with its name and memory, mps."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from core.runtime.devices import available_devices
from core.workspace import Workspace


class DeviceSelector(QWidget):
    """Shows the device the document's model is on, whatever moved it (a choice here, an
    undo, an opened file); ``device_chosen(name)`` when a person picks or types one."""

    device_chosen = Signal(str)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.combo = QComboBox(self)
        self.combo.setEditable(True)
        # A typed name is a request, refused or done; it never becomes an entry.
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.setMinimumContentsLength(14)
        self.combo.setToolTip("Where the model's parameters and buffers live; type a device "
                              "such as cuda:1 to ask for one that is not listed")
        for info in available_devices():
            memory = f", {info.memory / 2**30:.0f} GiB" if info.memory else ""
            label = info.name if info.name == "cpu" else f"{info.name} ({info.label}{memory})"
            self.combo.addItem(label, info.name)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.addWidget(QLabel("Device", self))
        layout.addWidget(self.combo)
        self.combo.activated.connect(lambda index: self._chosen(self.combo.itemData(index)))
        self.combo.lineEdit().editingFinished.connect(self._typed)
        self._current = "cpu"
        self._subscription = workspace.subscribe({"device_changed": self._follow},
                                                 replaced=self._follow)
        self._follow()

    def _follow(self) -> None:
        self.show_device(self.workspace.document.device)

    def _typed(self) -> None:
        text = self.combo.currentText().strip()
        index = self.combo.findText(text)
        name = self.combo.itemData(index) if index >= 0 else text.split(" ")[0]
        if name and name != self._current:
            self._chosen(name)

    def _chosen(self, name: str | None) -> None:
        if name and name != self._current:
            self.device_chosen.emit(name)
        self.show_device(self._current)

    def show_device(self, name: str) -> None:
        """Show ``name`` as the device the model is on now."""
        self._current = name
        index = self.combo.findData(name)
        blocked = self.combo.blockSignals(True)
        if index >= 0:
            self.combo.setCurrentIndex(index)
        else:
            self.combo.setEditText(name)
        self.combo.blockSignals(blocked)

    def choose(self, name: str) -> None:
        """As if a person typed ``name``."""
        self.combo.setEditText(name)
        self._typed()
