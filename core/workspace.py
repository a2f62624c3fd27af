"""The one facade the GUI talks to: the open document, its history, its file, and the
live model built from it, which the workspace keeps in step with the document."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.document.edit import Command
from core.document.events import Event
from core.document.graph import Document
from core.document.history import History, Position
from core.document.layout import fill_missing_positions
from core.errors import EditError

if TYPE_CHECKING:
    import torch

    from core.document.graph import Node
    from core.runtime.live import LayerBuild, LiveModel
    from core.runtime.report import ShapeReport


@dataclass(frozen=True)
class Outcome:
    """What became of a command: done, or refused with the reason (one line)."""

    command: Command
    done: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.done


@dataclass(frozen=True)
class OpenedModel:
    """What `Workspace.replace` makes of a project before it shows it: the notes for the
    person and, for a project with weights, its live model with them loaded (see
    `open_model`)."""

    document: Document
    live: LiveModel | None
    notes: list[str]


def open_model(document: Document, weights: dict | None) -> OpenedModel:
    """Check the device ``document`` was saved for (one this machine lacks: the cpu, and a
    note) and build its live model with ``weights`` (`LiveModel.load_project`). It
    touches nothing but ``document``, so the worker that read the project may call it
    and the GUI thread only puts the result in place (`Workspace.replace`)."""
    notes = []
    if weights is not None or document.device != "cpu":
        from core.runtime.devices import DeviceError, check_device

        try:
            check_device(document.device)
        except DeviceError as error:
            notes.append(f"This project was saved for {document.device}: {error}; it "
                         "runs on the cpu instead.")
            document.device = "cpu"
    if weights is None:
        return OpenedModel(document, None, notes)
    from core.runtime.live import LiveModel
    from core.runtime.shapes import infer_shapes

    live = LiveModel(document.device)
    notes += [f"Weights: {problem}" for problem in
              live.load_project(document, infer_shapes(document), weights)]
    return OpenedModel(document, live, notes)


@dataclass(frozen=True)
class Snapshot:
    """The document and its weights as they were at one moment, for a writer on another
    thread; ``position`` is that moment in the history (see `Workspace.mark_saved`)."""

    document: Document
    weights: dict[str, torch.Tensor] | None
    position: Position


class Workspace:
    """Holds the document being edited; every edit goes through `execute` (or `run`).

    ``document_replaced`` fires when New or Open puts another document in place; views
    then follow ``workspace.document``. ``state_changed`` fires when the file name or the
    saved state changes. `live` is the document built into real modules, brought in step
    with the document whenever it is read; ``live_changed`` fires when it was rebuilt,
    moved or its tensors changed.
    """

    def __init__(self, document: Document | None = None, path: Path | None = None) -> None:
        self.document_replaced = Event("document_replaced")
        self.state_changed = Event("state_changed")
        self.live_changed = Event("live_changed")
        self.document = document or Document()
        self.path = path
        self.read_only = False
        self._live: LiveModel | None = None
        self._stale = True
        self._held: str | None = None
        self._busy: list[str] = []
        self._waiting: list[Callable[[], Any]] = []
        self.revision = 0
        self.history = History(self.document)
        self._adopt(self.document)

    def _adopt(self, document: Document) -> None:
        self.history.changed.connect(self.state_changed.emit)
        document.events.structure_changed.connect(self._document_changed)
        document.events.input_changed.connect(self._document_changed)
        fill_missing_positions(document)

    def _document_changed(self) -> None:
        self.revision += 1
        self._stale = True
        self._held = None

    def replace(self, document: Document, path: Path | None = None,
                weights: dict | None = None, opened: OpenedModel | None = None
                ) -> list[str]:
        """Put ``document`` (with its saved ``weights``) in place of the open one;
        ``opened``, `open_model` of them made on a worker, is put in place as it is.

        Returns notes for the person: a device this machine lacks (the model then runs
        on the cpu), or weights that did not all fit.
        """
        if opened is None or opened.document is not document:
            opened = open_model(document, weights)
        self.history.changed.disconnect(self.state_changed.emit)
        self.document.events.structure_changed.disconnect(self._document_changed)
        self.document.events.input_changed.disconnect(self._document_changed)
        self.document = document
        self.path = path
        self.read_only = False
        self._live = None
        self._stale = True
        self._held = None
        self.revision += 1
        self.history = History(document)
        self._adopt(document)
        if opened.live is not None:
            self._live = opened.live
            self._live.changed.connect(self.live_changed.emit)
            self._stale = False
            self.live_changed.emit()
        self.document_replaced.emit()
        self.state_changed.emit()
        return opened.notes

    # Weights busy ---------------------------------------------------------------------

    @property
    def busy(self) -> str | None:
        """What a worker is doing with the live model's weights now (an undo of a large
        step, an initializer, an import, an Open until it is shown), or None. Whoever
        writes or copies the weights on this thread meanwhile waits (`when_idle`)."""
        return self._busy[0] if self._busy else None

    def begin_busy(self, reason: str) -> None:
        """A job starts that writes the live model's weights off this thread; each
        `begin_busy` is ended by one `end_busy`."""
        self._busy.append(reason)

    def end_busy(self) -> None:
        """The job that began last has ended; when none is left, what waited runs, in
        the order it came (one of them may begin another job: the rest wait for it)."""
        if self._busy:
            self._busy.pop()
        failure: Exception | None = None
        while self._waiting and not self._busy:
            try:  # one that fails must not strand those after it
                self._waiting.pop(0)()
            except Exception as error:
                failure = failure or error
        if failure is not None:
            raise failure

    def when_idle(self, callback: Callable[[], Any]) -> None:
        """Run ``callback`` now if no job is busy with the weights, else when the last
        one ends."""
        if self._busy:
            self._waiting.append(callback)
        else:
            callback()

    # The live model -------------------------------------------------------------------

    @property
    def live(self) -> LiveModel:
        """The document built into real modules, in step with the document now (it is
        created on first use: it needs torch)."""
        live = self._made_live()
        if self._stale and not self.read_only and self._held is None:
            from core.runtime.shapes import infer_shapes

            self._sync(infer_shapes(self.document))
        return live

    def _made_live(self) -> LiveModel:
        if self._live is None:
            from core.runtime.live import LiveModel

            self._live = LiveModel(self.document.device)
            self._live.changed.connect(self.live_changed.emit)
            self._stale = True
        return self._live

    @property
    def live_now(self) -> LiveModel | None:
        """The live model as it is, without bringing it in step (None before it is
        first made): for views, which redraw on ``live_changed``."""
        return self._live

    @property
    def live_if_built(self) -> LiveModel | None:
        """The live model (in step) if one has been made, else None: nothing is built."""
        return self.live if self._live is not None else None

    def layers_to_build(self, report: ShapeReport, revision: int) -> LayerBuild | None:
        """The layers `adopt_report` of this dry run would create, for a caller that
        makes a big build on a worker first (`LayerBuild.make`, then `adopt_report`
        with ``made``); None when there are none or the report is out of date."""
        if revision != self.revision or self.read_only or not self._stale:
            return None
        build = self._made_live().missing_layers(self.document, report)
        return build if build.nodes else None

    def adopt_report(self, report: ShapeReport, revision: int,
                     plan: tuple[int, Any] | None = None,
                     made: list[tuple[Node, torch.nn.Module]] | None = None) -> bool:
        """Bring the live model in step using a dry run made elsewhere (on a worker) of
        a snapshot of the document at ``revision``; a report of an older revision is
        ignored. ``plan`` is the snapshot's `plan_cache`: the worker's lowering is kept,
        so the document is not lowered again here. ``made`` are layers a worker made
        (see `layers_to_build`); they are kept even for an older revision, since their
        nodes and arguments may come back. Returns True when the live model was brought
        in step."""
        if made:
            from core.runtime.live import MadeLayers
        if made and isinstance(made, MadeLayers):
            made.live.keep_layers(made, report, made.seed)
        elif made:
            self._made_live().keep_layers(made, report, self.document.seed)
        if revision != self.revision or self.read_only:
            return False
        self.adopt_plan(revision, plan)
        self._made_live()
        if self._stale:
            self._held = None
            self._sync(report)
        return True

    def adopt_plan(self, revision: int, plan: tuple[int, Any] | None) -> None:
        """Keep a worker's lowering of a snapshot at ``revision`` (its `plan_cache`), so
        that views asking for the plan do not lower the document again."""
        if (plan is not None and revision == self.revision
                and plan[0] == self.document.structure_version):
            self.document.plan_cache = plan

    def hold(self, reason: str) -> None:
        """Leave the live model as it is until the document next changes (a build was
        cancelled): `live` then answers without rebuilding, its ``error`` the reason.
        Saving still brings it in step first."""
        self._held = reason
        if self._live is not None and self._stale:
            self._live.error = reason
            self.live_changed.emit()

    def _sync(self, report: ShapeReport) -> None:
        assert self._live is not None
        self._stale = False
        if self._live.sync(self.document, report):
            self._live.materialize(self.document, report)

    # Editing -------------------------------------------------------------------------

    def execute(self, command: Command) -> Command:
        """Apply ``command`` as one undo step; raises `EditError` and changes nothing if
        it cannot be made (or if the document is open read-only)."""
        if self.read_only:
            raise EditError("this project is open read-only: its layer code is not trusted")
        return self.history.push(command)

    def run(self, command: Command) -> Outcome:
        """`execute` for views: the outcome says whether it was done, or why not."""
        try:
            self.execute(command)
        except EditError as error:
            return Outcome(command, False, str(error))
        return Outcome(command, True)

    def undo(self) -> None:
        self.history.undo()

    def redo(self) -> None:
        self.history.redo()

    # Saving ---------------------------------------------------------------------------

    @property
    def modified(self) -> bool:
        return not self.history.is_clean

    def snapshot(self, with_weights: bool = True) -> Snapshot:
        """The document (and the live weights, copied) as they are now; later edits do
        not reach the copy. Weights are left out while torch has not built a model."""
        from_history = self.history.position()
        weights: dict[str, Any] | None = None
        if with_weights and self._live is not None:
            from core.io.weights import snapshot_state

            self._held = None  # a save writes the weights of the graph it writes
            module = self.live.module
            weights = snapshot_state(module) if module is not None else None
        return Snapshot(self.document.snapshot(), weights, from_history)

    def mark_saved(self, path: Path, position: Position | None = None) -> None:
        """The file at ``path`` now holds the document as it was at ``position`` (the
        snapshot's; now when omitted). Edits made since stay unsaved."""
        self.path = path
        self.history.mark_clean(position)
        self.state_changed.emit()

    def subscribe(self, listeners: dict[str, Callable[..., Any]],
                  replaced: Callable[[], Any] | None = None) -> Subscription:
        """Listen to the named document events of whatever document is open (a view's
        one way to follow the workspace); ``replaced`` runs after New or Open."""
        return Subscription(self, listeners, replaced)

    @property
    def display_name(self) -> str:
        if self.path is not None:
            return self.path.name
        return self.document.title or "Untitled"


class Subscription:
    """A view's listeners on the workspace's document, moved over to each new document
    (then ``replaced`` is called) until `clear`."""

    def __init__(self, workspace: Workspace, listeners: dict[str, Callable[..., Any]],
                 replaced: Callable[[], Any] | None = None) -> None:
        self.workspace, self.listeners, self.replaced = workspace, listeners, replaced
        self.document: Document | None = None
        workspace.document_replaced.connect(self._document_replaced)
        self._connect(workspace.document)

    def _connect(self, document: Document | None) -> None:
        for old_or_new, method in ((self.document, "disconnect"), (document, "connect")):
            if old_or_new is not None:
                for name, callback in self.listeners.items():
                    getattr(getattr(old_or_new.events, name), method)(callback)
        self.document = document

    def _document_replaced(self) -> None:
        self._connect(self.workspace.document)
        if self.replaced is not None:
            self.replaced()

    def clear(self) -> None:
        self._connect(None)
        self.workspace.document_replaced.disconnect(self._document_replaced)
