"""``StateBackend``: where every stack's Pulumi state lives, in the organisation's own Azure subscription.

One resource group holds a storage account with a private blob container (``pulumi login azblob://...``) and one Key
Vault key per environment for Pulumi's ``azurekeyvault`` secrets provider. Each environment's CI identities get their
own stacks' state (an ABAC condition on blob paths, components/state_access.py) and their environment's key, so a
pull-request preview of dev can never read prod's state or decrypt prod's secrets. The store is the most precious data of the platform, so
everything here is protected (Pulumi ``protect`` and a CanNotDelete lock) and recoverable (versioning, blob and
container soft delete, change feed, point-in-time restore); access is Entra ID only (no shared keys), granted on the
container and on each key, never on the account or the vault.

Facts this module relies on, and where they were checked:

* Pulumi DIY backend on Azure Blob Storage: ``pulumi login azblob://<container>?storage_account=<account>``
  (CLI 3.41.1 and later); without a key or SAS the backend signs in with the Azure SDK's DefaultAzureCredential and
  needs Storage Blob Data Contributor (Pulumi docs, "State and backends" / "Using a DIY backend").
* The ``azurekeyvault`` secrets provider is gocloud.dev's ``secrets/azurekeyvault`` keeper: it calls the Key Vault
  Encrypt and Decrypt operations with RSA-OAEP-256 on ``https://<vault>.vault.azure.net/keys/<key>[/<version>]``,
  the latest version when the URL names none (google/go-cloud ``secrets/azurekeyvault/akv.go``). Hence an RSA key
  whose only operations are encrypt and decrypt.
* A new key version cannot decrypt what an older version encrypted: with a versionless URL, rotating the key breaks
  every stack's encrypted data key (pulumi/pulumi#22338, #13201). So no automatic rotation: an expiry, a
  near-expiry notification, and rotation by ``pulumi stack change-secrets-provider`` to a new key (docs/state-backend.md).
* Azure Resource Manager creates the first version of a key and never updates it ("does not create subsequent
  versions, and does not update existing keys", Microsoft.KeyVault vaults/keys create): a key's settings are fixed
  at creation, so a new expiry means a new key name.
* Point-in-time restore needs versioning, change feed and blob soft delete, a restore window shorter than the
  soft-delete retention, general-purpose v2 standard accounts, Hot or Cool tier, no hierarchical namespace
  (Azure Storage docs, "Point-in-time restore for block blobs"; azure-native ``RestorePolicyPropertiesArgs.days``).
* azure-native 3.29 argument names: ``BlobServiceProperties(change_feed=ChangeFeedArgs(enabled, retention_in_days),
  restore_policy=RestorePolicyPropertiesArgs(enabled, days), delete_retention_policy=DeleteRetentionPolicyArgs(
  enabled, days, allow_permanent_delete))``; ``keyvault.Key(key_name, vault_name, properties=KeyPropertiesArgs(kty,
  key_size, key_ops, attributes=KeyAttributesArgs(expires, ...), rotation_policy=RotationPolicyArgs(...)))``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import authorization, keyvault, operationalinsights, resources, storage

from components.hardening import hardened_log_analytics_settings, hardened_storage_settings, hardened_vault_properties
from components.monitor_private_link import MonitorPrivateLinkScope
from components.monitoring import resource_diagnostics
from components.naming import NamingArgs, ResourceKind, namer_for, validate_name
from components.options import StateNetworkMode
from components.role_assignments import Assignment, RoleAssignments
from components.roles import STATE_OPERATOR_GRANTS, STATE_READER_GRANTS, Grant, Scope
from components.state_access import blob_path_condition, stack_paths, state_read_paths
from components.tags import required_tags

ENABLED, DISABLED = "Enabled", "Disabled"

#: RSA, because the secrets provider encrypts with RSA-OAEP-256; 3072 bits, NIST's size for use beyond 2030.
KEY_TYPE = "RSA"
KEY_SIZE = 3072
#: The only operations the azurekeyvault secrets provider performs.
KEY_OPERATIONS = ("encrypt", "decrypt")
#: Lifetime Key Vault gives a version created by hand (``az keyvault key rotate``) under the rotation policy; the
#: platform never creates one, since a new version would break the stacks' secrets (see the module docstring).
MANUAL_VERSION_LIFETIME = "P1Y"
#: Retention of the Key Vault's deleted objects: the maximum, as for every data-bearing vault of the platform.
VAULT_SOFT_DELETE_DAYS = 90
ZONE_REDUNDANT_SKUS = ("Standard_ZRS", "Standard_GZRS", "Standard_RAGZRS")


class OperatorArgs(TypedDict):
    """A principal that reads and writes state and uses the secrets-provider keys."""

    principal_id: str
    """Entra object ID of the group or service principal (it names the role assignments, so it is known upfront)."""
    principal_type: str
    """``Group`` (administrators) or ``ServicePrincipal`` (CI); users are refused."""
    description: NotRequired[str]
    """Who this is, shown on the role assignments."""
    read_only: NotRequired[bool]
    """Reads state only (a preview identity): Storage Blob Data Reader instead of Contributor on the container."""


class SecretsKeyArgs(TypedDict):
    """A Key Vault key for the secrets provider."""

    name: str
    """Key name (1-127 letters, digits, hyphens)."""
    expires: int
    """Expiry, seconds since 1970-01-01 UTC: the key stops encrypting then, and keeps decrypting."""


class CiStackArgs(TypedDict):
    """A stack CI deploys, and the principal IDs of its identities (its ``ciPrincipalIds`` output)."""

    stack: str
    """Stack name: its state lives under ``.pulumi/stacks/<project>/<stack>.json``."""
    deploy_principal_id: pulumi.Input[str]
    """Writes the stack's state (Storage Blob Data Contributor, fenced to the stack's paths)."""
    preview_principal_id: pulumi.Input[str]
    """Reads the stack's state (Storage Blob Data Reader, fenced to the stack's paths)."""


class EnvironmentKeysArgs(TypedDict):
    """One environment: its secrets-provider key(s) and the CI-deployed stacks whose secrets it protects."""

    name: str
    """Environment name, e.g. ``prod`` (names the ``secrets_providers`` output)."""
    secrets_key: SecretsKeyArgs
    """The key the environment's stacks use."""
    retired_secrets_keys: NotRequired[Sequence[SecretsKeyArgs]]
    """Former keys, kept usable until every stack has moved off them with ``pulumi stack change-secrets-provider``."""
    stacks: NotRequired[Sequence[CiStackArgs]]
    """The environment's CI-deployed stacks: their identities get this environment's keys and their own state."""


class StateBackendArgs(TypedDict):
    """Arguments of :class:`StateBackend`."""

    location: str
    """Azure region of every resource."""
    naming: NamingArgs
    """How physical names are derived."""
    tags: dict[str, str]
    """Tags for every taggable resource; must hold the required tags."""
    project: str
    """The Pulumi project whose stacks keep their state here (it is part of every state blob's path)."""
    operators: Sequence[OperatorArgs]
    """Administrators: Storage Blob Data Contributor (Reader when read-only) on the whole container, Key Vault Crypto
    User on every key."""
    environments: Sequence[EnvironmentKeysArgs]
    """One secrets key per environment, and the CI identities of its stacks."""
    referenced_stacks: NotRequired[Sequence[str]]
    """Stacks whose outputs other stacks read (StackReference): every CI identity may read their state and decrypt
    their environment's key."""
    network_mode: NotRequired[StateNetworkMode]
    """``allowList`` (default): firewalls deny all but ``allowed_ip_ranges``; ``private``: public access disabled."""
    allowed_ip_ranges: NotRequired[Sequence[str]]
    """allowList mode: IPv4 addresses or CIDR ranges let through the storage and Key Vault firewalls."""
    container_name: NotRequired[str]
    """The state container (default ``pulumi-state``)."""
    redundancy: NotRequired[str]
    """``Standard_ZRS`` (default), ``Standard_GZRS`` or ``Standard_RAGZRS``."""
    soft_delete_days: NotRequired[int]
    """Blob and container soft-delete retention, 7-365 days (default 30)."""
    restore_days: NotRequired[int]
    """Point-in-time restore window, shorter than ``soft_delete_days`` (default one day shorter)."""
    notify_days_before_expiry: NotRequired[int]
    """When Key Vault raises its near-expiry event for each key (default 30 days before)."""
    log_retention_days: NotRequired[int]
    """Retention of the audit logs in the backend's Log Analytics workspace (default 90)."""


class StateBackend(pulumi.ComponentResource):
    """A protected, recoverable, Entra-only Pulumi state store and secrets-provider key."""

    resource_group_name: pulumi.Output[str]
    storage_account_name: pulumi.Output[str]
    storage_account_id: pulumi.Output[str]
    container_name: pulumi.Output[str]
    container_id: pulumi.Output[str]
    key_vault_name: pulumi.Output[str]
    key_vault_id: pulumi.Output[str]
    key_ids: pulumi.Output[dict[str, str]]
    log_analytics_workspace_id: pulumi.Output[str]
    monitor_private_link_scope_id: pulumi.Output[str] | None
    """Private mode: the Azure Monitor Private Link Scope of the closed workspace, for the hub's endpoint."""
    diagnostic_setting_ids: pulumi.Output[dict[str, str]]
    backend_url: pulumi.Output[str]
    """``azblob://<container>?storage_account=<account>``, for ``pulumi login``."""
    secrets_providers: pulumi.Output[dict[str, str]]
    """Per environment, ``azurekeyvault://<vault>.vault.azure.net/keys/<key>``, for ``--secrets-provider``."""

    def __init__(self, name: str, args: StateBackendArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplatform:index:StateBackend", name, None, opts)
        settings = _checked(name, args)
        location = args["location"]
        naming = args["naming"]
        namer = namer_for(naming, location)
        tags = required_tags(args["tags"])
        public = settings.mode is StateNetworkMode.ALLOW_LIST
        access = ENABLED if public else DISABLED
        allowed = list(args.get("allowed_ip_ranges") or []) if public else []
        child = pulumi.ResourceOptions(parent=self)
        # The state store is the most precious data of the platform: always protected, whatever the stack says.
        kept = pulumi.ResourceOptions(parent=self, protect=True)
        client = authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=self))

        group = resources.ResourceGroup(
            f"{name}-rg",
            resource_group_name=namer.name(ResourceKind.RESOURCE_GROUP),
            location=location,
            tags=tags,
            opts=kept,
        )

        logs = operationalinsights.Workspace(
            f"{name}-log",
            workspace_name=namer.name(ResourceKind.LOG_ANALYTICS),
            resource_group_name=group.name,
            location=location,
            **hardened_log_analytics_settings(args.get("log_retention_days", 90), access),
            tags=tags,
            opts=kept,
        )

        # Private mode closes the workspace to public ingestion and query: a private link scope serves it, and the
        # hub network that reaches the account and the vault connects an azuremonitor endpoint to the scope.
        monitor_scope = None
        if not public:
            monitor_scope = MonitorPrivateLinkScope(
                f"{name}-monitor",
                {
                    "location": location,
                    "naming": naming,
                    "tags": tags,
                    "resource_group_name": group.name,
                    "scoped_resources": [{"key": "logs", "resource_id": logs.id}],
                },
                opts=child,
            )

        account = storage.StorageAccount(
            f"{name}-st",
            account_name=namer.name(ResourceKind.STORAGE_ACCOUNT),
            resource_group_name=group.name,
            location=location,
            kind="StorageV2",
            sku=storage.SkuArgs(name=settings.redundancy),
            **hardened_storage_settings(access, allowed),
            tags=tags,
            opts=kept,
        )

        blob_service = storage.BlobServiceProperties(
            f"{name}-blob",
            account_name=account.name,
            resource_group_name=group.name,
            blob_services_name="default",
            is_versioning_enabled=True,
            delete_retention_policy=storage.DeleteRetentionPolicyArgs(
                enabled=True,
                days=settings.soft_delete_days,
                # Permanent deletion of soft-deleted versions would defeat the restore (and Azure refuses it next to
                # a restore policy).
                allow_permanent_delete=False,
            ),
            container_delete_retention_policy=storage.DeleteRetentionPolicyArgs(enabled=True, days=settings.soft_delete_days),
            # The change feed is the log point-in-time restore replays; kept as long as deleted blobs are.
            change_feed=storage.ChangeFeedArgs(enabled=True, retention_in_days=settings.soft_delete_days),
            restore_policy=storage.RestorePolicyPropertiesArgs(enabled=True, days=settings.restore_days),
            opts=kept,
        )

        container = storage.BlobContainer(
            f"{name}-container",
            container_name=settings.container_name,
            account_name=account.name,
            resource_group_name=group.name,
            public_access="None",
            # No state is written before versioning and soft delete are on.
            opts=pulumi.ResourceOptions.merge(kept, pulumi.ResourceOptions(depends_on=[blob_service])),
        )

        vault = keyvault.Vault(
            f"{name}-kv",
            vault_name=namer.name(ResourceKind.KEY_VAULT),
            resource_group_name=group.name,
            location=location,
            properties=hardened_vault_properties(client.tenant_id, VAULT_SOFT_DELETE_DAYS, access, allowed),
            tags=tags,
            opts=kept,
        )

        keys_by_environment = {
            environment["name"]: {
                spec["name"]: _secrets_key(f"{name}-key-{_slug(spec['name'])}", spec, vault, group, settings.notify_days, tags, kept)
                for spec in (environment["secrets_key"], *(environment.get("retired_secrets_keys") or []))
            }
            for environment in args["environments"]
        }
        keys = {key_name: key for environment_keys in keys_by_environment.values() for key_name, key in environment_keys.items()}

        RoleAssignments(
            f"{name}-operators",
            {"assignments": _operator_grants(args["operators"], container, keys), "seed": naming["seed"]},
            opts=child,
        )
        ci_grants = _ci_grants(args["project"], args["environments"], args.get("referenced_stacks") or [], container, keys_by_environment)
        if ci_grants:
            RoleAssignments(f"{name}-ci", {"assignments": ci_grants, "seed": naming["seed"]}, opts=child)

        # Who read, wrote or deleted state, and who used the key: the audit trail of the platform's control plane.
        diagnostics = resource_diagnostics(
            name,
            naming,
            [
                {"key": "storage", "resource_id": account.id, "kind": "storage"},
                {"key": "vault", "resource_id": vault.id, "kind": "key_vault"},
            ],
            logs.id,
            opts=child,
        )

        # `protect` guards against Pulumi; the lock guards against everyone else (portal, CLI, scripts).
        authorization.ManagementLockAtResourceGroupLevel(
            f"{name}-lock",
            lock_name=namer.name(ResourceKind.MANAGEMENT_LOCK),
            resource_group_name=group.name,
            level="CanNotDelete",
            notes="Protects the Pulumi state of every stack and its secrets-provider key. Remove deliberately, through code review.",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account, container, vault, *keys.values()]),
        )

        self.resource_group_name = group.name
        self.storage_account_name = account.name
        self.storage_account_id = account.id
        self.container_name = container.name
        self.container_id = container.id
        self.key_vault_name = vault.name
        self.key_vault_id = vault.id
        self.key_ids = pulumi.Output.all(**{key_name: key.id for key_name, key in keys.items()}).apply(dict)
        self.log_analytics_workspace_id = logs.id
        self.monitor_private_link_scope_id = monitor_scope.scope_id if monitor_scope is not None else None
        self.diagnostic_setting_ids = pulumi.Output.all(**diagnostics).apply(dict)
        self.backend_url = pulumi.Output.concat("azblob://", settings.container_name, "?storage_account=", account.name)
        self.secrets_providers = pulumi.Output.all(**{
            environment["name"]: keys_by_environment[environment["name"]][environment["secrets_key"]["name"]].key_uri.apply(secrets_provider_url)
            for environment in args["environments"]
        }).apply(dict)
        self.register_outputs(
            {
                "resource_group_name": self.resource_group_name,
                "storage_account_id": self.storage_account_id,
                "container_id": self.container_id,
                "key_vault_id": self.key_vault_id,
                "key_ids": self.key_ids,
                "log_analytics_workspace_id": self.log_analytics_workspace_id,
                **({"monitor_private_link_scope_id": self.monitor_private_link_scope_id} if monitor_scope is not None else {}),
                "backend_url": self.backend_url,
                "secrets_providers": self.secrets_providers,
            }
        )


def secrets_provider_url(key_uri: str) -> str:
    """``azurekeyvault://<vault host>/keys/<key>`` from the key's versionless URI (any Azure cloud's vault domain).

    Versionless on purpose: the provider then uses the key's only version, which this design never rotates.
    """
    host_and_path = key_uri.split("://", 1)[-1].rstrip("/")
    return f"azurekeyvault://{host_and_path}"


@dataclass(frozen=True)
class _Settings:
    """The settings the component builds from, defaults applied."""

    mode: StateNetworkMode
    container_name: str
    redundancy: str
    soft_delete_days: int
    restore_days: int
    notify_days: int

    @classmethod
    def of(cls, args: StateBackendArgs) -> _Settings:
        soft_delete_days = int(args.get("soft_delete_days", 30))
        return cls(
            mode=StateNetworkMode(args.get("network_mode", StateNetworkMode.ALLOW_LIST)),
            container_name=args.get("container_name", "pulumi-state"),
            redundancy=args.get("redundancy", "Standard_ZRS"),
            soft_delete_days=soft_delete_days,
            restore_days=int(args.get("restore_days", soft_delete_days - 1)),
            notify_days=int(args.get("notify_days_before_expiry", 30)),
        )


def _checked(name: str, args: StateBackendArgs) -> _Settings:
    """Refuse settings Azure would reject halfway through a deployment, or that would weaken the store."""
    settings = _Settings.of(args)
    where = f"StateBackend {name}"
    if settings.redundancy not in ZONE_REDUNDANT_SKUS:
        raise ValueError(f"{where}: redundancy {settings.redundancy!r} is not zone-redundant; expected one of {', '.join(ZONE_REDUNDANT_SKUS)}")
    if not 7 <= settings.soft_delete_days <= 365:
        raise ValueError(f"{where}: soft_delete_days must be from 7 to 365, got {settings.soft_delete_days}")
    if not 1 <= settings.restore_days < settings.soft_delete_days:
        raise ValueError(
            f"{where}: restore_days must be at least 1 and less than soft_delete_days ({settings.soft_delete_days}), "
            f"got {settings.restore_days}"
        )
    if settings.mode is StateNetworkMode.ALLOW_LIST and not args.get("allowed_ip_ranges"):
        raise ValueError(f"{where}: allowList mode needs allowed_ip_ranges (or use network_mode private)")
    problems = validate_name(ResourceKind.BLOB_CONTAINER, settings.container_name)
    if problems:
        raise ValueError(f"{where}: container name {settings.container_name!r} {'; '.join(problems)}")
    if not args["environments"]:
        raise ValueError(f"{where}: give at least one environment with its secrets key")
    specs = [spec for environment in args["environments"] for spec in (environment["secrets_key"], *(environment.get("retired_secrets_keys") or []))]
    ci_stacks = [ci["stack"] for environment in args["environments"] for ci in environment.get("stacks") or []]
    if len(set(ci_stacks)) != len(ci_stacks):
        raise ValueError(f"{where}: a stack belongs to one environment only, got {', '.join(ci_stacks)}")
    missing = sorted(set(args.get("referenced_stacks") or []) - set(ci_stacks))
    if missing:
        raise ValueError(f"{where}: referenced stacks {', '.join(missing)} belong to no environment (their key is unknown)")
    names = [spec["name"].lower() for spec in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"{where}: secrets key names must be distinct, got {', '.join(s['name'] for s in specs)}")
    for spec in specs:
        problems = validate_name(ResourceKind.KEY_VAULT_KEY, spec["name"])
        if problems:
            raise ValueError(f"{where}: key name {spec['name']!r} {'; '.join(problems)}")
        if not isinstance(spec.get("expires"), int) or spec["expires"] <= 0:
            raise ValueError(f"{where}: key {spec['name']!r} needs an expiry (seconds since 1970-01-01 UTC)")
    if not args["operators"]:
        raise ValueError(f"{where}: give at least one operator, or nobody can use the state store")
    return settings


def _operator_grants(
    operators: Sequence[OperatorArgs], container: storage.BlobContainer, keys: dict[str, keyvault.Key]
) -> list[Assignment]:
    """Each operator's grants on the container and on every key (retired ones too: they still decrypt)."""
    grants: list[Assignment] = []
    for operator in operators:
        for grant in STATE_READER_GRANTS if operator.get("read_only", False) else STATE_OPERATOR_GRANTS:
            if grant.scope is Scope.STATE_CONTAINER:
                targets = [(grant.scope.value, container.id)]
            else:
                targets = [(f"{grant.scope.value}/{key_name}", key.id) for key_name, key in keys.items()]
            for where, scope in targets:
                grants.append(
                    Assignment(
                        key=f"operator/{operator['principal_id']}/{grant.role.value}/{where}",
                        principal_id=operator["principal_id"],
                        principal_type=operator["principal_type"],
                        role=grant.role,
                        scope=scope,
                        description=f"{operator.get('description') or 'state backend operator'}: {grant.why}",
                    )
                )
    return grants


def _ci_grants(
    project: str,
    environments: Sequence[EnvironmentKeysArgs],
    referenced_stacks: Sequence[str],
    container: storage.BlobContainer,
    keys_by_environment: dict[str, dict[str, keyvault.Key]],
) -> list[Assignment]:
    """Each CI identity's grants: its own stack's state (written by the deploy identity, read by the preview identity),
    the referenced stacks' state (read), and the keys of its environment and of the referenced stacks' environments."""
    owner = {ci["stack"]: environment["name"] for environment in environments for ci in environment.get("stacks") or []}
    grants: list[Assignment] = []
    for environment in environments:
        for ci in environment.get("stacks") or []:
            stack = ci["stack"]
            readable = [stack, *(r for r in referenced_stacks if r != stack)]
            key_environments = list(dict.fromkeys([environment["name"], *(owner[r] for r in readable)]))
            read = state_read_paths(project, readable)
            for kind, principal, grants_of_kind, condition in (
                ("deploy", ci["deploy_principal_id"], STATE_OPERATOR_GRANTS, blob_path_condition(read, stack_paths(project, stack))),
                ("preview", ci["preview_principal_id"], STATE_READER_GRANTS, blob_path_condition(read)),
            ):
                who = f"CI {kind} identity of stack {stack}"
                for grant in grants_of_kind:
                    if grant.scope is Scope.STATE_CONTAINER:
                        grants.append(_ci_assignment(f"{stack}/{kind}", principal, grant, grant.scope.value, container.id, who, condition))
                        continue
                    for key_environment in key_environments:
                        for key_name, key in keys_by_environment[key_environment].items():
                            grants.append(_ci_assignment(f"{stack}/{kind}", principal, grant, f"{grant.scope.value}/{key_name}", key.id, who))
    return grants


def _ci_assignment(
    prefix: str, principal: pulumi.Input[str], grant: Grant, where: str, scope: pulumi.Input[str], who: str, condition: str | None = None
) -> Assignment:
    assignment = Assignment(
        key=f"{prefix}/{grant.role.value}/{where}",
        principal_id=principal,
        principal_type="ServicePrincipal",
        role=grant.role,
        scope=scope,
        description=f"{who}: {grant.why}" + (" (its own stacks' blob paths only)" if condition else ""),
    )
    if condition:
        assignment["condition"] = condition
    return assignment


def _secrets_key(
    resource_name: str,
    spec: SecretsKeyArgs,
    vault: keyvault.Vault,
    group: resources.ResourceGroup,
    notify_days: int,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> keyvault.Key:
    """An RSA key for encrypt/decrypt only, not exportable, expiring, announced before it expires, never rotated."""
    return keyvault.Key(
        resource_name,
        key_name=spec["name"],
        vault_name=vault.name,
        resource_group_name=group.name,
        properties=keyvault.KeyPropertiesArgs(
            kty=KEY_TYPE,
            key_size=KEY_SIZE,
            key_ops=list(KEY_OPERATIONS),
            attributes=keyvault.KeyAttributesArgs(enabled=True, expires=spec["expires"], exportable=False),
            # Notify only: a "rotate" action would create a version that cannot decrypt the stacks' data keys.
            rotation_policy=keyvault.RotationPolicyArgs(
                attributes=keyvault.KeyRotationPolicyAttributesArgs(expiry_time=MANUAL_VERSION_LIFETIME),
                lifetime_actions=[
                    keyvault.LifetimeActionArgs(
                        action=keyvault.ActionArgs(type="notify"),
                        trigger=keyvault.TriggerArgs(time_before_expiry=f"P{notify_days}D"),
                    )
                ],
            ),
        ),
        tags=tags,
        opts=opts,
    )


def _slug(text: str) -> str:
    return "-".join(re.findall("[a-z0-9]+", text.lower()))
