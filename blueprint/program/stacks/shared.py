"""The shared stack: the organisation's Azure ML registry, with the curated environments published into it."""

from __future__ import annotations

from pathlib import Path

from blueprint.program.config.model import PlatformConfig
from blueprint.program.environment_templates import load_environment_templates
from blueprint.program.stacks.ci import compose_ci
from components.ml_registry import MlRegistry
from components.registry_environments import RegistryEnvironments
from components.roles import Scope


def compose_shared(config: PlatformConfig, project_dir: Path) -> dict[str, object]:
    """Create the registry and seed it; return the stack outputs environment stacks read."""
    assert config.registry is not None  # the loader requires it for the shared stack
    templates = load_environment_templates(project_dir / config.registry.templates_path, project_dir)
    naming = {"prefix": config.naming_prefix, "environment": config.environment.value, "seed": config.name_seed}
    registry = MlRegistry(
        "registry",
        {
            "location": config.location,
            "naming": naming,
            "tags": dict(config.tags),
            "replication_regions": list(config.registry.replication_regions),
            "zone_redundant": config.zone_redundant,
            "protect_data": config.protect,
        },
    )
    environments = RegistryEnvironments(
        "environments",
        {
            "registry_name": registry.registry_name,
            "resource_group_name": registry.resource_group_name,
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
    # CI deploys the registry like any other stack: Contributor on the registry's resource group, no secret.
    scopes = {Scope.RESOURCE_GROUP: registry.resource_group_id, Scope.ML_REGISTRY: registry.registry_id}
    ci_outputs = compose_ci(config.ci, naming=naming, location=config.location, scopes=scopes, seed=config.name_seed) if config.ci else {}
    return {
        "environment": config.environment.value,
        "location": config.location,
        "registryName": registry.registry_name,
        "registryId": registry.registry_id,
        "registryResourceGroupName": registry.resource_group_name,
        "environmentVersions": {t.name: t.version for t in templates},
        "environments": environments.environment_ids,
        **ci_outputs,
    }



