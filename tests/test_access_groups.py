"""AccessGroups under the Entra ID mocks: one security group per persona, existing groups referenced, not created."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.access_groups import AccessGroups, AccessGroupsArgs
from components.naming import Namer, ResourceKind
from components.roles import Persona
from tests.conftest import only, run_component

GROUP = "azuread:index/group:Group"
COMPONENT = "mlplatform:index:AccessGroups"
EXISTING = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"
OWNER = "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"


def groups_args(**overrides: Any) -> AccessGroupsArgs:
    args: dict[str, Any] = {
        "naming": {"prefix": "fraud", "environment": "dev", "seed": "mlplatform/dev"},
        "location": "westeurope",
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def plan_of(**overrides: Any):
    def body() -> None:
        groups = AccessGroups("access", groups_args(**overrides))
        pulumi.export("group_ids", groups.group_ids)
        pulumi.export("per_persona", {p.value: groups.group_id(p) for p in Persona})

    return run_component(body)


def by_display_name(plan) -> dict[str, Any]:
    return {g.inputs["displayName"]: g for g in plan.of_type(GROUP)}


def test_one_security_group_per_persona_with_caf_names():
    plan = plan_of()
    groups = plan.of_type(GROUP)
    namer = Namer(prefix="fraud", environment="dev", location="westeurope", seed="mlplatform/dev")
    expected = {namer.name(ResourceKind.ENTRA_GROUP, p.slug): p for p in Persona}
    assert set(by_display_name(plan)) == set(expected)
    assert len(groups) == len(Persona)
    component = only(plan, COMPONENT)
    for group in groups:
        inputs = group.inputs
        persona = expected[inputs["displayName"]]
        assert inputs["displayName"].startswith(f"grp-fraud-{persona.slug}-dev-weu-")
        assert inputs["securityEnabled"] is True
        assert inputs["mailEnabled"] is False
        assert inputs["preventDuplicateNames"] is True
        assert inputs["assignableToRole"] is False
        assert "owners" not in inputs  # azuread makes the deploying principal the owner
        assert "(dev)" in inputs["description"] and "persona matrix" in inputs["description"]
        assert group.parent == component.urn


def test_descriptions_name_the_persona():
    descriptions = {g.name: g.inputs["description"] for g in plan_of().of_type(GROUP)}
    assert descriptions["access-data-scientists"].startswith("Data scientists of the fraud ML platform")
    assert descriptions["access-ml-engineers"].startswith("ML engineers of the fraud ML platform")


def test_group_ids_cover_every_persona():
    plan = plan_of()
    object_ids = {g.name: g.outputs["objectId"] for g in plan.of_type(GROUP)}
    expected = {p.value: object_ids[f"access-{p.slug}"] for p in Persona}
    assert plan.outputs["group_ids"] == expected
    assert plan.outputs["per_persona"] == expected


def test_owners_are_set_on_created_groups():
    plan = plan_of(owners=[OWNER])
    assert all(g.inputs["owners"] == [OWNER] for g in plan.of_type(GROUP))


def test_existing_groups_are_referenced_not_created():
    plan = plan_of(existing_group_ids={"readers": EXISTING, Persona.ML_ENGINEERS: EXISTING.upper()})
    names = {g.name for g in plan.of_type(GROUP)}
    assert names == {"access-data-scientists", "access-platform-operators"}
    assert plan.outputs["group_ids"]["readers"] == EXISTING
    assert plan.outputs["per_persona"]["mlEngineers"] == EXISTING.upper()
    assert set(plan.outputs["group_ids"]) == {p.value for p in Persona}


def test_names_are_stable_across_runs():
    assert set(by_display_name(plan_of())) == set(by_display_name(plan_of()))


@pytest.mark.parametrize("bad", ["not-a-guid", "", "0b1c2d3e4f504a6b8c7d9e0f1a2b3c4d", EXISTING + "0"])
def test_existing_id_must_be_a_guid(bad):
    with pytest.raises(ValueError, match=rf"persona 'dataScientists'.*{bad!r}"):
        plan_of(existing_group_ids={"dataScientists": bad})


def test_unknown_persona_is_rejected():
    with pytest.raises(ValueError, match="unknown persona 'admins'"):
        plan_of(existing_group_ids={"admins": EXISTING})


def test_owner_must_be_a_guid():
    with pytest.raises(ValueError, match="owner 'someone@example.com'"):
        plan_of(owners=["someone@example.com"])
