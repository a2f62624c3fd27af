"""The GUI thread's cycle collector sets aside a large module imported late by a worker
(torch._dynamo, sympy) once it is in, after collecting the young garbage, and never
walks the oldest generation while modules are still being imported. All the garbage is
collected before anything is set aside: what is set aside is never collected."""

import gc
import sys
import weakref

from PySide6.QtCore import QObject

from app import collector


class Cycle:
    def __init__(self) -> None:
        self.itself = self


def test_a_late_import_is_set_aside_once_and_young_garbage_is_collected_first(
        qtbot, monkeypatch, tmp_path):
    (tmp_path / "late_library.py").write_text(
        "class Thing:\n    pass\n\nTHINGS = [Thing() for _ in range(1000)]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(collector, "LATE_IMPORTS", ("late_library",))
    automatic = gc.isenabled()
    parent = QObject()
    try:
        watcher = collector.GuiThreadCollector(parent, interval_ms=60_000)
        assert watcher.awaited == ["late_library"]
        watcher.collect()  # nothing arrived: nothing set aside
        old = Cycle()
        gc.collect()  # it survives into the oldest generation (a project just closed)
        old_gone = weakref.ref(old)
        del old
        import late_library
        garbage = Cycle()
        gone = weakref.ref(garbage)
        del garbage
        frozen = gc.get_freeze_count()
        watcher.collect()
        assert gone() is None
        assert old_gone() is None, "old garbage was set aside with the import, for good"
        assert gc.get_freeze_count() >= frozen + len(late_library.THINGS)
        assert all(tracked is not late_library.THINGS for tracked in gc.get_objects())
        assert watcher.awaited == []
        frozen = gc.get_freeze_count()
        kept = Cycle()
        watcher.collect()  # set aside once: what follows stays collectable
        assert gc.get_freeze_count() == frozen
        alive = weakref.ref(kept)
        del kept
        gc.collect()
        assert alive() is None
    finally:
        sys.modules.pop("late_library", None)
        if automatic:
            gc.enable()


def test_the_oldest_generation_waits_while_modules_are_imported(qtbot, monkeypatch,
                                                                 tmp_path):
    automatic = gc.isenabled()
    parent = QObject()
    collected: list[int] = []
    try:
        watcher = collector.GuiThreadCollector(parent, interval_ms=60_000)
        monkeypatch.setattr(collector.gc, "get_count", lambda: (10**6, 10**6, 10**6))
        monkeypatch.setattr(collector.gc, "collect", collected.append)
        (tmp_path / "another_library.py").write_text("VALUE = 1\n")
        monkeypatch.syspath_prepend(str(tmp_path))
        import another_library  # noqa: F401
        watcher.collect()
        assert collected == [0, 1]
        collected.clear()
        watcher.collect()  # no module since: the oldest too
        assert collected == [0, 1, 2]
    finally:
        sys.modules.pop("another_library", None)
        if automatic:
            gc.enable()
