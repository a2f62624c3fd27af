"""The parameter panel alone, fed the way the app feeds it: ``show_rows`` with the rows
of the workspace's live model (see `app.inspection.Inspection.refresh`)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QTreeWidgetItem

from core.catalog.templates import load_template
from core.document.edit import AddNode, SetArgument
from core.document.graph import ROOT, Document, Node
from core.runtime.tensors import ParameterRow, parameter_rows
from core.workspace import Workspace
from widgets.parameter_panel import ROW_ROLE, ParameterPanel


@pytest.fixture
def make_panel(qtbot):
    def make(workspace: Workspace) -> ParameterPanel:
        panel = ParameterPanel()
        qtbot.addWidget(panel)
        panel.resize(900, 500)
        panel.show()
        qtbot.waitExposed(panel)
        feed(panel, workspace)
        return panel

    return make


def feed(panel: ParameterPanel, workspace: Workspace) -> list[ParameterRow]:
    live = workspace.live
    rows = parameter_rows(live, workspace.document)
    panel.show_rows(rows, f"⚠ {live.error}" if live.error else "")
    return rows


def all_items(panel: ParameterPanel) -> list[QTreeWidgetItem]:
    found, stack = [], [panel.tree.topLevelItem(i) for i in range(panel.tree.topLevelItemCount())]
    while stack:
        item = stack.pop()
        found.append(item)
        stack += [item.child(i) for i in range(item.childCount())]
    return found


def path_of(item: QTreeWidgetItem) -> str:
    names = []
    while item is not None:
        names.append(item.text(0))
        item = item.parent()
    return ".".join(reversed(names))


def click(panel: ParameterPanel, qualified: str,
          modifier=Qt.KeyboardModifier.NoModifier) -> None:
    item = panel.items[qualified]
    panel.tree.scrollToItem(item)
    point = panel.tree.visualItemRect(item).center()
    QTest.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, modifier, point)


def selected(panel: ParameterPanel) -> set[str]:
    return {row.qualified for row in panel.selected_rows()}


@pytest.mark.parametrize("template", ["mlp", "mlp-dropout-batchnorm", "shared-parameters",
                                      "nest-mlp"])
def test_the_rows_are_exactly_the_state_dict(make_panel, template):
    workspace = Workspace(load_template(template))
    panel = make_panel(workspace)
    state = workspace.live.module.state_dict()
    assert set(panel.items) == set(state)
    for qualified, item in panel.items.items():
        assert path_of(item) == qualified
        assert item.data(0, ROW_ROLE).qualified == qualified
        assert item.text(1) == "(" + ", ".join(map(str, state[qualified].shape)) + ")"
    # What the panel adds: one unselectable-as-tensor heading per module on the way.
    headings = {path_of(i) for i in all_items(panel) if i.data(0, ROW_ROLE) is None}
    assert headings == {q.rsplit(".", k)[0] for q in state
                        for k in range(1, q.count(".") + 1)}


def test_the_mlp_rows_read_like_the_chapter(make_panel, mlp):
    panel = make_panel(mlp)
    tops = [panel.tree.topLevelItem(i) for i in range(panel.tree.topLevelItemCount())]
    assert [t.text(0) for t in tops] == ["hidden", "out"]
    assert [[t.child(i).text(0) for i in range(t.childCount())] for t in tops] == \
        [["weight", "bias"], ["weight", "bias"]]
    weight = panel.items["hidden.weight"]
    assert [weight.text(c) for c in range(8)] == \
        ["weight", "(256, 20)", "float32", "cpu", "yes", "none", "parameter", ""]
    assert panel.note.isHidden()


def test_tied_rows_name_each_other(make_panel):
    workspace = Workspace(load_template("shared-parameters"))
    panel = make_panel(workspace)
    assert panel.items["2.weight"].text(7) == "4.weight"
    assert panel.items["4.weight"].text(7) == "2.weight"
    assert panel.items["0.weight"].text(7) == ""


def test_selecting_a_row_emits_that_row_and_its_node(make_panel, mlp):
    panel = make_panel(mlp)
    tensors, nodes = [], []
    panel.tensor_chosen.connect(tensors.append)
    panel.nodes_chosen.connect(nodes.append)
    click(panel, "out.weight")
    row = panel.items["out.weight"].data(0, ROW_ROLE)
    assert tensors[-1] is row and row.qualified == "out.weight"
    assert nodes[-1] == ["n3"]
    click(panel, "hidden.bias", Qt.KeyboardModifier.ControlModifier)
    assert selected(panel) == {"out.weight", "hidden.bias"}
    assert tensors[-1].qualified == "hidden.bias"  # the one clicked last
    assert nodes[-1] == ["n1", "n3"]


def test_select_nodes_selects_their_rows_without_echo(make_panel, mlp):
    panel = make_panel(mlp)
    tensors, nodes = [], []
    panel.tensor_chosen.connect(tensors.append)
    panel.nodes_chosen.connect(nodes.append)
    panel.select_nodes(["n1"])
    assert selected(panel) == {"hidden.weight", "hidden.bias"}
    assert tensors[-1].qualified in {"hidden.weight", "hidden.bias"}
    panel.select_nodes(["n1", "n3"])
    assert selected(panel) == set(panel.items)
    panel.select_nodes(["n2"])  # a ReLU has no tensors
    assert selected(panel) == set()
    assert tensors[-1] is None
    assert nodes == []  # the canvas asked: nothing goes back to it


def test_select_nodes_of_a_tied_layer_selects_the_rows_it_is_shown_for(make_panel):
    workspace = Workspace(load_template("shared-parameters"))
    panel = make_panel(workspace)
    panel.select_nodes(["n5"])
    assert selected(panel) == {"4.weight", "4.bias"}
    panel.select_nodes(["n1"])
    assert selected(panel) == {"2.weight", "2.bias"}


def test_the_selection_survives_new_rows(make_panel, mlp):
    panel = make_panel(mlp)
    click(panel, "out.weight")
    mlp.execute(SetArgument("n3", "out_features", 5))
    feed(panel, mlp)
    assert selected(panel) == {"out.weight"}
    assert panel.items["out.weight"].text(1) == "(5, 256)"


def test_a_network_without_tensors_says_so(make_panel):
    workspace = Workspace(Document())
    panel = make_panel(workspace)
    assert panel.items == {}
    assert panel.note.text() == "This network has no parameters or buffers."


def test_lazy_tensors_are_marked_and_counted(make_panel):
    workspace = Workspace(Document())
    workspace.execute(AddNode(ROOT, Node("n1", "LazyLinear")))  # no forward pass sizes it
    panel = make_panel(workspace)
    assert set(panel.items) == set(workspace.live.module.state_dict()) == \
        {"lazy_linear.weight", "lazy_linear.bias"}
    assert [item.text(1) for item in panel.items.values()] == ["uninitialized"] * 2
    assert panel.note.text().startswith("2 lazy tensors are not sized yet")


def test_a_warning_is_shown_above_the_rows(make_panel, mlp):
    panel = make_panel(mlp)
    rows = parameter_rows(mlp.live, mlp.document)
    panel.show_rows(rows, "⚠ the model could not be built")
    assert panel.note.text() == "⚠ the model could not be built"
    assert not panel.note.isHidden()
    assert set(panel.items) == {r.qualified for r in rows}


def test_a_changed_model_updates_the_tree_in_place(make_panel, mlp):
    panel = make_panel(mlp)
    kept = panel.items["out.weight"]
    click(panel, "out.weight")
    mlp.execute(SetArgument("n1", "bias", False))
    feed(panel, mlp)
    assert panel.items["out.weight"] is kept and selected(panel) == {"out.weight"}
    assert {path_of(i) for i in all_items(panel)} == {"hidden", "hidden.weight", "out",
                                                       "out.weight", "out.bias"}
    mlp.execute(SetArgument("n1", "out_features", 32))
    feed(panel, mlp)
    assert panel.items["hidden.weight"].text(1) == "(32, 20)"
    assert panel.items["out.weight"].text(1) == "(10, 32)"
    mlp.history.undo()
    mlp.history.undo()
    feed(panel, mlp)
    fresh = make_panel(Workspace(load_template("mlp")))
    assert [path_of(i) for i in all_items(panel)] == [path_of(i) for i in all_items(fresh)]
    assert panel.items["hidden.weight"].text(1) == "(256, 20)"
