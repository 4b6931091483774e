"""Pulumi project and stack files, read the way the Pulumi CLI reads them.

Used by the offline preview (to find the program and the stack's config) and by the program itself (to name
the stack file in configuration errors). Both files are parsed by :mod:`blueprint.program.pulumi_yaml`, as yaml.v3 parses
them for the engine.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blueprint.program import pulumi_yaml
from blueprint.program.errors import InputError
from blueprint.program.pulumi_yaml import YamlMapping, YamlNode, YamlScalar

PROJECT_FILE = "Pulumi.yaml"
#: Every project file the Pulumi CLI reads, in the order it looks for them: the first that is a file wins, and its
#: extension is the stack files' (a ``Pulumi.yml`` project keeps its stacks in ``Pulumi.<stack>.yml``).
PROJECT_FILES = ("Pulumi.json", PROJECT_FILE, "Pulumi.yml")

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
    """The parts of the project file (``Pulumi.yaml`` or ``Pulumi.yml``) the preview needs."""

    directory: Path
    name: str
    runtime: str
    main: Path
    stack_config_dir: Path
    #: The project file read (``Pulumi.yaml`` or ``Pulumi.yml``): its extension is the stack files'.
    file: Path

    @property
    def stack_suffix(self) -> str:
        return self.file.suffix

    def stack_file(self, stack: str) -> Path:
        return self.stack_config_dir / f"Pulumi.{stack}{self.stack_suffix}"

    def stacks(self) -> list[str]:
        """Every stack of the project (a ``Pulumi.<stack>.yaml`` in the stack config directory), sorted.

        An entry of that name that is not a readable file (a dangling link, a link loop, a directory) is a stack no
        command can read: an error naming it, never a stack silently left out of "every stack".
        """
        names = []
        for path in sorted(self._stack_entries(strict=True)):
            reason = not_a_file(path)
            if reason is not None:
                raise InputError(f"{display_path(self, path)}: {reason}")
            names.append(self._stack_name(path))
        return sorted(names)

    def known_stacks(self) -> str:
        """The stacks whose files can be read, for messages about another one: ``"dev, prod"`` or ``"none"``."""
        names = sorted(self._stack_name(path) for path in self._stack_entries(strict=False) if not_a_file(path) is None)
        return ", ".join(names) or "none"

    def _stack_name(self, path: Path) -> str:
        return path.name[len("Pulumi.") : -len(self.stack_suffix)]

    def _stack_entries(self, *, strict: bool) -> list[Path]:
        """Entries named ``Pulumi.<stack><suffix>``, whatever they are; a directory that cannot be listed is an error
        when ``strict`` (and nothing otherwise); a missing one holds no stacks."""
        try:
            names = os.listdir(self.stack_config_dir)
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as error:
            if not strict:
                return []
            raise InputError(f"{display_path(self, self.stack_config_dir)}: the stack config directory cannot be read: {error.strerror or error}") from None
        suffix = self.stack_suffix
        return [
            self.stack_config_dir / name
            for name in names
            if name.startswith("Pulumi.") and name.endswith(suffix) and len(name) > len("Pulumi.") + len(suffix)
        ]


def not_a_file(path: Path) -> str | None:
    """Why ``path`` is not a regular file that can be opened (links followed), or ``None`` when it is one."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if path.is_symlink():
            return f"a symbolic link to {os.readlink(path)}, which does not exist"
        return "no such file"
    except OSError as error:
        if path.is_symlink() and error.errno == errno.ELOOP:
            return "a symbolic link loop (the links lead back to each other)"
        return f"cannot be read: {error.strerror or error}"
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    if not stat.S_ISREG(mode):
        return "is not a regular file"
    return None


def find_project_file(directory: Path) -> Path:
    """The project file the Pulumi CLI would read in ``directory`` (``PROJECT_FILES``, first one that is a file)."""
    for name in PROJECT_FILES:
        path = directory / name
        if path.is_file():
            if path.suffix == ".json":
                raise InputError(
                    f"{path}: the Pulumi CLI reads this project file (before any Pulumi.yaml), and this project's tools "
                    f"read YAML project files only; write it as {PROJECT_FILE}"
                )
            return path
    expected = directory / PROJECT_FILE
    reason = not_a_file(expected) if os.path.lexists(expected) else None
    if reason is not None:
        raise InputError(f"{expected}: {reason}")
    raise InputError(f"{expected}: no Pulumi project here (expected a {PROJECT_FILE}; pass --program DIR)")


def load_project(directory: Path) -> Project:
    """Read the project file in ``directory`` for the offline tools.

    Project-level ``config:`` is refused: the engine hands it to the program, but the preview, ``check``, ``fork``
    and ``promote`` read a stack's config from its stack file alone, so they would show what the engine would not do.
    """
    project, data = _read_project(directory)
    config = data.get("config")
    if config not in (None, {}):
        raise InputError(
            f"{project.file}: config: project-level config is not read by this project's tools; put the keys in the "
            "stack files"
        )
    return project


def _read_project(directory: Path) -> tuple[Project, dict[str, Any]]:
    """The project file in ``directory`` as a ``Project``, and its data."""
    path = find_project_file(directory)
    data = pulumi_yaml.load(path, str(path))
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping with name and runtime, found {type(data).__name__}")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise InputError(f"{path}: name: expected the project name, found {_found(name)}")
    runtime = data.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise InputError(f"{path}: runtime: expected python (the offline preview runs Python programs), found {_found(runtime_name)}")
    main = directory / _path_value(data, "main", "a path to the program (a string)", path)
    if main.is_dir():
        main = main / "__main__.py"
    if not main.is_file():
        raise InputError(f"{path}: main: expected a Python program, found no file at {main}")
    config_dir = directory / _path_value(data, "stackConfigDir", "a directory path (a string)", path)
    project = Project(directory=directory, name=name, runtime="python", main=main, stack_config_dir=config_dir, file=path)
    return project, data


def _path_value(data: dict[str, Any], key: str, expected: str, path: Path) -> str:
    """``data[key]`` when it is a path (a string); the project directory (``"."``) when the key is absent."""
    if key not in data:
        return "."
    value = data[key]
    if not isinstance(value, str):
        raise InputError(f"{path}: {key}: expected {expected}, found {_found(value)}")
    return value


def _found(value: Any) -> str:
    """A project file's value as messages show what was found (``list ["a"]``, ``nothing``), as config errors do."""
    from blueprint.program.config.errors import describe  # blueprint.program.config imports this module: imported when needed

    return describe(value)


def stack_file_path(project_dir: Path, stack: str) -> Path:
    """Where ``stack``'s config lives, honouring ``stackConfigDir`` (the program asks, under the engine too: there,
    project-level config reaches the program, so it is not refused)."""
    return _read_project(project_dir)[0].stack_file(stack)


def read_stack_config(project: Project, stack: str) -> StackConfig:
    """The stack's config as the engine passes it to a program: ``"ns:key" -> string`` (structured as JSON)."""
    path = project.stack_file(stack)
    shown = display_path(project, path)
    if not path.is_file():
        if os.path.lexists(path):
            raise InputError(f"{shown}: {not_a_file(path)}")
        raise InputError(f"{shown}: no such stack file (stacks here: {project.known_stacks()})")
    return stack_config(project, pulumi_yaml.load_file(path, shown), shown)


def stack_config(project: Project, document: YamlNode | None, shown: str) -> StackConfig:
    """What the engine hands the program for a stack file composed as ``document``; ``shown`` names the file."""
    if document is None or isinstance(document, YamlScalar) and document.value is None:
        return StackConfig()
    if not isinstance(document, YamlMapping):
        raise InputError(f"{shown}: expected a mapping with a config key, found {pulumi_yaml.kind(document)}")
    config = document.get("config")
    if config is None or isinstance(config, YamlScalar) and config.value is None:
        return StackConfig()
    if not isinstance(config, YamlMapping):
        raise InputError(f"{shown}: config: expected a mapping of keys to values, found {pulumi_yaml.kind(config)}")
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
            raise InputError(f"{shown}: config: {spelled[full_key]} and {key} are the same key ({full_key}); give it once")
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
        raise InputError(f"{shown}: {key}: holds .nan or .inf, which no program can receive (the engine passes structured values as JSON)") from None


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
