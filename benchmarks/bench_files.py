"""Saving and loading a 1 GB model as a .tcanvas project, against torch.save and
torch.load of the same state_dict, each in a fresh process so peak memory is its own."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap

SETUP = textwrap.dedent("""
    import json, resource, sys, time, torch
    from core.document.compose import Composer
    c = Composer()
    document = c.document(*[c.layer("Linear", in_features=8192, out_features=8192)
                            for _ in range(4)], input_shape=(1, 8192))
    state = {f"{i}.{name}": torch.randn(shape) for i in range(4)
             for name, shape in (("weight", (8192, 8192)), ("bias", (8192,)))}
    size = sum(t.numel() * t.element_size() for t in state.values())
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    path = sys.argv[1]
""")

OURS = SETUP + textwrap.dedent("""
    from core.io.files import read_project, save_document
    start = time.perf_counter()
    save_document(document, path + "/net.tcanvas", weights=state)
    saved = time.perf_counter() - start
    del state
    start = time.perf_counter()
    project = read_project(path + "/net.tcanvas")
    loaded = time.perf_counter() - start
    print(json.dumps({"size": size, "save": saved, "load": loaded, "base_mb": base,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")

TORCH = SETUP + textwrap.dedent("""
    start = time.perf_counter()
    torch.save(state, path + "/net.pt")
    saved = time.perf_counter() - start
    del state
    start = time.perf_counter()
    loaded_state = torch.load(path + "/net.pt", weights_only=True)
    loaded = time.perf_counter() - start
    print(json.dumps({"size": size, "save": saved, "load": loaded, "base_mb": base,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")


def _run(code: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        run = subprocess.run([sys.executable, "-c", code, folder], capture_output=True,
                             text=True, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> dict[str, float]:
    ours, theirs = _run(OURS), _run(TORCH)
    size = ours["size"] / 2**30
    print(f"Save and load a {size:.2f} GiB model (4 × Linear(8192, 8192)):")
    for label, key in (("save", "save"), ("load", "load")):
        print(f"  {label}: .tcanvas {ours[key]:6.2f} s · torch {theirs[key]:6.2f} s · "
              f"ratio {ours[key] / theirs[key]:.2f} (target ≤ 1)")
    print(f"  peak RSS: .tcanvas {ours['peak_mb']:.0f} MB · torch {theirs['peak_mb']:.0f} MB "
          f"(the state_dict itself: {ours['base_mb']:.0f} MB)")
    return {"ours": ours, "torch": theirs}


if __name__ == "__main__":
    main()
