"""Where a command may write its output, checked before it does any work.

``preview --json PATH``, ``diff --json PATH`` and ``check --output-dir DIR`` write files a user named. A path that
cannot be written (its parent is a file, no permission, it is a directory or a block device) would otherwise fail only
after the previews ran, with a traceback; a path that is one of the project's own inputs (a stack file,
``Pulumi.yaml``, the program's Python sources, anything in the policy pack or in ``ml_templates/``) would be
replaced by a plan. Both are refused up front, exit 2, naming the path and why. A missing parent directory is
fine: it is created when the file is written.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from blueprint.atomic_files import is_stream
from blueprint.errors import UsageError
from blueprint.project import PROJECT_FILE, Project

TEMPLATES_DIR = "ml_templates"


def check_output_file(path: Path, project: Project, *, policy_pack: Path | None = None) -> Path:
    """``path`` (given as ``--json PATH``) when the command may write a file there; ``UsageError`` naming it and the
    reason otherwise."""
    reason = _input_reason(path, project, policy_pack) or _unwritable_reason(path)
    if reason:
        raise UsageError(f"--json {path}: {reason}; nothing was run")
    return path


def check_output_dir(directory: Path, names: Iterable[str], project: Project, *, policy_pack: Path | None = None) -> Path:
    """``directory`` when the command may write each of ``names`` in it; ``UsageError`` otherwise."""
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"--output-dir {directory}: is a file, not a directory; nothing was run")
    for name in names:
        target = directory / name
        reason = _input_reason(target, project, policy_pack) or _unwritable_reason(target)
        if reason:
            raise UsageError(f"--output-dir {directory}: cannot write {name} there: {reason}; nothing was run")
    return directory


def _input_reason(path: Path, project: Project, policy_pack: Path | None) -> str | None:
    """Why ``path`` is one of the project's inputs, or ``None``. Symbolic links are followed: a link to a stack
    file is the stack file."""
    target = path.resolve()
    root = project.directory.resolve()
    packs = {(root / "policies").resolve(), *([policy_pack.resolve()] if policy_pack is not None else [])}
    if target == (root / PROJECT_FILE).resolve():
        return f"it is the project file {PROJECT_FILE}"
    if target.parent == project.stack_config_dir.resolve() and target.name.startswith("Pulumi.") and target.suffix in (".yaml", ".yml"):
        return "it is a stack file (Pulumi.<stack>.yaml), an input of the preview"
    for pack in packs:
        if target == pack or target.is_relative_to(pack):
            return f"it is inside the policy pack {pack}"
    templates = (root / TEMPLATES_DIR).resolve()
    if target == templates or target.is_relative_to(templates):
        return f"it is inside {TEMPLATES_DIR}/, the Azure ML templates the program publishes"
    if target == project.main.resolve() or target.is_relative_to(root) and target.suffix == ".py":
        return "it is a Python source of the program"
    return None


def _unwritable_reason(path: Path) -> str | None:
    """Why no file can be created or replaced at ``path``, or ``None``."""
    if path.is_dir():
        return "is a directory (give a file name)"
    if is_stream(path):  # /dev/null, a named pipe: written through as it is
        return None if os.access(path, os.W_OK) else "cannot be written (no permission)"
    if path.exists() and not path.is_file():
        return "is not a regular file (to print the output, leave PATH out)"
    existing = path.parent
    while not existing.exists():  # the nearest ancestor that exists receives the new directories
        if existing == existing.parent:
            break
        existing = existing.parent
    if not existing.is_dir():
        return f"its parent {existing} is a file, not a directory"
    try:  # a real probe: os.access answers for the real user id and ignores read-only mounts' finer points
        descriptor, probe = tempfile.mkstemp(prefix=".blueprint-write-check-", dir=existing)
    except OSError as error:
        return f"cannot write in {existing}: {error.strerror or error}"
    os.close(descriptor)
    os.unlink(probe)
    return None
