"""Text from files is shown as text: names, titles and errors that look like markup never
render as markup, in the trust prompt least of all (a project named
``quarterly-report<b><!--.tcanvas`` once hid the whole warning above [Trust and run])."""

import json
import os
import re
import sys
import zipfile
from pathlib import Path

import pytest
from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QTextDocument
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QMessageBox

from app.errors import install_exception_handler
from app.restore import offer_recovery
from core.document.compose import Composer
from core.document.edit import SetInput
from core.document.graph import ROOT as GRAPH_ROOT
from core.document.graph import Node
from core.io.files import document_to_json
from core.io.recovery import RecoveryStore
from widgets.trust_dialog import QUESTION, TrustDialog

ROOT = Path(__file__).resolve().parents[2]

# Markup that Qt's rich-text guess accepts, as file names can hold it (no "/").
NAME_PAYLOADS = [
    "quarterly-report<b><!--",
    "<img src='x.png'>",
    "<a href='https:evil'>here<a>",
    "<h1>Safe to run<h1><p>",
    "<!DOCTYPE html><html><body style='display:none'>",
    "&lt;b&gt; escaped",
    "<font color=white>hidden",
    "<table><tr><td>",
    "<br><br><br><br>[Trust and run] is safe",
    "<qt>",
    "<style>*{color:white}<style>x",
    "<span style='font-size:1px'>",
]
# Titles and error texts can hold anything.
TEXT_PAYLOADS = [*NAME_PAYLOADS, "</b></p></qt><!-- -->", "<script>alert(1)</script>",
                 "line one\n<b>line two</b>"]


@pytest.fixture
def boxes(monkeypatch):
    """Every app.messages box, kept for a look, answered with ``boxes.reply`` or (for a
    question) Discard when it has one."""
    class Boxes(list):
        reply = None

    shown = Boxes()

    def ask(box):
        shown.append(box)
        if shown.reply is not None:
            return shown.reply
        if box.standardButtons() & QMessageBox.StandardButton.Discard:
            return QMessageBox.StandardButton.Discard
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr("app.messages.ask", ask)
    return shown


def assert_plain(box, raw: str) -> None:
    assert box.textFormat() == Qt.TextFormat.PlainText
    assert raw in box.text()


def shown_text(label: QLabel) -> str:
    """What a label puts on screen."""
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and QtGui.Qt.mightBeRichText(label.text()))
    if not rich:
        return label.text()
    document = QTextDocument()
    document.setHtml(label.text())
    return document.toPlainText()


def _project_with_code(path: Path, marker: Path, title: str = "") -> str:
    source = (f"import pathlib\npathlib.Path(r'{marker}').write_text('ran')\n\n\n"
              "class Evil(nn.Module):\n    def forward(self, x):\n        return x\n")
    c = Composer()
    document = c.document(c.layer("ReLU"), title=title)
    document.root.nodes.append(Node("n9", "Evil"))
    document.custom_layers["Evil"] = source
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("graph.json", document_to_json(document))
    return source


def _observe(dialog) -> dict:
    """What the trust dialog shows, read while it is on show."""
    font = dialog.code.font()
    return {
        "type": type(dialog),
        "formats": {label.textFormat() for label in dialog.findChildren(QLabel)},
        "question": dialog.question.text(),
        "path": dialog.path.toPlainText(),
        "read_only_boxes": dialog.path.isReadOnly() and dialog.code.isReadOnly(),
        "monospace": font.family() == QFontDatabase.systemFont(
            QFontDatabase.SystemFont.FixedFont).family(),
        "code": dialog.shown_code(),
        "default_is_read_only": dialog.read_only.isDefault(),
        "trust": dialog.trust.text(),
    }


def test_the_trust_prompt_shows_the_full_path_and_the_code_as_plain_text(
        make_window, tmp_path, monkeypatch):
    window = make_window()
    seen = []
    monkeypatch.setattr(type(window), "_ask", lambda self, box: seen.append(_observe(box)))
    for index, payload in enumerate(NAME_PAYLOADS):
        marker = tmp_path / f"code-ran-{index}"
        path = tmp_path / f"{payload}.tcanvas"
        source = _project_with_code(path, marker, title=payload)
        assert window.open_path(path), payload
        assert seen[-1] == {
            "type": TrustDialog, "formats": {Qt.TextFormat.PlainText}, "question": QUESTION,
            "path": str(path.absolute()), "read_only_boxes": True, "monospace": True,
            "code": source, "default_is_read_only": True, "trust": "Trust and run"}, payload
        assert window.workspace.read_only and not marker.exists(), payload
    assert len(seen) == len(NAME_PAYLOADS)


def test_hidden_characters_in_the_path_and_code_are_made_visible(make_window, tmp_path,
                                                                 monkeypatch):
    marker = tmp_path / "code-ran"
    path = tmp_path / "invoice\u202egnp.tcanvas"
    _project_with_code(path, marker)
    window = make_window()
    seen = []
    monkeypatch.setattr(type(window), "_ask", lambda self, box: seen.append(_observe(box)))
    window.open_path(path)
    assert "invoice\\u202egnp.tcanvas" in seen[0]["path"]
    assert "\u202e" not in seen[0]["path"]


def test_trusting_runs_the_code(make_window, tmp_path, monkeypatch):
    marker = tmp_path / "code-ran"
    path = tmp_path / f"{NAME_PAYLOADS[0]}.tcanvas"
    _project_with_code(path, marker)
    window = make_window()
    monkeypatch.setattr(type(window), "_ask", lambda self, box: box.trust)
    assert window.open_path(path)
    assert marker.exists() and not window.workspace.read_only


def test_cannot_open_shows_the_name_and_the_error_as_plain_text(make_window, tmp_path, boxes):
    window = make_window()
    for payload in NAME_PAYLOADS:
        bad = tmp_path / f"{payload}.tcanvas"
        bad.write_bytes(b"PK\x03\x04 not really a zip")
        assert window.open_path(bad) is False
        assert_plain(boxes[-1], f"{payload}.tcanvas: ")
    assert len(boxes) == len(NAME_PAYLOADS)


def test_an_error_naming_what_a_file_holds_is_plain_text(make_window, tmp_path, boxes):
    window = make_window()
    bad = tmp_path / "net.json"
    for payload in TEXT_PAYLOADS:
        bad.write_text(json.dumps({"format": "torchcanvas", "version": 1, "title": payload,
                                   "graph": {"nodes": [{"id": "n1", "type": payload}],
                                             "edges": []}}))
        assert window.open_path(bad) is False
        assert boxes[-1].textFormat() == Qt.TextFormat.PlainText
        assert boxes[-1].text().startswith("net.json: ")


def test_the_recovery_question_is_plain_text(make_window, tmp_path, boxes):
    window = make_window()
    boxes.reply = QMessageBox.StandardButton.Cancel
    for index, payload in enumerate(TEXT_PAYLOADS):
        store = RecoveryStore(tmp_path / f"recovery-{index}")
        document = Composer().document(title=payload)
        store.write("k1", document, None, None)
        store.write("k2", document, None, tmp_path / f"{payload.replace('/', '')}.tcanvas")
        (store.folder / "k3.tcanvas").write_bytes(b"broken")
        (store.folder / "k3.json").write_text(json.dumps({"title": payload}))
        before = len(boxes)
        offer_recovery(window, store)
        asked = boxes[before:]
        assert len(asked) == 3, payload
        assert {box.textFormat() for box in asked} == {Qt.TextFormat.PlainText}
        texts = [box.text() for box in asked]
        assert all(payload in text or payload.replace("/", "") in text for text in texts)


def test_the_unsaved_changes_question_is_plain_text(make_window, tmp_path, boxes):
    window = make_window("mlp")
    boxes.reply = QMessageBox.StandardButton.Discard
    for payload in NAME_PAYLOADS:
        path = tmp_path / f"{payload}.tcanvas"
        assert window.save_to(path)
        window.workspace.execute(SetInput((3, 20)))
        assert window.maybe_save()
        assert_plain(boxes[-1], f"Save the changes to {payload}.tcanvas?")


@pytest.mark.skipif(os.name != "posix", reason="FIFOs")
def test_export_errors_are_plain_text_and_a_fifo_is_not_replaced(make_window, tmp_path, boxes,
                                                                 monkeypatch):
    window = make_window("mlp")
    for payload in NAME_PAYLOADS:
        fifo = tmp_path / f"{payload}.py"
        os.mkfifo(fifo)
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, f=fifo, **k: (str(f), ""))
        window.do_export_python()
        assert_plain(boxes[-1], payload)
        assert "not a regular file" in boxes[-1].text()
        window.files.export_image(fifo)
        assert_plain(boxes[-1], "not a regular file")
        assert fifo.is_fifo()


def test_the_unexpected_error_box_is_plain_text(make_window, monkeypatch):
    window = make_window()
    shown = []
    monkeypatch.setattr("app.errors.QMessageBox.open", lambda box: shown.append(box))
    old_hook = sys.excepthook
    install_exception_handler(window)
    try:
        for payload in TEXT_PAYLOADS:
            try:
                raise RuntimeError(payload)
            except RuntimeError:
                sys.excepthook(*sys.exc_info())
            assert_plain(shown[-1], f"RuntimeError: {payload}")
    finally:
        sys.excepthook = old_hook


def test_a_title_shows_as_written_in_the_breadcrumb_and_the_inspector(make_window):
    window = make_window()
    for payload in TEXT_PAYLOADS:
        window.workspace.replace(Composer().document(Composer().layer("ReLU"), title=payload,
                                                     description=payload))
        window.breadcrumb.show_path(window.workspace.document, GRAPH_ROOT)
        QApplication.processEvents()
        breadcrumb = [label for label in window.breadcrumb.findChildren(QLabel)
                      if not label.isHidden() and label.text() != "›"]
        assert [" ".join(shown_text(label).split()) for label in breadcrumb] == \
            [" ".join(payload.split())]
        window.inspector.refresh()
        labels = window.inspector.widget().findChildren(QLabel)
        assert {label.textFormat() for label in labels} == {Qt.TextFormat.PlainText}
        assert payload in [label.text() for label in labels]
        assert payload in window.windowTitle()  # a window title is never rich text


def test_no_static_message_box_is_left_in_app_or_widgets():
    """QMessageBox.warning and its kind guess the format; app.messages is plain."""
    static = re.compile(r"QMessageBox\.(warning|information|question|critical)\(")
    found = [f"{path.relative_to(ROOT)}:{number}"
             for folder in ("app", "widgets") for path in sorted((ROOT / folder).glob("*.py"))
             for number, line in enumerate(path.read_text().splitlines(), 1)
             if static.search(line)]
    assert found == []


def test_weights_of_unsized_layers_are_refused_in_a_plain_box(qtbot, make_window, tmp_path,
                                                              boxes):
    c = Composer()
    window = make_window()
    window.workspace.replace(c.document(c.layer("LazyConv2d", out_channels=4, kernel_size=3),
                                        input_shape=(2, 20)))
    qtbot.waitUntil(lambda: window.workspace.live.module is not None, timeout=10_000)
    target = tmp_path / "w.safetensors"
    assert not window.files.export_weights(target)
    assert_plain(boxes[-1], "no size yet")
    assert not target.exists()


def test_the_progress_dialog_names_the_file_as_plain_text(qtbot, make_window, tmp_path, boxes):
    window = make_window()
    path = tmp_path / f"{NAME_PAYLOADS[0]}.tcanvas"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    job = window.open_in_background(path)
    label = job.dialog.findChild(QLabel)
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert label.text() == f"Opening {path.name}…"
    qtbot.waitUntil(lambda: job.finished, timeout=10_000)
    assert_plain(boxes[-1], path.name)
