"""At start-up: offer to restore what a crash left behind, one document at a time. A
recovery file is deleted only once the person has chosen what to do with it."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from core.io.recovery import RecoveryStore, check_readable


def offer_recovery(window, store: RecoveryStore) -> bool:
    """Ask about each recovery file, newest first; returns True if one was restored."""
    restored = False
    for found in store.found():
        problem = check_readable(found)
        name = found.original.name if found.original else (found.title or "an untitled network")
        if problem:
            QMessageBox.warning(window, "Recovery", f"Unsaved work on {name} from "
                                f"{found.when()} could not be read: {problem}")
            store.discard(found.key)
            continue
        buttons = QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel
        if not restored:
            buttons |= QMessageBox.StandardButton.Yes
        text = (f"TorchCanvas did not close normally. Unsaved work on {name} was kept, as it "
                f"was at {found.when()}.\n\n"
                + ("Restore it? (Cancel keeps it for the next start.)" if not restored else
                   "Another document is already restored; discard this copy, or keep it "
                   "for the next start?"))
        answer = QMessageBox.question(window, "Restore unsaved work?", text, buttons,
                                      QMessageBox.StandardButton.Yes if not restored
                                      else QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Yes:
            if not window.maybe_save():  # work begun while PyTorch loaded comes first
                continue
            project = found.load()
            window.workspace.replace(project.document, found.original, project.weights)
            window.workspace.history.mark_dirty()
            store.discard(found.key)
            restored = True
        elif answer == QMessageBox.StandardButton.Discard:
            store.discard(found.key)
    return restored
