"""Long work behind a progress dialog: the dialog outlives nothing it is inside."""

import threading
import time

from PySide6.QtWidgets import QWidget

from widgets.jobs import Job


def test_work_that_ends_while_its_modal_dialog_moves_the_bar_closes_cleanly(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    go = threading.Event()
    results: list[object] = []

    def work(control):
        go.wait(5)
        control.progress(1)  # the step and the end arrive in one turn of the loop
        return "made"

    jobs = []
    for _ in range(20):
        go.clear()
        job = Job(parent, "Working…", work, results.append, results.append, steps=3)
        job.dialog.forceShow()  # a shown modal dialog turns the event loop in setValue
        jobs.append(job)
        go.set()
        time.sleep(0.05)  # both the step and the end are queued before the loop turns
        qtbot.waitUntil(lambda job=job: job.finished, timeout=5_000)
        qtbot.wait(20)  # the deferred deletion of the dialog
    assert results == ["made"] * 20


def test_steps_queued_together_with_the_end_never_free_the_dialog_under_its_setvalue(
        qtbot, monkeypatch):
    """A shown modal dialog's setValue turns the loop, which delivers the next queued
    step: that nested step must not clear the guard the outer one set, or the end
    arriving in the same turn frees the dialog while the outer setValue still runs."""
    import shiboken6
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QMainWindow

    import widgets.jobs

    monkeypatch.setattr(widgets.jobs, "PROGRESS_INTERVAL_S", 0.0)  # every step reported
    parent = QMainWindow()
    qtbot.addWidget(parent)
    parent.show()
    go = threading.Event()
    results: list[object] = []

    def work(control):
        go.wait(5)
        for step in range(1, 6):
            control.progress(step)
        return "made"

    def done(result):  # a message box: a nested event loop in the callback
        results.append(result)
        loop = QEventLoop()
        QTimer.singleShot(30, loop.quit)
        loop.exec()
        results.append(shiboken6.isValid(job.dialog))

    job = Job(parent, "Working…", work, done, results.append, steps=5)
    job.dialog.forceShow()
    qtbot.wait(10)
    go.set()
    time.sleep(0.3)  # every step and the end are queued before the loop turns
    for _ in range(20):
        QTest.qWait(20)
    assert results == ["made", True], "the dialog was freed inside the callback"
