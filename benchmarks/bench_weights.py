"""Weights files and large weight steps (issue 14), each part in a fresh process:

- Loading a 1 GiB ``.safetensors`` state_dict with `load_weights` (mapped), against
  ``safetensors.torch.load_file`` and ``torch.load(weights_only=True)`` of the same
  state, and against `load_weights` as it was before (the file read into memory),
  interleaved, median of five rounds; also with every tensor read once afterwards
  (a mapped load defers the reading to the first use).
- The main window (offscreen) on a 1 GiB net of 4 × Linear(8192, 8192): the GUI
  thread's longest stretch between two turns of its event loop (a 5 ms heartbeat) while
  the undo and redo of a 1 GiB initializer and an Import Weights of a 1 GiB file run,
  as before (on the GUI thread) and now (on a worker behind the progress dialog), side
  by side and interleaved; and whether each gave the weights back bit for bit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

LOAD = textwrap.dedent("""
    import json, statistics, sys, tempfile, time, torch
    from pathlib import Path
    from safetensors.torch import load_file, save_file
    import core.io.weights as weights_io

    folder = Path(tempfile.mkdtemp(prefix="bench_weights_"))
    ours, theirs = folder / "net.safetensors", folder / "net.pt"
    state = {f"{i}.{name}": torch.randn(shape) for i in range(4)
             for name, shape in (("weight", (8192, 8192)), ("bias", (8192,)))}
    size = sum(t.numel() * t.element_size() for t in state.values())
    save_file(state, ours)
    torch.save(state, theirs)
    del state
    mapped = weights_io.mapped

    def before(path):
        weights_io.mapped = lambda *args: None  # read into memory, as before
        try:
            return weights_io.load_weights(path)
        finally:
            weights_io.mapped = mapped

    def read_once(load):
        def run():
            loaded = load()
            return sum(float(t.sum()) for t in loaded.values())
        return run

    loads = {"ours": lambda: weights_io.load_weights(ours),
             "before": lambda: before(ours),
             "load_file": lambda: load_file(ours),
             "torch_load": lambda: torch.load(theirs, weights_only=True)}
    timed = {**loads, **{name + "_read": read_once(load) for name, load in loads.items()}}
    times = {name: [] for name in timed}
    check = weights_io.load_weights(ours)
    reference = load_file(ours)
    same = check.keys() == reference.keys() and all(
        torch.equal(check[k], reference[k]) for k in reference)
    del check, reference
    for round in range(5):
        order = list(timed) if round % 2 == 0 else list(reversed(timed))
        for name in order:
            start = time.perf_counter()
            result = timed[name]()
            times[name].append(time.perf_counter() - start)
            del result
    ours.unlink(); theirs.unlink(); folder.rmdir()
    print(json.dumps({"size": size, "same": same,
                      **{k: statistics.median(v) for k, v in times.items()}}))
""")

WINDOW = textwrap.dedent("""
import hashlib, json, os, resource, shutil, statistics, sys, tempfile, time
from pathlib import Path
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
folder = Path(tempfile.mkdtemp(prefix="bench_weights_"))  # settings, recovery: our own
os.environ["TORCHCANVAS_RECOVERY_DIR"] = str(folder / "recovery")
os.environ["TORCHCANVAS_AUTOSAVE_SECONDS"] = str(24 * 3600)
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
qt = QApplication([])
import torch
from safetensors.torch import save_file
import app.model_files as model_files
import core.io.weights as weights_io
from app.main_window import MainWindow
from app.settings import Settings
from core.document.compose import Composer
from core.document.edit import Move
from core.workspace import Workspace

ROUNDS = int(sys.argv[1])

def busy():
    return not (window.shapes.idle and window.live_builder.idle
                and not window._shape_timer.isActive() and window.history_jobs.idle
                and window.files.job is None
                and (window.inspection is None or window.inspection.job is None)
                and (window.histograms is None or window.histograms.idle))

def settle(limit=600):
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        qt.processEvents()
        if not busy():
            for _ in range(3):
                qt.processEvents()
            return
        time.sleep(0.002)
    raise SystemExit(f"the window did not become idle within {limit} s")

ticks = []
beat = QTimer()
beat.setInterval(5)
beat.timeout.connect(lambda: ticks.append(time.perf_counter()))
beat.start()

def pump(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        qt.processEvents()
        time.sleep(0.001)

def longest(action):
    # The longest stretch between two heartbeats from just before the action until the
    # window is idle again, and the wall time until then.
    settle()
    pump(0.1)
    ticks.clear()
    pump(0.05)
    start = time.perf_counter()
    action()
    settle()
    wall = time.perf_counter() - start
    pump(0.05)
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    return max(gaps), wall

def digest():
    hashed = hashlib.blake2b()
    for tensor in window.workspace.live.module.state_dict().values():
        hashed.update(tensor.detach().reshape(-1).view(torch.uint8).numpy().data)
    return hashed.hexdigest()

c = Composer()
layers = [c.layer("Linear", in_features=8192, out_features=8192) for _ in range(4)]
settings = Settings(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
window = MainWindow(Workspace(c.document(*layers, input_shape=(1, 8192))), settings,
                    ready=True)
window.resize(1280, 800)
window.show()
settle()
as_made = digest()
window.inspection.apply_initializer("normal", {"mean": 0.0, "std": 0.02}, False, "all", 1)
settle()
initialized = digest()
assert initialized != as_made
figures = {name: [] for name in ("undo_before", "redo_before", "undo_after", "redo_after",
                                 "load_before", "load_after")}
walls = {name: [] for name in figures}
inexact = []

def record(name, action, expected):
    gap, wall = longest(action)
    figures[name].append(gap)
    walls[name].append(wall)
    if digest() != expected:
        inexact.append(name)

for round in range(ROUNDS):
    pairs = [("before", window.workspace.undo, window.workspace.redo),
             ("after", window.actions["undo"].trigger, window.actions["redo"].trigger)]
    for how, undo, redo in (pairs if round % 2 == 0 else pairs[::-1]):
        record("undo_" + how, undo, as_made)
        record("redo_" + how, redo, initialized)

# Import Weights of a 1 GiB file onto the weights as made.
window.actions["undo"].trigger()
settle()
path = folder / "incoming.safetensors"
generator = torch.Generator().manual_seed(7)
save_file({k: torch.randn(v.shape, generator=generator)
           for k, v in window.workspace.live.module.state_dict().items()}, path)
from safetensors.torch import load_file
hashed, in_file = hashlib.blake2b(), load_file(path)
for key in window.workspace.live.module.state_dict():  # in the model's order
    hashed.update(in_file[key].reshape(-1).view(torch.uint8).numpy().data)
from_file = hashed.hexdigest()
del in_file
mapped, off_thread = weights_io.mapped, model_files.OFF_THREAD_BYTES

def load_before():
    weights_io.mapped = lambda *args: None  # the file read into memory,
    model_files.OFF_THREAD_BYTES = 1 << 62  # read, matched and copied on the GUI thread
    try:
        assert window.files.import_weights(path)
    finally:
        weights_io.mapped, model_files.OFF_THREAD_BYTES = mapped, off_thread

for round in range(ROUNDS):
    runs = [("load_before", load_before),
            ("load_after", lambda: window.files.import_weights(path))]
    for name, action in (runs if round % 2 == 0 else runs[::-1]):
        record(name, action, from_file)
        window.actions["undo"].trigger()
        settle()
        if digest() != as_made:
            inexact.append(name + " undone")
        # A step pushed drops the undone import and its copy for redo, which would take
        # the next import's share of the undo budget in memory (its copy then on disk).
        window.workspace.execute(Move({layers[0].id: (0.0, 0.0)}))
        window.workspace.undo()
print(json.dumps({"longest": {k: statistics.median(v) for k, v in figures.items()},
                  "wall": {k: statistics.median(v) for k, v in walls.items()},
                  "inexact": inexact,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
window.workspace.history.mark_clean()
window.close()
qt.processEvents()
shutil.rmtree(folder, ignore_errors=True)
""")


def _run(code: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def load() -> dict:
    times = _run(LOAD)
    print(f"Load a {times['size'] / 2**30:.2f} GiB .safetensors state_dict (4 × "
          "Linear(8192, 8192)), median of 5 interleaved rounds "
          f"({'equal to' if times['same'] else 'NOT EQUAL TO'} safetensors' load_file):")
    for name, label in (("ours", "load_weights (mapped)"),
                        ("before", "load_weights before (read)"),
                        ("load_file", "safetensors load_file"),
                        ("torch_load", "torch.load(weights_only)")):
        print(f"  {label:28s} {times[name] * 1000:7.1f} ms · every tensor read once "
              f"{times[name + '_read'] * 1000:7.0f} ms")
    print(f"  ratios to torch.load: mapped {times['ours'] / times['torch_load']:.4f} "
          f"(target ≤ 0.5), before {times['before'] / times['torch_load']:.2f}, load_file "
          f"{times['load_file'] / times['torch_load']:.2f}; read once: mapped "
          f"{times['ours_read'] / times['torch_load_read']:.2f}, load_file "
          f"{times['load_file_read'] / times['torch_load_read']:.2f}")
    return times


def window(rounds: int = 2) -> dict:
    figures = _run(WINDOW, str(rounds))
    longest, wall = figures["longest"], figures["wall"]
    exact = "NOT EXACT: " + ", ".join(figures["inexact"]) if figures["inexact"] else \
        "each bit for bit"
    print(f"Main window (offscreen), 1 GiB net: the GUI thread's longest stretch between "
          f"two turns of its event loop, median of {rounds} interleaved ({exact}; peak "
          f"RSS {figures['peak_mb']:.0f} MB):")
    for step, label in (("undo", "undo of a 1 GiB initializer"),
                        ("redo", "redo of it"),
                        ("load", "Import Weights, 1 GiB file")):
        before, after = f"{step}_before", f"{step}_after"
        print(f"  {label:30s} before {longest[before] * 1000:6.0f} ms (wall "
              f"{wall[before]:5.2f} s) · now {longest[after] * 1000:5.0f} ms (wall "
              f"{wall[after]:5.2f} s) · target ≤ 50 ms")
    return figures


def main() -> dict:
    figures = {"load": load()}
    print()
    figures["window"] = window()
    return figures


if __name__ == "__main__":
    main()
