"""From a plan to a :class:`StackGraph`: which resources are boxes, which become lines or notes, and the groups.

Boxes: every cloud resource that stands on its own (a workspace, a vault, a subnet, a private endpoint, a private DNS
zone, an Entra group...), the workspace's managed network and its outbound rules, and the resources outside the stack
that the stack reaches (the shared registry). Lines: role assignments (principal -> scope, labelled with the roles'
names), private DNS zone groups (endpoint -> zone), zone links (zone -> virtual network), diagnostic settings,
metric alerts and scoped resources of a private link scope. Notes: settings that only tune one resource (a delete
lock, blob service properties, an autoscale setting, a federated credential). Everything else a resource references
(its inputs' dependencies, the resource group aside) is a reference line labelled with the input's name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from blueprint.tools.graph.model import ACCESS, CONTAINS, NETWORK, REFERENCE, Edge, Node, StackGraph, merged_edges
from components.roles import PRIVILEGED_ROLE_GUIDS, BuiltInRole

if TYPE_CHECKING:
    from blueprint.tools.preview.plan import Plan, PlannedResource

STACK_TYPE = "pulumi:pulumi:Stack"
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
ENTRA_GROUP = "Entra ID"
SUBSCRIPTION_GROUP = "subscription"
OTHER_STACKS_GROUP = "other stacks"
OUTSIDE_GROUP = "outside the stack"

#: Inputs whose dependencies are not drawn: every resource of the stack sits in the one resource group.
UNDRAWN_INPUTS = frozenset({"resourceGroupName", "location", "tags"})

#: Role names by definition GUID (the roles the platform grants, and the privileged ones the pack forbids).
ROLE_NAMES: dict[str, str] = {role.definition_guid: role.value for role in BuiltInRole} | dict(PRIVILEGED_ROLE_GUIDS)

#: Box kinds by the provider module of a resource type.
KIND_BY_MODULE: dict[str, str] = {
    "network": "network",
    "privatedns": "network",
    "managedidentity": "identity",
    "index/group": "identity",
    "index/servicePrincipal": "identity",
    "index/application": "identity",
    "index/conditionalAccessPolicy": "security",
    "keyvault": "security",
    "authorization": "security",
    "storage": "data",
    "containerregistry": "data",
    "machinelearningservices": "ml",
    "resources": "group",
    "monitor": "monitoring",
    "operationalinsights": "monitoring",
    "applicationinsights": "monitoring",
    "consumption": "cost",
}

#: Friendlier names than the type token's last word, where that word alone misleads.
TYPE_NAMES: dict[str, str] = {
    "azure-native:machinelearningservices:Workspace": "ML workspace",
    "azure-native:operationalinsights:Workspace": "Log Analytics workspace",
    "azure-native:applicationinsights:Component": "Application Insights",
    "azure-native:managedidentity:UserAssignedIdentity": "managed identity",
    "azure-native:resources:ResourceGroup": "resource group",
    "azure-native:containerregistry:Registry": "container registry",
    "azure-native:keyvault:Vault": "key vault",
    "azure-native:storage:StorageAccount": "storage account",
    "azure-native:machinelearningservices:Compute": "compute cluster",
    "azure-native:machinelearningservices:OnlineEndpoint": "online endpoint",
    "azure-native:machinelearningservices:OnlineDeployment": "online deployment",
    "azure-native:machinelearningservices:Schedule": "schedule",
    "azure-native:network:VirtualNetwork": "virtual network",
    "azure-native:network:Subnet": "subnet",
    "azure-native:network:PrivateEndpoint": "private endpoint",
    "azure-native:network:NetworkSecurityGroup": "network security group",
    "azure-native:monitor:ActionGroup": "action group",
    "azure-native:consumption:Budget": "budget",
    "azure-native:resources:Deployment": "ARM deployment",
    "azure-native:privatedns:PrivateZone": "private DNS zone",
    "azure-native:monitor:PrivateLinkScope": "monitor private link scope",
    "azuread:index/group:Group": "Entra group",
    "azuread:index/servicePrincipal:ServicePrincipal": "service principal",
    "azuread:index/application:Application": "Entra application",
    "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy": "conditional access policy",
    STACK_REFERENCE_TYPE: "stack reference",
}

#: Settings folded into the resource they tune: type -> (the input naming that resource, the note it leaves there).
FOLDED: dict[str, tuple[str, str]] = {
    "azure-native:authorization:ManagementLockAtResourceGroupLevel": ("resourceGroupName", "delete lock"),
    "azure-native:storage:BlobServiceProperties": ("accountName", "blob service settings"),
    "azure-native:monitor:AutoscaleSetting": ("targetResourceUri", "autoscale"),
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential": (
        "applicationId",
        "federated credential",
    ),
}

#: Resources drawn as a line: type -> (input of the line's source, input of its target, kind, label).
AS_EDGES: dict[str, tuple[str, str, str, str]] = {
    "azure-native:network:PrivateDnsZoneGroup": ("privateEndpointName", "privateDnsZoneConfigs", NETWORK, "DNS zone"),
    "azure-native:privatedns:VirtualNetworkLink": ("privateZoneName", "virtualNetwork", NETWORK, "linked to"),
    "azure-native:monitor:PrivateLinkScopedResource": ("scopeName", "linkedResourceId", NETWORK, "private link"),
    "azure-native:monitor:DiagnosticSetting": ("resourceUri", "workspaceId", REFERENCE, "diagnostics"),
    "azure-native:monitor:MetricAlert": ("scopes", "actions", REFERENCE, "alerts"),
}
ROLE_ASSIGNMENT_TYPE = "azure-native:authorization:RoleAssignment"
#: A role assignment's ``principalType``, as a box outside the stack is called.
PRINCIPAL_TYPE_NAMES = {"Group": "Entra group", "ServicePrincipal": "service principal", "User": "user"}

#: Inputs drawn other than as a plain reference: (type, input) -> (kind, label, drawn from the dependency).
SPECIAL_INPUTS: dict[tuple[str, str], tuple[str, str, bool]] = {
    ("azure-native:network:Subnet", "virtualNetworkName"): (CONTAINS, "", True),
    ("azure-native:network:Subnet", "networkSecurityGroup"): (NETWORK, "NSG", False),
    ("azure-native:network:PrivateEndpoint", "subnet"): (NETWORK, "in subnet", False),
    ("azure-native:network:PrivateEndpoint", "privateLinkServiceConnections"): (NETWORK, "private link", False),
}

#: How a reference line reads, by the input it comes from (others read as the input's name: keyVault, identity...).
REFERENCE_LABELS: dict[str, str] = {
    "properties": "uses",
    "workspaceName": "in workspace",
    "endpointName": "of endpoint",
    "notifications": "notifies",
    "conditions": "applies to",
    "clientId": "of application",
    "workspaceResourceId": "logs to",
}

#: What a resource outside the plan is called, by its ARM type (others: the type's last word, as in its ID).
ARM_TYPE_NAMES: dict[str, str] = {
    "microsoft.machinelearningservices/registries": "ML registry",
    "microsoft.network/privatednszones": "private DNS zone",
    "microsoft.network/virtualnetworks": "virtual network",
    "microsoft.network/virtualnetworks/subnets": "subnet",
    "microsoft.keyvault/vaults": "key vault",
    "microsoft.storage/storageaccounts": "storage account",
}

_ARM_ID = re.compile(r"^/subscriptions/[^/]+(?:/resourceGroups/(?P<group>[^/]+))?(?:/providers/(?P<rest>.+))?$", re.IGNORECASE)


def graph_of_plan(plan: Plan) -> StackGraph:
    """The graph of ``plan``: see the module's docstring for what becomes what."""
    return _Builder(plan).build()


class _Builder:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.by_urn: dict[str, PlannedResource] = {r.urn: r for r in plan.resources}
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.folded_into: dict[str, str] = {}
        self.plan_ids = {str(r.outputs["id"]).lower() for r in plan.resources if r.outputs.get("id")}

    def build(self) -> StackGraph:
        resources = sorted(self.plan.resources, key=lambda r: r.urn)
        drawn = [r for r in resources if r.custom and r.type not in FOLDED and r.type not in AS_EDGES and r.type != ROLE_ASSIGNMENT_TYPE]
        for resource in drawn:
            self._add(
                Node(resource.urn, _label(resource), _kind(resource.type), self._group(resource), (resource.urn,)),
            )
        for resource in resources:
            if resource.type in FOLDED:
                self._fold(resource)
        for resource in drawn:
            self._references(resource)
            if resource.type == "azure-native:machinelearningservices:Workspace":
                self._managed_network(resource)
        for resource in resources:
            if resource.type in AS_EDGES:
                self._as_edges(resource)
            elif resource.type == ROLE_ASSIGNMENT_TYPE:
                self._role_assignment(resource)
        edges = merged_edges(e for e in self.edges if e.source in self.nodes and e.target in self.nodes)
        return StackGraph(self.plan.stack, tuple(self.nodes[key] for key in sorted(self.nodes)), edges)

    # --- boxes -------------------------------------------------------------------------------------------------

    def _add(self, node: Node) -> None:
        if node.key not in self.nodes:
            self.nodes[node.key] = node

    def _group(self, resource: PlannedResource) -> tuple[str, ...]:
        """The resource's place: where it lives (resource group, Entra ID...), then its components, outermost first."""
        components: list[str] = []
        parent = self.by_urn.get(resource.parent or "")
        while parent is not None and parent.type != STACK_TYPE:
            if not parent.custom:
                components.append(f"{_type_name(parent.type)} {parent.name}")
            parent = self.by_urn.get(parent.parent or "")
        return (self._home(resource), *reversed(components))

    def _home(self, resource: PlannedResource) -> str:
        if resource.type.startswith("azuread:"):
            return ENTRA_GROUP
        if resource.type == STACK_REFERENCE_TYPE:
            return OTHER_STACKS_GROUP
        if resource.type == "azure-native:resources:ResourceGroup":
            name = resource.physical_name or resource.name
            return f"resource group {name}"
        group = resource.inputs.get("resourceGroupName")
        return f"resource group {group}" if isinstance(group, str) else SUBSCRIPTION_GROUP

    def _outside(self, resource_id: str) -> str:
        """The box of a resource outside the plan, from its ARM ID (the shared registry a role or rule points to)."""
        key = f"arm:{resource_id.lower()}"
        match = _ARM_ID.match(resource_id)
        group = f"resource group {match['group']}" if match and match["group"] else OUTSIDE_GROUP
        rest = (match["rest"] if match else None) or resource_id
        parts = rest.split("/")
        arm_type = "/".join([parts[0], *parts[1:-1:2]]).lower() if len(parts) >= 3 else ""
        kind_name = ARM_TYPE_NAMES.get(arm_type, parts[-2] if len(parts) >= 2 else "resource")
        label = f"{kind_name} (outside the stack)\n{parts[-1]}"
        self._add(Node(key, label, "external", (OUTSIDE_GROUP, group)))
        return key

    def _fold(self, resource: PlannedResource) -> None:
        prop, note = FOLDED[resource.type]
        for target in self._targets(resource, prop):
            node = self.nodes.get(target)
            if node is None:
                continue
            self.nodes[target] = Node(
                node.key, node.label, node.kind, node.group, tuple(sorted({*node.resources, resource.urn})), tuple(sorted({*node.notes, note}))
            )
            self.folded_into[resource.urn] = target

    def _managed_network(self, workspace: PlannedResource) -> None:
        """The workspace's managed network (isolation mode) and one box per outbound rule."""
        managed = workspace.inputs.get("managedNetwork")
        if not isinstance(managed, dict):
            return
        mode = managed.get("isolationMode", "Disabled")
        network_key = f"{workspace.urn}#managed-network"
        group = self._group(workspace)
        self._add(Node(network_key, f"managed network\n{mode}", "network", group, (workspace.urn,)))
        self.edges.append(Edge(workspace.urn, network_key, CONTAINS))
        rules = managed.get("outboundRules") or {}
        for name in sorted(rules):
            rule = rules[name] if isinstance(rules[name], dict) else {}
            destination = rule.get("destination")
            rule_type = str(rule.get("type", "rule"))
            if isinstance(destination, dict) and isinstance(destination.get("serviceResourceId"), str):
                target = self._outside(destination["serviceResourceId"])
                self.edges.append(Edge(network_key, target, NETWORK, f"outbound {rule_type}: {destination.get('subresourceTarget', '')}".rstrip(": ")))
                continue
            rule_key = f"{workspace.urn}#outbound/{name}"
            shown = destination if isinstance(destination, str) else name
            self._add(Node(rule_key, f"outbound {rule_type}\n{shown}", "network", group, (workspace.urn,)))
            self.edges.append(Edge(network_key, rule_key, NETWORK, "allows"))

    # --- lines -------------------------------------------------------------------------------------------------

    def _targets(self, resource: PlannedResource, prop: str) -> list[str]:
        """The boxes an input of ``resource`` depends on (a folded resource stands for the box it is folded into)."""
        keys = []
        for urn in resource.property_dependencies.get(prop, []):
            key = self.folded_into.get(urn, urn)
            if key in self.nodes and key not in keys:
                keys.append(key)
        return keys

    def _endpoints(self, resource: PlannedResource, prop: str) -> list[str]:
        """As :meth:`_targets`, plus a box for each resource ID in the input that is not the plan's (a hub's private
        DNS zone, the shared registry a stack reference supplied); a stack reference itself is no end of a line."""
        keys = [k for k in self._targets(resource, prop) if self.by_urn.get(k) is None or self.by_urn[k].type != STACK_REFERENCE_TYPE]
        for resource_id in _resource_ids(resource.inputs.get(prop)):
            if resource_id.lower() not in self.plan_ids:
                key = self._outside(resource_id)
                if key not in keys:
                    keys.append(key)
        return keys

    def _references(self, resource: PlannedResource) -> None:
        for prop in sorted(resource.property_dependencies):
            if prop in UNDRAWN_INPUTS:
                continue
            kind, label, reverse = SPECIAL_INPUTS.get((resource.type, prop), (REFERENCE, REFERENCE_LABELS.get(prop, prop), False))
            if prop == "privateLinkServiceConnections":
                groups = sorted({g for c in resource.inputs.get(prop) or [] if isinstance(c, dict) for g in c.get("groupIds") or []})
                label = ", ".join(groups) or label
            # a network input may name a resource outside the plan (a landing zone's subnet): it gets a box
            targets = self._endpoints(resource, prop) if (resource.type, prop) in SPECIAL_INPUTS else self._targets(resource, prop)
            for target in targets:
                if self.by_urn.get(target) is not None and self.by_urn[target].type == "azure-native:resources:ResourceGroup":
                    continue
                source, target = (target, resource.urn) if reverse else (resource.urn, target)
                self.edges.append(Edge(source, target, kind, label))

    def _as_edges(self, resource: PlannedResource) -> None:
        source_prop, target_prop, kind, label = AS_EDGES[resource.type]
        for source in self._endpoints(resource, source_prop):
            for target in self._endpoints(resource, target_prop):
                self.edges.append(Edge(source, target, kind, label, (resource.urn,)))

    def _role_assignment(self, resource: PlannedResource) -> None:
        """principal -> scope, labelled with the role's name; a principal or scope outside the plan gets its own box."""
        role = _role_name(str(resource.inputs.get("roleDefinitionId", "")))
        principals = self._targets(resource, "principalId")
        if not principals:
            principal_id = str(resource.inputs.get("principalId", "unknown"))
            principal_type = PRINCIPAL_TYPE_NAMES.get(str(resource.inputs.get("principalType")), "principal")
            key = f"principal:{principal_id}"
            self._add(Node(key, f"{principal_type} (outside the stack)\n{principal_id}", "external", (OUTSIDE_GROUP, ENTRA_GROUP)))
            principals = [key]
        scopes = self._endpoints(resource, "scope")
        for principal in principals:
            for target in scopes:
                self.edges.append(Edge(principal, target, ACCESS, role, (resource.urn,)))


def _resource_ids(value: object) -> list[str]:
    """The Azure resource IDs anywhere in an input's value, in order."""
    if isinstance(value, str):
        return [value] if value.lower().startswith("/subscriptions/") else []
    if isinstance(value, dict):
        return [i for key in sorted(value) for i in _resource_ids(value[key])]
    if isinstance(value, list):
        return [i for item in value for i in _resource_ids(item)]
    return []


def _role_name(definition_id: str) -> str:
    guid = definition_id.rsplit("/", 1)[-1].lower()
    return ROLE_NAMES.get(guid, f"role {guid}")


def _type_name(type_token: str) -> str:
    if type_token in TYPE_NAMES:
        return TYPE_NAMES[type_token]
    last = type_token.rsplit(":", 1)[-1]
    return last


def _kind(type_token: str) -> str:
    parts = type_token.split(":")
    if len(parts) < 3:
        return "other"
    module = parts[1]
    return KIND_BY_MODULE.get(module, KIND_BY_MODULE.get(module.split("/")[0], "other"))


def _label(resource: PlannedResource) -> str:
    return f"{_type_name(resource.type)}\n{resource.name}"
