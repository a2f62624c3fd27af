"""At start-up: offer to restore what a crash left behind, one document at a time. A
recovery file is deleted only once the person has chosen what to do with it.

Nothing in the recovery folder can stop the start: a copy that cannot be read is offered
to be discarded or moved aside, with the reason, so it does not come back at every start;
a restored copy obeys the trust rules of opening its file (layer code runs only if the
person trusts it)."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QMessageBox

from app import messages
from core.errors import TorchCanvasError
from core.io.recovery import Recovered, RecoveryStore

log = logging.getLogger("torchcanvas")
Button = QMessageBox.StandardButton


def offer_recovery(window, store: RecoveryStore) -> bool:
    """Ask about each recovery file, newest first; returns True if one was restored."""
    restored = False
    own = getattr(getattr(window, "autosaver", None), "key", None)
    for found in store.found(skip=[own] if own else []):
        try:
            restored = _offer(window, store, found, restored) or restored
        except Exception:  # a fault here must not cost the person the start
            log.exception("Offering the recovery file %s failed", found.project_file)
    return restored


def _offer(window, store: RecoveryStore, found: Recovered, restored: bool) -> bool:
    problem, project = found.problem, None
    if problem is None:
        try:
            project = found.load()
        except (TorchCanvasError, OSError) as error:
            problem = str(error)
        except Exception as error:  # a loader's fault is still this file's problem
            log.exception("Reading the recovery file %s failed", found.project_file)
            problem = f"{type(error).__name__}: {error}"
    if problem is not None or project is None:
        _offer_damaged(window, store, found, problem or "it holds nothing")
        return False
    buttons = Button.Discard | Button.Cancel
    if not restored:
        buttons |= Button.Yes
    text = (f"TorchCanvas did not close normally. Unsaved work on {_described(found)} was "
            f"kept, as it was at {found.when()}.\n\n"
            + ("Restore it? (Cancel keeps it for the next start.)" if not restored else
               "Another document is already restored; discard this copy, or keep it "
               "for the next start?"))
    answer = messages.question(window, "Restore unsaved work?", text, buttons,
                               Button.Cancel if restored else Button.Yes)
    if answer == Button.Yes:
        if not window.maybe_save():  # work begun while PyTorch loaded comes first
            return False
        try:
            window.projects.show_recovered(project, found.project_file, found.original)
        except Exception as error:  # then it is a copy that cannot be restored after all
            log.exception("Showing the recovery file %s failed", found.project_file)
            _offer_damaged(window, store, found, f"{type(error).__name__}: {error}")
            return False
        _discard(window, store, found)
        return True
    if answer == Button.Discard:
        _discard(window, store, found)
    return False


def _offer_damaged(window, store: RecoveryStore, found: Recovered, problem: str) -> None:
    """Discard it, or move it aside into the recovery folder's ``damaged`` folder."""
    answer = messages.question(
        window, "Recovery",
        f"Unsaved work on {_described(found)} from {found.when()} was found but cannot be "
        f"restored: {problem}\n\nDiscard it, or move it aside to "
        f"{store.folder / 'damaged'} and keep it there?",
        Button.Discard | Button.Save, Button.Save, {Button.Save: "Move Aside"})
    if answer == Button.Discard:
        _discard(window, store, found)
        return
    try:
        store.move_aside(found.key)
    except TorchCanvasError as error:
        log.warning("Moving the recovery file aside failed: %s", error)
        messages.warning(window, "Recovery", f"{error}\n\nIt was left where it is and will "
                                             "be offered again at the next start.")


def _described(found: Recovered) -> str:
    """The work's file with its whole path (Save will write there), else its title."""
    return f"{found.name} ({found.original})" if found.original else found.name


def _discard(window, store: RecoveryStore, found: Recovered) -> None:
    try:
        store.discard(found.key)
    except TorchCanvasError as error:
        log.warning("Discarding the recovery file failed: %s", error)
        messages.warning(window, "Recovery", f"{error}\n\nRemove it by hand, or it will be "
                                             "offered again at the next start.")
