"""Right-click menus on the canvas: on a node, on a link, and on the empty canvas.

They offer the window's own actions (delete, group, tie…: each works on the selection,
so a right-click first selects what it is on) and a few that need the place clicked:
rename, fix, duplicate, insert a layer on a link, add a layer here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMenu

from core.catalog.sizing import describe_fix
from core.document.edit import Rename, SetArguments
from core.errors import EditError
from widgets.edge_item import EdgeItem
from widgets.frame_item import FrameItem
from widgets.node_item import NodeItem

if TYPE_CHECKING:
    from widgets.canvas_view import CanvasView

NODE_ACTIONS = ("cut", "copy", None, "delete", "delete_only", None, "group", "ungroup",
                "share", "unshare")
BLOCK_ACTIONS = ("toggle_block", "open_block")
CANVAS_ACTIONS = ("paste", "select_all", None, "arrange", "fit")


class CanvasMenus:
    """Builds the menu for a right-click on ``view``; the window hands over its actions
    (`CanvasView.window_actions`), so each entry runs the same code as the menu bar."""

    def __init__(self, view: CanvasView) -> None:
        self.view = view

    @property
    def scene(self):
        return self.view.canvas

    def menu_at(self, view_point: QPoint) -> QMenu:
        scene_point = self.view.mapToScene(view_point)
        item = next((i for i in self.scene.items(scene_point)
                     if isinstance(i, (NodeItem, FrameItem, EdgeItem))), None)
        menu = QMenu(self.view)
        menu.setObjectName("canvas_menu")
        if isinstance(item, (NodeItem, FrameItem)):
            if not item.isSelected():
                self.scene.select_nodes([item.node_id])
            self._node_entries(menu, item)
        elif isinstance(item, EdgeItem):
            self.scene.clearSelection()
            item.setSelected(True)
            self._edge_entries(menu, item, view_point)
        else:
            self._canvas_entries(menu, view_point)
        return menu

    def _window_actions(self, menu: QMenu, names) -> None:
        actions = self.view.window_actions
        for name in names:
            if name is None:
                if menu.actions() and not menu.actions()[-1].isSeparator():
                    menu.addSeparator()
            elif name in actions:
                menu.addAction(actions[name])

    def _entry(self, menu: QMenu, text: str, run) -> QAction:
        action = menu.addAction(text)
        action.triggered.connect(run)
        return action

    def _node_entries(self, menu: QMenu, item) -> None:
        selected = self.scene.selected_node_ids()
        if len(selected) == 1:
            self._entry(menu, "Rename…", lambda: self.rename(item.node_id))
            if item.look.fix:
                changes = dict(item.look.fix)
                self._entry(menu, f"Fix: {describe_fix(changes)}",
                            lambda: self.scene.execute(SetArguments(item.node_id, changes)))
        self._entry(menu, "Duplicate", self.duplicate)
        menu.addSeparator()
        self._window_actions(menu, NODE_ACTIONS)
        if item.look.is_block:
            menu.addSeparator()
            self._window_actions(menu, BLOCK_ACTIONS)

    def _edge_entries(self, menu: QMenu, item: EdgeItem, view_point: QPoint) -> None:
        self._entry(menu, "Insert Layer…", lambda: self.view.open_search(view_point))
        self._window_actions(menu, ("delete",))

    def _canvas_entries(self, menu: QMenu, view_point: QPoint) -> None:
        self._entry(menu, "Add Layer Here…", lambda: self.view.open_search(view_point))
        menu.addSeparator()
        self._window_actions(menu, CANVAS_ACTIONS)

    def rename(self, node_id: str) -> None:
        document = self.scene.document
        if not document.has_node(node_id):
            return
        name, ok = QInputDialog.getText(self.view, "Rename",
                                        "Attribute name in the module (empty: automatic):",
                                        text=document.node(node_id).name)
        if ok:
            self.scene.execute(Rename(node_id, name.strip()))

    def duplicate(self) -> None:
        """A copy of the selected nodes (and the links among them) beside them."""
        # Imported here: the clipboard reads files through torch, which the window
        # must not wait for at start-up.
        from core.document.clipboard import copy_nodes, paste_command

        selected = self.scene.selected_node_ids()
        if not selected:
            return
        document = self.scene.document
        graph_id = document.parent_of(selected[0])
        try:
            command = paste_command(document, copy_nodes(document, selected), graph_id,
                                    offset=(60.0, 30.0))
        except (EditError, KeyError) as error:
            self.scene.message.emit(f"Duplicate: {error}" if isinstance(error, KeyError)
                                    else str(error))
            return
        if self.scene.execute(command):
            self.scene.select_nodes(command.node_ids)  # type: ignore[attr-defined]

