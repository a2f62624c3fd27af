"""The live model: the document built into real modules with real weights, on a device.

The workspace keeps it in step with the document: after each change `sync` rebuilds the
containers and reuses the module of every layer whose type and arguments are unchanged,
so weights a person initialized or edited survive unrelated edits. A module is
remembered by node id and arguments even after its node is gone, so undoing a deletion
or an argument edit brings its weights back. Lazy layers are sized from the dry run's
input shapes (`materialize`); a lazy layer is remembered with the input it was sized
for, so a new input size gives it a new module instead of a stale one.

A project's layers are made from its file where it holds them whole (`load_project`):
no random init that the file's values would overwrite, and, since their seeds do not
make those values, undo copies them instead of making them again.

Modules no longer in the network are kept within `cache_budget` bytes; past it the least
recently used are put aside: one whose weights are still those it was made with is
dropped and made again from its seed when it comes back (bit for bit), any other is
written to a temporary file first (`core.runtime.spill`) and read back from it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.nn.parameter import is_lazy

from core.document.events import Event
from core.document.graph import Document, Node
from core.errors import BuildError, TorchCanvasError
from core.runtime.build import BuiltModel, build, new_layer, tie_tensors
from core.runtime.devices import DeviceError, check_device
from core.runtime.fill_from_file import FromFile
from core.runtime.heap import let_go
from core.runtime.layer_seeding import (
    build_rng,
    collector_paused,
    draws,
    forked_rng,
    node_seed,
    seed_layer,
)
from core.runtime.limits import (
    cache_budget,
    check_fits,
    check_run_fits,
    memory_budget,
    tensor_bytes,
)
from core.runtime.module_facts import (
    copied_node,
    is_lazy_module,
    is_uninitialized,
    made_as_of,
    meta_bytes,
    module_bytes,
    named_tensors,
    parameters_of,
    remakeable,
)
from core.runtime.report import ShapeReport, is_tuple_shape
from core.runtime.shapes import DTYPES

if TYPE_CHECKING:
    from core.runtime.spill import Spilled


@dataclass(frozen=True)
class TensorRef:
    """A parameter or buffer, addressed by the node that owns its module and its local
    name there (``weight``), so it survives renames and restructuring."""

    node_id: str
    name: str


Key = tuple[Any, ...]
"""A kept module's identity: node id, type, arguments (and, for a lazy layer, its input)."""



@dataclass(frozen=True)
class TensorAddress:
    """A tensor by the kept module that holds it: it finds the tensor again after that
    module was put aside and brought back (undo copies are restored through it)."""

    key: Key
    name: str


@dataclass
class Kept:
    """A module the live model holds (``module``) or has put aside (``module`` None)."""

    node: Node  # a copy, to make the module again from
    seed: int
    device: torch.device  # where it was made: made again there, its seed gives the same
    module: nn.Module | None
    made_as: tuple[Any, ...] | None  # its parameters as made; None: not to be made again
    spilled: Spilled | None = None

    def untouched(self) -> bool:
        return self.made_as is not None and self.module is not None and \
            made_as_of(self.module) == self.made_as


class LiveModel:
    def __init__(self, device: str = "cpu") -> None:
        try:
            self.device = check_device(device)
        except DeviceError:
            self.device = torch.device("cpu")
        self.built: BuiltModel | None = None
        self.error: str | None = None
        self._cache: OrderedDict[Key, Kept] = OrderedDict()  # least recently used first
        self._in_use: set[Key] = set()  # the keys of the model built last
        self._using: set[Key] = set()
        self._addresses: dict[int, TensorAddress] | None = None
        self._lazy_types: set[str] = set()
        self._report: ShapeReport | None = None
        self._planned = 0
        self._budget = 0
        self._from_file: FromFile | None = None
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
            keep_vars=True).values()}.values() if not is_uninitialized(t)) if module else 0
        check_run_fits(weights, self._report)

    def _key(self, node: Node, report: ShapeReport | None = None) -> Key:
        key: Key = (node.id, node.type, tuple(sorted(node.args.items())))
        if node.type in self._lazy_types:
            report = report or self._report
            shape = report.nodes.get(node.id) if report is not None else None
            key += (tuple(shape.input_shapes) if shape and not shape.error else None,)
        return key

    def _new_module(self, node: Node, seed: int, device: torch.device | None = None
                    ) -> nn.Module:
        if not getattr(build_rng, "forked", False):
            with forked_rng():
                return self._new_module(node, seed, device)
        device = self.device if device is None else torch.device(device)
        with draws:
            seed_layer(node_seed(seed, node.id), device)
            if device.type == "cpu" and build_rng.plain_cpu:
                return new_layer(node)  # the device mode costs a third of a small layer
            with device:
                return new_layer(node)

    def _keep(self, node: Node, module: nn.Module, seed: int, key: Key | None = None,
              copy: bool = True, as_made: bool = True) -> None:
        """Hold ``module`` under ``key``; ``as_made`` False: its weights are not those its
        seed makes (they came from a file), so undo must copy them, never remake them."""
        parameters = parameters_of(module)
        lazy = any(is_lazy(p) for p in parameters)
        if lazy and node.type not in self._lazy_types:
            self._lazy_types.add(node.type)
        key = key or self._key(node)
        kept = self._cache.get(key)
        if kept is not None and (kept.module is not None or kept.spilled is not None
                                 or kept.device != self.device):
            return  # what is held (or put aside with its weights) wins over a new one
        made_as = made_as_of(module, parameters) if as_made and not lazy and \
            remakeable(node, module) else None
        self._cache[key] = Kept(copied_node(node) if copy else node, seed, self.device, module,
                                made_as)
        self._addresses = None

    def _layer(self, seed: int):
        def make(node: Node) -> nn.Module:
            key = self._key(node)
            self._using.add(key)
            kept = self._cache.get(key)
            if kept is not None and kept.module is not None:
                self._cache.move_to_end(key)
                return kept.module
            self._planned += meta_bytes(node)
            if self._planned > self._budget:
                check_fits(self._planned)
            if kept is not None:
                return self._bring_back(key, kept)
            filled = self._from_file.make(node, key, self.device) if self._from_file else None
            module = filled if filled is not None else self._new_module(node, seed)
            self._keep(node, module, seed, key, as_made=filled is None)
            return module
        return make

    # Keeping the modules of layers no longer in the network within the cache budget.

    def _bring_back(self, key: Key, kept: Kept) -> nn.Module:
        """The module of ``kept`` again: made from its seed where it was made, with the
        weights it had when it was put aside."""
        module = self._new_module(kept.node, kept.seed, kept.device)
        if kept.device != self.device:
            module.to(self.device)
        if kept.spilled is not None:
            module.load_state_dict(kept.spilled.load())
            kept.spilled.drop()
            kept.spilled, kept.made_as = None, None
        else:
            kept.made_as = made_as_of(module)
        kept.module = module  # ``device`` stays where it was made: its seed's device
        self._cache.move_to_end(key)
        self._addresses = None
        return module

    def _put_aside(self, kept: Kept) -> bool:
        """Free ``kept``'s module: dropped when its seed makes it again, else written to
        a temporary file; False when neither can be done (it stays held)."""
        assert kept.module is not None
        if not kept.untouched() and not is_lazy_module(kept.module):  # a lazy one holds nothing
            from core.runtime.spill import Spilled, SpillError

            try:
                kept.spilled = Spilled({name: tensor for name, tensor in
                                        kept.module.state_dict().items()})
            except SpillError:
                return False
        kept.module = None
        return True

    def kept_bytes(self) -> int:
        """Parameters and buffers held in modules not in the network built last."""
        return sum(module_bytes(kept.module) for key, kept in self._cache.items()
                   if kept.module is not None and key not in self._in_use)

    def _trim(self) -> None:
        budget = cache_budget()
        idle = [(key, kept, module_bytes(kept.module)) for key, kept in self._cache.items()
                if kept.module is not None and key not in self._in_use]
        total = sum(size for _, _, size in idle)
        for _, kept, size in idle:  # the least recently used first
            if total <= budget:
                break
            if self._put_aside(kept):
                total -= size
                self._addresses = None
                let_go(size)

    def address(self, tensor: torch.Tensor) -> TensorAddress | None:
        """Where ``tensor`` lives among the kept modules (None: in none of them)."""
        if self._addresses is None:
            self._addresses = {}
            for key, kept in self._cache.items():
                if kept.module is not None:
                    for name, held in named_tensors(kept.module):
                        self._addresses.setdefault(id(held), TensorAddress(key, name))
        return self._addresses.get(id(tensor))

    def untouched(self, address: TensorAddress) -> bool:
        """Whether the module at ``address`` still has the weights it was made with
        (then `made_tensors` gives them again without a copy having been kept)."""
        kept = self._cache.get(address.key)
        return kept is not None and kept.untouched()

    def made_tensors(self, key: Key) -> dict[str, torch.Tensor]:
        """The tensors of the module kept under ``key`` as it was made: made again from
        its seed (bit for bit; on the device it was first made on)."""
        kept = self._cache[key]
        return dict(named_tensors(self._new_module(kept.node, kept.seed, kept.device)))

    def mark_as_made(self, key: Key) -> None:
        """The module under ``key`` was given back every value it was made with (undo
        of a change to weights as made): it may again be made anew instead of copied."""
        kept = self._cache.get(key)
        if kept is not None and kept.module is not None:
            kept.made_as = made_as_of(kept.module)

    def tensor_at(self, address: TensorAddress) -> torch.Tensor:
        """The tensor at ``address`` now (its module brought back if it was put aside)."""
        kept = self._cache[address.key]
        module = kept.module if kept.module is not None else \
            self._bring_back(address.key, kept)
        return dict(named_tensors(module))[address.name]

    # Building off the GUI thread: `missing_layers` and `keep_layers` on the thread that
    # owns the model, `make_layers` (which touches nothing of it but reads) on a worker.

    def missing_layers(self, document: Document, report: ShapeReport) -> LayerBuild:
        """The layers `sync` would have to create for ``document`` (each once, copied:
        the document may change while a worker makes them)."""
        nodes = [copied_node(node) for _, node in document.walk()
                 if node.graph is None and node.shares is None
                 and self._missing(self._key(node, report))]
        return LayerBuild(self, nodes, document.seed)

    def _missing(self, key: Key) -> bool:
        """Whether a new module must be made for ``key`` (one put aside with changed
        weights, or made on another device, is brought back by `sync` instead)."""
        kept = self._cache.get(key)
        return kept is None or (kept.module is None and kept.spilled is None
                                and kept.device == self.device)

    def make_layers(self, nodes: list[Node], seed: int,
                    cancelled: Callable[[], bool] = lambda: False,
                    progress: Callable[[int], None] = lambda done: None,
                    ) -> list[tuple[Node, nn.Module]]:
        """New modules for ``nodes``, made as `sync` would make them; raises `BuildError`
        when they would not fit and `BuildCancelled` when ``cancelled()`` turns true."""
        check_fits(sum(meta_bytes(node) for node in nodes))
        made = []
        with forked_rng(), collector_paused():
            for done, node in enumerate(nodes, 1):
                if cancelled():
                    raise BuildCancelled("building the model was cancelled")
                made.append((node, self._new_module(node, seed)))
                progress(done)
        return made

    def keep_layers(self, made: list[tuple[Node, nn.Module]], report: ShapeReport,
                    seed: int) -> None:
        """Hold modules `make_layers` made (with ``seed``), so the next `sync` reuses
        them."""
        self._report = report
        for node, module in made:  # `missing_layers` copied the nodes
            self._keep(node, module, seed, copy=False)

    def sync(self, document: Document, report: ShapeReport | None = None) -> bool:
        """Rebuild from ``document`` (``report``, the dry run of this very document,
        tells lazy layers their input); on an invalid document keep the last model and
        record why in ``error``. Returns True when the model was rebuilt."""
        self._planned, self._budget = 0, memory_budget()
        self._report = report
        self._using = set()
        try:
            with forked_rng(), collector_paused():
                self.built = build(document, require_output_path=False,
                                   layer_factory=self._layer(document.seed))
        except TorchCanvasError as error:
            self.error = str(error)
            self._trim()
            return False
        self._in_use = self._using
        self._trim()
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
            if document.node(node_id).type not in self._lazy_types or not is_lazy_module(module):
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
                with torch.no_grad(), forked_rng(), draws:
                    seed_layer(node_seed(document.seed, node_id), torch.device(self.device))
                    module(*inputs)
            except Exception:  # the dry run said it fits; a failure leaves it lazy
                continue
            done = True
        if done:
            self._addresses = None
            self.changed.emit()

    def load_project(self, document: Document, report: ShapeReport,
                     weights: dict[str, torch.Tensor]) -> list[str]:
        """`sync`, `materialize` and `load_state` of a project's saved ``weights``, one
        after the other: the same model and the same notes, but a layer whose every tensor
        the file holds (under each name the network gives it, in its shape) is made
        without its random init and filled from the file, not filled twice; the others
        are made from their seeds as `sync` makes them. Any thread may call it on a live
        model that no other thread sees yet (a project being opened)."""
        self._from_file = from_file = FromFile(document, weights)
        try:
            built = self.sync(document, report)
            misplaced = from_file.misplaced(self.built) if built else []
            if misplaced:  # a layer the network holds elsewhere than its plan said
                for key in misplaced:
                    self._cache.pop(key, None)
                self._from_file = None
                built = self.sync(document, report)  # those made from their seeds
        finally:
            self._from_file = None
        if built:
            self.materialize(document, report)
        return self.load_state(weights, from_file.loaded(self.built) if built else set())

    def load_state(self, state: dict[str, torch.Tensor],
                   loaded: set[str] | frozenset[str] = frozenset()) -> list[str]:
        """Load a saved state_dict (a project's weights); lazy layers take their sizes
        from it. ``loaded``: keys whose tensors the model already holds (`load_project`),
        not copied again. Returns the problems, one line each (empty when everything
        fit)."""
        if self.built is None:
            return ["there is no model to load the weights into"]
        if loaded:
            state = {key: tensor for key, tensor in state.items() if key not in loaded}
        try:
            result = self.built.module.load_state_dict(state, strict=False)
        except RuntimeError as error:
            return [str(error).strip().splitlines()[0]]
        self.changed.emit()
        problems = []
        missing = [key for key in result.missing_keys if key not in loaded]
        if missing:
            problems.append(f"not in the file: {', '.join(missing[:6])}")
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
        for kept in self._cache.values():
            if kept.module is not None:
                untouched = kept.untouched()
                kept.module.to(target)
                kept.made_as = made_as_of(kept.module) if untouched else None
        self._addresses = None
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
        return sum(meta_bytes(node) for node in self.nodes)

    def make(self, cancelled: Callable[[], bool] = lambda: False,
             progress: Callable[[int], None] = lambda done: None) -> MadeLayers:
        return MadeLayers(self.live.make_layers(self.nodes, self.seed, cancelled, progress),
                          self.live, self.seed)


class MadeLayers(list):
    """What `LayerBuild.make` made, with the live model and seed it was made for: a build
    that ends after another document was opened must not enter that one's cache as made
    from its seed."""

    def __init__(self, layers: list[tuple[Node, nn.Module]], live: LiveModel,
                 seed: int) -> None:
        super().__init__(layers)
        self.live, self.seed = live, seed


class BuildCancelled(BuildError):
    """The person stopped an off-thread build; the model was left as it was."""
