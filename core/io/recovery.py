"""Recovery files: while a document has unsaved changes, a copy is written to a folder
of its own (never over the person's file); after a crash the next start finds it.

Each document gets ``<id>.tcanvas`` (written atomically) and ``<id>.json`` naming the
file it belongs to and when it was written. Whatever else the folder holds — a broken
copy, a FIFO or a folder under one of those names, a description that is not JSON — is
found too, with the reason it cannot be restored, so that it can be discarded or moved
aside instead of coming back at every start. Nothing but a regular file is ever opened.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import shutil
import stat
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.document.graph import Document
from core.errors import TorchCanvasError
from core.io.atomic import write_atomically

if TYPE_CHECKING:  # the store is made at start-up, before torch has loaded
    import torch

    from core.io.files import Project

SUFFIXES = (".tcanvas", ".json")
DAMAGED = "damaged"
MAX_META_BYTES = 64 * 1024


class RecoveryError(TorchCanvasError):
    """A recovery file cannot be read, removed or moved."""


@dataclass(frozen=True)
class Recovered:
    """A recovery file left behind by an earlier run; ``problem`` says why it cannot be
    restored (None when it looks whole)."""

    key: str
    project_file: Path
    original: Path | None
    title: str
    saved_at: float
    problem: str | None = None

    @property
    def name(self) -> str:
        """What the work was called: its file's name, its title, or neither."""
        if self.original is not None and self.original.name:
            return self.original.name
        return self.title or "an untitled network"

    def when(self) -> str:
        try:
            return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.saved_at))
        except (OverflowError, OSError, ValueError):
            return "an unknown time"

    def load(self) -> Project:
        """The recovered project; raises `TorchCanvasError` when it cannot be read."""
        from core.io.files import read_project

        if self.problem:
            raise RecoveryError(self.problem)
        _regular(self.project_file)
        return read_project(self.project_file)


class RecoveryStore:
    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def new_key(self) -> str:
        return uuid.uuid4().hex[:12]

    def write(self, key: str, document: Document, weights: dict[str, torch.Tensor] | None,
              original: Path | None) -> None:
        """Write one document's recovery copy (atomically: a kill mid-way leaves the
        previous copy). Raises `TorchCanvasError` or `OSError` saying why it cannot."""
        from core.io.files import save_document

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise RecoveryError(f"the recovery folder {self.folder} is not a folder") from None
        save_document(document, self.folder / f"{key}.tcanvas", weights=weights)
        meta = json.dumps({"original": str(original) if original else None,
                           "title": document.title, "saved_at": time.time()}).encode()
        write_atomically(self.folder / f"{key}.json", lambda stream: stream.write(meta))

    def discard(self, key: str) -> None:
        """Remove ``key``'s files, whatever they are (a folder in a file's place too);
        nothing there is not an error. Raises `RecoveryError` when one cannot be removed."""
        for path in self._paths(key):
            try:
                if stat.S_ISDIR(path.lstat().st_mode):
                    shutil.rmtree(path)
                else:
                    path.unlink()
            except OSError as error:
                if error.errno in (errno.ENOENT, errno.ENOTDIR):
                    continue
                raise RecoveryError(f"cannot remove {path}: {error.strerror or error}") \
                    from None

    def move_aside(self, key: str) -> Path:
        """Move ``key``'s files into the ``damaged`` folder beside them (renamed, never
        opened), so they are kept but no longer offered; returns that folder."""
        aside = self.folder / DAMAGED
        try:
            aside.mkdir(exist_ok=True)
            if not aside.is_dir() or aside.is_symlink():
                raise NotADirectoryError(errno.ENOTDIR, "not a folder")
            stamp = time.strftime("%Y%m%d-%H%M%S")
            for path in self._paths(key):
                if os.path.lexists(path):
                    target = aside / path.name
                    if os.path.lexists(target):
                        target = aside / f"{stamp}-{uuid.uuid4().hex[:6]}-{path.name}"
                    os.rename(path, target)
        except OSError as error:
            raise RecoveryError(f"cannot move the recovery files to {aside}: "
                                f"{error.strerror or error}") from None
        return aside

    def _paths(self, key: str) -> list[Path]:
        return [self.folder / f"{key}{suffix}" for suffix in SUFFIXES]

    def found(self, skip: Iterable[str] = ()) -> list[Recovered]:
        """Everything an earlier run left in the folder (but the keys in ``skip``), whole
        ones newest first, then the damaged ones; never raises."""
        skipped = set(skip)
        try:
            if not stat.S_ISDIR(self.folder.stat().st_mode):
                return []
            with os.scandir(self.folder) as entries:
                names = [entry.name for entry in entries]
        except OSError:
            return []
        keys = {name[:-len(suffix)] for name in names for suffix in SUFFIXES
                if name.endswith(suffix) and not name.startswith(".") and len(name) > len(suffix)}
        results = [self._describe(key) for key in sorted(keys - skipped)]
        return sorted(results, key=lambda r: (r.problem is None, r.saved_at), reverse=True)

    def _describe(self, key: str) -> Recovered:
        project_file, meta_file = self._paths(key)
        fallback = Recovered(key, project_file, None, "", _mtime(project_file, meta_file))
        try:
            _regular(project_file, "the unsaved work")
            # a copy whose description was never written (a kill between the two) is whole
            meta = _read_meta(meta_file) if os.path.lexists(meta_file) else {}
        except RecoveryError as error:
            return Recovered(key, project_file, None, "", fallback.saved_at, str(error))
        original, title = meta.get("original"), meta.get("title")
        return Recovered(key, project_file,
                         Path(original) if isinstance(original, str) and original
                         and "\0" not in original else None,
                         title if isinstance(title, str) else "",
                         _time(meta.get("saved_at"), fallback.saved_at))


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    return "a special file"


def _regular(path: Path, what: str = "the recovery file") -> os.stat_result:
    """The status of ``path``, a regular file (not a link); raises `RecoveryError`."""
    try:
        status = path.lstat()
    except OSError as error:
        if error.errno == errno.ENOENT:
            raise RecoveryError(f"{what} ({path.name}) is missing") from None
        raise RecoveryError(f"cannot read {path.name}: {error.strerror or error}") from None
    if not stat.S_ISREG(status.st_mode):
        raise RecoveryError(f"{path.name} is {_kind(status.st_mode)}, not a file")
    return status


def _read_meta(path: Path) -> dict[str, Any]:
    """The description beside a recovery copy: opened without following a link and
    without waiting on a FIFO, checked to be a small regular file, parsed as an object."""
    _regular(path, "its description")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        handle = os.open(path, flags)
        with os.fdopen(handle, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                raise RecoveryError(f"{path.name} is not a file")
            data = stream.read(MAX_META_BYTES + 1)
    except OSError as error:
        raise RecoveryError(f"cannot read {path.name}: {error.strerror or error}") from None
    if len(data) > MAX_META_BYTES:
        raise RecoveryError(f"{path.name} is too large for a recovery description")
    try:
        meta = json.loads(data)
    except (ValueError, RecursionError):
        raise RecoveryError(f"{path.name} is not valid JSON") from None
    if not isinstance(meta, dict):
        raise RecoveryError(f"{path.name} does not describe a recovery file")
    return meta


def _time(value: object, fallback: float) -> float:
    """``value`` as a time that can be shown, else ``fallback``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return fallback
    try:
        seconds = float(value)
        if not math.isfinite(seconds):
            return fallback
        time.localtime(seconds)
    except (OverflowError, OSError, ValueError):
        return fallback
    return seconds


def _mtime(*paths: Path) -> float:
    for path in paths:
        with contextlib.suppress(OSError, OverflowError, ValueError):
            value = path.lstat().st_mtime
            time.localtime(value)
            return value
    return 0.0


def check_readable(recovered: Recovered) -> str | None:
    """Why a recovery file cannot be restored (None when it can). Any failure is a
    reason: what an earlier run left behind must never stop this one."""
    try:
        recovered.load()
    except (TorchCanvasError, OSError) as error:
        return str(error)
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return None
