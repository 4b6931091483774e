"""The README's table of the shipped stacks, written from their plans (scripts/generate_reference.py).

Every cell is read from what a stack's preview would create (network, clusters, serving and ML jobs, data
protection, resource count, always-on cost), so the table cannot claim what the stacks do not do: a stack file that
changes makes the table stale, and ``generate_reference.py --check`` (run by the tests) says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from blueprint.tools.preview.plan import Plan, PlannedResource

#: The README's block this module writes, between these markers.
BLOCK = "stacks-table"

_STORAGE = "azure-native:storage:StorageAccount"
_BLOBS = "azure-native:storage:BlobServiceProperties"
_VAULT = "azure-native:keyvault:Vault"
_CONTAINER_REGISTRY = "azure-native:containerregistry:Registry"
_ML_REGISTRY = "azure-native:machinelearningservices:Registry"
_WORKSPACE = "azure-native:machinelearningservices:Workspace"
_LOGS = "azure-native:operationalinsights:Workspace"
_LOCK = "azure-native:authorization:ManagementLockAtResourceGroupLevel"
_CLUSTER = "azure-native:machinelearningservices:Compute"
_ONLINE_ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
_ONLINE_DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"
_BATCH_ENDPOINT = "azure-native:machinelearningservices:BatchEndpoint"
_SCHEDULE = "azure-native:machinelearningservices:Schedule"
_PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint"
_PRIVATE_ZONE = "azure-native:privatedns:PrivateZone"
_VNET = "azure-native:network:VirtualNetwork"
_KEY = "azure-native:keyvault:Key"
_ENVIRONMENT_VERSION = "azure-native:machinelearningservices:RegistryEnvironmentVersion"
_ARM_DEPLOYMENT = "azure-native:resources:Deployment"
_AUTOSCALE = "azure-native:monitor:AutoscaleSetting"
_DATA_BEARING = (_STORAGE, _VAULT, _CONTAINER_REGISTRY, _WORKSPACE, _ML_REGISTRY)

HEADER = ("| Stack | Network | Clusters (VM size, nodes min-max) | Serving and ML jobs | Data protection "
          "| Resources to create | Always on (est.) |\n|---|---|---|---|---|---|---|\n")


#: Rows in the order a reader meets the environments: the lifecycle, then the organisation-wide stacks.
_ENVIRONMENT_ORDER = ("dev", "test", "staging", "prod", "shared", "bootstrap")


def stack_table(plans: Iterable[Plan]) -> str:
    """The Markdown table, one row per plan: by environment along the lifecycle, then by stack name."""
    def rank(plan: Plan) -> tuple[int, str]:
        environment = plan.environment
        return (_ENVIRONMENT_ORDER.index(environment) if environment in _ENVIRONMENT_ORDER else len(_ENVIRONMENT_ORDER), plan.stack)

    return HEADER + "".join(_row(plan) for plan in sorted(plans, key=rank))


def _row(plan: Plan) -> str:
    cells = [f"`{plan.stack}`" + ("" if _has_ci(plan) else " (no CI identity)"),
             _network(plan), _clusters(plan), _serving(plan), _protection(plan), str(_created(plan)), _cost(plan)]
    return "| " + " | ".join(cells) + " |\n"


def _has_ci(plan: Plan) -> bool:
    return "ciPrincipalIds" in plan.outputs or plan.environment == "bootstrap"  # bootstrap is applied by hand


def _created(plan: Plan) -> int:
    return sum(1 for r in plan.resources if r.custom and r.operation == "create")


def _network(plan: Plan) -> str:
    mode = plan.outputs.get("networkMode")
    parts = []
    if mode == "public":
        parts.append("public tier")
    elif mode in ("managed", "private"):
        isolation = _workspace(plan).inputs.get("managedNetwork", {}).get("isolationMode")
        approved = "approved outbound only" if isolation == "AllowOnlyApprovedOutbound" else f"outbound {isolation}"
        parts.append(f"{mode} tier: workspace managed VNet, {approved}")
    if mode == "private":
        vnet = "its own VNet" if plan.of_type(_VNET) else "an existing VNet (landing zone)"
        zones = len(plan.of_type(_PRIVATE_ZONE))
        dns = f"{zones} private DNS zones" if zones else "existing private DNS zones (hub)"
        parts.append(f"{len(plan.of_type(_PRIVATE_ENDPOINT))} private endpoints in {vnet}, {dns}")
    bearing = _data_bearing(plan)
    closed = [_label(r) for r in bearing if _public_access(r) == "Disabled"]
    allowed = {r.name: _allow_list(r) for r in bearing if _public_access(r) != "Disabled" and _allow_list(r) is not None}
    open_ = [_label(r) for r in bearing if _public_access(r) != "Disabled" and r.name not in allowed]
    if closed:
        parts.append(f"public network access disabled: {_join(closed)}")
    for ranges in sorted(set(allowed.values())):
        behind = [_label(r) for r in bearing if allowed.get(r.name) == ranges]
        parts.append(f"firewall admits only {', '.join(f'`{block}`' for block in ranges) or 'Azure services'}: {_join(behind)}")
    if open_:
        parts.append(f"public, no firewall: {_join(open_)}")
    return "; ".join(parts)


def _allow_list(resource: PlannedResource) -> tuple[str, ...] | None:
    """The addresses a firewall that denies by default lets in; ``None`` without such a firewall."""
    if resource.type == _VAULT:
        rules, key = resource.inputs.get("properties", {}).get("networkAcls"), "value"
    else:
        rules, key = resource.inputs.get("networkRuleSet"), "iPAddressOrRange"
    if not rules or rules.get("defaultAction") != "Deny":
        return None
    return tuple(sorted(rule[key] for rule in rules.get("ipRules", [])))


def _label(resource: PlannedResource) -> str:
    if resource.type == _CONTAINER_REGISTRY:
        return f"container registry ({resource.inputs.get('sku', {}).get('name')})"
    return _LABELS[resource.type]


_LABELS = {_STORAGE: "storage", _VAULT: "Key Vault", _CONTAINER_REGISTRY: "container registry", _WORKSPACE: "workspace",
           _ML_REGISTRY: "ML registry"}


def _data_bearing(plan: Plan) -> list[PlannedResource]:
    return [r for kind in _DATA_BEARING for r in plan.of_type(kind)]


def _public_access(resource: PlannedResource) -> Any:
    if resource.type == _VAULT:
        return resource.inputs.get("properties", {}).get("publicNetworkAccess")
    return resource.inputs.get("publicNetworkAccess")


def _workspace(plan: Plan) -> PlannedResource:
    (workspace,) = plan.of_type(_WORKSPACE)
    return workspace


_GPU = re.compile(r"\((?P<count>\d+)x NVIDIA (?P<model>[^,]+),")


def _clusters(plan: Plan) -> str:
    clusters = []
    for cluster in plan.of_type(_CLUSTER):
        properties = cluster.inputs["properties"]["properties"]
        scale = properties["scaleSettings"]
        gpu = _GPU.search(cluster.inputs["properties"].get("description", ""))
        kind = f"{gpu['count']}x {gpu['model']} per node" if gpu else "CPU"
        spot = "Spot " if properties.get("vmPriority") == "LowPriority" else ""
        clusters.append(f"{spot}{kind} `{properties['vmSize']}` {scale['minNodeCount']:.0f}-{scale['maxNodeCount']:.0f}")
    return "; ".join(clusters) or "none"


def _serving(plan: Plan) -> str:
    parts = []
    for endpoint in plan.of_type(_ONLINE_ENDPOINT):
        name = endpoint.inputs["endpointName"]
        deployments = [d for d in plan.of_type(_ONLINE_DEPLOYMENT) if d.inputs["endpointName"] == name]
        traffic = _traffic(plan, name)
        shown = ", ".join(f"{d.inputs['deploymentName']} {_instances(plan, d)}"
                          + (f" ({traffic[d.inputs['deploymentName']]:.0f}%)" if len(deployments) > 1 else "") for d in deployments)
        parts.append(f"online endpoint: {shown}")
    batch = len(plan.of_type(_BATCH_ENDPOINT))
    if batch:
        parts.append(f"{batch} batch endpoint{'s' if batch != 1 else ''}")
    schedules = plan.of_type(_SCHEDULE)
    monitors = [s for s in schedules if s.inputs["properties"]["action"]["actionType"] == "CreateMonitor"]
    jobs = [s for s in schedules if s.inputs["properties"]["action"]["actionType"] == "CreateJob"]
    if monitors:
        parts.append(f"{len(monitors)} drift monitor{'s' if len(monitors) != 1 else ''}")
    parts += [f"retraining (cron `{job.inputs['properties']['trigger']['expression']}`)" for job in jobs]
    for registry in plan.of_type(_ML_REGISTRY):
        regions = [region["location"] for region in registry.inputs.get("regionDetails", [])]
        parts.append(f"ML registry in {_join(regions)}")
    environments = len(plan.of_type(_ENVIRONMENT_VERSION))
    if environments:
        parts.append(f"{environments} curated environments published")
    return "; ".join(parts) or "none"


def _traffic(plan: Plan, endpoint: str) -> dict[str, float]:
    """The traffic split the endpoint's ARM template deployment applies."""
    for deployment in plan.of_type(_ARM_DEPLOYMENT):
        parameters = deployment.inputs.get("properties", {}).get("parameters", {})
        if parameters.get("endpointName", {}).get("value") == endpoint:
            return parameters["traffic"]["value"]
    return {}


def _instances(plan: Plan, deployment: PlannedResource) -> str:
    """``min-max instances`` from the deployment's autoscale setting, or its fixed instance count."""
    target = f"/onlineEndpoints/{deployment.inputs['endpointName']}/deployments/{deployment.inputs['deploymentName']}"
    for setting in plan.of_type(_AUTOSCALE):
        if str(setting.inputs.get("targetResourceUri", "")).endswith(target):
            capacity = setting.inputs["profiles"][0]["capacity"]
            return f"{capacity['minimum']}-{capacity['maximum']} instances"
    count = deployment.inputs["sku"]["capacity"]
    return f"{count:.0f} instance{'s' if count != 1 else ''}"


def _protection(plan: Plan) -> str:
    bearing = _data_bearing(plan)
    protected = bool(bearing) and all(r.protect for r in bearing)
    parts = ["protected" if protected else "not protected", "locked" if plan.of_type(_LOCK) else "not locked"]
    for storage in plan.of_type(_STORAGE):
        if storage.inputs.get("sku", {}).get("name", "").endswith("ZRS"):
            parts.append("zone-redundant storage")
        if storage.inputs.get("encryption", {}).get("keySource") == "Microsoft.Keyvault":
            parts.append("customer-managed key")
    for blobs in plan.of_type(_BLOBS):
        inputs = blobs.inputs
        if inputs.get("isVersioningEnabled"):
            parts.append("blob versioning")
        if inputs.get("deleteRetentionPolicy", {}).get("enabled"):
            parts.append(f"blob soft delete {inputs['deleteRetentionPolicy']['days']:.0f} days")
        if inputs.get("restorePolicy", {}).get("enabled"):
            parts.append(f"point-in-time restore {inputs['restorePolicy']['days']:.0f} days")
    for vault in plan.of_type(_VAULT):
        parts.append(f"Key Vault soft delete {vault.inputs['properties']['softDeleteRetentionInDays']:.0f} days")
    keys = len(plan.of_type(_KEY))
    if keys and not any(part == "customer-managed key" for part in parts):
        parts.append(f"{keys} Key Vault keys")
    for logs in plan.of_type(_LOGS):
        parts.append(f"logs kept {logs.inputs['retentionInDays']:.0f} days")
    return ", ".join(parts)


def _cost(plan: Plan) -> str:
    from blueprint.tools.cost import estimate_plan

    estimate = estimate_plan(plan)
    if estimate is None:
        return "not estimated"
    return f"${estimate.fixed_monthly:,.0f}/month"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def shipped_plans(project: Any) -> list[Plan]:
    """The plan of every stack of ``project``, in the order of its stack files, each referenced stack previewed once
    (before the stacks that read it)."""
    from blueprint.program.project import read_stack_config
    from blueprint.tools.preview.references import preview_order, remember
    from blueprint.tools.preview.runner import run_stack

    names = project.stacks()
    configs = {name: read_stack_config(project, name) for name in names}
    plans = {}
    for name in preview_order(names, configs):
        plans[name] = run_stack(project, name, configs[name])
        remember(project, name, plans[name].outputs)
    return [plans[name] for name in names]


def replace_block(text: str, name: str, body: str) -> str:
    """``text`` with what lies between ``<!-- generated: NAME ... -->`` and ``<!-- end: NAME -->`` replaced by
    ``body``. Raises ``ValueError`` when the markers are missing or repeated."""
    pattern = re.compile(rf"(<!-- generated: {re.escape(name)}\b[^>]*-->\n)(.*?)(<!-- end: {re.escape(name)} -->)", re.DOTALL)
    found = pattern.findall(text)
    if len(found) != 1:
        raise ValueError(f"expected one block <!-- generated: {name} --> ... <!-- end: {name} -->, found {len(found)}")
    return pattern.sub(lambda match: match.group(1) + body + match.group(3), text)
