"""Encryption at rest with the organisation's own key (``encryption``): the workspace, its storage account and its
container registry encrypted with a rotated Key Vault key (components.customer_key).

Off by default; the policy pack requires it where ``tags.dataClassification`` is ``restricted``
(``DataClassification.requires_customer_managed_key``). It is chosen when the stack is first deployed: Azure sets a
workspace's and a registry's key at creation, so turning it on later re-creates both.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from blueprint.program.config.errors import ConfigIssue, describe
from blueprint.program.config.rules import key_path
from blueprint.program.features.network import default_network_mode
from blueprint.program.settings import default_of, setting
from components.customer_key import KEY_SIZES
from components.ml_workspace import CustomerManagedKeyArgs
from components.options import Environment, NetworkMode
from components.roles import ENCRYPTION_IDENTITY_ROLES, PLATFORM_ASSIGNED_ROLES, BuiltInRole


@dataclass(frozen=True, kw_only=True)
class EncryptionSettings:
    """Whether the workspace's data is encrypted with the organisation's key, and that key's size and expiry."""

    customer_managed_key: bool = setting(
        "customerManagedKey", "Encrypt the workspace, its storage account and its container registry with a Key Vault key of "
        "the platform (rotated before it expires), read by one identity granted Key Vault Crypto Service Encryption User on "
        "that key only. Managed and private network modes only (the registry must be Premium). Required by the policy "
        "pack for restricted data; set it when the stack is first deployed (Azure fixes it at creation).", default=False,
    )
    key_size: int = setting("keySize", "RSA key size in bits.", default=KEY_SIZES[0], override={"enum": list(KEY_SIZES)})
    key_expires_on: str | None = setting(
        "keyExpiresOn", "Expiry of the key's first version (it also names the key, cmk-YYYY-MM-DD). Key Vault rotates the "
        "key 60 days before and notifies 30 days before if it has not; a new date makes a new key, which every service "
        "moves to. Required when customerManagedKey is true.", default=None,
        pattern="^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", x_expected="a date YYYY-MM-DD",
    )

    def workspace_args(self) -> CustomerManagedKeyArgs | None:
        """The MlWorkspace argument, or None when the stack uses Microsoft-managed keys."""
        if not self.customer_managed_key or self.key_expires_on is None:
            return None
        return {"key_size": self.key_size, "expires_on": self.key_expires_on}

    def delegable_roles(self) -> frozenset[BuiltInRole]:
        """What the CI deploy identity may assign: the key's grant too when the stack has a key."""
        if not self.customer_managed_key:
            return PLATFORM_ASSIGNED_ROLES
        return PLATFORM_ASSIGNED_ROLES | {grant.role for grant in ENCRYPTION_IDENTITY_ROLES}


def encryption_issues(project: str, values: Mapping[str, Any], environment: Environment) -> list[ConfigIssue]:
    """A customer-managed key needs a Premium registry (not the public tier) and an expiry; an expiry needs the key."""
    encryption = values.get("encryption") or {}
    issues: list[ConfigIssue] = []
    wanted = encryption.get("customerManagedKey", default_of(EncryptionSettings, "customer_managed_key"))
    mode = NetworkMode((values.get("network") or {}).get("mode", default_network_mode(environment).value))

    def issue(key: str, expected: str) -> None:
        issues.append(ConfigIssue(key_path(project, ["encryption", key]), expected, describe(encryption.get(key))))

    if wanted and mode is NetworkMode.PUBLIC:
        issue(
            "customerManagedKey",
            "false in public network mode (its container registry is Basic, and a customer-managed key needs Premium: "
            "use network.mode managed or private)",
        )
    if wanted and "keyExpiresOn" not in encryption:
        issues.append(ConfigIssue(
            key_path(project, ["encryption", "keyExpiresOn"]), "the key's expiry date YYYY-MM-DD (required with customerManagedKey true)",
            "nothing",
        ))
    if not wanted and "keyExpiresOn" in encryption:
        issue("keyExpiresOn", "no key expiry without customerManagedKey: true (no key is created)")
    if "keyExpiresOn" in encryption and _date(encryption["keyExpiresOn"]) is None:
        issue("keyExpiresOn", "a real calendar date YYYY-MM-DD")
    return issues


def _date(text: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(text))
    except ValueError:
        return None
