"""A link from an item port (a GRU's h_n, an LSTM's (h_n, c_n)) let go on empty canvas:
the GetItem that picks the item is added with the layer chosen in the search, as one undo
step, and a search cancelled leaves the document as it was."""

from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from core.document.graph import Edge
from core.io.files import document_to_dict
from tests.app.driver import drag, wait_for_shapes
from tests.app.test_item_ports import pickers, recurrent_window


def let_go_on_empty_canvas(window, item: int) -> None:
    port = window.scene.nodes["rnn"].item_port(item)
    drag(window, port, port + QPointF(400, 60))
    assert window.view.search.isVisible()


def test_the_getitem_and_the_chosen_layer_are_one_undo_step(qtbot, settings):
    window = recurrent_window(qtbot, settings, "GRU")
    document = window.workspace.document
    before = document_to_dict(document)
    let_go_on_empty_canvas(window, 1)
    assert document_to_dict(document) == before  # nothing is added before the choice
    search = window.view.search
    QTest.keyClicks(search.text, "Linear")
    QTest.keyClick(search.text, Qt.Key.Key_Return)
    window.scene.flush()
    (picker,) = pickers(document)
    assert picker.args["index"] == (1,)
    (linear,) = [n for n in document.root.nodes if n.type == "Linear" and
                 n.id not in ("fc", "fc2")]
    assert {Edge("rnn", picker.id), Edge(picker.id, linear.id)} <= set(document.root.edges)
    assert window.actions["undo"].text() == "&Undo Add Linear"
    wait_for_shapes(qtbot, window)
    assert window.scene.report.nodes[linear.id].output_shape[-1] == \
        linear.args["out_features"]  # sized from h_n: it fits
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    window.scene.flush()
    assert document_to_dict(document) == before  # one Ctrl+Z takes both away
    QTest.keyClick(window.view, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    window.scene.flush()
    assert {Edge("rnn", picker.id), Edge(picker.id, linear.id)} <= set(document.root.edges)


def test_a_cancelled_search_leaves_nothing_behind(qtbot, settings):
    window = recurrent_window(qtbot, settings, "LSTM")
    document = window.workspace.document
    before = document_to_dict(document)
    let_go_on_empty_canvas(window, 1)  # (h_n, c_n)
    QTest.keyClick(window.view.search.text, Qt.Key.Key_Escape)
    assert not window.view.search.isVisible()
    window.scene.flush()
    assert document_to_dict(document) == before
    assert not pickers(document) and "rnn" in window.scene.nodes
    assert not window.workspace.history.can_undo
    # A later plain link let go on empty canvas adds its layer alone: the pick was for
    # the cancelled search only.
    fc2 = window.scene.nodes["fc2"]
    drag(window, fc2.output_port(), fc2.output_port() + QPointF(0, 200))
    QTest.keyClicks(window.view.search.text, "ReLU")
    QTest.keyClick(window.view.search.text, Qt.Key.Key_Return)
    window.scene.flush()
    assert not pickers(document)
    assert [n.type for n in document.root.nodes].count("ReLU") == 1
