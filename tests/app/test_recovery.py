"""Nothing lost: autosave, recovery after a kill, the offer at start-up, and the log."""

import json
import os
import signal
import subprocess
import sys
import textwrap

from PySide6.QtWidgets import QMessageBox

from app.restore import offer_recovery
from core.catalog.templates import load_template
from core.document.edit import SetInput
from core.io.recovery import RecoveryStore

CHILD = textwrap.dedent("""
    import os, sys, time
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from app.main_window import MainWindow
    from app.settings import Settings
    from core.document.edit import Rename, SetArgument
    from core.catalog.templates import load_template
    from core.workspace import Workspace
    window = MainWindow(Workspace(load_template("mlp")),
                        Settings(QSettings(sys.argv[1], QSettings.Format.IniFormat)))
    window.show()
    document = window.workspace.document
    window.workspace.execute(SetArgument(document.root.nodes[0].id, "out_features", 64))
    window.workspace.execute(Rename(document.root.nodes[2].id, "head"))
    start = time.time()
    while window.autosaver.written < 1 and time.time() - start < 30:
        app.processEvents()
        time.sleep(0.01)
    print("autosaved", flush=True)
    while True:
        app.processEvents()
        time.sleep(0.05)
""")


def edited_mlp():
    document = load_template("mlp")
    document.root.nodes[0].args["out_features"] = 64
    document.root.nodes[2].name = "head"
    return document


def test_a_killed_session_is_recovered_as_it_was_edited(tmp_path):
    folder = tmp_path / "recovery"
    environment = {**os.environ, "TORCHCANVAS_RECOVERY_DIR": str(folder),
                   "TORCHCANVAS_AUTOSAVE_SECONDS": "0.2"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path / "s.ini")],
                             stdout=subprocess.PIPE, text=True, env=environment)
    try:
        assert child.stdout.readline().strip() == "autosaved"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    (found,) = RecoveryStore(folder).found()
    project = found.load()
    expected = edited_mlp()
    assert project.document.root == expected.root
    if project.weights is not None:  # once the live model exists, its weights come along
        assert set(project.weights) == {"hidden.weight", "hidden.bias", "head.weight",
                                        "head.bias"}
        assert project.weights["hidden.weight"].shape == (64, 20)


def test_the_start_offers_each_recovered_document(qtbot, make_window, monkeypatch,
                                                  tmp_path):
    store = RecoveryStore(tmp_path / "recovery")
    store.write("aaa", edited_mlp(), None, tmp_path / "mine.tcanvas")
    older = load_template("chimera")
    store.write("bbb", older, None, None)
    meta = json.loads((tmp_path / "recovery" / "bbb.json").read_text())
    meta["saved_at"] -= 100
    (tmp_path / "recovery" / "bbb.json").write_text(json.dumps(meta))
    asked = []

    def answer(parent, title, text, buttons, default):
        asked.append(text)
        if len(asked) == 1:
            return QMessageBox.StandardButton.Yes
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", answer)
    window = make_window()
    assert offer_recovery(window, store)
    assert "mine.tcanvas" in asked[0] and len(asked) == 2
    assert window.workspace.document.root == edited_mlp().root
    assert window.workspace.path == tmp_path / "mine.tcanvas"
    assert window.isWindowModified()
    assert [r.key for r in store.found()] == ["bbb"]  # kept for the next start
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a: QMessageBox.StandardButton.Discard)
    offer_recovery(window, store)
    assert store.found() == []


def test_autosave_writes_beside_not_over_and_a_normal_close_removes_it(qtbot, make_window,
                                                                       tmp_path):
    window = make_window("mlp")
    path = tmp_path / "net.tcanvas"
    assert window.save_to(path)
    before = path.read_bytes()
    window.workspace.execute(SetInput((4, 20)))
    window.autosaver.autosave()
    qtbot.waitUntil(lambda: window.autosaver.written == 1, timeout=10_000)
    store = window.autosaver.store
    assert [r.original for r in store.found()] == [path]
    assert path.read_bytes() == before
    recovered = store.found()[0].load().document
    assert tuple(recovered.input.shape) == (4, 20)
    window.close()
    assert store.found() == []


def test_a_caught_error_is_in_the_log_and_help_shows_it(qtbot, make_window):
    import logging

    from app.logs import setup_logging

    path = setup_logging()
    logging.getLogger("torchcanvas").error("something odd happened %d", 42)
    window = make_window()
    dialog = window.do_show_log()
    qtbot.addWidget(dialog)
    assert "something odd happened 42" in dialog.text.toPlainText()
    assert str(path).startswith(os.environ["TORCHCANVAS_LOG_DIR"])


def test_a_cancelled_or_failed_save_leaves_the_old_file_and_the_document_unsaved(
        qtbot, make_window, tmp_path, dialogs):
    window = make_window("mlp")
    path = tmp_path / "net.tcanvas"
    assert window.save_to(path)
    before = path.read_bytes()
    window.workspace.execute(SetInput((3, 20)))
    qtbot.waitUntil(lambda: window.workspace.live_if_built is not None
                    and window.workspace.live.module is not None, timeout=10_000)
    job = window.save_in_background(path)
    job.cancel.set()
    qtbot.waitUntil(lambda: job.finished, timeout=10_000)
    if path.read_bytes() != before:  # the write finished before Cancel was seen
        assert not window.isWindowModified()
        return
    assert window.isWindowModified()
    assert "cancelled" in window.statusBar().currentMessage()
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []
    job = window.save_in_background(tmp_path / "no-such-folder" / "net.tcanvas")
    qtbot.waitUntil(lambda: job.finished, timeout=10_000)
    assert dialogs[-1][0] == "warning" and "cannot write" in dialogs[-1][1].lower()
    assert window.isWindowModified()
