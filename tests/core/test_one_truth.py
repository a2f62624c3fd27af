"""The live model, saving and the history follow the document, whatever the order of
events: regressions for issue 10's problems 1, 2, 5 and 11 (core side)."""

import logging

import torch

from core.catalog.templates import load_template
from core.document.edit import AddNode, Compound, SetArgument, SetInput
from core.document.graph import ROOT, Node
from core.io.files import read_project, save_document
from core.runtime.devices import SetDevice
from core.runtime.live import TensorRef
from core.runtime.tensors import SetTensorValue
from core.workspace import Workspace


def mlp_workspace() -> Workspace:
    workspace = Workspace(load_template("mlp"))
    assert workspace.live.module is not None  # torch has built it, as the window does
    return workspace


def test_a_save_right_after_an_edit_writes_weights_that_fit_the_graph(tmp_path):
    workspace = mlp_workspace()
    workspace.execute(SetArgument("n1", "out_features", 64))
    snapshot = workspace.snapshot()  # no dry run has come back in between
    assert tuple(snapshot.weights["hidden.weight"].shape) == (64, 20)
    path = tmp_path / "mlp.tcanvas"
    save_document(snapshot.document, path, weights=snapshot.weights)
    project = read_project(path)
    assert project.document.node("n1").args["out_features"] == 64
    assert tuple(project.weights["hidden.weight"].shape) == (64, 20)
    assert tuple(project.weights["out.weight"].shape) == (10, 64)


def test_a_lazy_layer_gets_a_new_size_when_its_input_changes():
    workspace = mlp_workspace()
    workspace.execute(SetArgument("n1", "out_features", 300))
    module = workspace.live.module
    assert tuple(module.out.weight.shape) == (10, 300)
    assert module(torch.zeros(2, 20)).shape == (2, 10)
    workspace.undo()  # the old modules (and their weights) come back
    assert tuple(workspace.live.module.out.weight.shape) == (10, 256)


def test_the_snapshot_does_not_follow_edits_made_after_it():
    workspace = mlp_workspace()
    snapshot = workspace.snapshot()
    before = snapshot.weights["hidden.weight"].clone()
    workspace.execute(SetTensorValue(workspace.live, TensorRef("n1", "weight"), (0, 0), 42.0))
    workspace.execute(SetInput((3, 20)))
    assert torch.equal(snapshot.weights["hidden.weight"], before)
    assert tuple(snapshot.document.input.shape) == (2, 20)


def test_edits_made_while_a_save_runs_stay_unsaved(tmp_path):
    workspace = mlp_workspace()
    snapshot = workspace.snapshot()
    workspace.execute(SetArgument("n3", "out_features", 5))  # while the writer works
    workspace.mark_saved(tmp_path / "mlp.tcanvas", snapshot.position)
    assert workspace.modified
    workspace.undo()  # back to what the file holds
    assert not workspace.modified
    workspace.redo()
    assert workspace.modified


def test_a_save_point_left_behind_by_undo_and_a_new_edit_is_unreachable(tmp_path):
    workspace = mlp_workspace()
    workspace.execute(SetArgument("n3", "out_features", 5))
    snapshot = workspace.snapshot()
    workspace.undo()
    workspace.execute(SetArgument("n3", "out_features", 7))
    workspace.mark_saved(tmp_path / "mlp.tcanvas", snapshot.position)
    assert workspace.modified
    workspace.undo()
    assert workspace.modified  # the saved state (out_features 5) is gone for good


def test_a_listener_that_raises_leaves_the_edit_whole_recorded_and_undoable(caplog):
    workspace = Workspace(load_template("mlp"))
    heard = []

    def broken(graph_id, node_id):
        raise RuntimeError("a view fell over")

    workspace.document.events.node_added.connect(broken)
    workspace.document.events.node_added.connect(lambda g, n: heard.append(n))
    with caplog.at_level(logging.ERROR, logger="torchcanvas"):
        workspace.execute(AddNode(ROOT, Node("n99", "ReLU")))
    assert workspace.document.has_node("n99")
    assert heard == ["n99"]  # the others still hear of it
    assert workspace.modified and workspace.history.can_undo
    assert "a view fell over" in caplog.text
    workspace.undo()
    assert not workspace.document.has_node("n99") and not workspace.modified


def test_listeners_are_held_weakly():
    workspace = Workspace(load_template("mlp"))
    calls = []

    class View:
        def on_input(self):
            calls.append(1)

    view = View()
    workspace.document.events.input_changed.connect(view.on_input)
    workspace.execute(SetInput((3, 20)))
    del view
    workspace.execute(SetInput((4, 20)))
    assert calls == [1]
    assert len(workspace.document.events.input_changed) == 1  # the workspace's own


def test_device_and_tensor_commands_compose_with_document_edits():
    workspace = mlp_workspace()
    live = workspace.live
    weight = live.module.hidden.weight
    original = weight.detach().clone()
    workspace.execute(Compound("Edit and move", [
        SetInput((3, 20)),
        SetTensorValue(live, TensorRef("n1", "weight"), (0, 0), 7.0),
        SetDevice(live, "cpu"),
    ]))
    assert weight[0, 0].item() == 7.0 and workspace.document.input.shape == (3, 20)
    workspace.undo()
    assert torch.equal(live.module.hidden.weight, original)
    assert workspace.document.input.shape == (2, 20)
    assert not workspace.modified
