"""Validate a stack's raw configuration and build :class:`PlatformConfig`.

Checks run in two passes: the JSON Schema (shapes, types, ranges, unknown keys), then the rules that need more
than one key or a catalog (VM sizes, regions, environment rules). All problems are reported at once.
"""

from __future__ import annotations

import datetime
import difflib
import ipaddress
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from blueprint.program.config.errors import ConfigError, ConfigIssue, describe
from blueprint.program.config.model import (
    AccessConfig,
    BatchEndpointConfig,
    BudgetConfig,
    DeploymentConfig,
    DriftConfig,
    EndpointConfig,
    MonitoringConfig,
    RetrainingConfig,
    CiConfig,
    ClusterConfig,
    ExtraRoleAssignment,
    NetworkConfig,
    OutboundRule,
    PlatformConfig,
    RegistryConfig,
    SecretsKeyConfig,
    StateBackendConfig,
    StateEnvironment,
    StateOperator,
    default_log_retention_days,
    default_network_mode,
)
from blueprint.program.config.schema import PROVIDER_NAMESPACES, coerce, key_path, schema_issues, secret_placeholder_issues
from components import regions, vm_sizes
from components.budget import EARLIEST_START
from components.cron import validate_cron
from components.firewall import allow_list_problems
from components.naming import RULES, ResourceKind, validate_name
from components.options import ClusterTier, Environment, MfaState, NetworkMode, StateNetworkMode
from components.roles import BuiltInRole, Persona, Scope


def load_platform_config(
    raw: Mapping[str, Any],
    *,
    project: str,
    stack: str,
    source: str,
    secret_keys: Collection[str] = (),
) -> PlatformConfig:
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
    return _build(values, project=project, stack=stack)


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
    issues: list[ConfigIssue] = []
    environment = Environment(values["tags"]["environment"])
    try:
        regions.normalize_location(values["location"])
    except regions.UnknownRegionError:
        issues.append(ConfigIssue(key_path(project, ["location"]), "an Azure region name such as westeurope (see components/regions.py)", describe(values["location"])))

    if "resourceGroupName" in values:
        for problem in validate_name(ResourceKind.RESOURCE_GROUP, values["resourceGroupName"]):
            issues.append(ConfigIssue(key_path(project, ["resourceGroupName"]), RULES[ResourceKind.RESOURCE_GROUP].description, f"{describe(values['resourceGroupName'])}, which {problem}"))

    if environment not in (Environment.SHARED, Environment.BOOTSTRAP):
        issues += _network_issues(project, values.get("network", {}), environment)
        issues += _access_issues(project, values.get("access", {}), environment)

    if environment.holds_production_data and values.get("protect") is False:
        issues.append(ConfigIssue(key_path(project, ["protect"]), f"true in {environment.value} (data-bearing resources are always protected there)", describe(False)))
    issues += _stack_kind_issues(project, values, environment)
    if "ci" in values:
        issues += _ci_issues(project, values["ci"], environment)

    issues += _duplicate_issues(project, values)
    issues += _value_issues(project, values)

    seen: set[str] = set()
    for index, cluster in enumerate(values.get("clusters", ())):
        name = cluster["name"]
        if name.lower() in seen:
            issues.append(ConfigIssue(key_path(project, ["clusters", index, "name"]), "a name not used by another cluster", describe(name)))
        seen.add(name.lower())
        for problem in validate_name(ResourceKind.ML_COMPUTE_CLUSTER, name):
            issues.append(ConfigIssue(key_path(project, ["clusters", index, "name"]), RULES[ResourceKind.ML_COMPUTE_CLUSTER].description, f"{describe(name)}, which {problem}"))
        try:
            vm_sizes.lookup(cluster["vmSize"])
        except vm_sizes.UnknownVmSizeError as error:
            hint = f" (did you mean {' or '.join(error.suggestions)}?)" if error.suggestions else ""
            issues.append(ConfigIssue(key_path(project, ["clusters", index, "vmSize"]), "a VM size from the catalog components/data/vm_sizes.json", describe(cluster["vmSize"]) + hint))
        min_nodes = cluster.get("minNodes", 0)
        if min_nodes > cluster["maxNodes"]:
            issues.append(ConfigIssue(key_path(project, ["clusters", index, "minNodes"]), f"at most maxNodes ({cluster['maxNodes']})", describe(min_nodes)))
    return issues


def _duplicate_issues(project: str, values: Mapping[str, Any]) -> list[ConfigIssue]:
    """Names Azure (or GitHub, or Entra) tells apart less finely than the schema's uniqueItems: two of them would
    collide as one resource, or one would silently replace the other in the plan."""
    issues: list[ConfigIssue] = []

    def once(path: list[Any], items: list[tuple[Any, str]], expected: str) -> None:
        seen: dict[str, Any] = {}
        for index, key in items:
            if key in seen:
                issues.append(ConfigIssue(key_path(project, [*path, index]), f"{expected} (it repeats item {seen[key]})", describe(_at(values, [*path, index]))))
            else:
                seen[key] = index

    def named(path: list[Any], field: str = "name") -> list[tuple[Any, str]]:
        return [(index, str(item.get(field, "")).casefold()) for index, item in enumerate(_at(values, path) or []) if isinstance(item, Mapping)]

    once(["endpoints"], named(["endpoints"]), "a name not used by another online endpoint of the stack")
    once(["batchEndpoints"], named(["batchEndpoints"]), "a name not used by another batch endpoint of the stack")
    once(["monitoring", "webhooks"], named(["monitoring", "webhooks"]), "a webhook name not used by another (names are case-insensitive)")
    ci = values.get("ci") or {}
    once(["ci", "environments"], [(i, str(e).casefold()) for i, e in enumerate(ci.get("environments", []))],
         "a GitHub environment listed once (GitHub environment names ignore case)")
    grants = (values.get("access") or {}).get("extraRoleAssignments", [])
    once(["access", "extraRoleAssignments"],
         [(i, "|".join(str(g.get(k, "")).casefold() for k in ("principalId", "role", "scope"))) for i, g in enumerate(grants)],
         "a grant not given twice (same principal, role and scope)")
    regions_path = ["registry", "replicationRegions"]
    once(regions_path, [(i, _region_key(r)) for i, r in enumerate(_at(values, regions_path) or [])], "a region listed once")
    tags = values.get("tags") or {}
    once(["tags"], [(name, name.casefold()) for name in tags], "a tag name used once (Azure tag names ignore case)")
    return issues


def _value_issues(project: str, values: Mapping[str, Any]) -> list[ConfigIssue]:
    """Values the schema's patterns admit but Azure refuses."""
    issues: list[ConfigIssue] = []
    space = (values.get("network") or {}).get("addressSpace")
    if isinstance(space, str):
        try:
            ipaddress.ip_network(space, strict=True)
        except ValueError:
            base = ipaddress.ip_network(space, strict=False)
            issues.append(ConfigIssue(key_path(project, ["network", "addressSpace"]), f"a network address without host bits, such as {base}", describe(space)))
    for name, rule in ((values.get("network") or {}).get("outboundRules") or {}).items():
        ports = rule.get("portRanges") if isinstance(rule, Mapping) else None
        if isinstance(ports, str) and ports != "*":
            for part in ports.split(","):
                low, _, high = part.partition("-")
                if not 1 <= int(low) <= int(high or low) <= 65535:
                    issues.append(ConfigIssue(key_path(project, ["network", "outboundRules", name, "portRanges"]), "ports from 1 to 65535, each range low to high", describe(ports)))
                    break
    start = (values.get("budget") or {}).get("startDate")
    if isinstance(start, str) and start < EARLIEST_START.isoformat():
        issues.append(ConfigIssue(key_path(project, ["budget", "startDate"]), f"the first of a month from {EARLIEST_START.isoformat()} on (Azure budgets track nothing earlier)", describe(start)))
    return issues


def _at(values: Mapping[str, Any], path: list[Any]) -> Any:
    node: Any = values
    for part in path:
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return None
    return node


def _region_key(region: Any) -> str:
    try:
        return regions.normalize_location(region)
    except (regions.UnknownRegionError, TypeError, AttributeError):
        return str(region)


#: Keys that belong to environment stacks only, to the shared stack only, and to the bootstrap stack only.
_ENVIRONMENT_ONLY = (
    "clusters", "network", "access", "sharedStack", "resourceGroupName",
    "endpoints", "batchEndpoints", "monitoring", "drift", "retraining", "budget",
)
_SHARED_ONLY = ("registry",)
_BOOTSTRAP_ONLY = ("stateBackend",)


def _stack_kind_issues(project: str, values: Mapping[str, Any], environment: Environment) -> list[ConfigIssue]:
    """The shared stack holds the registry, the bootstrap stack the state backend; environment stacks hold
    workspaces, clusters and people. A key of another kind of stack is an error naming what the stack holds."""
    issues: list[ConfigIssue] = []

    def refuse(keys: tuple[str, ...], expected: str) -> None:
        for key in keys:
            if key in values:
                issues.append(ConfigIssue(key_path(project, [key]), expected, describe(values[key])))

    if environment is Environment.BOOTSTRAP:
        if "stateBackend" not in values:
            issues.append(ConfigIssue(key_path(project, ["stateBackend"]), "the state backend settings of the bootstrap stack (a mapping with operators and environments)", "nothing (the key is required when tags.environment is bootstrap)"))
        only_state = "no such key in the bootstrap stack (it holds the Pulumi state backend only)"
        refuse(_ENVIRONMENT_ONLY + _SHARED_ONLY, only_state)
        refuse(("ci",), "no ci in the bootstrap stack (an administrator applies it, never CI; CI identities get their access through stateBackend.environments.<name>.stacks)")
        if "stateBackend" in values:
            issues += _state_backend_issues(project, values["stateBackend"])
    elif environment is Environment.SHARED:
        if "registry" not in values:
            issues.append(ConfigIssue(key_path(project, ["registry"]), "the registry settings of the shared stack (a mapping; replicationRegions optional)", "nothing (the key is required when tags.environment is shared)"))
        refuse(_ENVIRONMENT_ONLY, "no such key in the shared stack (it holds the registry only)")
        refuse(_BOOTSTRAP_ONLY, "no such key in the shared stack (only the bootstrap stack holds the state backend)")
        for index, region in enumerate(values.get("registry", {}).get("replicationRegions", [])):
            try:
                regions.normalize_location(region)
            except regions.UnknownRegionError:
                issues.append(ConfigIssue(key_path(project, ["registry", "replicationRegions", index]), "an Azure region name such as northeurope (see components/regions.py)", describe(region)))
    else:
        if not values.get("clusters"):
            issues.append(ConfigIssue(key_path(project, ["clusters"]), "at least one compute cluster in an environment stack", describe(values.get("clusters"))))
        for key, what in (("monitoring", "where alerts go (monitoring.emails)"), ("budget", "a monthly budget (budget.monthlyAmount, budget.startDate)")):
            if key not in values:
                issues.append(ConfigIssue(key_path(project, [key]), f"{what}: every environment has one", "nothing"))
        issues += _serving_issues(project, values, environment)
        refuse(_SHARED_ONLY, f"no such key in a {environment.value} stack (only the shared stack holds the registry; reference it with sharedStack)")
        refuse(_BOOTSTRAP_ONLY, f"no such key in a {environment.value} stack (only the bootstrap stack holds the state backend)")
    return issues


def _state_backend_issues(project: str, backend: Mapping[str, Any]) -> list[ConfigIssue]:
    """Rules of the state backend that span keys: network mode and allow-list, restore window, names, operators."""
    issues: list[ConfigIssue] = []

    def issue(path: list[Any], expected: str, found: str) -> None:
        issues.append(ConfigIssue(key_path(project, ["stateBackend", *path]), expected, found))

    network = backend.get("network", {})
    mode = StateNetworkMode(network.get("mode", StateNetworkMode.ALLOW_LIST.value))
    ranges = network.get("allowedIpRanges", [])
    if mode is StateNetworkMode.ALLOW_LIST and not ranges:
        issue(["network", "allowedIpRanges"], "at least one IP range in allowList mode (the administrators' and CI egress addresses), or mode private", "nothing")
    if mode is StateNetworkMode.PRIVATE and ranges:
        issue(["network", "allowedIpRanges"], "no allow-list in private mode (public network access is disabled)", describe(ranges))
    if mode is StateNetworkMode.ALLOW_LIST:
        issues += _allow_list_issues(project, ["stateBackend", "network", "allowedIpRanges"], ranges)

    soft_delete = backend.get("softDeleteDays", StateBackendConfig.soft_delete_days)
    restore = backend.get("restoreDays")
    if restore is not None and restore >= soft_delete:
        issue(["restoreDays"], f"fewer days than softDeleteDays ({soft_delete}): Azure keeps point-in-time restore inside the soft-delete window", describe(restore))

    container = backend.get("containerName", StateBackendConfig.container_name)
    for problem in validate_name(ResourceKind.BLOB_CONTAINER, container):
        issue(["containerName"], RULES[ResourceKind.BLOB_CONTAINER].description, f"{describe(container)}, which {problem}")

    keys: list[tuple[list[Any], Mapping[str, Any]]] = []
    owner: dict[str, str] = {}
    for name, env in backend.get("environments", {}).items():
        at = ["environments", name]
        keys.append(([*at, "secretsKey"], env["secretsKey"]))
        keys += [([*at, "retiredSecretsKeys", i], key) for i, key in enumerate(env.get("retiredSecretsKeys", []))]
        for index, stack in enumerate(env.get("stacks", [])):
            if stack in owner:
                issue([*at, "stacks", index], f"a stack listed in one environment only (it is already in {owner[stack]})", describe(stack))
            owner.setdefault(stack, name)
    seen_keys: set[str] = set()
    for path, key in keys:
        name = key.get("name", "")
        if name.lower() in seen_keys:
            issue([*path, "name"], "a key name not used by another secrets key (Key Vault names are case-insensitive)", describe(name))
        seen_keys.add(name.lower())
        if "expiresOn" in key and _date(key["expiresOn"]) is None:
            issue([*path, "expiresOn"], "a real calendar date YYYY-MM-DD", describe(key["expiresOn"]))
    for index, stack in enumerate(backend.get("referencedStacks", [])):
        if stack not in owner:
            issue(["referencedStacks", index], f"a stack listed under environments.<name>.stacks (listed: {', '.join(sorted(owner)) or 'none'}), whose key its readers need", describe(stack))

    seen_operators: set[str] = set()
    for index, operator in enumerate(backend.get("operators", [])):
        principal = operator["principalId"].lower()
        if principal in seen_operators:
            issue(["operators", index, "principalId"], "a principal not listed twice", describe(operator["principalId"]))
        seen_operators.add(principal)
    return issues


def _date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _serving_issues(project: str, values: Mapping[str, Any], environment: Environment) -> list[ConfigIssue]:
    """Endpoints, batch scoring, drift and retraining: rules that span keys."""
    issues: list[ConfigIssue] = []
    clusters = {c["name"] for c in values.get("clusters", [])}
    drift_needed = False
    for e_index, endpoint in enumerate(values.get("endpoints", [])):
        at = ["endpoints", e_index]
        if endpoint.get("publicNetworkAccess") and environment is not Environment.DEV:
            issues.append(ConfigIssue(key_path(project, [*at, "publicNetworkAccess"]), f"false in {environment.value} (public endpoints are for dev only)", describe(True)))
        deployments = endpoint["deployments"]
        names = [d["name"] for d in deployments]
        traffic = [d.get("trafficPercent", 100 if len(deployments) == 1 else None) for d in deployments]
        for d_index, deployment in enumerate(deployments):
            where = [*at, "deployments", d_index]
            if names.count(deployment["name"]) > 1:
                issues.append(ConfigIssue(key_path(project, [*where, "name"]), "a name not used by another deployment of the endpoint", describe(deployment["name"])))
            low = deployment.get("minInstances", 1)
            if low > deployment["maxInstances"]:
                issues.append(ConfigIssue(key_path(project, [*where, "minInstances"]), f"at most maxInstances ({deployment['maxInstances']})", describe(low)))
            try:
                vm_sizes.lookup(deployment["instanceType"])
            except vm_sizes.UnknownVmSizeError as error:
                hint = f" (did you mean {' or '.join(error.suggestions)}?)" if error.suggestions else ""
                issues.append(ConfigIssue(key_path(project, [*where, "instanceType"]), "a VM size from the catalog components/data/vm_sizes.json", describe(deployment["instanceType"]) + hint))
            if traffic[d_index] is None:
                issues.append(ConfigIssue(key_path(project, [*where, "trafficPercent"]), "a traffic share when an endpoint has several deployments", "nothing"))
            if deployment.get("monitorDrift", environment is Environment.PROD and (traffic[d_index] or 0) > 0):
                drift_needed = True
        if None not in traffic and sum(traffic) != 100:
            issues.append(ConfigIssue(key_path(project, [*at, "deployments"]), "traffic percentages summing to 100", f"a total of {sum(traffic)}"))
    for index, batch in enumerate(values.get("batchEndpoints", [])):
        if batch["cluster"] not in clusters:
            issues.append(ConfigIssue(key_path(project, ["batchEndpoints", index, "cluster"]), f"one of this stack's clusters ({', '.join(sorted(clusters))})", describe(batch["cluster"])))
    if drift_needed and "drift" not in values:
        issues.append(ConfigIssue(key_path(project, ["drift"]), "drift settings (baselineData, thresholds): a deployment is monitored for drift", "nothing"))
    drift = values.get("drift", {})
    if "cron" in drift:
        issues += [ConfigIssue(key_path(project, ["drift", "cron"]), "a five-field cron expression such as 0 3 * * *", f"{describe(drift['cron'])}: {problem}") for problem in validate_cron(drift["cron"])]
    references = [
        (["endpoints", e, "deployments", d, "model"], deployment["model"])
        for e, endpoint in enumerate(values.get("endpoints", []))
        for d, deployment in enumerate(endpoint["deployments"])
    ] + [(["batchEndpoints", b, "model"], batch["model"]) for b, batch in enumerate(values.get("batchEndpoints", []))]
    if "retraining" in values:
        references.append((["retraining", "pipelineComponent"], values["retraining"]["pipelineComponent"]))
    if "sharedStack" not in values:
        for path, reference in references:
            if reference.startswith("registry:"):
                issues.append(ConfigIssue(key_path(project, path), "a full azureml: reference, or a sharedStack whose registry holds the asset", describe(reference)))
    retraining = values.get("retraining")
    if retraining is not None:
        if ("cron" in retraining) == ("recurrence" in retraining):
            issues.append(ConfigIssue(key_path(project, ["retraining"]), "exactly one of cron or recurrence", "both" if "cron" in retraining else "neither"))
        if "cron" in retraining:
            issues += [ConfigIssue(key_path(project, ["retraining", "cron"]), "a five-field cron expression such as 0 2 * * 1", f"{describe(retraining['cron'])}: {problem}") for problem in validate_cron(retraining["cron"])]
        if "cluster" in retraining and retraining["cluster"] not in clusters:
            issues.append(ConfigIssue(key_path(project, ["retraining", "cluster"]), f"one of this stack's clusters ({', '.join(sorted(clusters))})", describe(retraining["cluster"])))
    return issues


def _ci_issues(project: str, ci: Mapping[str, Any], environment: Environment) -> list[ConfigIssue]:
    """Each CI identity trusts its own GitHub environment: two identities trusting one subject would let a job of
    that environment pick the stronger one. Prod previews wait for a reviewer, never for any pull request."""
    issues: list[ConfigIssue] = []
    deploy = {name.casefold() for name in ci["environments"]}
    if environment is Environment.PROD and "previewEnvironment" not in ci:
        issues.append(ConfigIssue(key_path(project, ["ci", "previewEnvironment"]), "a GitHub environment with required reviewers for previews of a prod stack (pull requests never read prod's state or secrets)", "nothing"))
    if environment is Environment.SHARED and "modelsEnvironment" in ci:
        issues.append(ConfigIssue(key_path(project, ["ci", "modelsEnvironment"]), "no models identity in the shared stack (models are trained in an environment stack's workspace)", describe(ci["modelsEnvironment"])))
    others: dict[str, str] = {}
    for key in ("previewEnvironment", "modelsEnvironment"):
        if key not in ci:
            continue
        name = ci[key].casefold()
        if name in deploy or name in others:
            clash = "ci.environments" if name in deploy else others[name]
            issues.append(ConfigIssue(key_path(project, ["ci", key]), f"a GitHub environment of its own (not one of {clash}: one environment's jobs would get both identities)", describe(ci[key])))
        others[name] = f"ci.{key}"
    return issues


def _network_issues(project: str, network: Mapping[str, Any], environment: Environment) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    mode = NetworkMode(network.get("mode", default_network_mode(environment).value))

    def issue(key: str, expected: str) -> None:
        issues.append(ConfigIssue(key_path(project, ["network", key]), expected, describe(network.get(key))))

    if mode is NetworkMode.PUBLIC:
        if environment is not Environment.DEV:
            issue("mode", f"managed or private in {environment.value} (public networking is for dev only)")
        if not network.get("allowedIpRanges"):
            issue("allowedIpRanges", "at least one IP range: public mode is never open to the whole Internet")
        issues += _allow_list_issues(project, ["network", "allowedIpRanges"], network.get("allowedIpRanges", []))
    elif network.get("allowedIpRanges"):
        issue("allowedIpRanges", f"no allow-list in {mode.value} mode (public network access is disabled)")
    if "addressSpace" in network and mode is not NetworkMode.PRIVATE:
        issue("addressSpace", f"no address space in {mode.value} mode (only private mode creates a VNet)")
    if network.get("outboundRules") and mode is NetworkMode.PUBLIC:
        issue("outboundRules", "no outbound rules in public mode (outbound to the Internet is already allowed)")
    return issues


def _allow_list_issues(project: str, path: list[Any], ranges: Sequence[str]) -> list[ConfigIssue]:
    """The floor every public allow-list keeps (components/firewall.py), reported on the entry that breaks it, or
    on the list when only the entries together admit too much."""
    return [
        ConfigIssue(key_path(project, path), problem.rule, problem.finding)
        if problem.index is None
        else ConfigIssue(key_path(project, [*path, problem.index]), problem.rule, f"{describe(ranges[problem.index])}, {problem.finding}")
        for problem in allow_list_problems(ranges)
    ]


def _access_issues(project: str, access: Mapping[str, Any], environment: Environment) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    mfa = access.get("mfa", {})
    if mfa.get("state") == "reportOnly" and environment is not Environment.DEV:
        issues.append(ConfigIssue(key_path(project, ["access", "mfa", "state"]), f"enabled in {environment.value} (report-only MFA is allowed in dev only)", describe("reportOnly")))
    break_glass = access.get("breakGlass", {})
    if mfa.get("allCloudApps") and not (break_glass.get("userIds") or break_glass.get("groupIds")):
        issues.append(ConfigIssue(key_path(project, ["access", "breakGlass"]), "at least one break-glass user or group when MFA covers all cloud apps (or nobody can recover a broken policy)", "nothing"))
    for index, grant in enumerate(access.get("extraRoleAssignments", [])):
        role = _BUILT_IN_BY_NAME.get(grant["role"].lower())
        if role is None or role in _NOT_GRANTABLE_BY_CONFIG:
            allowed = ", ".join(sorted(r.value for r in BuiltInRole if r not in _NOT_GRANTABLE_BY_CONFIG))
            issues.append(ConfigIssue(key_path(project, ["access", "extraRoleAssignments", index, "role"]), f"one of {allowed}", describe(grant["role"])))
    return issues


#: Roles only the platform itself grants (to its CI identity and its workspace identity), never through config.
_NOT_GRANTABLE_BY_CONFIG = frozenset(
    {BuiltInRole.CONTRIBUTOR, BuiltInRole.ROLE_BASED_ACCESS_CONTROL_ADMINISTRATOR, BuiltInRole.KEY_VAULT_ADMINISTRATOR}
)
_BUILT_IN_BY_NAME = {role.value.lower(): role for role in BuiltInRole}


def _build(values: Mapping[str, Any], *, project: str, stack: str) -> PlatformConfig:
    environment = Environment(values["tags"]["environment"])
    network = values.get("network", {})
    access = values.get("access", {})
    ci = values.get("ci")
    return PlatformConfig(
        project=project,
        stack=stack,
        location=regions.normalize_location(values["location"]),
        naming_prefix=values["namingPrefix"],
        tags=dict(values["tags"]),
        network=NetworkConfig(
            mode=NetworkMode(network.get("mode", default_network_mode(environment).value)),
            allowed_ip_ranges=tuple(network.get("allowedIpRanges", ())),
            address_space=network.get("addressSpace", NetworkConfig.address_space),
            outbound_rules=tuple(
                OutboundRule(
                    name=name,
                    fqdn=rule.get("fqdn"),
                    service_tag=rule.get("serviceTag"),
                    protocol=rule.get("protocol", "TCP"),
                    port_ranges=rule.get("portRanges", "443"),
                )
                for name, rule in sorted(network.get("outboundRules", {}).items())
            ),
        ),
        clusters=tuple(
            ClusterConfig(
                name=cluster["name"],
                vm_size=vm_sizes.lookup(cluster["vmSize"]).name,
                max_nodes=int(cluster["maxNodes"]),
                min_nodes=int(cluster.get("minNodes", 0)),
                tier=ClusterTier(cluster.get("tier", ClusterTier.DEDICATED.value)),
                idle_seconds_before_scale_down=int(cluster.get("idleSecondsBeforeScaleDown", 120)),
            )
            for cluster in values.get("clusters", ())
        ),
        protect=bool(values.get("protect", environment.holds_production_data)),
        log_retention_days=int(values.get("logRetentionDays", default_log_retention_days(environment))),
        resource_group_name=values.get("resourceGroupName"),
        access=AccessConfig(
            group_owners=tuple(access.get("groupOwners", ())),
            existing_groups={Persona(key): value for key, value in access.get("existingGroups", {}).items()},
            break_glass_user_ids=tuple(access.get("breakGlass", {}).get("userIds", ())),
            break_glass_group_ids=tuple(access.get("breakGlass", {}).get("groupIds", ())),
            mfa_state=MfaState.REPORT_ONLY if access.get("mfa", {}).get("state") == "reportOnly" else MfaState.ENABLED,
            mfa_all_cloud_apps=bool(access.get("mfa", {}).get("allCloudApps", False)),
            authentication_strength_policy_id=access.get("mfa", {}).get("authenticationStrengthPolicyId"),
            extra_role_assignments=tuple(
                ExtraRoleAssignment(
                    principal_id=grant["principalId"],
                    principal_type=grant["principalType"],
                    role=_BUILT_IN_BY_NAME[grant["role"].lower()],
                    scope=Scope(grant["scope"]),
                    description=grant.get("description", ""),
                )
                for grant in access.get("extraRoleAssignments", ())
            ),
        ),
        ci=CiConfig(ci["repository"], tuple(ci["environments"]), ci.get("previewEnvironment"), ci.get("modelsEnvironment")) if ci else None,
        registry=RegistryConfig(
            replication_regions=tuple(regions.normalize_location(r) for r in values["registry"].get("replicationRegions", ())),
            templates_path=values["registry"].get("templatesPath", RegistryConfig.templates_path),
        )
        if "registry" in values
        else None,
        shared_stack=values.get("sharedStack"),
        endpoints=tuple(_endpoint(e, environment) for e in values.get("endpoints", ())),
        batch_endpoints=tuple(
            BatchEndpointConfig(b["name"], b["model"], b["cluster"], int(b.get("miniBatchSize", 10)))
            for b in values.get("batchEndpoints", ())
        ),
        monitoring=_monitoring(values["monitoring"]) if "monitoring" in values else None,
        drift=DriftConfig(
            baseline_data=values["drift"]["baselineData"],
            data_drift_threshold=float(values["drift"].get("dataDriftThreshold", 0.1)),
            prediction_drift_threshold=float(values["drift"].get("predictionDriftThreshold", 0.1)),
            null_rate_threshold=float(values["drift"].get("nullRateThreshold", 0.05)),
            cron=values["drift"].get("cron", DriftConfig.cron),
        )
        if "drift" in values
        else None,
        retraining=_retraining(values["retraining"], values.get("clusters", [])) if "retraining" in values else None,
        budget=BudgetConfig(
            monthly_amount=float(values["budget"]["monthlyAmount"]),
            start_date=values["budget"]["startDate"],
            actual_thresholds=tuple(values["budget"].get("actualThresholds", BudgetConfig.actual_thresholds)),
            forecast_thresholds=tuple(values["budget"].get("forecastThresholds", BudgetConfig.forecast_thresholds)),
            peak_hours_per_month=float(values["budget"].get("peakHoursPerMonth", BudgetConfig.peak_hours_per_month)),
        )
        if "budget" in values
        else None,
        state_backend=_state_backend(values["stateBackend"]) if "stateBackend" in values else None,
        generation=int(values.get("generation", 1)),
    )


def _state_backend(backend: Mapping[str, Any]) -> StateBackendConfig:
    network = backend.get("network", {})
    soft_delete = int(backend.get("softDeleteDays", StateBackendConfig.soft_delete_days))
    return StateBackendConfig(
        operators=tuple(
            StateOperator(o["principalId"].lower(), o["principalType"], o.get("description", ""), o.get("access") == "read")
            for o in backend["operators"]
        ),
        environments=tuple(
            StateEnvironment(
                name=name,
                secrets_key=_secrets_key(env["secretsKey"]),
                retired_secrets_keys=tuple(_secrets_key(k) for k in env.get("retiredSecretsKeys", ())),
                stacks=tuple(env.get("stacks", ())),
            )
            for name, env in sorted(backend["environments"].items())
        ),
        referenced_stacks=tuple(backend.get("referencedStacks", ())),
        network_mode=StateNetworkMode(network.get("mode", StateNetworkMode.ALLOW_LIST.value)),
        allowed_ip_ranges=tuple(network.get("allowedIpRanges", ())),
        container_name=backend.get("containerName", StateBackendConfig.container_name),
        redundancy=backend.get("redundancy", StateBackendConfig.redundancy),
        soft_delete_days=soft_delete,
        restore_days=int(backend.get("restoreDays", soft_delete - 1)),
        notify_days_before_expiry=int(backend.get("notifyDaysBeforeExpiry", StateBackendConfig.notify_days_before_expiry)),
        mfa_policy=bool(backend.get("mfaPolicy", True)),
    )


def _secrets_key(key: Mapping[str, Any]) -> SecretsKeyConfig:
    return SecretsKeyConfig(name=key["name"], expires_on=key["expiresOn"])


def _endpoint(endpoint: Mapping[str, Any], environment: Environment) -> EndpointConfig:
    deployments = endpoint["deployments"]
    built = []
    for deployment in deployments:
        traffic = int(deployment.get("trafficPercent", 100 if len(deployments) == 1 else 0))
        built.append(
            DeploymentConfig(
                name=deployment["name"],
                model=deployment["model"],
                instance_type=vm_sizes.lookup(deployment["instanceType"]).name,
                min_instances=int(deployment.get("minInstances", 1)),
                max_instances=int(deployment["maxInstances"]),
                traffic_percent=traffic,
                monitor_drift=bool(deployment.get("monitorDrift", environment is Environment.PROD and traffic > 0)),
            )
        )
    return EndpointConfig(
        name=endpoint["name"],
        deployments=tuple(built),
        key_auth=endpoint.get("authMode") == "key",
        public_network_access=bool(endpoint.get("publicNetworkAccess", False)),
        route_traffic=bool(endpoint.get("routeTraffic", True)),
    )


def _monitoring(monitoring: Mapping[str, Any]) -> MonitoringConfig:
    return MonitoringConfig(
        emails=tuple(monitoring["emails"]),
        webhooks=tuple((w["name"], w["uri"]) for w in monitoring.get("webhooks", ())),
        latency_ms=int(monitoring.get("latencyMs", 1000)),
        server_errors_per_minute=int(monitoring.get("serverErrorsPerMinute", 5)),
        failed_jobs=int(monitoring.get("failedJobs", 1)),
        cluster_node_usage_percent=int(monitoring.get("clusterNodeUsagePercent", 80)),
    )


def _retraining(retraining: Mapping[str, Any], clusters: list[Mapping[str, Any]]) -> RetrainingConfig:
    recurrence = retraining.get("recurrence")
    return RetrainingConfig(
        pipeline_component=retraining["pipelineComponent"],
        inputs=dict(sorted(retraining["inputs"].items())),
        cluster=retraining.get("cluster", clusters[0]["name"]),
        cron=retraining.get("cron"),
        recurrence=(recurrence["frequency"], int(recurrence["interval"])) if recurrence else None,
        time_zone=retraining.get("timeZone", "UTC"),
    )
