"""Recovery files: while a document has unsaved changes, a copy is written to a folder
of its own (never over the person's file); after a crash the next start finds it.

Each document gets ``<id>.tcanvas`` (written atomically) and ``<id>.json`` naming the
file it belongs to and when it was written.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.document.graph import Document
from core.errors import TorchCanvasError
from core.io.atomic import write_atomically

if TYPE_CHECKING:  # the store is made at start-up, before torch has loaded
    import torch

    from core.io.files import Project


@dataclass(frozen=True)
class Recovered:
    """A recovery file left behind by an earlier run."""

    key: str
    project_file: Path
    original: Path | None
    title: str
    saved_at: float

    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.saved_at))

    def load(self) -> Project:
        from core.io.files import read_project

        return read_project(self.project_file)


class RecoveryStore:
    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def new_key(self) -> str:
        return uuid.uuid4().hex[:12]

    def write(self, key: str, document: Document, weights: dict[str, torch.Tensor] | None,
              original: Path | None) -> None:
        """Write one document's recovery copy (atomically: a kill mid-way leaves the
        previous copy)."""
        from core.io.files import save_document

        self.folder.mkdir(parents=True, exist_ok=True)
        save_document(document, self.folder / f"{key}.tcanvas", weights=weights)
        meta = json.dumps({"original": str(original) if original else None,
                           "title": document.title, "saved_at": time.time()}).encode()
        write_atomically(self.folder / f"{key}.json", lambda stream: stream.write(meta))

    def discard(self, key: str) -> None:
        for suffix in (".tcanvas", ".json"):
            (self.folder / f"{key}{suffix}").unlink(missing_ok=True)

    def found(self) -> list[Recovered]:
        """Recovery files on disk, newest first; unreadable leftovers are skipped."""
        if not self.folder.is_dir():
            return []
        results = []
        for meta_file in self.folder.glob("*.json"):
            key = meta_file.stem
            project_file = self.folder / f"{key}.tcanvas"
            if not project_file.is_file():
                continue
            try:
                meta = json.loads(meta_file.read_text())
                original = Path(meta["original"]) if meta.get("original") else None
                results.append(Recovered(key, project_file, original,
                                         str(meta.get("title") or ""),
                                         float(meta.get("saved_at", 0))))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return sorted(results, key=lambda r: r.saved_at, reverse=True)


def check_readable(recovered: Recovered) -> str | None:
    """Why a recovery file cannot be restored (None when it can)."""
    try:
        recovered.load()
    except (TorchCanvasError, OSError) as error:
        return str(error)
    return None
