"""Entry point of the desktop application.

The window is painted before torch is imported: torch loads on a worker thread while
the palette is already usable, and the first network appears when it is ready.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

DEFAULT_TEMPLATE = "mlp"


# Imported off the GUI thread after the window: first what the first network's shapes
# need, then the model panels (pyqtgraph), made once those shapes are on the canvas.
FIRST_NETWORK_MODULES = (
    "torch", "core.io.files", "core.runtime.shapes", "core.catalog.templates")
MODEL_PANEL_MODULES = (
    "app.inspection", "app.teaching", "app.training", "widgets.device_selector")


def _import_all(modules: tuple[str, ...]) -> None:
    import importlib

    for module in modules:
        importlib.import_module(module)


def start_gui(path: str | None = None):
    """Create the application and show the window at once; torch and the first network
    follow from a worker thread. Returns ``(app, window)``."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.collector import set_aside_long_lived
    from app.errors import install_exception_handler
    from app.interpreter import share_with_workers
    from app.logs import setup_logging
    from app.main_window import MainWindow
    from widgets.background import Background

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("TorchCanvas")
    app.setOrganizationName("TorchCanvas")
    setup_logging()  # after the names: they are part of the platform's log folder
    window = MainWindow(ready=False)
    window.collector = share_with_workers(window)
    window.collector.timer.stop()
    install_exception_handler(window)
    window.statusBar().showMessage("Loading PyTorch…")
    window.show()

    def loaded(_: object) -> None:
        set_aside_long_lived()  # torch's modules
        window.collector.timer.start()  # not before: it would walk the import as it grows
        window.statusBar().clearMessage()
        show_first_document(window, path, panels_later=True)
        window.panel_loader.submit(lambda: _import_all(MODEL_PANEL_MODULES))

    def panels_loaded(_: object) -> None:
        set_aside_long_lived()  # pyqtgraph's
        window.make_model_panels()

    def failed(error: Exception) -> None:
        window.statusBar().showMessage(f"PyTorch could not be loaded: {error}")

    window.torch_loader = Background(loaded, failed, window)
    window.panel_loader = Background(
        panels_loaded, lambda error: window.statusBar().showMessage(
            f"The model panels could not be loaded: {error}"), window)
    QTimer.singleShot(0, lambda: window.torch_loader.submit(
        lambda: _import_all(FIRST_NETWORK_MODULES)))
    return app, window


def show_first_document(window, path: str | None, panels_later: bool = False) -> None:
    """PyTorch has loaded: offer recovery, open ``path``, or show the example network —
    unless the person has already begun a network of their own, which stays."""
    from app.restore import offer_recovery

    window.torch_loaded(panels_later)
    if offer_recovery(window, window.autosaver.store):
        return
    if path is not None and window.open_path(Path(path)):
        return
    if window.workspace.modified or window.workspace.document.root.nodes:
        return
    from core.catalog.templates import load_template
    from core.runtime.devices import try_gpu

    document = load_template(DEFAULT_TEMPLATE)
    document.device = try_gpu()  # the chapter's rule; the person can change it
    window.workspace.replace(document)


def display_problem() -> str | None:
    """Why Qt could not show a window here (it would abort with a list of plugins), in
    one line with the way out; None when nothing stands in the way."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return ("no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset): "
                "run it on a desktop, under xvfb-run (xvfb-run torchcanvas), or set "
                "QT_QPA_PLATFORM=offscreen to run without showing it")
    if not os.environ.get("WAYLAND_DISPLAY") and not _loads("libxcb-cursor.so.0"):
        return ("Qt's X11 platform needs libxcb-cursor0, which is not installed: "
                "sudo apt-get install libxcb-cursor0 (or your system's xcb-util-cursor)")
    return None


def _loads(library: str) -> bool:
    """Whether the dynamic loader finds ``library``, as Qt's plugin will ask it to."""
    import ctypes

    try:
        ctypes.CDLL(library)
    except OSError:
        return False
    return True


def run_gui(path: str | None = None) -> int:
    problem = display_problem()
    if problem:
        print(f"torchcanvas: {problem}", file=sys.stderr)
        return 1
    app, _window = start_gui(path)
    return app.exec()
