"""Looking inside the model from the window: parameters, values, initializers,
histograms and gradients."""

import torch
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.app.driver import select, trigger, wait_for_shapes


def ready(qtbot, window):
    wait_for_shapes(qtbot, window)
    qtbot.waitUntil(lambda: window.inspection is not None and window.workspace.live.module
                    is not None and window.parameters.items
                    and not any(i.data(0, Qt.ItemDataRole.UserRole).lazy
                                for i in window.parameters.items.values()), timeout=10_000)
    return window.workspace.live.module


def settle(qtbot, window):
    QApplication.processEvents()
    qtbot.waitUntil(lambda: window.histograms.idle, timeout=10_000)
    QApplication.processEvents()


def type_into_cell(qtbot, window, row, column, text):
    table = window.tensor_view.table
    index = table.model().index(row, column)
    table.setCurrentIndex(index)
    table.edit(index)
    editor = QApplication.focusWidget()
    editor.selectAll()
    QTest.keyClicks(editor, text)
    QTest.keyClick(editor, Qt.Key.Key_Return)
    QApplication.processEvents()


def test_selecting_a_node_shows_its_parameters_and_values(qtbot, make_window):
    window = make_window("parameter-access")
    net = ready(qtbot, window)
    last = window.workspace.document.root.nodes[2].id
    select(window, last)
    settle(qtbot, window)
    assert [r.qualified for r in window.parameters.selected_rows()] == ["2.weight", "2.bias"]
    assert window.tensor_view.title.text() == "2.weight"
    assert window.tensor_view.model.rowCount() == 1 and window.tensor_view.model.columnCount() == 8
    assert window.histograms.shown.bins.total == 8
    assert "(1, 8) float32 on cpu" in window.tensor_view.stats.text()
    window.parameters.items["0.bias"].setSelected(True)
    window.parameters.tree.setCurrentItem(window.parameters.items["0.bias"])
    assert window.tensor_view.title.text() == "0.bias"
    assert net[0].bias.shape == (8,)


def test_xavier_on_one_block_changes_only_that_block(qtbot, make_window):
    window = make_window("nest-mlp")
    net = ready(qtbot, window)
    block = window.workspace.document.root.nodes[0].id
    before_outside = net.linear.weight.detach().clone()
    before_inside = net.net[0].weight.detach().clone()
    select(window, block)
    settle(qtbot, window)
    panel = window.initializers
    panel.choose("xavier_uniform")
    panel.selected.setChecked(True)
    QTest.mouseClick(panel.apply, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert not torch.equal(net.net[0].weight, before_inside)
    bound = (6 / (20 + 64)) ** 0.5
    assert net.net[0].weight.abs().max() <= bound
    assert torch.equal(net.linear.weight, before_outside)
    assert window.histograms.shown.theory is not None and window.histograms.shown.before
    trigger(window, "undo")
    assert torch.equal(net.net[0].weight, before_inside)


def test_editing_a_value_changes_the_live_module_and_undo_restores_it(qtbot, make_window):
    window = make_window("parameter-access")
    net = ready(qtbot, window)
    select(window, window.workspace.document.root.nodes[0].id)
    settle(qtbot, window)
    old = net[0].weight[0, 0].item()
    type_into_cell(qtbot, window, 0, 0, "42")
    assert net[0].weight[0, 0].item() == 42
    assert window.tensor_view.model.data(window.tensor_view.model.index(0, 0)) == "42"
    trigger(window, "undo")
    assert net[0].weight[0, 0].item() == old


def test_a_shared_weight_edit_shows_in_both_places(qtbot, make_window):
    window = make_window("shared-parameters")
    net = ready(qtbot, window)
    twin = window.workspace.document.root.nodes[4].id
    select(window, twin)
    settle(qtbot, window)
    assert window.tensor_view.title.text() == "4.weight"
    type_into_cell(qtbot, window, 0, 0, "100")
    assert net[2].weight[0, 0].item() == 100
    window.parameters.tree.setCurrentItem(window.parameters.items["2.weight"])
    assert window.tensor_view.model.data(window.tensor_view.model.index(0, 0)) == "100"
    assert window.parameters.items["2.weight"].text(7) == "4.weight"


def test_backward_once_makes_gradients_present(qtbot, make_window):
    window = make_window("mlp")
    ready(qtbot, window)
    assert {i.text(5) for i in window.parameters.items.values()} == {"none"}
    trigger(window, "backward")
    settle(qtbot, window)
    assert {i.text(5) for i in window.parameters.items.values()} == {"present"}
    select(window, window.workspace.document.root.nodes[0].id)
    window.histograms.gradients.setChecked(True)
    settle(qtbot, window)
    assert "gradient" in window.histograms.shown.name and window.histograms.shown.bins
    trigger(window, "clear_gradients")
    settle(qtbot, window)
    assert {i.text(5) for i in window.parameters.items.values()} == {"none"}


def test_the_chapters_init_with_its_histogram_and_small_multiples(qtbot, make_window,
                                                                  screenshots):
    window = make_window("chimera")
    window.resize(1500, 1000)
    ready(qtbot, window)
    panel = window.initializers
    panel.choose("piecewise")
    select(window, window.workspace.document.root.nodes[1].id)
    settle(qtbot, window)
    QTest.mouseClick(panel.apply, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    drawn = window.histograms.shown
    inside = (drawn.bins.edges[:-1] > -4.5) & (drawn.bins.edges[1:] < -0.5)
    assert drawn.bins.counts[inside].sum() == 0  # the gap between −5 and 0
    assert drawn.before is not None and drawn.theory.lines == [-10, -5, 5, 10]
    window.grab().save(str(screenshots / "piecewise-init.png"))
    window.histograms.tabs.setCurrentIndex(1)
    settle(qtbot, window)
    assert len(window.histograms.multiples) >= 5
    window.grab().save(str(screenshots / "small-multiples.png"))


def test_backward_from_a_tensor_file(qtbot, make_window, tmp_path):
    window = make_window("parameter-access")
    net = ready(qtbot, window)
    torch.save(torch.ones(2, 4), tmp_path / "x.pt")
    torch.save(torch.ones(3, 3), tmp_path / "wrong.pt")
    window.inspection.backward_from_file(tmp_path / "wrong.pt")
    assert "takes (2, 4)" in window.statusBar().currentMessage()
    assert net[0].weight.grad is None
    window.inspection.backward_from_file(tmp_path / "x.pt")
    assert net[0].weight.grad is not None
