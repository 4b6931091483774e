"""The state backend: the bootstrap stack's storage for every stack's Pulumi state and its secrets-provider keys
(``stateBackend``)."""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from blueprint.program.config.errors import ConfigIssue, describe
from blueprint.program.config.rules import allow_list_issues, key_path, name_issues
from blueprint.program.features.access import OBJECT_ID, PRINCIPAL_TYPE
from blueprint.program.features.network import ALLOW_LIST_ITEM, ALLOW_LIST_RULE
from blueprint.program.settings import default_of, setting
from components.naming import ResourceKind
from components.options import StateNetworkMode
from components.state_backend import StateBackend

STACK_NAME = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$", "x-expected": "a stack name of this project (stacks/Pulumi.<stack>.yaml)"}


@dataclass(frozen=True, kw_only=True)
class StateNetworkSettings:
    """How the state storage account and Key Vault are reached."""

    mode: StateNetworkMode = setting(
        "mode", "allowList: public endpoints with firewalls denying everything but allowedIpRanges (administrators, CI "
        "egress) and trusted Azure services; private: public network access disabled, reached through private endpoints "
        "your network provides.", default=StateNetworkMode.ALLOW_LIST,
    )
    allowed_ip_ranges: tuple[str, ...] = setting(
        "allowedIpRanges", f"allowList mode: public IPv4 addresses or CIDR ranges let through the firewalls: {ALLOW_LIST_RULE}.",
        default=(), maxItems=100, uniqueItems=True, items=ALLOW_LIST_ITEM,
    )


@dataclass(frozen=True, kw_only=True)
class StateOperator:
    """An Entra principal that reads and writes Pulumi state and uses the secrets-provider key."""

    principal_id: str = setting("principalId", override=OBJECT_ID, convert=str.lower)
    principal_type: str = setting("principalType", override=PRINCIPAL_TYPE)
    read_only: bool = setting(
        "access", "readWrite: deploys, takes the update lock; read: previews only.", default=False, default_doc="readWrite",
        convert=lambda access: access == "read", override={"enum": ["readWrite", "read"]},
    )
    description: str = setting("description", default="", maxLength=256)


@dataclass(frozen=True, kw_only=True)
class SecretsKeySettings:
    """A Key Vault key of the azurekeyvault secrets provider, and when it stops encrypting."""

    name: str = setting(
        "name", "Key name, as in --secrets-provider azurekeyvault://<vault>.vault.azure.net/keys/<name>.",
        pattern="^[a-zA-Z0-9-]{1,127}$", x_expected="a Key Vault key name of 1-127 letters, digits or hyphens",
    )
    expires_on: str = setting(
        "expiresOn", "Expiry of the key. Fixed when the key is created (Azure Resource Manager does not update keys): "
        "rotate by naming a new key.", pattern="^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
        x_expected="a date YYYY-MM-DD (the key stops encrypting at midnight UTC; it still decrypts)",
    )

    @property
    def expires_at(self) -> int:
        """``expires_on`` as Key Vault's ``exp`` attribute takes it: seconds since 1970-01-01 UTC."""
        return calendar.timegm(datetime.date.fromisoformat(self.expires_on).timetuple())


@dataclass(frozen=True, kw_only=True)
class StateEnvironment:
    """One environment of the state backend: its secrets key and the CI-deployed stacks that belong to it."""

    secrets_key: SecretsKeySettings = setting(
        "secretsKey", "The key this environment's stacks use: --secrets-provider "
        "azurekeyvault://<vault>.vault.azure.net/keys/<name> (the secretsProviders output).",
    )
    retired_secrets_keys: tuple[SecretsKeySettings, ...] = setting(
        "retiredSecretsKeys", "Former secrets keys, kept (and still usable) until every stack has moved off them with "
        "pulumi stack change-secrets-provider.", default=(), maxItems=10,
    )
    stacks: tuple[str, ...] = setting(
        "stacks", "Stacks of this environment that CI deploys: each one's deploy and preview identities (read from the "
        "stack's ciPrincipalIds output through a StackReference) get its state, and this environment's key, and nothing "
        "else. List a stack after its first pulumi up.", default=(), maxItems=20, uniqueItems=True, items=STACK_NAME,
    )


@dataclass(frozen=True, kw_only=True)
class StateBackendSettings:
    """The Pulumi state backend, a storage account and private container for every stack's state, and one Key Vault
    key per environment for the azurekeyvault secrets provider. See docs/state-backend.md."""

    operators: tuple[StateOperator, ...] = setting(
        "operators", "People (the administrators' group) and principals that reach every stack's state and every secrets "
        "key: readWrite gets Storage Blob Data Contributor on the container, read (an auditor) Storage Blob Data Reader; "
        "both get Key Vault Crypto User on every key. CI identities are not listed here: see environments[].stacks.",
        minItems=1, maxItems=20,
    )
    environments: Mapping[str, StateEnvironment] = setting(
        "environments", "One secrets key per environment, and the CI-deployed stacks whose state and secrets belong to "
        "it. A pull-request preview identity of a dev stack can then never decrypt prod's secrets.",
        minProperties=1, maxProperties=20,
        names={"pattern": "^[a-z][a-z0-9-]{0,30}$", "x-expected": "an environment name of lowercase letters, digits and hyphens, such as prod"},
        x_expected="a mapping from environment names to their secretsKey (and stacks), at least one",
    )
    network: StateNetworkSettings = setting("network", default=StateNetworkSettings(), default_doc="mode allowList")
    redundancy: str = setting(
        "redundancy", "Storage replication: zone-redundant or geo-zone-redundant.", default="Standard_ZRS",
        override={"enum": ["Standard_ZRS", "Standard_GZRS", "Standard_RAGZRS"]},
    )
    container_name: str = setting(
        "containerName", "The state container, as in pulumi login azblob://<containerName>.", default="pulumi-state",
        pattern="^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$",
        x_expected="3-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit, no consecutive hyphens",
    )
    soft_delete_days: int = setting("softDeleteDays", "Blob and container soft-delete retention.", default=30, minimum=7, maximum=365)
    restore_days: int = setting(
        "restoreDays", "Point-in-time restore window; Azure requires it shorter than softDeleteDays.", minimum=1, maximum=364,
        derive=lambda c: c.built["soft_delete_days"] - 1, default_doc="softDeleteDays - 1",
    )
    notify_days_before_expiry: int = setting(
        "notifyDaysBeforeExpiry", "When Key Vault raises its near-expiry event for each key, in days before.", default=30, minimum=7, maximum=180,
    )
    mfa_policy: bool = setting(
        "mfaPolicy", "Create a Conditional Access policy requiring MFA of the Group operators for Azure management. Turn "
        "off only where a tenant-wide policy covers them; the policy pack then needs a waiver.", default=True,
    )
    referenced_stacks: tuple[str, ...] = setting(
        "referencedStacks", "Stacks whose outputs other stacks read through a StackReference (the shared stack): every "
        "listed CI identity may read their state and decrypt their environment's key. Keep secrets out of them.",
        default=(), maxItems=10, uniqueItems=True, items=STACK_NAME,
    )


def state_backend_issues(project: str, backend: Mapping[str, Any]) -> list[ConfigIssue]:
    """Rules of the state backend that span keys: network mode and allow-list, restore window, names, operators."""
    issues: list[ConfigIssue] = []

    def issue(path: list[Any], expected: str, found: str) -> None:
        issues.append(ConfigIssue(key_path(project, ["stateBackend", *path]), expected, found))

    network = backend.get("network", {})
    mode = StateNetworkMode(network.get("mode", default_of(StateNetworkSettings, "mode")))
    ranges = network.get("allowedIpRanges", [])
    if mode is StateNetworkMode.ALLOW_LIST and not ranges:
        issue(["network", "allowedIpRanges"], "at least one IP range in allowList mode (the administrators' and CI egress addresses), or mode private", "nothing")
    if mode is StateNetworkMode.PRIVATE and ranges:
        issue(["network", "allowedIpRanges"], "no allow-list in private mode (public network access is disabled)", describe(ranges))
    if mode is StateNetworkMode.ALLOW_LIST:
        issues += allow_list_issues(project, ["stateBackend", "network", "allowedIpRanges"], ranges)

    soft_delete = backend.get("softDeleteDays", default_of(StateBackendSettings, "soft_delete_days"))
    restore = backend.get("restoreDays")
    if restore is not None and restore >= soft_delete:
        issue(["restoreDays"], f"fewer days than softDeleteDays ({soft_delete}): Azure keeps point-in-time restore inside the soft-delete window", describe(restore))

    container = backend.get("containerName", default_of(StateBackendSettings, "container_name"))
    issues += name_issues(project, ["stateBackend", "containerName"], ResourceKind.BLOB_CONTAINER, container)

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


def create_state_backend(
    backend: StateBackendSettings,
    *,
    project: str,
    location: str,
    naming: Mapping[str, str],
    tags: Mapping[str, str],
    log_retention_days: int,
) -> StateBackend:
    """The storage account, container and keys; each listed stack's CI identities read from its own outputs."""
    return StateBackend(
        "state",
        {
            "location": location,
            "naming": dict(naming),
            "tags": dict(tags),
            "operators": [
                {"principal_id": o.principal_id, "principal_type": o.principal_type, "description": o.description, "read_only": o.read_only}
                for o in backend.operators
            ],
            "project": project,
            "environments": [
                {
                    "name": name,
                    "secrets_key": {"name": environment.secrets_key.name, "expires": environment.secrets_key.expires_at},
                    "retired_secrets_keys": [{"name": k.name, "expires": k.expires_at} for k in environment.retired_secrets_keys],
                    "stacks": [_ci_stack(stack) for stack in environment.stacks],
                }
                for name, environment in sorted(backend.environments.items())
            ],
            "referenced_stacks": list(backend.referenced_stacks),
            "network_mode": backend.network.mode,
            "allowed_ip_ranges": list(backend.network.allowed_ip_ranges),
            "container_name": backend.container_name,
            "redundancy": backend.redundancy,
            "soft_delete_days": backend.soft_delete_days,
            "restore_days": backend.restore_days,
            "notify_days_before_expiry": backend.notify_days_before_expiry,
            "log_retention_days": log_retention_days,
        },
    )


def _ci_stack(stack: str) -> dict[str, object]:
    """A CI-deployed stack and its identities, read from the stack's own outputs: nobody copies object IDs by hand,
    and an identity the stack removes loses its access at the next ``pulumi up`` of this stack."""
    principals = pulumi.StackReference(stack).require_output("ciPrincipalIds")
    return {
        "stack": stack,
        "deploy_principal_id": principals.apply(lambda ids: ids["deploy"]),
        "preview_principal_id": principals.apply(lambda ids: ids["preview"]),
    }
