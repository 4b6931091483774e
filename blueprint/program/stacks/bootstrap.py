"""The bootstrap stack: the Pulumi state backend every other stack logs in to, and MFA for the people who hold it.

Applied once by an administrator with a local backend (``pulumi login file://...``), before any other stack, never
by CI; docs/state-backend.md has the procedure and how this stack's own state moves into the container afterwards.
"""

from __future__ import annotations

from blueprint.program import stack_facts
from blueprint.program.features.state_backend import create_state_backend
from blueprint.program.stacks.kinds import BootstrapStack
from components.mfa_policy import MfaPolicy
from components.naming import ResourceKind, namer_for
from components.options import MfaState


def compose_bootstrap(stack: BootstrapStack) -> dict[str, object]:
    """Create the state backend; return what administrators need to log in and to create stacks."""
    settings = stack.state_backend
    naming = {**stack.naming, "environment": stack.environment.naming_code}
    backend = create_state_backend(
        settings, project=stack.project, location=stack.location, naming=naming, tags=stack.tags,
        log_retention_days=stack.log_retention_days,
    )
    outputs: dict[str, object] = {
        stack_facts.ENVIRONMENT: stack.environment.value,
        stack_facts.LOCATION: stack.location,
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
    if backend.monitor_private_link_scope_id is not None:
        # Private mode: the hub network connects an azuremonitor private endpoint to this scope.
        outputs["monitorPrivateLinkScopeId"] = backend.monitor_private_link_scope_id
    # Whoever holds these roles can read every stack's state and decrypt its secrets: MFA, as for every group
    # that holds a role on the platform (components/mfa_policy.py).
    groups = [o.principal_id for o in settings.operators if o.principal_type == "Group"]
    if groups and settings.mfa_policy:
        mfa = MfaPolicy(
            "mfa",
            {
                "display_name": namer_for(naming, stack.location).name(ResourceKind.CONDITIONAL_ACCESS_POLICY, "mfa"),
                "included_group_ids": groups,
                "state": MfaState.ENABLED,
            },
        )
        outputs["mfaPolicyId"] = mfa.policy_id
    return outputs
