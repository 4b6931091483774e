"""``MfaPolicy``: an Entra ID Conditional Access policy that requires MFA of the platform's persona groups.

RBAC decides what a member may do; this policy decides how strongly they must prove who they are first. It targets
the Azure management plane by default, which every Azure ML client goes through, so that MFA is enforced without
widening the policy to every cloud app of the tenant. Break-glass accounts are excluded explicitly so a broken
MFA setup can never lock every administrator out. Creating it needs the ``Policy.ReadWrite.ConditionalAccess``
Graph permission (or the Conditional Access Administrator role) and an Entra ID P1 licence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NotRequired, TypedDict

import pulumi
import pulumi_azuread as azuread

from components.naming import ResourceKind, validate_name
from components.options import MfaState
from components.validators import GUID_PATTERN, is_guid

#: Application ID of "Windows Azure Service Management API" (Azure Resource Manager), the same in every tenant.
#: Azure ML studio, the CLI and the SDKs all call it with the user's token, so a policy on it covers every way
#: into a workspace. A policy targeting the "Azure Machine Learning" application alone is reported not to take
#: effect for these clients, hence this target.
AZURE_MANAGEMENT_APP_ID = "797f4846-ba00-4fd7-ba43-dac1f8f63013"

#: How Microsoft Graph spells an authentication strength policy reference; built-in strengths are bare GUIDs.
_STRENGTH_PREFIX = "/policies/authenticationStrengthPolicies/"
_STRENGTH_RE = re.compile(rf"(?:{re.escape(_STRENGTH_PREFIX)})?({GUID_PATTERN.strip('^$')})")


class MfaPolicyArgs(TypedDict):
    """Arguments of :class:`MfaPolicy`."""

    display_name: str
    """Policy name shown in the Entra admin center."""
    included_group_ids: Sequence[pulumi.Input[str]]
    """Object IDs of the groups that must use MFA (the persona groups); at least one."""
    state: MfaState
    """Enforced, or report-only while rolling out."""
    all_cloud_apps: NotRequired[bool]
    """Require MFA for every cloud app instead of only the Azure management plane."""
    authentication_strength_policy_id: NotRequired[str | None]
    """Authentication strength to require instead of plain MFA (e.g. phishing-resistant); GUID or Graph path."""
    excluded_user_ids: NotRequired[Sequence[str]]
    """Object IDs of break-glass user accounts the policy must never apply to."""
    excluded_group_ids: NotRequired[Sequence[str]]
    """Object IDs of break-glass groups the policy must never apply to."""


class MfaPolicy(pulumi.ComponentResource):
    """A Conditional Access policy requiring MFA (or an authentication strength) of the included groups."""

    policy_id: pulumi.Output[str]
    """Object ID of the Conditional Access policy."""

    def __init__(self, name: str, args: MfaPolicyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplatform:index:MfaPolicy", name, None, opts)
        display_name = args["display_name"]
        problems = validate_name(ResourceKind.CONDITIONAL_ACCESS_POLICY, display_name)
        if problems:
            raise ValueError(f"MfaPolicy {name}: invalid display name: {'; '.join(problems)}")
        groups = list(args["included_group_ids"])
        if not groups:
            raise ValueError(f"MfaPolicy {name}: included_group_ids is empty; a policy must target at least one group")
        _check_guids(name, "included group", [g for g in groups if isinstance(g, str)])
        excluded_users = list(args.get("excluded_user_ids") or [])
        excluded_groups = list(args.get("excluded_group_ids") or [])
        _check_guids(name, "excluded user", excluded_users)
        _check_guids(name, "excluded group", excluded_groups)
        state = MfaState(args["state"])
        strength = _strength_reference(name, args.get("authentication_strength_policy_id"))

        policy = azuread.ConditionalAccessPolicy(
            name,
            display_name=display_name,
            state=state.value,
            conditions=azuread.ConditionalAccessPolicyConditionsArgs(
                client_app_types=["all"],
                applications=azuread.ConditionalAccessPolicyConditionsApplicationsArgs(
                    included_applications=["All"] if args.get("all_cloud_apps", False) else [AZURE_MANAGEMENT_APP_ID],
                ),
                users=azuread.ConditionalAccessPolicyConditionsUsersArgs(
                    included_groups=groups,
                    excluded_users=excluded_users or None,
                    excluded_groups=excluded_groups or None,
                ),
            ),
            # Graph rejects the built-in "mfa" control next to an authentication strength: it is one or the other.
            grant_controls=azuread.ConditionalAccessPolicyGrantControlsArgs(
                operator="OR",
                built_in_controls=None if strength else ["mfa"],
                authentication_strength_policy_id=strength,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.policy_id = policy.object_id
        self.register_outputs({"policy_id": self.policy_id})


def _check_guids(name: str, what: str, ids: Sequence[str]) -> None:
    for object_id in ids:
        if not is_guid(object_id):
            raise ValueError(f"MfaPolicy {name}: {what} {object_id!r} is not an object ID (a GUID)")


def _strength_reference(name: str, given: str | None) -> str | None:
    """The strength policy as Graph references it: built-in IDs (bare GUIDs) get the ``/policies/...`` prefix."""
    if not given:
        return None
    if not isinstance(given, str):  # an Output from an AuthenticationStrengthPolicy resource: already a Graph path
        return given
    match = _STRENGTH_RE.fullmatch(given)
    if match is None:
        raise ValueError(
            f"MfaPolicy {name}: authentication_strength_policy_id {given!r} is neither a GUID nor "
            f"'{_STRENGTH_PREFIX}<GUID>'"
        )
    return _STRENGTH_PREFIX + match.group(1)
