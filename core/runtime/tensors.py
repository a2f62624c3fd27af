"""Looking at and changing the live model's tensors: the rows of the parameter panel,
statistics, histograms (bins computed where the tensor lives), value edits as undoable
commands, and one backward pass to make gradients appear."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn.parameter import UninitializedBuffer, UninitializedParameter

from core.catalog.registry import spec_for
from core.document.edit import Command, Recorder
from core.document.graph import Document
from core.errors import EditError, TorchCanvasError
from core.io.atomic import Cancelled
from core.runtime.limits import check_fits, tensor_bytes
from core.runtime.live import LiveModel, TensorAddress, TensorRef
from core.runtime.shapes import DTYPES
from core.runtime.undo_copies import (
    AsMade,
    SavedTensor,
    UndoRefused,
    kept_for_redo,
    restore_all,
    saved_for_undo,
)


@dataclass
class ParameterRow:
    """One parameter or buffer, as the parameter panel lists it."""

    qualified: str
    ref: TensorRef
    kind: str
    shape: tuple[int, ...] | None
    dtype: str
    device: str
    requires_grad: bool
    grad: str
    node_ids: list[str]
    shared_with: list[str] = field(default_factory=list)

    @property
    def lazy(self) -> bool:
        return self.shape is None

    @property
    def numel(self) -> int:
        return int(np.prod(self.shape)) if self.shape is not None else 0


def parameter_rows(live: LiveModel, document: Document) -> list[ParameterRow]:
    """Every parameter and buffer under every name it has (tied ones appear twice)."""
    if live.built is None:
        return []
    root = live.built.module
    nodes_of: dict[int, list[str]] = {}
    holders: dict[int, list[str]] = {}  # a parameter node's tensor → the nodes holding it
    for node_id, module in live.built.modules.items():
        if document.has_node(node_id) and document.node(node_id).graph is None:
            nodes_of.setdefault(id(module), []).append(node_id)
            if isinstance(getattr(module, "value", None), torch.Tensor) and \
                    spec_for(document.node(node_id).type).is_tensor:
                holders.setdefault(id(module.value), []).append(node_id)
    # One walk of the modules gives what named_parameters and named_buffers (without
    # removing duplicates) would, in their order: every parameter, then every buffer.
    parameters: list[tuple[str, str, torch.Tensor, str, nn.Module]] = []
    buffers: list[tuple[str, str, torch.Tensor, str, nn.Module]] = []
    for path, module in root.named_modules(remove_duplicate=False):
        prefix = path + "." if path else ""
        for local, tensor in module._parameters.items():
            if tensor is not None:
                parameters.append((prefix + local, local, tensor, "parameter", module))
        for local, tensor in module._buffers.items():
            if tensor is not None:
                buffers.append((prefix + local, local, tensor, "buffer", module))
    entries = parameters + buffers
    names_of: dict[int, list[str]] = {}
    for qualified, _, tensor, _, _ in entries:
        names_of.setdefault(id(tensor), []).append(qualified)
    at_path = _attribute_paths(live.built.plan)
    with_attribute = set(at_path.values())
    rows = []
    for qualified, local, tensor, kind, module in entries:
        path = qualified.rpartition(".")[0]
        users = nodes_of.get(id(module), [])
        if id(tensor) in holders:  # registered on the graph's module under the node's name
            users, local, path = holders[id(tensor)], "value", qualified
        owner = next((i for i in users if document.node(i).shares is None), "")
        # The node whose attribute this is, and twins that call it without one of their own.
        shown_for = [i for i in users if at_path.get(path) == i or i not in with_attribute]
        lazy = isinstance(tensor, (UninitializedParameter, UninitializedBuffer))
        rows.append(ParameterRow(
            qualified=qualified,
            ref=TensorRef(owner, local),
            kind=kind,
            shape=None if lazy else tuple(tensor.shape),
            dtype=str(tensor.dtype).removeprefix("torch."),
            device=str(tensor.device),
            requires_grad=bool(tensor.requires_grad),
            grad="present" if getattr(tensor, "grad", None) is not None else "none",
            node_ids=shown_for or users,
            shared_with=[n for n in names_of[id(tensor)] if n != qualified],
        ))
    return rows


def _attribute_paths(plan, prefix: str = "") -> dict[str, str]:
    """Module path (``0.net.2``) → the node id registered under it."""
    paths = {}
    for name, node_id in plan.attributes:
        paths[prefix + name] = node_id
        if node_id in plan.blocks:
            paths.update(_attribute_paths(plan.blocks[node_id], f"{prefix}{name}."))
    return paths


@dataclass
class TensorStats:
    numel: int
    mean: float
    std: float
    minimum: float
    maximum: float
    zeros: int


def tensor_stats(tensor: torch.Tensor) -> TensorStats:
    data = tensor.detach()
    if data.numel() == 0:
        return TensorStats(0, float("nan"), float("nan"), float("nan"), float("nan"), 0)
    values = data.float() if not data.is_floating_point() else data
    std = values.std().item() if values.numel() > 1 else 0.0
    return TensorStats(data.numel(), values.mean().item(), std, values.min().item(),
                       values.max().item(), int((data == 0).sum().item()))


@dataclass
class Histogram:
    """Bin counts (on the host) and their edges; only these leave the device."""

    counts: np.ndarray
    edges: np.ndarray

    @property
    def total(self) -> int:
        return int(self.counts.sum())


def histogram(tensor: torch.Tensor, bins: int = 80,
              value_range: tuple[float, float] | None = None) -> Histogram:
    """``torch.histc`` where the tensor lives; a constant tensor gets one centred bin."""
    data = tensor.detach()
    if not data.is_floating_point():
        data = data.float()
    if data.numel() == 0:
        return Histogram(np.zeros(bins), np.linspace(-1, 1, bins + 1))
    if value_range is None:
        low, high = data.min().item(), data.max().item()
    else:
        low, high = value_range
    if not (np.isfinite(low) and np.isfinite(high)):
        finite = data[torch.isfinite(data)]
        low, high = (finite.min().item(), finite.max().item()) if finite.numel() else (-1, 1)
    if low == high:
        low, high = low - 0.5, high + 0.5
    counts = torch.histc(data, bins=bins, min=low, max=high)
    return Histogram(counts.cpu().numpy(), np.linspace(low, high, bins + 1))


Saved = dict[int, tuple[TensorAddress | torch.Tensor, SavedTensor | AsMade]]


class TensorCommand(Command):
    """A change to tensors of the live model that undo puts back bit for bit.

    The saved copies are recorded like any other inverse, so a tensor change composes
    with document edits in a `Compound` and undoes with them. They are kept within the
    undo budget (`core.runtime.undo_copies`); where a copy fits neither memory nor disk,
    the change is still made, ``undoable`` turns False and ``warning`` says why (the
    history then cannot go back past it). A tensor is found again for undo by its
    address in the live model, so the module holding it may be put aside meanwhile."""

    undoable = True
    warning = ""

    def __init__(self, live: LiveModel, text: str) -> None:
        super().__init__()
        self.live = live
        self.text = text
        self._before: Saved = {}
        self._prepared = False
        self._put_back: PutBack | None = None
        self.size_bytes = 0  # of the tensors the change reached, last time it was made

    def prepare(self) -> None:
        """Make the change now, on any thread, telling no one: the `execute` (or redo)
        that follows on the GUI thread records it for undo and announces it without
        making it again. A failure puts back what was changed and raises."""
        self._before, self.undoable, self.warning, self.size_bytes = {}, True, "", 0
        try:
            self.change()
        except BaseException:
            restore_all(self.live, self._before.values())
            self._before.clear()
            raise
        self._prepared = True

    def withdraw(self) -> None:
        """Put back a prepared change that will not be executed."""
        restore_all(self.live, self._before.values())
        self._before.clear()
        self._prepared = False

    def undo_ahead(self) -> None:
        """Put back what the change replaced now, on any thread, telling no one: the undo
        that follows on the GUI thread records it and announces it without putting it
        back again. A failure raises and leaves the step to be undone again."""
        if self._put_back is not None:
            self._put_back.ahead()

    def forget_undo_ahead(self) -> None:
        """An `undo_ahead` that will not be recorded: a later undo puts back again."""
        if self._put_back is not None:
            self._put_back.done_ahead = False

    def _do(self, r: Recorder) -> None:
        if not self._prepared:
            self._before, self.undoable, self.warning, self.size_bytes = {}, True, "", 0
        self._put_back = PutBack(self.live, self._before, r.document)
        r.record(self._put_back)
        if self._prepared:
            self._prepared = False  # a redo makes the change again
        else:
            self.change()
        r.document.events.weights_changed.emit()

    def remember(self, tensor: torch.Tensor) -> None:
        if id(tensor) in self._before or not self.undoable:
            return
        address = self.live.address(tensor)
        try:
            saved = saved_for_undo(self.live, tensor, address)
        except UndoRefused as error:
            self._before.clear()
            self.undoable = False
            self.warning = f"{self.text} cannot be undone: {error}."
            return
        self._before[id(tensor)] = (address or tensor, saved)
        self.size_bytes += tensor.numel() * tensor.element_size()

    def change(self) -> None:
        raise NotImplementedError


class PutBack:
    """The inverse a `TensorCommand` records: give its tensors back what they held. It
    holds no reference to the command, so a history dropped frees the copies at once."""

    def __init__(self, live: LiveModel, before: Saved, document: Document) -> None:
        self.live, self.before, self.document = live, before, document
        self.done_ahead = False

    def ahead(self) -> None:
        if not self.done_ahead:
            restore_all(self.live, self.before.values())
            self.done_ahead = True

    def __call__(self) -> None:
        if not self.done_ahead:
            restore_all(self.live, self.before.values())
        self.done_ahead = False
        if self.before:
            self.before.clear()  # undone: the copies are not needed any more
            self.document.events.weights_changed.emit()


class SetTensorValue(TensorCommand):
    """``weight[0, 0] = 42``: one element of a parameter or buffer."""

    def __init__(self, live: LiveModel, ref: TensorRef, index: tuple[int, ...],
                 value: float) -> None:
        super().__init__(live, f"Set {ref.name}{list(index)}")
        self.ref, self.index, self.value = ref, tuple(index), float(value)

    def change(self) -> None:
        try:
            tensor = self.live.tensor(self.ref)
        except (KeyError, AttributeError):
            raise EditError(f"{self.ref.name} is no longer in the model") from None
        if len(self.index) != tensor.dim() or any(
                not -n <= i < n for i, n in zip(self.index, tensor.shape, strict=True)):
            raise EditError(f"{list(self.index)} is outside a tensor of shape "
                            f"{tuple(tensor.shape)}")
        self.remember(tensor)
        with torch.no_grad():
            tensor[self.index] = self.value


def sample_input(document: Document, device: torch.device, seed: int = 0) -> torch.Tensor:
    """A reproducible random input of the document's shape (integers for int64)."""
    generator = torch.Generator().manual_seed(seed)
    shape = tuple(document.input.shape)
    check_fits(tensor_bytes(shape, 8 if document.input.dtype == "int64" else 4),
               "the sample input", f"for its shape {shape}")
    if document.input.dtype == "int64":
        return torch.randint(0, 2, shape, generator=generator).to(device)
    dtype = DTYPES.get(document.input.dtype, torch.float32)
    return torch.rand(shape, generator=generator, dtype=dtype).to(device)


def backward_once(live: LiveModel, document: Document,
                  sample: torch.Tensor | None = None) -> float:
    """Run the model on a sample, sum the output and backpropagate: afterwards every
    parameter the output depends on has a gradient. Returns the summed output."""
    if live.module is None:
        raise TorchCanvasError("there is no model to run yet")
    live.check_run_fits()
    x = sample if sample is not None else sample_input(document, live.device, document.seed)
    try:
        output = live.module(x)
        if not isinstance(output, torch.Tensor):
            raise TorchCanvasError(f"the model returned {type(output).__name__}, not a tensor")
        total = output.float().sum()
        if not total.requires_grad:
            raise TorchCanvasError("the output does not depend on any trainable parameter")
        total.backward()
    except TorchCanvasError:
        raise
    except Exception as error:  # a shape the model cannot take, reported as a message
        raise TorchCanvasError(f"backward failed: {error}") from None
    live.changed.emit()
    return float(total.item())


def clear_gradients(live: LiveModel) -> None:
    if live.module is not None:
        live.module.zero_grad(set_to_none=True)
        live.changed.emit()


class LoadWeights(TensorCommand):
    """Copy the tensors of a state_dict that fit into the live model (in place, so tied
    weights stay tied); undo restores what was there.

    Made on a worker (`prepare`), ``cancelled`` is asked between tensors (then
    `Cancelled` is raised and everything is put back) and ``progress`` told how many
    tensors are done."""

    def __init__(self, live: LiveModel, state: dict[str, torch.Tensor], keys: list[str],
                 text: str = "Load weights") -> None:
        super().__init__(live, text)
        self.state: dict[str, torch.Tensor | SavedTensor] = dict(state)
        self.keys = list(keys)
        self.cancelled: Callable[[], bool] = lambda: False
        self.progress: Callable[[int], None] = lambda done: None

    def change(self) -> None:
        module = self.live.module
        if module is None:
            raise EditError("there is no model to load weights into")
        current = module.state_dict(keep_vars=True)
        for key in self.keys:
            tensor = current[key]
            if isinstance(tensor, (UninitializedParameter, UninitializedBuffer)):
                raise EditError(f"{key} has no size yet; run the dry run first")
        for key in self.keys:
            self._stop_if_cancelled()
            self.remember(current[key])
        with torch.no_grad():
            for done, key in enumerate(self.keys):
                self._stop_if_cancelled()
                incoming = self.state[key]
                if isinstance(incoming, SavedTensor):  # a redo
                    incoming.restore(current[key])
                else:
                    current[key].copy_(incoming.to(current[key].device, current[key].dtype))
                self.progress(done + 1)
        # What redo applies again is kept within the undo budget too (none without undo).
        self.state = kept_for_redo(self.state, self.keys) if self.undoable else {}

    def _stop_if_cancelled(self) -> None:
        if self.cancelled():
            raise Cancelled("cancelled; the weights are as they were")
