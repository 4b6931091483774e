"""A plan read back from its JSON form (docs/plan-format.md): what another process previewed, such as the base
commit's own code in ``blueprint report --base``, becomes a :class:`Plan` again, so the diff, the cost estimate and
the graph read it like a plan previewed here.

Strict on what the diff and the estimate rely on (every resource's URN, type, name, parent, inputs and outputs), so a
document that is not a plan is refused naming the key, what was expected and what was found, never half-read.
Keys the format adds later are ignored; a newer ``formatVersion`` is refused (a key may have changed meaning).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blueprint.tools.errors import UsageError
from blueprint.tools.preview.plan import PLAN_FORMAT_VERSION, Plan, PlannedResource


def plan_from_json(document: Any, where: str = "plan") -> Plan:
    """The :class:`Plan` a ``preview --json`` document describes; ``UsageError`` naming ``where`` and the key when it
    is not one."""
    if not isinstance(document, Mapping):
        raise UsageError(f"{where}: expected a plan (a JSON object), found {_kind(document)}")
    version = document.get("formatVersion")
    if version != PLAN_FORMAT_VERSION:
        raise UsageError(f"{where}: formatVersion: expected {PLAN_FORMAT_VERSION}, found {version!r}")
    resources = _field(document, "resources", list, where)
    return Plan(
        project=_field(document, "project", str, where),
        stack=_field(document, "stack", str, where),
        resources=[_resource(item, f"{where}: resources[{index}]") for index, item in enumerate(resources)],
        outputs=dict(_field(document, "outputs", Mapping, where, default={})),
        diagnostics=list(_field(document, "diagnostics", list, where, default=[])),
    )


def _resource(item: Any, where: str) -> PlannedResource:
    if not isinstance(item, Mapping):
        raise UsageError(f"{where}: expected a resource (a JSON object), found {_kind(item)}")
    parent = item.get("parent")
    if parent is not None and not isinstance(parent, str):
        raise UsageError(f"{where}.parent: expected a URN or null, found {_kind(parent)}")
    resource_id = item.get("id")
    if resource_id is not None and not isinstance(resource_id, str):
        raise UsageError(f"{where}.id: expected a string or null, found {_kind(resource_id)}")
    dependencies = _field(item, "dependencies", list, where, default=[])
    property_dependencies = _field(item, "propertyDependencies", Mapping, where, default={})
    return PlannedResource(
        urn=_field(item, "urn", str, where),
        type=_field(item, "type", str, where),
        name=_field(item, "name", str, where),
        parent=parent,
        custom=_field(item, "custom", bool, where),
        inputs=dict(_field(item, "inputs", Mapping, where, default={})),
        dependencies=[_string(urn, f"{where}.dependencies[{i}]") for i, urn in enumerate(dependencies)],
        property_dependencies={
            str(key): [_string(urn, f"{where}.propertyDependencies.{key}") for urn in _list(urns, f"{where}.propertyDependencies.{key}")]
            for key, urns in property_dependencies.items()
        },
        protect=_field(item, "protect", bool, where, default=False),
        id=resource_id,
        outputs=dict(_field(item, "outputs", Mapping, where, default={})),
        retain_on_delete=_field(item, "retainOnDelete", bool, where, default=False),
        operation=_field(item, "operation", str, where, default="create"),
        ignore_changes=[_string(path, f"{where}.ignoreChanges") for path in _field(item, "ignoreChanges", list, where, default=[])],
    )


_MISSING: Any = object()


def _field(document: Mapping[str, Any], key: str, kind: type, where: str, default: Any = _MISSING) -> Any:
    """``document[key]`` when it is a ``kind``; its default when absent and it has one; ``UsageError`` otherwise."""
    if key not in document:
        if default is _MISSING:
            raise UsageError(f"{where}: {key} is missing")
        return default
    value = document[key]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        at = f"{where}.{key}" if where.endswith("]") else f"{where}: {key}"  # in a resource, or at the top
        raise UsageError(f"{at}: expected {_KIND_NAMES.get(kind, kind.__name__)}, found {_kind(value)}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise UsageError(f"{where}: expected a list of URNs, found {_kind(value)}")
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise UsageError(f"{where}: expected a string, found {_kind(value)}")
    return value


_KIND_NAMES = {str: "a string", bool: "true or false", list: "a list", Mapping: "an object"}


def _kind(value: Any) -> str:
    """How a message names what was found: its JSON kind, and the value itself when short."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
