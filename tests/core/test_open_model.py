"""Opening a project builds its live model with the file's weights (`open_model`,
`LiveModel.load_project`): the layers the file holds whole are filled from it without a
random init, the rest are made from their seeds, and the result and the notes are those
of building the model and then loading the weights into it, bit for bit."""

import threading

import pytest
import torch

from core.document.compose import Composer
from core.document.graph import Document
from core.io.files import read_project, save_document
from core.io.weights import savable_state
from core.runtime import fill_from_file
from core.runtime.init import ApplyInitializer
from core.runtime.live import LiveModel
from core.runtime.shapes import infer_shapes
from core.workspace import Workspace, open_model


def network() -> tuple[Document, dict[str, str]]:
    """Linear, BatchNorm (buffers), a block, a tied Linear (two names) and a lazy one."""
    c = Composer()
    first = c.layer("Linear", in_features=12, out_features=16)
    norm = c.layer("BatchNorm1d", num_features=16)
    square = c.layer("Linear", in_features=16, out_features=16)
    inner = c.layer("Linear", in_features=16, out_features=16)
    block = c.block(inner, c.layer("LayerNorm", normalized_shape=[16]), name="body")
    document = c.document(first, norm, c.layer("ReLU"), square, block, c.twin(square),
                          c.layer("LazyLinear", out_features=5), input_shape=(4, 12))
    document.seed = 11
    return document, {"first": first.id, "inner": inner.id}


def built(document: Document) -> LiveModel:
    """The model as the window builds it before any weights are loaded."""
    live = LiveModel()
    report = infer_shapes(document)
    live.sync(document, report)
    live.materialize(document, report)
    return live


def saved_weights(document: Document) -> dict[str, torch.Tensor]:
    """Weights unlike any seed's: what training would leave (tied names stay equal)."""
    state = savable_state(built(document).module)
    generator = torch.Generator().manual_seed(5)
    values: dict[int, torch.Tensor] = {}
    weights = {}
    for key, tensor in state.items():
        if tensor.data_ptr() not in values:
            values[tensor.data_ptr()] = torch.randint(0, 9, tensor.shape, generator=generator) \
                .to(tensor.dtype) if not tensor.is_floating_point() else \
                torch.randn(tensor.shape, generator=generator, dtype=tensor.dtype)
        weights[key] = values[tensor.data_ptr()]
    return weights


def loaded_after_a_build(document: Document, weights) -> tuple[LiveModel, list[str]]:
    """How a project's weights were loaded before: the model built, then filled."""
    live = built(document)
    return live, live.load_state(dict(weights))


def opened(document: Document, weights) -> tuple[LiveModel, list[str]]:
    live = LiveModel()
    return live, live.load_project(document, infer_shapes(document), dict(weights))


def assert_same_model(one: LiveModel, other: LiveModel) -> None:
    assert one.module is not None and other.module is not None
    ours, theirs = one.module.state_dict(), other.module.state_dict()
    assert list(ours) == list(theirs)
    for key, tensor in theirs.items():
        assert ours[key].dtype == tensor.dtype and torch.equal(ours[key], tensor), key
    assert [(n, p.requires_grad) for n, p in one.module.named_parameters()] == \
        [(n, p.requires_grad) for n, p in other.module.named_parameters()]


def without(weights, prefix):
    return {k: v for k, v in weights.items() if not k.startswith(prefix)}


CASES = {
    "whole": lambda w: w,
    "a layer missing": lambda w: without(w, "0."),
    "a buffer missing": lambda w: without(w, "1.num_batches_tracked"),
    "a key the network lacks": lambda w: {**w, "9.weight": torch.ones(3)},
    "a shape that differs": lambda w: {**w, "0.weight": torch.ones(16, 13)},
    "one name of a tied layer in another shape": lambda w: {**w, "5.weight": torch.ones(2)},
    "nothing": lambda w: {},
}


@pytest.mark.parametrize("case", CASES)
def test_the_model_and_the_notes_are_those_of_loading_after_a_build(case):
    document, _ = network()
    weights = CASES[case](saved_weights(document))
    before, notes_before = loaded_after_a_build(document, weights)
    after, notes_after = opened(document, weights)
    assert notes_after == notes_before
    assert_same_model(after, before)
    if case == "a shape that differs":
        assert notes_after and "Error(s) in loading state_dict" in notes_after[0]
        fresh = built(document).module[0].weight
        assert torch.equal(after.module[0].weight, fresh)  # that layer: as its seed made it


def test_layers_the_file_holds_whole_are_not_made_from_their_seeds(monkeypatch):
    document, _ = network()
    weights = without(saved_weights(document), "0.")
    made = []
    new_module = LiveModel._new_module

    def spied(self, node, seed, device=None):
        made.append(node.type)
        return new_module(self, node, seed, device)

    monkeypatch.setattr(LiveModel, "_new_module", spied)
    live, _ = opened(document, weights)
    assert sorted(made) == ["LazyLinear", "Linear", "ReLU"]  # the lazy one: sized by the file
    monkeypatch.setattr(LiveModel, "_new_module", new_module)
    fresh = built(document).module
    assert torch.equal(live.module[0].weight, fresh[0].weight)  # the one the file lacks
    assert torch.equal(live.module[0].bias, fresh[0].bias)
    for key, tensor in weights.items():
        assert torch.equal(live.module.state_dict()[key], tensor), key


def test_the_tensors_are_copies_not_the_mapped_file(tmp_path):
    document, _ = network()
    weights = saved_weights(document)
    path = tmp_path / "net.tcanvas"
    save_document(document, path, weights=weights)
    project = read_project(path)
    workspace = Workspace()
    assert workspace.replace(project.document, path, project.weights) == []
    state = workspace.live.module.state_dict()
    for key, tensor in project.weights.items():
        assert torch.equal(state[key], tensor), key
        assert state[key].data_ptr() != tensor.data_ptr(), key
    assert workspace.live.module[1].running_var.data_ptr() != \
        project.weights["1.running_var"].data_ptr()


def test_undo_after_an_initializer_gives_the_files_weights_back(tmp_path):
    document, _ = network()
    weights = saved_weights(document)
    path = tmp_path / "net.tcanvas"
    save_document(document, path, weights=weights)
    project = read_project(path)
    workspace = Workspace()
    workspace.replace(project.document, path, project.weights)
    live = workspace.live
    square = live.module[3].weight
    assert not live.untouched(live.address(square))  # its seed does not make these
    workspace.execute(ApplyInitializer(live, workspace.document, "constant",
                                       {"value": 0.5}, seed=3))
    assert torch.all(square == 0.5)
    workspace.undo()
    state = workspace.live.module.state_dict()
    for key, tensor in weights.items():
        assert torch.equal(state[key], tensor), key


def test_a_layer_held_elsewhere_than_planned_is_made_from_its_seed(monkeypatch):
    document, ids = network()
    weights = without(saved_weights(document), "body.0.")  # the block's Linear: not in the file
    paths = fill_from_file.layer_paths

    def misplanned(document, plan, *args):
        found = paths(document, plan, *args)
        if not args:
            assert found[ids["inner"]] == ["body.0"]
            found[ids["inner"]] = ["3"]  # the tied Linear's name: its shapes fit
        return found

    monkeypatch.setattr(fill_from_file, "layer_paths", misplanned)
    after, notes_after = opened(document, weights)
    monkeypatch.setattr(fill_from_file, "layer_paths", paths)
    before, notes_before = loaded_after_a_build(document, weights)
    assert notes_after == notes_before
    assert_same_model(after, before)


def test_a_worker_opens_it_and_the_workspace_takes_the_model_as_it_is():
    document, _ = network()
    weights = saved_weights(document)
    result = []
    worker = threading.Thread(target=lambda: result.append(open_model(document, weights)))
    worker.start()
    worker.join()
    made = result[0]
    workspace = Workspace()
    changed = []
    workspace.live_changed.connect(lambda: changed.append(True))
    assert workspace.replace(document, None, weights, made) == []
    assert workspace.live is made.live and workspace.live.module is made.live.module
    assert changed
    before, _ = loaded_after_a_build(document, weights)
    assert_same_model(workspace.live, before)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")
def test_a_project_for_the_gpu_is_filled_there():
    document, _ = network()
    document.device = "cuda:0"
    weights = saved_weights(document)
    made = open_model(document, weights)
    assert made.notes == [] and made.live is not None
    state = made.live.module.state_dict()
    assert {t.device.type for t in state.values()} == {"cuda"}
    for key, tensor in weights.items():
        assert torch.equal(state[key].cpu(), tensor), key
