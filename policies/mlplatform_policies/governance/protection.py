"""Deletion protection: in prod, shared and bootstrap stacks, data-bearing resources have the Pulumi protect option and
a CanNotDelete lock on their resource group."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity, StackValidationArgs

from mlplatform_policies.base import Controls, environments, is_value, physical_name, read, stack_policy

RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
RESOURCE_GROUP_LOCK = "azure-native:authorization:ManagementLockAtResourceGroupLevel"

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
