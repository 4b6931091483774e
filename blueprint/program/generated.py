"""The files generated from the features' declarations, and whether they are current.

``schema/stack-file.schema.json`` (what editors validate stack files against) and the reference block of
``docs/configuration.md`` are written from the settings dataclasses, never by hand: :func:`stale_files` is what the
test and ``scripts/generate_reference.py --check`` ask.
"""

from __future__ import annotations

import json
from pathlib import Path

from blueprint.program.config.reference import replace_reference
from blueprint.program.config.schema import stack_file_schema

EDITOR_SCHEMA = Path("schema/stack-file.schema.json")
CONFIGURATION_DOC = Path("docs/configuration.md")


def _project_name(repo: Path) -> str:
    from blueprint.program.project import load_project

    return load_project(repo).name


def generated_files(repo: Path) -> dict[Path, str]:
    """Each generated file of the project at ``repo`` and the text it should hold."""
    doc = repo / CONFIGURATION_DOC
    try:
        page = replace_reference(doc.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ValueError(f"{CONFIGURATION_DOC}: {error}") from None
    return {repo / EDITOR_SCHEMA: json.dumps(stack_file_schema(_project_name(repo)), indent=2) + "\n", doc: page}


def stale_files(repo: Path) -> list[Path]:
    """The generated files whose text differs from what the declarations give."""
    return [path for path, text in generated_files(repo).items() if not path.is_file() or path.read_text(encoding="utf-8") != text]


def write_generated(repo: Path) -> list[Path]:
    """Rewrite the stale generated files; return them."""
    stale = stale_files(repo)
    texts = generated_files(repo)
    for path in stale:
        path.write_text(texts[path], encoding="utf-8")
    return stale
