"""The Train dock sets aside (gc.freeze) what torch's optimizers import on the first run
of a process, so the collector on the GUI thread does not walk it: what else lives then
must stay collectable."""

import gc
import weakref

from app import training
from tests.app.test_train_window import train_ready, wait_done


class Cycle:
    def __init__(self) -> None:
        self.itself = self


def test_what_lives_while_a_later_run_loads_its_data_is_collected_afterwards(qtbot,
                                                                             make_window):
    window = make_window("mlp")
    panel = train_ready(qtbot, window)
    panel.epochs.setValue(1)
    panel.start.click()  # this process's first optimizer, if no test made one before
    wait_done(qtbot, window)
    made = Cycle()
    alive = weakref.ref(made)
    panel.start.click()
    assert panel.status.text() == "Loading the data…"
    wait_done(qtbot, window)
    assert "Trained 1 epoch" in panel.status.text()
    del made
    gc.collect()
    assert alive() is None


def test_garbage_made_while_the_import_is_set_aside_is_collected_first():
    automatic = gc.isenabled()
    gc.disable()  # no collection between here and the call moves it out of the young
    try:
        made = Cycle()
        alive = weakref.ref(made)
        del made
        training._age_young_objects()
        assert alive() is None
    finally:
        if automatic:
            gc.enable()


def test_garbage_older_than_the_first_run_is_not_set_aside_with_the_import(
        qtbot, make_window, monkeypatch):
    window = make_window("mlp")
    panel = train_ready(qtbot, window)
    panel.epochs.setValue(1)
    old = Cycle()
    gc.collect()  # it survives into the oldest generation (a project closed before)
    alive = weakref.ref(old)
    del old
    monkeypatch.setattr(training, "_optimizers_warm", lambda: False)  # the first run
    panel.start.click()
    wait_done(qtbot, window)
    gc.collect()
    assert alive() is None, "set aside with the import, it would never be freed"
