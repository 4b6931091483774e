"""Where a command may write its output, checked before it does any work.

``preview --json PATH``, ``diff --json PATH`` and ``check --output-dir DIR`` write files a user named. A path that
cannot be written (its parent is a file, no permission, it is a directory or a block device) would otherwise fail only
after the previews ran, with a traceback; a path that is one of the project's own inputs (a stack file,
``Pulumi.yaml`` or any other name the CLI reads as the project file, the program's Python sources, any file in a
Python package of the project (its modules' data: ``components/data/``, ``blueprint/program/config/``), ``schema/``,
anything in the policy pack or in ``ml_templates/``, the file given to ``--policy-pack-config``) would be replaced by
a plan. Both are refused up front as bad usage, naming the path and why. A missing parent directory is fine: it is
created when the file is written. Plans written to the project's own directory (``plan.json``) are fine too.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from blueprint.tools.atomic_files import is_stream
from blueprint.tools.errors import UsageError
from blueprint.program.project import PROJECT_FILES, Project
from blueprint.tools.user_paths import resolved, resolved_or_absolute

TEMPLATES_DIR = "ml_templates"
#: The editor schema ``blueprint schema`` generates (docs/architecture.md).
SCHEMA_DIR = "schema"


def check_output_file(
    path: Path, project: Project, *, policy_pack: Path | None = None, policy_pack_config: Path | None = None, option: str = "--json"
) -> Path:
    """``path`` (given as ``--json PATH``, or the ``option`` named) when the command may write a file there;
    ``UsageError`` naming it and the reason otherwise."""
    reason = _input_reason(resolved(path, option), project, policy_pack, policy_pack_config) or _unwritable_reason(path)
    if reason:
        raise UsageError(f"{option} {path}: {reason}; nothing was run")
    return path


def check_output_dir(
    directory: Path, names: Iterable[str], project: Project, *, policy_pack: Path | None = None, policy_pack_config: Path | None = None
) -> Path:
    """``directory`` when the command may write each of ``names`` in it; ``UsageError`` otherwise."""
    resolved(directory, "--output-dir")
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"--output-dir {directory}: is a file, not a directory; nothing was run")
    for name in names:
        target = directory / name
        reason = _input_reason(resolved(target, "--output-dir"), project, policy_pack, policy_pack_config) or _unwritable_reason(target)
        if reason:
            raise UsageError(f"--output-dir {directory}: cannot write {name} there: {reason}; nothing was run")
    return directory


def _input_reason(target: Path, project: Project, policy_pack: Path | None, policy_pack_config: Path | None) -> str | None:
    """Why ``target`` (resolved: a link to a stack file is the stack file) is one of the project's inputs, or ``None``."""
    root = resolved_or_absolute(project.directory)
    packs = {resolved_or_absolute(root / "policies"), *([resolved_or_absolute(policy_pack)] if policy_pack is not None else [])}
    if policy_pack_config is not None and target == resolved_or_absolute(policy_pack_config):
        return "it is the pack config given to --policy-pack-config, an input of the command"
    for name in PROJECT_FILES:  # whichever exists: writing another could change which one the CLI reads
        if target == resolved_or_absolute(root / name):
            return f"it is the project file {name}" if (root / name).exists() else f"the Pulumi CLI would read it as the project file ({name})"
    if (
        target.parent == resolved_or_absolute(project.stack_config_dir)
        and target.name.startswith("Pulumi.")
        and target.suffix in (".yaml", ".yml", ".json")
    ):
        return "it is a stack file (Pulumi.<stack>.yaml), an input of the preview"
    for pack in packs:
        if target == pack or target.is_relative_to(pack):
            return f"it is inside the policy pack {pack}"
    templates = resolved_or_absolute(root / TEMPLATES_DIR)
    if target == templates or target.is_relative_to(templates):
        return f"it is inside {TEMPLATES_DIR}/, the Azure ML templates the program publishes"
    if target == resolved_or_absolute(project.main) or target.is_relative_to(root) and target.suffix == ".py":
        return "it is a Python source of the program"
    schema = resolved_or_absolute(root / SCHEMA_DIR)
    if target == schema or target.is_relative_to(schema):
        return f"it is inside {SCHEMA_DIR}/, the editor schema of the stack files"
    package = _enclosing_package(target, root)
    if package is not None:
        return f"it is inside {package.relative_to(root).as_posix()}/, a Python package of the program (its code and data)"
    return None


def _enclosing_package(target: Path, root: Path) -> Path | None:
    """The outermost directory between ``root`` (excluded) and ``target`` that is a Python package, if any."""
    if not target.is_relative_to(root):
        return None
    found = None
    for directory in target.parents:
        if directory == root or not directory.is_relative_to(root):
            break
        if (directory / "__init__.py").is_file():
            found = directory
    return found


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
