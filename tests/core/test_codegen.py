"""Generated Python runs in a fresh interpreter that cannot import TorchCanvas, and its
modules take the built module's weights and give equal outputs."""

import json
import subprocess
import sys
import textwrap

import torch

from core import build_module, to_python
from core.catalog.templates import list_templates, load_template
from core.document.compose import Composer
from core.document.graph import INPUT, OUTPUT, Edge

CHILD = textwrap.dedent("""
    import json, sys, torch

    class HideTorchCanvas:  # the editable install would make TorchCanvas importable

        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("core", "widgets", "app"):
                raise ImportError(f"{name} is hidden")
            return None

    sys.meta_path.insert(0, HideTorchCanvas())
    try:
        import core  # noqa: F401
        sys.exit("TorchCanvas must not be importable here")
    except ImportError:
        pass
    results = {}
    for name in json.loads(open("names.json").read()):
        namespace = {"__name__": "generated"}
        exec(compile(open(name + ".py").read(), name + ".py", "exec"), namespace)
        model = namespace["build_model"]()
        state = torch.load(name + ".pt", weights_only=True)
        model.load_state_dict(state, strict=True)
        model.eval()
        x = torch.load(name + ".x.pt", weights_only=True)
        with torch.no_grad():
            y = model(x)
        expected = torch.load(name + ".y.pt", weights_only=True)
        results[name] = bool(torch.equal(y, expected))
    print(json.dumps(results))
""")


def _residual_document():
    c = Composer()
    first = c.layer("Linear", "proj", in_features=20, out_features=32)
    body = c.layer("Linear", "body", in_features=32, out_features=32)
    act = c.layer("ReLU", "act")
    add = c.layer("Add", "join")
    document = c.document(first, body, act, add, title="Residual")
    graph = document.root
    graph.edges = [Edge(INPUT, first.id), Edge(first.id, body.id), Edge(body.id, act.id),
                   Edge(act.id, add.id, 0), Edge(first.id, add.id, 1), Edge(add.id, OUTPUT)]
    return document


def test_generated_source_runs_without_torchcanvas(tmp_path):
    documents = {t.name: load_template(t.name) for t in list_templates()}
    documents["residual"] = _residual_document()
    for name, document in documents.items():
        net = build_module(document, seed=0)
        x = torch.rand(document.input.shape)
        with torch.no_grad():
            net(x)
            net.eval()
            y = net(x)
        (tmp_path / f"{name}.py").write_text(to_python(document))
        torch.save(net.state_dict(), tmp_path / f"{name}.pt")
        torch.save(x, tmp_path / f"{name}.x.pt")
        torch.save(y, tmp_path / f"{name}.y.pt")
    (tmp_path / "names.json").write_text(json.dumps(sorted(documents)))
    run = subprocess.run([sys.executable, "-I", "-c", CHILD], cwd=tmp_path,
                         capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout.strip().splitlines()[-1])
    assert results == {name: True for name in documents}


def test_generated_source_reads_like_the_chapter():
    source = to_python(load_template("nest-mlp"))
    assert "class NestMLP(nn.Module):" in source
    assert "self.net = nn.Sequential(" in source
    assert "nn.LazyLinear(64)," in source
    assert "self.linear = nn.LazyLinear(16)" in source
    shared = to_python(load_template("shared-parameters"))
    assert "shared = nn.LazyLinear(8)" in shared
    assert shared.count("        shared,\n") == 2
    compile(to_python(_residual_document()), "residual.py", "exec")


def test_residual_block_adds_the_skip_connection():
    document = _residual_document()
    net = build_module(document)
    x = torch.rand(2, 20)
    h = net.proj(x)
    assert torch.allclose(net(x), torch.relu(net.body(h)) + h)
