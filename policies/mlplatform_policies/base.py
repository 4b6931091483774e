"""How a policy is declared: the check, and everything a compliance reviewer needs to read about it.

Each policy is a real CrossGuard policy (``ResourceValidationPolicy`` or ``StackValidationPolicy``) carrying its
severity, framework mapping, remediation and link, plus a waiver mechanism: the pack config can exempt named
resources from a policy, with a reason that every report shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
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

#: A resource check returns the violation message, or None when the resource complies.
ResourceCheck = Callable[[Mapping[str, Any]], "str | None"]
#: A stack check yields (urn or None for the stack, message) per violation.
StackCheck = Callable[[StackValidationArgs], Iterable[tuple["str | None", str]]]

WAIVER_SCHEMA = PolicyConfigSchema(
    properties={
        "waivers": {
            "type": "array",
            "description": "Resources exempt from this policy, each with the reason reviewers see in every report.",
            "items": {
                "type": "object",
                "properties": {"resource": {"type": "string"}, "reason": {"type": "string", "minLength": 10}},
                "required": ["resource", "reason"],
            },
        }
    }
)


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


def waiver_for(config: Mapping[str, Any], urn: str | None, name: str | None) -> str | None:
    """The reason a resource is waived from a policy, if it is (matched by URN or logical name)."""
    for waiver in config.get("waivers", []) or []:
        if waiver.get("resource") in (urn, name):
            return str(waiver.get("reason", "no reason given"))
    return None


def resource_policy(
    *,
    name: str,
    description: str,
    rationale: str,
    checks: str,
    severity: Severity,
    resource_types: Sequence[str],
    check: ResourceCheck,
    controls: Controls,
    remediation: str,
    url: str,
    relaxed_in: Sequence[str] = (),
) -> ResourceValidationPolicy:
    """A per-resource policy: ``check(props)`` on every resource of ``resource_types`` (CrossGuard sees inputs)."""
    types = tuple(resource_types)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in types:
            return
        message = check(args.props)
        if message is None:
            return
        reason = waiver_for(args.get_config(), args.urn, args.name)
        if reason is not None:
            args.not_applicable(f"waived: {reason}")
            return
        report_violation(message, args.urn)

    _register(PolicyDoc(name, "resource", description, rationale, checks, severity, controls, remediation, url, types, tuple(relaxed_in)))
    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        config_schema=WAIVER_SCHEMA,
        severity=severity,
        framework=_framework(controls),
        tags=controls.tags(),
        remediation_steps=remediation,
        url=url,
    )


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
    relaxed_in: Sequence[str] = (),
) -> StackValidationPolicy:
    """A whole-stack policy: ``check(args)`` sees every resource's outputs and how they depend on each other."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        config = args.get_config() if hasattr(args, "get_config") else {}
        names = {r.urn: r.name for r in args.resources}
        for urn, message in check(args):
            reason = waiver_for(config, urn, names.get(urn or ""))
            if reason is None:
                report_violation(message, urn)

    _register(PolicyDoc(name, "stack", description, rationale, checks, severity, controls, remediation, url, (), tuple(relaxed_in)))
    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        config_schema=WAIVER_SCHEMA,
        severity=severity,
        framework=_framework(controls),
        tags=controls.tags(),
        remediation_steps=remediation,
        url=url,
    )


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


# --- Reading props: CrossGuard hands inputs in the SDK's camelCase shape; enums compare case-insensitively. ---


def get(props: Mapping[str, Any], path: str, default: Any = None) -> Any:
    """``get(props, "properties.properties.scaleSettings.minNodeCount")``."""
    value: Any = props
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return default
        value = value[part]
    return value


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
