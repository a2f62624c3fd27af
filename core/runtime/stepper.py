"""Step-through forward: run the live model one node at a time on a sample input and
keep every intermediate tensor's shape and statistics, for teaching how data flows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from core.catalog.layers import HalveUntilL1
from core.document.graph import Document
from core.errors import TorchCanvasError
from core.runtime.live import LiveModel
from core.runtime.plan import ModulePlan, input_key
from core.runtime.tensors import TensorStats, tensor_stats


@dataclass
class Step:
    """One node's call: what came out, and anything worth saying about it."""

    node_id: str
    graph_id: str
    shape: tuple[int, ...] | None
    stats: TensorStats | None
    note: str = ""

    def describe(self) -> str:
        if self.shape is None:
            return self.note
        text = f"{tuple(self.shape)}"
        if self.stats is not None and self.stats.numel:
            text += f" · mean {self.stats.mean:.3g} · std {self.stats.std:.3g}"
        return f"{text} · {self.note}" if self.note else text


def step_through(live: LiveModel, document: Document,
                 sample: torch.Tensor) -> tuple[list[Step], torch.Tensor | None]:
    """Every call of the forward pass in order (inside blocks too), and the output."""
    if live.built is None:
        raise TorchCanvasError("there is no model to run yet")
    live.check_run_fits()
    steps: list[Step] = []
    with torch.no_grad():
        output = _run(live, document, live.built.plan, [sample], steps)
    return steps, output


def _run(live: LiveModel, document: Document, plan: ModulePlan, xs: list[Any],
         steps: list[Step]) -> Any:
    values: dict[str, Any] = {input_key(i): x for i, x in enumerate(xs)}
    for call in plan.calls:
        found = [values.get(source) for source in call.inputs]
        inputs = [value for value in found if value is not None]
        if len(inputs) != len(found):
            values[call.node_id] = None
            steps.append(Step(call.node_id, plan.graph_id, None, None, "waits for its input"))
            continue
        if call.node_id in plan.blocks:
            output = _run(live, document, plan.blocks[call.node_id], inputs, steps)
            note = "the block's output"
        else:
            module = live.built.modules[call.node_id]  # type: ignore[union-attr]
            try:
                output = module(*inputs)
            except Exception as error:  # shown on the node, the walk goes on
                values[call.node_id] = None
                steps.append(Step(call.node_id, plan.graph_id, None, None,
                                  f"failed: {str(error).splitlines()[0]}"))
                continue
            note = ""
            if isinstance(module, HalveUntilL1):
                note = f"halved {module.last_steps} time{'s' if module.last_steps != 1 else ''}"
        values[call.node_id] = output
        if isinstance(output, torch.Tensor):
            steps.append(Step(call.node_id, plan.graph_id, tuple(output.shape),
                              tensor_stats(output), note))
        elif output is not None:
            steps.append(Step(call.node_id, plan.graph_id, None, None,
                              f"a tuple of {len(output)}"))
    outputs = [values.get(key) for key in plan.outputs]
    if not outputs or any(output is None for output in outputs):
        return None
    return outputs[0] if len(outputs) == 1 else tuple(outputs)
