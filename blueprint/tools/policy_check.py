"""Evaluate the CrossGuard policy pack against an offline plan, the way the engine feeds it.

Resource policies receive each resource's inputs (``ResourceValidationArgs``); stack policies receive every
resource's outputs and their dependencies (``StackValidationArgs``). Enforcement levels and waivers come from the
pack's config file for the stack's environment (``policies/config/<environment>.json``), the same file passed to
``pulumi preview --policy-pack policies --policy-pack-config``, or the file given instead. The pack itself reads and
validates that file (``mlplatform_policies/pack_config.py``) before anything is evaluated: a config that cannot be
applied is bad input (``UsageError``), never a pass.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from blueprint.tools.errors import ProgramFailed, UsageError
from blueprint.tools.preview.plan import Plan
from blueprint.program.errors import InputError

PACK_MODULE = "mlplatform_policies"
#: The pack's config reader and validator (``policies/mlplatform_policies/pack_config.py``).
PACK_CONFIG_MODULE = f"{PACK_MODULE}.pack_config"
SEVERITY_ORDER = ("critical", "high", "medium", "low")
#: Enforcement levels that stop a deployment: ``remediate`` blocks at least as hard as ``mandatory`` offline,
#: where nothing can be remediated (the engine also reports a violation it could not fix as mandatory).
BLOCKING_LEVELS = ("mandatory", "remediate")


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
        return self.enforcement in BLOCKING_LEVELS and self.waived is None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def load_policies(pack_dir: Path) -> list[Any]:
    """The pack's policies, imported without starting the pack's server."""
    if not (pack_dir / PACK_MODULE / "__init__.py").is_file():
        raise UsageError(f"{pack_dir}: no policy pack here (expected {PACK_MODULE}/ beside PulumiPolicy.yaml)")
    if str(pack_dir) not in sys.path:
        sys.path.insert(0, str(pack_dir))
    return list(importlib.import_module(PACK_MODULE).POLICIES)


@contextmanager
def pack_failures(pack_dir: Path) -> Iterator[None]:
    """Load (and use) the pack at ``pack_dir`` in this block, with its failures reported as the CLI reports them.

    A ``ValueError`` (a policy without its documentation, a malformed declaration) is bad input naming the pack; any
    other exception is the pack's own code failing: a ``ProgramFailed`` whose traceback ``--debug`` shows. Bad input
    already reported as such, and a closed standard output, pass through unchanged.
    """
    try:
        yield
    except (InputError, BrokenPipeError):
        raise
    except ValueError as error:
        raise UsageError(f"{pack_dir}: {error}") from None
    except Exception as error:  # the pack itself failed to import
        raise ProgramFailed(f"the policy pack in {pack_dir} failed to load: {type(error).__name__}: {error}") from error


def pack_config_module(pack_dir: Path) -> ModuleType:
    """The pack's own config reader (``pack_config``): the offline tools validate with the pack's code, not a copy."""
    load_policies(pack_dir)
    try:
        return importlib.import_module(PACK_CONFIG_MODULE)
    except ModuleNotFoundError as error:
        if error.name != PACK_CONFIG_MODULE:
            raise
        raise UsageError(f"{pack_dir}: the pack has no {PACK_MODULE}/pack_config.py, so its config cannot be "
                         "validated") from None


def load_pack_config(pack_dir: Path, environment: str | None, policies: list[Any] | None = None, *,
                     path: Path | None = None) -> Any:
    """The validated pack config (``pack_config.PackConfig``) for ``policies`` (default: the pack's).

    ``path``: that file (``--policy-pack-config``), which must exist. Otherwise ``config/<environment>.json`` of the
    pack; without one (or without an environment) every policy is at the pack's default level, as the engine runs a
    pack without ``--policy-pack-config``. Raises ``UsageError`` naming the file and the key when it cannot be applied.
    """
    policies = load_policies(pack_dir) if policies is None else policies
    module = pack_config_module(pack_dir)
    if path is None:
        if environment is None:
            return module.defaults()
        path = pack_dir / "config" / f"{environment}.json"
        if not path.exists():
            return module.defaults(f"{shown_path(path)} (absent: every policy at the pack's default level)")
    try:
        return module.read(path, policies, shown_path(path))
    except module.PackConfigError as error:
        raise UsageError(str(error)) from None


def shown_path(path: Path) -> str:
    """``path`` as messages name it: relative to the working directory when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def policy_settings(config: Any, policy: str) -> tuple[str, dict[str, Any]]:
    """Enforcement level and properties of ``policy`` under a validated pack config (:func:`load_pack_config`)."""
    return config.settings(policy)


@dataclass(frozen=True)
class PolicyEvaluation:
    """What the pack found on a plan, and what about its config deserves a warning."""

    findings: list[Finding]
    warnings: list[str] = field(default_factory=list)


def plan_evaluation(plan: Plan, pack_dir: Path | None, project_dir: Path, config_file: Path | None = None) -> PolicyEvaluation | None:
    """The pack's verdict on ``plan`` with the pack config of its environment (its ``environment`` output), or
    ``config_file`` instead.

    ``pack_dir`` ``None``: the project's ``policies/`` when it has a pack there; ``None`` when it has none.
    """
    pack = pack_dir.resolve() if pack_dir is not None else project_dir / "policies"
    if pack_dir is None and not (pack / "PulumiPolicy.yaml").is_file():
        if config_file is not None:
            raise UsageError(f"--policy-pack-config {config_file}: {shown_path(pack)} holds no policy pack to configure "
                             "(pass --policy-pack DIR)")
        return None
    policies = load_policies(pack)
    config = load_pack_config(pack, plan.environment, policies, path=config_file)
    return PolicyEvaluation(evaluate(plan, policies, config), unused_waivers(plan, config))


def plan_findings(plan: Plan, pack_dir: Path | None, project_dir: Path, config_file: Path | None = None) -> list[Finding] | None:
    """The findings of :func:`plan_evaluation`; ``None`` when there is no pack."""
    evaluation = plan_evaluation(plan, pack_dir, project_dir, config_file)
    return None if evaluation is None else evaluation.findings


def unused_waivers(plan: Plan, config: Any) -> list[str]:
    """A warning for each waiver of ``config`` naming a resource the plan does not have: it exempts nothing, and is
    most likely a renamed resource or a typo (the engine is silent about it)."""
    resources = [r for r in plan.resources if r.custom and r.operation == "create"]
    names = {r.urn for r in resources} | {r.name for r in resources}
    return [
        f'{config.source}: {entry.key}: waives "{entry.waiver.resource}", which is not in the plan of stack '
        f"{plan.stack}; it exempts nothing (a renamed resource, or a typo?)"
        for entry in config.waivers()
        if entry.waiver.resource not in names
    ]


def evaluate(plan: Plan, policies: list[Any], config: Any) -> list[Finding]:
    """Every violation (and every waiver) of ``policies`` in ``plan`` under a validated pack ``config``
    (:func:`load_pack_config`; a raw JSON document is refused: it may not be valid).

    Each policy reads its properties as under the engine: ``args.get_config()`` is ``None`` when it has none.
    """
    if not hasattr(config, "settings"):
        raise TypeError("evaluate needs a validated pack config (load_pack_config or pack_config.validate), "
                        f"not {type(config).__name__}")
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
            protect=resource.protect, ignore_changes=list(resource.ignore_changes), delete_before_replace=False, aliases=[],
            custom_timeouts=PolicyCustomTimeouts(0, 0, 0), additional_secret_outputs=[], parent=resource.parent,
        )

    findings: list[Finding] = []
    for policy in policies:
        level, settings = config.settings(policy.name)
        if level == "disabled":
            continue
        properties = settings or None  # the engine hands a policy without properties None
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


def render_findings(findings: list[Finding], stack: str, warnings: Sequence[str] = ()) -> str:
    """The preview's policy section: warnings about the pack config, violations grouped by severity, waivers listed
    with their reasons."""
    blocking = [f for f in findings if f.blocking]
    lines = [f"Policies ({len(findings)} finding{'s' if len(findings) != 1 else ''}, {len(blocking)} mandatory) for stack {stack}:"]
    lines += [f"    warning: {warning}" for warning in warnings]
    if not findings:
        lines.append("    every policy passed")
    for severity, group in group_by_severity(findings).items():
        lines.append(f"  {severity}:")
        for finding in group:
            tag = "waived" if finding.waived else finding.enforcement
            where = finding.urn.split("::")[-1] if finding.urn else "(stack)"
            lines.append(f"    [{tag}] {finding.policy}: {where}: {finding.message}")
    return "\n".join(lines) + "\n"
