"""Large graphs stay readable (issue 12): Fit never zooms below legibility and frames the
top of the graph, zoomed-out cards show their titles, the gallery's thumbnails show the
network, and the view follows new layers and Arrange."""

import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from app.main_window import MainWindow
from core.catalog.templates import load_template
from core.document.compose import Composer, chain
from core.document.graph import Document, InputSpec
from core.workspace import Workspace
from tests.app.driver import trigger
from widgets.canvas_image import thumbnail
from widgets.canvas_view import LEGIBLE_ZOOM


def chain_document(count: int) -> Document:
    c = Composer()
    nodes = [c.layer("Linear", in_features=8, out_features=8) if i % 2 == 0
             else c.layer("ReLU") for i in range(count)]
    return Document(root=chain(*nodes), input=InputSpec((2, 8)))


@pytest.fixture
def long_chain(qtbot, settings):
    window = MainWindow(Workspace(chain_document(400)), settings, ready=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.scene.flush()
    return window


def in_view(window, rect: QRectF) -> bool:
    return window.view.mapToScene(window.view.viewport().rect()).boundingRect().intersects(rect)


def dark_pixels(image: QImage, rect) -> int:
    return sum(1 for x in range(rect.left(), rect.right()) for y in range(rect.top(), rect.bottom())
               if QColor(image.pixel(x, y)).lightness() < 90)


def test_fit_stops_at_a_legible_zoom_and_frames_the_top(long_chain):
    window = long_chain
    window.view.fit()
    assert window.view.zoom() == pytest.approx(LEGIBLE_ZOOM)
    assert in_view(window, window.scene.boundaries["input"].sceneBoundingRect())
    first = window.workspace.document.root.nodes[0].id
    assert in_view(window, window.scene.nodes[first].sceneBoundingRect())


def test_fit_frames_the_selection_of_a_large_graph(long_chain):
    window = long_chain
    middle = window.workspace.document.root.nodes[200].id
    window.scene.select_nodes([middle])
    window.view.fit()
    assert in_view(window, window.scene.nodes[middle].sceneBoundingRect())
    assert not in_view(window, window.scene.boundaries["input"].sceneBoundingRect())


def test_a_small_graph_is_still_shown_whole(make_window):
    window = make_window("chimera")
    window.view.fit()
    assert window.view.zoom() >= LEGIBLE_ZOOM
    assert in_view(window, window.scene.boundaries["output"].sceneBoundingRect())


def test_zoomed_out_cards_show_their_titles(long_chain):
    window = long_chain
    item = next(iter(window.scene.nodes.values()))
    rect = item.sceneBoundingRect()
    scale = 0.3
    image = QImage(int(rect.width() * scale), int(rect.height() * scale),
                   QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    window.scene.render(painter, QRectF(image.rect()), rect)
    painter.end()
    inside = image.rect().adjusted(5, 3, -3, -3)  # within the border, right of the accent
    assert dark_pixels(image, inside) > 15


@pytest.mark.parametrize("template", ["residual-block", "chimera", "small-cnn"])
def test_gallery_thumbnails_show_the_network(template):
    image = thumbnail(load_template(template)).toImage()
    assert dark_pixels(image, image.rect()) > 60  # the cards' titles; blank boxes had none


def test_the_view_follows_a_new_layer_at_the_end_of_a_long_chain(long_chain):
    window = long_chain
    window.view.resetTransform()
    window.view.centerOn(window.scene.boundaries["input"])
    window.palette.layer_activated.emit("ReLU")
    window.scene.flush()
    added = window.scene.selected_node_ids()
    assert len(added) == 1
    assert in_view(window, window.scene.nodes[added[0]].sceneBoundingRect())


def test_arrange_fits_the_view(long_chain):
    window = long_chain
    window.view.resetTransform()
    window.view.scale(3, 3)
    trigger(window, "arrange")
    assert window.view.zoom() == pytest.approx(LEGIBLE_ZOOM)
    assert in_view(window, window.scene.boundaries["input"].sceneBoundingRect())
