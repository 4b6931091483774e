"""The typed, validated stack configuration, and the per-environment defaults it derives.

Everything the program needs is decided here, at the edge: components receive explicit values and never read
config or guess from the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from components.options import ClusterTier, DataClassification, Environment, NetworkMode


@dataclass(frozen=True)
class ClusterConfig:
    """One AmlCompute cluster."""

    name: str
    vm_size: str
    max_nodes: int
    min_nodes: int = 0
    tier: ClusterTier = ClusterTier.DEDICATED
    idle_seconds_before_scale_down: int = 120


@dataclass(frozen=True)
class NetworkConfig:
    """Network isolation tier and, for the public tier, the addresses allowed in."""

    mode: NetworkMode
    allowed_ip_ranges: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlatformConfig:
    """A stack's validated configuration plus the defaults derived from its environment."""

    project: str
    stack: str
    location: str
    naming_prefix: str
    tags: Mapping[str, str]
    network: NetworkConfig
    clusters: tuple[ClusterConfig, ...]
    protect: bool
    log_retention_days: int
    resource_group_name: str | None = None

    @property
    def environment(self) -> Environment:
        return Environment(self.tags["environment"])

    @property
    def data_classification(self) -> DataClassification:
        return DataClassification(self.tags["dataClassification"])

    @property
    def is_prod(self) -> bool:
        return self.environment is Environment.PROD

    @property
    def name_seed(self) -> str:
        """Makes physical names unique per project and stack, so forks and environments never collide."""
        return f"{self.project}/{self.stack}"

    @property
    def key_vault_soft_delete_days(self) -> int:
        """90 days (the maximum) where data matters; 7 elsewhere so a torn-down dev vault frees its name sooner."""
        return 90 if self.environment in (Environment.STAGING, Environment.PROD) else 7

    @property
    def blob_soft_delete_days(self) -> int:
        return 30 if self.environment in (Environment.STAGING, Environment.PROD) else 7

    @property
    def zone_redundant(self) -> bool:
        """Zone-redundant storage and registry in prod; locally redundant (cheaper) elsewhere."""
        return self.is_prod


def default_log_retention_days(environment: Environment) -> int:
    return 90 if environment in (Environment.STAGING, Environment.PROD) else 30
