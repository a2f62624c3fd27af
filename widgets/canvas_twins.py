"""Shared layers on the canvas scene: the dashed links between a module's owner and its
twins, and the highlight of every twin of a selected shared node."""

from __future__ import annotations

from widgets.edge_item import TwinLinkItem
from widgets.frame_item import FrameItem
from widgets.node_item import NodeItem


class TwinLinks:
    """The twin links of `CanvasScene` (it owns ``twin_links`` and ``_highlighted``)."""

    def _twin_state_changed(self) -> bool:
        pairs = {(t.first.node_id, t.second.node_id) for t in self.twin_links}
        return pairs != set(self._twin_pairs())

    def _twin_pairs(self) -> list[tuple[str, str]]:
        return [(n.shares, n.id) for _, n in self.document.walk()
                if n.shares and n.id in self.nodes and n.shares in self.nodes]

    def _build_twin_links(self) -> None:
        for owner, twin in self._twin_pairs():
            link = TwinLinkItem(self.nodes[owner], self.nodes[twin])
            link.update_path = link.refresh  # type: ignore[attr-defined]
            self.nodes[owner].edges.append(link)  # type: ignore[arg-type]
            self.nodes[twin].edges.append(link)  # type: ignore[arg-type]
            self.addItem(link)
            self.twin_links.append(link)

    def _remove_twin_links(self) -> None:
        for link in self.twin_links:
            for end in (link.first, link.second):
                if link in end.edges:
                    end.edges.remove(link)  # type: ignore[arg-type]
            if link.scene() is self:
                self.removeItem(link)
        self.twin_links = []

    def _highlight_twins(self) -> None:
        """Selecting a shared node highlights every node that shares its module."""
        twins: set[str] = set()
        for item in self.selectedItems():
            if isinstance(item, (NodeItem, FrameItem)) and item.look.shared and \
                    self.document.has_node(item.node_id):
                twins.update(self.document.twins(item.node_id))
        for node_id in self._highlighted - twins:
            if node_id in self.nodes:
                self.nodes[node_id].set_highlighted(False)
        for node_id in twins:
            if node_id in self.nodes:
                self.nodes[node_id].set_highlighted(True)
        self._highlighted = twins
