"""Memory stays bounded while people edit (issue 14): one lowering of the document per
argument edit, the live model's modules of layers no longer in the network within the
cache budget, undo copies of weights within the undo budget (past it on disk, past the
disk's room refused with a warning), and undo still restores bit for bit."""

import gc

import pytest
import torch
from safetensors.torch import load_file

import core.runtime.plan as plan_module
from core.catalog.templates import load_template
from core.document.compose import Composer
from core.document.edit import SetArgument
from core.document.graph import ROOT
from core.document.history import History, undo_warning
from core.runtime import spill, undo_copies
from core.runtime.init import ApplyInitializer
from core.runtime.limits import cache_budget
from core.runtime.live import LiveModel
from core.runtime.shapes import infer_shapes
from core.runtime.tensors import LoadWeights, backward_once
from core.workspace import Workspace

EDITS = 40


def bits(tensor: torch.Tensor) -> torch.Tensor:
    """The raw bits of a float32 tensor: equal bits, not merely equal values."""
    return tensor.detach().clone().view(torch.int32)


def spilled_files() -> set[str]:
    gc.collect()
    return {path.name for path in spill.folder().iterdir()}


@pytest.fixture
def small_cache(monkeypatch):
    monkeypatch.setenv("TORCHCANVAS_CACHE_BUDGET", str(1 << 20))  # 1 MiB, 4 old layers


def one_linear() -> Workspace:
    c = Composer()
    workspace = Workspace(c.document(c.layer("Linear", in_features=256, out_features=256),
                                     input_shape=(2, 256)))
    assert workspace.live.module is not None
    return workspace


def test_an_argument_edit_lowers_the_document_once(monkeypatch):
    """As the window does it: the edit, a dry run of a snapshot on a worker, the live
    model brought in step with that report and the worker's plan."""
    lowered = []
    original = plan_module._plan_graph

    def counting(document, graph_id, graph):
        if graph_id == ROOT:
            lowered.append(document)
        return original(document, graph_id, graph)

    monkeypatch.setattr(plan_module, "_plan_graph", counting)
    workspace = Workspace(load_template("mlp"))
    assert workspace.live.module is not None
    for width in (64, 65, 300, 64, 128):
        lowered.clear()
        workspace.execute(SetArgument("n1", "out_features", width))
        snapshot, revision = workspace.document.snapshot(), workspace.revision
        report = infer_shapes(snapshot)  # the worker's dry run
        assert workspace.adopt_report(report, revision, snapshot.plan_cache)
        module = workspace.live.module
        assert tuple(module.hidden.weight.shape) == (width, 20)
        assert tuple(module.out.weight.shape) == (10, width)
        assert len(lowered) == 1 and lowered[0] is snapshot
    lowered.clear()
    workspace.execute(SetArgument("n1", "out_features", 32))  # no worker: read it now
    assert workspace.live.module.hidden.weight.shape == (32, 20)
    assert len(lowered) == 1


def test_many_argument_edits_keep_the_cache_within_its_budget(small_cache):
    workspace = one_linear()
    live = workspace.live
    first = bits(live.module[0].weight)
    workspace.execute(ApplyInitializer(live, workspace.document, "normal",
                                       {"std": 0.5}, target="all", seed=3))
    initialized = bits(live.module[0].weight)
    assert not torch.equal(first, initialized)
    files = spilled_files()
    for k in range(1, EDITS + 1):
        workspace.execute(SetArgument("n1", "out_features", 256 + k))
        assert tuple(workspace.live.module[0].weight.shape) == (256 + k, 256)
        assert live.kept_bytes() <= cache_budget()
    last = bits(live.module[0].weight)
    # The initialized layer was written out (its seed would not make it again); the
    # untouched ones were dropped, not written.
    assert len(spilled_files() - files) == 1

    for _ in range(EDITS):  # without reading the model in between
        workspace.undo()
    assert torch.equal(bits(workspace.live.module[0].weight), initialized)
    assert spilled_files() == files  # read back, and its file removed
    workspace.undo()
    assert torch.equal(bits(workspace.live.module[0].weight), first)

    for _ in range(EDITS + 1):
        workspace.redo()
        workspace.live  # noqa: B018 — brought in step after every step this time
        assert live.kept_bytes() <= cache_budget()
    assert torch.equal(bits(workspace.live.module[0].weight), last)


def test_the_initializer_undoes_exactly_after_its_layer_was_put_aside(small_cache):
    """Undo reaches a tensor by its address, so the layer's module may have been written
    out and read back as a new module meanwhile."""
    workspace = one_linear()
    live = workspace.live
    workspace.execute(ApplyInitializer(live, workspace.document, "uniform",
                                       {"a": -3.0, "b": 3.0}, seed=1))
    before_value = bits(live.module[0].weight)
    workspace.execute(ApplyInitializer(live, workspace.document, "zeros"))
    for k in range(1, 12):
        workspace.execute(SetArgument("n1", "out_features", 256 + k))
        workspace.live  # noqa: B018
    for _ in range(11):
        workspace.undo()
        workspace.live  # noqa: B018
    workspace.undo()  # the zeros
    assert torch.equal(bits(workspace.live.module[0].weight), before_value)


def test_a_layer_whose_buffers_a_forward_pass_changed_comes_back_exactly(small_cache):
    c = Composer()
    workspace = Workspace(c.document(c.layer("Linear", in_features=512, out_features=512),
                                     c.layer("BatchNorm1d", num_features=512),
                                     input_shape=(4, 512)))
    live = workspace.live
    backward_once(live, workspace.document)  # running statistics move, silently
    running = live.module[1].running_mean.detach().clone()
    assert running.abs().sum() > 0
    for k in range(1, 12):
        workspace.execute(SetArgument("n2", "eps", 1e-5 * (k + 1)))
        workspace.execute(SetArgument("n1", "bias", k % 2 == 0))
        workspace.live  # noqa: B018
        assert live.kept_bytes() <= cache_budget()
    for _ in range(22):
        workspace.undo()
    assert torch.equal(workspace.live.module[1].running_mean, running)


@pytest.fixture
def big():
    """One 1000 × 600 linear layer: 2.4 MB of weights."""
    c = Composer()
    document = c.document(c.layer("Linear", in_features=600, out_features=1000),
                          input_shape=(2, 600))
    live = LiveModel()
    live.sync(document)
    return document, live


def test_weights_as_made_are_made_again_for_undo_instead_of_copied(big, monkeypatch):
    document, live = big
    gc.collect()
    held, files = undo_copies.held_in_memory(), spilled_files()
    weight = live.module[0].weight
    made = bits(weight)
    history = History(document)
    history.push(ApplyInitializer(live, document, "normal", {"std": 0.02}, target="all"))
    assert undo_copies.held_in_memory() == held and spilled_files() == files  # no copy
    touched = bits(weight)
    history.push(ApplyInitializer(live, document, "uniform", {"a": -1.0, "b": 1.0}))
    assert undo_copies.held_in_memory() == held + weight.nbytes  # now it needs one
    history.undo()
    assert torch.equal(bits(weight), touched)
    history.undo()
    assert torch.equal(bits(weight), made)
    history.redo()  # as made again after the undo: still no copy
    assert undo_copies.held_in_memory() == held and spilled_files() == files
    assert torch.equal(bits(weight), touched)


def test_undo_copies_past_the_budget_go_to_disk_and_come_back_exactly(big, monkeypatch):
    document, live = big
    history = History(document)
    history.push(ApplyInitializer(live, document, "ones", target="all"))  # no longer as made
    gc.collect()
    monkeypatch.setenv("TORCHCANVAS_UNDO_BUDGET", str(undo_copies.held_in_memory() + (1 << 20)))
    weight, bias = live.module[0].weight, live.module[0].bias
    before_weight, before_bias = bits(weight), bits(bias)
    files = spilled_files()
    history.push(ApplyInitializer(live, document, "normal", {"std": 0.02}, target="all"))
    written = spilled_files() - files
    assert len(written) == 1  # the weight; the bias (4 kB) stays in memory
    on_disk = load_file(spill.folder() / written.pop())  # a real safetensors file
    assert torch.equal(on_disk["tensor"].view(torch.int32), before_weight)
    assert not torch.equal(bits(weight), before_weight)

    history.undo()
    assert torch.equal(bits(weight), before_weight) and torch.equal(bits(bias), before_bias)
    assert spilled_files() == files  # undone: the copy is gone
    history.redo()
    assert len(spilled_files() - files) == 1
    assert not torch.equal(bits(weight), before_weight)
    history.clear()
    assert {path.name for path in spill.folder().iterdir()} == files  # at once, no gc


def test_an_undo_copy_that_fits_nowhere_is_refused_with_a_warning(big, monkeypatch):
    document, live = big
    history = History(document)
    history.push(ApplyInitializer(live, document, "ones"))  # no longer as made
    gc.collect()
    monkeypatch.setenv("TORCHCANVAS_UNDO_BUDGET", str(undo_copies.held_in_memory()))
    monkeypatch.setenv("TORCHCANVAS_DISK_RESERVE", str(1 << 62))  # no disk has that
    history.push(SetArgument("n1", "bias", False))
    history.mark_clean()
    weight = live.module[0].weight
    before = bits(weight)
    command = history.push(ApplyInitializer(live, document, "zeros"))
    assert weight.abs().sum() == 0  # the change is made
    assert "cannot be undone" in undo_warning(command)
    assert "would not fit on the disk" in undo_warning(command)
    assert not history.can_undo and not history.can_redo  # nothing before it either
    assert not history.is_clean
    assert not torch.equal(bits(weight), before)


def test_loaded_weights_are_kept_for_redo_within_the_budget(big, monkeypatch):
    """Weights loaded (or trained) are applied again by redo: that copy too stays within
    the budget; past it on disk, in the file's own dtype, and redo gives it back."""
    document, live = big
    history = History(document)
    history.push(ApplyInitializer(live, document, "ones", target="all"))  # no longer as made
    gc.collect()
    monkeypatch.setenv("TORCHCANVAS_UNDO_BUDGET", str(undo_copies.held_in_memory()))
    weight = live.module[0].weight
    before = bits(weight)
    incoming = {"0.weight": torch.randn(1000, 600, dtype=torch.float64)}
    expected = incoming["0.weight"].float().view(torch.int32)
    files = spilled_files()
    history.push(LoadWeights(live, incoming, ["0.weight"]))
    del incoming
    assert torch.equal(bits(weight), expected)
    assert len(spilled_files() - files) == 2  # what undo needs, what redo needs
    history.undo()
    assert torch.equal(bits(weight), before)
    history.redo()
    assert torch.equal(bits(weight), expected)


def test_lazy_layers_put_aside_come_back_with_their_sizes_and_weights(monkeypatch):
    monkeypatch.setenv("TORCHCANVAS_CACHE_BUDGET", "0")  # keep nothing that is not in use
    workspace = Workspace(load_template("mlp"))
    live = workspace.live
    workspace.execute(ApplyInitializer(live, workspace.document, "normal", {"std": 1.0},
                                       target="all", seed=5))
    out = bits(live.module.out.weight)  # a lazy layer, sized by the dry run
    for width in range(30, 40):
        workspace.execute(SetArgument("n1", "out_features", width))
        assert workspace.live.module.out.weight.shape == (10, width)
        assert live.kept_bytes() == 0
    for _ in range(10):
        workspace.undo()
    assert torch.equal(bits(workspace.live.module.out.weight), out)
