"""Identity and access: MFA through Conditional Access for every person holding a role, role assignments to groups
and workloads only, no privileged roles at subscription scope, constrained role delegation, and no stored credentials
on Entra ID applications.

The stack policy ``azuread-conditional-access-policy-covers-role-groups`` (named when it covered groups only; configs
and reports refer to the name) requires MFA of every human principal that receives a role. It decides who that is
from each role assignment:

- principalType ``ServicePrincipal``: a workload, exempt. Azure looks the principal up, compares its type with the
  declared one and refuses the assignment on a mismatch (error ``UnmatchedPrincipalType``: "The PrincipalId '...'
  has type 'User', which is different from specified PrincipalType 'ServicePrincipal'"; reported the other way round
  in Azure/azure-dev issue 3581), so a person cannot hide behind this declaration.
- principalType missing or of another kind, with a principalId that comes from a service principal
  (``azuread:index/servicePrincipal:ServicePrincipal``) or a user-assigned identity
  (``azure-native:managedidentity:UserAssignedIdentity``) of the stack, linked through
  ``propertyDependencies.principalId`` or by an equal object ID: the stack's own workload identity, exempt.
- principalType ``Group`` or ``User``, and every other assignment: a person, or possibly one, who must be covered.
  A user is reported even when its principal-type finding is waived: the waiver accepts the direct grant, not a
  password-only sign-in.

Each principal is linked to the Conditional Access policies that include it in two ways, in this order:

1. By object ID, when both are known: the principal's ``objectId`` output (of the stack's Group or User resource), or
   the assignment's ``principalId``, against the policy's ``conditions.users`` outputs: ``includedGroups`` /
   ``excludedGroups`` for a group, ``includedUsers`` / ``excludedUsers`` for a user, either for an undeclared type;
   ``includedUsers: ["All"]`` includes everyone not excluded. The offline preview knows every output, so this is what
   it uses; it also sees exclusions.
2. By dependency, when an ID is unknown (a real ``pulumi preview`` of a new stack: Entra assigns object IDs at
   creation): the assignment's ``propertyDependencies.principalId`` leads to the group or user resource, and a policy
   includes it when its ``propertyDependencies.conditions`` lists that resource, or when it includes all users. A
   dependency cannot tell an included principal from an excluded one, so the platform's component only ever excludes
   break-glass accounts it does not create. A principal whose ID is unknown and that no resource of the stack
   explains is covered only by a policy for all users.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import Severity, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from components.roles import DELEGATING_ROLE_GUIDS, GRANTABLE_PRINCIPAL_TYPES, PRIVILEGED_ROLE_GUIDS
from mlplatform_policies.base import (
    UNKNOWN,
    Controls,
    Unknown,
    is_value,
    property_check,
    read,
    resource_policy,
    shown,
    stack_policy,
)

CONDITIONAL_ACCESS_POLICY = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy"
GROUP = "azuread:index/group:Group"
USER = "azuread:index/user:User"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
USER_ASSIGNED_IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
#: The stack's own workload identities: a principalId taken from one of these is not a person.
WORKLOAD_TYPES = (SERVICE_PRINCIPAL, USER_ASSIGNED_IDENTITY)
APPLICATION = "azuread:index/application:Application"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
#: Entra ID credential resources that store a secret or a certificate for an application or service principal.
CREDENTIAL_TYPES = (
    "azuread:index/applicationPassword:ApplicationPassword",
    "azuread:index/servicePrincipalPassword:ServicePrincipalPassword",
    "azuread:index/applicationCertificate:ApplicationCertificate",
    "azuread:index/servicePrincipalCertificate:ServicePrincipalCertificate",
)

#: "Windows Azure Service Management API" (Azure Resource Manager): Azure ML studio, the CLI and the SDKs call it.
AZURE_MANAGEMENT_APP_ID = "797f4846-ba00-4fd7-ba43-dac1f8f63013"
ALLOWED_PRINCIPAL_TYPES = GRANTABLE_PRINCIPAL_TYPES
_SCOPES = (
    (re.compile(r"^/subscriptions/[^/]+/?$", re.IGNORECASE), "subscription"),
    (re.compile(r"^/providers/Microsoft\.Management/managementGroups/[^/]+/?$", re.IGNORECASE), "management group"),
    (re.compile(r"^/?$"), "tenant root"),
)
#: Grant controls that prove a second factor (lowercase; an authentication strength counts as one).
_MFA_CONTROLS = frozenset({"mfa", "authenticationstrength"})

_CA_URL = (
    "https://learn.microsoft.com/entra/identity/conditional-access/howto-conditional-access-policy-azure-management"
)
_MFA_CONTROLS_DOC = Controls(azure_policy=("4e6c27d5-a6ee-49cf-b2b4-d8fe90fa2b8b",), mcsb=("IM-6",))
_MFA_COMPONENT = "components/mfa_policy.py (MfaPolicy, created by blueprint/program/stacks/environment.py)"


def _strings(value: Any) -> list[str] | Unknown:
    """A list of strings from a (proxied) sequence; ``UNKNOWN`` when any element is unknown."""
    if value is UNKNOWN:
        return UNKNOWN
    if value is None or isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        return []
    try:
        return [item for item in value if isinstance(item, str)]
    except UnknownValueError:
        return UNKNOWN


# --- Conditional Access: one function per requirement, shared by the resource policies and the stack policy. ---


state_problem = property_check(
    "state",
    "enabled",
    "Conditional Access policy {found}; expected {expected} (a report-only or disabled policy does not enforce MFA)",
    unknown_violates=True,  # the stack policy reads outputs, which may be unknown during preview
)


def target_problem(props: Mapping[str, Any]) -> str | None:
    included = _strings(read(props, "conditions.applications.includedApplications"))
    excluded = _strings(read(props, "conditions.applications.excludedApplications"))
    if included is UNKNOWN:
        return None
    lowered = {app.lower() for app in included}
    if isinstance(excluded, list) and AZURE_MANAGEMENT_APP_ID in {app.lower() for app in excluded}:
        return (
            f"Conditional Access policy excludes the Windows Azure Service Management API ({AZURE_MANAGEMENT_APP_ID}) "
            "in conditions.applications.excludedApplications; expected it not to be excluded "
            "(Azure ML studio, the CLI and the SDKs all call it)"
        )
    if AZURE_MANAGEMENT_APP_ID in lowered or "all" in lowered:
        return None
    return (
        f"Conditional Access policy targets {sorted(included)} only; expected "
        f"conditions.applications.includedApplications to contain the Windows Azure Service Management API "
        f"({AZURE_MANAGEMENT_APP_ID}) or 'All' (Azure ML studio, the CLI and the SDKs all call it)"
    )


def grant_problem(props: Mapping[str, Any]) -> str | None:
    builtin = _strings(read(props, "grantControls.builtInControls"))
    strength = read(props, "grantControls.authenticationStrengthPolicyId")
    if builtin is UNKNOWN:
        return None
    controls = [c.lower() for c in builtin]
    if "block" in controls:
        return None  # a block policy is stricter than MFA
    if strength:
        controls.append("authenticationstrength")
    mfa_like = [c for c in controls if c in _MFA_CONTROLS]
    if not mfa_like:
        return (
            f"Conditional Access policy grants access without MFA (builtInControls: {sorted(builtin)}, no "
            "authenticationStrengthPolicyId); expected grantControls.builtInControls to contain 'mfa' or an "
            "authenticationStrengthPolicyId"
        )
    others = sorted(c for c in controls if c not in _MFA_CONTROLS)
    if others and not is_value(read(props, "grantControls.operator"), "AND"):
        return (
            f"Conditional Access policy lets users satisfy it with {others} instead of MFA (operator OR); "
            "expected MFA to be required: operator 'AND', or 'mfa' / an authentication strength as the only controls"
        )
    return None


def enforces_mfa_on_azure(props: Mapping[str, Any]) -> bool:
    """Enabled, targets the Azure management plane (or all apps) and requires MFA or an authentication strength."""
    if state_problem(props) or target_problem(props) or grant_problem(props):
        return False
    builtin = _strings(read(props, "grantControls.builtInControls"))
    controls = [c.lower() for c in builtin] if isinstance(builtin, list) else []
    return "mfa" in controls or bool(read(props, "grantControls.authenticationStrengthPolicyId"))


ca_enabled = resource_policy(
    name="azuread-conditional-access-policy-enabled",
    description="Conditional Access policies of the platform are enforced, not report-only or disabled.",
    rationale=(
        "A report-only policy only logs what it would have done: users still reach the workspace with a password "
        "alone. Report-only is a rollout step, acceptable in dev only."
    ),
    checks="`state` is `enabled`.",
    severity=Severity.HIGH,
    resource_types=[CONDITIONAL_ACCESS_POLICY],
    check=state_problem,
    controls=_MFA_CONTROLS_DOC,
    remediation=(
        "Remove `access.mfa.state: reportOnly` from the stack file (stacks/Pulumi.<stack>.yaml) so "
        f"{_MFA_COMPONENT} creates the policy with state `enabled`."
    ),
    url=_CA_URL,
    relaxed_in=("dev",),
)

ca_azure_management = resource_policy(
    name="azuread-conditional-access-policy-azure-management-target",
    description="Conditional Access policies target the Windows Azure Service Management API, or all cloud apps.",
    rationale=(
        "Azure ML studio, the CLI and the SDKs call Azure Resource Manager with the user's token; a policy that "
        "targets only the 'Azure Machine Learning' app has been reported not to take effect for them "
        "(MicrosoftDocs/azure-docs issue 97112)."
    ),
    checks=(
        "`conditions.applications.includedApplications` contains `797f4846-ba00-4fd7-ba43-dac1f8f63013` or `All`, "
        "and `excludedApplications` does not contain it."
    ),
    severity=Severity.HIGH,
    resource_types=[CONDITIONAL_ACCESS_POLICY],
    check=target_problem,
    controls=_MFA_CONTROLS_DOC,
    remediation=(
        f"Keep the default target of {_MFA_COMPONENT} (AZURE_MANAGEMENT_APP_ID), or set `access.mfa.allCloudApps: "
        "true` in the stack file to target All cloud apps; never list the management API in excluded applications."
    ),
    url=_CA_URL,
)

ca_requires_mfa = resource_policy(
    name="azuread-conditional-access-policy-require-mfa",
    description="Conditional Access policies require MFA or an authentication strength, with no weaker alternative.",
    rationale=(
        "Roles in the platform allow reading confidential data and deploying models; a stolen password alone must "
        "not be enough. With operator OR, any other control listed (a compliant device, terms of use) replaces MFA."
    ),
    checks=(
        "`grantControls.builtInControls` contains `mfa` or `grantControls.authenticationStrengthPolicyId` is set, and "
        "under operator OR no other control is listed (a `block` policy passes)."
    ),
    severity=Severity.HIGH,
    resource_types=[CONDITIONAL_ACCESS_POLICY],
    check=grant_problem,
    controls=_MFA_CONTROLS_DOC,
    remediation=(
        f"Let {_MFA_COMPONENT} set the grant controls (`mfa`, operator OR); to require phishing-resistant methods set "
        "`access.mfa.authenticationStrengthPolicyId` in the stack file instead of adding other controls."
    ),
    url=_CA_URL,
)


# --- Role assignments ---


def principal_type_problem(props: Mapping[str, Any]) -> str | None:
    principal_type = props.get("principalType")
    if any(is_value(principal_type, allowed) for allowed in ALLOWED_PRINCIPAL_TYPES):
        return None
    if principal_type is None:
        return (
            "role assignment does not set principalType; expected 'Group' (people) or 'ServicePrincipal' "
            "(workloads), so a grant to an individual user cannot pass unnoticed"
        )
    return (
        f"role assignment grants a role to principal type {principal_type!r}; expected 'Group' (people, through "
        "group membership) or 'ServicePrincipal' (workloads)"
    )


def _role_guid(role_definition_id: Any) -> str | None:
    if not isinstance(role_definition_id, str) or not role_definition_id:
        return None
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


def privileged_scope_problem(props: Mapping[str, Any]) -> str | None:
    guid = _role_guid(props.get("roleDefinitionId"))
    role = PRIVILEGED_ROLE_GUIDS.get(guid or "")
    if role is None:
        return None
    scope = props.get("scope")
    if not isinstance(scope, str):
        return None
    for pattern, kind in _SCOPES:
        if pattern.match(scope):
            return (
                f"role assignment grants {role} ({guid}) at {kind} scope {scope!r}; expected Owner, Contributor and "
                "User Access Administrator only on a resource group or a resource, or a narrower role"
            )
    return None


role_assignment_principal = resource_policy(
    name="azure-native-authorization-role-assignment-group-or-workload",
    description="Roles go to Entra groups (people) or service principals (workloads), never to individual users.",
    rationale=(
        "Access granted to a person directly escapes the group's owners, reviews and MFA policy, and outlives the "
        "person's move or departure. Groups make access reviewable in one place."
    ),
    checks="`principalType` is `Group` or `ServicePrincipal`.",
    severity=Severity.MEDIUM,
    resource_types=[ROLE_ASSIGNMENT],
    check=principal_type_problem,
    controls=Controls(mcsb=("PA-7",), psrule=("Azure.RBAC.UseGroups",)),
    remediation=(
        "Grant people access by adding them to a persona group (components/access_groups.py) whose roles come from "
        "PERSONA_ROLES in components/roles.py; in `access.extraRoleAssignments` of the stack file use principalType "
        "`Group` or `ServicePrincipal` (components/role_assignments.py refuses `User`)."
    ),
    url="https://learn.microsoft.com/azure/role-based-access-control/best-practices",
)

role_assignment_privileged_scope = resource_policy(
    name="azure-native-authorization-role-assignment-no-privileged-subscription-scope",
    description="Owner, Contributor and User Access Administrator are never granted at subscription, management group "
    "or tenant root scope.",
    rationale=(
        "These roles at subscription scope or wider control every resource (and, for Owner and User Access "
        "Administrator, every role assignment) beyond the platform; the platform needs them nowhere wider than its "
        "resource group."
    ),
    checks=(
        "When the role GUID taken from `roleDefinitionId` is Owner, Contributor or User Access Administrator, "
        "`scope` is not a subscription, a management group or the root."
    ),
    severity=Severity.CRITICAL,
    resource_types=[ROLE_ASSIGNMENT],
    check=privileged_scope_problem,
    controls=Controls(mcsb=("PA-1", "PA-7"), psrule=("Azure.RBAC.LimitOwner",)),
    remediation=(
        "Scope the grant to the platform's resource group or a resource (Scope in components/roles.py; "
        "`access.extraRoleAssignments[].scope` in the stack file), or pick a narrower built-in role; the CI "
        "identity's Contributor grant is CI_DEPLOY_GRANTS at resource-group scope."
    ),
    url="https://learn.microsoft.com/azure/role-based-access-control/best-practices",
)


# --- Delegated role assignment management ---

_ASSIGNMENTS = "Microsoft.Authorization/roleAssignments"
#: Condition version of Azure ABAC conditions on role assignments (the only one Azure accepts).
CONDITION_VERSION = "2.0"


def _constraint(source: str, attribute: str, operators: str) -> re.Pattern[str]:
    """An ABAC expression ``@<source>[roleAssignments:<attribute>] <operator> {<values>}``; group 1 is the values."""
    return re.compile(
        rf"@{source}\[{re.escape(_ASSIGNMENTS)}:{attribute}\]\s+ForAnyOfAnyValues:(?:{operators})\s*\{{([^}}]*)\}}",
        re.IGNORECASE,
    )


#: The principal-type expressions of a delegation condition, by the action they constrain. Writes carry request
#: attributes, deletes resource attributes (Azure ABAC, "Authorization actions and attributes").
_PRINCIPAL_TYPE_CONSTRAINTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("writes", _constraint("Request", "PrincipalType", "StringEqualsIgnoreCase|StringEquals")),
    ("deletes", _constraint("Resource", "PrincipalType", "StringEqualsIgnoreCase|StringEquals")),
)
#: What a delegation condition must constrain: (what, pattern).
_DELEGATION_CONSTRAINTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("the write action", re.compile(rf"ActionMatches\{{\s*'{re.escape(_ASSIGNMENTS)}/write'\s*\}}", re.IGNORECASE)),
    ("the delete action", re.compile(rf"ActionMatches\{{\s*'{re.escape(_ASSIGNMENTS)}/delete'\s*\}}", re.IGNORECASE)),
    ("the roles it may assign (@Request[...:RoleDefinitionId])", _constraint("Request", "RoleDefinitionId", "GuidEquals")),
    ("the roles it may remove (@Resource[...:RoleDefinitionId])", _constraint("Resource", "RoleDefinitionId", "GuidEquals")),
    ("the principal types it may assign to (@Request[...:PrincipalType])", _PRINCIPAL_TYPE_CONSTRAINTS[0][1]),
    ("the principal types it may remove from (@Resource[...:PrincipalType])", _PRINCIPAL_TYPE_CONSTRAINTS[1][1]),
)
_EXPECTED_DELEGATION = (
    f"a condition (conditionVersion '{CONDITION_VERSION}') that, for both {_ASSIGNMENTS}/write and /delete, limits the "
    "role definitions (RoleDefinitionId ForAnyOfAnyValues:GuidEquals) and the principal types (PrincipalType "
    f"ForAnyOfAnyValues:StringEqualsIgnoreCase, within {' and '.join(ALLOWED_PRINCIPAL_TYPES)})"
)


def delegation_problem(props: Mapping[str, Any]) -> str | None:
    guid = _role_guid(read(props, "roleDefinitionId"))
    role = DELEGATING_ROLE_GUIDS.get(guid or "")
    if role is None:
        return None
    granted = f"role assignment grants {role} ({guid})"
    condition = read(props, "condition")
    if condition is UNKNOWN:
        return f"{granted} with a condition not known until deployment, so it cannot be checked; expected {_EXPECTED_DELEGATION}"
    if not isinstance(condition, str) or not condition.strip():
        return (
            f"{granted} without a condition, so its holder may grant any role to anyone at its scope; expected "
            f"{_EXPECTED_DELEGATION}"
        )
    problems = [f"does not constrain {what}" for what, pattern in _DELEGATION_CONSTRAINTS if not pattern.search(condition)]
    allowed = {t.lower() for t in ALLOWED_PRINCIPAL_TYPES}
    for action, pattern in _PRINCIPAL_TYPE_CONSTRAINTS:
        for match in pattern.finditer(condition):
            types = [value.strip().strip("'\"") for value in match.group(1).split(",") if value.strip()]
            extra = sorted({t for t in types if t.lower() not in allowed})
            if extra:
                problems.append(f"admits principal types {extra} for {action}")
    version = read(props, "conditionVersion")
    if not is_value(version, CONDITION_VERSION):
        problems.append(f"has conditionVersion {shown(version) if version is not UNKNOWN else 'unknown'}")
    if not problems:
        return None
    return f"{granted} with a condition that {'; '.join(dict.fromkeys(problems))}; expected {_EXPECTED_DELEGATION}"


role_assignment_constrained_delegation = resource_policy(
    name="azure-native-authorization-role-assignment-constrained-delegation",
    description="Role Based Access Control Administrator and User Access Administrator are granted only with a "
    "condition limiting which roles they assign, and to which principal types.",
    rationale=(
        "A holder of either role may write role assignments: unconditioned, a deployment identity could make itself "
        "(or anyone) Owner; conditioned on roles alone, it could still grant the platform's data roles to any "
        "individual user, outside the groups that MFA and access reviews cover."
    ),
    checks=(
        "When the role GUID taken from `roleDefinitionId` is Role Based Access Control Administrator "
        "(f58310d9-a9f6-439a-9e8d-f62e7b41a168) or User Access Administrator (18d7d88d-d35e-4fb5-a5c3-7773c20a72d9), "
        "`conditionVersion` is `2.0` and `condition` names the write and delete actions of role assignments and "
        "constrains, with `ForAnyOfAnyValues` expressions, both `@Request` and `@Resource` "
        "`Microsoft.Authorization/roleAssignments:RoleDefinitionId` and `PrincipalType`, the principal types staying "
        "within Group and ServicePrincipal."
    ),
    severity=Severity.HIGH,
    resource_types=[ROLE_ASSIGNMENT],
    check=delegation_problem,
    controls=Controls(mcsb=("PA-1", "PA-7")),
    remediation=(
        "Pass the grant's condition from delegation_condition() in components/roles.py (as blueprint/program/features/ci.py "
        "does for the CI deploy identity): it limits the roles to PLATFORM_ASSIGNED_ROLES and the principal types to "
        "Group and ServicePrincipal, for writes and deletes; components/role_assignments.py sets conditionVersion 2.0."
    ),
    url="https://learn.microsoft.com/azure/role-based-access-control/delegate-role-assignments-examples",
)


# --- Credentials of applications and service principals ---


def _credential_resource(props: Mapping[str, Any]) -> str | None:
    owner = "service principal" if "servicePrincipalId" in props else "application"
    return (
        f"a password or certificate credential is attached to an Entra ID {owner}; expected no stored credential: "
        "workloads sign in with federated identity credentials (OpenID Connect) or managed identities"
    )


def inline_password_problem(props: Mapping[str, Any]) -> str | None:
    if props.get("password") is None:
        return None
    return (
        "application defines an inline password credential (password); expected no password: sign in with "
        "federated identity credentials (OpenID Connect) instead"
    )


_CREDENTIAL_REMEDIATION = (
    "Remove the credential and sign in without a secret: CI uses components/ci_identity.py (GithubActionsIdentity, "
    "configured by `ci.repository` and `ci.environments` in the stack file), which creates federated identity "
    "credentials only; Azure workloads use managed identities."
)

credential_resources = resource_policy(
    name="azuread-application-credential-forbidden",
    description="No password or certificate credentials on Entra ID applications or service principals.",
    rationale=(
        "A client secret or certificate stored in CI can leak through a log, a fork or a compromised action and works "
        "from anywhere until it expires; workload identity federation leaves nothing to steal or rotate."
    ),
    checks=(
        "No resource of type ApplicationPassword, ServicePrincipalPassword, ApplicationCertificate or "
        "ServicePrincipalCertificate."
    ),
    severity=Severity.HIGH,
    resource_types=CREDENTIAL_TYPES,
    check=_credential_resource,
    controls=Controls(mcsb=("IM-3",)),
    remediation=_CREDENTIAL_REMEDIATION,
    url="https://learn.microsoft.com/entra/workload-id/workload-identity-federation",
)

application_inline_password = resource_policy(
    name="azuread-application-no-inline-password",
    description="Entra ID applications do not generate an inline password.",
    rationale=(
        "The `password` block of an application creates a client secret at creation time, stored in the Pulumi "
        "state and usable by anyone who reads it."
    ),
    checks="`password` is not set on `azuread:index/application:Application`.",
    severity=Severity.HIGH,
    resource_types=[APPLICATION],
    check=inline_password_problem,
    controls=Controls(mcsb=("IM-3",)),
    remediation=_CREDENTIAL_REMEDIATION,
    url="https://learn.microsoft.com/entra/workload-id/workload-identity-federation",
)


# --- Stack: every human principal holding a role is covered by an enforced MFA policy ---

_GROUP, _USER, _UNDECLARED = "group", "user", "undeclared"


@dataclass
class _Principal:
    """Whom role assignments grant to, as far as the stack can tell."""

    kind: str
    """``group``, ``user``, or ``undeclared`` (principalType missing or of another kind: it may be a person)."""
    resource: Any | None
    """The stack's own Group or User resource, when the stack creates the principal."""
    object_id: Any
    """A string when known, ``UNKNOWN`` during a real preview, None when the plan carries nothing usable."""
    declared_type: Any
    """The assignments' principalType as written (None when missing)."""
    assignments: list[Any] = field(default_factory=list)
    """The role assignments granting to it."""


def _object_id(resource: Any) -> str | Unknown | None:
    value = read(resource.props, "objectId")
    if value is None:
        value = read(resource.props, "id")
    return value if isinstance(value, str) or value is UNKNOWN else None


def _workload_object_id(resource: Any) -> Any:
    """A workload identity's object ID: a service principal's ``objectId``, a managed identity's ``principalId``."""
    return read(resource.props, "principalId" if resource.resource_type == USER_ASSIGNED_IDENTITY else "objectId")


def _same_id(a: Any, b: Any) -> bool:
    return isinstance(a, str) and isinstance(b, str) and a.lower() == b.lower()


def _listed(object_id: str, values: Any) -> bool:
    return isinstance(values, list) and object_id.lower() in {value.lower() for value in values}


def _own_workload(assignment: Any, principal_id: Any, workloads: Sequence[Any]) -> bool:
    """Whether the assignment's principal is a service principal or managed identity this stack creates."""
    linked = assignment.property_dependencies.get("principalId", [])
    if any(dependency.resource_type in WORKLOAD_TYPES for dependency in linked):
        return True
    return any(_same_id(_workload_object_id(workload), principal_id) for workload in workloads)


def _human_principals(resources: Sequence[Any]) -> list[_Principal]:
    """Every principal a role assignment grants to, except the stack's own workload identities (module docstring)."""
    people = [r for r in resources if r.resource_type in (GROUP, USER)]
    workloads = [r for r in resources if r.resource_type in WORKLOAD_TYPES]
    principals: dict[str, _Principal] = {}
    for assignment in (r for r in resources if r.resource_type == ROLE_ASSIGNMENT):
        declared = read(assignment.props, "principalType")
        principal_id = read(assignment.props, "principalId")
        if is_value(declared, "ServicePrincipal"):
            continue  # Azure refuses the assignment unless the principal really is a service principal
        kind = _GROUP if is_value(declared, "Group") else _USER if is_value(declared, "User") else _UNDECLARED
        if kind == _UNDECLARED and _own_workload(assignment, principal_id, workloads):
            continue
        types = {_GROUP: (GROUP,), _USER: (USER,), _UNDECLARED: (GROUP, USER)}[kind]
        linked = [d for d in assignment.property_dependencies.get("principalId", []) if d.resource_type in types]
        if not linked and isinstance(principal_id, str):
            linked = [r for r in people if r.resource_type in types and _same_id(_object_id(r), principal_id)]
        for resource in linked:
            linked_kind = _GROUP if resource.resource_type == GROUP else _USER
            principals.setdefault(resource.urn, _Principal(linked_kind, resource, _object_id(resource), declared))
            principals[resource.urn].assignments.append(assignment)
        if not linked:
            key = f"id:{principal_id.lower()}" if isinstance(principal_id, str) else f"assignment:{assignment.urn}"
            known = principal_id if isinstance(principal_id, str) or principal_id is UNKNOWN else None
            principals.setdefault(key, _Principal(kind, None, known, declared)).assignments.append(assignment)
    return list(principals.values())


def _covers(policy: Any, principal: _Principal) -> bool:
    """Whether the MFA ``policy`` applies to ``principal``: by object ID when both sides are known, else through the
    policy's dependency on the principal's resource, or a policy for all users."""
    included_users = _strings(read(policy.props, "conditions.users.includedUsers"))
    all_users = isinstance(included_users, list) and any(u.lower() == "all" for u in included_users)
    as_group = principal.kind in (_GROUP, _UNDECLARED)
    as_user = principal.kind in (_USER, _UNDECLARED)
    object_id = principal.object_id
    if isinstance(object_id, str):
        included = {
            "groups": _strings(read(policy.props, "conditions.users.includedGroups")) if as_group else [],
            "users": included_users if as_user else [],
        }
        excluded_groups = _strings(read(policy.props, "conditions.users.excludedGroups")) if as_group else []
        excluded_users = _strings(read(policy.props, "conditions.users.excludedUsers")) if as_user else []
        if _listed(object_id, excluded_groups) or _listed(object_id, excluded_users):
            return False
        if all_users or any(_listed(object_id, values) for values in included.values()):
            return True
        if all(isinstance(values, list) for values in included.values()):
            return False  # every list is known and none includes it
    linked = principal.resource is not None and any(
        dependency.urn == principal.resource.urn for dependency in policy.property_dependencies.get("conditions", [])
    )
    return linked or all_users


def _names(names: list[str]) -> str:
    ordered = sorted(names)
    shown_names = ", ".join(ordered[:3])
    return shown_names if len(ordered) <= 3 else f"{shown_names} and {len(ordered) - 3} more"


def _label(principal: _Principal) -> str:
    """How a violation names the principal: its display name when the stack creates it, else its object ID."""
    noun = {_GROUP: "Entra group", _USER: "Entra user"}.get(principal.kind, "Principal")
    if principal.resource is not None:
        display = read(principal.resource.props, "displayName")
        return f"{noun} {display if isinstance(display, str) else principal.resource.name}"
    notes = []
    if isinstance(principal.object_id, str):
        subject = f"{noun} {principal.object_id}"
        notes.append("not created by this stack")
    else:
        subject = f"{noun} whose object ID is not known until deployment"
    if principal.kind == _UNDECLARED:
        declared = principal.declared_type
        notes.append(
            "principalType "
            + ("not set" if declared is None else "unknown until deployment" if declared is UNKNOWN else shown(declared))
        )
    return f"{subject} ({'; '.join(notes)})" if notes else subject


_COVERAGE_EXPECTED = {
    _GROUP: "the group in conditions.users.includedGroups of such a policy",
    _USER: "the user's object ID in conditions.users.includedUsers (and not in excludedUsers) of such a policy, or "
    "includedUsers ['All']",
    _UNDECLARED: "its object ID in conditions.users.includedUsers or includedGroups of such a policy, or "
    "principalType 'ServicePrincipal' if it is a workload identity",
}


def _uncovered_principals(args: StackValidationArgs) -> Iterable[tuple[str | None, str]]:
    resources = list(args.resources)
    mfa_policies = [
        r for r in resources if r.resource_type == CONDITIONAL_ACCESS_POLICY and enforces_mfa_on_azure(r.props)
    ]
    for principal in _human_principals(resources):
        if any(_covers(policy, principal) for policy in mfa_policies):
            continue
        names = [assignment.name for assignment in principal.assignments]
        first = min(principal.assignments, key=lambda assignment: assignment.name)
        urn = principal.resource.urn if principal.resource is not None else first.urn
        yield urn, (
            f"{_label(principal)} holds role assignments ({_names(names)}) but no enabled Conditional Access policy "
            "requiring MFA for the Windows Azure Service Management API includes it; expected "
            f"{_COVERAGE_EXPECTED[principal.kind]}"
        )


principals_covered_by_mfa = stack_policy(
    name="azuread-conditional-access-policy-covers-role-groups",
    description="Every person holding a role (a group, a user, or a principal whose type is not declared and is not "
    "one of the stack's own workload identities) is included in an enforced MFA Conditional Access policy for Azure "
    "management.",
    rationale=(
        "Roles are granted to groups so that MFA can be required of exactly the people who hold them; a group left "
        "out of the policy, or a user granted a role directly (reported here even when its principal-type finding "
        "is waived), signs in with a password alone. A grant that does not declare its principal type may be to a "
        "person too, so only the stack's own workload identities and declared service principals are exempt."
    ),
    checks=(
        "For each role assignment, except those with principalType `ServicePrincipal` (Azure refuses an assignment "
        "whose declared type does not match the principal) and those of undeclared type whose principalId comes "
        "from a service principal or user-assigned identity of the stack (through `propertyDependencies.principalId` "
        "or an equal object ID), an enabled Conditional Access policy targeting the management API and requiring "
        "MFA includes the principal: by object ID in `conditions.users.includedGroups` (groups) or `includedUsers` "
        "(users; either one for an undeclared type) and not in the matching excluded list, or by `includedUsers` "
        "`All`, or through its `propertyDependencies.conditions` when object IDs are unknown."
    ),
    severity=Severity.HIGH,
    check=_uncovered_principals,
    controls=Controls(azure_policy=("4e6c27d5-a6ee-49cf-b2b4-d8fe90fa2b8b",), mcsb=("IM-6", "PA-7")),
    remediation=(
        "Grant people roles through persona groups (components/access_groups.py, roles from PERSONA_ROLES) and pass "
        f"every persona group's object ID to {_MFA_COMPONENT} (`included_group_ids`); groups referenced by ID "
        "(`access.existingGroups` in the stack file) must be included too, and never listed in "
        "`access.breakGlass.groupIds`. A user who must hold a role directly needs an MFA policy listing their object "
        "ID in includedUsers (or all users); a workload identity's grant declares principalType `ServicePrincipal`."
    ),
    url=_CA_URL,
    relaxed_in=("dev",),
)


POLICIES: list = [
    ca_enabled,
    ca_azure_management,
    ca_requires_mfa,
    role_assignment_principal,
    role_assignment_privileged_scope,
    role_assignment_constrained_delegation,
    credential_resources,
    application_inline_password,
    principals_covered_by_mfa,
]
