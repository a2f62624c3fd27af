"""The summary's numbers, the code's line map, and the step-through walk."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from core import build_module
from core.catalog.templates import list_templates, load_template
from core.io.codegen import to_python, to_python_with_lines
from core.runtime.live import LiveModel
from core.runtime.shapes import infer_shapes
from core.runtime.stepper import step_through
from core.runtime.summary import model_summary

TEMPLATES = [t.name for t in list_templates()]


@pytest.mark.parametrize("name", TEMPLATES)
def test_summary_numbers_equal_the_module_and_the_flop_counter(name):
    document = load_template(name)
    net = build_module(document).eval()
    x = torch.rand(document.input.shape)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        net(x)
    summary = model_summary(document)
    assert summary.parameters == sum(p.numel() for p in net.parameters())
    assert summary.trainable == sum(p.numel() for p in net.parameters() if p.requires_grad)
    assert summary.buffers == sum(b.numel() for b in net.buffers())
    assert summary.memory == sum(t.numel() * t.element_size()
                                 for t in list(net.parameters()) + list(net.buffers()))
    assert summary.macs == counter.get_total_flops() // 2
    top = [row for row in summary.rows if row.depth == 0 and not row.shared]
    assert sum(row.parameters for row in top) == summary.parameters


def test_summary_marks_shared_rows_and_counts_them_once():
    summary = model_summary(load_template("shared-parameters"))
    shared = [row.name for row in summary.rows if row.shared]
    assert shared == ["4"]
    assert summary.parameters == 40 + 72 + 9
    assert "(shared)" in summary.text()


def test_every_node_has_its_lines_in_the_generated_code():
    document = load_template("chimera")
    source, spans = to_python_with_lines(document)
    assert source == to_python(document)
    lines = source.splitlines()
    every = {n.id for _, n in document.walk()}
    assert set(spans) == every
    nest = document.root.nodes[0].graph
    linear = nest.nodes[1].id
    assert [lines[i - 1].strip() for i in spans[linear]] == [
        "self.linear = nn.LazyLinear(16)", "return self.linear(x)"]


def test_step_through_walks_every_call_and_counts_the_halvings():
    document = load_template("fixed-hidden-mlp")
    live = LiveModel()
    live.sync(document)
    live.materialize(document, infer_shapes(document))
    x = torch.full((2, 20), 3.0)
    steps, output = step_through(live, document, x)
    assert [s.node_id for s in steps] == [n.id for n in document.root.nodes]
    assert torch.equal(output, live.module(x))
    halving = steps[4]
    assert halving.note.startswith("halved") and halving.shape == (2, 20)
    assert halving.stats.numel == 40 and abs(halving.stats.mean) * 40 <= 1
    assert steps[-1].shape == ()
