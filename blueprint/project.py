"""Pulumi project and stack files, read the way the Pulumi CLI reads them.

Used by the offline preview (to find the program and the stack's config) and by the program itself (to name
the stack file in configuration errors). Both files are parsed by :mod:`blueprint.pulumi_yaml`, as yaml.v3 parses
them for the engine.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blueprint import pulumi_yaml
from blueprint.errors import UsageError
from blueprint.pulumi_yaml import YamlMapping, YamlNode, YamlScalar

PROJECT_FILE = "Pulumi.yaml"

#: What the preview hands the program for a value encrypted with the stack's secrets provider: offline, there
#: is no key to decrypt it, and no platform setting depends on a secret's content.
SECRET_PLACEHOLDER = "[secret]"


class StackConfig(dict[str, str]):
    """A stack's config as the engine hands it to a program (``"ns:key" -> string``), and which keys hold secrets."""

    def __init__(self, values: Mapping[str, str] | None = None, secret_keys: Iterable[str] = ()) -> None:
        super().__init__(values or {})
        self.secret_keys = frozenset(secret_keys)


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
        names = [p.name[len("Pulumi.") : -len(".yaml")] for p in self.stack_config_dir.glob("Pulumi.*.yaml") if p.is_file()]
        return sorted(names)


def load_project(directory: Path) -> Project:
    """Read ``Pulumi.yaml`` in ``directory``."""
    path = directory / PROJECT_FILE
    if not path.is_file():
        raise UsageError(f"{path}: no Pulumi project here (expected a {PROJECT_FILE}; pass --program DIR)")
    data = pulumi_yaml.load(path, str(path))
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


def read_stack_config(project: Project, stack: str) -> StackConfig:
    """The stack's config as the engine passes it to a program: ``"ns:key" -> string`` (structured as JSON)."""
    path = project.stack_file(stack)
    shown = display_path(project, path)
    if not path.is_file():
        known = ", ".join(project.stacks()) or "none"
        raise UsageError(f"{shown}: no such stack file (stacks here: {known})")
    return stack_config(project, pulumi_yaml.load_file(path, shown), shown)


def stack_config(project: Project, document: YamlNode | None, shown: str) -> StackConfig:
    """What the engine hands the program for a stack file composed as ``document``; ``shown`` names the file."""
    if document is None or isinstance(document, YamlScalar) and document.value is None:
        return StackConfig()
    if not isinstance(document, YamlMapping):
        raise UsageError(f"{shown}: expected a mapping with a config key, found {pulumi_yaml.kind(document)}")
    config = document.get("config")
    if config is None or isinstance(config, YamlScalar) and config.value is None:
        return StackConfig()
    if not isinstance(config, YamlMapping):
        raise UsageError(f"{shown}: config: expected a mapping of keys to values, found {pulumi_yaml.kind(config)}")
    return engine_config(project, config, shown)


def engine_config(project: Project, config: YamlMapping, shown: str) -> StackConfig:
    """A stack file's ``config`` mapping as the engine passes it: keys namespaced, values as strings, and the keys
    whose value holds a ``secure:`` value anywhere marked secret (the preview has no key: a placeholder stands in)."""
    values: dict[str, str] = {}
    secret_keys: set[str] = set()
    spelled: dict[str, str] = {}
    for key, node in config.items():
        full_key = key if ":" in key else f"{project.name}:{key}"
        if full_key in spelled:
            raise UsageError(f"{shown}: config: {spelled[full_key]} and {key} are the same key ({full_key}); give it once")
        spelled[full_key] = key
        values[full_key], is_secret = _engine_value(node, full_key, shown)
        if is_secret:
            secret_keys.add(full_key)
    return StackConfig(values, secret_keys)


def is_secure(value: Any) -> bool:
    """A ``{secure: <ciphertext>}`` value, as Pulumi recognises one: a mapping of one string under ``secure``."""
    return isinstance(value, Mapping) and len(value) == 1 and isinstance(value.get("secure"), str)


def _engine_value(node: YamlNode, key: str, shown: str) -> tuple[str, bool]:
    """Encode a config value the way the Pulumi CLI hands it to a program, and whether it holds a secret.

    A top-level scalar reaches the program as the text written in the file (the CLI reads it into a string);
    null as the empty string. Structured values are decoded and passed as JSON, each secret replaced in place.
    """
    if isinstance(node, YamlScalar):
        return ("" if node.value is None else node.text), False
    value, is_secret = _with_placeholders(pulumi_yaml.to_python(node))
    if isinstance(value, str):
        return value, is_secret
    try:
        return json.dumps(value, allow_nan=False), is_secret
    except ValueError:
        raise UsageError(f"{shown}: {key}: holds .nan or .inf, which no program can receive (the engine passes structured values as JSON)") from None


def _with_placeholders(value: Any) -> tuple[Any, bool]:
    """``value`` with every ``secure:`` value, at any depth, replaced by ``SECRET_PLACEHOLDER``; whether any was."""
    if is_secure(value):
        return SECRET_PLACEHOLDER, True
    if isinstance(value, dict):
        pairs = {key: _with_placeholders(item) for key, item in value.items()}
        return {key: item for key, (item, _) in pairs.items()}, any(found for _, found in pairs.values())
    if isinstance(value, list):
        items = [_with_placeholders(item) for item in value]
        return [item for item, _ in items], any(found for _, found in items)
    return value, False


def display_path(project: Project, path: Path) -> str:
    """``path`` relative to the project when it is inside it: how messages name files."""
    try:
        return str(path.relative_to(project.directory))
    except ValueError:
        return str(path)
