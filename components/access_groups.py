"""``AccessGroups``: one Entra ID security group per persona, the only principals human roles are granted to.

Access is managed by group membership, never by per-user role assignments: joining or leaving a team is one
membership change, and the roles a group carries come from ``PERSONA_ROLES`` in :mod:`components.roles`.
Organisations that already manage a persona's group elsewhere (an identity-governance tool, HR-driven
membership) pass its object ID instead, and no group is created for that persona.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
import pulumi_azuread as azuread

from components.naming import NamingArgs, ResourceKind, namer_for
from components.roles import Persona
from components.validators import is_guid


#: How each persona reads in a group description.
_LABELS: Mapping[Persona, str] = {
    Persona.DATA_SCIENTISTS: "Data scientists",
    Persona.ML_ENGINEERS: "ML engineers",
    Persona.PLATFORM_OPERATORS: "Platform operators",
    Persona.READERS: "Readers",
}


class AccessGroupsArgs(TypedDict):
    """Arguments of :class:`AccessGroups`."""

    naming: NamingArgs
    """How group names are derived."""
    location: str
    """Azure region of the platform (part of every name, although groups are tenant-wide)."""
    owners: NotRequired[Sequence[str]]
    """Object IDs of the owners of created groups; when empty, the deploying principal becomes the owner."""
    existing_group_ids: NotRequired[Mapping[str, str]]
    """Persona value (e.g. ``dataScientists``) -> object ID of a group managed elsewhere; none is created for it."""


class AccessGroups(pulumi.ComponentResource):
    """The persona groups of one platform environment: created security groups plus referenced existing ones."""

    group_ids: pulumi.Output[dict[str, str]]
    """Persona value -> group object ID, for every persona (created and existing)."""

    def __init__(self, name: str, args: AccessGroupsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplatform:index:AccessGroups", name, None, opts)
        naming = args["naming"]
        namer = namer_for(naming, args["location"])
        existing = _existing_groups(name, args.get("existing_group_ids") or {})
        owners = list(args.get("owners") or [])
        for owner in owners:
            if not is_guid(owner):
                raise ValueError(f"AccessGroups {name}: owner {owner!r} is not an object ID (a GUID)")

        self._ids: dict[Persona, pulumi.Output[str]] = {}
        for persona in Persona:
            if persona in existing:
                self._ids[persona] = pulumi.Output.from_input(existing[persona])
                continue
            group = azuread.Group(
                f"{name}-{persona.slug}",
                display_name=namer.name(ResourceKind.ENTRA_GROUP, persona.slug),
                description=(
                    f"{_LABELS[persona]} of the {naming['prefix']} ML platform ({naming['environment']}). "
                    "Membership grants the roles of this persona in the platform's persona matrix; managed by Pulumi."
                ),
                security_enabled=True,
                mail_enabled=False,
                # A name clash with a group made by hand would be confusing: fail instead of creating a twin.
                prevent_duplicate_names=True,
                # Role-assignable groups can hold Entra directory roles; these only ever carry Azure RBAC roles.
                assignable_to_role=False,
                owners=owners or None,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self._ids[persona] = group.object_id

        personas = list(self._ids)
        self.group_ids = pulumi.Output.all(*self._ids.values()).apply(
            lambda ids: {persona.value: object_id for persona, object_id in zip(personas, ids)}
        )
        self.register_outputs({"group_ids": self.group_ids})

    def group_id(self, persona: Persona) -> pulumi.Output[str]:
        """Object ID of ``persona``'s group, created or existing."""
        return self._ids[Persona(persona)]


def _existing_groups(name: str, given: Mapping[str, str]) -> dict[Persona, str]:
    """Check the referenced groups: known personas, object IDs that are GUIDs."""
    valid = {p.value for p in Persona}
    existing: dict[Persona, str] = {}
    for key, object_id in given.items():
        value = key.value if isinstance(key, Persona) else key
        if value not in valid:
            raise ValueError(
                f"AccessGroups {name}: existing_group_ids has unknown persona {key!r}; "
                f"expected one of {', '.join(sorted(valid))}"
            )
        persona = Persona(value)
        if not is_guid(object_id):
            raise ValueError(
                f"AccessGroups {name}: existing group for persona {persona.value!r} must be an object ID (a GUID), "
                f"got {object_id!r}"
            )
        existing[persona] = object_id
    return existing
