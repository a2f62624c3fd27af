import pytest
from PySide6.QtCore import QSettings

from app.main_window import MainWindow
from app.settings import Settings
from core.catalog.templates import load_template
from core.document.graph import Document
from core.workspace import Workspace


@pytest.fixture
def settings(tmp_path):
    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def make_window(qtbot, settings):
    def make(template: str | None = None) -> MainWindow:
        document = load_template(template) if template else Document()
        window = MainWindow(Workspace(document), settings)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    return make


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(autouse=True)
def dialogs(monkeypatch):
    """Modal dialogs would wait for a person; record them and answer Discard / OK."""
    from PySide6.QtWidgets import QMessageBox

    shown: list[tuple[str, str]] = []

    def answer(kind, reply):
        def show(parent, title, text, *args, **kwargs):
            shown.append((kind, text))
            return reply
        return show

    monkeypatch.setattr(QMessageBox, "question",
                        answer("question", QMessageBox.StandardButton.Discard))
    monkeypatch.setattr(QMessageBox, "warning", answer("warning", QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "critical", answer("critical", QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "information",
                        answer("information", QMessageBox.StandardButton.Ok))

    def ask(box):
        """app.messages' plain-text boxes answer through the functions above, so a test
        that replaces QMessageBox.question answers them too."""
        kind = {QMessageBox.Icon.Question: "question", QMessageBox.Icon.Warning: "warning",
                QMessageBox.Icon.Critical: "critical"}.get(box.icon(), "information")
        default = box.defaultButton()
        return getattr(QMessageBox, kind)(
            box.parentWidget(), box.windowTitle(), box.text(), box.standardButtons(),
            box.standardButton(default) if default else QMessageBox.StandardButton.NoButton)

    monkeypatch.setattr("app.messages.ask", ask)
    return shown
