"""The canvas as a picture for slides: PNG or SVG."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsScene

MARGIN = 30
THUMBNAIL_SCALE = 0.3  # the smallest scale of a thumbnail


def save_scene_image(scene: QGraphicsScene, path: str | Path, scale: float = 2.0,
                     design: str | None = None) -> str:
    """Write every item of ``scene``; the suffix picks SVG or a raster image. A canvas
    too large for a picture is refused (SVG) or drawn smaller (raster): the returned
    note says so ("" when the picture is as asked). A PNG carries ``design`` (the
    graph.json text), so the picture opens as the network."""
    from core.io.picture import check_vector_picture, fit_picture

    source = scene.itemsBoundingRect().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
    note = ""
    if str(path).lower().endswith(".svg"):
        check_vector_picture(source.width(), source.height())
    else:
        fit = fit_picture(source.width(), source.height(), scale)
        scale, note = fit.scale, fit.note
    selected = scene.selectedItems()
    scene.clearSelection()
    try:
        if str(path).lower().endswith(".svg"):
            generator = QSvgGenerator()
            generator.setFileName(str(path))
            generator.setSize(source.size().toSize())
            generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
            generator.setTitle("TorchCanvas network")
            painter = QPainter(generator)
            scene.render(painter, QRectF(0, 0, source.width(), source.height()), source)
            painter.end()
            return note
        size = QSize(int(source.width() * scale), int(source.height() * scale))
        image = QImage(size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        painter.setRenderHints(QPainter.RenderHint.Antialiasing
                               | QPainter.RenderHint.TextAntialiasing)
        scene.render(painter, QRectF(0, 0, size.width(), size.height()), source)
        painter.end()
        if design is not None and str(path).lower().endswith(".png"):
            _save_with_design(image, path, design)
        elif not image.save(str(path)):
            raise OSError(f"cannot write {Path(path).name}")
        return note
    finally:
        for item in selected:
            item.setSelected(True)


def _save_with_design(image: QImage, path: str | Path, design: str) -> None:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    from core.io.atomic import write_atomically
    from core.io.png_design import embed_design

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError(f"cannot write {Path(path).name}")
    buffer.close()
    png = embed_design(bytes(data.data()), design)
    write_atomically(path, lambda stream: stream.write(png))


def thumbnail(document, width: int = 220, height: int = 160):
    """A small picture of ``document``'s canvas, for the example gallery."""
    from PySide6.QtGui import QPixmap

    from core.workspace import Workspace
    from widgets.canvas_scene import CanvasScene

    scene = CanvasScene(Workspace(document))
    source = scene.itemsBoundingRect().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
    pixmap = QPixmap(width, height)
    pixmap.fill(Qt.GlobalColor.white)
    painter = QPainter(pixmap)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing
                           | QPainter.RenderHint.TextAntialiasing)
    scale = min(width / source.width(), height / source.height())
    if scale < THUMBNAIL_SCALE:
        # A tall or wide network in a small picture: its top at a scale where the
        # cards' titles read, rather than the whole of it as specks.
        scale = THUMBNAIL_SCALE
        shown = QRectF(0, 0, min(source.width(), width / scale),
                       min(source.height(), height / scale))
        shown.moveTopLeft(source.topLeft())
        shown.moveLeft(source.center().x() - shown.width() / 2)
        source = shown
    target = QRectF(0, 0, source.width() * scale, source.height() * scale)
    target.moveCenter(QRectF(0, 0, width, height).center())
    scene.render(painter, target, source)
    painter.end()
    scene.detach()
    return pixmap
