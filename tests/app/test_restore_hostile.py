"""The start with a damaged recovery folder: each leftover is offered (restore, or discard
or move aside with the reason) and none stops the start or comes back after an answer; a
restored copy keeps the trust rules; a recovery folder that cannot be used is said once."""

import logging
import os
import zipfile

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app.autosave import Autosaver
from app.main import show_first_document
from app.restore import offer_recovery
from core.catalog.templates import load_template
from core.document.compose import Composer
from core.document.edit import SetInput
from core.document.graph import Node
from core.io.files import document_to_json
from core.io.recovery import RecoveryStore
from tests.core.test_recovery_hostile import MUTATIONS

Button = QMessageBox.StandardButton
SPECIAL = {"meta is a FIFO", "project is a FIFO", "project links to /dev/null",
           "meta links to /dev/null", "stray FIFO json", "project links nowhere"}


@pytest.fixture
def boxes(monkeypatch):
    """The boxes app.messages shows; each answered by ``replies`` (a function of the box)."""
    class Boxes(list):
        replies = staticmethod(lambda box: Button.Discard)

    shown = Boxes()

    def ask(box):
        shown.append(box)
        return shown.replies(box)

    monkeypatch.setattr("app.messages.ask", ask)
    return shown


def _store(tmp_path, mutation):
    store = RecoveryStore(tmp_path / mutation.replace(" ", "-").replace("/", "") / "recovery")
    store.write("good", load_template("mlp"), None, tmp_path / "mine.tcanvas")
    MUTATIONS[mutation](store)
    return store


def _mutations(names=None):
    return [name for name in (names or sorted(MUTATIONS))
            if os.name == "posix" or name not in SPECIAL]


def test_every_leftover_is_offered_plainly_and_gone_after_discard(make_window, tmp_path,
                                                                  boxes):
    window = make_window()
    for mutation in _mutations():
        store = _store(tmp_path, mutation)
        count, before = len(store.found()), len(boxes)
        offer_recovery(window, store)  # never raises
        assert len(boxes) - before == count, mutation
        assert {box.textFormat() for box in boxes} == {Qt.TextFormat.PlainText}
        assert store.found() == [], mutation
        offer_recovery(window, store)  # the next start asks nothing
        assert len(boxes) - before == count, mutation


def test_a_damaged_copy_says_why_and_can_be_moved_aside(make_window, tmp_path, boxes):
    window = make_window()
    boxes.replies = lambda box: Button.Save  # "Move Aside"
    for mutation in _mutations(["bad zip", "meta not json", "project is a folder",
                                "project is a FIFO", "meta deeply nested", "no project"]):
        store = _store(tmp_path, mutation)
        before = len(boxes)
        assert not offer_recovery(window, store)
        (box,) = boxes[before:]
        assert "cannot be restored: " in box.text(), mutation
        assert box.button(Button.Save).text() == "Move Aside"
        assert store.found() == [], mutation
        assert any((store.folder / "damaged").iterdir()), mutation


def test_a_whole_copy_with_an_odd_description_is_restored(make_window, tmp_path, boxes):
    window = make_window()
    boxes.replies = lambda box: Button.Yes
    for mutation in _mutations(["saved_at 1e300", "saved_at NaN", "saved_at text",
                                "original a list", "title an object", "no meta"]):
        window.workspace.replace(Composer().document())  # nothing unsaved to ask about
        store = _store(tmp_path, mutation)
        assert offer_recovery(window, store), mutation
        assert window.workspace.document.root == load_template("mlp").root, mutation
        assert window.isWindowModified()
        assert store.found() == []


def test_the_start_goes_on_to_the_example_network(make_window, tmp_path, boxes):
    boxes.replies = lambda box: Button.Cancel if box.standardButtons() & Button.Cancel \
        else Button.Discard
    for mutation in _mutations(["saved_at 1e300", "bad zip", "project is a folder",
                                "meta not json", "project links to /dev/null"]):
        window = make_window()
        window.autosaver.store = _store(tmp_path, mutation)
        show_first_document(window, None)
        assert window.workspace.document.root.nodes, mutation  # the example network


def _recovered_project_with_code(tmp_path):
    marker = tmp_path / "code-ran"
    source = (f"import pathlib\npathlib.Path(r'{marker}').write_text('ran')\n\n\n"
              "class Evil(nn.Module):\n    def forward(self, x):\n        return x\n")
    c = Composer()
    document = c.document(c.layer("ReLU"), title="planted")
    document.root.nodes.append(Node("n9", "Evil"))
    document.custom_layers["Evil"] = source
    store = RecoveryStore(tmp_path / "recovery")
    store.folder.mkdir()
    with zipfile.ZipFile(store.folder / "planted.tcanvas", "w") as archive:
        archive.writestr("graph.json", document_to_json(document))
    (store.folder / "planted.json").write_text(
        '{"original": "%s", "title": "planted", "saved_at": 1}' % (tmp_path / "net.tcanvas"))
    return store, marker


def test_a_restored_copy_with_layer_code_asks_first_and_opens_read_only(
        make_window, tmp_path, boxes, monkeypatch):
    store, marker = _recovered_project_with_code(tmp_path)
    window = make_window()
    asked = []
    monkeypatch.setattr(type(window), "_ask", lambda self, box: asked.append(
        box.path.toPlainText()) or None)
    boxes.replies = lambda box: Button.Yes
    assert offer_recovery(window, store)
    assert asked == [str(store.folder / "planted.tcanvas")]
    assert window.workspace.read_only and not marker.exists()
    assert window.workspace.path == tmp_path / "net.tcanvas"
    assert window.isWindowModified()
    assert "(read-only)" in window.windowTitle()


def test_a_restored_copy_with_layer_code_runs_it_when_trusted(make_window, tmp_path, boxes,
                                                              monkeypatch):
    store, marker = _recovered_project_with_code(tmp_path)
    window = make_window()
    monkeypatch.setattr(type(window), "_ask", lambda self, box: box.trust)
    boxes.replies = lambda box: Button.Yes
    assert offer_recovery(window, store)
    assert marker.exists() and not window.workspace.read_only
    assert window.isWindowModified()


def test_a_recovery_folder_that_is_a_file_is_said_once_and_editing_goes_on(
        qtbot, make_window, tmp_path, caplog):
    in_the_way = tmp_path / "recovery"
    in_the_way.write_text("not a folder")
    window = make_window("mlp")
    window.autosaver.stop()
    autosaver = Autosaver(window, RecoveryStore(in_the_way))
    path = tmp_path / "net.tcanvas"
    with caplog.at_level(logging.WARNING, logger="torchcanvas"):
        for step in range(3):
            window.workspace.execute(SetInput((3 + step, 20)))
            autosaver.autosave()
            qtbot.waitUntil(lambda: autosaver.writer.idle, timeout=10_000)
            assert window.save_to(path)  # a clean state discards: must not raise
    failures = [r for r in caplog.records if "Autosave" in r.getMessage()]
    assert len(failures) == 1, [r.getMessage() for r in failures]
    assert "not a folder" in failures[0].getMessage()
    assert in_the_way.read_text() == "not a folder"
    assert not window.isWindowModified()
    autosaver.stop()


def test_a_copy_that_fails_to_show_is_offered_as_damaged(make_window, tmp_path, boxes,
                                                         monkeypatch):
    store = _store(tmp_path, "title an object")
    window = make_window()

    def fails(*args):
        raise RuntimeError("cannot show <b>this</b>")

    monkeypatch.setattr(window.projects, "show_recovered", fails)
    boxes.replies = lambda box: Button.Yes if box.standardButtons() & Button.Yes \
        else Button.Discard
    assert not offer_recovery(window, store)
    assert "cannot show <b>this</b>" in boxes[-1].text()
    assert store.found() == []
