"""``RoleAssignments``: Azure RBAC grants from the persona matrix and workload identities, with guard rails.

Every assignment has a stable key, and its ARM name is a GUID derived from the key, so a re-run or a rebuilt state
finds the same assignment instead of adding a duplicate grant. Grants go to groups and service principals only
(individual users get access through group membership), and privileged roles (Owner, Contributor, User Access
Administrator) are refused at subscription or wider scope.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import authorization

from components.roles import GRANTABLE_PRINCIPAL_TYPES, PERSONA_ROLES, PRIVILEGED_ROLE_GUIDS, BuiltInRole, Grant, Persona, Scope

#: Principal types a role may be granted to. Users are left out on purpose: people get roles through groups.
ALLOWED_PRINCIPAL_TYPES = GRANTABLE_PRINCIPAL_TYPES

#: Namespace of the deterministic assignment names. Changing it renames (so re-creates) every assignment.
ASSIGNMENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "mlplatform:role-assignment")

#: Scopes at which privileged roles are refused: a subscription, a management group, the tenant root.
_BROAD_SCOPE_RE = re.compile(
    r"^(?:/subscriptions/[^/]+|/providers/Microsoft\.Management/managementGroups/[^/]+|)/?$", re.IGNORECASE
)


class Assignment(TypedDict):
    """One role assignment to make."""

    key: str
    """Stable, human-readable identity, e.g. ``dataScientists/AzureML Data Scientist/workspace``; names the grant."""
    principal_id: pulumi.Input[str]
    """Object ID of the group or service principal."""
    principal_type: str
    """``Group`` or ``ServicePrincipal``; anything else is refused."""
    role: BuiltInRole
    """The built-in role granted."""
    scope: pulumi.Input[str]
    """Resource ID the role is granted on."""
    condition: NotRequired[str]
    """ABAC condition narrowing the grant (condition version 2.0)."""
    description: NotRequired[str]
    """Why the grant exists, shown in the portal."""


class RoleAssignmentsArgs(TypedDict):
    """Arguments of :class:`RoleAssignments`."""

    assignments: Sequence[Assignment]
    """The grants to make; keys must be unique."""
    seed: str
    """Project and stack (``project/stack``): keeps assignment names distinct across stacks."""


class RoleAssignments(pulumi.ComponentResource):
    """A set of Azure RBAC role assignments with deterministic names.

    Scopes given as plain strings are checked when the component is built. Scopes given as outputs are expected to
    come from resources of the platform (a workspace's or vault's ``id``), never from the subscription; privileged
    roles on an output scope are checked again when the scope resolves, so a subscription ID slipping through
    still fails the deployment.
    """

    assignment_ids: pulumi.Output[list[str]]
    """Resource IDs of the role assignments, in the order given."""

    def __init__(self, name: str, args: RoleAssignmentsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplatform:index:RoleAssignments", name, None, opts)
        seed = args["seed"]
        if not isinstance(seed, str) or not seed.strip():
            raise ValueError(f"RoleAssignments {name}: seed must be a non-empty string such as 'mlplatform/prod'")
        assignments = [_checked(name, a) for a in args["assignments"]]
        _check_unique(name, assignments)

        created: list[authorization.RoleAssignment] = []
        if assignments:
            client = authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=self))
            for assignment in assignments:
                role = assignment["role"]
                scope = assignment["scope"]
                if _is_privileged(role) and not isinstance(scope, str):
                    scope = pulumi.Output.from_input(scope).apply(lambda s, a=assignment: _check_scope(name, a, s))
                condition = assignment.get("condition")
                created.append(
                    authorization.RoleAssignment(
                        f"{name}-{_slug(assignment['key'])}",
                        role_assignment_name=assignment_name(seed, assignment["key"]),
                        principal_id=assignment["principal_id"],
                        principal_type=assignment["principal_type"],
                        role_definition_id=client.subscription_id.apply(role.definition_id),
                        scope=scope,
                        description=assignment.get("description"),
                        condition=condition,
                        condition_version="2.0" if condition else None,
                        # ARM cannot change an assignment's principal, role or scope in place, and the name is fixed:
                        # a replacement must delete the old assignment before creating its successor.
                        opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
                    )
                )

        self.assignment_ids = pulumi.Output.all(*[a.id for a in created]).apply(list)
        self.register_outputs({"assignment_ids": self.assignment_ids})


def assignment_name(seed: str, key: str) -> str:
    """The role assignment's ARM name: a GUID that depends only on the stack and the key."""
    return str(uuid.uuid5(ASSIGNMENT_NAMESPACE, f"{seed}\n{key}"))


def persona_assignments(
    group_ids: Mapping[Persona, pulumi.Input[str]],
    scopes: Mapping[Scope, pulumi.Input[str]],
) -> list[Assignment]:
    """Expand ``PERSONA_ROLES`` into assignments to the persona groups.

    Grants on a scope missing from ``scopes`` are skipped (e.g. no ML registry yet); every persona of the matrix
    must have a group, since silently dropping a persona's access would be hard to notice.
    """
    missing = [p.value for p in PERSONA_ROLES if p not in group_ids]
    if missing:
        raise ValueError(f"persona_assignments: no group ID for persona(s) {', '.join(missing)}")
    return [
        _from_grant(persona.value, group_ids[persona], "Group", grant, scopes[grant.scope])
        for persona, grants in PERSONA_ROLES.items()
        for grant in grants
        if grant.scope in scopes
    ]


def identity_assignments(
    prefix: str,
    principal_id: pulumi.Input[str],
    grants: Sequence[Grant],
    scopes: Mapping[Scope, pulumi.Input[str]],
) -> list[Assignment]:
    """Assignments of ``grants`` to a workload identity (a managed identity's service principal).

    ``prefix`` names the identity in the keys (e.g. ``workspace`` or ``compute/gpu-t4``); grants on scopes missing
    from ``scopes`` are skipped.
    """
    return [
        _from_grant(prefix, principal_id, "ServicePrincipal", grant, scopes[grant.scope])
        for grant in grants
        if grant.scope in scopes
    ]


def _from_grant(
    prefix: str, principal_id: pulumi.Input[str], principal_type: str, grant: Grant, scope: pulumi.Input[str]
) -> Assignment:
    return Assignment(
        key=f"{prefix}/{grant.role.value}/{grant.scope.value}",
        principal_id=principal_id,
        principal_type=principal_type,
        role=grant.role,
        scope=scope,
        description=grant.why,
    )


def _is_privileged(role: BuiltInRole) -> bool:
    return role.definition_guid in PRIVILEGED_ROLE_GUIDS


def privileged_at_broad_scope(role: BuiltInRole, scope: str) -> bool:
    """Whether granting ``role`` on ``scope`` is refused: a privileged role on a subscription or wider scope."""
    return _is_privileged(BuiltInRole(role)) and _BROAD_SCOPE_RE.match(scope) is not None


def _checked(name: str, assignment: Assignment) -> Assignment:
    """Validate one assignment; return a copy with the role as a :class:`BuiltInRole`."""
    key = assignment.get("key")
    if not isinstance(key, str) or not _slug(key):
        raise ValueError(f"RoleAssignments {name}: every assignment needs a key with letters or digits, got {key!r}")
    principal_type = assignment.get("principal_type")
    if principal_type not in ALLOWED_PRINCIPAL_TYPES:
        raise ValueError(
            f"RoleAssignments {name}: assignment {key!r} has principal type {principal_type!r}; roles go only to "
            f"{' or '.join(ALLOWED_PRINCIPAL_TYPES)} (people get access through their persona group, never directly)"
        )
    try:
        role = BuiltInRole(assignment["role"])
    except ValueError:
        raise ValueError(
            f"RoleAssignments {name}: assignment {key!r} has unknown role {assignment['role']!r}"
        ) from None
    checked = Assignment(**{**assignment, "role": role})  # type: ignore[typeddict-item]
    scope = assignment["scope"]
    if isinstance(scope, str):
        if not scope.startswith("/"):
            raise ValueError(f"RoleAssignments {name}: assignment {key!r} has scope {scope!r}, not a resource ID")
        _check_scope(name, checked, scope)
    return checked


def _check_scope(name: str, assignment: Assignment, scope: str) -> str:
    """Refuse a privileged role at subscription (or wider) scope; return the scope unchanged otherwise."""
    role = BuiltInRole(assignment["role"])
    if privileged_at_broad_scope(role, scope):
        raise ValueError(
            f"RoleAssignments {name}: assignment {assignment['key']!r} grants privileged role "
            f"{PRIVILEGED_ROLE_GUIDS[role.definition_guid]} at subscription (or wider) scope {scope!r}; "
            "grant it on a resource or resource group instead"
        )
    return scope


def _check_unique(name: str, assignments: Sequence[Assignment]) -> None:
    """Keys name the assignments, so they must be unique, and so must the resource names derived from them.

    The same grant under two keys is refused too when it can be seen now (plain strings): ARM would reject the
    second one as an existing role assignment halfway through the deployment.
    """
    by_slug: dict[str, str] = {}
    by_grant: dict[tuple[str, str, str], str] = {}
    for assignment in assignments:
        key = assignment["key"]
        slug = _slug(key)
        if slug in by_slug:
            other = by_slug[slug]
            if other == key:
                raise ValueError(f"RoleAssignments {name}: duplicate key {key!r}")
            raise ValueError(f"RoleAssignments {name}: keys {other!r} and {key!r} give the same resource name {slug!r}")
        by_slug[slug] = key
        principal, scope = assignment["principal_id"], assignment["scope"]
        if isinstance(principal, str) and isinstance(scope, str):
            grant = (principal.lower(), assignment["role"].definition_guid, scope.rstrip("/").lower())
            if grant in by_grant:
                raise ValueError(
                    f"RoleAssignments {name}: keys {by_grant[grant]!r} and {key!r} make the same grant "
                    f"({assignment['role'].value} on {scope} to {principal})"
                )
            by_grant[grant] = key


def _slug(key: str) -> str:
    """Pulumi resource name part of a key: lowercase letters and digits joined by hyphens."""
    return "-".join(re.findall("[a-z0-9]+", key.lower()))
