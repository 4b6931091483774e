"""Helpers the features' cross-key rules share: key paths, allow-lists, names that must not repeat, catalogs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from blueprint.program.config.errors import ConfigIssue, describe
from components import regions, vm_sizes
from components.cron import validate_cron
from components.firewall import allow_list_problems
from components.naming import RULES, ResourceKind, validate_name


def key_path(namespace: str, parts: Sequence[Any]) -> str:
    """``mlplatform:clusters[0].maxNodes`` from ``["clusters", 0, "maxNodes"]``."""
    if not parts:
        return f"{namespace}:"
    text = f"{namespace}:{parts[0]}"
    for part in parts[1:]:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def value_at(values: Mapping[str, Any], path: Sequence[Any]) -> Any:
    """The value at ``path``, or ``None`` where the path leads nowhere."""
    node: Any = values
    for part in path:
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return None
    return node


def allow_list_issues(project: str, path: list[Any], ranges: Sequence[str]) -> list[ConfigIssue]:
    """The floor every public allow-list keeps (components/firewall.py), reported on the entry that breaks it, or
    on the list when only the entries together admit too much."""
    return [
        ConfigIssue(key_path(project, path), problem.rule, problem.finding)
        if problem.index is None
        else ConfigIssue(key_path(project, [*path, problem.index]), problem.rule, f"{describe(ranges[problem.index])}, {problem.finding}")
        for problem in allow_list_problems(ranges)
    ]


def repeated_issues(project: str, values: Mapping[str, Any], path: list[Any], keys: list[tuple[Any, str]], expected: str) -> list[ConfigIssue]:
    """Items whose ``key`` (already folded as Azure, GitHub or Entra compare it) repeats an earlier item's: two of them
    would collide as one resource, or one would silently replace the other in the plan."""
    issues: list[ConfigIssue] = []
    seen: dict[str, Any] = {}
    for index, key in keys:
        if key in seen:
            issues.append(ConfigIssue(key_path(project, [*path, index]), f"{expected} (it repeats item {seen[key]})", describe(value_at(values, [*path, index]))))
        else:
            seen[key] = index
    return issues


def named_items(values: Mapping[str, Any], path: list[Any], field: str = "name") -> list[tuple[Any, str]]:
    """``(index, casefolded name)`` of the mappings in the list at ``path``."""
    return [(index, str(item.get(field, "")).casefold()) for index, item in enumerate(value_at(values, path) or []) if isinstance(item, Mapping)]


def region_key(region: Any) -> str:
    """A region as Azure compares it (``West Europe`` is ``westeurope``); anything else as written."""
    try:
        return regions.normalize_location(region)
    except (regions.UnknownRegionError, TypeError, AttributeError):
        return str(region)


def region_issues(project: str, path: list[Any], region: Any, example: str) -> list[ConfigIssue]:
    """A region name Azure does not know."""
    try:
        regions.normalize_location(region)
    except regions.UnknownRegionError:
        return [ConfigIssue(key_path(project, path), f"an Azure region name such as {example} (see components/regions.py)", describe(region))]
    return []


def vm_size_issues(project: str, path: list[Any], size: str, expected: str) -> list[ConfigIssue]:
    """A VM size missing from the catalog, with the closest names."""
    try:
        vm_sizes.lookup(size)
    except vm_sizes.UnknownVmSizeError as error:
        hint = f" (did you mean {' or '.join(error.suggestions)}?)" if error.suggestions else ""
        return [ConfigIssue(key_path(project, path), expected, describe(size) + hint)]
    return []


def name_issues(project: str, path: list[Any], kind: ResourceKind, name: str) -> list[ConfigIssue]:
    """A name Azure refuses for ``kind`` (components/naming.py holds the rules)."""
    return [ConfigIssue(key_path(project, path), RULES[kind].description, f"{describe(name)}, which {problem}") for problem in validate_name(kind, name)]


def cron_issues(project: str, path: list[Any], cron: str, example: str) -> list[ConfigIssue]:
    """A cron expression Azure ML schedules refuse (components/cron.py holds the rules)."""
    return [ConfigIssue(key_path(project, path), f"a five-field cron expression such as {example}", f"{describe(cron)}: {problem}") for problem in validate_cron(cron)]
