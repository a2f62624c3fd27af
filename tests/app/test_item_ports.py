"""A layer that returns a tuple (GRU, LSTM, chunk) shows one small port per item; a link
dragged from one is picked out by a GetItem, in one undo step."""

import pytest
import torch
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from torch import nn

from app.main_window import MainWindow
from core import build_module
from core.catalog.outputs import output_items
from core.catalog.registry import spec_for
from core.document.graph import INPUT, OUTPUT, ROOT, Document, Edge, Graph, InputSpec, Node
from core.io.codegen import to_python
from core.io.files import document_to_dict
from core.workspace import Workspace
from tests.app.driver import drag, wait_for_shapes


def node(node_id: str, layer_type: str, **args) -> Node:
    return Node(node_id, layer_type, spec_for(layer_type).validate_args(args))


def recurrent_window(qtbot, settings, layer_type: str) -> MainWindow:
    """input (2, 5, 8) → a recurrent layer (its output unused); two Linear(16, 4) beside
    it, the first feeding the network's output."""
    rnn = node("rnn", layer_type, input_size=8, hidden_size=16, batch_first=True)
    document = Document(
        root=Graph([rnn, node("fc", "Linear", in_features=16, out_features=4),
                    node("fc2", "Linear", in_features=16, out_features=4)],
                   [Edge(INPUT, "rnn"), Edge("fc", OUTPUT)]),
        input=InputSpec((2, 5, 8)),
        positions={"rnn": (0.0, 120.0), "fc": (320.0, 420.0), "fc2": (-320.0, 420.0)})
    window = MainWindow(Workspace(document), settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    wait_for_shapes(qtbot, window)
    window.view.resetTransform()  # cards in full, as item ports are only then
    return window


def pickers(document: Document) -> list[Node]:
    return [n for n in document.root.nodes if n.type == "GetItem"]


def test_the_catalog_names_the_items_of_a_tuple():
    assert output_items("LSTM", {}) == ("output", "(h_n, c_n)")
    assert output_items("GRU", {}) == ("output", "h_n")
    assert output_items("MultiheadAttention", {}) == ("attn_output", "attn_weights")
    assert output_items("Chunk", {"chunks": 3}) == ("[0]", "[1]", "[2]")
    assert output_items("Split", {"split_size": (2, 6)}) == ("[0]", "[1]")
    assert output_items("Split", {"split_size": 2}) == ()  # the count depends on the input
    assert output_items("Linear", {}) == ()


def test_an_lstm_card_has_a_labelled_port_per_item(qtbot, settings, screenshots):
    window = recurrent_window(qtbot, settings, "LSTM")
    card = window.scene.nodes["rnn"]
    assert card.look.items == ("output", "(h_n, c_n)")
    # The tooltips name the item and its shape, from the dry run.
    assert card.look.item_tips[0].startswith("item 0: output (2, 5, 16)")
    assert card.look.item_tips[1].startswith("item 1: (h_n, c_n) ((1, 2, 16), (1, 2, 16))")
    ports = [card.item_port(i) for i in range(2)]
    assert [card.item_at(p) for p in ports] == [0, 1]
    assert card.item_at(card.output_port()) is None  # the main port stays the whole tuple
    card._tip_at(ports[1])
    assert card.toolTip() == card.look.item_tips[1]
    card._tip_at(card.mapToScene(QPointF(0, 0)))
    assert card.toolTip() == card.look.tooltip
    assert card.sceneBoundingRect().contains(ports[1] + QPointF(20, 6))  # its label is drawn
    window.view.centerOn(card)
    window.grab().save(str(screenshots / "item-ports.png"))
    assert window.scene.nodes["fc"].look.items == ()


@pytest.mark.parametrize("right", [False, True], ids=["down", "right"])
def test_a_link_from_an_item_port_goes_through_one_getitem(qtbot, settings, right):
    window = recurrent_window(qtbot, settings, "GRU")
    window.scene.set_horizontal(right)
    document, scene = window.workspace.document, window.scene
    before = document_to_dict(document)
    gru, fc = scene.nodes["rnn"], scene.nodes["fc"]

    drag(window, gru.item_port(1), fc.input_port(0))
    (picker,) = pickers(document)
    assert picker.args["index"] == (1,)
    assert {Edge("rnn", picker.id), Edge(picker.id, "fc")} <= set(document.root.edges)
    assert picker.id in document.positions
    wait_for_shapes(qtbot, window)
    assert window.scene.report.output_shape == (1, 2, 4)

    class Reference(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gru = nn.GRU(8, 16, batch_first=True)
            self.fc = nn.Linear(16, 4)

        def forward(self, x):
            return self.fc(self.gru(x)[1])

    net, reference = build_module(document), Reference()
    reference.gru.load_state_dict(next(m for m in net.modules() if isinstance(m, nn.GRU))
                                  .state_dict())
    reference.fc.load_state_dict(dict(net.named_modules())[
        next(n for n, m in net.named_modules() if isinstance(m, nn.Linear))].state_dict())
    x = torch.randn(2, 5, 8)
    torch.testing.assert_close(net(x), reference(x), rtol=0, atol=0)
    namespace: dict = {"__name__": "exported"}  # the exported Python picks h_n too
    exec(compile(to_python(document), "<exported>", "exec"), namespace)
    exported = namespace["build_model"]()
    exported.load_state_dict(net.state_dict())
    torch.testing.assert_close(exported(x), reference(x), rtol=0, atol=0)

    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    window.scene.flush()
    assert document_to_dict(document) == before  # one Ctrl+Z: the whole link and GetItem

    drag(window, gru.item_port(1), fc.input_port(0))
    drag(window, gru.item_port(1), scene.nodes["fc2"].input_port(0))
    (picker,) = pickers(document)  # the second link reuses the GetItem
    assert {Edge(picker.id, "fc"), Edge(picker.id, "fc2")} <= set(document.root.edges)


def test_an_item_link_let_go_on_empty_canvas_feeds_the_search_from_a_getitem(qtbot,
                                                                               settings):
    window = recurrent_window(qtbot, settings, "GRU")
    gru = window.scene.nodes["rnn"]
    drag(window, gru.item_port(0), gru.item_port(0) + QPointF(400, 60))
    assert not pickers(window.workspace.document)  # added with the layer chosen
    picker, steps, shape = window.scene.connecting._pending_pick
    assert steps[0].commands[0].node.args["index"] == (0,)
    assert shape == (2, 5, 16)  # the item's: the search filters, the layer is sized by it
    assert window.view._search_link == (ROOT, picker, 0)
    assert window.view.search.isVisible()


def test_zoomed_out_the_item_ports_start_no_drag(qtbot, settings):
    window = recurrent_window(qtbot, settings, "GRU")
    window.view.scale(0.5, 0.5)
    gru, fc = window.scene.nodes["rnn"], window.scene.nodes["fc"]
    drag(window, gru.item_port(1), fc.input_port(0))
    assert not pickers(window.workspace.document)
    assert Edge("rnn", "fc") not in window.workspace.document.root.edges
