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
