"""A network opened (or imported, or made new) while View ▸ Lay Out Left to Right is on
is shown left to right at once when its file was laid out top to bottom; a file laid out
across keeps its positions; opening is no edit (nothing to undo, nothing to save)."""

from app.direction import flows_down, lay_out_across
from app.main_window import MainWindow
from core.catalog.templates import load_template
from core.document.graph import ROOT
from core.document.layout import layered_positions
from core.io.files import save_document
from core.workspace import Workspace

CHAIN = ["n1", "n2", "n3", "n4", "n6"]  # the residual block's main chain


def down(name: str):
    """A template laid out top to bottom, as a file saved with the direction off is."""
    document = load_template(name)
    layout = layered_positions(document.root)
    document.positions.update({node.id: layout[node.id] for node in document.root.nodes})
    return document


def columns(window, names) -> list[float]:
    at = window.workspace.document.positions
    xs = [at[n][0] for n in names]
    assert xs == sorted(xs) and len(set(xs)) == len(xs), xs  # one column further each
    return xs


def test_a_file_laid_out_top_to_bottom_opens_left_to_right(qtbot, settings, tmp_path):
    document = down("residual-block")
    assert flows_down(document.root, document.positions)
    path = tmp_path / "block.tcanvas"
    save_document(document, path)
    settings.store.setValue("canvas/left_to_right", True)
    window = MainWindow(Workspace(load_template("mlp")), settings)
    qtbot.addWidget(window)
    window.show()
    assert window.scene.horizontal
    columns(window, ["n1", "n2", "n3"])  # the first network, new, is already across
    assert window.open_path(path)
    qtbot.waitUntil(lambda: "n6" in window.scene.nodes, timeout=10_000)
    columns(window, CHAIN)
    at = window.workspace.document.positions
    assert len({at[n][1] for n in CHAIN}) == 1  # the main chain in one row
    for node_id in CHAIN:  # and drawn there
        assert window.scene.nodes[node_id].pos().x() == at[node_id][0]
    assert not window.workspace.modified and not window.workspace.history.can_undo


def test_a_file_laid_out_across_keeps_its_positions(qtbot, settings, tmp_path):
    settings.store.setValue("canvas/left_to_right", True)
    first = MainWindow(Workspace(load_template("residual-block")), settings)
    qtbot.addWidget(first)
    document = first.workspace.document
    assert not flows_down(document.root, document.positions)
    document.positions["n3"] = (document.positions["n3"][0], 40.0)  # a person's touch
    placed = dict(document.positions)
    path = tmp_path / "across.tcanvas"
    save_document(document, path)
    first.workspace.history.mark_clean()
    window = MainWindow(Workspace(load_template("mlp")), settings)
    qtbot.addWidget(window)
    assert window.open_path(path)
    assert window.workspace.document.positions == placed


def test_top_to_bottom_opens_files_as_they_are(qtbot, settings, tmp_path):
    document = down("residual-block")
    placed = dict(document.positions)
    path = tmp_path / "block.tcanvas"
    save_document(document, path)
    window = MainWindow(Workspace(load_template("mlp")), settings)
    qtbot.addWidget(window)
    assert not window.scene.horizontal
    assert window.open_path(path)
    assert window.workspace.document.positions == placed
    assert window.scene.graph_id == ROOT


def across(name: str):
    """A template laid out left to right, as a file saved with the direction on is."""
    document = load_template(name)
    layout = layered_positions(document.root, right=True)
    document.positions.update({node.id: layout[node.id] for node in document.root.nodes})
    return document


def test_a_mostly_placed_graph_keeps_its_places_and_places_the_rest_across():
    document = across("residual-block")
    document.positions["n3"] = (document.positions["n3"][0], 40.0)  # a person's touch
    del document.positions["n6"]  # a node the file gives no place
    placed = dict(document.positions)
    assert lay_out_across(document)
    at = document.positions
    assert {n: at[n] for n in placed} == placed
    assert at["n6"] == layered_positions(document.root, right=True)["n6"]


def test_an_arrangement_that_does_not_clearly_run_down_is_kept():
    document = across("residual-block")
    # The person's own arrangement: four links run down, two across (n4-n5, n1-n5).
    document.positions.update({"n1": (0.0, 0.0), "n2": (0.0, 300.0), "n3": (40.0, 600.0),
                               "n4": (0.0, 900.0), "n5": (1500.0, 1000.0),
                               "n6": (1350.0, 0.0)})
    placed = dict(document.positions)
    assert not flows_down(document.root, placed)
    assert not lay_out_across(document)
    assert document.positions == placed


def test_a_graph_with_no_node_placed_is_laid_out_across():
    document = load_template("residual-block")
    for node in document.root.nodes:
        document.positions.pop(node.id, None)
    assert lay_out_across(document)
    assert {n: document.positions[n] for n in CHAIN} == \
        {n: layered_positions(document.root, right=True)[n] for n in CHAIN}
