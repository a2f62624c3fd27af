"""The live model: the document built into real modules with real weights, on a device.

The workspace keeps it in step with the document: after each change `sync` rebuilds the
containers and reuses the module of every layer whose type and arguments are unchanged,
so weights a person initialized or edited survive unrelated edits. A module is
remembered by node id and arguments even after its node is gone, so undoing a deletion
brings its weights back. Lazy layers are sized from the dry run's input shapes
(`materialize`); a lazy layer is remembered with the input it was sized for, so a new
input size gives it a new module instead of a stale one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import nn
from torch.nn.parameter import UninitializedBuffer, UninitializedParameter

from core.document.events import Event
from core.document.graph import Document, Node
from core.errors import BuildError, TorchCanvasError
from core.runtime.build import BuiltModel, build, new_layer, tie_tensors
from core.runtime.devices import DeviceError, check_device
from core.runtime.limits import check_fits, check_run_fits, tensor_bytes
from core.runtime.report import ShapeReport, is_tuple_shape
from core.runtime.shapes import DTYPES, layer_sizes


@dataclass(frozen=True)
class TensorRef:
    """A parameter or buffer, addressed by the node that owns its module and its local
    name there (``weight``), so it survives renames and restructuring."""

    node_id: str
    name: str


class LiveModel:
    def __init__(self, device: str = "cpu") -> None:
        try:
            self.device = check_device(device)
        except DeviceError:
            self.device = torch.device("cpu")
        self.built: BuiltModel | None = None
        self.error: str | None = None
        self._cache: dict[tuple[Any, ...], nn.Module] = {}
        self._lazy_types: set[str] = set()
        self._report: ShapeReport | None = None
        self._planned = 0
        self.changed = Event("live_model_changed")

    @property
    def module(self) -> nn.Module | None:
        return self.built.module if self.built else None

    @property
    def report(self) -> ShapeReport | None:
        """The dry run the model was last brought in step with."""
        return self._report

    def check_run_fits(self) -> None:
        """Raise `BuildError` when a forward pass with gradients on a sample would not
        fit this machine (its activations, not only the weights, are counted)."""
        module = self.module
        weights = sum(t.nbytes for t in {id(t): t for t in module.state_dict(
            keep_vars=True).values()}.values() if not _is_uninitialized(t)) if module else 0
        check_run_fits(weights, self._report)

    def _key(self, node: Node, report: ShapeReport | None = None) -> tuple[Any, ...]:
        key: tuple[Any, ...] = (node.id, node.type, tuple(sorted(node.args.items())))
        if node.type in self._lazy_types:
            report = report or self._report
            shape = report.nodes.get(node.id) if report is not None else None
            key += (tuple(shape.input_shapes) if shape and not shape.error else None,)
        return key

    def _new_module(self, node: Node, seed: int) -> nn.Module:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(_node_seed(seed, node.id))
            with torch.device(self.device):
                return new_layer(node)

    def _keep(self, node: Node, module: nn.Module) -> None:
        if node.type not in self._lazy_types and _is_lazy(module):
            self._lazy_types.add(node.type)
        self._cache[self._key(node)] = module

    def _layer(self, seed: int):
        def make(node: Node) -> nn.Module:
            module = self._cache.get(self._key(node))
            if module is None:
                self._planned += _meta_bytes(node)
                check_fits(self._planned)
                module = self._new_module(node, seed)
                self._keep(node, module)
            return module
        return make

    # Building off the GUI thread: `missing_layers` and `keep_layers` on the thread that
    # owns the model, `make_layers` (which touches nothing of it but reads) on a worker.

    def missing_layers(self, document: Document, report: ShapeReport) -> LayerBuild:
        """The layers `sync` would have to create for ``document`` (each once, copied:
        the document may change while a worker makes them)."""
        nodes = [replace(node, args=dict(node.args)) for _, node in document.walk()
                 if node.graph is None and node.shares is None
                 and self._key(node, report) not in self._cache]
        return LayerBuild(self, nodes, document.seed)

    def make_layers(self, nodes: list[Node], seed: int,
                    cancelled: Callable[[], bool] = lambda: False,
                    progress: Callable[[int], None] = lambda done: None,
                    ) -> list[tuple[Node, nn.Module]]:
        """New modules for ``nodes``, made as `sync` would make them; raises `BuildError`
        when they would not fit and `BuildCancelled` when ``cancelled()`` turns true."""
        check_fits(sum(_meta_bytes(node) for node in nodes))
        made = []
        for done, node in enumerate(nodes, 1):
            if cancelled():
                raise BuildCancelled("building the model was cancelled")
            made.append((node, self._new_module(node, seed)))
            progress(done)
        return made

    def keep_layers(self, made: list[tuple[Node, nn.Module]], report: ShapeReport) -> None:
        """Hold modules `make_layers` made, so the next `sync` reuses them."""
        self._report = report
        for node, module in made:
            self._keep(node, module)

    def sync(self, document: Document, report: ShapeReport | None = None) -> bool:
        """Rebuild from ``document`` (``report``, the dry run of this very document,
        tells lazy layers their input); on an invalid document keep the last model and
        record why in ``error``. Returns True when the model was rebuilt."""
        self._planned = 0
        self._report = report
        try:
            self.built = build(document, require_output_path=False,
                               layer_factory=self._layer(document.seed))
        except TorchCanvasError as error:
            self.error = str(error)
            return False
        self.error = None
        self.changed.emit()
        return True

    def materialize(self, document: Document, report: ShapeReport) -> None:
        """Give lazy layers their real sizes by calling each once on zeros of the input
        shape the dry run found (the chapter's dry run, one layer at a time)."""
        if self.built is None:
            return
        weights = (report.parameters + report.buffers) * 4
        try:
            check_fits(weights)
        except TorchCanvasError as error:
            self.error = str(error)
            return
        done = False
        for node_id, module in self.built.modules.items():
            if not document.has_node(node_id) or document.node(node_id).graph is not None:
                continue
            if document.node(node_id).type not in self._lazy_types or not _is_lazy(module):
                continue
            shape = report.nodes.get(node_id)
            if shape is None or not shape.input_shapes or shape.error or \
                    any(is_tuple_shape(s) for s in shape.input_shapes):
                continue
            try:  # the sizing call's input and output count, not only the weights
                check_fits(weights + sum(tensor_bytes(s) for s in shape.input_shapes)
                           + tensor_bytes(shape.output_shape), "sizing its lazy layers",
                           f"for the weights and a sample of input {shape.input_shapes[0]}")
            except TorchCanvasError as error:
                self.error = str(error)
                return
            dtype = DTYPES.get(document.input.dtype, torch.float32)
            inputs = [torch.zeros(s, dtype=dtype if i == 0 else torch.float32,
                                  device=self.device) for i, s in enumerate(shape.input_shapes)]
            try:  # seeded like a new layer: the same design sizes to the same weights
                with torch.no_grad(), torch.random.fork_rng(devices=[]):
                    torch.manual_seed(_node_seed(document.seed, node_id))
                    module(*inputs)
            except Exception:  # the dry run said it fits; a failure leaves it lazy
                continue
            done = True
        if done:
            self.changed.emit()

    def load_state(self, state: dict[str, torch.Tensor]) -> list[str]:
        """Load a saved state_dict (a project's weights); lazy layers take their sizes
        from it. Returns the problems, one line each (empty when everything fit)."""
        if self.built is None:
            return ["there is no model to load the weights into"]
        try:
            result = self.built.module.load_state_dict(state, strict=False)
        except RuntimeError as error:
            return [str(error).strip().splitlines()[0]]
        self.changed.emit()
        problems = []
        if result.missing_keys:
            problems.append(f"not in the file: {', '.join(result.missing_keys[:6])}")
        if result.unexpected_keys:
            problems.append(f"not in the network: {', '.join(result.unexpected_keys[:6])}")
        return problems

    def owner_module(self, node_id: str) -> nn.Module:
        assert self.built is not None
        return self.built.modules[node_id]

    def tensor(self, ref: TensorRef) -> torch.Tensor:
        module = self.owner_module(ref.node_id)
        return module.get_parameter(ref.name) if ref.name in dict(
            module.named_parameters()) else module.get_buffer(ref.name)

    def move_to(self, device: str) -> None:
        """Move every module, also those kept for undo, to ``device``."""
        target = torch.device(device)
        for module in self._cache.values():
            module.to(target)
        if self.built is not None:
            tie_tensors(self.built)
        self.device = target
        self.changed.emit()


@dataclass
class LayerBuild:
    """Layers a live model lacks: `make` them on any thread, then hand the result to
    `Workspace.adopt_report` (which calls `LiveModel.keep_layers`)."""

    live: LiveModel
    nodes: list[Node]
    seed: int

    @property
    def size_bytes(self) -> int:
        return sum(_meta_bytes(node) for node in self.nodes)

    def make(self, cancelled: Callable[[], bool] = lambda: False,
             progress: Callable[[int], None] = lambda done: None
             ) -> list[tuple[Node, nn.Module]]:
        return self.live.make_layers(self.nodes, self.seed, cancelled, progress)


class BuildCancelled(BuildError):
    """The person stopped an off-thread build; the model was left as it was."""


def _is_uninitialized(tensor: torch.Tensor) -> bool:
    return isinstance(tensor, (UninitializedParameter, UninitializedBuffer))


def _is_lazy(module: nn.Module) -> bool:
    return any(isinstance(p, UninitializedParameter) for p in module.parameters())


def _meta_bytes(node: Node) -> int:
    """What a layer's known parameters and buffers will take (lazy ones count later)."""
    parameters, buffers = layer_sizes(node.type, node.args)
    return (parameters + buffers) * 4


def _node_seed(seed: int, node_id: str) -> int:
    digest = hashlib.blake2b(f"{seed}/{node_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & ((1 << 63) - 1)
