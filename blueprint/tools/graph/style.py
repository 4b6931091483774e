"""What every drawing of a graph shares: short identifiers for boxes and groups, colours by kind, how a change's
status (added, changed, removed) maps onto boxes and lines. One place, so Mermaid, SVG and the HTML legend agree."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from blueprint.tools.graph.model import ACCESS, CONTAINS, NETWORK, REFERENCE, Edge, Node

STATUSES = ("added", "changed", "removed")

#: Fill and border of a box by kind, and what the legend calls it.
KIND_COLOURS: dict[str, tuple[str, str, str]] = {
    "ml": ("#e8f0fe", "#1a73e8", "Azure ML"),
    "data": ("#e6f4ea", "#188038", "data and images"),
    "network": ("#fef7e0", "#b06000", "network"),
    "identity": ("#f3e8fd", "#8430ce", "identity"),
    "security": ("#fce8e6", "#c5221f", "security"),
    "monitoring": ("#e4f7fb", "#007b83", "monitoring"),
    "cost": ("#f1f3f4", "#5f6368", "cost"),
    "group": ("#ffffff", "#5f6368", "resource group, deployment"),
    "external": ("#ffffff", "#80868b", "outside the stack"),
    "other": ("#ffffff", "#5f6368", "other"),
}

#: Colour and what the legend says of a line by kind.
EDGE_COLOURS: dict[str, tuple[str, str]] = {
    CONTAINS: ("#5f6368", "contains"),
    NETWORK: ("#b06000", "network path (private endpoint, DNS, link)"),
    ACCESS: ("#8430ce", "access: principal to scope, labelled with the roles"),
    REFERENCE: ("#80868b", "reference: uses or reports to"),
}

#: Fill and border of a box (or colour of a line) a change touches.
STATUS_COLOURS: dict[str, tuple[str, str]] = {
    "added": ("#d4f8d4", "#1a7f37"),
    "changed": ("#fff4c2", "#9a6700"),
    "removed": ("#ffe0e0", "#cf222e"),
}


def short_ids(keys: Iterable[str], prefix: str) -> dict[str, str]:
    """A safe identifier per key (``prefix`` + hex of its SHA-256), as short as keeps them apart: stable when
    other boxes come and go, so two drawings of related plans differ only where the plans do."""
    unique = sorted(set(keys))
    for length in range(8, 65, 4):
        ids = {key: prefix + hashlib.sha256(key.encode()).hexdigest()[:length] for key in unique}
        if len(set(ids.values())) == len(ids):
            return ids
    raise AssertionError("SHA-256 prefixes of distinct keys cannot all collide")  # pragma: no cover


def group_key(path: tuple[str, ...]) -> str:
    return "\x1f".join(path)


def node_status(node: Node, status: Mapping[str, str] | None) -> str | None:
    """The box's own status; for a part of a resource (a managed network) its resource's; ``changed`` when only
    some of what the box stands for changed (configuration folded into it)."""
    if not status:
        return None
    if node.key in status:
        return _checked(status[node.key])
    touched = {_checked(status[urn]) for urn in node.resources if urn in status}
    if not touched:
        return None
    return touched.pop() if len(touched) == 1 and all(urn in status for urn in node.resources) else "changed"


def edge_status(edge: Edge, status: Mapping[str, str] | None) -> str | None:
    """A line's status: that of the resources it was made from when they agree, ``changed`` otherwise."""
    if not status:
        return None
    touched = {_checked(status[urn]) for urn in edge.resources if urn in status}
    if not touched:
        return None
    return touched.pop() if len(touched) == 1 and all(urn in status for urn in edge.resources) else "changed"


def _checked(value: str) -> str:
    if value not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, found {value!r}")
    return value


def node_lines(node: Node) -> list[str]:
    """The box's text, one line each: its label, then the configuration folded into it."""
    lines = node.label.split("\n")
    if node.notes:
        lines.append("+ " + ", ".join(node.notes))
    return lines
