"""Gathering one stack's report: its plan priced and judged by the pack, as ``blueprint preview`` prices and judges
it, with the pack's documentation and the environment's pack config beside the findings."""

from __future__ import annotations

from pathlib import Path

from blueprint.tools.cost import UnpricedRegionError, estimate_plan
from blueprint.tools.policy_check import evaluate, load_pack_config, load_policies, pack_failures, unused_waivers
from blueprint.tools.preview.plan import Plan
from blueprint.tools.report.model import StackReport, config_waivers, relaxations


def gather(plan: Plan, project_dir: Path, policy_pack: Path | None) -> StackReport:
    """The report of ``plan`` (no comparison yet: the command adds it); the pack is ``policy_pack``, or the project's
    ``policies/`` when it has one there."""
    try:
        cost, cost_note = estimate_plan(plan), None
    except UnpricedRegionError as error:
        cost, cost_note = None, str(error)
    report = StackReport(
        project=plan.project, stack=plan.stack, environment=plan.environment, plan=plan, cost=cost, cost_note=cost_note,
        findings=[], docs={}, pack=None,
    )
    pack = policy_pack.resolve() if policy_pack is not None else project_dir / "policies"
    if policy_pack is None and not (pack / "PulumiPolicy.yaml").is_file():
        return report
    from blueprint.tools.catalog import load_catalog

    with pack_failures(pack):
        policies = load_policies(pack)
        catalog = load_catalog(pack)
        config = load_pack_config(pack, plan.environment, policies)
        findings = evaluate(plan, policies, config)
    evaluated = tuple(p.name for p in policies if config.level(p.name) != "disabled")
    return StackReport(
        project=plan.project, stack=plan.stack, environment=plan.environment, plan=plan, cost=cost, cost_note=cost_note,
        findings=findings, docs={doc.name: doc for doc in catalog.docs}, pack=catalog.name, config_source=config.source,
        policies_evaluated=evaluated, waivers=config_waivers(config), relaxations=relaxations(config, [p.name for p in policies]),
        warnings=unused_waivers(plan, config),
    )
