"""The prod plan's identity, MFA and isolation guarantees (the issue's acceptance list), on the real program."""

from __future__ import annotations

import re

import pytest

from components.roles import PERSONA_ROLES, PRIVILEGED_ROLE_GUIDS, Persona
from tests.conftest import REPO, SHIPPED_STACKS, only, preview_stack

CA = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy"
GROUP = "azuread:index/group:Group"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
PE = "azure-native:network:PrivateEndpoint"
MANAGEMENT_API = "797f4846-ba00-4fd7-ba43-dac1f8f63013"


def mfa_policies(plan):
    return [
        p for p in plan.of_type(CA)
        if p.inputs["state"] == "enabled" and "mfa" in p.inputs["grantControls"].get("builtInControls", [])
        and {MANAGEMENT_API, "All"} & set(p.inputs["conditions"]["applications"]["includedApplications"])
    ]


def test_a_group_per_persona():
    groups = preview_stack("prod").of_type(GROUP)
    assert len(groups) == len(Persona)
    for group in groups:
        assert group.inputs["securityEnabled"] is True and group.inputs["mailEnabled"] is False


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_group_with_a_role_is_covered_by_an_enabled_mfa_policy(stack):
    plan = preview_stack(stack)
    covered = {g for policy in mfa_policies(plan) for g in policy.inputs["conditions"]["users"]["includedGroups"]}
    granted = {a.inputs["principalId"] for a in plan.of_type(ASSIGNMENT) if a.inputs["principalType"] == "Group"}
    assert granted, "personas receive roles"
    assert granted <= covered


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_roles_go_to_groups_or_service_principals_never_privileged_at_subscription_scope(stack):
    for assignment in preview_stack(stack).of_type(ASSIGNMENT):
        assert assignment.inputs["principalType"] in ("Group", "ServicePrincipal")
        guid = assignment.inputs["roleDefinitionId"].rsplit("/", 1)[1]
        scope = assignment.inputs["scope"]
        assert "/resourceGroups/" in scope, scope
        if guid in PRIVILEGED_ROLE_GUIDS:
            assert not re.fullmatch(r"/subscriptions/[^/]+/?", scope)


def test_persona_grants_follow_the_matrix_at_resource_scope():
    plan = preview_stack("prod")
    groups = {g.name.removeprefix("access-"): g.outputs["objectId"] for g in plan.of_type(GROUP)}
    granted = {(a.inputs["principalId"], a.inputs["roleDefinitionId"].rsplit("/", 1)[1]) for a in plan.of_type(ASSIGNMENT)}
    for persona, grants in PERSONA_ROLES.items():
        for grant in grants:
            if grant.scope.value == "mlRegistry":
                continue  # the shared registry comes with its own stack
            assert (groups[persona.slug], grant.role.definition_guid) in granted, (persona, grant.role)


def test_ci_identity_uses_oidc_and_no_secret_exists():
    plan = preview_stack("prod")
    (credential,) = plan.of_type("azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential")
    assert credential.inputs["issuer"] == "https://token.actions.githubusercontent.com"
    assert credential.inputs["audiences"] == ["api://AzureADTokenExchange"]
    assert credential.inputs["subject"] == "repo:example-org/ml-platform:environment:prod"
    app = only(plan, "azuread:index/application:Application")
    assert credential.inputs["applicationId"] == app.id
    assert "password" not in app.inputs
    secret_types = ("Password", "Certificate", "Secret")
    assert not [r.type for r in plan.resources if r.type.startswith("azuread:") and r.type.endswith(secret_types)]


def test_ci_identity_holds_no_subscription_wide_role_and_delegates_only_platform_roles():
    plan = preview_stack("prod")
    sp = only(plan, "azuread:index/servicePrincipal:ServicePrincipal")
    ci_grants = [a for a in plan.of_type(ASSIGNMENT) if a.inputs["principalId"] == sp.outputs["objectId"]]
    roles = sorted(a.inputs["roleDefinitionId"].rsplit("/", 1)[-1] for a in ci_grants)
    assert roles == sorted([
        "b24988ac-6180-42a0-ab88-20f7382dd24c",  # Contributor, resource group
        "f58310d9-a9f6-439a-9e8d-f62e7b41a168",  # Role Based Access Control Administrator, conditioned
        "f6c7c914-8db3-469d-8ca1-694a8f32e121",  # AzureML Data Scientist, workspace
        "1823dd4f-9b8c-4ab6-ab4e-7397a3684615",  # AzureML Registry User, the shared registry: models CI trained
    ])
    assert all("/subscriptions/" in a.inputs["scope"] and "/resourceGroups/" in a.inputs["scope"] for a in ci_grants)
    registry_grant = next(a for a in ci_grants if a.inputs["roleDefinitionId"].endswith("1823dd4f-9b8c-4ab6-ab4e-7397a3684615"))
    assert "/providers/Microsoft.MachineLearningServices/registries/" in registry_grant.inputs["scope"]
    rbac_admin = [a for a in ci_grants if a.inputs["roleDefinitionId"].endswith("f58310d9-a9f6-439a-9e8d-f62e7b41a168")]
    (admin,) = rbac_admin
    assert admin.inputs["conditionVersion"] == "2.0"
    assert "8e3af657-a8ff-443c-a75c-2fe8c4bcb635" not in admin.inputs["condition"]  # never Owner
    assert "ba92f5b4-2d11-453d-a403-e96b0029c9fe" in admin.inputs["condition"]
    for source in ("Request", "Resource"):  # never to an individual user, neither granted nor removed
        assert (f"@{source}[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase "
                "{'Group', 'ServicePrincipal'}") in admin.inputs["condition"]


def test_the_shared_stack_has_a_ci_identity_confined_to_the_registry_group():
    """CI deploys the registry too, so the shared stack federates its own GitHub environment and grants no more."""
    plan = preview_stack("shared")
    (credential,) = plan.of_type("azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential")
    assert credential.inputs["subject"] == "repo:example-org/ml-platform:environment:shared"
    sp = only(plan, "azuread:index/servicePrincipal:ServicePrincipal")
    grants = [a for a in plan.of_type(ASSIGNMENT) if a.inputs["principalId"] == sp.outputs["objectId"]]
    group = only(plan, "azure-native:resources:ResourceGroup").outputs["id"]
    assert len(grants) == 3 and all(a.inputs["scope"].startswith(group) for a in grants)
    assert isinstance(plan.outputs["ciClientId"], str)


def test_staging_pull_requests_get_a_separate_read_only_identity():
    plan = preview_stack("staging")
    credentials = plan.of_type("azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential")
    subjects = {c.inputs["subject"] for c in credentials}
    assert subjects == {"repo:example-org/ml-platform:environment:staging", "repo:example-org/ml-platform:pull_request"}
    apps = {a.id: a for a in plan.of_type("azuread:index/application:Application")}
    preview_app = next(c.inputs["applicationId"] for c in credentials if c.inputs["subject"].endswith(":pull_request"))
    deploy_app = next(c.inputs["applicationId"] for c in credentials if c.inputs["subject"].endswith(":staging"))
    assert preview_app != deploy_app and set(apps) == {preview_app, deploy_app}


@pytest.mark.parametrize(
    ("group_id", "zones"),
    [
        ("amlworkspace", {"privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"}),
        ("vault", {"privatelink.vaultcore.azure.net"}),
        ("blob", {"privatelink.blob.core.windows.net"}),
        ("registry", {"privatelink.azurecr.io"}),
    ],
)
def test_private_endpoints_with_dns_zones_and_vnet_links(group_id, zones):
    plan = preview_stack("prod")
    targets = {
        "amlworkspace": "azure-native:machinelearningservices:Workspace",
        "vault": "azure-native:keyvault:Vault",
        "blob": "azure-native:storage:StorageAccount",
        "registry": "azure-native:containerregistry:Registry",
    }
    (endpoint,) = [p for p in plan.of_type(PE) if group_id in p.inputs["privateLinkServiceConnections"][0]["groupIds"]]
    assert endpoint.inputs["privateLinkServiceConnections"][0]["privateLinkServiceId"] == only(plan, targets[group_id]).id
    zone_ids = {z.physical_name: z.id for z in plan.of_type("azure-native:privatedns:PrivateZone")}
    (zone_group,) = [g for g in plan.of_type("azure-native:network:PrivateDnsZoneGroup") if g.inputs["privateEndpointName"] == endpoint.physical_name]
    assert {c["privateDnsZoneId"] for c in zone_group.inputs["privateDnsZoneConfigs"]} == {zone_ids[z] for z in zones}
    vnet = only(plan, "azure-native:network:VirtualNetwork")
    linked = {link.inputs["privateZoneName"] for link in plan.of_type("azure-native:privatedns:VirtualNetworkLink") if link.inputs["virtualNetwork"]["id"] == vnet.id}
    assert zones <= linked


def test_private_endpoint_subnet_is_private_with_an_nsg():
    subnet = only(preview_stack("prod"), "azure-native:network:Subnet").inputs
    assert subnet["defaultOutboundAccess"] is False
    assert subnet["networkSecurityGroup"]["id"] == only(preview_stack("prod"), "azure-native:network:NetworkSecurityGroup").id


def test_prod_protects_data_and_locks_the_resource_group():
    plan = preview_stack("prod")
    lock = only(plan, "azure-native:authorization:ManagementLockAtResourceGroupLevel")
    assert lock.inputs["level"] == "CanNotDelete"
    for type_token in ("azure-native:storage:StorageAccount", "azure-native:keyvault:Vault",
                       "azure-native:containerregistry:Registry", "azure-native:machinelearningservices:Workspace"):
        assert only(plan, type_token).protect, type_token


def test_readme_documents_the_persona_role_matrix():
    readme = (REPO / "README.md").read_text()
    for persona, grants in PERSONA_ROLES.items():
        for grant in grants:
            assert f"| {persona.value} | {grant.role.value} | {grant.scope.value} |" in readme, (persona, grant.role)
