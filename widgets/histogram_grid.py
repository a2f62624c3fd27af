"""Small multiples: one small histogram per weight tensor, in a scrolling grid.

Painted with QPainter, one cell at a time and only the cells in view, so a network with
thousands of layers costs no more to show than the few rows on the screen. A click on a
cell asks for that tensor (the panel above shows it large)."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QScrollArea, QToolTip, QWidget

from core.runtime.tensors import Histogram
from widgets import style

CELL_WIDTH = 200
CELL_HEIGHT = 112
TITLE_HEIGHT = 18
AXIS_HEIGHT = 14
PADDING = 6
FILL = QColor(37, 99, 235, 90)
LINE = QColor(37, 99, 235)
ZERO = QColor("#cbd5e1")


class _Cells(QWidget):
    clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.multiples: list[tuple[str, Histogram]] = []
        self.setMouseTracking(True)

    @property
    def columns(self) -> int:
        return max(1, self.width() // CELL_WIDTH)

    def cell_width(self) -> int:
        return self.width() // self.columns

    def set_multiples(self, multiples: list[tuple[str, Histogram]]) -> None:
        self.multiples = multiples
        self.fit_height()
        self.update()

    def fit_height(self) -> None:
        rows = math.ceil(len(self.multiples) / self.columns)
        self.setFixedHeight(max(rows * CELL_HEIGHT, 1))

    def index_at(self, x: float, y: float) -> int | None:
        column, row = int(x) // self.cell_width(), int(y) // CELL_HEIGHT
        if column >= self.columns:
            return None
        index = row * self.columns + column
        return index if 0 <= index < len(self.multiples) else None

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit_height()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(event.rect(), QColor("white"))
        if not self.multiples:
            painter.setPen(style.MUTED)
            painter.drawText(self.rect().adjusted(8, 8, -8, -8), Qt.AlignmentFlag.AlignLeft,
                             "No weight tensors to compare yet.")
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width, columns = self.cell_width(), self.columns
        exposed = event.rect()
        first_row = max(0, exposed.top() // CELL_HEIGHT)
        last_row = exposed.bottom() // CELL_HEIGHT
        for row in range(first_row, last_row + 1):
            for column in range(columns):
                index = row * columns + column
                if index >= len(self.multiples):
                    return
                cell = QRect(column * width, row * CELL_HEIGHT, width, CELL_HEIGHT)
                self._paint_cell(painter, cell, *self.multiples[index])

    def _paint_cell(self, painter: QPainter, cell: QRect, name: str, bins: Histogram) -> None:
        inner = cell.adjusted(PADDING, PADDING, -PADDING, -PADDING)
        painter.setPen(QPen(style.NODE_BORDER, 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(inner).adjusted(0.5, 0.5, -0.5, -0.5))
        painter.setFont(style.font(8.0, bold=True))
        painter.setPen(style.TEXT)
        title = QRect(inner.left() + 4, inner.top() + 2, inner.width() - 8, TITLE_HEIGHT)
        painter.drawText(title, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(name, Qt.TextElideMode.ElideLeft,
                                                          title.width()))
        plot = QRectF(inner.left() + 4, inner.top() + TITLE_HEIGHT + 4, inner.width() - 8,
                      inner.height() - TITLE_HEIGHT - AXIS_HEIGHT - 6)
        low, high = float(bins.edges[0]), float(bins.edges[-1])
        if low < 0 < high:
            x = plot.left() + (0 - low) / (high - low) * plot.width()
            painter.setPen(QPen(ZERO, 1, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
        painter.setPen(QPen(LINE, 1.2))
        painter.setBrush(FILL)
        painter.drawPath(_step_path(bins.counts, plot))
        painter.setFont(style.font(7.5))
        painter.setPen(style.MUTED)
        axis = QRect(int(plot.left()), int(plot.bottom()) + 2, int(plot.width()), AXIS_HEIGHT)
        painter.drawText(axis, Qt.AlignmentFlag.AlignLeft, f"{low:.3g}")
        painter.drawText(axis, Qt.AlignmentFlag.AlignRight, f"{high:.3g}")

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            index = self.index_at(event.pos().x(), event.pos().y())
            if index is None:
                QToolTip.hideText()
            else:
                name, bins = self.multiples[index]
                QToolTip.showText(event.globalPos(),
                                  f"{name}\n{bins.total:,} values in "
                                  f"[{bins.edges[0]:.4g}, {bins.edges[-1]:.4g}]\n"
                                  "click to show it above", self)
            return True
        return super().event(event)

    def mouseMoveEvent(self, event) -> None:
        over = self.index_at(event.position().x(), event.position().y()) is not None
        self.setCursor(Qt.CursorShape.PointingHandCursor if over else Qt.CursorShape.ArrowCursor)

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            index = self.index_at(event.position().x(), event.position().y())
            if index is not None:
                self.clicked.emit(self.multiples[index][0])


def _step_path(counts: np.ndarray, plot: QRectF) -> QPainterPath:
    """The histogram's outline as steps, closed along the base so it can be filled."""
    path = QPainterPath(QPointF(plot.left(), plot.bottom()))
    peak = float(counts.max()) if len(counts) else 0.0
    step = plot.width() / max(len(counts), 1)
    for index, count in enumerate(counts):
        top = plot.bottom() - (float(count) / peak * plot.height() if peak > 0 else 0.0)
        path.lineTo(plot.left() + index * step, top)
        path.lineTo(plot.left() + (index + 1) * step, top)
    path.lineTo(plot.right(), plot.bottom())
    path.closeSubpath()
    return path


class HistogramGrid(QScrollArea):
    """The scrolling grid; `tensor_clicked(name)` when a cell is clicked."""

    tensor_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cells = _Cells()
        self.setWidget(self.cells)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verticalScrollBar().setSingleStep(CELL_HEIGHT // 4)
        self.cells.clicked.connect(self.tensor_clicked)

    @property
    def multiples(self) -> list[tuple[str, Histogram]]:
        return self.cells.multiples

    def show_multiples(self, multiples: list[tuple[str, Histogram]]) -> None:
        self.cells.set_multiples(multiples)
