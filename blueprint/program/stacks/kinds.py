"""The three kinds of stack, each a typed configuration of its own.

``tags.environment`` decides the kind: ``bootstrap`` holds the Pulumi state backend, ``shared`` the organisation's
Azure ML registry, and every other environment (dev, test, staging, prod) a workspace with its compute, people,
serving and monitoring. A kind has exactly the keys it uses: a key of another kind is an error naming what the stack
holds, and nothing is optional because another kind needs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from blueprint.program.config.errors import ConfigIssue, describe
from blueprint.program.config.rules import key_path
from blueprint.program.features.access import AccessSettings
from blueprint.program.features.batch import BATCH_ENDPOINTS_DOC, BatchEndpointSettings
from blueprint.program.features.budget import BudgetSettings
from blueprint.program.features.ci import CiSettings
from blueprint.program.features.compute import CLUSTERS_DOC, ClusterSettings
from blueprint.program.features.drift import DriftSettings, RetrainingSettings
from blueprint.program.features.encryption import EncryptionSettings
from blueprint.program.features.gate import ModelGateSettings
from blueprint.program.features.monitoring import MonitoringSettings
from blueprint.program.features.network import NETWORK_DEFAULT_DOC, NetworkSettings, derive_network
from blueprint.program.features.registry import RegistrySettings
from blueprint.program.features.serving import ENDPOINTS_DOC, EndpointSettings
from blueprint.program.features.state_backend import StateBackendSettings
from blueprint.program.settings import BuildContext, build, key_of, object_schema, setting, settings_of
from components import regions
from components.options import DataClassification, Environment

#: Environments whose data matters: the maximum Key Vault soft delete, longer blob and log retention.
LONG_RETENTION = (Environment.STAGING, Environment.PROD, Environment.SHARED, Environment.BOOTSTRAP)

TAGS_SCHEMA: Mapping[str, Any] = MappingProxyType({
    "type": "object",
    "required": ["owner", "costCenter", "environment", "dataClassification"],
    "properties": {
        "owner": {"type": "string", "minLength": 3, "maxLength": 256, "description": "Accountable team or mailbox."},
        "costCenter": {"type": "string", "minLength": 1, "maxLength": 256, "description": "Chargeback code."},
        "environment": {
            "enum": [environment.value for environment in Environment],
            "description": "Environment kind; drives secure defaults (prod is private and protected). `shared` is the "
            "organisation-wide stack holding the Azure ML registry; `bootstrap` holds the Pulumi state backend (state "
            "container and secrets-provider key).",
        },
        "dataClassification": {
            "enum": [classification.value for classification in DataClassification],
            "description": "Highest classification of data the platform may hold; confidential and restricted make the "
            "workspace high-business-impact, and the policy pack requires a customer-managed key (encryption."
            "customerManagedKey) for restricted.",
        },
    },
    "propertyNames": {"pattern": "^[^<>%&\\\\?/]{1,512}$", "x-expected": "a tag name of 1-512 characters without < > % & \\ ? /"},
    "additionalProperties": {"type": "string", "maxLength": 256},
    "maxProperties": 50,
})


def default_log_retention_days(environment: Environment) -> int:
    """Log Analytics retention unless the stack says otherwise."""
    return 90 if environment in LONG_RETENTION else 30


def key_vault_soft_delete_days(environment: Environment) -> int:
    """90 days (the maximum) where data matters; 7 elsewhere so a torn-down dev vault frees its name sooner."""
    return 90 if environment in LONG_RETENTION else 7


def blob_soft_delete_days(environment: Environment) -> int:
    """Blob and container soft delete of the workspace's storage."""
    return 30 if environment in LONG_RETENTION else 7


@dataclass(frozen=True, kw_only=True)
class StackBase:
    """What every stack has: where it runs, how its resources are named and tagged, how its data is kept."""

    project: str
    stack: str
    location: str = setting(
        "location", "Azure region for every regional resource, e.g. westeurope.", convert=regions.normalize_location,
        x_expected="an Azure region name such as westeurope",
    )
    naming_prefix: str = setting(
        "namingPrefix", "Workload prefix used in every physical name (Cloud Adoption Framework order: "
        "<abbr>-<prefix>-<env>-<region>-<hash>).", pattern="^[a-z][a-z0-9]{1,11}$",
        x_expected="2-12 lowercase letters or digits, starting with a letter",
    )
    tags: Mapping[str, str] = setting(
        "tags", "Tags applied to every taggable resource. The four required tags drive ownership, chargeback and data "
        "handling; any further tags are passed through.", override=TAGS_SCHEMA, convert=dict,
    )
    generation: int = setting(
        "generation", "Which deployment of the stack this is. Raise it to bring a destroyed stack back the same day: every "
        "physical name changes, so soft-deleted Key Vaults and workspaces that keep their old names (purge protection) "
        "are out of the way. See docs/configuration.md.", default=1, minimum=1, maximum=999,
    )
    protect: bool = setting(
        "protect", "Protect data-bearing resources (storage, Key Vault, registry, workspace) from deletion; it cannot be "
        "turned off in prod, shared and bootstrap.", derive=lambda c: c.environment.holds_production_data,
        default_doc="true in prod, shared and bootstrap, false elsewhere",
    )
    log_retention_days: int = setting(
        "logRetentionDays", "Log Analytics retention.", minimum=30, maximum=730,
        derive=lambda c: default_log_retention_days(c.environment), default_doc="90 in staging, prod, shared and bootstrap, 30 elsewhere",
    )

    @property
    def environment(self) -> Environment:
        return Environment(self.tags["environment"])

    @property
    def data_classification(self) -> DataClassification:
        return DataClassification(self.tags["dataClassification"])

    @property
    def name_seed(self) -> str:
        """Makes physical names unique per project and stack, so forks and environments never collide; a
        generation above 1 makes them unique per deployment too, so a destroyed stack can come back while its
        soft-deleted vault and workspace still hold the old names."""
        base = f"{self.project}/{self.stack}"
        return base if self.generation == 1 else f"{base}/{self.generation}"

    @property
    def naming(self) -> dict[str, str]:
        """What components.naming derives physical names from."""
        return {"prefix": self.naming_prefix, "environment": self.environment.value, "seed": self.name_seed}

    @property
    def key_vault_soft_delete_days(self) -> int:
        return key_vault_soft_delete_days(self.environment)

    @property
    def zone_redundant(self) -> bool:
        """Zone-redundant storage and registry in prod and shared; locally redundant (cheaper) elsewhere."""
        return self.environment.holds_production_data


@dataclass(frozen=True, kw_only=True)
class EnvironmentStack(StackBase):
    """dev, test, staging, prod: a workspace with its compute, people, CI, serving, monitoring and budget."""

    clusters: tuple[ClusterSettings, ...] = setting("clusters", CLUSTERS_DOC, maxItems=20)
    network: NetworkSettings = setting("network", derive=derive_network, default_doc=NETWORK_DEFAULT_DOC)
    access: AccessSettings = setting("access", default=AccessSettings())
    encryption: EncryptionSettings = setting("encryption", default=EncryptionSettings())
    shared_stack: str | None = setting(
        "sharedStack", "The shared stack whose registry the environment uses (read through a StackReference).", default=None,
        pattern="^([A-Za-z0-9_.-]+/){0,2}[A-Za-z0-9_.-]+$", x_expected="a stack reference such as shared or my-org/mlplatform/shared",
    )
    resource_group_name: str | None = setting(
        "resourceGroupName", "Deploy into this existing resource group instead of creating one.", default=None,
        pattern=r"^[-\w._()]{0,89}[-\w_()]$",
        x_expected="an existing resource group name (1-90 letters, digits, -, _, ., (), not ending with a period)",
    )
    endpoints: tuple[EndpointSettings, ...] = setting("endpoints", ENDPOINTS_DOC, default=(), maxItems=10)
    batch_endpoints: tuple[BatchEndpointSettings, ...] = setting("batchEndpoints", BATCH_ENDPOINTS_DOC, default=(), maxItems=10)
    monitoring: MonitoringSettings = setting("monitoring")
    drift: DriftSettings | None = setting("drift", default=None)
    retraining: RetrainingSettings | None = setting("retraining", default=None)
    budget: BudgetSettings = setting("budget")
    ci: CiSettings | None = setting("ci", default=None)
    model_gate: ModelGateSettings | None = setting(
        "modelGate", "The training pipeline's gate for this stack's models; the pipeline's own floor when not set.", default=None,
    )

    @property
    def blob_soft_delete_days(self) -> int:
        return blob_soft_delete_days(self.environment)


@dataclass(frozen=True, kw_only=True)
class SharedStack(StackBase):
    """The organisation-wide stack: the Azure ML registry every environment publishes to and reads from."""

    registry: RegistrySettings = setting("registry")
    ci: CiSettings | None = setting("ci", default=None)


@dataclass(frozen=True, kw_only=True)
class BootstrapStack(StackBase):
    """The Pulumi state backend, applied once by an administrator before any other stack, never by CI."""

    state_backend: StateBackendSettings = setting("stateBackend")


Stack = EnvironmentStack | SharedStack | BootstrapStack
KINDS: tuple[type[StackBase], ...] = (EnvironmentStack, SharedStack, BootstrapStack)


def kind_of(environment: Environment) -> type[StackBase]:
    """The kind of stack an environment is."""
    if environment is Environment.BOOTSTRAP:
        return BootstrapStack
    if environment is Environment.SHARED:
        return SharedStack
    return EnvironmentStack


def own_keys(kind: type[StackBase]) -> list[str]:
    """The keys a kind has beyond every stack's."""
    common = {meta.key for _, meta, _ in settings_of(StackBase)}
    return [meta.key for _, meta, _ in settings_of(kind) if meta.key not in common]


def stack_config_schema() -> dict[str, Any]:
    """The schema of every key any kind of stack takes (editors cannot tell kinds apart; the kind rules can)."""
    schema = object_schema(StackBase, description="")
    schema.pop("description", None)
    for kind in KINDS:
        kind_schema = object_schema(kind, description="")
        for key in own_keys(kind):
            schema["properties"].setdefault(key, kind_schema["properties"][key])
    return schema


def build_stack(values: Mapping[str, Any], *, project: str, stack: str) -> Stack:
    """The typed stack of validated ``values``: its kind's dataclass, defaults filled in."""
    environment = Environment(values["tags"]["environment"])
    context = BuildContext(environment=environment, root=values)
    return build(kind_of(environment), values, context, project=project, stack=stack)


def kind_issues(project: str, values: Mapping[str, Any], environment: Environment) -> list[ConfigIssue]:
    """Keys a stack of this kind must have, and keys it must not: each named with what the stack holds."""
    issues: list[ConfigIssue] = []
    kind = kind_of(environment)

    def refuse(keys: list[str], expected: str) -> None:
        for key in keys:
            if key in values:
                issues.append(ConfigIssue(key_path(project, [key]), expected, describe(values[key])))

    environment_keys = [key for key in own_keys(EnvironmentStack) if key != key_of(EnvironmentStack, "ci")]
    shared_keys = [key for key in own_keys(SharedStack) if key != key_of(SharedStack, "ci")]
    if kind is BootstrapStack:
        if "stateBackend" not in values:
            issues.append(ConfigIssue(key_path(project, ["stateBackend"]), "the state backend settings of the bootstrap stack (a mapping with operators and environments)", "nothing (the key is required when tags.environment is bootstrap)"))
        refuse(environment_keys + shared_keys, "no such key in the bootstrap stack (it holds the Pulumi state backend only)")
        refuse(["ci"], "no ci in the bootstrap stack (an administrator applies it, never CI; CI identities get their access through stateBackend.environments.<name>.stacks)")
    elif kind is SharedStack:
        if "registry" not in values:
            issues.append(ConfigIssue(key_path(project, ["registry"]), "the registry settings of the shared stack (a mapping; replicationRegions optional)", "nothing (the key is required when tags.environment is shared)"))
        refuse(environment_keys, "no such key in the shared stack (it holds the registry only)")
        refuse(own_keys(BootstrapStack), "no such key in the shared stack (only the bootstrap stack holds the state backend)")
    else:
        if not values.get("clusters"):
            issues.append(ConfigIssue(key_path(project, ["clusters"]), "at least one compute cluster in an environment stack", describe(values.get("clusters"))))
        for key, what in (("monitoring", "where alerts go (monitoring.emails)"), ("budget", "a monthly budget (budget.monthlyAmount, budget.startDate)")):
            if key not in values:
                issues.append(ConfigIssue(key_path(project, [key]), f"{what}: every environment has one", "nothing"))
    return issues


def kind_refusals(project: str, values: Mapping[str, Any], environment: Environment) -> list[ConfigIssue]:
    """An environment stack given the keys of the shared or the bootstrap stack."""
    if kind_of(environment) is not EnvironmentStack:
        return []
    issues: list[ConfigIssue] = []
    for keys, expected in (
        ([key for key in own_keys(SharedStack) if key != key_of(SharedStack, "ci")], f"no such key in a {environment.value} stack (only the shared stack holds the registry; reference it with sharedStack)"),
        (own_keys(BootstrapStack), f"no such key in a {environment.value} stack (only the bootstrap stack holds the state backend)"),
    ):
        issues += [ConfigIssue(key_path(project, [key]), expected, describe(values[key])) for key in keys if key in values]
    return issues
