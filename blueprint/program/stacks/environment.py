"""An environment stack (dev, staging, prod, ...): the wiring of its features.

Each feature module (:mod:`blueprint.program.features`) creates its own component from its settings; this page only
says what is created and which outputs flow from one feature to the next.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

from blueprint.program import stack_facts
from blueprint.program.environment_templates import load_environment_templates, package_hosts
from blueprint.program.features.access import grant_people_access
from blueprint.program.features.batch import create_batch_endpoints
from blueprint.program.features.budget import create_budget
from blueprint.program.features.ci import compose_ci
from blueprint.program.features.compute import create_clusters
from blueprint.program.features.drift import create_model_monitors, create_retraining, monitors_run_spark
from blueprint.program.features.monitoring import create_monitoring
from blueprint.program.features.network import MONITOR_ENDPOINT, REGISTRY_ENDPOINT, endpoint_rule_args, outbound_rule_args, private_network
from blueprint.program.features.registry import RegistrySettings
from blueprint.program.features.serving import create_endpoints
from blueprint.program.settings import default_of
from blueprint.program.stacks.kinds import EnvironmentStack
from components.ml_workspace import MlWorkspace
from components.naming import namer_for
from components.roles import Scope


#: The environment templates the shared stack publishes (its ``registry.templatesPath`` default): their conda
#: channels and pip sections give every managed network its package hosts.
TEMPLATES_PATH: str = default_of(RegistrySettings, "templates_path")


def compose_environment(stack: EnvironmentStack, project_dir: Path) -> dict[str, object]:
    """Create the environment's resources; return its stack outputs."""
    naming, tags, location = stack.naming, dict(stack.tags), stack.location
    # The organisation's registry, from the shared stack: persona groups and compute get access to it, and the
    # managed network reaches it through a private endpoint (its public access is disabled).
    shared = pulumi.StackReference(stack.shared_stack) if stack.shared_stack else None
    registry_id = shared.require_output("registryId") if shared is not None else None
    registry_name = shared.require_output("registryName") if shared is not None else None
    spark = monitors_run_spark(stack.drift, stack.endpoints)
    hosts = package_hosts(load_environment_templates(project_dir / TEMPLATES_PATH, project_dir))

    # --- Workspace and its hardened dependencies -------------------------------------------------------------------
    workspace = MlWorkspace(
        "platform",
        {
            "location": location,
            "naming": naming,
            "tags": tags,
            "network_mode": stack.network.mode,
            "allowed_ip_ranges": list(stack.network.allowed_ip_ranges),
            "outbound_rules": outbound_rule_args(stack.network, hosts),
            "private_endpoint_rules": endpoint_rule_args(stack.network, registry_id, spark=spark),
            "firewall_sku": stack.network.firewall_sku,
            "resource_group_name": stack.resource_group_name,
            "log_retention_days": stack.log_retention_days,
            "key_vault_soft_delete_days": stack.key_vault_soft_delete_days,
            "blob_soft_delete_days": stack.blob_soft_delete_days,
            "high_business_impact": stack.data_classification.is_sensitive,
            "zone_redundant": stack.zone_redundant,
            "protect_data": stack.protect,
            "customer_managed_key": stack.encryption.workspace_args(),
        },
    )
    scopes = {
        Scope.WORKSPACE: workspace.workspace_id,
        Scope.KEY_VAULT: workspace.key_vault_id,
        Scope.STORAGE: workspace.storage_account_id,
        Scope.CONTAINER_REGISTRY: workspace.container_registry_id,
        Scope.RESOURCE_GROUP: workspace.resource_group_id,
        **({Scope.ML_REGISTRY: registry_id} if registry_id is not None else {}),
    }

    # --- Private tier: a VNet with private endpoints and private DNS for every data plane ---------------------------
    network = private_network(
        stack.network, location=location, naming=naming, tags=tags, resource_group_name=workspace.resource_group_name,
        resource_ids={
            "workspace": workspace.workspace_id,
            "vault": workspace.key_vault_id,
            "blob": workspace.storage_account_id,
            "file": workspace.storage_account_id,
            "dfs": workspace.storage_account_id,
            "registry": workspace.container_registry_id,
            # Clients in the platform VNet reach the registry here; the managed network's own rule serves compute.
            **({REGISTRY_ENDPOINT: registry_id} if registry_id is not None else {}),
            # The telemetry stores' private link scope: it exists exactly when their public ingestion is disabled.
            **({MONITOR_ENDPOINT: workspace.monitor_private_link_scope_id}
               if workspace.monitor_private_link_scope_id is not None else {}),
        },
    )

    # --- Compute: clusters that scale to zero, their identities granted what jobs need ------------------------------
    clusters = create_clusters(
        stack.clusters, workspace_name=workspace.workspace_name, resource_group_name=workspace.resource_group_name,
        location=location, tags=tags,
        access={
            "storage_account_id": workspace.storage_account_id,
            "container_registry_id": workspace.container_registry_id,
            "ml_registry_id": registry_id,
            "seed": stack.name_seed,
        },
    )

    # --- People: a group per persona, roles from the matrix, MFA on every group that holds a role -------------------
    people = grant_people_access(
        stack.access, naming=naming, location=location, namer=namer_for(naming, location), scopes=scopes, seed=stack.name_seed,
    )

    # --- CI: GitHub Actions deploys through OIDC federation; no secret exists anywhere --------------------------------
    ci_outputs = compose_ci(
        stack.ci, naming=naming, location=location, scopes=scopes, seed=stack.name_seed, delegable=stack.encryption.delegable_roles()
    )

    # --- Serving: online endpoints (blue/green, autoscale) and batch scoring -------------------------------------
    in_workspace = {"workspace_name": workspace.workspace_name, "resource_group_name": workspace.resource_group_name}
    endpoints = create_endpoints(stack.endpoints, **in_workspace, location=location, naming=naming, tags=tags, registry_name=registry_name)
    create_batch_endpoints(
        stack.batch_endpoints, **in_workspace, location=location, naming=naming, tags=tags, registry_name=registry_name,
        cluster_ids={cluster.name: resource.compute_id for cluster, resource in zip(stack.clusters, clusters)},
    )

    # --- Monitoring: every log to Log Analytics, alerts to an action group ------------------------------------------
    monitoring = create_monitoring(
        stack.monitoring, resource_group_name=workspace.resource_group_name, naming=naming, location=location, tags=tags,
        log_analytics_workspace_id=workspace.log_analytics_workspace_id, workspace_id=workspace.workspace_id,
        diagnostic_targets=[
            ("workspace", workspace.workspace_id, "workspace"),
            ("vault", workspace.key_vault_id, "key_vault"),
            ("storage", workspace.storage_account_id, "storage"),
            ("registry", workspace.container_registry_id, "container_registry"),
            *[(f"endpoint-{e.name}", r.endpoint_id, "online_endpoint") for e, r in zip(stack.endpoints, endpoints)],
        ],
        endpoints=[(e.name, r.endpoint_id) for e, r in zip(stack.endpoints, endpoints)],
        clusters=[(c.name, c.max_nodes) for c in stack.clusters],
    )

    # --- Drift: a model monitor per watched deployment; retraining on a cadence ----------------------------------
    create_model_monitors(
        stack.drift,
        [(e.name, d.name, r, r.endpoint_name) for e, r in zip(stack.endpoints, endpoints) for d in e.deployments if d.monitor_drift],
        **in_workspace, emails=stack.monitoring.emails,
    )
    create_retraining(stack.retraining, **in_workspace, registry_name=registry_name)

    # --- Cost: a monthly budget on the environment's resource group ------------------------------------------------
    budget = create_budget(
        stack.budget, naming=naming, location=location, scope=workspace.resource_group_id, emails=stack.monitoring.emails,
        action_group_id=monitoring.action_group_id,
    )

    outputs: dict[str, object] = {
        stack_facts.ENVIRONMENT: stack.environment.value,
        stack_facts.LOCATION: location,
        stack_facts.NETWORK_MODE: stack.network.mode.value,
        # The deploy workflow provisions the managed network for serverless Spark when this is true.
        "sparkNetwork": spark,
        "resourceGroupName": workspace.resource_group_name,
        "workspaceName": workspace.workspace_name,
        "workspaceId": workspace.workspace_id,
        "studioUrl": workspace.studio_url,
        "workspaceIdentityId": workspace.identity_id,
        "keyVaultUri": workspace.key_vault_uri,
        "containerRegistryId": workspace.container_registry_id,
        "logAnalyticsWorkspaceId": workspace.log_analytics_workspace_id,
        "clusterNames": [cluster.compute_name for cluster in clusters],
        "groupIds": people.groups.group_ids,
        "mfaPolicyId": people.mfa.policy_id,
        "actionGroupId": monitoring.action_group_id,
        "alertIds": monitoring.alert_ids,
        "budgetId": budget.budget_id,
        "scoringUris": {e.name: r.scoring_uri for e, r in zip(stack.endpoints, endpoints)},
        stack_facts.COST_ASSUMPTIONS: stack.budget.cost_assumptions.to_output(),
        **ci_outputs,
    }
    if stack.model_gate is not None:
        outputs["modelGate"] = stack.model_gate.to_output()
    if network is not None:
        outputs["virtualNetworkId"] = network.virtual_network_id
    if shared is not None:
        outputs["registryName"] = registry_name
        outputs["registryId"] = registry_id
        outputs["environments"] = shared.require_output("environments")
    return outputs
