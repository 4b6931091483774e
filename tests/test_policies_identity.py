"""Identity policies: Conditional Access, role assignments, application credentials, MFA coverage of role groups.

Each policy gets a compliant and a violating case with the exact message; the shipped plans are checked as the
engine would see them (resource policies on inputs, stack policies on outputs linked by dependencies).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.conftest import preview_stack
from tests import policy_harness as harness
from tests.policy_harness import StackResource, run_resource_policy, run_stack_policy

from components.roles import PLATFORM_ASSIGNED_ROLES, delegation_condition
from mlplatform_policies import identity  # noqa: E402 - the harness puts policies/ on sys.path
from mlplatform_policies.base import CATALOG  # noqa: E402

CA = identity.CONDITIONAL_ACCESS_POLICY
GROUP = identity.GROUP
RA = identity.ROLE_ASSIGNMENT
APP_ID = identity.AZURE_MANAGEMENT_APP_ID
AML_APP_ID = "0736f41a-0425-4b46-bdb5-1563eff02385"
G1 = "3f77bf19-a0b9-5f70-8ba1-0f65ea9fb12b"
G2 = "de049b9a-5f8f-568e-942e-6fc28128e01f"
SUB = "/subscriptions/00000000-0000-4000-8000-000000000001"
RG_SCOPE = f"{SUB}/resourceGroups/rg-mlp-prod-weu-5skr8"
WAIVER = {"waivers": [{"resource": "subject", "reason": "break-glass tenant-wide policy, reviewed quarterly"}]}


def role(guid: str) -> str:
    return f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
UAA = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


def ca_policy(**changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "displayName": "cap-mlp-mfa-prod-weu-ty0yr",
        "state": "enabled",
        "conditions": {
            "applications": {"includedApplications": [APP_ID]},
            "clientAppTypes": ["all"],
            "users": {"includedGroups": [G1, G2]},
        },
        "grantControls": {"builtInControls": ["mfa"], "operator": "OR"},
    }
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        target = props
        for part in parents:
            target = target.setdefault(part, {})
        if value is None:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return props


def assignment(principal_type: str | None = "Group", role_guid: str = READER, scope: str = RG_SCOPE) -> dict[str, Any]:
    props = {"principalId": G1, "roleDefinitionId": role(role_guid), "scope": scope}
    if principal_type is not None:
        props["principalType"] = principal_type
    return props


# --- azuread-conditional-access-policy-enabled ---


def test_ca_enabled_passes_an_enabled_policy():
    assert run_resource_policy(identity.ca_enabled, CA, ca_policy()) == []


def test_ca_enabled_flags_report_only():
    assert run_resource_policy(identity.ca_enabled, CA, ca_policy(state="enabledForReportingButNotEnforced")) == [
        "Conditional Access policy state is 'enabledForReportingButNotEnforced'; expected 'enabled' "
        "(a report-only or disabled policy does not enforce MFA)"
    ]


def test_ca_enabled_flags_a_missing_state():
    assert run_resource_policy(identity.ca_enabled, CA, ca_policy(state=None)) == [
        "Conditional Access policy state is not set; expected 'enabled' (a report-only or disabled policy does not "
        "enforce MFA)"
    ]


def test_ca_enabled_is_relaxed_in_dev_only():
    assert CATALOG["azuread-conditional-access-policy-enabled"].relaxed_in == ("dev",)


def test_ca_enabled_ignores_other_types():
    assert run_resource_policy(identity.ca_enabled, GROUP, {"state": "disabled"}) == []


# --- azuread-conditional-access-policy-azure-management-target ---


@pytest.mark.parametrize("apps", [[APP_ID], ["All"], [APP_ID.upper()], ["Office365", APP_ID]])
def test_ca_target_passes_the_management_api_or_all(apps):
    props = ca_policy(conditions__applications__includedApplications=apps)
    assert run_resource_policy(identity.ca_azure_management, CA, props) == []


def test_ca_target_flags_the_azure_machine_learning_app_alone():
    props = ca_policy(conditions__applications__includedApplications=[AML_APP_ID])
    assert run_resource_policy(identity.ca_azure_management, CA, props) == [
        f"Conditional Access policy targets ['{AML_APP_ID}'] only; expected conditions.applications.includedApplications "
        f"to contain the Windows Azure Service Management API ({APP_ID}) or 'All' (Azure ML studio, the CLI and the "
        "SDKs all call it)"
    ]


def test_ca_target_flags_an_excluded_management_api():
    props = ca_policy(
        conditions__applications__includedApplications=["All"],
        conditions__applications__excludedApplications=[APP_ID],
    )
    assert run_resource_policy(identity.ca_azure_management, CA, props) == [
        f"Conditional Access policy excludes the Windows Azure Service Management API ({APP_ID}) in "
        "conditions.applications.excludedApplications; expected it not to be excluded (Azure ML studio, the CLI and "
        "the SDKs all call it)"
    ]


# --- azuread-conditional-access-policy-require-mfa ---


@pytest.mark.parametrize(
    "grant",
    [
        {"builtInControls": ["mfa"], "operator": "OR"},
        {"builtInControls": ["MFA"], "operator": "OR"},
        {"authenticationStrengthPolicyId": f"/policies/authenticationStrengthPolicies/{'0' * 8}-0000-0000-0000-000000000004",
         "operator": "OR"},
        {"builtInControls": ["mfa", "compliantDevice"], "operator": "AND"},
        {"builtInControls": ["block"], "operator": "OR"},
    ],
)
def test_ca_mfa_passes_mfa_strength_and_block(grant):
    assert run_resource_policy(identity.ca_requires_mfa, CA, ca_policy(grantControls=grant)) == []


def test_ca_mfa_flags_a_policy_without_mfa():
    props = ca_policy(grantControls={"builtInControls": ["compliantDevice"], "operator": "OR"})
    assert run_resource_policy(identity.ca_requires_mfa, CA, props) == [
        "Conditional Access policy grants access without MFA (builtInControls: ['compliantDevice'], no "
        "authenticationStrengthPolicyId); expected grantControls.builtInControls to contain 'mfa' or an "
        "authenticationStrengthPolicyId"
    ]


def test_ca_mfa_flags_an_alternative_to_mfa_under_or():
    props = ca_policy(grantControls={"builtInControls": ["mfa", "compliantDevice"], "operator": "OR"})
    assert run_resource_policy(identity.ca_requires_mfa, CA, props) == [
        "Conditional Access policy lets users satisfy it with ['compliantdevice'] instead of MFA (operator OR); "
        "expected MFA to be required: operator 'AND', or 'mfa' / an authentication strength as the only controls"
    ]


def test_ca_mfa_waiver_is_reported_as_not_applicable():
    props = ca_policy(grantControls={"builtInControls": ["compliantDevice"], "operator": "OR"})
    assert run_resource_policy(identity.ca_requires_mfa, CA, props, config=WAIVER) == [
        "not applicable: waived: break-glass tenant-wide policy, reviewed quarterly"
    ]


# --- azure-native-authorization-role-assignment-group-or-workload ---


@pytest.mark.parametrize("principal_type", ["Group", "ServicePrincipal", "group"])
def test_principal_type_passes_groups_and_workloads(principal_type):
    assert run_resource_policy(identity.role_assignment_principal, RA, assignment(principal_type)) == []


def test_principal_type_flags_users():
    assert run_resource_policy(identity.role_assignment_principal, RA, assignment("User")) == [
        "role assignment grants a role to principal type 'User'; expected 'Group' (people, through group membership) "
        "or 'ServicePrincipal' (workloads)"
    ]


def test_principal_type_flags_an_unset_type():
    assert run_resource_policy(identity.role_assignment_principal, RA, assignment(None)) == [
        "role assignment does not set principalType; expected 'Group' (people) or 'ServicePrincipal' (workloads), so "
        "a grant to an individual user cannot pass unnoticed"
    ]


def test_principal_type_waiver():
    assert run_resource_policy(identity.role_assignment_principal, RA, assignment("User"), config=WAIVER) == [
        "not applicable: waived: break-glass tenant-wide policy, reviewed quarterly"
    ]


# --- azure-native-authorization-role-assignment-no-privileged-subscription-scope ---


@pytest.mark.parametrize(
    ("role_guid", "scope"),
    [
        (CONTRIBUTOR, RG_SCOPE),  # the CI identity's grant
        (OWNER, f"{RG_SCOPE}/providers/Microsoft.KeyVault/vaults/kv-mlp-prod-weu-vcolv"),
        (READER, SUB),  # not a privileged role
    ],
)
def test_privileged_scope_passes_narrow_scopes_and_other_roles(role_guid, scope):
    props = assignment("ServicePrincipal", role_guid, scope)
    assert run_resource_policy(identity.role_assignment_privileged_scope, RA, props) == []


@pytest.mark.parametrize(
    ("role_guid", "role_name", "scope", "kind"),
    [
        (OWNER, "Owner", SUB, "subscription"),
        (CONTRIBUTOR, "Contributor", SUB + "/", "subscription"),
        (UAA, "User Access Administrator", "/providers/Microsoft.Management/managementGroups/platform", "management group"),
        (OWNER, "Owner", "/", "tenant root"),
    ],
)
def test_privileged_scope_flags_subscription_and_wider(role_guid, role_name, scope, kind):
    props = assignment("Group", role_guid, scope)
    assert run_resource_policy(identity.role_assignment_privileged_scope, RA, props) == [
        f"role assignment grants {role_name} ({role_guid}) at {kind} scope {scope!r}; expected Owner, Contributor and "
        "User Access Administrator only on a resource group or a resource, or a narrower role"
    ]


def test_privileged_scope_reads_the_guid_of_a_tenant_level_role_definition_id():
    props = assignment("Group", OWNER, SUB) | {
        "roleDefinitionId": f"/providers/Microsoft.Authorization/roleDefinitions/{OWNER.upper()}"
    }
    assert len(run_resource_policy(identity.role_assignment_privileged_scope, RA, props)) == 1


# --- azure-native-authorization-role-assignment-constrained-delegation ---

RBAC_ADMIN = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
ROLES_ONLY_CONDITION = (  # the CI deploy identity's condition before principal types were constrained
    "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
    f"(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{READER}}})) AND "
    "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR "
    f"(@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{READER}}}))"
)
EXPECTED_DELEGATION = (
    "expected a condition (conditionVersion '2.0') that, for both Microsoft.Authorization/roleAssignments/write and "
    "/delete, limits the role definitions (RoleDefinitionId ForAnyOfAnyValues:GuidEquals) and the principal types "
    "(PrincipalType ForAnyOfAnyValues:StringEqualsIgnoreCase, within Group and ServicePrincipal)"
)


def delegation(role_guid: str = RBAC_ADMIN, condition: str | None = None, version: str | None = "2.0") -> dict[str, Any]:
    props = assignment("ServicePrincipal", role_guid)
    if condition is not None:
        props |= {"condition": condition}
    if version is not None and condition is not None:
        props |= {"conditionVersion": version}
    return props


def test_the_platform_delegation_condition_constrains_roles_and_principal_types():
    condition = delegation_condition(PLATFORM_ASSIGNED_ROLES)
    for source in ("Request", "Resource"):
        assert (f"@{source}[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase "
                "{'Group', 'ServicePrincipal'}") in condition
        assert f"@{source}[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{" in condition
    assert OWNER not in condition and RBAC_ADMIN not in condition
    for role_guid in (RBAC_ADMIN, UAA):
        assert run_resource_policy(identity.role_assignment_constrained_delegation, RA, delegation(role_guid, condition)) == []


def test_delegation_policy_ignores_roles_that_cannot_assign_roles():
    assert run_resource_policy(identity.role_assignment_constrained_delegation, RA, delegation(OWNER)) == []
    assert run_resource_policy(identity.role_assignment_constrained_delegation, RA, delegation(READER)) == []


@pytest.mark.parametrize(
    ("props", "message"),
    [
        pytest.param(
            delegation(),
            f"role assignment grants Role Based Access Control Administrator ({RBAC_ADMIN}) without a condition, so its "
            f"holder may grant any role to anyone at its scope; {EXPECTED_DELEGATION}",
            id="no-condition",
        ),
        pytest.param(
            delegation(UAA, ROLES_ONLY_CONDITION),
            f"role assignment grants User Access Administrator ({UAA}) with a condition that does not constrain the "
            "principal types it may assign to (@Request[...:PrincipalType]); does not constrain the principal types it "
            f"may remove from (@Resource[...:PrincipalType]); {EXPECTED_DELEGATION}",
            id="roles-only",
        ),
        pytest.param(
            delegation(RBAC_ADMIN, delegation_condition(PLATFORM_ASSIGNED_ROLES, ("User", "Group"))),
            f"role assignment grants Role Based Access Control Administrator ({RBAC_ADMIN}) with a condition that admits "
            f"principal types ['User'] for writes; admits principal types ['User'] for deletes; {EXPECTED_DELEGATION}",
            id="users-allowed",
        ),
        pytest.param(
            delegation(RBAC_ADMIN, delegation_condition(PLATFORM_ASSIGNED_ROLES), version=None),
            f"role assignment grants Role Based Access Control Administrator ({RBAC_ADMIN}) with a condition that has "
            f"conditionVersion not set; {EXPECTED_DELEGATION}",
            id="no-version",
        ),
    ],
)
def test_delegation_without_role_and_principal_type_constraints_is_flagged(props, message):
    assert run_resource_policy(identity.role_assignment_constrained_delegation, RA, props) == [message]


def test_delegation_with_a_condition_unknown_during_preview_is_flagged():
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

    # The engine hands a top-level unknown input as a proxy that raises on access: the check itself reads it.
    props = unknown_checking_proxy(delegation(RBAC_ADMIN, UNKNOWN_STRING_VALUE))
    assert identity.delegation_problem(props) == (
        f"role assignment grants Role Based Access Control Administrator ({RBAC_ADMIN}) with a condition not known "
        f"until deployment, so it cannot be checked; {EXPECTED_DELEGATION}"
    )


def test_the_prod_ci_delegation_is_what_the_policy_checks():
    """Guard against a vacuous pass: the prod plan's conditioned grant passes, the same grant without it fails."""
    plan = preview_stack("prod")
    (admin,) = [r for r in plan.resources if r.type == RA and r.inputs["roleDefinitionId"].endswith(RBAC_ADMIN)]
    policy = identity.role_assignment_constrained_delegation
    assert run_resource_policy(policy, RA, admin.inputs) == []
    bare = {k: v for k, v in admin.inputs.items() if k not in ("condition", "conditionVersion")}
    assert len(run_resource_policy(policy, RA, bare)) == 1


# --- azuread-application-credential-forbidden / azuread-application-no-inline-password ---


@pytest.mark.parametrize(
    ("resource_type", "props", "owner"),
    [
        (identity.CREDENTIAL_TYPES[0], {"applicationId": "/applications/x", "displayName": "ci"}, "application"),
        (identity.CREDENTIAL_TYPES[1], {"servicePrincipalId": "/servicePrincipals/x"}, "service principal"),
        (identity.CREDENTIAL_TYPES[2], {"applicationId": "/applications/x", "type": "AsymmetricX509Cert"}, "application"),
        (identity.CREDENTIAL_TYPES[3], {"servicePrincipalId": "/servicePrincipals/x"}, "service principal"),
    ],
)
def test_credential_resources_are_forbidden(resource_type, props, owner):
    assert run_resource_policy(identity.credential_resources, resource_type, props) == [
        f"a password or certificate credential is attached to an Entra ID {owner}; expected no stored credential: "
        "workloads sign in with federated identity credentials (OpenID Connect) or managed identities"
    ]


def test_credential_policy_passes_federated_credentials():
    federated = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
    assert run_resource_policy(identity.credential_resources, federated, {"subject": "repo:o/r:environment:prod"}) == []


def test_application_without_password_passes():
    assert run_resource_policy(identity.application_inline_password, identity.APPLICATION, {"displayName": "appreg-ci"}) == []


def test_application_with_inline_password_is_flagged():
    props = {"displayName": "appreg-ci", "password": {"displayName": "ci-secret"}}
    assert run_resource_policy(identity.application_inline_password, identity.APPLICATION, props) == [
        "application defines an inline password credential (password); expected no password: sign in with federated "
        "identity credentials (OpenID Connect) instead"
    ]


# --- azuread-conditional-access-policy-covers-role-groups ---


def group(name: str, object_id: str | None) -> StackResource:
    props: dict[str, Any] = {"displayName": f"grp-mlp-{name}-prod-weu-00000"}
    if object_id is not None:
        props |= {"objectId": object_id, "id": object_id}
    return StackResource(GROUP, name, props)


def grant(name: str, group_name: str | None, principal_id: Any, principal_type: str | None = "Group") -> StackResource:
    """A Reader assignment to ``principal_id``, linked to the resource ``group_name`` (any principal) when given."""
    props = {"principalId": principal_id, "principalType": principal_type, "roleDefinitionId": role(READER), "scope": RG_SCOPE}
    if principal_type is None:
        del props["principalType"]
    links = {"principalId": [group_name]} if group_name else {}
    return StackResource(RA, name, props, depends_on=[group_name] if group_name else [], property_dependencies=links)


def mfa(props: dict[str, Any], *linked_groups: str) -> StackResource:
    links = {"conditions": list(linked_groups)}
    return StackResource(CA, "mfa", props, depends_on=list(linked_groups), property_dependencies=links)


def uncovered(resources: list[StackResource], config: dict[str, Any] | None = None) -> list[tuple[str | None, str]]:
    return run_stack_policy(identity.principals_covered_by_mfa, resources, config=config)


def uncovered_message(label: str, assignments: str) -> str:
    return (
        f"Entra group {label} holds role assignments ({assignments}) but no enabled Conditional Access policy "
        "requiring MFA for the Windows Azure Service Management API includes it; expected the group in "
        "conditions.users.includedGroups of such a policy"
    )


def test_coverage_passes_groups_included_by_object_id():
    resources = [group("ds", G1), group("mle", G2), grant("ra-ds", "ds", G1), grant("ra-mle", "mle", G2), mfa(ca_policy())]
    assert uncovered(resources) == []


def test_coverage_passes_groups_linked_by_dependency_when_ids_are_unknown():
    from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_STRING_VALUE, unknown_checking_proxy

    ds = StackResource(GROUP, "ds", unknown_checking_proxy({"displayName": "grp-ds", "objectId": UNKNOWN_STRING_VALUE}))
    ra = StackResource(RA, "ra-ds", unknown_checking_proxy({"principalId": UNKNOWN_STRING_VALUE, "principalType": "Group"}),
                       property_dependencies={"principalId": ["ds"]})
    props = ca_policy()
    props["conditions"]["users"]["includedGroups"] = UNKNOWN_ARRAY_VALUE
    assert uncovered([ds, ra, mfa(unknown_checking_proxy(props), "ds")]) == []
    assert uncovered([ds, ra, mfa(unknown_checking_proxy(props))]) == [
        ("urn:pulumi:test::mlplatform::azuread:index/group:Group::ds", uncovered_message("grp-ds", "ra-ds"))
    ]


def test_coverage_flags_a_group_left_out_of_the_policy():
    resources = [group("ds", G1), group("ops", "cc6679b5-8891-5a65-923e-072adc61383f"),
                 grant("ra-ops-reader", "ops", "cc6679b5-8891-5a65-923e-072adc61383f"),
                 grant("ra-ops-monitor", "ops", "cc6679b5-8891-5a65-923e-072adc61383f"), mfa(ca_policy(), "ds")]
    assert uncovered(resources) == [
        ("urn:pulumi:test::mlplatform::azuread:index/group:Group::ops",
         uncovered_message("grp-mlp-ops-prod-weu-00000", "ra-ops-monitor, ra-ops-reader"))
    ]


def test_coverage_flags_an_excluded_group_even_when_linked():
    props = ca_policy(conditions__users__excludedGroups=[G1])
    resources = [group("ds", G1), grant("ra-ds", "ds", G1), mfa(props, "ds")]
    assert uncovered(resources) == [
        ("urn:pulumi:test::mlplatform::azuread:index/group:Group::ds", uncovered_message("grp-mlp-ds-prod-weu-00000", "ra-ds"))
    ]


@pytest.mark.parametrize(
    "props",
    [
        ca_policy(state="enabledForReportingButNotEnforced"),
        ca_policy(conditions__applications__includedApplications=[AML_APP_ID]),
        ca_policy(grantControls={"builtInControls": ["compliantDevice"], "operator": "OR"}),
    ],
    ids=["report-only", "wrong-app", "no-mfa"],
)
def test_coverage_needs_an_enforced_mfa_policy_for_azure_management(props):
    resources = [group("ds", G1), grant("ra-ds", "ds", G1), mfa(props, "ds")]
    assert [urn for urn, _ in uncovered(resources)] == ["urn:pulumi:test::mlplatform::azuread:index/group:Group::ds"]


def test_coverage_checks_groups_referenced_by_object_id_only():
    external = "11111111-2222-4333-8444-555555555555"
    resources = [grant("ra-existing", None, external), mfa(ca_policy())]
    assert uncovered(resources) == [
        ("urn:pulumi:test::mlplatform::azure-native:authorization:RoleAssignment::ra-existing",
         uncovered_message(f"{external} (not created by this stack)", "ra-existing"))
    ]
    included = ca_policy(conditions__users__includedGroups=[G1, external])
    assert uncovered([grant("ra-existing", None, external), mfa(included)]) == []


def test_coverage_accepts_a_policy_for_all_users_and_ignores_workloads():
    all_users = ca_policy(conditions__users__includedGroups=None, conditions__users__includedUsers=["All"])
    resources = [group("ds", G1), grant("ra-ds", "ds", G1), grant("ra-ci", None, G2, "ServicePrincipal"), mfa(all_users)]
    assert uncovered(resources) == []


def test_coverage_waiver_by_group_name():
    resources = [group("ds", G1), grant("ra-ds", "ds", G1)]
    config = {"waivers": [{"resource": "ds", "reason": "members are break-glass accounts with FIDO2 keys"}]}
    assert uncovered(resources, config) == []
    assert len(uncovered(resources)) == 1


# Users, undeclared principal types and the stack's own workload identities.

U1 = "44444444-5555-4666-8777-888888888888"
U2 = "55555555-6666-4777-8888-999999999999"
EXTERNAL = "66666666-7777-4888-9999-aaaaaaaaaaaa"
#: An MFA policy for the persona groups only, as the platform's component creates it.
GROUPS_ONLY = ca_policy()


def user_message(label: str, assignments: str) -> str:
    return (
        f"Entra user {label} holds role assignments ({assignments}) but no enabled Conditional Access policy requiring "
        "MFA for the Windows Azure Service Management API includes it; expected the user's object ID in "
        "conditions.users.includedUsers (and not in excludedUsers) of such a policy, or includedUsers ['All']"
    )


def undeclared_message(label: str, assignments: str) -> str:
    return (
        f"Principal {label} holds role assignments ({assignments}) but no enabled Conditional Access policy requiring "
        "MFA for the Windows Azure Service Management API includes it; expected its object ID in "
        "conditions.users.includedUsers or includedGroups of such a policy, or principalType 'ServicePrincipal' if it "
        "is a workload identity"
    )


def ra_urn(name: str) -> str:
    return f"urn:pulumi:test::mlplatform::{RA}::{name}"


def test_coverage_flags_a_user_holding_a_role_without_an_mfa_policy():
    assert uncovered([grant("ra-user", None, U1, "User")]) == [
        (ra_urn("ra-user"), user_message(f"{U1} (not created by this stack)", "ra-user"))
    ]
    # A policy that covers the groups but not the user changes nothing, and neither does listing the user as a group.
    as_group = ca_policy(conditions__users__includedGroups=[G1, U1])
    assert [urn for urn, _ in uncovered([grant("ra-user", None, U1, "User"), mfa(GROUPS_ONLY), mfa(as_group)])] == [
        ra_urn("ra-user")
    ]


@pytest.mark.parametrize(
    "users",
    [
        {"includedUsers": [U1]},
        {"includedUsers": [U1.upper()], "includedGroups": [G1]},
        {"includedUsers": ["All"], "excludedUsers": [U2]},
        {"includedUsers": ["all"]},
    ],
    ids=["by-object-id", "by-object-id-any-case", "all-users-excluding-another", "all-users"],
)
def test_coverage_passes_a_user_included_by_object_id_or_all_users(users):
    props = ca_policy()
    props["conditions"]["users"] = users
    assert uncovered([grant("ra-user", None, U1, "User"), mfa(props)]) == []


@pytest.mark.parametrize(
    "users",
    [{"includedUsers": ["All"], "excludedUsers": [U1]}, {"includedUsers": [U1], "excludedUsers": [U1]}],
    ids=["all-users", "by-object-id"],
)
def test_coverage_flags_a_user_in_excluded_users(users):
    props = ca_policy()
    props["conditions"]["users"] = users
    assert uncovered([grant("ra-user", None, U1, "User"), mfa(props)]) == [
        (ra_urn("ra-user"), user_message(f"{U1} (not created by this stack)", "ra-user"))
    ]


def test_coverage_flags_a_principal_of_undeclared_type_unless_its_object_id_is_included():
    assert uncovered([grant("ra-unknown", None, EXTERNAL, None), mfa(GROUPS_ONLY)]) == [
        (ra_urn("ra-unknown"), undeclared_message(f"{EXTERNAL} (not created by this stack; principalType not set)", "ra-unknown"))
    ]
    assert uncovered([grant("ra-foreign", None, EXTERNAL, "ForeignGroup")]) == [
        (ra_urn("ra-foreign"), undeclared_message(f"{EXTERNAL} (not created by this stack; principalType 'ForeignGroup')", "ra-foreign"))
    ]
    for included in ({"includedUsers": [EXTERNAL]}, {"includedGroups": [EXTERNAL]}, {"includedUsers": ["All"]}):
        props = ca_policy()
        props["conditions"]["users"] = included
        assert uncovered([grant("ra-unknown", None, EXTERNAL, None), mfa(props)]) == [], included


def identity_resource(resource_type: str, name: str, object_id: str) -> StackResource:
    key = "principalId" if resource_type == identity.USER_ASSIGNED_IDENTITY else "objectId"
    return StackResource(resource_type, name, {key: object_id, "clientId": "77777777-8888-4999-8aaa-bbbbbbbbbbbb"})


@pytest.mark.parametrize("workload_type", [identity.USER_ASSIGNED_IDENTITY, identity.SERVICE_PRINCIPAL])
@pytest.mark.parametrize("linked", [True, False], ids=["by-dependency", "by-object-id"])
def test_coverage_exempts_the_stacks_own_workload_identities(workload_type, linked):
    workload = identity_resource(workload_type, "workload-id", EXTERNAL)
    assignment = grant("ra-workload", "workload-id" if linked else None, EXTERNAL, None)
    assert uncovered([workload, assignment]) == []


@pytest.mark.parametrize("workload_type", [identity.USER_ASSIGNED_IDENTITY, identity.SERVICE_PRINCIPAL])
def test_coverage_does_not_exempt_a_principal_the_stack_does_not_create(workload_type):
    """An undeclared grant to an object ID that none of the stack's workload identities has may be to a person."""
    resources = [identity_resource(workload_type, "other-id", U2), grant("ra-workload", None, EXTERNAL, None)]
    assert [urn for urn, _ in uncovered(resources)] == [ra_urn("ra-workload")]


def test_coverage_exempts_a_declared_service_principal():
    """Azure refuses a ServicePrincipal assignment to a principal of another type (UnmatchedPrincipalType)."""
    assert uncovered([grant("ra-sp", None, EXTERNAL, "ServicePrincipal")]) == []


def test_coverage_flags_a_principal_whose_object_id_is_unknown_unless_all_users_are_covered():
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

    unknown = StackResource(RA, "ra-later", unknown_checking_proxy({"principalId": UNKNOWN_STRING_VALUE, "principalType": "Group"}))
    assert uncovered([unknown, mfa(GROUPS_ONLY)]) == [
        (ra_urn("ra-later"), uncovered_message("whose object ID is not known until deployment", "ra-later"))
    ]
    all_users = ca_policy(conditions__users__includedGroups=None, conditions__users__includedUsers=["All"])
    assert uncovered([unknown, mfa(all_users)]) == []


def test_coverage_links_a_user_the_stack_creates_through_dependencies():
    from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_STRING_VALUE, unknown_checking_proxy

    person = StackResource(identity.USER, "auditor", unknown_checking_proxy(
        {"displayName": "Audit Reader", "userPrincipalName": "auditor@example.com", "objectId": UNKNOWN_STRING_VALUE}))
    ra = StackResource(RA, "ra-auditor", unknown_checking_proxy({"principalId": UNKNOWN_STRING_VALUE, "principalType": "User"}),
                       property_dependencies={"principalId": ["auditor"]})
    props = ca_policy()
    props["conditions"]["users"] = {"includedUsers": UNKNOWN_ARRAY_VALUE}
    policy = unknown_checking_proxy(props)
    assert uncovered([person, ra, mfa(policy, "auditor")]) == []
    assert uncovered([person, ra, mfa(policy)]) == [
        (f"urn:pulumi:test::mlplatform::{identity.USER}::auditor", user_message("Audit Reader", "ra-auditor"))
    ]


# --- The shipped plans ---


def plan_stack_resources(plan: Any) -> list[StackResource]:
    return harness.plan_stack_resources(plan)


def violations(plan: Any, resources: list[StackResource] | None = None) -> dict[str, list[str]]:
    """Each identity policy that reports a violation on ``plan``, with its messages (pack config honoured)."""
    return harness.plan_violations(plan, identity.POLICIES, resources)


@pytest.mark.parametrize("stack", ["prod", "shared"])
def test_shipped_plan_passes_every_identity_policy(stack):
    assert violations(preview_stack(stack)) == {}


def test_dev_plan_violates_only_relaxed_policies():
    relaxed = {name for name, doc in CATALOG.items() if "dev" in doc.relaxed_in}
    assert set(violations(preview_stack("dev"))) <= relaxed


def test_dev_plan_with_report_only_mfa_violates_only_what_dev_relaxes():
    plan = copy.deepcopy(preview_stack("dev"))
    policy = next(r for r in plan.resources if r.type == CA)
    policy.inputs["state"] = policy.outputs["state"] = "enabledForReportingButNotEnforced"
    found = violations(plan)
    assert set(found) == {"azuread-conditional-access-policy-enabled", "azuread-conditional-access-policy-covers-role-groups"}
    assert all("dev" in CATALOG[name].relaxed_in for name in found)
    assert len(found["azuread-conditional-access-policy-covers-role-groups"]) == 4  # one per persona group


def test_prod_plan_links_every_role_group_to_the_mfa_policy():
    plan = preview_stack("prod")
    resources = plan_stack_resources(plan)
    groups = [r for r in resources if r.type == GROUP]
    assert groups and run_stack_policy(identity.principals_covered_by_mfa, resources) == []
    policy = next(r for r in resources if r.type == CA)
    dropped = groups[0]
    policy.props["conditions"]["users"]["includedGroups"].remove(dropped.props["objectId"])
    found = run_stack_policy(identity.principals_covered_by_mfa, resources)
    assert [urn.rsplit("::", 1)[-1] for urn, _ in found] == [dropped.name]
    assert found[0][1].startswith(f"Entra group {dropped.props['displayName']} holds role assignments (people-")


def test_every_identity_policy_is_documented():
    for policy in identity.POLICIES:
        doc = CATALOG[policy.name]
        assert policy.name.startswith(("azuread-", "azure-native-")) and policy.name == policy.name.lower()
        for text in (doc.description, doc.rationale, doc.checks, doc.remediation, doc.url):
            assert text.strip(), f"{policy.name}: empty documentation field"
        assert doc.controls.tags(), f"{policy.name}: no control mapping"
    assert len(identity.POLICIES) >= 7
