"""The plan an offline preview produces: every resource the program registers, with the inputs the engine and
CrossGuard would see. The JSON form is documented in docs/plan-format.md.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from blueprint.program.stack_facts import ENVIRONMENT
from blueprint.tools.atomic_files import write_atomic

PLAN_FORMAT_VERSION = 1


@dataclass
class PlannedResource:
    """One registration: a custom resource (a cloud resource) or a component (a grouping)."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    id: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    retain_on_delete: bool = False
    """Pulumi leaves the cloud resource in place when it leaves the program (immutable versions, for instance)."""
    operation: str = "create"
    """``create``, or ``read`` for resources the program only reads (a StackReference, ``Resource.get``)."""
    ignore_changes: list[str] = field(default_factory=list)
    """Input paths whose later changes Pulumi does not send (the engine's ``ignoreChanges``)."""

    @property
    def physical_name(self) -> str | None:
        """The name Azure sees: ARM's ``name``, or an Entra object's ``displayName``; ``None`` for components."""
        if not self.custom:
            return None
        name = self.outputs.get("name", self.outputs.get("displayName"))
        return name if isinstance(name, str) else None

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "operation": self.operation,
            "protect": self.protect,
            "retainOnDelete": self.retain_on_delete,
            **({"ignoreChanges": self.ignore_changes} if self.ignore_changes else {}),
            "id": self.id,
            "physicalName": self.physical_name,
            "inputs": self.inputs,
            "dependencies": self.dependencies,
            "propertyDependencies": self.property_dependencies,
            "outputs": self.outputs,
        }


@dataclass
class Plan:
    """What a stack would create, in registration order."""

    project: str
    stack: str
    resources: list[PlannedResource]
    outputs: dict[str, Any] = field(default_factory=dict)
    diagnostics: list[dict[str, str]] = field(default_factory=list)

    @property
    def environment(self) -> str | None:
        """The stack's environment as the program exports it (``stack_facts.ENVIRONMENT``), ``None`` when it exports
        none: which pack config applies, and a word the diff reads as the stack's own name."""
        value = self.outputs.get(ENVIRONMENT)
        return value if isinstance(value, str) else None

    def of_type(self, type_token: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_token]

    def counts_by_type(self) -> Counter[str]:
        return Counter(r.type for r in self.resources)

    def to_json(self) -> dict[str, Any]:
        return {
            "formatVersion": PLAN_FORMAT_VERSION,
            "project": self.project,
            "stack": self.stack,
            "resources": [r.to_json() for r in self.resources],
            "outputs": self.outputs,
            "diagnostics": self.diagnostics,
        }


def in_dependency_order(resources: list[PlannedResource]) -> list[PlannedResource]:
    """A deterministic order: parents and dependencies first, ties broken by type and name.

    The mock monitor sees registrations in whatever order the SDK's threads deliver them; a plan must not
    depend on that.
    """
    by_urn = {r.urn: r for r in resources}
    needs = _ordering_needs(resources)
    placed: set[str] = set()
    ordered: list[PlannedResource] = []
    pending = sorted(resources, key=lambda r: (r.type != "pulumi:pulumi:Stack", r.type, r.name))
    while pending:
        for index, resource in enumerate(pending):
            if all(u in placed or u not in by_urn for u in needs[resource.urn]):
                break
        else:  # a cycle cannot come from the engine; keep going rather than loop forever
            index = 0
        resource = pending.pop(index)
        placed.add(resource.urn)
        ordered.append(resource)
    return ordered


def _ordering_needs(resources: list[PlannedResource]) -> dict[str, set[str]]:
    """What must come before each resource: its parent, its dependencies, and for a component whatever its
    descendants depend on outside it (so a cluster component is listed after the workspace it uses)."""
    children: dict[str | None, list[PlannedResource]] = {}
    for resource in resources:
        children.setdefault(resource.parent, []).append(resource)

    def descendants(urn: str) -> list[PlannedResource]:
        found = []
        for kid in children.get(urn, []):
            found += [kid, *descendants(kid.urn)]
        return found

    needs: dict[str, set[str]] = {}
    for resource in resources:
        wanted = {resource.parent, *resource.dependencies} - {None, resource.urn}
        if not resource.custom:
            inner = descendants(resource.urn)
            inside = {r.urn for r in inner}
            wanted |= {dep for r in inner for dep in r.dependencies} - inside - {resource.urn}
            wanted -= {a for a in wanted if is_ancestor(a, resource, {r.urn: r for r in resources})}
        needs[resource.urn] = {u for u in wanted if u is not None}
    return needs


def is_ancestor(urn: str, resource: PlannedResource, by_urn: dict[str, PlannedResource]) -> bool:
    """Whether ``urn`` is ``resource``'s parent, or its parent's, and so on up the plan's tree."""
    parent = resource.parent
    while parent is not None:
        if parent == urn:
            return True
        parent = by_urn[parent].parent if parent in by_urn else None
    return False


def write_json(document: dict[str, Any], path: Path) -> None:
    """Write ``document`` atomically: a reader (or a crash, or Ctrl-C) never sees a half-written file."""
    write_atomic(path, json.dumps(document, indent=2, sort_keys=False) + "\n", create_parents=True)
