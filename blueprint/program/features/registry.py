"""The registry: the shared stack's Azure ML registry and the curated environments it publishes (``registry``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blueprint.program.config.errors import ConfigIssue
from blueprint.program.config.rules import region_issues
from blueprint.program.environment_templates import load_environment_templates
from blueprint.program.settings import setting
from components import regions
from components.ml_registry import MlRegistry
from components.registry_environments import RegistryEnvironments


@dataclass(frozen=True, kw_only=True)
class RegistrySettings:
    """The organisation's Azure ML registry, where curated environments are published and models are promoted."""

    replication_regions: tuple[str, ...] = setting(
        "replicationRegions", "Regions the registry replicates to (the stack's location is always the primary).",
        default=(), minItems=1, maxItems=10, uniqueItems=True, items={"type": "string", "x-expected": "an Azure region name such as northeurope"},
        convert=lambda names: tuple(regions.normalize_location(name) for name in names),
    )
    templates_path: str = setting("templatesPath", "Directory of the ML templates whose environments are published.", default="ml_templates", minLength=1)


def registry_issues(project: str, values: Mapping[str, Any]) -> list[ConfigIssue]:
    """Replication regions Azure knows."""
    return [
        issue
        for index, region in enumerate(values.get("registry", {}).get("replicationRegions", []))
        for issue in region_issues(project, ["registry", "replicationRegions", index], region, "northeurope")
    ]


@dataclass(frozen=True)
class PublishedRegistry:
    """The registry and the environments published into it."""

    registry: MlRegistry
    environments: RegistryEnvironments
    environment_versions: dict[str, str]


def publish_registry(
    registry: RegistrySettings,
    *,
    project_dir: Path,
    location: str,
    naming: Mapping[str, str],
    tags: Mapping[str, str],
    zone_redundant: bool,
    protect: bool,
) -> PublishedRegistry:
    """Create the registry and seed it with the environments of the templates directory."""
    templates = load_environment_templates(project_dir / registry.templates_path, project_dir)
    created = MlRegistry(
        "registry",
        {
            "location": location,
            "naming": dict(naming),
            "tags": dict(tags),
            "replication_regions": list(registry.replication_regions),
            "zone_redundant": zone_redundant,
            "protect_data": protect,
        },
    )
    environments = RegistryEnvironments(
        "environments",
        {
            "registry_name": created.registry_name,
            "resource_group_name": created.resource_group_name,
            "environments": [
                {
                    "name": t.name,
                    "version": t.version,
                    "image": t.image,
                    "conda_file": t.conda_file,
                    "description": t.description,
                    "os_type": t.os_type,
                    "tags": {**t.tags, "source": t.source},
                }
                for t in templates
            ],
        },
    )
    return PublishedRegistry(created, environments, {t.name: t.version for t in templates})
