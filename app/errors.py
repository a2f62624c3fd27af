"""The last line of defence: an exception that would reach the event loop is logged and
shown in a dialog, and the program goes on with the document as it was."""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtWidgets import QMessageBox, QWidget

from app.messages import plain_box

log = logging.getLogger("torchcanvas")


def install_exception_handler(parent: QWidget) -> None:
    def handle(kind: type[BaseException], error: BaseException,
               trace: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, trace)
            return
        log.error("Unexpected error", exc_info=(kind, error, trace))
        box = plain_box(QMessageBox.Icon.Critical, "Something went wrong",
                        f"{kind.__name__}: {error}\n\nYour document is as it was before "
                        "this action. The details are in the log.", parent)
        box.setDetailedText("".join(traceback.format_exception(kind, error, trace)))
        box.open()

    sys.excepthook = handle
