"""``MlWorkspace``: an Azure ML workspace with its dependencies, each hardened explicitly.

Creates (or reuses) a resource group, a Log Analytics workspace, workspace-based Application Insights, a storage
account, a Key Vault, a container registry and the Azure ML workspace with a managed identity. Every secure value
is set explicitly rather than left to SDK or service defaults, so the plan shows it and the policy pack can check
it; required tags go on every taggable resource. When the telemetry stores are closed to public ingestion
(private mode), an Azure Monitor Private Link Scope scopes them, for the private network to connect to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import (
    applicationinsights,
    authorization,
    containerregistry,
    keyvault,
    machinelearningservices,
    managedidentity,
    operationalinsights,
    resources,
    storage,
)

from components.customer_key import CustomerKey
from components.hardening import hardened_log_analytics_settings, hardened_storage_settings, hardened_vault_properties
from components.monitor_private_link import MonitorPrivateLinkScope
from components.naming import NamingArgs, ResourceKind, namer_for
from components.options import NetworkMode
from components.role_assignments import RoleAssignments, identity_assignments
from components.roles import WORKSPACE_IDENTITY_ROLES, Scope
from components.tags import required_tags

ENABLED, DISABLED = "Enabled", "Disabled"
#: What a service tag outbound rule allows when it says nothing else: HTTPS.
DEFAULT_OUTBOUND_PROTOCOL, DEFAULT_OUTBOUND_PORTS = "TCP", "443"
#: SKUs of the Azure Firewall a managed network runs for FQDN rules (``managedNetwork.firewallSku``); Azure's default
#: is Standard (https://learn.microsoft.com/azure/machine-learning/how-to-managed-network#pricing).
FIREWALL_SKUS = ("Standard", "Basic")


class OutboundRuleArgs(TypedDict):
    """One approved outbound destination of the workspace's managed VNet: an FQDN or a service tag."""

    name: str
    """Rule name."""
    fqdn: NotRequired[str | None]
    """Host name, e.g. ``pypi.org`` (Azure ML then runs a managed firewall, billed hourly)."""
    service_tag: NotRequired[str | None]
    """Azure service tag, e.g. ``AzureMonitor``."""
    protocol: NotRequired[str]
    """Service tag rules: TCP, UDP or * (default :data:`DEFAULT_OUTBOUND_PROTOCOL`)."""
    port_ranges: NotRequired[str]
    """Service tag rules: ports (default :data:`DEFAULT_OUTBOUND_PORTS`)."""


class PrivateEndpointRuleArgs(TypedDict):
    """A private endpoint from the workspace's managed VNet to an Azure resource outside the workspace."""

    name: str
    """Rule name."""
    resource_id: pulumi.Input[str]
    """ARM ID of the destination, e.g. the shared Azure ML registry."""
    subresource_target: str
    """Private link group of the destination, e.g. ``amlregistry``."""
    spark_enabled: NotRequired[bool]
    """Also reachable from serverless Spark (model monitors), once the network is provisioned with Spark."""


class CustomerManagedKeyArgs(TypedDict):
    """Encryption at rest with the organisation's own key (components.customer_key)."""

    key_size: int
    """RSA key size: 3072 or 4096."""
    expires_on: str
    """Expiry of the key's first version, ``YYYY-MM-DD``; Key Vault rotates it before then."""


class MlWorkspaceArgs(TypedDict):
    """Arguments of :class:`MlWorkspace`."""

    location: str
    """Azure region of every resource."""
    naming: NamingArgs
    """How physical names are derived."""
    tags: dict[str, str]
    """Tags for every taggable resource; must hold the required tags."""
    network_mode: NetworkMode
    """Isolation tier: public (allow-list), managed (managed VNet, closed dependencies) or private."""
    allowed_ip_ranges: NotRequired[Sequence[str]]
    """IPv4 addresses or CIDR ranges let through the dependencies' firewalls in public mode."""
    resource_group_name: NotRequired[str | None]
    """Existing resource group to deploy into; a new one is created when absent."""
    log_retention_days: NotRequired[int]
    """Log Analytics retention in days (default 30)."""
    key_vault_soft_delete_days: NotRequired[int]
    """Key Vault soft-delete retention, 7-90 days (default 90)."""
    blob_soft_delete_days: NotRequired[int]
    """Blob and container soft-delete retention in days (default 7)."""
    high_business_impact: NotRequired[bool]
    """Mark the workspace high-business-impact (for confidential data): less diagnostic data leaves it."""
    zone_redundant: NotRequired[bool]
    """Zone-redundant storage and registry (prod)."""
    protect_data: NotRequired[bool]
    """Protect data-bearing resources from deletion: Pulumi ``protect`` plus a CanNotDelete lock on the group."""
    outbound_rules: NotRequired[Sequence[OutboundRuleArgs]]
    """Approved outbound destinations of the managed VNet (managed and private modes)."""
    private_endpoint_rules: NotRequired[Sequence[PrivateEndpointRuleArgs]]
    """Private endpoints from the managed VNet to resources outside the workspace (every mode: the managed VNet
    allows Internet outbound in public mode, but a resource with public access disabled is reached privately only)."""
    firewall_sku: NotRequired[str | None]
    """SKU of the managed network's Azure Firewall (one of :data:`FIREWALL_SKUS`); ``None`` leaves Azure's default."""
    customer_managed_key: NotRequired[CustomerManagedKeyArgs | None]
    """Encrypt the workspace, its storage and its registry with a key in its vault (managed and private modes: the
    registry must be Premium). Fixed when the workspace and registry are created."""


class MlWorkspace(pulumi.ComponentResource):
    """An Azure ML workspace and its hardened dependencies."""

    resource_group_name: pulumi.Output[str]
    workspace_name: pulumi.Output[str]
    workspace_id: pulumi.Output[str]
    workspace_guid: pulumi.Output[str]
    studio_url: pulumi.Output[str]
    principal_id: pulumi.Output[str]
    identity_id: pulumi.Output[str]
    resource_group_id: pulumi.Output[str]
    storage_account_id: pulumi.Output[str]
    key_vault_id: pulumi.Output[str]
    key_vault_uri: pulumi.Output[str]
    container_registry_id: pulumi.Output[str]
    log_analytics_workspace_id: pulumi.Output[str]
    application_insights_id: pulumi.Output[str]
    monitor_private_link_scope_id: pulumi.Output[str] | None
    """The Azure Monitor Private Link Scope of the telemetry stores, when their public ingestion is disabled."""

    def __init__(self, name: str, args: MlWorkspaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplatform:index:MlWorkspace", name, None, opts)
        location = args["location"]
        naming = args["naming"]
        namer = namer_for(naming, location)
        tags = required_tags(args["tags"])
        mode = NetworkMode(args["network_mode"])
        allowed = list(args.get("allowed_ip_ranges") or [])
        public = mode is NetworkMode.PUBLIC
        # Storage, vault and registry are reached by Azure ML through managed private endpoints unless public;
        # the workspace and its telemetry stay reachable (behind Entra ID) until the private tier closes them.
        dependency_access = ENABLED if public else DISABLED
        workspace_access = DISABLED if mode is NetworkMode.PRIVATE else ENABLED
        zone_redundant = args.get("zone_redundant", False)
        child = pulumi.ResourceOptions(parent=self)
        # Deleting any of these loses data (models, datasets, secrets, images): `protect` makes Pulumi refuse.
        data_opts = pulumi.ResourceOptions(parent=self, protect=args.get("protect_data", False))
        client = authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=self))

        if args.get("resource_group_name"):
            rg_name: pulumi.Input[str] = str(args["resource_group_name"])
        else:
            group = resources.ResourceGroup(
                f"{name}-rg",
                resource_group_name=namer.name(ResourceKind.RESOURCE_GROUP),
                location=location,
                tags=tags,
                opts=child,
            )
            rg_name = group.name

        logs = operationalinsights.Workspace(
            f"{name}-log",
            workspace_name=namer.name(ResourceKind.LOG_ANALYTICS),
            resource_group_name=rg_name,
            location=location,
            **hardened_log_analytics_settings(args.get("log_retention_days", 30), workspace_access),
            tags=tags,
            opts=child,
        )

        insights = applicationinsights.Component(
            f"{name}-appi",
            resource_name_=namer.name(ResourceKind.APP_INSIGHTS),
            resource_group_name=rg_name,
            location=location,
            kind="web",
            application_type="web",
            ingestion_mode="LogAnalytics",
            workspace_resource_id=logs.id,
            disable_local_auth=True,
            disable_ip_masking=False,
            public_network_access_for_ingestion=workspace_access,
            public_network_access_for_query=workspace_access,
            tags=tags,
            opts=child,
        )

        # Telemetry stores closed to public ingestion accept data only through a private link scope: it exists
        # exactly when they are closed, and the network that reaches the platform connects to it (``scope_id``).
        monitor_scope = None
        if workspace_access == DISABLED:
            monitor_scope = MonitorPrivateLinkScope(
                f"{name}-monitor",
                {
                    "location": location,
                    "naming": naming,
                    "tags": tags,
                    "resource_group_name": rg_name,
                    "scoped_resources": [
                        {"key": "logs", "resource_id": logs.id},
                        {"key": "insights", "resource_id": insights.id},
                    ],
                },
                opts=child,
            )

        vault = keyvault.Vault(
            f"{name}-kv",
            vault_name=namer.name(ResourceKind.KEY_VAULT),
            resource_group_name=rg_name,
            location=location,
            properties=hardened_vault_properties(client.tenant_id, args.get("key_vault_soft_delete_days", 90), dependency_access, allowed),
            tags=tags,
            opts=data_opts,
        )

        # The organisation's own key, in the vault above (purge protection on): the storage account and registry
        # are encrypted with it from creation, and wait for its identity's grant on the key.
        cmk = args.get("customer_managed_key")
        customer_key: CustomerKey | None = None
        if cmk:
            if public:
                raise ValueError(f"MlWorkspace {name}: a customer-managed key needs network mode managed or private (the public tier's Basic registry cannot use one)")
            customer_key = CustomerKey(
                f"{name}-cmk",
                {
                    "location": location,
                    "naming": naming,
                    "resource_group_name": rg_name,
                    "vault_id": vault.id,
                    "vault_name": vault.name,
                    "vault_uri": vault.properties.apply(lambda props: props.vault_uri),
                    "key_size": cmk["key_size"],
                    "expires_on": cmk["expires_on"],
                    "tags": tags,
                },
                opts=child,
            )
        encrypted_opts = (
            pulumi.ResourceOptions.merge(data_opts, pulumi.ResourceOptions(depends_on=[customer_key.grants])) if customer_key else data_opts
        )
        account_settings = hardened_storage_settings(dependency_access, allowed)
        if customer_key:
            account_settings.update(encryption=customer_key.storage_encryption(), identity=customer_key.storage_identity())
        account = storage.StorageAccount(
            f"{name}-st",
            account_name=namer.name(ResourceKind.STORAGE_ACCOUNT),
            resource_group_name=rg_name,
            location=location,
            kind="StorageV2",
            sku=storage.SkuArgs(name="Standard_ZRS" if zone_redundant else "Standard_LRS"),
            **account_settings,
            tags=tags,
            opts=encrypted_opts,
        )

        blob_days = args.get("blob_soft_delete_days", 7)
        storage.BlobServiceProperties(
            f"{name}-blob",
            account_name=account.name,
            resource_group_name=rg_name,
            blob_services_name="default",
            is_versioning_enabled=True,
            delete_retention_policy=storage.DeleteRetentionPolicyArgs(enabled=True, days=blob_days),
            container_delete_retention_policy=storage.DeleteRetentionPolicyArgs(enabled=True, days=blob_days),
            opts=child,
        )

        registry = containerregistry.Registry(
            f"{name}-cr",
            registry_name=namer.name(ResourceKind.CONTAINER_REGISTRY),
            resource_group_name=rg_name,
            location=location,
            admin_user_enabled=False,
            anonymous_pull_enabled=False,
            tags=tags,
            opts=encrypted_opts,
            **_registry_settings(public=public, zone_redundant=zone_redundant),
            **({"encryption": customer_key.registry_encryption(), "identity": customer_key.registry_identity()} if customer_key else {}),
        )

        # A user-assigned identity, granted exactly what the workspace needs before the workspace exists (Azure
        # ML checks these permissions at creation); it outlives a workspace re-creation.
        identity = managedidentity.UserAssignedIdentity(
            f"{name}-id",
            resource_name_=namer.name(ResourceKind.USER_ASSIGNED_IDENTITY, "mlw"),
            resource_group_name=rg_name,
            location=location,
            tags=tags,
            opts=child,
        )
        scopes = {Scope.STORAGE: account.id, Scope.KEY_VAULT: vault.id, Scope.CONTAINER_REGISTRY: registry.id}
        identity_roles = RoleAssignments(
            f"{name}-identity-roles",
            {
                "assignments": identity_assignments("workspace", identity.principal_id, WORKSPACE_IDENTITY_ROLES, scopes),
                "seed": naming["seed"],
            },
            opts=child,
        )

        workspace = machinelearningservices.Workspace(
            f"{name}-mlw",
            workspace_name=namer.name(ResourceKind.ML_WORKSPACE),
            resource_group_name=rg_name,
            location=location,
            kind="Default",
            sku=machinelearningservices.SkuArgs(name="Basic", tier="Basic"),
            friendly_name=f"{naming['prefix']} {naming['environment']} ML workspace",
            description=f"Azure ML workspace of {naming['prefix']} ({naming['environment']}), managed by Pulumi.",
            identity=machinelearningservices.ManagedServiceIdentityArgs(
                type="UserAssigned", user_assigned_identities=[identity.id, *([customer_key.identity_id] if customer_key else [])]
            ),
            primary_user_assigned_identity=identity.id,
            application_insights=insights.id,
            key_vault=vault.id,
            storage_account=account.id,
            container_registry=registry.id,
            public_network_access=workspace_access,
            allow_public_access_when_behind_vnet=False,
            managed_network=machinelearningservices.ManagedNetworkSettingsArgs(
                isolation_mode="AllowInternetOutbound" if public else "AllowOnlyApprovedOutbound",
                outbound_rules=_outbound_rules(args.get("outbound_rules") or [], args.get("private_endpoint_rules") or []) or None,
                firewall_sku=_firewall_sku(args.get("firewall_sku")),
            ),
            # Shared keys are off on the storage account: datastores must authenticate with identities.
            system_datastores_auth_mode="identity",
            hbi_workspace=args.get("high_business_impact", False),
            encryption=customer_key.workspace_encryption() if customer_key else None,
            v1_legacy_mode=False,
            enable_data_isolation=True,
            tags=tags,
            opts=pulumi.ResourceOptions.merge(
                data_opts, pulumi.ResourceOptions(depends_on=[identity_roles, *([customer_key.grants] if customer_key else [])])
            ),
        )

        resource_group_id = pulumi.Output.concat("/subscriptions/", client.subscription_id, "/resourceGroups/", rg_name)
        if args.get("protect_data", False):
            # `protect` guards against Pulumi; the lock guards against everyone else (portal, CLI, scripts).
            authorization.ManagementLockAtResourceGroupLevel(
                f"{name}-lock",
                lock_name=namer.name(ResourceKind.MANAGEMENT_LOCK),
                resource_group_name=rg_name,
                level="CanNotDelete",
                notes="Protects the ML platform's data (storage, Key Vault, registries, workspace). Remove deliberately, through code review.",
                opts=pulumi.ResourceOptions(parent=self, depends_on=[workspace]),
            )

        self.resource_group_name = pulumi.Output.from_input(rg_name)
        self.workspace_name = workspace.name
        self.workspace_id = workspace.id
        self.workspace_guid = workspace.workspace_id
        self.studio_url = workspace.id.apply(lambda arm_id: f"https://ml.azure.com/home?wsid={arm_id}")
        self.principal_id = identity.principal_id
        self.identity_id = identity.id
        self.resource_group_id = resource_group_id
        self.storage_account_id = account.id
        self.key_vault_id = vault.id
        self.key_vault_uri = vault.properties.apply(lambda props: props.vault_uri)
        self.container_registry_id = registry.id
        self.log_analytics_workspace_id = logs.id
        self.application_insights_id = insights.id
        self.monitor_private_link_scope_id = monitor_scope.scope_id if monitor_scope is not None else None
        self.register_outputs(
            {
                "resource_group_name": self.resource_group_name,
                "workspace_name": self.workspace_name,
                "workspace_id": self.workspace_id,
                "studio_url": self.studio_url,
                "identity_id": self.identity_id,
                "storage_account_id": self.storage_account_id,
                "key_vault_id": self.key_vault_id,
                "container_registry_id": self.container_registry_id,
                "log_analytics_workspace_id": self.log_analytics_workspace_id,
                "application_insights_id": self.application_insights_id,
                **({"monitor_private_link_scope_id": self.monitor_private_link_scope_id} if monitor_scope is not None else {}),
            }
        )


def _outbound_rules(rules: Sequence[OutboundRuleArgs], endpoints: Sequence[PrivateEndpointRuleArgs]) -> dict[str, object]:
    """The managed VNet's user-defined outbound rules, keyed by name as the API expects."""
    converted: dict[str, object] = {}
    for endpoint in endpoints:
        if endpoint["name"] in converted or any(rule["name"] == endpoint["name"] for rule in rules):
            raise ValueError(f"outbound rule {endpoint['name']!r} is given twice")
        converted[endpoint["name"]] = machinelearningservices.PrivateEndpointOutboundRuleArgs(
            type="PrivateEndpoint",
            category="UserDefined",
            destination=machinelearningservices.PrivateEndpointDestinationArgs(
                service_resource_id=endpoint["resource_id"],
                subresource_target=endpoint["subresource_target"],
                spark_enabled=endpoint.get("spark_enabled", False),
            ),
        )
    for rule in rules:
        if rule.get("fqdn"):
            converted[rule["name"]] = machinelearningservices.FqdnOutboundRuleArgs(
                type="FQDN", category="UserDefined", destination=rule["fqdn"]
            )
        else:
            converted[rule["name"]] = machinelearningservices.ServiceTagOutboundRuleArgs(
                type="ServiceTag",
                category="UserDefined",
                destination=machinelearningservices.ServiceTagDestinationArgs(
                    service_tag=rule.get("service_tag"),
                    protocol=rule.get("protocol", DEFAULT_OUTBOUND_PROTOCOL),
                    port_ranges=rule.get("port_ranges", DEFAULT_OUTBOUND_PORTS),
                    action="Allow",
                ),
            )
    return converted


def _firewall_sku(sku: str | None) -> str | None:
    """The firewall SKU as Azure spells it, refusing one it does not have (``None``: Azure's default, Standard)."""
    if sku is None:
        return None
    if sku not in FIREWALL_SKUS:
        raise ValueError(f"firewall SKU {sku!r} is not one of {', '.join(FIREWALL_SKUS)}")
    return sku


def _registry_settings(*, public: bool, zone_redundant: bool) -> dict[str, object]:
    """SKU-dependent registry settings.

    Closing the network, disabling exports and retention need Premium; public (dev) mode uses Basic to stay
    cheap, which cannot restrict networks at all, so it is reported by the policy pack rather than hidden.
    """
    if public:
        return {"sku": containerregistry.SkuArgs(name="Basic"), "public_network_access": ENABLED, "zone_redundancy": DISABLED}
    return {
        "sku": containerregistry.SkuArgs(name="Premium"),
        "public_network_access": DISABLED,
        "network_rule_bypass_options": "AzureServices",
        "network_rule_set": containerregistry.NetworkRuleSetArgs(default_action="Deny"),
        "zone_redundancy": ENABLED if zone_redundant else DISABLED,
        "policies": containerregistry.PoliciesArgs(
            export_policy=containerregistry.ExportPolicyArgs(status="disabled"),
            retention_policy=containerregistry.RetentionPolicyArgs(status="enabled", days=7),
        ),
    }
