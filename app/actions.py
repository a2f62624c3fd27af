"""The window's actions: their names, shortcuts and menus, in one table."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QStyle

Key = QKeySequence.StandardKey

# name: (menu, text, shortcuts, status tip)
ACTIONS: dict[str, tuple[str, str, list, str]] = {
    "new": ("&File", "&New", [Key.New], "Start an empty network"),
    "open": ("&File", "&Open…", [Key.Open], "Open a project or graph.json"),
    "save": ("&File", "&Save", [Key.Save], "Save the project"),
    "save_as": ("&File", "Save &As…", [Key.SaveAs], "Save the project under a new name"),
    "export_python": ("&File", "Export &Python…", ["Ctrl+Shift+E"],
                      "Write the network as standalone PyTorch source"),
    "import_model": ("&File", "Import &Model…", ["Ctrl+Shift+I"],
                     "Turn an nn.Module from a Python file or a module into a network"),
    "import_weights": ("&File", "&Import Weights…", ["Ctrl+I"],
                       "Load weights from a .safetensors or .pt state_dict"),
    "export_weights": ("&File", "Export &Weights…", [],
                       "Write the weights as .safetensors or a .pt state_dict"),
    "open_tensors": ("&File", "Open &Tensor File…", [],
                     "Browse a file that holds a tensor, a list or a dict of tensors"),
    "export_onnx": ("&File", "Export &ONNX…", [], "Write the network as ONNX"),
    "export_image": ("&File", "Export I&mage…", [], "Save the canvas as PNG or SVG"),
    "quit": ("&File", "&Quit", [Key.Quit], "Close TorchCanvas"),
    "undo": ("&Edit", "&Undo", [Key.Undo], "Undo the last edit"),
    "redo": ("&Edit", "&Redo", ["Ctrl+Shift+Z", "Ctrl+Y"], "Redo the edit undone last"),
    "cut": ("&Edit", "Cu&t", [Key.Cut], "Cut the selected nodes"),
    "copy": ("&Edit", "&Copy", [Key.Copy], "Copy the selected nodes"),
    "paste": ("&Edit", "&Paste", [Key.Paste], "Paste nodes"),
    "delete": ("&Edit", "&Delete", [Key.Delete, "Backspace"],
               "Delete the selected nodes and edges"),
    "delete_only": ("&Edit", "Delete &Without Reconnecting", ["Shift+Backspace"],
                    "Delete the selected nodes and leave the gap they leave"),
    "select_all": ("&Edit", "Select &All", [Key.SelectAll], "Select every node"),
    "group": ("&Edit", "&Group into Block", ["Ctrl+G"],
              "Move the selected nodes into a new block (a nested module)"),
    "ungroup": ("&Edit", "U&ngroup", ["Ctrl+Shift+G"], "Dissolve the selected blocks"),
    "share": ("&Edit", "&Share Parameters", ["Ctrl+T"],
              "Make the selected layers one module (tied parameters)"),
    "unshare": ("&Edit", "Unsha&re", ["Ctrl+Shift+T"],
                "Give the selected layers modules of their own"),
    "zoom_in": ("&View", "Zoom &In", [Key.ZoomIn, "Ctrl+="], "Zoom in"),
    "zoom_out": ("&View", "Zoom &Out", [Key.ZoomOut], "Zoom out"),
    "fit": ("&View", "&Fit to View", ["Ctrl+0"], "Show the whole graph"),
    "arrange": ("&View", "&Arrange", ["Ctrl+L"], "Lay the graph out in layers"),
    "toggle_block": ("&View", "E&xpand / Collapse Block", ["Ctrl+E"],
                     "Show the selected block's layers in a frame, or fold them away"),
    "open_block": ("&View", "Open &Block", ["Ctrl+Return"], "Show the selected block alone"),
    "up": ("&View", "&Up One Level", ["Alt+Up"], "Back to the graph around this block"),
    "backward": ("&Model", "&Backward Once", ["Ctrl+B"],
                 "Run the model on a sample input, sum the output and backpropagate"),
    "backward_file": ("&Model", "Backward Once &From a Tensor File…", [],
                      "Use a tensor from a file as the sample input, then backpropagate"),
    "clear_gradients": ("&Model", "&Clear Gradients", ["Ctrl+Shift+B"],
                        "Set every gradient back to None"),
    "new_layer": ("&Model", "&New Layer of Your Own…", [],
                  "Write an nn.Module subclass and add it to the palette"),
    "step_through": ("&Model", "&Step Through Forward", ["F10"],
                     "Run a sample through the network one node at a time"),
    "clone_verify": ("&Model", "Clone and &Verify", [],
                     "Save the weights, build a fresh clone, load them and compare outputs"),
    "show_log": ("&Help", "Show &Log", [], "The log of errors and warnings"),
    "about": ("&Help", "&About TorchCanvas", [], "What this program is"),
}


ICONS = {
    "new": QStyle.StandardPixmap.SP_FileIcon,
    "open": QStyle.StandardPixmap.SP_DialogOpenButton,
    "save": QStyle.StandardPixmap.SP_DialogSaveButton,
    "undo": QStyle.StandardPixmap.SP_ArrowBack,
    "redo": QStyle.StandardPixmap.SP_ArrowForward,
    "delete": QStyle.StandardPixmap.SP_TrashIcon,
}


def make_actions(window: QMainWindow, handlers: dict[str, Callable[[], None]]) -> dict:
    actions: dict[str, QAction] = {}
    menus: dict[str, QMenu] = {}
    for name, (menu, text, shortcuts, tip) in ACTIONS.items():
        action = QAction(text, window)
        action.setObjectName(f"action_{name}")
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
        action.setStatusTip(tip)
        action.triggered.connect(handlers[name])
        if name in ICONS:
            action.setIcon(window.style().standardIcon(ICONS[name]))
        if menu not in menus:
            menus[menu] = window.menuBar().addMenu(menu)
        menus[menu].addAction(action)
        actions[name] = action
    return {"actions": actions, "menus": menus}
