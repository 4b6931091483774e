"""Container Registry: the registry where Azure ML builds and keeps the platform's environment images.

Resource policies on inputs (``ResourceValidationArgs.props``); the registry's ARM ``properties`` are lifted to the top
level (``adminUserEnabled``, ``publicNetworkAccess``, ``policies.exportPolicy.status``). Network restriction, private
links and export control exist on the Premium SKU only, which is why the network policies here are relaxed in dev,
where the platform runs a Basic registry behind Microsoft Entra ID.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import Severity

from mlplatform_policies.base import Controls, get, is_value, property_policy

REGISTRY = "azure-native:containerregistry:Registry"

_COMPONENT = "the containerregistry.Registry that MlWorkspace creates (components/ml_workspace.py)"
_NETWORK_MODE = (
    "Set mlplatform:network.mode to managed or private in the stack file (stacks/Pulumi.<stack>.yaml): MlWorkspace's "
    "_registry_settings then gives the registry"
)


def _premium(props: Mapping[str, Any]) -> bool:
    return is_value(get(props, "sku.name"), "Premium")


POLICIES: list = [
    property_policy(
        name="azure-native-containerregistry-registry-disable-admin-user",
        description="Container registries have their admin user disabled.",
        rationale=(
            "The admin user is one shared credential with push and pull rights on every repository; it cannot be scoped "
            "or attributed to a person. Identities with AcrPull / AcrPush roles replace it."
        ),
        checks="The registry leaves adminUserEnabled unset or sets it to false.",
        severity=Severity.HIGH,
        resource_types=[REGISTRY],
        path="adminUserEnabled",
        expected=False,
        unset_complies=True,
        message=(
            "Container registry has its admin user enabled ({found}): a shared username and password with push and pull "
            "rights; expected adminUserEnabled {expected}."
        ),
        controls=Controls(
            azure_policy=("dc921057-6b28-4fbe-9b83-f7bec05db6c2",),
            checkov=("CKV_AZURE_137",),
            mcsb=("IM-1",),
            psrule=("Azure.ACR.AdminUser",),
        ),
        remediation=(
            f"Set admin_user_enabled=False on {_COMPONENT}. Grant registry access as roles instead, in components/roles.py: "
            "the workspace identity holds AcrPush (WORKSPACE_IDENTITY_ROLES), cluster identities AcrPull, and people "
            "AcrPull or AcrPush through their persona group (PERSONA_ROLES)."
        ),
        url="https://learn.microsoft.com/azure/container-registry/container-registry-authentication#admin-account",
    ),
    property_policy(
        name="azure-native-containerregistry-registry-disable-anonymous-pull",
        description="Container registries do not allow anonymous (unauthenticated) pulls.",
        rationale="Anonymous pull makes every image, and whatever code or data is baked into it, readable by anyone on the Internet.",
        checks="The registry leaves anonymousPullEnabled unset or sets it to false.",
        severity=Severity.HIGH,
        resource_types=[REGISTRY],
        path="anonymousPullEnabled",
        expected=False,
        unset_complies=True,
        message="Container registry lets anyone pull images without signing in: {found}; expected {expected}.",
        controls=Controls(
            azure_policy=("9f2dea28-e834-476c-99c5-3507b4728395",),
            checkov=("CKV_AZURE_138",),
            psrule=("Azure.ACR.AnonymousAccess",),
        ),
        remediation=f"Set anonymous_pull_enabled=False on {_COMPONENT}.",
        url="https://learn.microsoft.com/azure/container-registry/anonymous-pull-access",
    ),
    property_policy(
        name="azure-native-containerregistry-registry-disallow-public-network-access",
        description="Container registries are not reachable from public networks.",
        rationale=(
            "Images carry the platform's code and dependencies; with the public endpoint closed, they are pulled and "
            "pushed only through private endpoints (Azure ML's managed ones or the private network's)."
        ),
        checks="The registry sets publicNetworkAccess to Disabled.",
        severity=Severity.HIGH,
        resource_types=[REGISTRY],
        path="publicNetworkAccess",
        expected="Disabled",
        message="Container registry is reachable from public networks: {found}; expected {expected}.",
        controls=Controls(
            azure_policy=("0fdf0491-d080-4575-b627-ad0e843cba0f",),
            checkov=("CKV_AZURE_139",),
            mcsb=("NS-2",),
        ),
        remediation=(
            f"{_NETWORK_MODE} public_network_access=\"Disabled\" and a default-deny network rule set (Premium). "
            "Mode public is meant for dev only, where the pack config makes this policy advisory."
        ),
        url="https://learn.microsoft.com/azure/container-registry/container-registry-access-selected-networks",
        relaxed_in=("dev",),
    ),
    property_policy(
        name="azure-native-containerregistry-registry-premium-sku",
        description="Container registries use the Premium SKU, the only one with private endpoints and network rules.",
        rationale=(
            "Basic and Standard registries cannot be closed to the Internet, take a private endpoint or disable exports, "
            "so none of the network controls can be applied to them."
        ),
        checks="The registry sets sku.name to Premium.",
        severity=Severity.MEDIUM,
        resource_types=[REGISTRY],
        path="sku.name",
        expected="Premium",
        message=(
            "Container registry SKU supports no private endpoint, network rules or export control: {found}; "
            "expected {expected}."
        ),
        controls=Controls(
            azure_policy=("bd560fc0-3c69-498a-ae9f-aa8eb7de0e13",),
            mcsb=("NS-2",),
        ),
        remediation=(
            f"{_NETWORK_MODE} sku Premium. Mode public keeps a Basic registry to save cost and is meant for dev only, "
            "where the pack config makes this policy advisory."
        ),
        url="https://learn.microsoft.com/azure/container-registry/container-registry-skus",
        relaxed_in=("dev",),
    ),
    property_policy(
        name="azure-native-containerregistry-registry-disable-exports",
        description="Premium container registries have artifact export disabled.",
        rationale=(
            "With exports enabled, anyone allowed to import can copy every image to a registry outside the platform; "
            "disabling them keeps images reachable only through the data plane of the private registry."
        ),
        checks="A Premium registry sets policies.exportPolicy.status to disabled.",
        severity=Severity.MEDIUM,
        resource_types=[REGISTRY],
        path="policies.exportPolicy.status",
        expected="disabled",
        only_if=_premium,  # export policy exists on Premium only; the SKU policy reports the rest
        message=(
            "Container registry allows artifacts to be exported ('az acr import' / transfer pipelines): {found}; "
            "expected {expected}."
        ),
        controls=Controls(azure_policy=("524b0254-c285-4903-bee6-bb8126cde579",)),
        remediation=(
            f"{_NETWORK_MODE} policies.export_policy status \"disabled\" (Azure also requires public network access to "
            "be disabled for that). Exports exist on Premium only; dev's Basic registry is not checked."
        ),
        url="https://learn.microsoft.com/azure/container-registry/data-loss-prevention",
        relaxed_in=("dev",),
    ),
]
