"""What a pull request changes in one stack: resources added, changed and removed against the base revision's plan,
the monthly cost delta, and the policy findings it introduces or fixes.

Resources are matched by role, as ``blueprint diff`` matches them (blueprint/tools/stack_diff.py): the URN without
its stack and project, so a resource keeps its identity when its settings change. Findings are matched the same
way, by policy and the role of the resource they are about: a finding is *new* when the base had no finding of that
policy on that resource, *fixed* when the base had one and the change has none. Waived findings are neither: they
block nothing on either side.

A stack file the base lacks is compared with an empty plan: everything is added, the whole cost is the delta.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from blueprint.tools.cost import CostEstimate
from blueprint.tools.policy_check import Finding
from blueprint.tools.preview.plan import Plan, PlannedResource
from blueprint.tools.stack_diff import CostComparison, StackDiff, compare_cost, diff_plans, role_key

ADDED, CHANGED, REMOVED = "added", "changed", "removed"


@dataclass(frozen=True)
class CostDelta:
    """The cost of the stack at the base and now; ``None`` on a side that cannot be priced (or that is absent)."""

    currency: str
    base_fixed: float
    base_peak: float
    fixed: float
    peak: float

    @property
    def fixed_delta(self) -> float:
        return round(self.fixed - self.base_fixed, 2)

    @property
    def peak_delta(self) -> float:
        return round(self.peak - self.base_peak, 2)


@dataclass(frozen=True)
class Comparison:
    """The stack against its base revision."""

    ref: str
    commit: str
    plan: Plan
    base_plan: Plan | None
    """``None``: the base has no such stack file; everything is added."""
    diff: StackDiff
    cost: CostDelta | None
    new_findings: list[Finding] = field(default_factory=list)
    fixed_findings: list[Finding] = field(default_factory=list)
    base_evaluated: bool = True
    """Whether the base's findings are known (it has a policy pack): without them no finding is called fixed."""

    @property
    def status(self) -> dict[str, str]:
        """URN -> ``added``/``changed``/``removed`` for every cloud resource the change touches (removed ones by their
        base URN): what the graph colours."""
        return statuses(self.diff, self.plan, self.base_plan)


def empty_plan(like: Plan) -> Plan:
    """A plan of the same project and stack with nothing in it: the base of a stack file that is new."""
    return Plan(project=like.project, stack=like.stack, resources=[])


def compare(plan: Plan, cost: CostEstimate | None, findings: Iterable[Finding], *, ref: str, commit: str,
            base_plan: Plan | None, base_findings: Iterable[Finding] = (), base_evaluated: bool = True) -> Comparison:
    """The comparison of ``plan`` (now) with ``base_plan`` (at ``ref``; ``None`` when the stack file is new there)."""
    diff = diff_plans(base_plan or empty_plan(plan), plan)
    findings, base_findings = list(findings), list(base_findings) if base_evaluated else []
    return Comparison(
        ref=ref,
        commit=commit,
        plan=plan,
        base_plan=base_plan,
        diff=diff,
        cost=cost_delta(plan, cost, base_plan),
        new_findings=finding_difference(findings, base_findings),
        fixed_findings=finding_difference(base_findings, findings) if base_evaluated else [],
        base_evaluated=base_evaluated,
    )


def cost_delta(plan: Plan, cost: CostEstimate | None, base_plan: Plan | None) -> CostDelta | None:
    """Both sides' totals when both can be priced in one currency (an absent base costs nothing)."""
    if cost is None:
        return None
    if base_plan is None:
        return CostDelta(cost.currency, 0.0, 0.0, round(cost.fixed_monthly, 2), round(cost.peak_monthly, 2))
    both: CostComparison | None = compare_cost(base_plan, plan)
    if both is None:
        return None
    return CostDelta(both.currency, both.a.fixed_monthly, both.a.peak_monthly, both.b.fixed_monthly, both.b.peak_monthly)


def finding_key(finding: Finding) -> tuple[str, str]:
    """A finding's identity across revisions: its policy and the role of its resource (the stack itself: ``""``)."""
    if not finding.urn:
        return finding.policy, ""
    parts = finding.urn.split("::", 3)
    return finding.policy, f"{parts[2]}::{parts[3]}" if len(parts) == 4 else finding.urn


def finding_difference(these: Iterable[Finding], those: Iterable[Finding]) -> list[Finding]:
    """The unwaived findings of ``these`` whose key no unwaived finding of ``those`` has, one per key."""
    present = {finding_key(f) for f in those if f.waived is None}
    found: dict[tuple[str, str], Finding] = {}
    for finding in these:
        key = finding_key(finding)
        if finding.waived is None and key not in present:
            found.setdefault(key, finding)
    return list(found.values())


def statuses(diff: StackDiff, plan: Plan | None, base_plan: Plan | None) -> dict[str, str]:
    """URN -> status for the resources the diff names; the root stack (whose outputs may change) is left out."""
    out: dict[str, str] = {}
    added = {ref.role for ref in diff.only_b}
    changed = {d.role_b or d.ref.role for d in diff.changed}
    removed = {ref.role for ref in diff.only_a}
    for resource in _resources(plan):
        role = role_key(resource)
        if role in added:
            out[resource.urn] = ADDED
        elif role in changed and resource.parent is not None:
            out[resource.urn] = CHANGED
    for resource in _resources(base_plan):
        if role_key(resource) in removed:
            out[resource.urn] = REMOVED
    return out


def _resources(plan: Plan | None) -> list[PlannedResource]:
    return [] if plan is None else plan.resources


def combined_plan(plan: Plan, base_plan: Plan | None, status: Mapping[str, str]) -> Plan:
    """``plan`` with the removed resources of ``base_plan`` put back: one graph shows what is added, changed and gone
    (a removed resource keeps its base URN, which the current plan does not use)."""
    if base_plan is None:
        return plan
    present = {r.urn for r in plan.resources}
    gone = [r for r in base_plan.resources if status.get(r.urn) == REMOVED and r.urn not in present]
    if not gone:
        return plan
    return Plan(project=plan.project, stack=plan.stack, resources=[*plan.resources, *gone], outputs=plan.outputs,
                diagnostics=plan.diagnostics)
