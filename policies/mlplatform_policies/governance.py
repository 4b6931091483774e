"""Governance: required tags, Azure's naming rules, stable API versions, a budget that notifies, deletion protection
of data-bearing resources, and GPU clusters within quota and the approved VM sizes.

Some of these policies read the resource type or settings of the policy config in their check
(``check_resource``), or apply to every type of a pattern (``applies_to``).

Policy config properties defined here (beside ``waivers``):

* ``azure-native-machinelearningservices-compute-gpu-quota``: ``quota``, an object of quota family name (as in
  components/data/vm_sizes.json, e.g. ``standardNCASv3_T4Family``; ``lowPriority`` for the regional Spot/low-priority
  quota) to the vCPUs available to this stack. No ``quota``: the policy checks nothing.
* ``azure-native-machinelearningservices-compute-allowed-vm-size``: ``allowedVmSizes``, a list of VM size names.
  Default: every size of the catalog components/data/vm_sizes.json.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity, StackValidationArgs

from components import vm_sizes
from components.naming import KIND_OF_TYPE, RULES, validate_name
from components.tags import REQUIRED_TAGS
from mlplatform_policies.base import (
    UNKNOWN,
    Controls,
    environments,
    is_number,
    is_value,
    physical_name,
    read,
    resource_policy,
    stack_policy,
)

RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
BUDGET = "azure-native:consumption:Budget"
RESOURCE_GROUP_LOCK = "azure-native:authorization:ManagementLockAtResourceGroupLevel"
COMPUTE = "azure-native:machinelearningservices:Compute"

#: Types that accept ARM tags (each checked against the SDK in the tests), flagged when they carry none at all.
TAGGABLE_TYPES = (
    "azure-native:resources:ResourceGroup",
    "azure-native:storage:StorageAccount",
    "azure-native:keyvault:Vault",
    "azure-native:containerregistry:Registry",
    "azure-native:machinelearningservices:Registry",
    "azure-native:machinelearningservices:Workspace",
    "azure-native:operationalinsights:Workspace",
    "azure-native:machinelearningservices:Compute",
    "azure-native:applicationinsights:Component",
    "azure-native:managedidentity:UserAssignedIdentity",
    "azure-native:network:VirtualNetwork",
    "azure-native:network:NetworkSecurityGroup",
    "azure-native:network:PrivateEndpoint",
    "azure-native:privatedns:PrivateZone",
    "azure-native:privatedns:VirtualNetworkLink",
    "azure-native:machinelearningservices:OnlineEndpoint",
    "azure-native:machinelearningservices:OnlineDeployment",
    "azure-native:machinelearningservices:BatchEndpoint",
    "azure-native:machinelearningservices:BatchDeployment",
    "azure-native:monitor:ActionGroup",
    "azure-native:monitor:MetricAlert",
    "azure-native:monitor:AutoscaleSetting",
)

#: The input holding the physical name of each type of components.naming.KIND_OF_TYPE.
NAME_INPUT: Mapping[str, str] = {
    "azure-native:resources:ResourceGroup": "resourceGroupName",
    "azure-native:storage:StorageAccount": "accountName",
    "azure-native:keyvault:Vault": "vaultName",
    "azure-native:containerregistry:Registry": "registryName",
    "azure-native:machinelearningservices:Workspace": "workspaceName",
    "azure-native:machinelearningservices:Registry": "registryName",
    "azure-native:machinelearningservices:Compute": "computeName",
    "azure-native:machinelearningservices:OnlineEndpoint": "endpointName",
    "azure-native:machinelearningservices:BatchEndpoint": "endpointName",
    "azure-native:operationalinsights:Workspace": "workspaceName",
    "azure-native:applicationinsights:Component": "resourceName",
    "azure-native:managedidentity:UserAssignedIdentity": "resourceName",
    "azure-native:network:VirtualNetwork": "virtualNetworkName",
    "azure-native:network:Subnet": "subnetName",
    "azure-native:network:NetworkSecurityGroup": "networkSecurityGroupName",
    "azure-native:network:PrivateEndpoint": "privateEndpointName",
    "azure-native:privatedns:VirtualNetworkLink": "virtualNetworkLinkName",
    "azure-native:authorization:ManagementLockAtResourceGroupLevel": "lockName",
    "azure-native:monitor:ActionGroup": "actionGroupName",
    "azure-native:monitor:MetricAlert": "ruleName",
    "azure-native:consumption:Budget": "budgetName",
    "azuread:index/group:Group": "displayName",
    "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy": "displayName",
    "azuread:index/application:Application": "displayName",
    "azure-native:storage:BlobContainer": "containerName",
    "azure-native:keyvault:Key": "keyName",
}

#: Resources whose deletion loses data: models, datasets, secrets, images.
DATA_BEARING_TYPES: Mapping[str, str] = {
    "azure-native:storage:StorageAccount": "storage account",
    "azure-native:keyvault:Vault": "key vault",
    "azure-native:containerregistry:Registry": "container registry",
    "azure-native:machinelearningservices:Workspace": "machine learning workspace",
    "azure-native:machinelearningservices:Registry": "machine learning registry",
}
#: Environments (the `environment` tag) whose data must survive a mistaken `pulumi destroy` or a portal click:
#: production, the organisation's registry, and the Pulumi state backend.
PROTECTED_ENVIRONMENTS = ("prod", "shared", "bootstrap")

#: Resources that make a stack spend money every month: such a stack needs a budget.
BILLABLE_TYPES = (
    "azure-native:machinelearningservices:Workspace",
    "azure-native:machinelearningservices:Compute",
    "azure-native:machinelearningservices:OnlineDeployment",
    "azure-native:machinelearningservices:BatchDeployment",
)

LOW_PRIORITY_QUOTA = "lowPriority"
_PREVIEW_MODULE = re.compile(r"v\d{8}\w*preview", re.IGNORECASE)
_TAG_LIST = ", ".join(REQUIRED_TAGS)


def _short(resource_type: str) -> str:
    return resource_type.rsplit(":", 1)[-1]


# --- Tags ---


def tags_problem(props: Mapping[str, Any]) -> str | None:
    if "tags" not in props:
        return None  # a type without tags, or a taggable one without any: the taggable-has-tags policy reports it
    tags = props["tags"]
    if not isinstance(tags, Mapping):
        return f"tags is not a map of tag names to values; expected the required tags {_TAG_LIST}"
    present = {str(key).lower(): value for key, value in tags.items()}
    missing = [key for key in REQUIRED_TAGS if key.lower() not in present]
    empty = [key for key in REQUIRED_TAGS if key.lower() in present and not str(present[key.lower()] or "").strip()]
    if not missing and not empty:
        return None
    parts = []
    if missing:
        parts.append(f"missing required tags {', '.join(missing)}")
    if empty:
        parts.append(f"empty required tags {', '.join(empty)}")
    return f"{'; '.join(parts)}; expected every one of {_TAG_LIST} with a non-empty value"


def untagged_problem(args: ResourceValidationArgs) -> str | None:
    if args.props.get("tags") is not None:
        return None
    return f"{_short(args.resource_type)} carries no tags; expected the required tags {_TAG_LIST}"


_TAGS_REMEDIATION = (
    "Set all four keys under `mlplatform:tags` in the stack file (stacks/Pulumi.<stack>.yaml); every component passes "
    "them through components/tags.py (required_tags) to each resource it creates. A resource created outside the "
    "components needs `tags=` with the same keys."
)
_TAG_CONTROLS = Controls(
    azure_policy=("871b6d14-10aa-478d-b590-94f262ecfa99", "96670d01-0a4d-4649-9c89-2d3abc0a5025"),
    mcsb=("AM-1",),
    psrule=("Azure.Resource.RequiredTags",),
)
_TAG_URL = "https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources"

required_tags = resource_policy(
    name="azure-native-all-resource-required-tags",
    description="Every tagged azure-native resource carries owner, costCenter, environment and dataClassification.",
    rationale=(
        "Cost reports, incident response and data handling rules are driven by these tags: a resource without an "
        "owner or cost center is nobody's, and one without a data classification cannot be handled correctly."
    ),
    checks=(
        "On azure-native resources whose inputs have `tags`: keys owner, costCenter, environment and "
        "dataClassification are present (names compared case-insensitively, as Azure does) with non-empty values."
    ),
    severity=Severity.MEDIUM,
    applies_to=lambda resource_type: resource_type.startswith("azure-native:"),
    resource_types=("azure-native:* (with tags)",),
    check=tags_problem,
    controls=_TAG_CONTROLS,
    remediation=_TAGS_REMEDIATION,
    url=_TAG_URL,
)

taggable_resources_tagged = resource_policy(
    name="azure-native-all-resource-taggable-has-tags",
    description="Resource types known to accept tags are not created without tags.",
    rationale=(
        "The required-tags policy can only inspect tags that are there: a taggable resource created without any "
        "`tags` input would escape it."
    ),
    checks=f"Resources of the {len(TAGGABLE_TYPES)} known taggable types have a `tags` input.",
    severity=Severity.MEDIUM,
    resource_types=TAGGABLE_TYPES,
    check_resource=untagged_problem,
    controls=_TAG_CONTROLS,
    remediation=_TAGS_REMEDIATION,
    url=_TAG_URL,
)


# --- Names ---


def name_problem(args: ResourceValidationArgs) -> str | None:
    key = NAME_INPUT.get(args.resource_type)
    if key is None:
        return None
    name = read(args.props, key)
    if not isinstance(name, str):
        return None  # auto-named by Pulumi, or not known before creation
    kind = KIND_OF_TYPE[args.resource_type]
    problems = validate_name(kind, name)
    if not problems:
        return None
    rule = RULES[kind]
    return f"{rule.display_name} name {name!r} {'; '.join(problems)}; expected {rule.description}"


physical_names = resource_policy(
    name="azure-all-resource-physical-name-rules",
    description="Physical names follow Azure's naming rules for their resource type.",
    rationale=(
        "An invalid name is only rejected by Azure halfway through a deployment, leaving the stack partly updated; "
        "checking at preview fails before anything changes."
    ),
    checks=(
        "The name input of each type in components.naming.KIND_OF_TYPE (e.g. `accountName`, `vaultName`, "
        "`displayName`) passes components.naming.validate_name for that kind."
    ),
    severity=Severity.MEDIUM,
    resource_types=tuple(KIND_OF_TYPE),
    check_resource=name_problem,
    controls=Controls(
        psrule=("Azure.ResourceGroup.Name", "Azure.Storage.Name", "Azure.KeyVault.Name", "Azure.ACR.Name")
    ),
    remediation=(
        "Derive names with components/naming.py (Namer.name with the resource's ResourceKind) instead of typing them; "
        "for names taken verbatim from config (cluster names under `mlplatform:clusters[].name`) pick one that "
        "follows the rule quoted in the message. `mlplatform:namingPrefix` must be 2-12 lowercase letters or digits."
    ),
    url="https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules",
)


# --- API versions ---


def preview_version_problem(args: ResourceValidationArgs) -> str | None:
    resource_type = args.resource_type
    parts = resource_type.split(":")
    if len(parts) != 3:
        return None
    module = parts[1]
    match = _PREVIEW_MODULE.search(module)
    if match is None:
        return None
    service = module.split("/", 1)[0]
    return (
        f"resource type {resource_type} pins the preview API version {match.group(0)}; expected the stable default "
        f"azure-native:{service}:{parts[2]} (or an explicit GA version)"
    )


no_preview_api = resource_policy(
    name="azure-native-all-resource-no-preview-api-version",
    description="azure-native resources use stable API versions, never an explicit preview version.",
    rationale=(
        "Preview API versions carry no SLA, change without notice and are retired quickly; a resource pinned to one "
        "breaks when Azure removes it. This follows the 'disallow preview resource' family of "
        "pulumi/compliance-policies, as one policy for every type."
    ),
    checks=(
        "The type token's module has no `vYYYYMMDDpreview` version (e.g. `machinelearningservices/v20240401preview`)."
    ),
    severity=Severity.LOW,
    applies_to=lambda resource_type: resource_type.startswith("azure-native:"),
    resource_types=("azure-native:*",),
    check_resource=preview_version_problem,
    controls=Controls(mcsb=("AM-2",)),
    remediation=(
        "Import the resource from its service module (`from pulumi_azure_native import machinelearningservices`), not "
        "from a `v<date>preview` submodule; if a needed property only exists in preview, waive this policy for that "
        "resource in policies/config/<environment>.json with the reason."
    ),
    url="https://www.pulumi.com/registry/packages/azure-native/version-guide/",
)


# --- Budget ---


def _notifies(notification: Any) -> bool:
    if not isinstance(notification, Mapping) or read(notification, "enabled") is not True:
        return False
    for key in ("contactEmails", "contactGroups", "contactRoles"):
        value = read(notification, key)
        if value is UNKNOWN:
            return True  # action group IDs are unknown until created: the recipient is there
        if isinstance(value, Sequence) and not isinstance(value, str) and len(value) > 0:
            return True
    return False


def _budget_problems(args: StackValidationArgs) -> Iterable[tuple[str | None, str]]:
    resources = list(args.resources)
    billable = [r for r in resources if r.resource_type in BILLABLE_TYPES]
    if not billable:
        return  # e.g. the shared stack: a registry, no compute
    budgets = [r for r in resources if r.resource_type == BUDGET]
    if not budgets:
        example = sorted(physical_name(r) for r in billable)[0]
        yield None, (
            f"stack creates billable Azure ML resources ({len(billable)}, e.g. {example}) but no {BUDGET}; expected a "
            "budget with at least one enabled notification that has a recipient"
        )
        return
    for budget in budgets:
        notifications = read(budget.props, "notifications")
        if notifications is UNKNOWN:
            continue
        values = list(notifications.values()) if isinstance(notifications, Mapping) else []
        if not any(_notifies(n) for n in values):
            yield budget.urn, (
                f"budget {physical_name(budget)} has no enabled notification with a recipient; expected at least one "
                "notification with enabled true and contactEmails, contactGroups or contactRoles"
            )


budget_with_notifications = stack_policy(
    name="azure-native-consumption-budget-notifications",
    description="Every environment stack (one with Azure ML workspaces, compute or deployments) has a budget that "
    "notifies someone.",
    rationale=(
        "GPU clusters and always-on endpoints can spend a month's budget in days; Azure budgets never stop "
        "spending, so the only protection is someone being told early, on actual and forecast spend. (MCSB has no "
        "cost control; AM-3, which asks to find resources no longer needed, is the nearest.)"
    ),
    checks=(
        "A stack with an ML workspace, compute, online or batch deployment has an `azure-native:consumption:Budget`, "
        "and each budget has a notification with `enabled: true` and contact emails, groups or roles."
    ),
    severity=Severity.MEDIUM,
    check=_budget_problems,
    controls=Controls(mcsb=("AM-3",)),
    remediation=(
        "Set `mlplatform:budget` (monthlyAmount, startDate; actualThresholds and forecastThresholds optional) and "
        "`mlplatform:monitoring.emails` in the stack file: components/budget.py (EnvironmentBudget) then notifies "
        "those addresses and the platform's action group."
    ),
    url="https://learn.microsoft.com/azure/cost-management-billing/costs/tutorial-acm-create-budgets",
)


# --- Deletion protection in prod, shared and bootstrap ---


def _protected_environment(resources: Sequence[Any]) -> str | None:
    """The stack's environment when it is one whose data is protected, read from the outputs' `environment` tag."""
    return next((environment for environment in environments(resources) if environment in PROTECTED_ENVIRONMENTS), None)


def _unprotected(args: StackValidationArgs) -> Iterable[tuple[str | None, str]]:
    resources = list(args.resources)
    environment = _protected_environment(resources)
    if environment is None:
        return
    for resource in resources:
        kind = DATA_BEARING_TYPES.get(resource.resource_type)
        if kind is None or resource.opts.protect:
            continue
        yield resource.urn, (
            f"{kind} {physical_name(resource)} holds data but is not protected; expected the resource option "
            f"protect=True in a stack tagged environment {environment}, so Pulumi refuses to delete it"
        )


def _resource_group(resource: Any) -> tuple[set[str], str | None]:
    """The URNs of the resource groups ``resource`` is linked to, and its resourceGroupName output if known."""
    linked = resource.property_dependencies.get("resourceGroupName", [])
    urns = {d.urn for d in linked if d.resource_type == RESOURCE_GROUP}
    name = read(resource.props, "resourceGroupName")
    return urns, name.lower() if isinstance(name, str) else None


def _unlocked(args: StackValidationArgs) -> Iterable[tuple[str | None, str]]:
    resources = list(args.resources)
    environment = _protected_environment(resources)
    if environment is None:
        return
    locks = [
        _resource_group(r) for r in resources
        if r.resource_type == RESOURCE_GROUP_LOCK and is_value(read(r.props, "level"), "CanNotDelete")
    ]
    for resource in resources:
        kind = DATA_BEARING_TYPES.get(resource.resource_type)
        if kind is None:
            continue
        urns, name = _resource_group(resource)
        if any((urns & lock_urns) or (name is not None and name == lock_name) for lock_urns, lock_name in locks):
            continue
        group = read(resource.props, "resourceGroupName")
        shown = group if isinstance(group, str) else "(unknown)"
        yield resource.urn, (
            f"{kind} {physical_name(resource)} holds data but its resource group {shown} has no CanNotDelete lock; "
            f"expected a {RESOURCE_GROUP_LOCK} with level CanNotDelete on it in a stack tagged environment "
            f"{environment}"
        )


_PROTECT_REMEDIATION = (
    "Leave `mlplatform:protect` unset (it defaults to true in prod, shared and bootstrap) or set it to true in the stack file: "
    "components/ml_workspace.py (MlWorkspace) and components/ml_registry.py (MlRegistry) then create the data-bearing "
    "resources with protect=True and a CanNotDelete lock on their resource group; components/state_backend.py "
    "(StateBackend, the bootstrap stack) always does. Removing either is a deliberate, reviewed change."
)

data_protected = stack_policy(
    name="azure-native-data-resource-protected",
    description="In prod, shared and bootstrap stacks, data-bearing resources have the Pulumi protect option.",
    rationale=(
        "Deleting a storage account, key vault, registry or workspace loses datasets, secrets, images and models; "
        "`protect` makes `pulumi destroy` or a refactoring that drops the resource fail instead."
    ),
    checks=(
        "When a resource's outputs carry the tag environment prod, shared or bootstrap, every storage account, key vault, "
        "container registry, ML workspace and ML registry has `opts.protect`."
    ),
    severity=Severity.HIGH,
    check=_unprotected,
    controls=Controls(mcsb=("AM-4",)),
    remediation=_PROTECT_REMEDIATION,
    url="https://www.pulumi.com/docs/iac/concepts/options/protect/",
)

data_resource_group_locked = stack_policy(
    name="azure-native-authorization-management-lock-data-resource-group",
    description="In prod, shared and bootstrap stacks, the resource group of each data-bearing resource has a "
    "CanNotDelete lock.",
    rationale=(
        "`protect` only stops Pulumi; a CanNotDelete lock also stops the portal, the CLI and scripts from deleting "
        "the resource group or the data in it."
    ),
    checks=(
        "When a resource's outputs carry the tag environment prod, shared or bootstrap, each data-bearing resource's resource "
        "group (linked through `propertyDependencies.resourceGroupName`, or by name) has a "
        "`ManagementLockAtResourceGroupLevel` with level `CanNotDelete`."
    ),
    severity=Severity.HIGH,
    check=_unlocked,
    controls=Controls(mcsb=("AM-4",)),
    remediation=_PROTECT_REMEDIATION,
    url="https://learn.microsoft.com/azure/azure-resource-manager/management/lock-resources",
)


# --- Compute: quota and VM sizes ---


def _cluster(resource_props: Mapping[str, Any]) -> tuple[str, float, bool] | None:
    """(vmSize, maxNodeCount, low priority) of an AmlCompute cluster, None for other compute or unknown values."""
    if not is_value(read(resource_props, "properties.computeType"), "AmlCompute"):
        return None
    size = read(resource_props, "properties.properties.vmSize")
    max_nodes = read(resource_props, "properties.properties.scaleSettings.maxNodeCount")
    if not isinstance(size, str) or not is_number(max_nodes):
        return None
    low_priority = is_value(read(resource_props, "properties.properties.vmPriority"), "LowPriority")
    return size, float(max_nodes), low_priority


def _quota_problems(args: StackValidationArgs) -> Iterable[tuple[str | None, str]]:
    quota = (args.get_config() or {}).get("quota")
    if not isinstance(quota, Mapping) or not quota:
        return  # no quota configured: nothing to compare with
    available = {str(key).lower(): (str(key), value) for key, value in quota.items()}
    usage: dict[str, tuple[str, float, list[Any]]] = {}
    for resource in args.resources:
        if resource.resource_type != COMPUTE:
            continue
        cluster = _cluster(resource.props)
        if cluster is None:
            continue
        size_name, max_nodes, low_priority = cluster
        size = vm_sizes.catalog().get(size_name.lower())
        if size is None or not size.is_gpu:
            continue  # unknown sizes: see the allowed-VM-size policy
        family = LOW_PRIORITY_QUOTA if low_priority else size.family
        label, total, clusters = usage.get(family.lower(), (family, 0.0, []))
        clusters.append((resource, f"{physical_name(resource)}: {max_nodes:g} x {size.name} ({size.vcpus} vCPUs)"))
        usage[family.lower()] = (label, total + max_nodes * size.vcpus, clusters)
    for key, (label, total, clusters) in sorted(usage.items()):
        urn = clusters[0][0].urn if len(clusters) == 1 else None
        listed = "; ".join(text for _, text in clusters)
        configured = available.get(key)
        if configured is None:
            yield urn, (
                f"GPU clusters need {total:g} vCPUs of quota {label} at full scale ({listed}) but the policy config "
                f"sets no quota for {label}; expected quota.{label} >= {total:g} (request the quota from Azure first)"
            )
        elif not isinstance(configured[1], (int, float)) or total > configured[1]:
            yield urn, (
                f"GPU clusters need {total:g} vCPUs of quota {label} at full scale ({listed}) but the quota is "
                f"{configured[1]}; expected at most {configured[1]} vCPUs (maxNodes x vCPUs per node, summed over the "
                "family)"
            )


gpu_quota = stack_policy(
    name="azure-native-machinelearningservices-compute-gpu-quota",
    description="GPU clusters at full scale fit the vCPU quota configured for their quota family.",
    rationale=(
        "Azure checks quota only when nodes are allocated: a cluster sized beyond its family's quota deploys fine "
        "and then fails jobs with 'vCPU quota of 0' (mlops-v2 issue 81). Most subscriptions start with no GPU "
        "quota, so a family without a configured quota counts as zero."
    ),
    checks=(
        "For GPU AmlCompute clusters, maxNodeCount x vCPUs per node, summed per quota family (dedicated) or into "
        "`lowPriority` (Spot), is at most the policy config `quota` entry; no `quota` configured: not applicable."
    ),
    severity=Severity.MEDIUM,
    check=_quota_problems,
    controls=Controls(mcsb=("AM-2",)),
    remediation=(
        "Lower `mlplatform:clusters[].maxNodes` (or pick a `vmSize` in a family with quota, or `tier: Spot`) in "
        "the stack file, or request more quota from Azure and record it under `quota` of this policy in "
        "policies/config/<environment>.json."
    ),
    url="https://learn.microsoft.com/azure/machine-learning/how-to-manage-quotas",
    config={
        "quota": {
            "type": "object",
            "description": "vCPUs available to this stack per quota family (names as in components/data/vm_sizes.json; "
            "'lowPriority' for the Spot/low-priority regional quota).",
            "additionalProperties": {"type": "number", "minimum": 0},
            "x-expected": "an object of quota family name to the vCPUs available (a number >= 0)",
        }
    },
)


def vm_size_problem(args: ResourceValidationArgs) -> str | None:
    size = read(args.props, "properties.properties.vmSize")
    if not isinstance(size, str):
        return None
    configured = (args.get_config() or {}).get("allowedVmSizes")
    if configured:
        allowed = [str(s) for s in configured]
        if size.lower() in {s.lower() for s in allowed}:
            return None
        return (
            f"VM size {size!r} is not allowed; expected one of {', '.join(sorted(allowed))} "
            "(policy config allowedVmSizes)"
        )
    if size.lower() in vm_sizes.catalog():
        return None
    return (
        f"VM size {size!r} is not in the VM size catalog; expected a size from {vm_sizes.CATALOG_PATH} "
        "(or listed in the policy config allowedVmSizes)"
    )


allowed_vm_sizes = resource_policy(
    name="azure-native-machinelearningservices-compute-allowed-vm-size",
    description="Azure ML compute uses VM sizes from the approved list.",
    rationale=(
        "The allow-list keeps clusters on sizes whose price, quota family and GPU the platform knows (cost estimates "
        "and the quota policy depend on it), and lets an organisation rule out expensive sizes."
    ),
    checks=(
        "`properties.properties.vmSize` of Compute is in the policy config `allowedVmSizes` (case-insensitive); "
        "default: every size of components/data/vm_sizes.json."
    ),
    severity=Severity.MEDIUM,
    resource_types=(COMPUTE,),
    check_resource=vm_size_problem,
    controls=Controls(mcsb=("AM-2",)),
    remediation=(
        "Set `mlplatform:clusters[].vmSize` in the stack file to an allowed size; to allow another size add it to "
        "components/data/vm_sizes.json (with its facts) or to `allowedVmSizes` of this policy in "
        "policies/config/<environment>.json."
    ),
    url="https://learn.microsoft.com/azure/machine-learning/concept-compute-target#supported-vm-series-and-sizes",
    config={
        "allowedVmSizes": {
            "type": "array",
            "description": "VM sizes Azure ML compute may use; default: every size of components/data/vm_sizes.json.",
            "items": {"type": "string"},
            "x-expected": "a list of VM size names",
        }
    },
)


POLICIES: list = [
    required_tags,
    taggable_resources_tagged,
    physical_names,
    no_preview_api,
    budget_with_notifications,
    data_protected,
    data_resource_group_locked,
    gpu_quota,
    allowed_vm_sizes,
]
