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

    @property
    def holds_production_data(self) -> bool:
        """Prod and the shared registry: always protected, zone-redundant, long retention."""
        return self in (Environment.PROD, Environment.SHARED)


class DataClassification(str, enum.Enum):
    """Highest classification of data a platform may hold (drives the high-business-impact flag)."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"

    @property
    def is_sensitive(self) -> bool:
        return self in (DataClassification.CONFIDENTIAL, DataClassification.RESTRICTED)


class NetworkMode(str, enum.Enum):
    """Network isolation tier of a platform."""

    PUBLIC = "public"
    """Public endpoints, dependencies' firewalls closed to all but an IP allow-list. Dev only."""
    MANAGED = "managed"
    """Workspace managed VNet with approved outbound only; dependencies reached through managed private endpoints."""
    PRIVATE = "private"
    """Public network access disabled on every resource."""


class ClusterTier(str, enum.Enum):
    """Capacity tier of a compute cluster."""

    DEDICATED = "Dedicated"
    SPOT = "Spot"


class MfaState(str, enum.Enum):
    """State of the MFA Conditional Access policy. Report-only evaluates without enforcing: dev only."""

    ENABLED = "enabled"
    REPORT_ONLY = "enabledForReportingButNotEnforced"
