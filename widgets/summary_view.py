"""The model summary as a table: one row per module, totals, shared rows marked."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QFont, QFontMetrics, QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTableView, QVBoxLayout, QWidget

from core.runtime.report import format_shape
from widgets import style

COLUMNS = ("Module", "Type", "Output shape", "Parameters", "Trainable", "Buffers",
           "Memory (bytes)", "MACs")
SHARED_COLUMN = 3
SIZED_BY_ROWS = 200  # columns fit the first rows; measuring every row of a big model is slow


def summary_texts(summary) -> tuple[list[tuple[str, ...]], list[bool]]:
    """The table's cells and which rows are shared: plain strings, made off the GUI
    thread (a 10,000-layer summary takes about 0.1 s to format)."""
    texts = [("  " * row.depth + row.name, row.type, format_shape(row.output_shape),
              f"{row.parameters:,}" + (" ↔ shared" if row.shared else ""),
              f"{row.trainable:,}", f"{row.buffers:,}", f"{row.memory:,}",
              "?" if row.macs is None else f"{row.macs:,}")
             for row in summary.rows]
    texts.append(("Total (shared counted once)", "", format_shape(summary.output_shape),
                  f"{summary.parameters:,}", f"{summary.trainable:,}",
                  f"{summary.buffers:,}", f"{summary.memory:,}",
                  "?" if summary.macs is None else f"{summary.macs:,}"))
    return texts, [row.shared for row in summary.rows] + [False]


class SummaryModel(QAbstractTableModel):
    """The summary's rows and a bold totals row, formatted once per summary."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[tuple[str, ...]] = []
        self.shared: list[bool] = []
        self.bold = QFont()
        self.bold.setBold(True)
        self.twin = QBrush(style.TWIN)

    def show(self, summary, texts: tuple[list[tuple[str, ...]], list[bool]] | None = None
             ) -> None:
        """Show ``summary``; ``texts`` are its `summary_texts` when made beforehand."""
        cells, shared = texts if texts is not None else summary_texts(summary)
        self.beginResetModel()
        self.texts, self.shared = cells, shared
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.texts)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def text(self, row: int, column: int) -> str:
        return self.texts[row][column]

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        row, column = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.texts[row][column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= SHARED_COLUMN:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.FontRole and row == len(self.texts) - 1:
            return self.bold
        if role == Qt.ItemDataRole.ForegroundRole and column == SHARED_COLUMN \
                and self.shared[row]:
            return self.twin
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None


class SummaryView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = SummaryModel()
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setResizeContentsPrecision(SIZED_BY_ROWS)
        self.table.setWordWrap(False)
        self.note = QLabel(self)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setWordWrap(True)
        self.copy = QPushButton("Copy as text", self)
        self.copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text))
        row = QHBoxLayout()
        row.addWidget(self.note, 1)
        row.addWidget(self.copy)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(row)
        layout.addWidget(self.table)
        self.summary = None
        self.title = ""

    def _fit_columns(self) -> None:
        """Columns as wide as the header, the first rows and the totals (bold) need: Qt's
        own fitting asks the model for far more rows than its precision on a big table."""
        plain = self.table.fontMetrics()
        bold = QFontMetrics(self.model.bold)
        rows = self.model.texts[:SIZED_BY_ROWS]
        total = self.model.texts[-1]
        header = self.table.horizontalHeader().fontMetrics()
        for column, title in enumerate(COLUMNS):
            widest = max([header.horizontalAdvance(title) + 12,
                          bold.horizontalAdvance(total[column])]
                         + [plain.horizontalAdvance(row[column]) for row in rows])
            self.table.setColumnWidth(column, widest + 10)

    @property
    def text(self) -> str:
        """The summary as plain text (what Copy puts on the clipboard)."""
        return self.summary.text(self.title) if self.summary is not None else ""

    def show_summary(self, summary, title: str = "",
                     texts: tuple[list[tuple[str, ...]], list[bool]] | None = None) -> None:
        self.summary, self.title = summary, title
        self.model.show(summary, texts)
        if len(self.model.texts) <= SIZED_BY_ROWS:
            self.table.resizeColumnsToContents()
        else:
            self._fit_columns()
        self.note.setText(f"⚠ {summary.error}" if summary.error else
                          "Multiply-accumulates as torch.utils.flop_counter counts them on "
                          "the meta device.")
        self.note.setStyleSheet(f"color: {style.ERROR.name()};" if summary.error else "")
