"""Names: physical names follow Azure's naming rules for their type, checked at preview rather than by Azure halfway
through a deployment."""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_policy import ResourceValidationArgs, Severity

from components.naming import KIND_OF_TYPE, RULES, validate_name
from mlplatform_policies.base import Controls, read, resource_policy

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
    "azure-native:monitor:PrivateLinkScope": "scopeName",
}


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
