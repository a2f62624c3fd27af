"""One argument edit on a 1,000-layer document in the real main window (offscreen), from
the command until the canvas has repainted and every background job (the dry run, the
code view, the summary) has finished. Counts the plans (`plan_document`) and dry runs
(`infer_shapes`) each edit costs, from any thread, by caller.

GUI-thread time is the wall time the GUI thread spends working from the command until
idle: the command itself plus every ``processEvents`` call made while waiting, less the
cost of an empty call (measured first); between calls that found nothing to do, the
thread sleeps, and that wait for workers and timers is not counted. It includes time
spent waiting for the GIL while a worker runs Python: the window is just as unresponsive
then. (The GUI thread's CPU time is printed next to it.) A call of `plan_document` that
returns the plan kept with the document is counted as cached; the others lower the
document.

The window runs with the interpreter set as the app sets it (`app.interpreter`).

Exits non-zero with a message when the window does not become idle within the time
limit."""

from __future__ import annotations

import functools
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

LAYERS = 1_000
EDITS = 20
TIMEOUT_S = 300.0  # for the first dry run of the document and for each edit
POLL_S = 0.001  # the GUI thread's nap when a turn of the loop found nothing to do
CALLER_DEPTH = 4  # project frames shown for each counted call
PATCHED = ("plan_document", "infer_shapes")
# Every module that imports either function by name, imported before the wrappers go in
# (the teaching panels import codegen and summary lazily); any other module that holds
# one of them by then is found in sys.modules and wrapped as well.
MODULES = ("core.runtime.plan", "core.runtime.build", "core.runtime.shapes",
           "core.runtime.inspect", "core.runtime.summary", "core.runtime.live",
           "core.io.codegen", "core.io.export", "widgets.node_look", "core")
PROJECT = ("core.", "widgets.", "app.")
SLOTS = (("app.main_window", "MainWindow", "request_shapes"),
         ("app.inspection", "Inspection", "refresh"),
         ("app.teaching", "Teaching", "refresh"),
         ("widgets.inspector", "Inspector", "refresh"),
         ("widgets.canvas_scene", "CanvasScene", "flush"))
SKIPPED = ("widgets.background",)  # the thread-pool trampoline says nothing


class NotIdle(RuntimeError):
    pass


class Patches:
    """Attributes replaced for the measurement, put back afterwards."""

    MISSING = object()

    def __init__(self) -> None:
        self.replaced: list[tuple[object, str, object]] = []

    def set(self, owner: object, name: str, value: object) -> None:
        self.replaced.append((owner, name, owner.__dict__.get(name, self.MISSING)))
        setattr(owner, name, value)

    def undo(self) -> None:
        for owner, name, value in reversed(self.replaced):
            if value is self.MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, value)
        self.replaced.clear()


class Calls:
    """Calls of one function from any thread, by thread and chain of project callers."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lock = threading.Lock()
        self.calls: Counter[tuple[str, str]] = Counter()
        self.cached: Counter[tuple[str, str]] = Counter()
        self.seconds: Counter[tuple[str, str]] = Counter()

    def wrap(self, function):
        @functools.wraps(function)
        def counted(*args, **kwargs):
            key = (_thread(), _callers(sys._getframe(1)))
            kept = getattr(args[0], "plan_cache", None) if args else None
            start = time.perf_counter()
            result = None
            try:
                result = function(*args, **kwargs)
                return result
            finally:
                elapsed = time.perf_counter() - start
                with self.lock:
                    self.calls[key] += 1
                    self.seconds[key] += elapsed
                    if kept is not None and result is not None and kept[-1] is result:
                        self.cached[key] += 1

        return counted

    def take(self) -> tuple[Counter, Counter, Counter]:
        """The calls, cached calls and seconds since the last take; start afresh."""
        with self.lock:
            taken = self.calls, self.cached, self.seconds
            self.calls, self.cached, self.seconds = Counter(), Counter(), Counter()
        return taken


def _thread() -> str:
    return "GUI" if threading.current_thread() is threading.main_thread() else "worker"


def _callers(frame) -> str:
    chain: list[str] = []
    while frame is not None and len(chain) < CALLER_DEPTH:
        module = frame.f_globals.get("__name__", "?")
        if module.startswith(PROJECT) and not module.startswith(SKIPPED):
            code = frame.f_code
            chain.append(f"{module}.{getattr(code, 'co_qualname', code.co_name)}")
        elif chain and not module.startswith(PROJECT):
            break  # left the project (the benchmark's loop, Qt's dispatch): enough
        frame = frame.f_back
    return " ← ".join(chain) or "?"


def install_counters(patches: Patches) -> tuple[dict[str, Calls], dict, dict]:
    """Wrap `plan_document` and `infer_shapes` wherever a module holds them by name."""
    import importlib

    for name in MODULES:
        importlib.import_module(name)
    from core.runtime import plan, shapes

    originals = {"plan_document": plan.plan_document, "infer_shapes": shapes.infer_shapes}
    counters = {name: Calls(name) for name in PATCHED}
    wrappers = {name: counters[name].wrap(originals[name]) for name in PATCHED}
    rewrap(originals, wrappers, patches)
    return counters, originals, wrappers


def rewrap(originals: dict, wrappers: dict, patches: Patches) -> list[str]:
    """Put the wrappers in every loaded module that holds an original; the names."""
    patched = []
    for module_name, module in list(sys.modules.items()):
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for name, original in originals.items():
            if namespace.get(name) is original:
                patches.set(module, name, wrappers[name])
                patched.append(f"{module_name}.{name}")
    return patched


class Idle:
    """Turns the GUI event loop until the window is idle, timing the GUI thread."""

    def __init__(self, app, window) -> None:
        from PySide6.QtCore import QEvent, QObject

        self.app, self.window = app, window
        self.painted = 0
        self.paint_due = False
        self.last_paint = 0.0
        self.empty = 0.0  # what one processEvents call that finds nothing costs
        watcher = self

        class Paints(QObject):
            def eventFilter(self, watched, event):
                if event.type() == QEvent.Type.Paint:
                    watcher.painted += 1
                    watcher.paint_due = False
                    watcher.last_paint = time.perf_counter()
                return False

        self.paints = Paints()
        window.view.viewport().installEventFilter(self.paints)
        scene = window.scene
        apply_report = scene.apply_report

        def applied(report) -> None:
            apply_report(report)
            self.paint_due = True  # the newest shapes must reach the screen

        scene.apply_report = applied

    def calibrate(self) -> float:
        """Measure an empty processEvents call (the window must be idle)."""
        times = []
        for _ in range(200):
            start = time.perf_counter()
            self.app.processEvents()
            times.append(time.perf_counter() - start)
        self.empty = statistics.median(times)
        return self.empty

    def idle(self) -> bool:
        from PySide6.QtCore import QThreadPool

        return not self.waiting_for() and \
            QThreadPool.globalInstance().activeThreadCount() == 0

    def waiting_for(self) -> list[str]:
        window = self.window
        waiting = {
            "shape timer": window._shape_timer.isActive(),
            "dry run": not window.shapes.idle,
            "live model build": not window.live_builder.idle,
            "canvas rebuild": window.scene._rebuild_timer.isActive()
            or window.scene._needs_rebuild,
            "inspection refresh": window.inspection._refresh.isActive(),
            "inspector refresh": window.inspector._pending.isActive(),
            "code view / summary": not window.teaching.idle,
            "histograms": not window.histograms.idle,
            "autosave": not window.autosaver.writer.idle,
            "canvas repaint": self.paint_due,
        }
        return [name for name, busy in waiting.items() if busy]

    def wait(self, started: float, timeout: float = TIMEOUT_S) -> float:
        """Turn the loop until idle; the GUI thread's working time since ``started``
        (what the caller did since then counts too)."""
        from PySide6.QtCore import QThreadPool

        busy = time.perf_counter() - started
        deadline = time.perf_counter() + timeout
        while True:
            start = time.perf_counter()
            self.app.processEvents()
            spent = time.perf_counter() - start
            busy += max(0.0, spent - self.empty)
            if self.idle():
                return busy
            if time.perf_counter() > deadline:
                still = self.waiting_for()
                if QThreadPool.globalInstance().activeThreadCount():
                    still.append("thread pool")
                raise NotIdle(f"still waiting for {', '.join(still)}")
            if spent < POLL_S:
                time.sleep(POLL_S)  # nothing ran: leave the workers the GIL a moment


class Slots:
    """GUI-thread time inside the slots an edit sets off, by slot (patched on the classes
    before the window connects them)."""

    def __init__(self, patches: Patches) -> None:
        import importlib

        self.seconds: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        for module_name, class_name, method in SLOTS:
            cls = getattr(importlib.import_module(module_name), class_name)
            patches.set(cls, method, self._timed(getattr(cls, method),
                                                 lambda _, c=class_name, m=method: f"{c}.{m}"))
        from widgets.background import Background

        patches.set(Background, "_deliver", self._timed(
            Background._deliver,
            lambda background: f"{getattr(background.on_result, '__qualname__', '?')} "
                               "(a worker's answer)"))

    def _timed(self, function, name_of):
        @functools.wraps(function)
        def timed(instance, *args, **kwargs):
            start = time.perf_counter()
            try:
                return function(instance, *args, **kwargs)
            finally:
                if threading.current_thread() is threading.main_thread():
                    name = name_of(instance)
                    self.seconds[name] += time.perf_counter() - start
                    self.calls[name] += 1

        return timed

    def take(self) -> tuple[Counter, Counter]:
        taken = self.calls, self.seconds
        self.calls, self.seconds = Counter(), Counter()
        return taken


def idle_window(app, settings):
    """An empty full window as the app makes one (model panels, collector shared with
    workers), shown and settled: for a benchmark that then opens something in it."""
    from app.interpreter import share_with_workers
    from app.main_window import MainWindow
    from core.workspace import Workspace

    window = MainWindow(Workspace(), settings, ready=True)
    window.collector = share_with_workers(window)
    window.resize(1280, 800)
    window.show()
    idle = Idle(app, window)
    idle.paint_due = True
    idle.wait(time.perf_counter())
    return window, idle


def _total(counts: list[Counter]) -> list[int]:
    return [sum(c.values()) for c in counts]


def _sum(counters: list[Counter]) -> Counter:
    total: Counter = Counter()
    for counter in counters:
        total.update(counter)
    return total


def _range(values: list[int]) -> str:
    low, high = min(values), max(values)
    return f"{low}" if low == high else f"{low}–{high}"


def _breakdown(title: str, taken: list[tuple[Counter, Counter, Counter]],
               cached_column: bool) -> list[str]:
    edits = len(taken)
    calls, cached, seconds = (_sum([t[i] for t in taken]) for i in range(3))
    head = "calls  lowered" if cached_column else "calls"
    lines = [f"  {title} per edit, by thread and callers ({head}, ms):"]
    for (thread, chain), number in sorted(calls.items(), key=lambda kv: (-kv[1], kv[0])):
        key = (thread, chain)
        lowered = f"{(number - cached[key]) / edits:7.2f}  " if cached_column else ""
        lines.append(f"    {number / edits:5.2f}  {lowered}{seconds[key] * 1000 / edits:7.1f}"
                     f"  {thread:<6}  {chain}")
    return lines


def main(edits: int = EDITS) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench_edit_") as folder:
        saved = {k: os.environ.get(k) for k in ("TORCHCANVAS_RECOVERY_DIR",
                                                 "TORCHCANVAS_AUTOSAVE_SECONDS")}
        # The recovery copy goes to a folder of our own, and not while we time.
        os.environ["TORCHCANVAS_RECOVERY_DIR"] = str(Path(folder) / "recovery")
        os.environ["TORCHCANVAS_AUTOSAVE_SECONDS"] = str(24 * 3600)
        patches = Patches()
        try:
            return _measure(Path(folder), edits, patches)
        except NotIdle as error:
            print(f"bench_edit: the window did not become idle within {TIMEOUT_S:.0f} s: "
                  f"{error}", file=sys.stderr)
            raise SystemExit(1) from error
        finally:
            patches.undo()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _measure(folder: Path, edits: int, patches: Patches) -> dict[str, float]:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    counters, originals, wrappers = install_counters(patches)
    slots = Slots(patches)

    from app.interpreter import share_with_workers
    from app.main_window import MainWindow
    from app.settings import Settings
    from core.document.compose import Composer, chain
    from core.document.edit import SetArgument
    from core.document.graph import Document, InputSpec
    from core.workspace import Workspace

    c = Composer()
    nodes = [c.layer("Linear", in_features=64, out_features=64) if index % 2 == 0
             else c.layer("ReLU") for index in range(LAYERS)]
    document = Document(root=chain(*nodes), input=InputSpec((2, 64)))
    settings = Settings(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
    start = time.perf_counter()
    window = MainWindow(Workspace(document), settings, ready=True)
    window.collector = share_with_workers(window)  # as the app does
    window.resize(1280, 800)
    window.show()
    idle = Idle(app, window)
    idle.paint_due = True  # the canvas's first paint
    opened_busy = idle.wait(start)
    opened = time.perf_counter() - start
    target = nodes[LAYERS // 2]  # a Linear in the middle
    assert target.type == "Linear" and target.args["bias"] is True
    window.view.resetTransform()
    window.view.centerOn(window.scene.nodes[target.id])
    window.scene.select_nodes([target.id])  # as when the inspector edits it
    idle.wait(time.perf_counter())
    empty = idle.calibrate()
    late = rewrap(originals, wrappers, patches)
    for counter in (*counters.values(), slots):
        counter.take()

    busy_ms, cpu_ms, command_ms, wall_ms, paint_ms, paints, asked = ([] for _ in range(7))
    plans, dry_runs, slot_times = [], [], []
    for step in range(edits):
        bias = step % 2 == 1  # False, True, False, …
        painted, generation = idle.painted, window.shapes.generation
        cpu = time.thread_time()
        start = time.perf_counter()
        window.workspace.execute(SetArgument(target.id, "bias", bias))
        command_ms.append((time.perf_counter() - start) * 1000)
        busy = idle.wait(start)
        end = time.perf_counter()
        cpu_ms.append((time.thread_time() - cpu) * 1000)
        if idle.painted == painted:
            raise NotIdle("a repaint of the canvas after the edit")
        busy_ms.append(busy * 1000)
        wall_ms.append((end - start) * 1000)
        paint_ms.append((idle.last_paint - start) * 1000)
        paints.append(idle.painted - painted)
        asked.append(window.shapes.generation - generation)
        plans.append(counters["plan_document"].take())
        dry_runs.append(counters["infer_shapes"].take())
        slot_times.append(slots.take())
    assert window.workspace.document.node(target.id).args["bias"] is (edits % 2 == 0)

    plan_calls = _total([p[0] for p in plans])
    lowered = [a - b for a, b in zip(plan_calls, _total([p[1] for p in plans]), strict=True)]
    dry = _total([d[0] for d in dry_runs])
    busy, cpu, wall, paint, command = (statistics.median(x) for x in
                                       (busy_ms, cpu_ms, wall_ms, paint_ms, command_ms))
    print(f"Argument edit on a {LAYERS:,}-layer document in the main window (a Linear's bias "
          f"toggled; median of {edits}, max in brackets):")
    print(f"  open: first dry run and panels settled {opened * 1000:9.0f} ms "
          f"(GUI thread {opened_busy * 1000:.0f} ms)")
    print(f"  GUI-thread time, command → idle        {busy:9.1f} ms ({max(busy_ms):.1f}; "
          "target ≤ 50)")
    print(f"    of it the command itself (execute)   {command:9.1f} ms ({max(command_ms):.1f})")
    print(f"  GUI-thread CPU time, command → idle    {cpu:9.1f} ms ({max(cpu_ms):.1f})")
    print(f"  wall time, command → last repaint      {paint:9.1f} ms ({max(paint_ms):.1f}; "
          f"{_range(paints)} paint{'s' if max(paints) > 1 else ''} per edit)")
    print(f"  wall time, command → idle              {wall:9.1f} ms ({max(wall_ms):.1f})")
    print(f"  plan_document calls per edit           {statistics.mean(plan_calls):9.2f}    "
          f"({_range(plan_calls)}); lowering the document {statistics.mean(lowered):.2f} "
          f"({_range(lowered)}; target 1)")
    print(f"  dry runs (infer_shapes) per edit       {statistics.mean(dry):9.2f}    "
          f"({_range(dry)}); the window asked for {statistics.mean(asked):.2f}")
    for line in (_breakdown("plan_document", plans, True)
                 + _breakdown("infer_shapes", dry_runs, False)):
        print(line)
    calls, seconds = _sum([s[0] for s in slot_times]), _sum([s[1] for s in slot_times])
    print("  GUI-thread time per edit in the slots it sets off (calls, ms):")
    for name, spent in seconds.most_common():
        print(f"    {calls[name] / edits:5.2f}  {spent * 1000 / edits:9.1f}  {name}")
    print(f"  (an empty turn of the event loop, {empty * 1e6:.0f} µs, is not counted"
          + (f"; wrapped late: {', '.join(late)})" if late else ")"))
    window.workspace.history.mark_clean()
    window.close()
    app.processEvents()
    return {"gui_ms": busy, "gui_max_ms": max(busy_ms), "gui_cpu_ms": cpu, "wall_ms": wall,
            "wall_max_ms": max(wall_ms), "paint_ms": paint,
            "plans_per_edit": statistics.mean(plan_calls),
            "lowerings_per_edit": statistics.mean(lowered),
            "dry_runs_per_edit": statistics.mean(dry)}


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else EDITS)
