"""The typed, validated stack configuration, and the per-environment defaults it derives.

Everything the program needs is decided here, at the edge: components receive explicit values and never read
config or guess from the environment.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field

from components.options import ClusterTier, DataClassification, Environment, MfaState, NetworkMode, StateNetworkMode
from components.roles import BuiltInRole, Persona, Scope


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
class OutboundRule:
    """One approved outbound destination of the workspace's managed VNet: an FQDN or a service tag."""

    name: str
    fqdn: str | None = None
    service_tag: str | None = None
    protocol: str = "TCP"
    port_ranges: str = "443"


@dataclass(frozen=True)
class NetworkConfig:
    """Network isolation tier and its settings."""

    mode: NetworkMode
    allowed_ip_ranges: tuple[str, ...] = ()
    address_space: str = "10.60.0.0/22"
    outbound_rules: tuple[OutboundRule, ...] = ()


@dataclass(frozen=True)
class ExtraRoleAssignment:
    """A grant beyond the persona matrix, to a group or a service principal, on a platform resource."""

    principal_id: str
    principal_type: str
    role: BuiltInRole
    scope: Scope
    description: str = ""


@dataclass(frozen=True)
class AccessConfig:
    """Entra groups, the MFA policy protecting them, and extra grants."""

    group_owners: tuple[str, ...] = ()
    existing_groups: Mapping[Persona, str] = field(default_factory=dict)
    break_glass_user_ids: tuple[str, ...] = ()
    break_glass_group_ids: tuple[str, ...] = ()
    mfa_state: MfaState = MfaState.ENABLED
    mfa_all_cloud_apps: bool = False
    authentication_strength_policy_id: str | None = None
    extra_role_assignments: tuple[ExtraRoleAssignment, ...] = ()


@dataclass(frozen=True)
class CiConfig:
    """The GitHub repository and environments whose workflows deploy, preview and train this stack, through OIDC."""

    repository: str
    environments: tuple[str, ...]
    """GitHub environments whose jobs deploy the stack (the deploy identity)."""
    preview_environment: str | None = None
    """The GitHub environment the read-only preview identity trusts; ``None``: pull requests (never in prod)."""
    models_environment: str | None = None
    """The GitHub environment the models identity trusts; ``None``: no models identity."""


@dataclass(frozen=True)
class DeploymentConfig:
    """One deployment of an online endpoint (blue, green, ...)."""

    name: str
    model: str
    instance_type: str
    min_instances: int
    max_instances: int
    traffic_percent: int
    monitor_drift: bool


@dataclass(frozen=True)
class EndpointConfig:
    """A managed online endpoint and its deployments."""

    name: str
    deployments: tuple[DeploymentConfig, ...]
    key_auth: bool = False
    public_network_access: bool = False
    route_traffic: bool = True


@dataclass(frozen=True)
class BatchEndpointConfig:
    """A batch endpoint scoring a model on one of the stack's clusters."""

    name: str
    model: str
    cluster: str
    mini_batch_size: int = 10


@dataclass(frozen=True)
class MonitoringConfig:
    """Where alerts go and when they fire."""

    emails: tuple[str, ...]
    webhooks: tuple[tuple[str, str], ...] = ()
    latency_ms: int = 1000
    server_errors_per_minute: int = 5
    failed_jobs: int = 1
    cluster_node_usage_percent: int = 80


@dataclass(frozen=True)
class DriftConfig:
    """Model monitoring thresholds and baseline."""

    baseline_data: str
    data_drift_threshold: float = 0.1
    prediction_drift_threshold: float = 0.1
    null_rate_threshold: float = 0.05
    cron: str = "0 3 * * *"


@dataclass(frozen=True)
class RetrainingConfig:
    """The training pipeline on a cadence (cron or recurrence) on fresh data."""

    pipeline_component: str
    inputs: Mapping[str, str]
    cluster: str
    cron: str | None = None
    recurrence: tuple[str, int] | None = None
    time_zone: str = "UTC"


@dataclass(frozen=True)
class BudgetConfig:
    """The environment's monthly budget, its alert thresholds and the preview's peak-hours assumption."""

    monthly_amount: float
    start_date: str
    actual_thresholds: tuple[int, ...] = (50, 80, 100)
    forecast_thresholds: tuple[int, ...] = (100,)
    peak_hours_per_month: float = 40.0


@dataclass(frozen=True)
class RegistryConfig:
    """The shared stack's Azure ML registry and where the environments it publishes come from."""

    replication_regions: tuple[str, ...] = ()
    templates_path: str = "ml_templates"


@dataclass(frozen=True)
class StateOperator:
    """An Entra principal that reads and writes Pulumi state and uses the secrets-provider key."""

    principal_id: str
    principal_type: str
    """``Group`` (the administrators) or ``ServicePrincipal`` (a CI identity); never a user."""
    description: str = ""
    read_only: bool = False
    """Reads state (previews) instead of writing it (deployments)."""


@dataclass(frozen=True)
class SecretsKeyConfig:
    """A Key Vault key of the azurekeyvault secrets provider, and when it stops encrypting."""

    name: str
    expires_on: str
    """A date (``YYYY-MM-DD``, midnight UTC): after it the key still decrypts but no longer encrypts."""

    @property
    def expires_at(self) -> int:
        """``expires_on`` as Key Vault's ``exp`` attribute takes it: seconds since 1970-01-01 UTC."""
        return calendar.timegm(datetime.date.fromisoformat(self.expires_on).timetuple())


@dataclass(frozen=True)
class StateEnvironment:
    """One environment of the state backend: its secrets key and the CI-deployed stacks that belong to it."""

    name: str
    secrets_key: SecretsKeyConfig
    retired_secrets_keys: tuple[SecretsKeyConfig, ...] = ()
    """Former keys kept (and usable) until every stack of the environment has moved to ``secrets_key``."""
    stacks: tuple[str, ...] = ()
    """Stacks whose CI identities get this environment's key and their own stack's state."""


@dataclass(frozen=True)
class StateBackendConfig:
    """The bootstrap stack's Pulumi state backend: where state lives, who reaches it, how it is recovered."""

    operators: tuple[StateOperator, ...]
    environments: tuple[StateEnvironment, ...]
    referenced_stacks: tuple[str, ...] = ()
    """Stacks other stacks read through a StackReference: every CI identity may read them."""
    network_mode: StateNetworkMode = StateNetworkMode.ALLOW_LIST
    allowed_ip_ranges: tuple[str, ...] = ()
    container_name: str = "pulumi-state"
    redundancy: str = "Standard_ZRS"
    soft_delete_days: int = 30
    restore_days: int = 29
    """Point-in-time restore window; Azure requires it to be shorter than the blob soft-delete retention."""
    notify_days_before_expiry: int = 30
    mfa_policy: bool = True
    """Create a Conditional Access policy requiring MFA of the operator groups."""


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
    access: AccessConfig = field(default_factory=AccessConfig)
    ci: CiConfig | None = None
    registry: RegistryConfig | None = None
    shared_stack: str | None = None
    endpoints: tuple[EndpointConfig, ...] = ()
    batch_endpoints: tuple[BatchEndpointConfig, ...] = ()
    monitoring: MonitoringConfig | None = None
    drift: DriftConfig | None = None
    retraining: RetrainingConfig | None = None
    budget: BudgetConfig | None = None
    state_backend: StateBackendConfig | None = None
    generation: int = 1
    """Which deployment of the stack this is: a new generation gets new physical names (see ``name_seed``)."""

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
        """Makes physical names unique per project and stack, so forks and environments never collide; a
        generation above 1 makes them unique per deployment too, so a destroyed stack can come back while its
        soft-deleted vault and workspace still hold the old names."""
        base = f"{self.project}/{self.stack}"
        return base if self.generation == 1 else f"{base}/{self.generation}"

    @property
    def key_vault_soft_delete_days(self) -> int:
        """90 days (the maximum) where data matters; 7 elsewhere so a torn-down dev vault frees its name sooner."""
        return 90 if self.environment in _LONG_RETENTION else 7

    @property
    def blob_soft_delete_days(self) -> int:
        if self.state_backend is not None:
            return self.state_backend.soft_delete_days
        return 30 if self.environment in _LONG_RETENTION else 7

    @property
    def zone_redundant(self) -> bool:
        """Zone-redundant storage and registry in prod and shared; locally redundant (cheaper) elsewhere."""
        return self.environment.holds_production_data

    @property
    def is_shared(self) -> bool:
        """The organisation-wide stack that holds the Azure ML registry."""
        return self.environment is Environment.SHARED

    @property
    def is_bootstrap(self) -> bool:
        """The stack that holds the Pulumi state backend, applied once by an administrator before the others."""
        return self.environment is Environment.BOOTSTRAP


#: Environments whose data matters: the maximum Key Vault soft delete, longer blob and log retention.
_LONG_RETENTION = (Environment.STAGING, Environment.PROD, Environment.SHARED, Environment.BOOTSTRAP)


def default_log_retention_days(environment: Environment) -> int:
    return 90 if environment in _LONG_RETENTION else 30


def default_network_mode(environment: Environment) -> NetworkMode:
    """Prod is private unless a stack says otherwise; everything else gets the managed VNet."""
    return NetworkMode.PRIVATE if environment is Environment.PROD else NetworkMode.MANAGED
