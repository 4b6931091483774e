"""``blueprint diff STACK_A STACK_B``: what promoting from one stack to another changes.

Both stacks are previewed offline (the real program under the ARM mocks) and their plans compared.

**Matching by role.** A resource is identified by its *role*: its URN without the stack and project parts, i.e.
its type chain (the types of its parents and its own) and its logical name, e.g.
``mlplatform:index:MlWorkspace$azure-native:machinelearningservices:Workspace::platform-mlw``. Physical names never
take part in matching: they carry a per-stack environment code and hash and always differ. The root stack
resource is always matched with the other root; a resource whose logical name contains its stack (or environment)
name, like a ``ci-github-env-staging`` federated credential, is matched with the other stack's resource whose
name has the other stack's name in the same place, when that pairing is unambiguous.

**Normalisation.** Before comparing, each plan's values are rewritten so that references to the plan's own
resources read the same in both plans: the resource ID, the physical name and the generated identifiers (GUID
outputs such as ``principalId`` or ``clientId``) of every resource become a *role token*, e.g.
``<machinelearningservices:Workspace platform-mlw>`` for the workspace's ID and ``<...>.name`` for its name.
IDs are also replaced inside longer strings (a child resource's ID, a Studio URL) and distinctive names inside
hosts and URIs. A value shared by several resources is only replaced in those resources' own properties; a value
spelt the same in both plans is left as it is (nothing to normalise). What remains different is a setting:
location, tags, SKUs, node counts, network settings, retention, traffic split, model versions... Compared are a
resource's inputs, its ``(protect)`` and ``(retainOnDelete)`` options, and for the root stack its outputs
(``outputs.networkMode``); components carry no inputs and only count as identical or only-in-one.

Strings that differ only by the stack's name inside longer text (descriptions, display names, a federated
credential's subject) are flagged ``namingOnly`` and summarised on one line per resource in the text output; a
value that *is* the stack's name (``tags.environment``) is a real change.

**Output.** Text: a header, a summary line, the resources only in each stack (type and logical path: the logical
names of its parents and its own), the changed properties per resource (``path: a -> b``) and, when both plans
can be priced, the monthly cost of each and the difference. ``--json``: the same content as this document::

    {
      "formatVersion": 1,
      "project": "mlplatform",
      "stacks": {"a": "staging", "b": "prod"},
      "summary": {"onlyInA": 7, "onlyInB": 50, "changed": 60, "identical": 20},
      "onlyInA": [{"role": ..., "type": ..., "path": ..., "custom": true}],
      "onlyInB": [...],
      "changed": [{"role": ..., "roleB": ... (only when matched by stack name), "type": ..., "path": ...,
                   "changes": [{"path": "properties.publicNetworkAccess", "a": "Enabled", "b": "Disabled",
                                "namingOnly": false}]}],
      "cost": null | {"currency": "USD", "a": {"fixedMonthly": ..., "peakMonthly": ..., "budget": ...},
                      "b": {...}, "delta": {"fixedMonthly": ..., "peakMonthly": ...}}
    }

A change's ``a`` or ``b`` key is omitted when the property is absent on that side. Lists are sorted by logical
path then type, changes by property path: the document and the text are byte-identical across runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from blueprint.tools.cost import CostEstimate
    from blueprint.tools.preview.plan import Plan, PlannedResource

FORMAT_VERSION = 1
STACK_TYPE = "pulumi:pulumi:Stack"
STACK_PLACEHOLDER = "{stack}"
COMMON_MIN = 3
"""A change found identically on at least this many resources, and on at least half of the changed ones, is
named once in the text ("on 19 resources: tags.environment: staging -> prod") instead of under each."""
MAX_VALUE_WIDTH = 70
"""Longer rendered values are cut in the text output (the JSON carries them whole)."""
MIN_SUBSTRING_NAME = 8
"""Physical names shorter than this are only replaced as whole values, never inside longer strings ("blue",
"default" would otherwise be rewritten inside unrelated text)."""

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$|^\([A-Za-z]+\)$")
"""Keys written as ``a.key`` in a path; others as ``a["key.with.dots"]``. ``(protect)`` names a resource option."""
_ABSENT: Any = object()


# --------------------------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One property that differs; ``a``/``b`` are normalised values, ``_ABSENT`` when the side lacks it."""

    path: str
    a: Any
    b: Any
    naming_only: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path}
        if self.a is not _ABSENT:
            out["a"] = self.a
        if self.b is not _ABSENT:
            out["b"] = self.b
        out["namingOnly"] = self.naming_only
        return out


@dataclass(frozen=True)
class RoleRef:
    """A resource as the diff names it: its role key, type, logical path and whether it is a cloud resource."""

    role: str
    type: str
    path: str
    custom: bool

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role, "type": self.type, "path": self.path, "custom": self.custom}


@dataclass(frozen=True)
class ResourceDiff:
    """A role both stacks have, with the properties that differ (``role_b`` set when matched by stack name)."""

    ref: RoleRef
    changes: tuple[Change, ...]
    role_b: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = self.ref.to_json()
        del out["custom"]
        if self.role_b is not None:
            out["roleB"] = self.role_b
        out["changes"] = [change.to_json() for change in self.changes]
        return out


@dataclass(frozen=True)
class CostSide:
    """The totals of one stack's cost estimate that a promotion review compares."""

    fixed_monthly: float
    peak_monthly: float
    budget: float | None


@dataclass(frozen=True)
class CostComparison:
    currency: str
    retrieved: str
    a: CostSide
    b: CostSide


@dataclass
class StackDiff:
    """Everything ``blueprint diff`` reports."""

    project: str
    stack_a: str
    stack_b: str
    only_a: list[RoleRef] = field(default_factory=list)
    only_b: list[RoleRef] = field(default_factory=list)
    changed: list[ResourceDiff] = field(default_factory=list)
    identical: int = 0
    cost: CostComparison | None = None

    @property
    def no_differences(self) -> bool:
        return not (self.only_a or self.only_b or self.changed)

    def to_json(self) -> dict[str, Any]:
        return {
            "formatVersion": FORMAT_VERSION,
            "project": self.project,
            "stacks": {"a": self.stack_a, "b": self.stack_b},
            "summary": {"onlyInA": len(self.only_a), "onlyInB": len(self.only_b), "changed": len(self.changed),
                        "identical": self.identical},
            "onlyInA": [ref.to_json() for ref in self.only_a],
            "onlyInB": [ref.to_json() for ref in self.only_b],
            "changed": [diff.to_json() for diff in self.changed],
            "cost": _cost_json(self.cost),
        }


# --------------------------------------------------------------------------------------------------------------
# Roles
# --------------------------------------------------------------------------------------------------------------


def role_key(resource: PlannedResource) -> str:
    """The URN without ``urn:pulumi:<stack>::<project>::``: type chain and logical name, the same in every stack.

    The root stack's logical name is ``<project>-<stack>``, so its role is its type alone.
    """
    if resource.type == STACK_TYPE and resource.parent is None:
        return STACK_TYPE
    parts = resource.urn.split("::", 3)
    return f"{parts[2]}::{parts[3]}" if len(parts) == 4 else resource.urn


def short_type(type_token: str) -> str:
    """``azure-native:network:PrivateEndpoint`` -> ``network:PrivateEndpoint``; ``azuread:index/group:Group`` ->
    ``azuread:Group``: enough to read a token, the role key stays the full truth."""
    provider, _, rest = type_token.partition(":")
    module, _, name = rest.rpartition(":")
    if provider == "azure-native" and module:
        return f"{module}:{name}"
    return f"{provider}:{name or rest}"


def logical_paths(plan: Plan) -> dict[str, str]:
    """URN -> logical names of the resource's ancestors and its own, ``/``-joined, the root stack left out."""
    by_urn = {r.urn: r for r in plan.resources}
    paths: dict[str, str] = {}
    for resource in plan.resources:
        names = []
        current: PlannedResource | None = resource
        while current is not None and not (current.type == STACK_TYPE and current.parent is None):
            names.append(current.name)
            current = by_urn.get(current.parent) if current.parent else None
        paths[resource.urn] = "/".join(reversed(names)) or resource.name
    return paths


def stack_names(plan: Plan) -> tuple[str, ...]:
    """The words a plan uses for its own stack: the stack name and the ``environment`` output when it has one,
    longest first (so ``staging-eu`` is replaced before ``staging``)."""
    names = {plan.stack}
    if plan.environment:
        names.add(plan.environment)
    return tuple(sorted(names, key=lambda n: (-len(n), n)))


def _without_stack_name(text: str, names: Iterable[str]) -> str:
    """``text`` with whole-word occurrences of the stack's names replaced by ``{stack}``."""
    for name in names:
        text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", STACK_PLACEHOLDER, text)
    return text


def match_roles(plan_a: Plan, plan_b: Plan) -> tuple[dict[str, str], list[str], list[str]]:
    """Pair the resources of both plans: ``({role in A: role in B}, roles only in A, roles only in B)``.

    Exact role keys first; then, among the rest, keys equal once each plan's stack names are replaced by a
    placeholder, when exactly one resource on each side has that key (never a guess between several).
    """
    roles_a = {role_key(r) for r in plan_a.resources}
    roles_b = {role_key(r) for r in plan_b.resources}
    pairs = {role: role for role in sorted(roles_a & roles_b)}
    aliases_a = _unique_aliases(roles_a - roles_b, stack_names(plan_a))
    aliases_b = _unique_aliases(roles_b - roles_a, stack_names(plan_b))
    for alias in sorted(aliases_a.keys() & aliases_b.keys()):
        pairs[aliases_a[alias]] = aliases_b[alias]
    matched_b = set(pairs.values())
    return pairs, sorted(roles_a - pairs.keys()), sorted(roles_b - matched_b)


def _unique_aliases(roles: Iterable[str], names: tuple[str, ...]) -> dict[str, str]:
    """``{role with the stack names replaced: role}`` for the roles that contain a stack name and whose alias no
    other role shares."""
    found: dict[str, list[str]] = {}
    for role in roles:
        alias = _without_stack_name(role, names)
        if alias != role:
            found.setdefault(alias, []).append(role)
    return {alias: roles_[0] for alias, roles_ in found.items() if len(roles_) == 1}


# --------------------------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------------------------


def role_token(resource: PlannedResource, role: str) -> str:
    """How a reference to ``resource`` reads after normalisation; the same for the same role in every stack.

    ``role`` is the role key the pairing uses (the other stack's key for a resource matched by stack name), so
    both sides of a pair get the same token.
    """
    name = role.rsplit("::", 1)[-1] if "::" in role else resource.name
    return f"<{short_type(resource.type)} {name}>"


def _identifiers(resource: PlannedResource, token: str, *, paired: bool = True) -> dict[str, str]:
    """The values that stand for ``resource`` in its stack: its ID, its physical name and the GUIDs it generates
    (outputs such as ``principalId`` that are not echoes of its own inputs), each with its token.

    The physical name of a resource the other stack lacks is only taken when it looks generated (long, and not
    its logical name): a plain name such as ``green`` or ``gpu-a100`` reads better as it is.
    """
    found: dict[str, str] = {}
    if resource.id:
        found[resource.id] = token
    name = resource.physical_name
    if name and (paired or (len(name) >= MIN_SUBSTRING_NAME and name != resource.name)):
        found.setdefault(name, f"{token}.name")
    echoed = set(_strings(resource.inputs))
    for key, value in sorted(_keyed_strings(resource.outputs)):
        if _GUID.match(value) and value not in echoed:
            found.setdefault(value, f"{token}.{key}")
    return found


def _strings(value: Any) -> Iterable[str]:
    """Every string in a nested value, dictionary keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _keyed_strings(value: Any, key: str = "") -> Iterable[tuple[str, str]]:
    """``(innermost key, string)`` for every string leaf of a nested value."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, Mapping):
        for name, item in value.items():
            yield from _keyed_strings(item, str(name) if _PLAIN_KEY.match(str(name)) else key)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _keyed_strings(item, key)


class Normaliser:
    """Rewrites one plan's values so that references to its own resources read as role tokens."""

    def __init__(self, plan: Plan, roles: Mapping[str, str], other: Plan, paired: Iterable[str] = ()) -> None:
        """``roles``: URN -> the role key whose token stands for it; ``other``: the plan compared with, whose
        identifiers are left alone when spelt the same here (a shared value needs no normalising); ``paired``:
        the URNs of resources the other plan has too."""
        paired = set(paired)
        other_values = set()
        for resource in other.resources:
            if resource.custom:
                other_values |= set(_identifiers(resource, "").keys())
        self._own: dict[str, dict[str, str]] = {}
        owners: dict[str, set[str]] = {}
        tokens: dict[str, str] = {}
        for resource in plan.resources:
            if not resource.custom:
                continue
            token = role_token(resource, roles[resource.urn])
            ids = {v: t for v, t in _identifiers(resource, token, paired=resource.urn in paired).items()
                   if v not in other_values}
            self._own[resource.urn] = ids
            for value, token in ids.items():
                owners.setdefault(value, set()).add(resource.urn)
                tokens[value] = token
        self._tokens = {value: tokens[value] for value, urns in owners.items() if len(urns) == 1}
        self._pattern = _inner_pattern(self._tokens)

    def value(self, value: Any, owner: str | None = None) -> Any:
        """``value`` normalised; ``owner`` is the URN of the resource it belongs to (its own names are replaced
        even when other resources share them, like several diagnostic settings with one name)."""
        own = self._own.get(owner, {}) if owner else {}
        return self._walk(value, own)

    def _walk(self, value: Any, own: Mapping[str, str]) -> Any:
        if isinstance(value, str):
            return self._string(value, own)
        if isinstance(value, Mapping):
            return {self._string(str(k), own): self._walk(v, own) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._walk(item, own) for item in value]
        return value

    def _string(self, text: str, own: Mapping[str, str]) -> str:
        if text in own:
            return own[text]
        if text in self._tokens:
            return self._tokens[text]
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self._tokens[m.group(0)], text)


def _inner_pattern(tokens: Mapping[str, str]) -> re.Pattern[str] | None:
    """One regular expression for the identifiers replaced inside longer strings, longest first, in one pass
    (so a token is never rewritten again): IDs wherever they end at a segment boundary (a child's ID, a Studio
    URL), and long names only as whole words (a host name, a URI)."""
    ids = sorted((v for v in tokens if v.startswith("/")), key=lambda v: (-len(v), v))
    names = sorted((v for v in tokens if not v.startswith("/") and len(v) >= MIN_SUBSTRING_NAME), key=lambda v: (-len(v), v))
    parts = []
    if ids:
        parts.append("(?:" + "|".join(map(re.escape, ids)) + ")(?![A-Za-z0-9_-])")
    if names:
        parts.append("(?<![A-Za-z0-9_.-])(?:" + "|".join(map(re.escape, names)) + ")(?![A-Za-z0-9_-])")
    return re.compile("|".join(parts)) if parts else None


# --------------------------------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------------------------------


def compare_values(a: Any, b: Any, path: str = "") -> list[Change]:
    """The leaf-most differences between two normalised values, with dotted/indexed paths.

    A subtree present on one side only is reported once, at its root. Lists of objects that all carry a
    distinct ``name`` are compared by name (``rules[name=x]``) so an insertion does not shift every item.
    """
    if a is _ABSENT or b is _ABSENT:
        return [Change(path, a, b)]
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        changes: list[Change] = []
        for key in sorted(set(a) | set(b)):
            changes += compare_values(a.get(key, _ABSENT), b.get(key, _ABSENT), _join(path, str(key)))
        return changes
    if isinstance(a, list) and isinstance(b, list):
        named_a, named_b = _by_name(a), _by_name(b)
        if named_a is not None and named_b is not None:
            changes = []
            for name in sorted(set(named_a) | set(named_b)):
                changes += compare_values(named_a.get(name, _ABSENT), named_b.get(name, _ABSENT), f"{path}[name={name}]")
            return changes
        changes = []
        for index in range(max(len(a), len(b))):
            left = a[index] if index < len(a) else _ABSENT
            right = b[index] if index < len(b) else _ABSENT
            changes += compare_values(left, right, f"{path}[{index}]")
        return changes
    if _same(a, b):
        return []
    return [Change(path, a, b)]


def _same(a: Any, b: Any) -> bool:
    """Equality that keeps ``True`` and ``1`` apart (a flag turned into a count is a change)."""
    return type(a) is type(b) and a == b or (
        isinstance(a, (int, float)) and isinstance(b, (int, float))
        and not isinstance(a, bool) and not isinstance(b, bool) and a == b
    )


def _by_name(items: list[Any]) -> dict[str, Any] | None:
    names = [item.get("name") for item in items if isinstance(item, Mapping)]
    if not items or len(names) != len(items) or not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        return None
    return dict(zip(names, items))


def _join(path: str, key: str) -> str:
    """``path.key``, or ``path["key"]`` for keys that would be ambiguous after a dot (dots, spaces, IDs)."""
    if not _PLAIN_KEY.match(key):
        return f"{path}[{json.dumps(key)}]"
    return f"{path}.{key}" if path else key


def _comparable(resource: PlannedResource, plan: Plan, normaliser: Normaliser) -> dict[str, Any]:
    """What is compared for one resource: its normalised inputs and resource options, plus the stack's
    outputs for the root stack (the one component whose differences matter)."""
    out: dict[str, Any] = {}
    if resource.custom:
        out.update(normaliser.value(resource.inputs, resource.urn))
        out["(protect)"] = resource.protect
        out["(retainOnDelete)"] = resource.retain_on_delete
    if resource.type == STACK_TYPE and resource.parent is None:
        out["outputs"] = normaliser.value(plan.outputs)
    return out


def _flag_naming_only(change: Change, names_a: tuple[str, ...], names_b: tuple[str, ...]) -> Change:
    """Mark a string change that vanishes once each side's stack name is a placeholder (wording, not a
    setting); a value that is exactly the stack's name stays a real change."""
    a, b = change.a, change.b
    if not (isinstance(a, str) and isinstance(b, str)) or a in names_a or b in names_b:
        return change
    if _without_stack_name(a, names_a) == _without_stack_name(b, names_b):
        return Change(change.path, a, b, naming_only=True)
    return change


def diff_plans(plan_a: Plan, plan_b: Plan) -> StackDiff:
    """Compare two plans of the same program by role (see the module docstring)."""
    pairs, only_a, only_b = match_roles(plan_a, plan_b)
    resources_a = {role_key(r): r for r in plan_a.resources}
    resources_b = {role_key(r): r for r in plan_b.resources}
    tokens_a = {r.urn: pairs.get(role_key(r), role_key(r)) for r in plan_a.resources}  # a pair shares B's token
    tokens_b = {r.urn: role_key(r) for r in plan_b.resources}
    paired_a = {resources_a[r].urn for r in pairs}
    paired_b = {resources_b[r].urn for r in pairs.values()}
    normal_a = Normaliser(plan_a, tokens_a, plan_b, paired_a)
    normal_b = Normaliser(plan_b, tokens_b, plan_a, paired_b)
    paths_a, paths_b = logical_paths(plan_a), logical_paths(plan_b)
    names_a, names_b = stack_names(plan_a), stack_names(plan_b)

    result = StackDiff(project=plan_b.project, stack_a=plan_a.stack, stack_b=plan_b.stack)
    result.only_a = _refs((resources_a[r] for r in only_a), paths_a)
    result.only_b = _refs((resources_b[r] for r in only_b), paths_b)
    for role_a, role_b in pairs.items():
        a, b = resources_a[role_a], resources_b[role_b]
        if not (a.custom or b.custom) and a.type != STACK_TYPE:
            result.identical += 1  # a component: no inputs, its children carry the differences
            continue
        changes = compare_values(_comparable(a, plan_a, normal_a), _comparable(b, plan_b, normal_b))
        changes = [_flag_naming_only(c, names_a, names_b) for c in changes]
        if not changes:
            result.identical += 1
            continue
        path_a, path_b = paths_a[a.urn], paths_b[b.urn]
        path = path_b if path_a == path_b else _without_stack_name(path_b, names_b)
        ref = RoleRef(role=role_a, type=a.type, path=path, custom=a.custom)
        result.changed.append(ResourceDiff(ref, tuple(changes), role_b=None if role_a == role_b else role_b))
    result.changed.sort(key=lambda d: (d.ref.type != STACK_TYPE, d.ref.path, d.ref.type, d.ref.role))
    return result


def _refs(resources: Iterable[PlannedResource], paths: Mapping[str, str]) -> list[RoleRef]:
    refs = [RoleRef(role_key(r), r.type, paths[r.urn], r.custom) for r in resources]
    return sorted(refs, key=lambda ref: (ref.path, ref.type, ref.role))


# --------------------------------------------------------------------------------------------------------------
# Cost
# --------------------------------------------------------------------------------------------------------------


def compare_cost(plan_a: Plan, plan_b: Plan) -> CostComparison | None:
    """Both plans' cost totals when both can be priced in one currency; ``None`` otherwise (no location output,
    a region the price table lacks): the diff is still useful without it."""
    from blueprint.tools.cost import estimate_plan

    try:
        a, b = estimate_plan(plan_a), estimate_plan(plan_b)
    except ValueError:
        return None
    if a is None or b is None or a.currency != b.currency:
        return None
    return CostComparison(currency=a.currency, retrieved=a.retrieved, a=_cost_side(a), b=_cost_side(b))


def _cost_side(estimate: CostEstimate) -> CostSide:
    return CostSide(round(estimate.fixed_monthly, 2), round(estimate.peak_monthly, 2), estimate.budget)


def _cost_json(cost: CostComparison | None) -> dict[str, Any] | None:
    if cost is None:
        return None

    def side(s: CostSide) -> dict[str, Any]:
        return {"fixedMonthly": s.fixed_monthly, "peakMonthly": s.peak_monthly, "budget": s.budget}

    return {
        "currency": cost.currency,
        "retrieved": cost.retrieved,
        "a": side(cost.a),
        "b": side(cost.b),
        "delta": {
            "fixedMonthly": round(cost.b.fixed_monthly - cost.a.fixed_monthly, 2),
            "peakMonthly": round(cost.b.peak_monthly - cost.a.peak_monthly, 2),
        },
    }


# --------------------------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------------------------


def render_value(value: Any, width: int = MAX_VALUE_WIDTH) -> str:
    """A short, single-line rendering: strings bare, whole numbers without ``.0``, the rest as compact JSON."""
    if value is _ABSENT:
        return "(absent)"
    if isinstance(value, str):
        text = value if value and value.strip() == value else json.dumps(value)
    else:
        text = json.dumps(_whole_numbers(value), sort_keys=True, separators=(", ", ": "))
    return text if len(text) <= width else text[: width - 3] + "..."


def _whole_numbers(value: Any) -> Any:
    """4.0 -> 4: the mocks hand numbers back as floats, a node count reads better as an integer."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: _whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(v) for v in value]
    return value


def render_diff(diff: StackDiff) -> str:
    """The text report (see the module docstring)."""
    a, b = diff.stack_a, diff.stack_b
    out = [f"Comparing {diff.project}/{a} (a) with {diff.project}/{b} (b), resources matched by logical role", ""]
    out.append(f"Summary: {len(diff.only_a)} only in {a}, {len(diff.only_b)} only in {b}, "
               f"{len(diff.changed)} changed, {diff.identical} identical")
    if diff.no_differences:
        out += ["", f"No differences between {a} and {b}."]
    for stack, refs in ((a, diff.only_a), (b, diff.only_b)):
        if refs:
            out += ["", f"Only in {stack} ({len(refs)}):"]
            width = max(len(ref.type) for ref in refs)
            out += [f"  {ref.type:<{width}}  {ref.path}" for ref in refs]
    if diff.changed:
        out += ["", f"Changed ({len(diff.changed)}), {a} -> {b}:"]
        common = common_changes(diff.changed)
        for key, count in common.items():
            change = next(c for r in diff.changed for c in r.changes if _change_key(c) == key)
            out.append(f"  on {count} resources: {change.path}: {render_value(change.a)} -> {render_value(change.b)}")
        for resource in diff.changed:
            out += _render_resource(resource, set(common))
    if diff.cost is not None:
        out += [""] + _render_cost(diff.cost, a, b)
    return "\n".join(out) + "\n"


def common_changes(changed: list[ResourceDiff]) -> dict[tuple[str, str, str], int]:
    """Setting changes found identically on at least ``COMMON_MIN`` resources and half of the changed ones
    (``tags.environment`` on every tagged resource): the text names them once instead of under each resource,
    while rarer ones (``publicNetworkAccess`` on three resources) stay where a reviewer looks for them.
    Ordered by count, then path."""
    counts: dict[tuple[str, str, str], int] = {}
    for resource in changed:
        for change in resource.changes:
            if not change.naming_only:
                counts[_change_key(change)] = counts.get(_change_key(change), 0) + 1
    floor = max(COMMON_MIN, (len(changed) + 1) // 2)
    common = sorted(((k, n) for k, n in counts.items() if n >= floor), key=lambda kn: (-kn[1], kn[0]))
    return dict(common)


def _change_key(change: Change) -> tuple[str, str, str]:
    def canonical(value: Any) -> str:
        return "\0absent" if value is _ABSENT else json.dumps(value, sort_keys=True)

    return change.path, canonical(change.a), canonical(change.b)


def _render_resource(resource: ResourceDiff, common: set[tuple[str, str, str]]) -> list[str]:
    settings = [c for c in resource.changes if not c.naming_only and _change_key(c) not in common]
    wording = [c for c in resource.changes if c.naming_only]
    header = f"  {resource.ref.type}  {resource.ref.path}"
    if not (settings or wording):
        return [header + "  (only the changes common to several resources)"]
    lines = [header]
    for change in settings:
        lines.append(f"      {change.path or '(value)'}: {render_value(change.a)} -> {render_value(change.b)}")
    if wording:
        lines.append(f"      ~ {', '.join(c.path for c in wording)}: differ only by the stack's name")
    return lines


def _render_cost(cost: CostComparison, a: str, b: str) -> list[str]:
    from blueprint.tools.cost import currency_symbol, format_money

    symbol = currency_symbol(cost.currency)

    def money(value: float | None) -> str:
        return "none" if value is None else f"{symbol}{format_money(value)}"

    def delta(x: float, y: float) -> str:
        change = y - x
        return f"{'+' if change >= 0 else '-'}{symbol}{format_money(abs(change))}"

    rows = [
        ("fixed monthly", money(cost.a.fixed_monthly), money(cost.b.fixed_monthly), delta(cost.a.fixed_monthly, cost.b.fixed_monthly)),
        ("peak month", money(cost.a.peak_monthly), money(cost.b.peak_monthly), delta(cost.a.peak_monthly, cost.b.peak_monthly)),
        ("budget", money(cost.a.budget), money(cost.b.budget),
         delta(cost.a.budget, cost.b.budget) if cost.a.budget is not None and cost.b.budget is not None else ""),
    ]
    head = ("", a, b, "delta")
    widths = [max(len(row[i]) for row in (head, *rows)) for i in range(4)]
    lines = [f"Cost estimate ({cost.currency}, list prices of {cost.retrieved}; see blueprint preview for the lines):"]
    for row in (head, *rows):
        lines.append("  " + "  ".join(cell.rjust(widths[i]) if i else cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return lines
