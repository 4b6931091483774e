"""The bootstrap stack: the Pulumi state backend every other stack logs in to, and MFA for the people who hold it.

Applied once by an administrator with a local backend (``pulumi login file://...``), before any other stack, never
by CI; docs/state-backend.md has the procedure and how this stack's own state moves into the container afterwards.
"""

from __future__ import annotations

import pulumi

from blueprint.program.config.model import PlatformConfig
from components.mfa_policy import MfaPolicy
from components.naming import ResourceKind, namer_for
from components.options import MfaState
from components.state_backend import StateBackend


def compose_bootstrap(config: PlatformConfig) -> dict[str, object]:
    """Create the state backend; return what administrators need to log in and to create stacks."""
    backend_config = config.state_backend
    assert backend_config is not None  # the loader requires it for the bootstrap stack
    naming = {"prefix": config.naming_prefix, "environment": config.environment.naming_code, "seed": config.name_seed}
    backend = StateBackend(
        "state",
        {
            "location": config.location,
            "naming": naming,
            "tags": dict(config.tags),
            "operators": [
                {"principal_id": o.principal_id, "principal_type": o.principal_type, "description": o.description,
                 "read_only": o.read_only}
                for o in backend_config.operators
            ],
            "project": config.project,
            "environments": [
                {
                    "name": environment.name,
                    "secrets_key": {"name": environment.secrets_key.name, "expires": environment.secrets_key.expires_at},
                    "retired_secrets_keys": [{"name": k.name, "expires": k.expires_at} for k in environment.retired_secrets_keys],
                    "stacks": [_ci_stack(stack) for stack in environment.stacks],
                }
                for environment in backend_config.environments
            ],
            "referenced_stacks": list(backend_config.referenced_stacks),
            "network_mode": backend_config.network_mode,
            "allowed_ip_ranges": list(backend_config.allowed_ip_ranges),
            "container_name": backend_config.container_name,
            "redundancy": backend_config.redundancy,
            "soft_delete_days": backend_config.soft_delete_days,
            "restore_days": backend_config.restore_days,
            "notify_days_before_expiry": backend_config.notify_days_before_expiry,
            "log_retention_days": config.log_retention_days,
        },
    )
    outputs: dict[str, object] = {
        "environment": config.environment.value,
        "location": config.location,
        "backendUrl": backend.backend_url,
        "secretsProviders": backend.secrets_providers,
        "resourceGroupName": backend.resource_group_name,
        "storageAccountName": backend.storage_account_name,
        "storageAccountId": backend.storage_account_id,
        "containerId": backend.container_id,
        "keyVaultName": backend.key_vault_name,
        "keyVaultId": backend.key_vault_id,
        "secretsKeyIds": backend.key_ids,
        "logAnalyticsWorkspaceId": backend.log_analytics_workspace_id,
    }
    # Whoever holds these roles can read every stack's state and decrypt its secrets: MFA, as for every group
    # that holds a role on the platform (components/mfa_policy.py).
    groups = [o.principal_id for o in backend_config.operators if o.principal_type == "Group"]
    if groups and backend_config.mfa_policy:
        mfa = MfaPolicy(
            "mfa",
            {
                "display_name": namer_for(naming, config.location).name(ResourceKind.CONDITIONAL_ACCESS_POLICY, "mfa"),
                "included_group_ids": groups,
                "state": MfaState.ENABLED,
            },
        )
        outputs["mfaPolicyId"] = mfa.policy_id
    return outputs


def _ci_stack(stack: str) -> dict[str, object]:
    """A CI-deployed stack and its identities, read from the stack's own outputs: nobody copies object IDs by hand,
    and an identity the stack removes loses its access at the next ``pulumi up`` of this stack."""
    principals = pulumi.StackReference(stack).require_output("ciPrincipalIds")
    return {
        "stack": stack,
        "deploy_principal_id": principals.apply(lambda ids: ids["deploy"]),
        "preview_principal_id": principals.apply(lambda ids: ids["preview"]),
    }
