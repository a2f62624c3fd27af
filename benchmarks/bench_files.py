"""Saving and loading a 1 GiB model as a .tcanvas project, against torch.save + fsync and
torch.load(weights_only=True) of the same state_dict, interleaved in one process (the
median of three rounds, so a busy moment of a shared machine hits both); then the peak
memory of each load, each in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap

SETUP = textwrap.dedent("""
    import json, os, resource, statistics, sys, time, torch
    from core.document.compose import Composer
    from core.io.files import read_project, save_document
    c = Composer()
    document = c.document(*[c.layer("Linear", in_features=8192, out_features=8192)
                            for _ in range(4)], input_shape=(1, 8192))
    folder = sys.argv[1]
    ROUNDS = 5
    ours, theirs = folder + "/net.tcanvas", folder + "/net.pt"
""")

TIMES = SETUP + textwrap.dedent("""
    state = {f"{i}.{name}": torch.randn(shape) for i in range(4)
             for name, shape in (("weight", (8192, 8192)), ("bias", (8192,)))}
    size = sum(t.numel() * t.element_size() for t in state.values())

    def torch_save():
        with open(theirs, "wb") as stream:
            torch.save(state, stream)
            stream.flush()
            os.fsync(stream.fileno())

    def mapped():
        return read_project(ours, wait_for_check=False)

    def verdict():
        project = read_project(ours, wait_for_check=False)
        project.verify()

    timed = {"save": lambda: save_document(document, ours, weights=state),
             "torch_save": torch_save,
             "load": mapped,
             "torch_load": lambda: torch.load(theirs, weights_only=True),
             "load_checked": lambda: read_project(ours),
             "load_verdict": verdict}
    times = {name: [] for name in timed}
    for round in range(ROUNDS):
        # Each pair in both orders: the first write of a round also pays for the page
        # cache the last round's reads left behind.
        order = list(timed) if round % 2 else [n for pair in zip(list(timed)[1::2],
                                                                 list(timed)[::2]) for n in pair]
        for name in order:
            function = timed[name]
            start = time.perf_counter()
            result = function()
            times[name].append(time.perf_counter() - start)
            if name == "load":  # a check left running would slow the next figure
                result.verify()
            del result
    print(json.dumps({"size": size, **{k: statistics.median(v) for k, v in times.items()}}))
""")

# Peak memory of one load, the state_dict written by a previous process.
LOAD = SETUP + textwrap.dedent("""
    from core.io.archive import Archive
    from core.io.untrusted import open_regular
    from core.io.weights import read_safetensors_bytes
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    how = sys.argv[2]
    if how == "ours":
        project = read_project(ours)
        touched = sum(float(t.sum()) for t in project.weights.values())
    elif how == "read":  # how a project was read before: the member copied into memory
        with open_regular(ours) as (stream, size):
            data = Archive(stream, size, "net").read("weights.safetensors", size)
        weights = read_safetensors_bytes(data)
        touched = sum(float(t.sum()) for t in weights.values())
    else:
        weights = torch.load(theirs, weights_only=True)
        touched = sum(float(t.sum()) for t in weights.values())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"base_mb": base, "peak_mb": peak}))
""")


def _run(code: str, folder: str, *args: str) -> dict[str, float]:
    run = subprocess.run([sys.executable, "-c", code, folder, *args], capture_output=True,
                         text=True, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> dict:
    with tempfile.TemporaryDirectory() as folder:
        times = _run(TIMES, folder)
        memory = {how: _run(LOAD, folder, how) for how in ("ours", "read", "torch")}
    size = times["size"] / 2**30
    save, load = times["save"] / times["torch_save"], times["load"] / times["torch_load"]
    print(f"Save and load a {size:.2f} GiB model (4 × Linear(8192, 8192)), median of 5 "
          "interleaved rounds:")
    print(f"  save .tcanvas (fsync, zip CRC)   {times['save']:6.2f} s · torch.save + fsync "
          f"{times['torch_save']:6.2f} s · ratio {save:.2f} (target ≤ 1)")
    print(f"  load .tcanvas (mapped)           {times['load'] * 1000:6.0f} ms · "
          f"torch.load {times['torch_load']:6.2f} s · ratio {load:.3f} (target ≤ 0.5)")
    print(f"    its CRC verdict, on a thread   {times['load_verdict']:6.2f} s after the open "
          f"began; the open waiting for it: {times['load_checked']:.2f} s "
          f"(ratio {times['load_checked'] / times['torch_load']:.2f})")
    print("  peak RSS of a load, every tensor read once (fresh process, above start):")
    for how, label in (("ours", ".tcanvas mapped"), ("read", ".tcanvas read (before)"),
                       ("torch", "torch.load")):
        figures = memory[how]
        print(f"    {label:24s} {figures['peak_mb'] - figures['base_mb']:6.0f} MB")
    return {"times": times, "memory": memory}


if __name__ == "__main__":
    main()
