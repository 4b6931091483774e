"""Pulumi project and stack files, read the way the Pulumi CLI reads them.

Used by the offline preview (to find the program and the stack's config) and by the program itself (to name
the stack file in configuration errors).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from blueprint.errors import UsageError

PROJECT_FILE = "Pulumi.yaml"

#: What the preview hands the program for a value encrypted with the stack's secrets provider: offline, there
#: is no key to decrypt it, and no platform setting depends on a secret's content.
SECRET_PLACEHOLDER = "[secret]"


@dataclass(frozen=True)
class Project:
    """The parts of ``Pulumi.yaml`` the preview needs."""

    directory: Path
    name: str
    runtime: str
    main: Path
    stack_config_dir: Path

    def stack_file(self, stack: str) -> Path:
        return self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        """Stack names that have a stack file, sorted."""
        names = [p.name[len("Pulumi.") : -len(".yaml")] for p in self.stack_config_dir.glob("Pulumi.*.yaml")]
        return sorted(names)


def load_project(directory: Path) -> Project:
    """Read ``Pulumi.yaml`` in ``directory``."""
    path = directory / PROJECT_FILE
    if not path.is_file():
        raise UsageError(f"{path}: no Pulumi project here (expected a {PROJECT_FILE}; pass --program DIR)")
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a mapping with name and runtime, found {type(data).__name__}")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise UsageError(f"{path}: name: expected the project name, found {name!r}")
    runtime = data.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise UsageError(f"{path}: runtime: expected python (the offline preview runs Python programs), found {runtime_name!r}")
    main = directory / str(data.get("main", "."))
    if main.is_dir():
        main = main / "__main__.py"
    if not main.is_file():
        raise UsageError(f"{path}: main: expected a Python program, found no file at {main}")
    config_dir = directory / str(data.get("stackConfigDir", "."))
    return Project(directory=directory, name=name, runtime="python", main=main, stack_config_dir=config_dir)


def stack_file_path(project_dir: Path, stack: str) -> Path:
    """Where ``stack``'s config lives, honouring ``stackConfigDir``."""
    return load_project(project_dir).stack_file(stack)


def read_stack_config(project: Project, stack: str) -> dict[str, str]:
    """The stack's config as the engine passes it to a program: ``"ns:key" -> string`` (structured as JSON)."""
    path = project.stack_file(stack)
    if not path.is_file():
        known = ", ".join(project.stacks()) or "none"
        raise UsageError(f"{display_path(project, path)}: no such stack file (stacks here: {known})")
    data = _read_yaml(path) or {}
    if not isinstance(data, dict):
        raise UsageError(f"{display_path(project, path)}: expected a mapping with a config key, found {type(data).__name__}")
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise UsageError(f"{display_path(project, path)}: config: expected a mapping of keys to values, found {type(config).__name__}")
    return engine_config(project, config)


def engine_config(project: Project, config: dict[str, Any]) -> dict[str, str]:
    """A stack file's ``config`` mapping as the engine passes it: keys namespaced, values as strings."""
    values: dict[str, str] = {}
    for key, value in config.items():
        full_key = key if ":" in str(key) else f"{project.name}:{key}"
        values[str(full_key)] = _engine_string(value)
    return values


def _engine_string(value: Any) -> str:
    """Encode a config value the way the Pulumi CLI hands it to a program."""
    if isinstance(value, dict) and set(value) == {"secure"}:
        return SECRET_PLACEHOLDER
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise UsageError(f"{path}{where}: not valid YAML: {error.problem}") from None
    except yaml.YAMLError as error:
        raise UsageError(f"{path}: not valid YAML: {error}") from None
    except OSError as error:
        raise UsageError(f"{path}: cannot be read: {error.strerror}") from None


def display_path(project: Project, path: Path) -> str:
    """``path`` relative to the project when it is inside it: how messages name files."""
    try:
        return str(path.relative_to(project.directory))
    except ValueError:
        return str(path)
