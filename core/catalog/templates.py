"""The example networks shipped in ``resources/templates``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from core.document.graph import Document
from core.io.files import load_document

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "resources" / "templates"


@dataclass(frozen=True)
class Template:
    name: str
    path: Path
    title: str
    description: str


def list_templates() -> list[Template]:
    templates = []
    for path in sorted(TEMPLATES_DIR.glob("*.json")):
        data = json.loads(path.read_text())
        templates.append(Template(path.stem, path, data.get("title", path.stem),
                                  data.get("description", "")))
    return templates


def template_path(name: str) -> Path:
    path = TEMPLATES_DIR / f"{name}.json"
    if not path.is_file():
        known = ", ".join(t.name for t in list_templates())
        raise KeyError(f"no template {name!r}; there are: {known}")
    return path


def load_template(name: str) -> Document:
    return load_document(template_path(name))
