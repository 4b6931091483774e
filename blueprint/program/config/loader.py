"""Validate a stack's raw configuration and build its typed stack (:mod:`blueprint.program.stacks.kinds`).

Checks run in two passes: the JSON Schema generated from the features' declarations (shapes, types, ranges,
unknown keys), then the rules that need more than one key or a catalog (VM sizes, regions, environment rules),
which live beside each feature. All problems are reported at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from typing import Any

from blueprint.program.config.errors import ConfigError, ConfigIssue, describe
from blueprint.program.config.rules import key_path, name_issues, named_items, region_issues, region_key, repeated_issues, value_at
from blueprint.program.config.schema import PROVIDER_NAMESPACES, coerce, schema_issues, secret_placeholder_issues
from blueprint.program.features import access, batch, budget, ci, compute, drift, network, registry, serving, state_backend
from blueprint.program.features.encryption import encryption_issues
from blueprint.program.stacks.assets import registry_reference_issues
from blueprint.program.stacks.kinds import Stack, build_stack, kind_issues, kind_refusals
from components.naming import ResourceKind
from components.options import Environment


def load_platform_config(
    raw: Mapping[str, Any],
    *,
    project: str,
    stack: str,
    source: str,
    secret_keys: Collection[str] = (),
) -> Stack:
    """Build the platform config from a stack's whole config map (``"<namespace>:<key>" -> string``).

    ``project`` is the config namespace; ``source`` names the stack file in error messages; ``secret_keys`` are the
    full keys whose values the stack file encrypts (where the offline preview's placeholder may stand). Raises
    :class:`ConfigError` listing every problem.
    """
    own, issues = _split_namespaces(raw, project)
    values, coerce_issues = coerce(project, own)
    issues += coerce_issues
    if not coerce_issues:
        secret = {key.partition(":")[2] for key in secret_keys if key.startswith(f"{project}:")}
        issues += secret_placeholder_issues(project, values, secret)
        issues += schema_issues(project, values, secret)
    if not issues:
        issues += _semantic_issues(project, values)
    if issues:
        raise ConfigError(source, issues)
    return build_stack(values, project=project, stack=stack)


def _split_namespaces(raw: Mapping[str, Any], project: str) -> tuple[dict[str, Any], list[ConfigIssue]]:
    own: dict[str, Any] = {}
    issues: list[ConfigIssue] = []
    allowed = (project, *PROVIDER_NAMESPACES)
    for full_key, value in raw.items():
        namespace, _, key = full_key.partition(":")
        if not key:
            namespace, key = project, full_key
        if namespace == project:
            own[key] = value
        elif namespace not in PROVIDER_NAMESPACES:
            close = difflib.get_close_matches(namespace, allowed, n=1)
            hint = f" (did you mean {close[0]}:{key}?)" if close else ""
            issues.append(
                ConfigIssue(full_key, f"a key in one of the namespaces {', '.join(n + ':' for n in allowed)}", f"an unknown namespace{hint}")
            )
    return own, issues


def _semantic_issues(project: str, values: Mapping[str, Any]) -> list[ConfigIssue]:
    """The features' cross-key rules, in the order a reader of the stack file meets them."""
    issues: list[ConfigIssue] = []
    environment = Environment(values["tags"]["environment"])
    issues += region_issues(project, ["location"], values["location"], "westeurope")
    if "resourceGroupName" in values:
        issues += name_issues(project, ["resourceGroupName"], ResourceKind.RESOURCE_GROUP, values["resourceGroupName"])
    if environment not in (Environment.SHARED, Environment.BOOTSTRAP):
        issues += network.network_issues(project, values, environment)
        issues += access.access_issues(project, values, environment)

    if environment.holds_production_data and values.get("protect") is False:
        issues.append(ConfigIssue(key_path(project, ["protect"]), f"true in {environment.value} (data-bearing resources are always protected there)", describe(False)))
    issues += kind_issues(project, values, environment)
    if environment is Environment.BOOTSTRAP and "stateBackend" in values:
        issues += state_backend.state_backend_issues(project, values["stateBackend"])
    elif environment is Environment.SHARED:
        issues += registry.registry_issues(project, values)
    elif environment is not Environment.BOOTSTRAP:
        serving_issues, drift_needed = serving.serving_issues(project, values, environment)
        issues += serving_issues
        issues += batch.batch_issues(project, values)
        issues += drift.drift_issues(project, values, drift_needed)
        issues += registry_reference_issues(project, values)
        issues += drift.retraining_issues(project, values)
        issues += kind_refusals(project, values, environment)
        issues += encryption_issues(project, values, environment)
    issues += ci.ci_issues(project, values, environment)

    issues += _duplicate_issues(project, values)
    issues += network.network_value_issues(project, values)
    issues += budget.budget_issues(project, values)
    issues += compute.cluster_issues(project, values)
    return issues


def _duplicate_issues(project: str, values: Mapping[str, Any]) -> list[ConfigIssue]:
    """Names Azure (or GitHub, or Entra) tells apart less finely than the schema's uniqueItems."""
    regions_path = ["registry", "replicationRegions"]
    checks: list[tuple[list[Any], list[tuple[Any, str]], str]] = [
        (["endpoints"], named_items(values, ["endpoints"]), "a name not used by another online endpoint of the stack"),
        (["batchEndpoints"], named_items(values, ["batchEndpoints"]), "a name not used by another batch endpoint of the stack"),
        (["monitoring", "webhooks"], named_items(values, ["monitoring", "webhooks"]), "a webhook name not used by another (names are case-insensitive)"),
        (["ci", "environments"], ci.environment_keys(values), "a GitHub environment listed once (GitHub environment names ignore case)"),
        (["access", "extraRoleAssignments"], access.grant_keys(values), "a grant not given twice (same principal, role and scope)"),
        (regions_path, [(i, region_key(r)) for i, r in enumerate(value_at(values, regions_path) or [])], "a region listed once"),
        (["tags"], [(name, name.casefold()) for name in values.get("tags") or {}], "a tag name used once (Azure tag names ignore case)"),
    ]
    return [issue for path, keys, expected in checks for issue in repeated_issues(project, values, path, keys, expected)]
