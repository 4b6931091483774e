"""MfaPolicy under the Entra ID mocks: the Conditional Access policy a policy pack reads from the plan."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.access_groups import AccessGroups
from components.mfa_policy import AZURE_MANAGEMENT_APP_ID, MfaPolicy, MfaPolicyArgs, MfaState
from components.roles import Persona
from tests.conftest import only, run_component

POLICY = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy"
COMPONENT = "mlplatform:index:MfaPolicy"
GROUP_A = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
GROUP_B = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
BREAK_GLASS_USER = "3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f"
BREAK_GLASS_GROUP = "4d5e6f7a-8b9c-4d0e-9f2a-3b4c5d6e7f80"
BUILT_IN_MFA_STRENGTH = "00000000-0000-0000-0000-000000000002"


def policy_args(**overrides: Any) -> MfaPolicyArgs:
    args: dict[str, Any] = {
        "display_name": "cap-fraud-mfa-dev",
        "included_group_ids": [GROUP_A, GROUP_B],
        "state": MfaState.REPORT_ONLY,
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def policy_of(**overrides: Any):
    def body() -> None:
        policy = MfaPolicy("mfa", policy_args(**overrides))
        pulumi.export("policy_id", policy.policy_id)

    plan = run_component(body)
    return plan, only(plan, POLICY)


def test_defaults_require_mfa_on_the_management_plane_for_the_groups():
    plan, policy = policy_of()
    inputs = policy.inputs
    assert inputs["displayName"] == "cap-fraud-mfa-dev"
    assert inputs["state"] == "enabledForReportingButNotEnforced"
    assert inputs["conditions"]["clientAppTypes"] == ["all"]
    assert inputs["conditions"]["applications"]["includedApplications"] == [AZURE_MANAGEMENT_APP_ID]
    assert inputs["conditions"]["users"] == {"includedGroups": [GROUP_A, GROUP_B]}
    assert inputs["grantControls"] == {"operator": "OR", "builtInControls": ["mfa"]}
    assert "sessionControls" not in inputs
    assert policy.parent == only(plan, COMPONENT).urn
    assert plan.outputs["policy_id"] == policy.outputs["objectId"]


def test_management_app_is_the_service_management_api():
    assert AZURE_MANAGEMENT_APP_ID == "797f4846-ba00-4fd7-ba43-dac1f8f63013"


def test_enforced_on_all_cloud_apps():
    _, policy = policy_of(state=MfaState.ENABLED, all_cloud_apps=True)
    assert policy.inputs["state"] == "enabled"
    assert policy.inputs["conditions"]["applications"]["includedApplications"] == ["All"]


def test_state_accepts_the_plain_value():
    _, policy = policy_of(state="enabled")
    assert policy.inputs["state"] == "enabled"


def test_disabled_state_is_not_offered():
    with pytest.raises(ValueError, match="disabled"):
        policy_of(state="disabled")


@pytest.mark.parametrize(
    "given", [BUILT_IN_MFA_STRENGTH, f"/policies/authenticationStrengthPolicies/{BUILT_IN_MFA_STRENGTH}"]
)
def test_authentication_strength_replaces_the_mfa_control(given):
    _, policy = policy_of(authentication_strength_policy_id=given)
    assert policy.inputs["grantControls"] == {
        "operator": "OR",
        "authenticationStrengthPolicyId": f"/policies/authenticationStrengthPolicies/{BUILT_IN_MFA_STRENGTH}",
    }


def test_empty_authentication_strength_means_plain_mfa():
    _, policy = policy_of(authentication_strength_policy_id=None)
    assert policy.inputs["grantControls"]["builtInControls"] == ["mfa"]


def test_invalid_authentication_strength_is_rejected():
    with pytest.raises(ValueError, match="authentication_strength_policy_id 'phishing-resistant'"):
        policy_of(authentication_strength_policy_id="phishing-resistant")


def test_break_glass_accounts_are_excluded():
    _, policy = policy_of(excluded_user_ids=[BREAK_GLASS_USER], excluded_group_ids=[BREAK_GLASS_GROUP])
    assert policy.inputs["conditions"]["users"] == {
        "includedGroups": [GROUP_A, GROUP_B],
        "excludedUsers": [BREAK_GLASS_USER],
        "excludedGroups": [BREAK_GLASS_GROUP],
    }


def test_groups_from_access_groups_are_included():
    def body() -> None:
        groups = AccessGroups(
            "access",
            {"naming": {"prefix": "fraud", "environment": "dev", "seed": "mlplatform/dev"}, "location": "westeurope"},
        )
        MfaPolicy("mfa", policy_args(included_group_ids=[groups.group_id(p) for p in Persona]))

    plan = run_component(body)
    object_ids = {g.outputs["objectId"] for g in plan.of_type("azuread:index/group:Group")}
    included = only(plan, POLICY).inputs["conditions"]["users"]["includedGroups"]
    assert set(included) == object_ids and len(included) == len(Persona)


def test_no_groups_is_rejected():
    with pytest.raises(ValueError, match="included_group_ids is empty"):
        policy_of(included_group_ids=[])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"included_group_ids": ["All"]}, "included group 'All'"),
        ({"excluded_user_ids": ["breakglass@example.com"]}, "excluded user 'breakglass@example.com'"),
        ({"excluded_group_ids": ["GuestsOrExternalUsers"]}, "excluded group 'GuestsOrExternalUsers'"),
        ({"display_name": ""}, "invalid display name"),
    ],
)
def test_ids_and_name_are_checked(overrides, message):
    with pytest.raises(ValueError, match=message):
        policy_of(**overrides)
