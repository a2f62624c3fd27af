"""Run one loader on one file in a fresh process and measure it: the time it takes and
how far its resident memory rises above where it started.

The process comes from a fork server that has torch loaded, so it starts in a blink; a
watchdog stops it when it runs past the time or memory allowed, so a failing test
cannot take the machine down with it.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import time
from dataclasses import dataclass

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["torch", "core.io.files", "core.io.weights"])


@dataclass
class Measured:
    outcome: str  # "ok", "TypedErrorName: message", "UNTYPED …", "killed: …"
    seconds: float  # wall-clock time
    peak_bytes: int  # rise of the peak resident set over the start
    cpu_seconds: float = 0.0  # processor time: what the load costs on a busy machine too


def _status(pid: int | str, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _child(loader: str, path: str, conn) -> None:
    from core.errors import TorchCanvasError

    module, name = loader.split(":")
    load = getattr(importlib.import_module(module), name)
    try:  # "5" resets the high-water mark, so only this load counts
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass
    start_rss = _status("self", "VmRSS")
    start = time.perf_counter()
    start_cpu = time.process_time()
    try:
        load(path)
        outcome = "ok"
    except TorchCanvasError as error:
        outcome = f"{type(error).__name__}: {error}"
    except BaseException as error:  # what the test is looking for
        outcome = f"UNTYPED {type(error).__name__}: {str(error)[:200]}"
    seconds = time.perf_counter() - start
    cpu = time.process_time() - start_cpu
    conn.send((outcome, seconds, max(0, _status("self", "VmHWM") - start_rss), cpu))


def measure(loader: str, path: str | os.PathLike[str], seconds: float = 30.0,
            memory: int = 6 << 30) -> Measured:
    """Run ``loader`` ("module:function") on ``path`` in a child process."""
    receive, send = _CONTEXT.Pipe(duplex=False)
    child = _CONTEXT.Process(target=_child, args=(loader, str(path), send), daemon=True)
    child.start()
    send.close()
    start = time.perf_counter()
    base = None
    peak = 0
    verdict = None
    while not receive.poll(0.02):
        if not child.is_alive():
            verdict = f"killed: exit code {child.exitcode}"
            break
        try:
            rss = _status(child.pid, "VmRSS")
        except OSError:
            continue
        base = rss if base is None else base
        peak = max(peak, rss - base)
        if peak > memory:
            verdict = f"killed: over {memory >> 20} MB"
        elif time.perf_counter() - start > seconds:
            verdict = f"killed: over {seconds:.0f} s"
        if verdict:
            child.kill()
            break
    if verdict is None:
        outcome, took, grew, cpu = receive.recv()
        child.join()
        return Measured(outcome, took, grew, cpu)
    child.join()
    took = time.perf_counter() - start
    return Measured(verdict, took, peak, took)
