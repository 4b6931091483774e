"""Evaluate the CrossGuard policy pack against an offline plan, the way the engine feeds it.

Resource policies receive each resource's inputs (``ResourceValidationArgs``); stack policies receive every
resource's outputs and their dependencies (``StackValidationArgs``). Enforcement levels and waivers come from the
pack's config file for the stack's environment (``policies/config/<environment>.json``), the same file passed to
``pulumi preview --policy-pack policies --policy-pack-config``.
"""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from blueprint.errors import UsageError
from blueprint.preview.plan import Plan

PACK_MODULE = "mlplatform_policies"
SEVERITY_ORDER = ("critical", "high", "medium", "low")


@dataclass(frozen=True)
class Finding:
    """One policy verdict on one resource (or on the stack)."""

    policy: str
    severity: str
    enforcement: str
    message: str
    urn: str | None
    stack: str
    waived: str | None = None
    """The waiver's reason when the resource is exempt: reported, never enforced."""

    @property
    def blocking(self) -> bool:
        return self.enforcement == "mandatory" and self.waived is None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def load_policies(pack_dir: Path) -> list[Any]:
    """The pack's policies, imported without starting the pack's server."""
    if not (pack_dir / PACK_MODULE / "__init__.py").is_file():
        raise UsageError(f"{pack_dir}: no policy pack here (expected {PACK_MODULE}/ beside PulumiPolicy.yaml)")
    if str(pack_dir) not in sys.path:
        sys.path.insert(0, str(pack_dir))
    return list(importlib.import_module(PACK_MODULE).POLICIES)


def load_pack_config(pack_dir: Path, environment: str | None) -> dict[str, Any]:
    """The pack config of ``environment`` (``config/<environment>.json``); empty (all mandatory) when absent."""
    if environment is None:
        return {}
    path = pack_dir / "config" / f"{environment}.json"
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise UsageError(f"{path}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}") from None


def policy_settings(config: dict[str, Any], policy: str) -> tuple[str, dict[str, Any]]:
    """Enforcement level and properties of ``policy`` from a CrossGuard pack config."""
    default = config.get("all", "mandatory")
    default_level = default if isinstance(default, str) else default.get("enforcementLevel", "mandatory")
    entry = config.get(policy)
    if entry is None:
        return default_level, {}
    if isinstance(entry, str):
        return entry, {}
    properties = {k: v for k, v in entry.items() if k != "enforcementLevel"}
    return entry.get("enforcementLevel", default_level), properties


def plan_findings(plan: Plan, pack_dir: Path | None, project_dir: Path) -> list[Finding] | None:
    """The findings on ``plan`` with the pack config of its environment (its ``environment`` output).

    ``pack_dir`` ``None``: the project's ``policies/`` when it has a pack there; ``None`` when it has none.
    """
    pack = pack_dir.resolve() if pack_dir is not None else project_dir / "policies"
    if pack_dir is None and not (pack / "PulumiPolicy.yaml").is_file():
        return None
    environment = plan.outputs.get("environment")
    return evaluate(plan, load_policies(pack), load_pack_config(pack, environment if isinstance(environment, str) else None))


def evaluate(plan: Plan, policies: list[Any], config: dict[str, Any]) -> list[Finding]:
    """Every violation (and every waiver) of ``policies`` in ``plan``."""
    from pulumi_policy import (
        PolicyCustomTimeouts,
        PolicyResource,
        PolicyResourceOptions,
        ResourceValidationArgs,
        ResourceValidationPolicy,
        StackValidationArgs,
        StackValidationPolicy,
    )

    resources = [r for r in plan.resources if r.custom and r.operation == "create"]

    def options(resource: Any) -> Any:
        return PolicyResourceOptions(
            protect=resource.protect, ignore_changes=[], delete_before_replace=False, aliases=[],
            custom_timeouts=PolicyCustomTimeouts(0, 0, 0), additional_secret_outputs=[], parent=resource.parent,
        )

    findings: list[Finding] = []
    for policy in policies:
        level, properties = policy_settings(config, policy.name)
        if level == "disabled":
            continue
        severity = policy.severity.value if policy.severity else "medium"

        def record(message: str, urn: str | None, waived: str | None = None, *, _p=policy, _s=severity, _l=level) -> None:
            findings.append(Finding(_p.name, _s, _l, message, urn, plan.stack, waived))

        if isinstance(policy, ResourceValidationPolicy):
            for resource in resources:
                args = ResourceValidationArgs(
                    resource.type, resource.inputs, resource.urn, resource.name, options(resource), None, properties
                )
                violations: list[tuple[str, str | None]] = []
                try:
                    for validate in policy.validate if isinstance(policy.validate, list) else [policy.validate]:
                        validate(args, lambda message, urn=None: violations.append((message, urn or resource.urn)))
                except Exception as error:  # noqa: BLE001 - includes not_applicable, which carries the waiver
                    if type(error).__name__ == "_NotApplicableError":
                        reason = str(getattr(error, "reason", "") or error)
                        record(f"not applicable: {reason}", resource.urn, waived=reason.removeprefix("waived: "))
                        continue
                    raise
                for message, urn in violations:
                    record(message, urn)
        elif isinstance(policy, StackValidationPolicy):
            policy_resources = [
                PolicyResource(r.type, r.outputs, r.urn, r.name, options(r), None, None, [], {})
                for r in resources
            ]
            by_urn = {r.urn: p for p, r in zip(policy_resources, resources)}
            for policy_resource, planned in zip(policy_resources, resources):
                # Linked by URN, as the engine links them: IDs are unknown during a real preview.
                policy_resource.dependencies = [by_urn[u] for u in planned.dependencies if u in by_urn]
                policy_resource.property_dependencies = {
                    key: [by_urn[u] for u in urns if u in by_urn] for key, urns in planned.property_dependencies.items()
                }
            args = StackValidationArgs(policy_resources, properties)
            policy.validate(args, lambda message, urn=None: record(message, urn))
    return findings


def group_by_severity(findings: list[Finding]) -> dict[str, list[Finding]]:
    groups: dict[str, list[Finding]] = {severity: [] for severity in SEVERITY_ORDER}
    for finding in findings:
        groups.setdefault(finding.severity, []).append(finding)
    return {k: v for k, v in groups.items() if v}


def render_findings(findings: list[Finding], stack: str) -> str:
    """The preview's policy section: violations grouped by severity, waivers listed with their reasons."""
    blocking = [f for f in findings if f.blocking]
    lines = [f"Policies ({len(findings)} finding{'s' if len(findings) != 1 else ''}, {len(blocking)} mandatory) for stack {stack}:"]
    if not findings:
        lines.append("    every policy passed")
    for severity, group in group_by_severity(findings).items():
        lines.append(f"  {severity}:")
        for finding in group:
            tag = "waived" if finding.waived else finding.enforcement
            where = finding.urn.split("::")[-1] if finding.urn else "(stack)"
            lines.append(f"    [{tag}] {finding.policy}: {where}: {finding.message}")
    return "\n".join(lines) + "\n"
