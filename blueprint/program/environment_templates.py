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
from urllib.parse import urlsplit

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


# --- What the environments download when Azure ML builds their images: the hosts a managed network must allow ---

#: Where conda looks up a channel given by name: conda's default ``channel_alias``.
CHANNEL_ALIAS_HOST = "conda.anaconda.org"
#: Where conda's ``defaults`` channels live (``default_channels``): read unless a conda file lists ``nodefaults``.
DEFAULTS_CHANNEL_HOST = "repo.anaconda.com"
#: A ``pip:`` section installs from PyPI: the index (pypi.org) and the files it links to (files.pythonhosted.org).
PYPI_HOSTS = ("pypi.org", "files.pythonhosted.org")


def package_hosts(templates: list[EnvironmentTemplate]) -> dict[str, tuple[str, ...]]:
    """Each host an image build of ``templates`` downloads from, with the environments that need it, by host.

    Conda channels by name resolve through the channel alias, ``defaults`` (listed, or implied when ``nodefaults``
    is absent) to Anaconda's repository, URL channels to their own host; a ``pip`` section needs PyPI unless it sets
    its own ``--index-url``. Raises :class:`ConfigError` naming the template for a conda file it cannot read.
    """
    needed: dict[str, set[str]] = {}
    for template in templates:
        for host in _conda_hosts(template):
            needed.setdefault(host, set()).add(template.name)
    return {host: tuple(sorted(names)) for host, names in sorted(needed.items())}


def _conda_hosts(template: EnvironmentTemplate) -> set[str]:
    def refuse(key: str, expected: str, found: object) -> ConfigError:
        return ConfigError(template.source, [ConfigIssue(f"conda_file: {key}", expected, describe(found))], _SUBJECT)

    try:
        conda = yaml.safe_load(template.conda_file) or {}
    except yaml.YAMLError as error:
        raise refuse("(file)", "valid YAML", f"a syntax error: {error}") from None
    if not isinstance(conda, dict):
        raise refuse("(file)", "a mapping with channels and dependencies", conda)
    channels, dependencies = conda.get("channels") or [], conda.get("dependencies") or []
    if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
        raise refuse("channels", "a list of channel names or URLs", channels)
    if not isinstance(dependencies, list):
        raise refuse("dependencies", "a list of packages (and an optional pip section)", dependencies)
    hosts = {host for channel in channels if (host := _channel_host(channel))}
    if "nodefaults" not in channels:
        hosts.add(DEFAULTS_CHANNEL_HOST)
    for dependency in dependencies:
        if isinstance(dependency, str) and "::" in dependency:  # channel::package
            hosts.add(_channel_host(dependency.split("::", 1)[0]) or CHANNEL_ALIAS_HOST)
        elif isinstance(dependency, dict) and "pip" in dependency:
            hosts |= _pip_hosts(dependency["pip"] or [])
    return hosts


def _channel_host(channel: str) -> str | None:
    if channel == "nodefaults" or channel.startswith("file:"):
        return None
    if channel == "defaults":
        return DEFAULTS_CHANNEL_HOST
    if "://" in channel:
        return urlsplit(channel).hostname
    return CHANNEL_ALIAS_HOST


def _pip_hosts(requirements: list[object]) -> set[str]:
    """PyPI, or the index a ``--index-url`` names instead; plus every ``--extra-index-url``."""
    hosts: set[str] = set()
    replaced = False
    for line in (str(r) for r in requirements):
        option, _, url = line.replace("=", " ", 1).partition(" ")
        if option in ("--index-url", "-i", "--extra-index-url") and (host := urlsplit(url.strip()).hostname):
            hosts.add(host)
            replaced = replaced or option != "--extra-index-url"
    return hosts if replaced else hosts | set(PYPI_HOSTS)
