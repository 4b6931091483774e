"""Pulumi components of the Azure MLOps blueprint: one module per component, plus naming, tags, VM sizes.

Another Pulumi program uses the library without knowing its file layout::

    from components import GpuCluster, MlWorkspace

The components (and their argument types) load on first use: importing a catalog such as
``components.regions`` does not import the Azure SDKs behind every component.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Each public name and the module that defines it.
_EXPORTS: dict[str, str] = {
    "AccessGroups": "access_groups",
    "AccessGroupsArgs": "access_groups",
    "BatchScoring": "batch_scoring",
    "BatchScoringArgs": "batch_scoring",
    "EnvironmentBudget": "budget",
    "EnvironmentBudgetArgs": "budget",
    "GithubActionsIdentity": "ci_identity",
    "GithubActionsIdentityArgs": "ci_identity",
    "GpuCluster": "gpu_cluster",
    "GpuClusterArgs": "gpu_cluster",
    "MfaPolicy": "mfa_policy",
    "MfaPolicyArgs": "mfa_policy",
    "MlRegistry": "ml_registry",
    "MlRegistryArgs": "ml_registry",
    "ModelMonitor": "ml_schedules",
    "ModelMonitorArgs": "ml_schedules",
    "RetrainingSchedule": "ml_schedules",
    "RetrainingScheduleArgs": "ml_schedules",
    "MlWorkspace": "ml_workspace",
    "MlWorkspaceArgs": "ml_workspace",
    "ModelEndpoint": "model_endpoint",
    "ModelEndpointArgs": "model_endpoint",
    "PlatformMonitoring": "monitoring",
    "PlatformMonitoringArgs": "monitoring",
    "PrivateNetwork": "private_network",
    "PrivateNetworkArgs": "private_network",
    "RegistryEnvironments": "registry_environments",
    "RegistryEnvironmentsArgs": "registry_environments",
    "RoleAssignments": "role_assignments",
    "RoleAssignmentsArgs": "role_assignments",
    "StateBackend": "state_backend",
    "StateBackendArgs": "state_backend",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Load a public component's module the first time the component is asked for."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'components' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"components.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:  # what type checkers and editors see
    from components.access_groups import AccessGroups, AccessGroupsArgs
    from components.batch_scoring import BatchScoring, BatchScoringArgs
    from components.budget import EnvironmentBudget, EnvironmentBudgetArgs
    from components.ci_identity import GithubActionsIdentity, GithubActionsIdentityArgs
    from components.gpu_cluster import GpuCluster, GpuClusterArgs
    from components.mfa_policy import MfaPolicy, MfaPolicyArgs
    from components.ml_registry import MlRegistry, MlRegistryArgs
    from components.ml_schedules import ModelMonitor, ModelMonitorArgs, RetrainingSchedule, RetrainingScheduleArgs
    from components.ml_workspace import MlWorkspace, MlWorkspaceArgs
    from components.model_endpoint import ModelEndpoint, ModelEndpointArgs
    from components.monitoring import PlatformMonitoring, PlatformMonitoringArgs
    from components.private_network import PrivateNetwork, PrivateNetworkArgs
    from components.registry_environments import RegistryEnvironments, RegistryEnvironmentsArgs
    from components.role_assignments import RoleAssignments, RoleAssignmentsArgs
    from components.state_backend import StateBackend, StateBackendArgs
