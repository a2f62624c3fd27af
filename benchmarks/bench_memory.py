"""Memory while people edit (issue 14), each figure in a fresh process:

- 200 argument edits of a Linear(1024, 1024 + k): resident memory before and after, in
  a workspace followed as the window follows it (a dry run of a snapshot, the live model
  brought in step with it) and in the real main window (offscreen, the node selected so
  the panels show its weights, each edit settled), with the live model's cache budget
  and, side by side, without one (every module ever built kept: how it was before).
- An initializer on every tensor of a net of Linear(8192, 8192) layers: time, peak RSS,
  the undo copy on disk, the time to undo and whether undo gave every bit back (a hash of
  every weight before and after). First on weights as their layers made them (undo makes
  them again from their seeds: no copy), then a second one on top (copies in memory
  within the undo budget, the rest on disk). Side by side on 0.54 B parameters (8 layers)
  with what the command did before (a copy of every tensor in memory, then the fill),
  then ours alone on 1.07 B (16 layers): "before" would need 8.5 GB there, too much on a
  machine shared by others.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

EDITS = textwrap.dedent("""
    import gc, json, os, sys
    from core.document.compose import Composer
    from core.document.edit import SetArgument
    from core.runtime.limits import cache_budget
    from core.runtime.shapes import infer_shapes
    from core.workspace import Workspace

    def rss():
        with open("/proc/self/statm") as stream:
            return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    c = Composer()
    node = c.layer("Linear", in_features=1024, out_features=1024)
    workspace = Workspace(c.document(node, input_shape=(1, 1024)))
    assert workspace.live.module is not None
    gc.collect()
    before = rss()
    for k in range(1, int(sys.argv[1]) + 1):
        workspace.execute(SetArgument(node.id, "out_features", 1024 + k))
        snapshot, revision = workspace.document.snapshot(), workspace.revision
        assert workspace.adopt_report(infer_shapes(snapshot), revision, snapshot.plan_cache)
    assert workspace.live.module[0].out_features == 1024 + int(sys.argv[1])
    gc.collect()
    print(json.dumps({"before_mb": before, "after_mb": rss(),
                      "kept_mb": workspace.live.kept_bytes() / 2**20,
                      "budget_mb": cache_budget() / 2**20}))
""")

WINDOW_EDITS = textwrap.dedent("""
import gc, json, os, shutil, sys, tempfile, time
from pathlib import Path
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
folder = Path(tempfile.mkdtemp(prefix="bench_memory_"))  # settings, recovery: our own
os.environ["TORCHCANVAS_RECOVERY_DIR"] = str(folder / "recovery")
os.environ["TORCHCANVAS_AUTOSAVE_SECONDS"] = str(24 * 3600)
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
app = QApplication([])
from app.interpreter import share_with_workers
from app.main_window import MainWindow
from app.settings import Settings
from core.document.compose import Composer
from core.document.edit import SetArgument
from core.runtime.limits import cache_budget
from core.workspace import Workspace

def rss():
    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

def settle(window):
    deadline = time.perf_counter() + 120
    while time.perf_counter() < deadline:
        app.processEvents()
        if window.shapes.idle and window.live_builder.idle and not window._shape_timer.isActive() \\
                and (window.histograms is None or window.histograms.idle):
            for _ in range(3):
                app.processEvents()
            return
        time.sleep(0.002)
    raise SystemExit("the window did not become idle within 120 s")

c = Composer()
node = c.layer("Linear", in_features=1024, out_features=1024)
settings = Settings(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
window = MainWindow(Workspace(c.document(node, input_shape=(1, 1024))), settings, ready=True)
window.collector = share_with_workers(window)
window.resize(1280, 800)
window.show()
settle(window)
window.scene.select_nodes([node.id])
settle(window)
gc.collect(); before = rss()
count = int(sys.argv[1])
for k in range(1, count + 1):
    window.workspace.execute(SetArgument(node.id, "out_features", 1024 + k))
    settle(window)
assert window.workspace.live.module[0].out_features == 1024 + count
gc.collect(); after = rss()
print(json.dumps({"before_mb": before, "after_mb": after,
                  "kept_mb": window.workspace.live.kept_bytes() / 2**20,
                  "budget_mb": cache_budget() / 2**20}))
window.workspace.history.mark_clean()
window.close()
app.processEvents()
shutil.rmtree(folder, ignore_errors=True)
""")

INITIALIZER = textwrap.dedent("""
    import hashlib, json, resource, sys, time, torch
    from core.document.compose import Composer
    from core.runtime import spill
    from core.runtime.init import ApplyInitializer
    from core.runtime.limits import undo_budget
    from core.workspace import Workspace

    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def digest(module):
        hashed = hashlib.blake2b()
        for parameter in module.parameters():
            hashed.update(parameter.detach().reshape(-1).view(torch.uint8).numpy().data)
        return hashed.hexdigest()

    def on_disk():
        return sum(p.stat().st_size for p in spill.folder().iterdir()) / 2**20

    c = Composer()
    layers = [c.layer("Linear", in_features=8192, out_features=8192)
              for _ in range(int(sys.argv[1]))]
    document = c.document(*layers, input_shape=(1, 8192))
    workspace = Workspace(document)
    start = time.perf_counter()
    live = workspace.live
    figures = {"parameters": sum(p.numel() for p in live.module.parameters()),
               "build_s": time.perf_counter() - start, "built_mb": peak(),
               "undo_budget_mb": undo_budget() / 2**20}
    if sys.argv[2] == "before":  # what the command did before: a copy of every tensor
        start = time.perf_counter()
        with torch.no_grad():
            copies = [p.detach().clone() for p in live.module.parameters()]
            for index, p in enumerate(live.module.parameters()):
                p.normal_(0, 0.02, generator=torch.Generator().manual_seed(index))
        figures.update(first_s=time.perf_counter() - start, first_peak_mb=peak())
        print(json.dumps(figures))
        sys.exit()

    def initialize(name, args, seed, label):
        before = digest(live.module)
        start = time.perf_counter()
        workspace.execute(ApplyInitializer(live, document, name, args, target="all",
                                           seed=seed))
        figures[label + "_s"] = time.perf_counter() - start
        figures[label + "_peak_mb"] = peak()
        figures[label + "_disk_mb"] = on_disk()
        changed = digest(live.module) != before
        start = time.perf_counter()
        workspace.undo()
        figures[label + "_undo_s"] = time.perf_counter() - start
        figures[label + "_exact"] = changed and digest(live.module) == before
        workspace.redo()

    initialize("normal", {"std": 0.02}, 1, "first")  # the weights as made: no copy
    initialize("uniform", {"a": -0.01, "b": 0.01}, 2, "second")  # copies: memory, disk
    print(json.dumps(figures))
""")

NO_LIMIT = str(1 << 60)


def run(script: str, *arguments: object, **environment: str) -> dict:
    env = {**os.environ, **environment}
    done = subprocess.run([sys.executable, "-c", script, *map(str, arguments)],
                          capture_output=True, text=True, check=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def growth_line(label: str, figures: dict) -> float:
    grown = figures["after_mb"] - figures["before_mb"]
    print(f"  {label:<40} {figures['before_mb']:5.0f} → {figures['after_mb']:5.0f} MB: "
          f"{grown:+5.0f} MB ({figures['kept_mb']:.0f} MiB of old layers kept)")
    return grown


def edits(count: int = 200) -> dict[str, float]:
    ours = run(EDITS, count)
    before = run(EDITS, count, TORCHCANVAS_CACHE_BUDGET=NO_LIMIT)
    window = run(WINDOW_EDITS, count)
    window_before = run(WINDOW_EDITS, count, TORCHCANVAS_CACHE_BUDGET=NO_LIMIT)
    print(f"Memory over {count} argument edits of a Linear(1024, 1024 + k), resident, "
          f"each run in a fresh process (cache budget {ours['budget_mb']:.0f} MiB; "
          "target ≤ +100 MB):")
    figures = {"growth_mb": growth_line("workspace, followed as the window does", ours),
               "growth_unbounded_mb": growth_line("  every module kept (before)", before),
               "window_growth_mb": growth_line("main window (offscreen), node selected",
                                               window),
               "window_growth_unbounded_mb": growth_line("  every module kept (before)",
                                                         window_before)}
    return figures


def initializer_line(label: str, figures: dict, which: str) -> None:
    line = (f"  {label:<46} {figures[which + '_s']:6.2f} s · peak RSS "
            f"{figures[which + '_peak_mb']:6.0f} MB (model built: {figures['built_mb']:.0f})")
    if which + "_undo_s" in figures:
        line += (f" · copy on disk {figures[which + '_disk_mb']:5.0f} MiB · undo "
                 f"{figures[which + '_undo_s']:5.2f} s, "
                 f"{'bit for bit' if figures[which + '_exact'] else 'NOT EXACT'}")
    print(line)


def median_run(runs: list[dict]) -> dict:
    """The run of median first-initializer time (of two: the faster; the machine is
    shared)."""
    return sorted(runs, key=lambda figures: figures["first_s"])[(len(runs) - 1) // 2]


def initializer(repeats: int = 2) -> dict[str, float]:
    halves, halves_before = [], []
    for _ in range(repeats):  # interleaved
        halves.append(run(INITIALIZER, 8, "ours"))
        halves_before.append(run(INITIALIZER, 8, "before"))
    half, before = median_run(halves), median_run(halves_before)
    full = run(INITIALIZER, 16, "ours")
    print(f"Initializer on every tensor, then undo (undo budget "
          f"{half['undo_budget_mb']:.0f} MiB in memory), each in a fresh process:")
    print(f"  {half['parameters'] / 1e9:.2f} B parameters (8 × Linear(8192, 8192)), median of "
          f"{repeats} interleaved:")
    initializer_line("normal on weights as made (no copy needed)", half, "first")
    initializer_line("before: a copy of every tensor, then normal", before, "first")
    print(f"    ratios: time {half['first_s'] / before['first_s']:.2f} · peak RSS "
          f"{half['first_peak_mb'] / before['first_peak_mb']:.2f}")
    initializer_line("uniform after it (copies: memory, then disk)", half, "second")
    print(f"  {full['parameters'] / 1e9:.2f} B parameters (16 × Linear(8192, 8192)):")
    initializer_line("normal on weights as made (no copy needed)", full, "first")
    initializer_line("uniform after it (copies: memory, then disk)", full, "second")
    print(f"    (before, a copy in memory would add the model's size, "
          f"{full['built_mb']:.0f} MB; not run at this size on a shared machine)")
    runs = [*halves, full]
    return {"init_half_s": half["first_s"], "init_half_before_s": before["first_s"],
            "peak_half_mb": half["first_peak_mb"], "peak_half_before_mb": before["first_peak_mb"],
            "init_full_s": full["first_s"], "peak_full_mb": full["first_peak_mb"],
            "second_full_s": full["second_s"], "second_peak_full_mb": full["second_peak_mb"],
            "built_full_mb": full["built_mb"], "undo_full_s": full["first_undo_s"],
            "exact": float(all(r["first_exact"] and r["second_exact"] for r in runs))}


def main() -> dict[str, float]:
    figures = edits()
    print()
    figures.update(initializer())
    return figures


if __name__ == "__main__":
    main()
