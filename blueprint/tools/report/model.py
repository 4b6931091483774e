"""Everything ``blueprint report`` shows about one stack, gathered once and rendered twice (the HTML page and the
pull-request comment): the plan, its cost, the pack's findings with the pack's own documentation, the pack config's
waivers and relaxed policies, and, with ``--base``, the comparison with the base revision."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from blueprint.tools.cost import CostEstimate
from blueprint.tools.policy_check import SEVERITY_ORDER, Finding
from blueprint.tools.preview.plan import Plan
from blueprint.tools.report.changes import Comparison

#: The enforcement level of a policy the config does not relax (the pack's default).
DEFAULT_LEVEL = "mandatory"


@dataclass(frozen=True)
class ConfigWaiver:
    """A waiver the environment's pack config holds: a resource exempt from a policy, and why."""

    policy: str
    resource: str
    reason: str
    expires: str | None = None


@dataclass(frozen=True)
class Relaxation:
    """A policy the environment's pack config sets below the pack's default (advisory or disabled)."""

    policy: str
    level: str


@dataclass(frozen=True)
class StackReport:
    """One stack's report (see the module docstring)."""

    project: str
    stack: str
    environment: str | None
    plan: Plan
    cost: CostEstimate | None
    cost_note: str | None
    findings: list[Finding]
    docs: Mapping[str, Any]
    """Policy name -> the pack's documentation (``PolicyDoc``: description, remediation, link, controls)."""
    pack: str | None
    """The pack's name; ``None`` when the project has no pack (nothing evaluated)."""
    config_source: str | None = None
    policies_evaluated: tuple[str, ...] = ()
    waivers: list[ConfigWaiver] = field(default_factory=list)
    relaxations: list[Relaxation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    comparison: Comparison | None = None

    @property
    def cloud_resources(self) -> int:
        return sum(1 for r in self.plan.resources if r.custom and r.operation == "create")

    @property
    def violations(self) -> list[Finding]:
        """The findings not waived, most severe first."""
        return by_severity(f for f in self.findings if f.waived is None)

    @property
    def waived(self) -> list[Finding]:
        return by_severity(f for f in self.findings if f.waived is not None)


def by_severity(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first, then by policy and resource: the order every listing uses."""
    rank = {severity: index for index, severity in enumerate(SEVERITY_ORDER)}
    return sorted(findings, key=lambda f: (rank.get(f.severity, len(rank)), f.policy, f.urn or "", f.message))


def config_waivers(config: Any) -> list[ConfigWaiver]:
    """The waivers of a validated pack config (``pack_config.PackConfig``), in file order."""
    return [
        ConfigWaiver(entry.policy, entry.waiver.resource, entry.waiver.reason,
                     entry.waiver.expires.isoformat() if entry.waiver.expires else None)
        for entry in config.waivers()
    ]


def relaxations(config: Any, policies: Sequence[str]) -> list[Relaxation]:
    """The ``policies`` the config sets to another level than the pack's default."""
    return [Relaxation(name, config.level(name)) for name in policies if config.level(name) != DEFAULT_LEVEL]
