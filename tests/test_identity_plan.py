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


CREDENTIAL = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
REPOSITORY = "repo:example-org/ml-platform"


def ci_identities(plan) -> dict[str, tuple[set[str], list]]:
    """Each CI identity of a plan by its subjects' kind: (subjects, its role assignments)."""
    apps = {a.id: a for a in plan.of_type("azuread:index/application:Application")}
    principals = {sp.inputs["clientId"]: sp.outputs["objectId"] for sp in plan.of_type(SERVICE_PRINCIPAL)}
    found: dict[str, tuple[set[str], list]] = {}
    for app_id, app in apps.items():
        subjects = {c.inputs["subject"] for c in plan.of_type(CREDENTIAL) if c.inputs["applicationId"] == app_id}
        principal = principals[app.outputs["clientId"]]
        grants = [a for a in plan.of_type(ASSIGNMENT) if a.inputs["principalId"] == principal]
        kind = app.name.removesuffix("-app")
        found[kind] = (subjects, grants)
    return found


def roles_of(grants) -> list[str]:
    return sorted(a.inputs["roleDefinitionId"].rsplit("/", 1)[-1] for a in grants)


def test_ci_identities_use_oidc_and_no_secret_exists():
    plan = preview_stack("prod")
    for credential in plan.of_type(CREDENTIAL):
        assert credential.inputs["issuer"] == "https://token.actions.githubusercontent.com"
        assert credential.inputs["audiences"] == ["api://AzureADTokenExchange"]
    assert {kind: subjects for kind, (subjects, _) in ci_identities(plan).items()} == {
        "ci": {f"{REPOSITORY}:environment:prod"},
        # prod previews wait for a reviewer of their own GitHub environment: no pull request reaches prod
        "ci-preview": {f"{REPOSITORY}:environment:prod-preview"},
    }
    for app in plan.of_type("azuread:index/application:Application"):
        assert "password" not in app.inputs
    secret_types = ("Password", "Certificate", "Secret")
    assert not [r.type for r in plan.resources if r.type.startswith("azuread:") and r.type.endswith(secret_types)]


def test_ci_deploy_identity_holds_no_subscription_wide_role_and_delegates_only_platform_roles():
    plan = preview_stack("prod")
    _, ci_grants = ci_identities(plan)["ci"]
    assert roles_of(ci_grants) == sorted([
        "b24988ac-6180-42a0-ab88-20f7382dd24c",  # Contributor, resource group
        "f58310d9-a9f6-439a-9e8d-f62e7b41a168",  # Role Based Access Control Administrator, conditioned
    ])
    group = only(plan, "azure-native:resources:ResourceGroup").outputs["id"]
    assert all(a.inputs["scope"] == group for a in ci_grants)
    (admin,) = [a for a in ci_grants if a.inputs["roleDefinitionId"].endswith("f58310d9-a9f6-439a-9e8d-f62e7b41a168")]
    assert admin.inputs["conditionVersion"] == "2.0"
    assert "8e3af657-a8ff-443c-a75c-2fe8c4bcb635" not in admin.inputs["condition"]  # never Owner
    assert "ba92f5b4-2d11-453d-a403-e96b0029c9fe" in admin.inputs["condition"]
    for source in ("Request", "Resource"):  # never to an individual user, neither granted nor removed
        assert (f"@{source}[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase "
                "{'Group', 'ServicePrincipal'}") in admin.inputs["condition"]


def test_the_preview_identity_only_reads():
    for stack in ("dev", "staging", "prod", "shared"):
        plan = preview_stack(stack)
        _, grants = ci_identities(plan)["ci-preview"]
        assert roles_of(grants) == ["acdd72a7-3385-48ef-bd42-f606fba81ae7"], stack  # Reader
        assert grants[0].inputs["scope"] == only(plan, "azure-native:resources:ResourceGroup").outputs["id"]


def test_the_shared_stack_has_ci_identities_confined_to_the_registry_group():
    """CI deploys the registry too, so the shared stack federates its own GitHub environment and grants no more."""
    plan = preview_stack("shared")
    identities = ci_identities(plan)
    assert identities["ci"][0] == {f"{REPOSITORY}:environment:shared"}
    assert identities["ci-preview"][0] == {f"{REPOSITORY}:pull_request"}
    group = only(plan, "azure-native:resources:ResourceGroup").outputs["id"]
    assert len(identities["ci"][1]) == 2 and all(a.inputs["scope"].startswith(group) for _, grants in identities.values() for a in grants)
    assert isinstance(plan.outputs["ciClientId"], str) and set(plan.outputs["ciPrincipalIds"]) == {"deploy", "preview"}


def test_staging_gets_separate_preview_and_models_identities_each_with_its_own_subject():
    plan = preview_stack("staging")
    identities = ci_identities(plan)
    assert {kind: subjects for kind, (subjects, _) in identities.items()} == {
        "ci": {f"{REPOSITORY}:environment:staging"},
        "ci-preview": {f"{REPOSITORY}:pull_request"},
        "ci-models": {f"{REPOSITORY}:environment:staging-models"},
    }
    _, models = identities["ci-models"]
    assert roles_of(models) == sorted([
        "f6c7c914-8db3-469d-8ca1-694a8f32e121",  # AzureML Data Scientist: submit the pipeline, deploy a candidate
        "1823dd4f-9b8c-4ab6-ab4e-7397a3684615",  # AzureML Registry User: share the version it registered
    ])
    registry = next(a for a in models if a.inputs["roleDefinitionId"].endswith("1823dd4f-9b8c-4ab6-ab4e-7397a3684615"))
    assert "/providers/Microsoft.MachineLearningServices/registries/" in registry.inputs["scope"]
    assert set(plan.outputs["ciPrincipalIds"]) == {"deploy", "preview", "models"}
    models_app = next(a for a in plan.of_type("azuread:index/application:Application") if a.name == "ci-models-app")
    assert plan.outputs["ciModelsClientId"] == models_app.outputs["clientId"]


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


def test_readme_documents_every_ci_identity_grant():
    from components.roles import CI_DEPLOY_GRANTS, CI_MODELS_GRANTS, CI_PREVIEW_GRANTS

    readme = (REPO / "README.md").read_text()
    rows = [line for line in readme.splitlines() if line.startswith("| CI ")]
    expected = [
        f"| CI {who} (OIDC) | {grant.role.value} | {grant.scope.value} | {grant.why} |"
        for who, grants in (("deploy", CI_DEPLOY_GRANTS), ("preview", CI_PREVIEW_GRANTS), ("models", CI_MODELS_GRANTS))
        for grant in grants
    ]
    assert rows == expected
