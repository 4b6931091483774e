"""Environment templates (ml_templates/environments/*/environment.yml) as the registry seeding publishes them.

Read with PyYAML rather than azure-ai-ml: this runs on the preview path, where azure-ai-ml's 3 s import is not
welcome; `blueprint templates validate` checks the same files with azure-ai-ml's loaders. Each environment is
versioned by content: the hash of its definition and its conda file, so a changed template yields a new version
and an unchanged one yields nothing new.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from blueprint.program.config.errors import ConfigError, ConfigIssue, describe

#: Keys of an Azure ML environment YAML that the seeding publishes; the rest would be silently lost, so they are
#: refused (``version`` in particular: versions come from content).
_PUBLISHED_KEYS = {"$schema", "name", "image", "conda_file", "description", "tags", "os_type"}
VERSION_LENGTH = 12
_SUBJECT = "environment template"


@dataclass(frozen=True)
class EnvironmentTemplate:
    """One environment ready to publish: what the registry stores, and the version its content gives."""

    name: str
    image: str
    conda_file: str
    description: str
    version: str
    source: str
    os_type: str = "Linux"
    tags: dict[str, str] = field(default_factory=dict)


def load_environment_templates(templates_root: Path, project_dir: Path) -> list[EnvironmentTemplate]:
    """Every ``environments/<dir>/environment.yml`` under ``templates_root``, sorted by name.

    Raises :class:`ConfigError` naming the file and key of each problem (a missing conda file, an unknown key,
    a duplicate name, ...).
    """
    directory = templates_root / "environments"
    if not directory.is_dir():
        raise ConfigError(_display(templates_root, project_dir), [ConfigIssue("environments/", "a directory of environment templates", "nothing")], _SUBJECT)
    templates: list[EnvironmentTemplate] = []
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("*/environment.y*ml")):
        template = _load_one(path, project_dir)
        if template.name in seen:
            raise ConfigError(template.source, [ConfigIssue("name", f"a name not used by {seen[template.name]}", describe(template.name))], _SUBJECT)
        seen[template.name] = template.source
        templates.append(template)
    return sorted(templates, key=lambda t: t.name)


def content_version(definition: dict[str, Any], conda_text: str) -> str:
    """The version a template's content gives: stable across machines, changed by any meaningful edit."""
    canonical = json.dumps({"definition": definition, "conda": conda_text.replace("\r\n", "\n")}, sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:VERSION_LENGTH]


def _load_one(path: Path, project_dir: Path) -> EnvironmentTemplate:
    source = _display(path, project_dir)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ConfigError(source, [ConfigIssue("(file)", "valid YAML", f"a syntax error: {error}")], _SUBJECT) from None
    if not isinstance(data, dict):
        raise ConfigError(source, [ConfigIssue("(file)", "a mapping of environment settings", describe(data))], _SUBJECT)
    issues = [ConfigIssue(key, f"one of the published keys {', '.join(sorted(_PUBLISHED_KEYS))}", "an unknown key")
              for key in data if key not in _PUBLISHED_KEYS]
    for key in ("name", "image", "conda_file"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            issues.append(ConfigIssue(key, "a non-empty string", describe(data.get(key))))
    conda_text = ""
    if not issues:
        conda_path = path.parent / data["conda_file"]
        if not conda_path.is_file():
            issues.append(ConfigIssue("conda_file", "a conda file next to the environment", f"no file at {_display(conda_path, project_dir)}"))
        else:
            conda_text = conda_path.read_text(encoding="utf-8")
    if issues:
        raise ConfigError(source, issues, _SUBJECT)
    definition = {key: value for key, value in data.items() if key != "$schema"}
    return EnvironmentTemplate(
        name=data["name"],
        image=data["image"],
        conda_file=conda_text,
        description=str(data.get("description", "")),
        version=content_version(definition, conda_text),
        source=source,
        os_type=str(data.get("os_type", "Linux")).capitalize(),
        tags={str(k): str(v) for k, v in (data.get("tags") or {}).items()},
    )


def _display(path: Path, project_dir: Path) -> str:
    try:
        return str(path.relative_to(project_dir))
    except ValueError:
        return str(path)
