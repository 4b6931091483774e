"""Mocks that answer like Azure Resource Manager, so that every input in an offline plan is known.

For each resource the mock returns what ARM would: a realistic resource ID
(``/subscriptions/<id>/resourceGroups/<rg>/providers/<namespace>/<type>/<name>``), the physical ``name``
(auto-named the way azure-native does when the program gives none), and the read-only outputs that downstream
resources consume (vault URI, login server, identities' principal IDs, ...). Everything is derived
deterministically from the URN, so two previews of the same stack are identical.
"""

from __future__ import annotations

import copy
import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi

#: The subscription and tenant a preview pretends to deploy into. Fixed, recognisable, well-formed GUIDs.
SUBSCRIPTION_ID = "00000000-0000-4000-8000-000000000001"
TENANT_ID = "00000000-0000-4000-8000-0000000000aa"
CLIENT_OBJECT_ID = "00000000-0000-4000-8000-0000000000c1"

_RG = "/subscriptions/{subscription}/resourceGroups/{resourceGroupName}/providers/"


@dataclass(frozen=True)
class ArmType:
    """How ARM identifies one resource type: its ID template and the input holding its physical name."""

    id_template: str
    name_input: str


#: Resource types the platform creates. Types not listed get a conventional ID (see :func:`_fallback_type`).
ARM_TYPES: dict[str, ArmType] = {
    "azure-native:resources:ResourceGroup": ArmType(
        "/subscriptions/{subscription}/resourceGroups/{resourceGroupName}", "resourceGroupName"
    ),
    "azure-native:operationalinsights:Workspace": ArmType(
        _RG + "Microsoft.OperationalInsights/workspaces/{workspaceName}", "workspaceName"
    ),
    "azure-native:applicationinsights:Component": ArmType(
        _RG + "Microsoft.Insights/components/{resourceName}", "resourceName"
    ),
    "azure-native:storage:StorageAccount": ArmType(_RG + "Microsoft.Storage/storageAccounts/{accountName}", "accountName"),
    "azure-native:storage:BlobServiceProperties": ArmType(
        _RG + "Microsoft.Storage/storageAccounts/{accountName}/blobServices/{blobServicesName}", "blobServicesName"
    ),
    "azure-native:storage:BlobContainer": ArmType(
        _RG + "Microsoft.Storage/storageAccounts/{accountName}/blobServices/default/containers/{containerName}",
        "containerName",
    ),
    "azure-native:keyvault:Vault": ArmType(_RG + "Microsoft.KeyVault/vaults/{vaultName}", "vaultName"),
    "azure-native:keyvault:Key": ArmType(_RG + "Microsoft.KeyVault/vaults/{vaultName}/keys/{keyName}", "keyName"),
    "azure-native:containerregistry:Registry": ArmType(
        _RG + "Microsoft.ContainerRegistry/registries/{registryName}", "registryName"
    ),
    "azure-native:machinelearningservices:Workspace": ArmType(
        _RG + "Microsoft.MachineLearningServices/workspaces/{workspaceName}", "workspaceName"
    ),
    "azure-native:machinelearningservices:Compute": ArmType(
        _RG + "Microsoft.MachineLearningServices/workspaces/{workspaceName}/computes/{computeName}", "computeName"
    ),
    "azure-native:machinelearningservices:Registry": ArmType(
        _RG + "Microsoft.MachineLearningServices/registries/{registryName}", "registryName"
    ),
    "azure-native:machinelearningservices:RegistryEnvironmentContainer": ArmType(
        _RG + "Microsoft.MachineLearningServices/registries/{registryName}/environments/{environmentName}", "environmentName"
    ),
    "azure-native:machinelearningservices:RegistryEnvironmentVersion": ArmType(
        _RG + "Microsoft.MachineLearningServices/registries/{registryName}/environments/{environmentName}/versions/{version}",
        "version",
    ),
    "azure-native:resources:Deployment": ArmType(_RG + "Microsoft.Resources/deployments/{deploymentName}", "deploymentName"),
    "azure-native:machinelearningservices:OnlineEndpoint": ArmType(
        _RG + "Microsoft.MachineLearningServices/workspaces/{workspaceName}/onlineEndpoints/{endpointName}", "endpointName"
    ),
    "azure-native:machinelearningservices:OnlineDeployment": ArmType(
        _RG + "Microsoft.MachineLearningServices/workspaces/{workspaceName}/onlineEndpoints/{endpointName}/deployments/{deploymentName}",
        "deploymentName",
    ),
    "azure-native:machinelearningservices:BatchEndpoint": ArmType(
        _RG + "Microsoft.MachineLearningServices/workspaces/{workspaceName}/batchEndpoints/{endpointName}", "endpointName"
    ),
    "azure-native:machinelearningservices:BatchDeployment": ArmType(
        _RG + "Microsoft.MachineLearningServices/workspaces/{workspaceName}/batchEndpoints/{endpointName}/deployments/{deploymentName}",
        "deploymentName",
    ),
    "azure-native:machinelearningservices:Schedule": ArmType(
        _RG + "Microsoft.MachineLearningServices/workspaces/{workspaceName}/schedules/{name}", "name"
    ),
    "azure-native:monitor:DiagnosticSetting": ArmType(
        "{resourceUri}/providers/Microsoft.Insights/diagnosticSettings/{name}", "name"
    ),
    "azure-native:monitor:ActionGroup": ArmType(_RG + "Microsoft.Insights/actionGroups/{actionGroupName}", "actionGroupName"),
    "azure-native:monitor:MetricAlert": ArmType(_RG + "Microsoft.Insights/metricAlerts/{ruleName}", "ruleName"),
    "azure-native:monitor:AutoscaleSetting": ArmType(
        _RG + "Microsoft.Insights/autoscalesettings/{autoscaleSettingName}", "autoscaleSettingName"
    ),
    "azure-native:monitor:ScheduledQueryRule": ArmType(_RG + "Microsoft.Insights/scheduledQueryRules/{ruleName}", "ruleName"),
    # ARM spells this provider in lower case in the scope's ID (the Private Link Scopes REST reference's responses).
    "azure-native:monitor:PrivateLinkScope": ArmType(_RG + "microsoft.insights/privateLinkScopes/{scopeName}", "scopeName"),
    "azure-native:monitor:PrivateLinkScopedResource": ArmType(
        _RG + "microsoft.insights/privateLinkScopes/{scopeName}/scopedResources/{name}", "name"
    ),
    "azure-native:consumption:Budget": ArmType("{scope}/providers/Microsoft.Consumption/budgets/{budgetName}", "budgetName"),
    "azure-native:managedidentity:UserAssignedIdentity": ArmType(
        _RG + "Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}", "resourceName"
    ),
    "azure-native:authorization:RoleAssignment": ArmType(
        "{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}", "roleAssignmentName"
    ),
    "azure-native:authorization:ManagementLockAtResourceGroupLevel": ArmType(
        _RG + "Microsoft.Authorization/locks/{lockName}", "lockName"
    ),
    "azure-native:network:VirtualNetwork": ArmType(
        _RG + "Microsoft.Network/virtualNetworks/{virtualNetworkName}", "virtualNetworkName"
    ),
    "azure-native:network:Subnet": ArmType(
        _RG + "Microsoft.Network/virtualNetworks/{virtualNetworkName}/subnets/{subnetName}", "subnetName"
    ),
    "azure-native:network:NetworkSecurityGroup": ArmType(
        _RG + "Microsoft.Network/networkSecurityGroups/{networkSecurityGroupName}", "networkSecurityGroupName"
    ),
    "azure-native:network:PrivateEndpoint": ArmType(
        _RG + "Microsoft.Network/privateEndpoints/{privateEndpointName}", "privateEndpointName"
    ),
    "azure-native:network:PrivateDnsZoneGroup": ArmType(
        _RG + "Microsoft.Network/privateEndpoints/{privateEndpointName}/privateDnsZoneGroups/{privateDnsZoneGroupName}",
        "privateDnsZoneGroupName",
    ),
    "azure-native:privatedns:PrivateZone": ArmType(
        _RG + "Microsoft.Network/privateDnsZones/{privateZoneName}", "privateZoneName"
    ),
    "azure-native:privatedns:VirtualNetworkLink": ArmType(
        _RG + "Microsoft.Network/privateDnsZones/{privateZoneName}/virtualNetworkLinks/{virtualNetworkLinkName}",
        "virtualNetworkLinkName",
    ),
}

#: Types ARM names with a GUID when the program gives no name.
GUID_NAMED = {"azure-native:authorization:RoleAssignment"}


def stable_guid(*parts: str) -> str:
    """A GUID derived from ``parts``: realistic where ARM would mint one, and identical across runs."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "mlplatform-preview:" + "/".join(parts)))


def auto_name(logical_name: str, urn: str) -> str:
    """azure-native's auto-naming: the logical name plus a random suffix (here derived from the URN)."""
    return f"{logical_name}{hashlib.sha256(urn.encode()).hexdigest()[:8]}"


class ArmMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and function calls the way Azure Resource Manager would.

    ``stack_outputs`` answers ``StackReference``s (the name a program gives -> that stack's outputs), as the
    engine does from the referenced stack's state.
    """

    def __init__(self, stack_outputs: Callable[[str], dict[str, Any]] | None = None) -> None:
        self._stack_outputs = stack_outputs
        self._outputs: dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]] = {
            "azure-native:operationalinsights:Workspace": lambda name, _: {"customerId": stable_guid("law", name)},
            "azure-native:applicationinsights:Component": _app_insights_outputs,
            "azure-native:storage:StorageAccount": _storage_outputs,
            "azure-native:keyvault:Vault": _vault_outputs,
            "azure-native:keyvault:Key": _key_outputs,
            "azure-native:containerregistry:Registry": lambda name, _: {"loginServer": f"{name}.azurecr.io"},
            "azure-native:machinelearningservices:Workspace": _workspace_outputs,
            "azure-native:machinelearningservices:Registry": _registry_outputs,
            "azure-native:machinelearningservices:OnlineEndpoint": _online_endpoint_outputs,
            "azure-native:resources:Deployment": _template_deployment_outputs,
            "azure-native:managedidentity:UserAssignedIdentity": lambda name, _: {
                "principalId": stable_guid("uai-principal", name),
                "clientId": stable_guid("uai-client", name),
                "tenantId": TENANT_ID,
            },
        }

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":
            return self._stack_reference(str(args.inputs.get("name") or args.resource_id or args.name))
        state = copy.deepcopy(args.inputs)
        if not args.custom:
            return None, state
        urn = f"{args.typ}::{args.name}"
        if args.typ.startswith("azuread:"):
            # Entra object IDs are unique in the tenant: two stacks' objects of the same logical name differ.
            return _entra_object(args.typ, f"{pulumi.get_project()}/{pulumi.get_stack()}::{urn}", state)
        if not args.typ.startswith("azure-native:"):
            return stable_guid("id", urn), state
        arm = ARM_TYPES.get(args.typ) or _fallback_type(args.typ)
        default_name = stable_guid("name", urn) if args.typ in GUID_NAMED else auto_name(args.name, urn)
        name = state.get(arm.name_input) or default_name
        state[arm.name_input] = name
        fields = {"subscription": SUBSCRIPTION_ID, **{k: v for k, v in state.items() if isinstance(v, str)}}
        resource_id = re.sub(r"\{(\w+)\}", lambda m: str(fields.get(m.group(1), m.group(1))), arm.id_template)
        state.update({"name": name, "id": resource_id, "azureApiVersion": "default"})
        _add_identity_outputs(state, resource_id)
        extra = self._outputs.get(args.typ)
        if extra is not None:
            _deep_merge(state, extra(name, state))
        if args.typ == "azure-native:resources:Deployment":
            _as_deployment_response(state)
        return resource_id, state

    def _stack_reference(self, name: str) -> tuple[str, dict[str, Any]]:
        if self._stack_outputs is None:
            raise RuntimeError(f"StackReference {name!r}: no stack resolver in this run (use run_program)")
        return name, {"name": name, "outputs": self._stack_outputs(name), "secretOutputNames": []}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token in ("azure-native:authorization:getClientConfig", "azuread:index/getClientConfig:getClientConfig"):
            return {
                "clientId": stable_guid("client"),
                "objectId": CLIENT_OBJECT_ID,
                "subscriptionId": SUBSCRIPTION_ID,
                "tenantId": TENANT_ID,
            }, []
        return {}, []


def _entra_object(type_token: str, urn: str, state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Microsoft Graph objects: an object ID, and for applications a client ID, as Entra ID assigns them."""
    object_id = stable_guid("entra", urn)
    state.setdefault("objectId", object_id)
    resource_id = object_id
    if type_token == "azuread:index/application:Application":
        state.setdefault("clientId", stable_guid("client", urn))
        resource_id = f"/applications/{object_id}"
    elif type_token == "azuread:index/servicePrincipal:ServicePrincipal":
        resource_id = f"/servicePrincipals/{object_id}"
    elif type_token == "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential":
        state.setdefault("credentialId", object_id)
        resource_id = f"{state.get('applicationId', '')}/federatedIdentityCredential/{object_id}"
    state["id"] = resource_id
    return resource_id, state


def _fallback_type(token: str) -> ArmType:
    """A conventional ID for types without an entry: ``Microsoft.<Module>/<types>/<name>``."""
    _, module, kind = token.split(":", 2)
    plural = kind[0].lower() + kind[1:] + "s"
    return ArmType(_RG + f"Microsoft.{module[0].upper()}{module[1:]}/{plural}/{{name}}", "name")


def _add_identity_outputs(state: dict[str, Any], resource_id: str) -> None:
    """Managed identities as ARM returns them: a system-assigned principal in the tenant, and user-assigned
    identities as a map from identity ID to its principal and client IDs (the SDK takes a list of IDs)."""
    identity = state.get("identity")
    if not isinstance(identity, dict):
        return
    if "SystemAssigned" in str(identity.get("type", "")):
        identity.setdefault("principalId", stable_guid("principal", resource_id))
        identity.setdefault("tenantId", TENANT_ID)
    assigned = identity.get("userAssignedIdentities")
    if isinstance(assigned, list):
        identity["userAssignedIdentities"] = {
            str(uai): {"principalId": stable_guid("uai-principal", str(uai)), "clientId": stable_guid("uai-client", str(uai))}
            for uai in assigned
        }


def _storage_outputs(name: str, _: dict[str, Any]) -> dict[str, Any]:
    endpoints = {svc: f"https://{name}.{svc}.core.windows.net/" for svc in ("blob", "dfs", "file", "queue", "table", "web")}
    return {"primaryEndpoints": endpoints, "provisioningState": "Succeeded"}


def _vault_outputs(name: str, _: dict[str, Any]) -> dict[str, Any]:
    return {"properties": {"vaultUri": f"https://{name}.vault.azure.net/", "provisioningState": "Succeeded"}}


def _key_outputs(name: str, state: dict[str, Any]) -> dict[str, Any]:
    """A key's URIs as Key Vault reports them: versionless, and with the (hex) version of the first version."""
    uri = f"https://{state.get('vaultName', 'vault')}.vault.azure.net/keys/{name}"
    version = stable_guid("key-version", state["id"]).replace("-", "")
    return {"keyUri": uri, "keyUriWithVersion": f"{uri}/{version}"}


def _app_insights_outputs(name: str, state: dict[str, Any]) -> dict[str, Any]:
    key = stable_guid("appi-key", name)
    location = state.get("location", "westeurope")
    return {
        "appId": stable_guid("appi-app", name),
        "instrumentationKey": key,
        "connectionString": f"InstrumentationKey={key};IngestionEndpoint=https://{location}-0.in.applicationinsights.azure.com/",
    }


def _workspace_outputs(name: str, state: dict[str, Any]) -> dict[str, Any]:
    location = state.get("location", "westeurope")
    return {
        "workspaceId": stable_guid("mlw", name),
        "discoveryUrl": f"https://{location}.api.azureml.ms/discovery",
        "mlFlowTrackingUri": f"azureml://{location}.api.azureml.ms/mlflow/v1.0{state['id']}",
        "provisioningState": "Succeeded",
    }


def _registry_outputs(name: str, state: dict[str, Any]) -> dict[str, Any]:
    location = state.get("location", "westeurope")
    return {
        "discoveryUrl": f"https://{location}.api.azureml.ms/registrymanagement/v1.0/registries/{name}/discovery",
        "mlFlowRegistryUri": f"azureml://{location}.api.azureml.ms/mlflow/v1.0{state['id']}",
    }


def _online_endpoint_outputs(name: str, state: dict[str, Any]) -> dict[str, Any]:
    location = state.get("location", "westeurope")
    return {
        "properties": {
            "scoringUri": f"https://{name}.{location}.inference.ml.azure.com/score",
            "swaggerUri": f"https://{name}.{location}.inference.ml.azure.com/swagger.json",
            "provisioningState": "Succeeded",
        }
    }


#: How ARM spells a template parameter's type in a deployment's response.
_PARAMETER_TYPES = {"string": "String", "int": "Int", "bool": "Bool", "object": "Object", "array": "Array"}


def _template_deployment_outputs(_: str, state: dict[str, Any]) -> dict[str, Any]:
    """A finished incremental deployment: its mode, its parameters typed as the template declares them (secure ones
    are not returned), no outputs."""
    properties = state.get("properties") or {}
    declared = (properties.get("template") or {}).get("parameters") or {}
    parameters = {}
    for key, value in (properties.get("parameters") or {}).items():
        kind = str((declared.get(key) or {}).get("type", "string")).lower()
        if not kind.startswith("secure"):
            parameters[key] = {"type": _PARAMETER_TYPES.get(kind, "String"), **value}
    return {"properties": {"mode": properties.get("mode", "Incremental"), "parameters": parameters,
                           "provisioningState": "Succeeded", "outputs": {}}}


def _as_deployment_response(state: dict[str, Any]) -> None:
    """ARM's deployment response carries the parameters but not the template it ran."""
    properties = state.get("properties")
    if isinstance(properties, dict):
        properties.pop("template", None)


def _deep_merge(target: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        else:
            target[key] = value
