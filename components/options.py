"""Closed vocabularies shared by the components and the stack configuration.

They are ``str`` enums so that they serialise as plain strings (the shape Pulumi component args expect) and
compare equal to the values written in stack files.
"""

from __future__ import annotations

import enum


class Environment(str, enum.Enum):
    """Environment kind. It decides secure defaults: prod is private and protected."""

    DEV = "dev"
    TEST = "test"
    STAGING = "staging"
    PROD = "prod"
    SHARED = "shared"
    """The organisation-wide stack: the Azure ML registry every environment uses."""
    BOOTSTRAP = "bootstrap"
    """The Pulumi state backend (state container, secrets-provider key), applied once before everything else."""

    @property
    def holds_production_data(self) -> bool:
        """Prod, the shared registry and the state backend: always protected, zone-redundant, long retention."""
        return self in (Environment.PROD, Environment.SHARED, Environment.BOOTSTRAP)

    @property
    def naming_code(self) -> str:
        """The environment as physical names carry it (components.naming allows 2-8 characters).

        ``bootstrap`` is too long; its resources are the state backend, so their names say ``state``
        (``stmlpstateweu...``, ``kv-mlp-state-weu-...``), which is also what an operator looks for in the portal.
        """
        return "state" if self is Environment.BOOTSTRAP else self.value


class DataClassification(str, enum.Enum):
    """Highest classification of data a platform may hold (drives the high-business-impact flag)."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"

    @property
    def is_sensitive(self) -> bool:
        return self in (DataClassification.CONFIDENTIAL, DataClassification.RESTRICTED)

    @property
    def requires_customer_managed_key(self) -> bool:
        """Restricted data is encrypted with the organisation's own key (the policy pack requires it). Confidential
        data is not: Microsoft-managed keys with infrastructure encryption and a high-business-impact workspace
        cover it, and a workspace key is fixed at creation, so requiring one would re-create existing workspaces."""
        return self is DataClassification.RESTRICTED


class NetworkMode(str, enum.Enum):
    """Network isolation tier of a platform."""

    PUBLIC = "public"
    """Public endpoints, dependencies' firewalls closed to all but an IP allow-list. Dev only."""
    MANAGED = "managed"
    """Workspace managed VNet with approved outbound only; dependencies reached through managed private endpoints."""
    PRIVATE = "private"
    """Public network access disabled on every resource."""


class StateNetworkMode(str, enum.Enum):
    """How the Pulumi state backend's storage account and Key Vault are reached."""

    ALLOW_LIST = "allowList"
    """Public endpoint, firewall default Deny: only the listed addresses (administrators, CI egress) get through."""
    PRIVATE = "private"
    """Public network access disabled: reached only through private endpoints the organisation's network provides."""


class ClusterTier(str, enum.Enum):
    """Capacity tier of a compute cluster."""

    DEDICATED = "Dedicated"
    SPOT = "Spot"


class MfaState(str, enum.Enum):
    """State of the MFA Conditional Access policy. Report-only evaluates without enforcing: dev only."""

    ENABLED = "enabled"
    REPORT_ONLY = "enabledForReportingButNotEnforced"
