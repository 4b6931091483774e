"""The shared stack: the organisation's Azure ML registry, with the curated environments published into it."""

from __future__ import annotations

from pathlib import Path

from blueprint.program import stack_facts
from blueprint.program.features.ci import compose_ci
from blueprint.program.features.registry import publish_registry
from blueprint.program.stacks.kinds import SharedStack
from components.roles import Scope


def compose_shared(stack: SharedStack, project_dir: Path) -> dict[str, object]:
    """Create the registry and seed it; return the stack outputs environment stacks read."""
    published = publish_registry(
        stack.registry, project_dir=project_dir, location=stack.location, naming=stack.naming, tags=stack.tags,
        zone_redundant=stack.zone_redundant, protect=stack.protect,
    )
    registry = published.registry
    # CI deploys the registry like any other stack: Contributor on the registry's resource group, no secret.
    scopes = {Scope.RESOURCE_GROUP: registry.resource_group_id, Scope.ML_REGISTRY: registry.registry_id}
    ci_outputs = compose_ci(stack.ci, naming=stack.naming, location=stack.location, scopes=scopes, seed=stack.name_seed)
    return {
        stack_facts.ENVIRONMENT: stack.environment.value,
        stack_facts.LOCATION: stack.location,
        "registryName": registry.registry_name,
        "registryId": registry.registry_id,
        "registryResourceGroupName": registry.resource_group_name,
        "environmentVersions": published.environment_versions,
        "environments": published.environments.environment_ids,
        **ci_outputs,
    }
