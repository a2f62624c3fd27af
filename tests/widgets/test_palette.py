"""The palette with the whole of torch.nn: every entry once, a filter that finds layers
in closed categories, categories that close and open."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from core.catalog.registry import CATALOG, CATEGORIES
from core.workspace import Workspace
from tests.widgets.support import one_layer
from widgets.inspector import Inspector
from widgets.palette import TYPE_ROLE, LayerPalette


@pytest.fixture
def palette(qtbot) -> LayerPalette:
    widget = LayerPalette()
    qtbot.addWidget(widget)
    widget.resize(260, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_every_entry_is_listed_once_under_its_category(palette):
    assert list(palette.categories) == list(CATEGORIES)
    assert sorted(palette.visible_types()) == sorted(CATALOG)
    assert len(palette.visible_types()) > 100
    for category, group in palette.categories.items():
        assert group.isExpanded()
        for index in range(group.childCount()):
            assert CATALOG[group.child(index).data(0, TYPE_ROLE)].category == category


def test_the_filter_finds_the_new_layers_and_enter_takes_the_first(palette, qtbot):
    palette.filter.setText("lstm")
    assert palette.visible_types() == ["LSTM", "LSTMCell"]
    shown = [c for c, group in palette.categories.items() if not group.isHidden()]
    assert shown == ["Recurrent"]
    palette.filter.setText("3d")
    assert {"Conv3d", "MaxPool3d", "BatchNorm3d", "ZeroPad3d"} <= set(palette.visible_types())
    palette.filter.setText("crossentropy")
    assert set(palette.visible_types()) == {"CrossEntropyLoss", "LinearCrossEntropyLoss"}
    with qtbot.waitSignal(palette.layer_activated) as chosen:
        palette.filter.returnPressed.emit()
    assert chosen.args == ["CrossEntropyLoss"]


def test_categories_close_and_a_filter_opens_those_with_matches(palette):
    for group in palette.categories.values():
        group.setExpanded(False)
    palette.categories["Linear"].setExpanded(True)
    palette.filter.setText("pad")
    assert palette.categories["Padding"].isExpanded()
    assert "ZeroPad2d" in palette.visible_types()
    rect = palette.tree.visualItemRect(palette.entry("ZeroPad2d"))
    assert rect.isValid()  # on screen (within the scrolled tree), not folded away
    palette.filter.setText("")
    expanded = {c for c, group in palette.categories.items() if group.isExpanded()}
    assert expanded == {"Linear"}  # as the person left them
    assert len(palette.visible_types()) == len(CATALOG)


def test_the_inspector_shows_every_entry_with_its_defaults(qtbot):
    """An editor per argument, showing the default, for every kind the catalog uses
    (a bool that may be unset shows as unchecked: the editor has no third state)."""
    workspace = Workspace(one_layer("Linear"))
    inspector = Inspector(workspace)
    qtbot.addWidget(inspector)
    wrong = {}
    for spec in CATALOG.values():
        workspace.replace(one_layer(spec.type))
        inspector.show_nodes(["n1"])
        QApplication.processEvents()
        for arg in spec.args:
            value = inspector.editors[arg.name].value()
            expected = False if arg.kind == "bool" and arg.default is None else arg.default
            if arg.validate(value) != expected:
                wrong[f"{spec.type}.{arg.name}"] = (value, arg.default)
    assert not wrong


def test_enter_takes_the_exact_name_first(palette, qtbot):
    palette.filter.setText("sigmoid")
    assert "SiLU" in palette.visible_types()  # its help speaks of the sigmoid
    with qtbot.waitSignal(palette.layer_activated) as chosen:
        palette.filter.returnPressed.emit()
    assert chosen.args == ["Sigmoid"]
