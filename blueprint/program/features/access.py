"""Access: Entra groups per persona, the MFA Conditional Access policy over every principal that holds a role, and
grants beyond the persona matrix (``access``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pulumi

from blueprint.program.config.errors import ConfigIssue, describe
from blueprint.program.config.rules import key_path
from blueprint.program.settings import setting
from components.access_groups import AccessGroups
from components.mfa_policy import MfaPolicy
from components.naming import Namer, ResourceKind
from components.options import Environment, MfaState
from components.role_assignments import Assignment, RoleAssignments, persona_assignments
from components.roles import BuiltInRole, Persona, Scope
from components.validators import GUID_PATTERN

#: An Entra object ID, as every key that names a principal takes it.
OBJECT_ID = {"type": "string", "pattern": GUID_PATTERN, "x-expected": "an Entra object ID (a GUID such as 00000000-0000-0000-0000-000000000000)"}
PRINCIPAL_TYPE = {"enum": ["Group", "ServicePrincipal"], "x-expected": "Group or ServicePrincipal (roles never go to individual users)"}

#: Roles only the platform itself grants (to its CI identity and its workspace identity), never through config.
NOT_GRANTABLE_BY_CONFIG = frozenset(
    {BuiltInRole.CONTRIBUTOR, BuiltInRole.ROLE_BASED_ACCESS_CONTROL_ADMINISTRATOR, BuiltInRole.KEY_VAULT_ADMINISTRATOR}
)
BUILT_IN_BY_NAME = MappingProxyType({role.value.lower(): role for role in BuiltInRole})
#: The platform resources a grant from config may name.
GRANT_SCOPES = (Scope.WORKSPACE, Scope.KEY_VAULT, Scope.STORAGE, Scope.CONTAINER_REGISTRY, Scope.RESOURCE_GROUP)


def built_in_role(name: str) -> BuiltInRole:
    """A built-in role by its name, in any casing (validated before)."""
    return BUILT_IN_BY_NAME[name.lower()]


def mfa_state(text: str) -> MfaState:
    """``enabled`` or ``reportOnly`` as written in a stack file, as the policy takes it."""
    return MfaState.REPORT_ONLY if text == "reportOnly" else MfaState.ENABLED


@dataclass(frozen=True, kw_only=True)
class BreakGlassSettings:
    """Emergency-access accounts excluded from the MFA policy."""

    user_ids: tuple[str, ...] = setting("userIds", default=(), uniqueItems=True, maxItems=10, items=OBJECT_ID)
    group_ids: tuple[str, ...] = setting("groupIds", default=(), uniqueItems=True, maxItems=10, items=OBJECT_ID)


@dataclass(frozen=True, kw_only=True)
class MfaSettings:
    """The Conditional Access policy requiring MFA for the platform's groups."""

    state: MfaState = setting(
        "state", "reportOnly (evaluate without enforcing) is allowed in dev only.", default=MfaState.ENABLED,
        convert=mfa_state, override={"enum": ["enabled", "reportOnly"]},
    )
    all_cloud_apps: bool = setting(
        "allCloudApps", "Require MFA for every cloud app, not just Azure management (which studio, CLI and SDKs use). "
        "Needs a break-glass exclusion.", default=False,
    )
    authentication_strength_policy_id: str | None = setting(
        "authenticationStrengthPolicyId", "Require this authentication strength (e.g. phishing-resistant MFA) instead "
        "of the built-in mfa control.", default=None, override=OBJECT_ID,
    )


@dataclass(frozen=True, kw_only=True)
class ExtraGrant:
    """A grant beyond the persona matrix, to a group or a service principal, on a platform resource."""

    principal_id: str = setting("principalId", override=OBJECT_ID)
    principal_type: str = setting("principalType", override=PRINCIPAL_TYPE)
    role: BuiltInRole = setting("role", convert=built_in_role, override={"type": "string", "x-expected": "a built-in role the platform grants (see components/roles.py)"})
    scope: Scope = setting("scope", override={"enum": [scope.value for scope in GRANT_SCOPES]})
    description: str = setting("description", default="", maxLength=256)


@dataclass(frozen=True, kw_only=True)
class AccessSettings:
    """Who may do what: Entra groups per persona, the MFA Conditional Access policy protecting them, extra role
    assignments."""

    group_owners: tuple[str, ...] = setting(
        "groupOwners", "Owner object IDs of the groups the platform creates.", default=(), default_doc="the deploying principal",
        uniqueItems=True, maxItems=20, items=OBJECT_ID,
    )
    existing_groups: Mapping[Persona, str] = setting(
        "existingGroups", "Groups managed elsewhere, by persona: referenced by object ID instead of created.",
        default=MappingProxyType({}), override={
            "type": "object", "additionalProperties": False, "properties": {persona.value: OBJECT_ID for persona in Persona},
        },
        convert=lambda groups: {Persona(name): object_id for name, object_id in groups.items()},
    )
    break_glass: BreakGlassSettings = setting("breakGlass", default=BreakGlassSettings())
    mfa: MfaSettings = setting("mfa", default=MfaSettings())
    extra_role_assignments: tuple[ExtraGrant, ...] = setting(
        "extraRoleAssignments", "Grants beyond the persona matrix, to groups or service principals only, on a platform resource.",
        default=(), maxItems=50,
    )


def access_issues(project: str, values: Mapping[str, Any], environment: Environment) -> list[ConfigIssue]:
    """Report-only MFA in dev only; a break-glass account when MFA covers every app; grantable roles only."""
    access = values.get("access", {})
    issues: list[ConfigIssue] = []
    mfa = access.get("mfa", {})
    if mfa.get("state") == "reportOnly" and environment is not Environment.DEV:
        issues.append(ConfigIssue(key_path(project, ["access", "mfa", "state"]), f"enabled in {environment.value} (report-only MFA is allowed in dev only)", describe("reportOnly")))
    break_glass = access.get("breakGlass", {})
    if mfa.get("allCloudApps") and not (break_glass.get("userIds") or break_glass.get("groupIds")):
        issues.append(ConfigIssue(key_path(project, ["access", "breakGlass"]), "at least one break-glass user or group when MFA covers all cloud apps (or nobody can recover a broken policy)", "nothing"))
    for index, grant in enumerate(access.get("extraRoleAssignments", [])):
        role = BUILT_IN_BY_NAME.get(grant["role"].lower())
        if role is None or role in NOT_GRANTABLE_BY_CONFIG:
            allowed = ", ".join(sorted(r.value for r in BuiltInRole if r not in NOT_GRANTABLE_BY_CONFIG))
            issues.append(ConfigIssue(key_path(project, ["access", "extraRoleAssignments", index, "role"]), f"one of {allowed}", describe(grant["role"])))
    return issues


def grant_keys(values: Mapping[str, Any]) -> list[tuple[Any, str]]:
    """Extra grants as Azure tells them apart: principal, role and scope."""
    grants = (values.get("access") or {}).get("extraRoleAssignments", [])
    return [(i, "|".join(str(g.get(k, "")).casefold() for k in ("principalId", "role", "scope"))) for i, g in enumerate(grants)]


@dataclass(frozen=True)
class PeopleAccess:
    """What the access feature created: the persona groups and the MFA policy over them."""

    groups: AccessGroups
    mfa: MfaPolicy


def grant_people_access(
    access: AccessSettings,
    *,
    naming: Mapping[str, str],
    location: str,
    namer: Namer,
    scopes: Mapping[Scope, pulumi.Input[str]],
    seed: str,
) -> PeopleAccess:
    """A group per persona, roles from the matrix plus the extra grants, MFA on every group that holds a role."""
    groups = AccessGroups(
        "access",
        {
            "naming": dict(naming),
            "location": location,
            "owners": list(access.group_owners),
            "existing_group_ids": {persona.value: object_id for persona, object_id in access.existing_groups.items()},
        },
    )
    group_ids = {persona: groups.group_id(persona) for persona in Persona}
    grants: list[Assignment] = persona_assignments(group_ids, scopes)
    grants += [
        {
            "key": f"extra/{extra.principal_type}/{extra.principal_id}/{extra.role.value}/{extra.scope.value}",
            "principal_id": extra.principal_id,
            "principal_type": extra.principal_type,
            "role": extra.role,
            "scope": scopes[extra.scope],
            "description": extra.description or "extra grant from stack configuration",
        }
        for extra in access.extra_role_assignments
    ]
    RoleAssignments("people", {"assignments": grants, "seed": seed})
    extra_groups = [extra.principal_id for extra in access.extra_role_assignments if extra.principal_type == "Group"]
    mfa = MfaPolicy(
        "mfa",
        {
            "display_name": namer.name(ResourceKind.CONDITIONAL_ACCESS_POLICY, "mfa"),
            "included_group_ids": [*group_ids.values(), *extra_groups],
            "state": access.mfa.state,
            "all_cloud_apps": access.mfa.all_cloud_apps,
            "authentication_strength_policy_id": access.mfa.authentication_strength_policy_id,
            "excluded_user_ids": list(access.break_glass.user_ids),
            "excluded_group_ids": list(access.break_glass.group_ids),
        },
    )
    return PeopleAccess(groups, mfa)
