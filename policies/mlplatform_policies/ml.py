"""Azure Machine Learning: the workspace, its compute, online endpoints and deployments, and the shared registry.

Property paths are the SDK's input names as CrossGuard receives them: the workspace and the registry have ARM's
``properties`` lifted to the top level, an online endpoint or deployment keeps them under ``properties``, and a
compute nests them twice (``properties.properties``). Enum strings compare case-insensitively, as Azure does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from mlplatform_policies.base import Controls, get, is_value, property_check, property_policy, resource_policy, shown

WORKSPACE = "azure-native:machinelearningservices:Workspace"
COMPUTE = "azure-native:machinelearningservices:Compute"
ONLINE_ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
ONLINE_DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"
REGISTRY = "azure-native:machinelearningservices:Registry"

#: Data classifications (the ``dataClassification`` tag) that require a high-business-impact workspace.
SENSITIVE_CLASSIFICATIONS = ("confidential", "restricted")
#: Longest idle time before a cluster releases a node, in seconds (PT30M).
MAX_IDLE_SECONDS_BEFORE_SCALE_DOWN = 30 * 60
#: Collections a deployment's data collector must record for drift and quality monitoring.
REQUIRED_COLLECTIONS = ("model_inputs", "model_outputs")

_POLICY_DEFINITIONS = "https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Machine%20Learning"
_LEARN = "https://learn.microsoft.com/azure/machine-learning"


# --- Helpers -------------------------------------------------------------------------------------------------


_ISO_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?",
    re.IGNORECASE,
)
_SECONDS_PER = {"weeks": 604_800, "days": 86_400, "hours": 3_600, "minutes": 60, "seconds": 1}


def iso8601_seconds(duration: Any) -> float | None:
    """Seconds in an ISO 8601 duration such as ``PT120S``, ``PT30M`` or ``P1DT2H``; None when it is not one.

    Years and months have no fixed length and are not accepted.
    """
    if not isinstance(duration, str):
        return None
    text = duration.strip()
    match = _ISO_DURATION.fullmatch(text)
    if match is None or text.upper() in ("P", "PT") or text.upper().endswith("T"):
        return None
    parts = match.groupdict()
    if all(v is None for v in parts.values()):
        return None
    return sum(float(v) * _SECONDS_PER[k] for k, v in parts.items() if v is not None)


def _identity_ids(value: Any) -> list[str]:
    """User-assigned identity IDs from the SDK's list form or ARM's map form (keys are the IDs)."""
    if isinstance(value, Mapping):
        return [str(k) for k in value]
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [str(v) for v in value]
    return []


def _compute_type(props: Mapping[str, Any]) -> str:
    value = get(props, "properties.computeType")
    return value.lower() if isinstance(value, str) else ""


def _compute_of(*kinds: str) -> Callable[[Mapping[str, Any]], bool]:
    """Whether a compute is of one of ``kinds`` (lower-case computeType: ``amlcompute``, ``computeinstance``)."""
    return lambda props: _compute_type(props) in kinds


# --- Workspace -----------------------------------------------------------------------------------------------


def _workspace_user_assigned_identity(props: Mapping[str, Any]) -> str | None:
    kind = get(props, "identity.type")
    kinds = {part.strip().lower() for part in kind.split(",")} if isinstance(kind, str) else set()
    if "userassigned" not in kinds:
        return f"Workspace identity type is {shown(kind)}; expected 'UserAssigned' with primaryUserAssignedIdentity set."
    primary = props.get("primaryUserAssignedIdentity")
    if not isinstance(primary, str) or not primary.strip():
        return "Workspace primaryUserAssignedIdentity is not set; expected the resource ID of one of its user-assigned identities."
    assigned = [i.lower() for i in _identity_ids(get(props, "identity.userAssignedIdentities"))]
    if assigned and primary.lower() not in assigned:
        return f"Workspace primaryUserAssignedIdentity {shown(primary)} is not one of its userAssignedIdentities; expected one of them."
    return None


def _workspace_hbi(props: Mapping[str, Any]) -> str | None:
    classification = get(props, "tags.dataClassification")
    if not isinstance(classification, str) or classification.lower() not in SENSITIVE_CLASSIFICATIONS:
        return None
    value = props.get("hbiWorkspace")
    if value is True:
        return None
    return (
        f"Workspace hbiWorkspace is {shown(value)} but its dataClassification tag is {shown(classification)}; "
        "expected true for confidential or restricted data."
    )


# --- Compute -------------------------------------------------------------------------------------------------


_cluster_remote_login = property_check(
    "properties.properties.remoteLoginPortPublicAccess",
    "Disabled",
    "Compute {found}; expected {expected}.",
    label="remoteLoginPortPublicAccess",
    only_if=_compute_of("amlcompute"),
)
_instance_remote_login = property_check(
    "properties.properties.sshSettings.sshPublicAccess",
    "Disabled",
    "Compute {found}; expected {expected}.",
    label="sshSettings.sshPublicAccess",
    unset_complies=True,  # a compute instance's SSH port is closed unless enabled
    only_if=_compute_of("computeinstance"),
)


def _compute_remote_login(props: Mapping[str, Any]) -> str | None:
    return _cluster_remote_login(props) or _instance_remote_login(props)


def _compute_idle_scale_down(props: Mapping[str, Any]) -> str | None:
    if _compute_type(props) != "amlcompute":
        return None
    limit = f"PT{MAX_IDLE_SECONDS_BEFORE_SCALE_DOWN // 60}M"
    value = get(props, "properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown")
    if value is None:
        return f"Compute scaleSettings.nodeIdleTimeBeforeScaleDown is not set; expected an ISO 8601 duration of at most {limit}."
    seconds = iso8601_seconds(value)
    if seconds is None:
        return (
            f"Compute scaleSettings.nodeIdleTimeBeforeScaleDown is {shown(value)}, not an ISO 8601 duration; "
            f"expected a duration of at most {limit}."
        )
    if seconds > MAX_IDLE_SECONDS_BEFORE_SCALE_DOWN:
        return f"Compute scaleSettings.nodeIdleTimeBeforeScaleDown is {shown(value)} ({seconds:g} s); expected at most {limit}."
    return None


def _compute_instance_idle_shutdown(props: Mapping[str, Any]) -> str | None:
    if _compute_type(props) != "computeinstance":
        return None
    value = get(props, "properties.properties.idleTimeBeforeShutdown")
    if isinstance(value, str) and value.strip():
        return None
    return "Compute instance idleTimeBeforeShutdown is not set; expected an ISO 8601 duration such as 'PT60M'."


# --- Online endpoints and deployments ------------------------------------------------------------------------


def _deployment_data_collection(props: Mapping[str, Any]) -> str | None:
    collections = get(props, "properties.dataCollector.collections")
    if not isinstance(collections, Mapping):
        return "Online deployment has no dataCollector collections; expected model_inputs and model_outputs with dataCollectionMode 'Enabled'."
    missing = [
        name for name in REQUIRED_COLLECTIONS
        if not is_value(get(collections, f"{name}.dataCollectionMode"), "Enabled")
    ]
    if not missing:
        return None
    return (
        f"Online deployment data collection is not enabled for {', '.join(missing)}; "
        "expected model_inputs and model_outputs with dataCollectionMode 'Enabled'."
    )


POLICIES: list = [
    property_policy(
        name="azure-native-machinelearningservices-workspace-disallow-public-network-access",
        description="Azure ML workspaces must not be reachable from public networks.",
        rationale=(
            "A workspace reachable from the Internet exposes its studio, APIs, data and models to anyone who obtains a "
            "token; reaching it only through a private endpoint removes that attack surface and the data exfiltration "
            "path it opens."
        ),
        checks="The workspace's publicNetworkAccess is 'Disabled'.",
        severity=Severity.HIGH,
        resource_types=[WORKSPACE],
        path="publicNetworkAccess",
        expected="Disabled",
        unset="not set (Azure defaults to 'Enabled')",
        message="Workspace {found}; expected {expected}.",
        controls=Controls(
            azure_policy=("438c38d2-3772-465a-a9cc-7a6666a275ce",),
            checkov=("CKV_AZURE_144",),
            mcsb=("NS-2",),
            psrule=("Azure.ML.PublicAccess",),
        ),
        remediation=(
            "Set `mlplatform:network.mode: private` in the stack file: the MlWorkspace component "
            "(components/ml_workspace.py) then sets publicNetworkAccess to 'Disabled' and the PrivateNetwork component "
            "creates the workspace's private endpoint and its private DNS (zones of its own, or a landing zone's: "
            "network.privateDns). Clients then reach the workspace through the VNet "
            "(VPN, ExpressRoute or a jump host). The dev stack's public mode and the managed tier (staging, where "
            "people reach the workspace behind Entra ID and MFA while its dependencies stay closed) relax this "
            "policy by design."
        ),
        url=f"{_POLICY_DEFINITIONS}/Workspace_PublicNetworkAccessDisabled_Audit.json",
        relaxed_in=("dev", "staging"),
    ),
    property_policy(
        name="azure-native-machinelearningservices-workspace-disallow-public-access-behind-vnet",
        description="Azure ML workspaces must not re-open public access when placed behind a virtual network.",
        rationale=(
            "allowPublicAccessWhenBehindVnet is the legacy switch that keeps a private-linked workspace reachable from "
            "the Internet, silently undoing its network isolation."
        ),
        checks="The workspace's allowPublicAccessWhenBehindVnet is false or unset.",
        severity=Severity.HIGH,
        resource_types=[WORKSPACE],
        path="allowPublicAccessWhenBehindVnet",
        expected=False,
        unset_complies=True,
        message="Workspace {found}; expected {expected} or unset.",
        controls=Controls(mcsb=("NS-2",), psrule=("Azure.ML.PublicAccess",)),
        remediation=(
            "Set allow_public_access_when_behind_vnet=False (as the MlWorkspace component in components/ml_workspace.py "
            "does) or remove it, and control exposure with publicNetworkAccess (`mlplatform:network.mode`) instead."
        ),
        url=f"{_LEARN}/how-to-configure-private-link",
    ),
    property_policy(
        name="azure-native-machinelearningservices-workspace-require-approved-outbound-only",
        description="Azure ML workspaces must use a managed virtual network that allows only approved outbound traffic.",
        rationale=(
            "Jobs, notebooks and deployments run arbitrary code next to training data; with unrestricted outbound "
            "access that code can send data and credentials anywhere on the Internet."
        ),
        checks="The workspace's managedNetwork.isolationMode is 'AllowOnlyApprovedOutbound'.",
        severity=Severity.HIGH,
        resource_types=[WORKSPACE],
        path="managedNetwork.isolationMode",
        expected="AllowOnlyApprovedOutbound",
        unset="not set (no managed network isolation)",
        message="Workspace {found}; expected {expected}.",
        controls=Controls(azure_policy=("6ddb1705-c8cf-450e-aa4b-19ad6703c440",), mcsb=("NS-2",)),
        remediation=(
            "Set `mlplatform:network.mode` to `managed` or `private` in the stack file: the MlWorkspace component then "
            "sets managedNetwork.isolationMode to 'AllowOnlyApprovedOutbound'. List the destinations jobs need (package "
            "indexes, service tags) under `mlplatform:network.outboundRules`. Assign the Azure Policy definition with its "
            "isolationMode parameter set to AllowOnlyApprovedOutbound. The dev stack's public mode relaxes this policy "
            "by design."
        ),
        url=f"{_POLICY_DEFINITIONS}/ManagedNetworkIsolationMode_Audit.json",
        relaxed_in=("dev",),
    ),
    property_policy(
        name="azure-native-machinelearningservices-workspace-require-identity-based-datastores",
        description="Azure ML workspaces must reach their system datastores with identities, not the storage account key.",
        rationale=(
            "With key-based datastores anyone holding the storage account key reads every dataset and model, outside of "
            "Entra ID and RBAC; identity-based access also lets the storage account disable shared keys entirely."
        ),
        checks="The workspace's systemDatastoresAuthMode is 'identity'.",
        severity=Severity.HIGH,
        resource_types=[WORKSPACE],
        path="systemDatastoresAuthMode",
        expected="identity",
        unset="not set (the storage account key is used)",
        message="Workspace {found}; expected {expected}.",
        controls=Controls(mcsb=("IM-1",)),
        remediation=(
            "Set system_datastores_auth_mode='identity' on the workspace (the MlWorkspace component in "
            "components/ml_workspace.py does) and grant the workspace and compute identities Storage Blob Data "
            "Contributor on the storage account (components/roles.py); keep allow_shared_key_access=False on the account."
        ),
        url=f"{_LEARN}/how-to-disable-local-auth-storage",
    ),
    resource_policy(
        name="azure-native-machinelearningservices-workspace-require-user-assigned-identity",
        description="Azure ML workspaces must use a user-assigned managed identity as their primary identity.",
        rationale=(
            "A user-assigned identity exists before the workspace, so its role assignments can be granted and reviewed "
            "up front and survive a workspace re-creation; a system-assigned identity is created and destroyed with it."
        ),
        checks="The workspace's identity type includes 'UserAssigned' and primaryUserAssignedIdentity names one of its user-assigned identities.",
        severity=Severity.MEDIUM,
        resource_types=[WORKSPACE],
        check=_workspace_user_assigned_identity,
        controls=Controls(
            azure_policy=("5f0c7d88-c7de-45b8-ac49-db49e72eaa78",),
            mcsb=("IM-3",),
            psrule=("Azure.ML.UserManagedIdentity",),
        ),
        remediation=(
            "Give the workspace identity=ManagedServiceIdentityArgs(type='UserAssigned', user_assigned_identities=[id]) "
            "and primary_user_assigned_identity=id, as the MlWorkspace component (components/ml_workspace.py) does with "
            "the UserAssignedIdentity it creates and grants WORKSPACE_IDENTITY_ROLES."
        ),
        url=f"{_POLICY_DEFINITIONS}/Workspace_UAIEnabled_Audit.json",
    ),
    resource_policy(
        name="azure-native-machinelearningservices-workspace-require-hbi-for-sensitive-data",
        description="Azure ML workspaces holding confidential or restricted data must be high-business-impact workspaces.",
        rationale=(
            "The high-business-impact flag limits the diagnostic data Microsoft collects from the workspace and "
            "encrypts local scratch disks of its compute; data classified confidential or restricted needs it."
        ),
        checks="A workspace whose dataClassification tag is 'confidential' or 'restricted' has hbiWorkspace true.",
        severity=Severity.MEDIUM,
        resource_types=[WORKSPACE],
        check=_workspace_hbi,
        controls=Controls(mcsb=("DP-1",)),  # sensitive data identified and handled as such
        remediation=(
            "Set `mlplatform:tags.dataClassification` to the data's real classification: the platform derives the "
            "MlWorkspace argument high_business_impact from it (confidential or restricted sets hbi_workspace=True). "
            "The flag can only be set when a workspace is created, so an existing workspace must be re-created."
        ),
        url=f"{_LEARN}/concept-data-encryption",
    ),
    property_policy(
        name="azure-native-machinelearningservices-compute-disable-local-auth",
        description="Azure ML compute must have local authentication disabled.",
        rationale=(
            "Local authentication gives compute access that bypasses Entra ID, conditional access and audit; disabling "
            "it makes Entra ID the only way in."
        ),
        checks="The compute's properties.disableLocalAuth is true.",
        severity=Severity.HIGH,
        resource_types=[COMPUTE],
        path="properties.disableLocalAuth",
        label="disableLocalAuth",
        expected=True,
        message="Compute {found}; expected {expected}.",
        controls=Controls(
            azure_policy=("e96a9a5f-07ca-471b-9bc5-6a0f33cbd68f",),
            checkov=("CKV_AZURE_142",),
            mcsb=("IM-1",),
            psrule=("Azure.ML.DisableLocalAuth",),
        ),
        remediation=(
            "Set disable_local_auth=True on the compute (AmlComputeArgs / ComputeInstanceArgs), as the GpuCluster "
            "component (components/gpu_cluster.py) does for every cluster in `mlplatform:clusters`."
        ),
        url=f"{_POLICY_DEFINITIONS}/MachineLearningServices_DisableLocalAuth_Audit.json",
    ),
    property_policy(
        name="azure-native-machinelearningservices-compute-disallow-node-public-ip",
        description="Azure ML compute clusters and instances must not give their nodes public IP addresses.",
        rationale=(
            "Nodes with public IPs are reachable from the Internet and need inbound rules from the Azure ML service; "
            "without them nodes talk only over the (managed) virtual network. The SDK sends true unless told otherwise."
        ),
        checks="An AmlCompute or ComputeInstance has properties.properties.enableNodePublicIp set to false (unset counts as true).",
        severity=Severity.HIGH,
        resource_types=[COMPUTE],
        path="properties.properties.enableNodePublicIp",
        label="enableNodePublicIp",
        expected=False,
        unset="not set (Azure defaults to true)",
        only_if=_compute_of("amlcompute", "computeinstance"),
        message="Compute {found}; expected {expected}.",
        controls=Controls(mcsb=("NS-2",)),
        remediation=(
            "Set enable_node_public_ip=False explicitly in the compute's properties (the GpuCluster component in "
            "components/gpu_cluster.py does); the workspace's managed network (`mlplatform:network.mode` managed or "
            "private) provides the outbound path."
        ),
        url=f"{_LEARN}/how-to-secure-training-vnet",
    ),
    resource_policy(
        name="azure-native-machinelearningservices-compute-disallow-public-remote-login",
        description="Azure ML compute must keep its SSH (remote login) port closed to public networks.",
        rationale=(
            "An open SSH port on training nodes invites brute-force and lets interactive sessions bypass the platform's "
            "job, identity and audit controls. For clusters the SDK sends 'NotSpecified', which leaves the port open "
            "when no VNet is used."
        ),
        checks="An AmlCompute has remoteLoginPortPublicAccess 'Disabled'; a ComputeInstance does not set sshSettings.sshPublicAccess to 'Enabled'.",
        severity=Severity.HIGH,
        resource_types=[COMPUTE],
        check=_compute_remote_login,
        controls=Controls(mcsb=("NS-2",)),
        remediation=(
            "Set remote_login_port_public_access='Disabled' on clusters (the GpuCluster component in "
            "components/gpu_cluster.py does) and leave ssh_public_access 'Disabled' on compute instances; debug jobs "
            "through Azure ML's interactive job services instead."
        ),
        url=f"{_LEARN}/how-to-create-attach-compute-cluster",
    ),
    property_policy(
        name="azure-native-machinelearningservices-compute-require-scale-to-zero",
        description="Azure ML compute clusters must scale down to zero nodes.",
        rationale="A cluster with a non-zero minimum bills its idle nodes around the clock, GPU nodes especially.",
        checks="An AmlCompute's scaleSettings.minNodeCount is 0 (unset means Azure's default of 0).",
        severity=Severity.LOW,
        resource_types=[COMPUTE],
        path="properties.properties.scaleSettings.minNodeCount",
        label="scaleSettings.minNodeCount",
        expected=0,
        unset_complies=True,  # Azure's default minimum is 0
        only_if=_compute_of("amlcompute"),
        message="Compute {found}; expected {expected} so the cluster scales to zero when idle.",
        controls=Controls(checkov=("CKV_AZURE_150",)),
        remediation=(
            "Remove `minNodes` from the cluster's entry in `mlplatform:clusters` (the default is 0), or set it to 0; "
            "the GpuCluster component passes it as scale_settings.min_node_count. Waive the policy with a reason for a "
            "cluster that must stay warm."
        ),
        url=f"{_LEARN}/how-to-create-attach-compute-cluster",
    ),
    resource_policy(
        name="azure-native-machinelearningservices-compute-limit-idle-scale-down",
        description="Azure ML compute clusters must release idle nodes within 30 minutes.",
        rationale=(
            "Idle nodes cost as much as busy ones; a bounded idle time keeps a finished job from leaving a GPU node "
            "billed for hours."
        ),
        checks="An AmlCompute's scaleSettings.nodeIdleTimeBeforeScaleDown is set to an ISO 8601 duration of at most PT30M.",
        severity=Severity.LOW,
        resource_types=[COMPUTE],
        check=_compute_idle_scale_down,
        controls=Controls(psrule=("Azure.ML.ComputeIdleShutdown",)),  # the cluster analogue of idle shutdown
        remediation=(
            "Set `idleSecondsBeforeScaleDown` on the cluster in `mlplatform:clusters` to 1800 or less (default 120); "
            "the GpuCluster component sends it as scale_settings.node_idle_time_before_scale_down (for example 'PT120S')."
        ),
        url=f"{_LEARN}/how-to-create-attach-compute-cluster",
    ),
    resource_policy(
        name="azure-native-machinelearningservices-compute-require-instance-idle-shutdown",
        description="Azure ML compute instances must shut down when idle.",
        rationale="A forgotten compute instance keeps billing until someone stops it; idle shutdown stops it for them.",
        checks="A ComputeInstance's properties.properties.idleTimeBeforeShutdown is set.",
        severity=Severity.LOW,
        resource_types=[COMPUTE],
        check=_compute_instance_idle_shutdown,
        controls=Controls(
            azure_policy=("679ddf89-ab8f-48a5-9029-e76054077449",),
            psrule=("Azure.ML.ComputeIdleShutdown",),
        ),
        remediation=(
            "Set idle_time_before_shutdown (ISO 8601, between PT15M and P3D, for example 'PT60M') in the compute "
            "instance's ComputeInstancePropertiesArgs."
        ),
        url=f"{_POLICY_DEFINITIONS}/MachineLearningServices_IdleShutdown_Audit.json",
    ),
    property_policy(
        name="azure-native-machinelearningservices-onlineendpoint-require-entra-auth",
        description="Azure ML online endpoints must authenticate callers with Microsoft Entra ID tokens.",
        rationale=(
            "Endpoint keys are static shared secrets that cannot be scoped to a caller, expire only when regenerated and "
            "bypass conditional access; Entra tokens are per-caller, short-lived and governed by RBAC."
        ),
        checks="The online endpoint's properties.authMode is 'AADToken'.",
        severity=Severity.HIGH,
        resource_types=[ONLINE_ENDPOINT],
        path="properties.authMode",
        label="authMode",
        expected="AADToken",
        message="Online endpoint {found}; expected {expected}.",
        controls=Controls(mcsb=("IM-1",)),
        remediation=(
            "Remove `authMode: key` from the endpoint in `mlplatform:endpoints` (the ModelEndpoint component in "
            "components/model_endpoint.py defaults to 'AADToken') and grant callers a role that includes "
            "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action."
        ),
        url=f"{_LEARN}/how-to-authenticate-online-endpoint",
    ),
    property_policy(
        name="azure-native-machinelearningservices-onlineendpoint-disallow-public-network-access",
        description="Azure ML online endpoints must accept scoring requests only through the workspace's private endpoint.",
        rationale="A public scoring endpoint exposes the model, and the data sent to it, to the Internet.",
        checks="The online endpoint's properties.publicNetworkAccess is 'Disabled'.",
        severity=Severity.HIGH,
        resource_types=[ONLINE_ENDPOINT],
        path="properties.publicNetworkAccess",
        label="publicNetworkAccess",
        expected="Disabled",
        unset="not set (Azure defaults to 'Enabled')",
        message="Online endpoint {found}; expected {expected}.",
        controls=Controls(mcsb=("NS-2",)),
        remediation=(
            "Remove `publicNetworkAccess: true` from the endpoint in `mlplatform:endpoints` (the ModelEndpoint component "
            "defaults to 'Disabled'; the config loader only accepts public endpoints in dev) and call it through the "
            "workspace's private endpoint. The dev stack relaxes this policy by design."
        ),
        url=f"{_LEARN}/how-to-secure-online-endpoint",
        relaxed_in=("dev",),
    ),
    property_policy(
        name="azure-native-machinelearningservices-onlinedeployment-enable-app-insights",
        description="Azure ML online deployments must send telemetry to Application Insights.",
        rationale=(
            "Without request, latency and failure telemetry an outage or a degraded model goes unnoticed and cannot be "
            "investigated afterwards."
        ),
        checks="The online deployment's properties.appInsightsEnabled is true.",
        severity=Severity.MEDIUM,
        resource_types=[ONLINE_DEPLOYMENT],
        path="properties.appInsightsEnabled",
        label="appInsightsEnabled",
        expected=True,
        message="Online deployment {found}; expected {expected}.",
        controls=Controls(mcsb=("LT-3",)),
        remediation=(
            "Set app_insights_enabled=True on the deployment (ManagedOnlineDeploymentArgs), as the ModelEndpoint "
            "component (components/model_endpoint.py) does for every deployment in `mlplatform:endpoints`."
        ),
        url=f"{_LEARN}/how-to-monitor-online-endpoints",
    ),
    resource_policy(
        name="azure-native-machinelearningservices-onlinedeployment-enable-data-collection",
        description="Azure ML online deployments must collect their model inputs and outputs.",
        rationale=(
            "Drift and quality monitors, audits of individual predictions and retraining on production data all need "
            "the requests and responses the model saw."
        ),
        checks="The online deployment's dataCollector collections model_inputs and model_outputs have dataCollectionMode 'Enabled'.",
        severity=Severity.MEDIUM,
        resource_types=[ONLINE_DEPLOYMENT],
        check=_deployment_data_collection,
        controls=Controls(mcsb=("LT-3",)),
        remediation=(
            "Give the deployment a data_collector with collections model_inputs and model_outputs in "
            "data_collection_mode 'Enabled', as the ModelEndpoint component (components/model_endpoint.py) does; the "
            "model monitors configured by `mlplatform:drift` read these collections."
        ),
        url=f"{_LEARN}/how-to-collect-production-data",
    ),
    property_policy(
        name="azure-native-machinelearningservices-registry-disallow-public-network-access",
        description="The shared Azure ML registry must not be reachable from public networks.",
        rationale=(
            "The registry holds the organisation's curated environments and promoted models for every environment; "
            "exposing it publicly widens access to the supply chain of everything deployed."
        ),
        checks="The ML registry's publicNetworkAccess is 'Disabled'.",
        severity=Severity.HIGH,
        resource_types=[REGISTRY],
        path="publicNetworkAccess",
        expected="Disabled",
        unset="not set (Azure defaults to 'Enabled')",
        message="ML registry {found}; expected {expected}.",
        controls=Controls(mcsb=("NS-2",)),
        remediation=(
            "Set public_network_access='Disabled' on the registry, as the MlRegistry component "
            "(components/ml_registry.py) of the shared stack does; workspaces reach it through private endpoints "
            "(group 'amlregistry') or their managed networks."
        ),
        url=f"{_LEARN}/how-to-registry-network-isolation",
    ),
]
