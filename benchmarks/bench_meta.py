"""Shape inference of a 70-billion-parameter design on ``meta``: time and peak memory.

Runs in a fresh process so the peak RSS is that of the inference alone (plus the
interpreter and torch, reported separately).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent("""
    import json, resource, time
    import torch
    from core import infer_shapes
    from core.document.compose import Composer, chain
    from core.document.graph import Document, InputSpec

    after_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    c = Composer()
    blocks = [c.block(
        c.layer("Linear", in_features=8192, out_features=24576),
        c.layer("Linear", in_features=24576, out_features=8192),
        c.layer("LayerNorm", normalized_shape=[8192]),
        c.layer("Linear", in_features=8192, out_features=28672),
        c.layer("GELU"),
        c.layer("Linear", in_features=28672, out_features=8192),
    ) for _ in range(80)]
    head = c.layer("Linear", in_features=8192, out_features=32000)
    document = Document(root=chain(*blocks, head), input=InputSpec((1, 8192)))
    import sys
    start = time.perf_counter()
    report = infer_shapes(document)
    first = time.perf_counter() - start
    imported = sorted(m for m in ("torch._dynamo", "sympy") if m in sys.modules)
    start = time.perf_counter()
    infer_shapes(document)
    again = time.perf_counter() - start
    start = time.perf_counter()
    with torch.device("meta"):  # what the rules spare: torch._dynamo and sympy, once
        torch.nn.Linear(3, 3)(torch.empty(1, 3))
    torch_warmup = time.perf_counter() - start
    assert report.ok, report.first_error()
    print(json.dumps({
        "layers": sum(1 for _ in document.walk()),
        "parameters": report.parameters,
        "torch_warmup_s": torch_warmup,
        "first_s": first,
        "again_s": again,
        "imported": imported,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "import_rss_mb": after_import,
    }))
""")


def main() -> dict[str, float]:
    run = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                         check=True)
    data = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"70B design on meta ({data['layers']} nodes, {data['parameters'] / 1e9:.1f} B "
          "parameters):")
    print(f"  shape inference, first run        {data['first_s'] * 1000:8.1f} ms (target < 1 s; "
          f"it imported {', '.join(data['imported']) or 'neither torch._dynamo nor sympy'})")
    print(f"  shape inference, again (cached)   {data['again_s'] * 1000:8.1f} ms")
    print(f"  peak RSS of the process           {data['peak_rss_mb']:8.0f} MB (target < 500 MB)")
    print(f"    of which python + torch import  {data['import_rss_mb']:8.0f} MB")
    print(f"  then torch's first Linear on meta {data['torch_warmup_s'] * 1000:8.1f} ms "
          "(it imports torch._dynamo and sympy once per process: what the rules spare)")
    return data


if __name__ == "__main__":
    main()
