"""Keeps the workspace's live model in step with each dry run; a build that creates
many layers, or large ones, is made on a worker with a progress dialog and Cancel."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from core.errors import TorchCanvasError
from core.runtime.report import ShapeReport
from core.workspace import Workspace
from widgets.jobs import Job

# Below both, making the layers on the GUI thread takes a few tens of milliseconds.
OFF_THREAD_LAYERS = 64
OFF_THREAD_BYTES = 32 << 20
BUILDING = "The model is being built; the panels show it as it was before the last change."
CANCELLED = ("Building the model was cancelled: the panels show it as it was before the "
             "last change. Any edit, or saving, builds it again.")


class LiveBuilder(QObject):
    def __init__(self, workspace: Workspace, window: QWidget, say) -> None:
        super().__init__(window)
        self.workspace, self.window, self.say = workspace, window, say
        self.job: Job | None = None

    @property
    def idle(self) -> bool:
        return self.job is None

    def follow(self, report: ShapeReport, revision: int, plan=None) -> None:
        """Bring the live model in step with this dry run of ``revision``, once no job
        writes its weights on a worker (`Workspace.when_idle`): a sync may drop or move
        the modules that job writes."""
        self.workspace.when_idle(lambda: self._follow(report, revision, plan))

    def _follow(self, report: ShapeReport, revision: int, plan) -> None:
        build = self.workspace.layers_to_build(report, revision)
        if build is None or (len(build.nodes) < OFF_THREAD_LAYERS
                             and build.size_bytes < OFF_THREAD_BYTES):
            self.workspace.adopt_report(report, revision, plan)
            return
        if self.job is not None:
            self.job.cancel.set()  # its layers are kept when it ends; this one follows
        self.workspace.hold(BUILDING)  # nobody builds it a second time meanwhile
        count = len(build.nodes)
        self.job = Job(self.window, f"Building {count:,} layer{'s' if count != 1 else ''} "
                                    f"({build.size_bytes / 2**20:,.0f} MiB)…",
                       lambda control: build.make(control.is_set, control.progress),
                       lambda made: self._built(report, revision, plan, made),
                       self._failed, late_cancel_discards=False, steps=count)

    def _built(self, report: ShapeReport, revision: int, plan, made) -> None:
        self.job = None
        self.workspace.when_idle(lambda: self.workspace.adopt_report(report, revision, plan,
                                                                     made))

    def _failed(self, error: Exception) -> None:
        from core.runtime.live import BuildCancelled

        self.job = None
        if isinstance(error, BuildCancelled):
            self.workspace.hold(CANCELLED)
            self.say(CANCELLED)
        else:  # a torch fault too is a message here, never an exception in the event loop
            reason = str(error) if isinstance(error, TorchCanvasError) else \
                f"{type(error).__name__}: {error}"
            self.workspace.hold(reason)
            self.say(f"The model could not be built: {reason}")
