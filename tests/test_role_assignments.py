"""RoleAssignments under the ARM mocks: groups and service principals only, deterministic names, narrow scopes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from hypothesis import given
from hypothesis import strategies as st

from blueprint.tools.preview.arm import SUBSCRIPTION_ID
from components.access_groups import AccessGroups
from components.role_assignments import (
    Assignment,
    RoleAssignments,
    assignment_name,
    identity_assignments,
    persona_assignments,
    privileged_at_broad_scope,
)
from components.roles import PERSONA_ROLES, WORKSPACE_IDENTITY_ROLES, BuiltInRole, Persona, Scope
from tests.conftest import only, run_component

ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
COMPONENT = "mlplatform:index:RoleAssignments"
SEED = "mlplatform/dev"
RG = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-fraud-dev"
SCOPES: dict[Scope, str] = {
    Scope.WORKSPACE: f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud-dev",
    Scope.KEY_VAULT: f"{RG}/providers/Microsoft.KeyVault/vaults/kv-fraud-dev",
    Scope.STORAGE: f"{RG}/providers/Microsoft.Storage/storageAccounts/stfrauddev",
    Scope.CONTAINER_REGISTRY: f"{RG}/providers/Microsoft.ContainerRegistry/registries/crfrauddev",
    Scope.ML_REGISTRY: f"{RG}/providers/Microsoft.MachineLearningServices/registries/mlr-fraud",
    Scope.RESOURCE_GROUP: RG,
}
GROUPS: dict[Persona, str] = {
    Persona.DATA_SCIENTISTS: "10000000-0000-4000-8000-000000000001",
    Persona.ML_ENGINEERS: "10000000-0000-4000-8000-000000000002",
    Persona.PLATFORM_OPERATORS: "10000000-0000-4000-8000-000000000003",
    Persona.READERS: "10000000-0000-4000-8000-000000000004",
}
SP = "20000000-0000-4000-8000-000000000001"


def assignment(**overrides: Any) -> Assignment:
    value: dict[str, Any] = {
        "key": "ci/Reader/resourceGroup",
        "principal_id": SP,
        "principal_type": "ServicePrincipal",
        "role": BuiltInRole.READER,
        "scope": RG,
    }
    value.update(overrides)
    return value  # type: ignore[return-value]


def plan_of(assignments: list[Assignment] | Callable[[], list[Assignment]], seed: str = SEED):
    """Plan of one RoleAssignments; pass a function to build assignments holding outputs inside the program."""

    def body() -> None:
        given = assignments() if callable(assignments) else assignments
        grants = RoleAssignments("rbac", {"assignments": given, "seed": seed})
        pulumi.export("assignment_ids", grants.assignment_ids)

    return run_component(body)


def by_key_slug(plan) -> dict[str, Any]:
    return {r.name.removeprefix("rbac-"): r for r in plan.of_type(ROLE_ASSIGNMENT)}


def test_assignment_inputs_and_parenting():
    plan = plan_of([assignment(description="read-only view for the pipeline")])
    grant = only(plan, ROLE_ASSIGNMENT)
    assert grant.inputs["principalId"] == SP
    assert grant.inputs["principalType"] == "ServicePrincipal"
    assert grant.inputs["scope"] == RG
    assert grant.inputs["description"] == "read-only view for the pipeline"
    assert grant.inputs["roleAssignmentName"] == assignment_name(SEED, "ci/Reader/resourceGroup")
    assert "condition" not in grant.inputs and "conditionVersion" not in grant.inputs
    assert grant.parent == only(plan, COMPONENT).urn
    assert plan.outputs["assignment_ids"] == [grant.id]
    assert grant.id == f"{RG}/providers/Microsoft.Authorization/roleAssignments/{grant.inputs['roleAssignmentName']}"


def test_role_definition_ids_carry_the_subscription():
    roles = [BuiltInRole.READER, BuiltInRole.AZUREML_DATA_SCIENTIST, BuiltInRole.ACR_PULL]
    plan = plan_of([assignment(key=f"ci/{r.value}", role=r) for r in roles])
    found = {r.inputs["roleDefinitionId"] for r in plan.of_type(ROLE_ASSIGNMENT)}
    assert found == {
        f"/subscriptions/{SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/{r.definition_guid}"
        for r in roles
    }


def test_group_principal_type_is_recorded():
    plan = plan_of([assignment(principal_type="Group", principal_id=GROUPS[Persona.READERS])])
    assert only(plan, ROLE_ASSIGNMENT).inputs["principalType"] == "Group"


@pytest.mark.parametrize("principal_type", ["User", "user", "group", "ForeignGroup", "Device", ""])
def test_only_groups_and_service_principals_get_roles(principal_type):
    message = rf"principal type {principal_type!r}; roles go only to Group or ServicePrincipal"
    with pytest.raises(ValueError, match=message):
        plan_of([assignment(principal_type=principal_type)])


@pytest.mark.parametrize(
    "scope",
    [
        f"/subscriptions/{SUBSCRIPTION_ID}",
        f"/subscriptions/{SUBSCRIPTION_ID}/",
        f"/SUBSCRIPTIONS/{SUBSCRIPTION_ID}",
        "/providers/Microsoft.Management/managementGroups/contoso",
        "/",
    ],
)
def test_privileged_role_at_subscription_scope_is_refused(scope):
    with pytest.raises(ValueError, match="privileged role Contributor at subscription"):
        plan_of([assignment(role=BuiltInRole.CONTRIBUTOR, scope=scope)])


def test_broad_scope_predicate_used_for_output_scopes():
    # Output scopes are checked with this predicate when they resolve. A failing apply is not exercised under the
    # mocks: the runtime keeps the failed run's pending tasks, which would break the next test's run.
    sub = f"/subscriptions/{SUBSCRIPTION_ID}"
    assert privileged_at_broad_scope(BuiltInRole.CONTRIBUTOR, sub)
    assert privileged_at_broad_scope(BuiltInRole.CONTRIBUTOR, "/")
    assert not privileged_at_broad_scope(BuiltInRole.CONTRIBUTOR, RG)
    assert not privileged_at_broad_scope(BuiltInRole.CONTRIBUTOR, f"{sub}/resourceGroups")
    assert not privileged_at_broad_scope(BuiltInRole.READER, sub)
    assert not privileged_at_broad_scope(BuiltInRole.ROLE_BASED_ACCESS_CONTROL_ADMINISTRATOR, RG)


def test_privileged_role_on_a_resource_group_and_reader_on_the_subscription_are_allowed():
    plan = plan_of(
        lambda: [
            assignment(key="ci/Contributor/resourceGroup", role=BuiltInRole.CONTRIBUTOR),
            assignment(key="ci/Reader/subscription", scope=f"/subscriptions/{SUBSCRIPTION_ID}"),
            assignment(
                key="ci/Contributor/storage",
                role=BuiltInRole.CONTRIBUTOR,
                scope=pulumi.Output.from_input(SCOPES[Scope.STORAGE]),
            ),
        ]
    )
    assert len(plan.of_type(ROLE_ASSIGNMENT)) == 3


def test_scope_must_be_a_resource_id():
    with pytest.raises(ValueError, match="not a resource ID"):
        plan_of([assignment(scope="rg-fraud-dev")])


def test_condition_sets_version_two():
    condition = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'data'"
    grant = only(plan_of([assignment(role=BuiltInRole.STORAGE_BLOB_DATA_READER, condition=condition)]), ROLE_ASSIGNMENT)
    assert grant.inputs["condition"] == condition
    assert grant.inputs["conditionVersion"] == "2.0"


def test_names_are_stable_across_runs_and_differ_per_key_and_seed():
    keys = ["a/Reader/workspace", "b/Reader/workspace"]
    first = plan_of([assignment(key=k, principal_id=str(uuid.uuid4())) for k in keys])
    second = plan_of([assignment(key=k, principal_id=str(uuid.uuid4())) for k in reversed(keys)])
    other_stack = plan_of([assignment(key=k) for k in keys[:1]], seed="mlplatform/prod")
    names_first = {n: r.inputs["roleAssignmentName"] for n, r in by_key_slug(first).items()}
    names_second = {n: r.inputs["roleAssignmentName"] for n, r in by_key_slug(second).items()}
    assert names_first == names_second
    assert len(set(names_first.values())) == 2
    assert only(other_stack, ROLE_ASSIGNMENT).inputs["roleAssignmentName"] not in names_first.values()


@given(st.text(min_size=1, max_size=60), st.text(min_size=1, max_size=60), st.text(min_size=1, max_size=20))
def test_assignment_names_are_guids_unique_per_key(key_a, key_b, seed):
    name = assignment_name(seed, key_a)
    assert str(uuid.UUID(name)) == name
    assert assignment_name(seed, key_a) == name
    assert (assignment_name(seed, key_b) == name) == (key_a == key_b)


def test_duplicate_keys_are_refused():
    with pytest.raises(ValueError, match="duplicate key 'ci/Reader/resourceGroup'"):
        plan_of([assignment(), assignment(scope=SCOPES[Scope.WORKSPACE])])


def test_keys_giving_the_same_resource_name_are_refused():
    with pytest.raises(ValueError, match="give the same resource name"):
        plan_of([assignment(key="ci/Reader"), assignment(key="CI reader", scope=SCOPES[Scope.WORKSPACE])])


def test_the_same_grant_under_two_keys_is_refused():
    with pytest.raises(ValueError, match="make the same grant"):
        plan_of([assignment(key="one"), assignment(key="two", scope=RG.upper() + "/")])


def test_persona_assignments_cover_each_personas_grants():
    assignments = persona_assignments(GROUPS, SCOPES)
    assert len(assignments) == sum(len(grants) for grants in PERSONA_ROLES.values())
    for persona, grants in PERSONA_ROLES.items():
        mine = [a for a in assignments if a["principal_id"] == GROUPS[persona]]
        assert [(a["role"], a["scope"]) for a in mine] == [(g.role, SCOPES[g.scope]) for g in grants]
        assert [a["description"] for a in mine] == [g.why for g in grants]
        assert {a["principal_type"] for a in mine} == {"Group"}
    assert assignments[0]["key"] == "dataScientists/AzureML Data Scientist/workspace"


def test_persona_assignments_skip_missing_scopes():
    scopes = {s: v for s, v in SCOPES.items() if s is not Scope.ML_REGISTRY}
    assignments = persona_assignments(GROUPS, scopes)
    assert all(a["role"] is not BuiltInRole.AZUREML_REGISTRY_USER for a in assignments)
    registry_grants = sum(1 for grants in PERSONA_ROLES.values() for g in grants if g.scope is Scope.ML_REGISTRY)
    assert registry_grants > 0
    assert len(assignments) == sum(len(grants) for grants in PERSONA_ROLES.values()) - registry_grants


def test_persona_assignments_need_every_persona():
    groups = {p: g for p, g in GROUPS.items() if p is not Persona.READERS}
    with pytest.raises(ValueError, match="no group ID for persona.*readers"):
        persona_assignments(groups, SCOPES)


def test_identity_assignments_go_to_a_service_principal():
    assignments = identity_assignments("workspace", SP, WORKSPACE_IDENTITY_ROLES, SCOPES)
    assert len(assignments) == len(WORKSPACE_IDENTITY_ROLES)
    assert {a["principal_type"] for a in assignments} == {"ServicePrincipal"}
    assert {a["principal_id"] for a in assignments} == {SP}
    first = WORKSPACE_IDENTITY_ROLES[0]
    assert assignments[0]["key"] == f"workspace/{first.role.value}/{first.scope.value}"
    assert assignments[0]["description"] == first.why
    only_workspace = {Scope.WORKSPACE: SCOPES[Scope.WORKSPACE]}
    assert identity_assignments("workspace", SP, WORKSPACE_IDENTITY_ROLES, only_workspace) == []


def test_matrix_from_access_groups_end_to_end():
    def body() -> None:
        groups = AccessGroups(
            "access",
            {"naming": {"prefix": "fraud", "environment": "dev", "seed": SEED}, "location": "westeurope"},
        )
        assignments = persona_assignments({p: groups.group_id(p) for p in Persona}, SCOPES)
        assignments += identity_assignments("workspace", SP, WORKSPACE_IDENTITY_ROLES, SCOPES)
        RoleAssignments("rbac", {"assignments": assignments, "seed": SEED})

    plan = run_component(body)
    grants = plan.of_type(ROLE_ASSIGNMENT)
    group_ids = {g.outputs["objectId"] for g in plan.of_type("azuread:index/group:Group")}
    component = only(plan, COMPONENT)
    assert len(grants) == sum(len(g) for g in PERSONA_ROLES.values()) + len(WORKSPACE_IDENTITY_ROLES)
    assert all(r.parent == component.urn for r in grants)
    assert {r.inputs["principalId"] for r in grants if r.inputs["principalType"] == "Group"} == group_ids
    assert {r.inputs["principalId"] for r in grants if r.inputs["principalType"] == "ServicePrincipal"} == {SP}
    assert len({r.inputs["roleAssignmentName"] for r in grants}) == len(grants)
    assert not plan.diagnostics


def test_no_assignments_is_an_empty_component():
    plan = plan_of([])
    assert plan.of_type(ROLE_ASSIGNMENT) == []
    assert plan.outputs["assignment_ids"] == []
