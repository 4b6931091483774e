"""How a policy is declared: the check, and everything a compliance reviewer needs to read about it.

Each policy is a real CrossGuard policy (``ResourceValidationPolicy`` or ``StackValidationPolicy``) carrying its
severity, framework mapping, remediation and link, plus a waiver mechanism: the pack config can exempt named
resources from a policy, with a reason that every report shows, until the waiver expires (``pack_config``).

The policy modules share what this module owns, so that one rule reads and reports the same way everywhere:
``property_policy`` for the common "property must be X" rule, ``read`` and ``UNKNOWN`` for values the engine does
not know during preview, and ``shown`` for how a message quotes a value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from .pack_config import WAIVERS_PROPERTY, today, waivers_of  # relative: a copy of base.py in another pack finds its own

#: A resource check returns the violation message, or None when the resource complies.
ResourceCheck = Callable[[Mapping[str, Any]], "str | None"]
#: The same for a check that also reads the resource's type or the policy's settings (``args.get_config()``).
ResourceArgsCheck = Callable[[ResourceValidationArgs], "str | None"]
#: A stack check yields (urn or None for the stack, message) per violation.
StackCheck = Callable[[StackValidationArgs], Iterable[tuple["str | None", str]]]

#: Every policy's config schema (or its base): the engine validates waivers against it, and so does
#: ``pack_config.validate`` offline, with the same object.
WAIVER_SCHEMA = PolicyConfigSchema(properties={"waivers": WAIVERS_PROPERTY})


@dataclass(frozen=True)
class Controls:
    """The public controls a policy implements."""

    azure_policy: tuple[str, ...] = ()
    """Azure Policy built-in definition IDs."""
    checkov: tuple[str, ...] = ()
    mcsb: tuple[str, ...] = ()
    """Microsoft cloud security benchmark controls."""
    psrule: tuple[str, ...] = ()

    def tags(self) -> list[str]:
        return (
            [f"azure-policy:{i}" for i in self.azure_policy]
            + [f"checkov:{i}" for i in self.checkov]
            + [f"mcsb:{i}" for i in self.mcsb]
            + [f"psrule:{i}" for i in self.psrule]
        )


@dataclass(frozen=True)
class PolicyDoc:
    """What the catalog shows for a policy."""

    name: str
    kind: str  # "resource" or "stack"
    description: str
    rationale: str
    checks: str
    severity: Severity
    controls: Controls
    remediation: str
    url: str
    resource_types: tuple[str, ...] = ()
    relaxed_in: tuple[str, ...] = field(default_factory=tuple)
    """Environments whose pack config makes this policy advisory (dev deliberately relaxes it)."""


#: Every declared policy's documentation, by name, in declaration order.
CATALOG: dict[str, PolicyDoc] = {}


def waiver_for(config: Mapping[str, Any] | None, urn: str | None, name: str | None, message: str) -> tuple[str | None, str]:
    """``(reason, message)`` for a violation of a resource (matched by URN or logical name): the reason to report
    as not applicable when a waiver exempts it today, else ``None`` and the message to report, which says when a
    lapsed waiver expired. ``config`` is the policy's ``args.get_config()`` (``None`` under the engine when the
    policy has no properties)."""
    mine = [w for w in waivers_of(config) if w.resource in (urn, name)]
    day = today()
    current = next((w for w in mine if not w.expired(day)), None)
    if current is not None:
        return current.shown(), message
    if mine:  # every one of them expired: the latest says when
        lapsed = max(mine, key=lambda w: str(w.expires))
        return None, f"{message} (waiver expired on {lapsed.expires}: {lapsed.reason})"
    return None, message


def resource_policy(
    *,
    name: str,
    description: str,
    rationale: str,
    checks: str,
    severity: Severity,
    resource_types: Sequence[str],
    controls: Controls,
    remediation: str,
    url: str,
    check: ResourceCheck | None = None,
    check_resource: ResourceArgsCheck | None = None,
    applies_to: Callable[[str], bool] | None = None,
    config: Mapping[str, Any] | None = None,
    relaxed_in: Sequence[str] = (),
) -> ResourceValidationPolicy:
    """A per-resource policy: ``check(props)`` on every resource of ``resource_types`` (CrossGuard sees inputs).

    A check that needs the resource's type or the policy's own settings is a ``check_resource(args)`` instead.
    ``applies_to(resource_type)`` replaces the list when a pattern says which types (``resource_types`` then only
    names them in the catalog); ``config`` declares the policy's settings beside ``waivers`` (JSON schemas by name).
    """
    types = tuple(resource_types)
    accepts = applies_to or (lambda resource_type: resource_type in types)
    if check is not None and check_resource is None:
        run: ResourceArgsCheck = lambda args: check(args.props)  # noqa: E731
    elif check_resource is not None and check is None:
        run = check_resource
    else:
        raise ValueError(f"policy {name}: give either check or check_resource")

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not accepts(args.resource_type):
            return
        message = run(args)
        if message is None:
            return
        reason, message = waiver_for(args.get_config(), args.urn, args.name, message)
        if reason is not None:
            args.not_applicable(f"waived: {reason}")
            return
        report_violation(message, args.urn)

    doc = PolicyDoc(name, "resource", description, rationale, checks, severity, controls, remediation, url, types, tuple(relaxed_in))
    return ResourceValidationPolicy(validate=validate, **_declared(doc, config))


def stack_policy(
    *,
    name: str,
    description: str,
    rationale: str,
    checks: str,
    severity: Severity,
    check: StackCheck,
    controls: Controls,
    remediation: str,
    url: str,
    config: Mapping[str, Any] | None = None,
    relaxed_in: Sequence[str] = (),
) -> StackValidationPolicy:
    """A whole-stack policy: ``check(args)`` sees every resource's outputs and how they depend on each other;
    ``config`` declares its settings beside ``waivers``, which it reads with ``args.get_config()``."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        config = args.get_config()
        names = {r.urn: r.name for r in args.resources}
        for urn, message in check(args):
            reason, message = waiver_for(config, urn, names.get(urn or ""), message)
            if reason is None:
                report_violation(message, urn)

    doc = PolicyDoc(name, "stack", description, rationale, checks, severity, controls, remediation, url, (), tuple(relaxed_in))
    return StackValidationPolicy(validate=validate, **_declared(doc, config))


def _declared(doc: PolicyDoc, config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Register ``doc`` in the catalog; what either kind of CrossGuard policy is built with besides its check."""
    _register(doc)
    schema = PolicyConfigSchema(properties={**WAIVER_SCHEMA.properties, **config}) if config else WAIVER_SCHEMA
    return {
        "name": doc.name,
        "description": doc.description,
        "config_schema": schema,
        "severity": doc.severity,
        "framework": _framework(doc.controls),
        "tags": doc.controls.tags(),
        "remediation_steps": doc.remediation,
        "url": doc.url,
    }


def _framework(controls: Controls) -> PolicyComplianceFramework:
    return PolicyComplianceFramework(
        name="Microsoft cloud security benchmark",
        version="v1",
        reference=", ".join(controls.mcsb) or None,
        specification=", ".join(controls.azure_policy) or None,
    )


def _register(doc: PolicyDoc) -> None:
    if doc.name in CATALOG:
        raise ValueError(f"duplicate policy name {doc.name}")
    CATALOG[doc.name] = doc


# --- "Property must be X": the most common rule, one declaration per resource type and property ---


def property_check(
    path: str,
    expected: Any,
    message: str,
    *,
    label: str | None = None,
    unset: str = "not set",
    unset_complies: bool = False,
    only_if: Callable[[Mapping[str, Any]], bool] | None = None,
    unknown_violates: bool = False,
) -> ResourceCheck:
    """A check that the property at ``path`` is ``expected``, or one of a tuple of allowed values: strings compare
    case-insensitively (as Azure compares enums), booleans by identity, numbers by value.

    ``message`` is the violation with ``{found}``, "<label> is <value>" (``label`` defaults to ``path``; a missing
    value reads as ``unset``, which can say what Azure does then), and ``{expected}``, the allowed values as a message
    quotes them. ``unset_complies``: a missing value passes, Azure's default being the secure one. ``only_if(props)``
    narrows the rule to some resources of its type. A value unknown during preview stops the check (the engine says
    the policy cannot run then) unless ``unknown_violates``, for a check a stack policy also reads outputs with.
    """
    allowed = expected if isinstance(expected, tuple) else (expected,)
    wanted = " or ".join(shown(value) for value in allowed)

    def check(props: Mapping[str, Any]) -> str | None:
        if only_if is not None and not only_if(props):
            return None
        value = read(props, path) if unknown_violates else get(props, path)
        if (value is None and unset_complies) or any(_equals(value, option) for option in allowed):
            return None
        found = f"{label or path} is {unset if value is None else shown(value)}"
        return message.format(found=found, expected=wanted)

    return check


def property_policy(
    *,
    path: str,
    expected: Any,
    message: str,
    label: str | None = None,
    unset: str = "not set",
    unset_complies: bool = False,
    only_if: Callable[[Mapping[str, Any]], bool] | None = None,
    unknown_violates: bool = False,
    **declaration: Any,
) -> ResourceValidationPolicy:
    """A resource policy that a property is ``expected`` (:func:`property_check`); ``declaration`` is the rest of
    :func:`resource_policy`'s arguments: the name, the documentation, the resource types."""
    check = property_check(
        path, expected, message, label=label, unset=unset, unset_complies=unset_complies, only_if=only_if,
        unknown_violates=unknown_violates,
    )
    return resource_policy(check=check, **declaration)


def _equals(value: Any, expected: Any) -> bool:
    if isinstance(expected, str):
        return is_value(value, expected)
    if isinstance(expected, bool):
        return value is expected
    return is_number(value) and value == expected


# --- Reading props: CrossGuard hands inputs in the SDK's camelCase shape; enums compare case-insensitively. ---


def get(props: Mapping[str, Any], path: str, default: Any = None) -> Any:
    """``get(props, "properties.properties.scaleSettings.minNodeCount")``. Raises ``UnknownValueError`` for a value
    the engine does not know yet, so a check that cannot decide does not run (the engine says so during preview)."""
    value: Any = props
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return default
        value = value[part]
    return value


class Unknown:
    """A value the engine cannot know during preview (an output of a resource not created yet)."""

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = Unknown()


def read(props: Mapping[str, Any], path: str, default: Any = None, *, unknown: Any = UNKNOWN) -> Any:
    """``get`` for checks that decide on what they know: ``unknown`` (``UNKNOWN`` unless the caller counts such a
    value as something else) instead of raising when the engine's proxy holds a value unknown during preview."""
    try:
        return get(props, path, default)
    except UnknownValueError:
        return unknown


def shown(value: Any) -> str:
    """A property value as a violation message quotes it: strings quoted, booleans lower-case, whole numbers
    without ``.0`` (CrossGuard hands every number over as a float), ``not set`` for a missing value."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return f"'{value}'"
    return str(value)


def is_value(value: Any, expected: str) -> bool:
    return isinstance(value, str) and value.lower() == expected.lower()


def is_number(value: Any) -> bool:
    """A JSON number: ``bool`` is an ``int`` to Python, never to Azure."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --- Reading a stack: stack policies see every resource's outputs and what each depends on. ---


def physical_name(resource: Any) -> str:
    """How a message names a resource: its ``name`` or ``displayName`` output, else its logical name."""
    for key in ("name", "displayName"):
        value = read(resource.props, key)
        if isinstance(value, str) and value:
            return value
    return resource.name


def environments(resources: Iterable[Any]) -> Iterator[str]:
    """The ``environment`` tag of each resource that carries one, lower-cased, in order: how a stack policy tells
    which environment a stack is (components tag every taggable resource; a value unknown yet is skipped)."""
    for resource in resources:
        tags = read(resource.props, "tags")
        if not isinstance(tags, Mapping):
            continue
        for key in tags:
            if str(key).lower() == "environment":
                value = read(tags, key)
                if isinstance(value, str):
                    yield value.lower()


def dependencies_through(resource: Any, *keys: str) -> list[Any]:
    """The resources ``resource`` depends on through its properties ``keys``, else through any of its dependencies
    (the engine's graph links resources whose IDs are unknown until they exist)."""
    linked = [dependency for key in keys for dependency in resource.property_dependencies.get(key, []) or []]
    return linked or list(resource.dependencies or [])
