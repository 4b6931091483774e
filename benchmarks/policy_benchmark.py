"""Policy check speed: resource-policy checks per second on the prod plan, and the time to check N stacks.

Run: .venv/bin/python benchmarks/policy_benchmark.py [--stacks N] [--repetitions R] [--stack prod] [--policy-pack DIR]

- Evaluation rate: the stack (prod) is previewed once, then the pack's enabled resource policies are evaluated on
  its plan R times, as ``blueprint check`` evaluates them. One check is one resource policy on one resource (what
  the engine calls a policy on each resource); the rate is checks per second over all repetitions.
- N stacks: the plan is cloned N times with the stack renamed in every URN (a cheap stand-in for N previews, which
  are not what is measured here), then each clone is evaluated with the whole pack under the stack's environment
  config, and the five reports (text, JSON, SARIF, JUnit, Markdown) are rendered for all of them together.
  Goal: under 10 s for N = 100.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from blueprint.tools.catalog import load_catalog  # noqa: E402
from blueprint.tools.policy_check import evaluate, load_pack_config, load_policies, policy_settings  # noqa: E402
from blueprint.tools.preview.plan import Plan  # noqa: E402
from blueprint.tools.preview.runner import run_program  # noqa: E402
from blueprint.program.project import load_project, read_stack_config  # noqa: E402
from blueprint.tools.reports import REPORT_FILES, CheckedStack, render  # noqa: E402


def clone_plan(plan: Plan, stack: str) -> Plan:
    """``plan`` as if previewed for ``stack``: every URN (and every reference to one) renamed."""
    old, new = f"urn:pulumi:{plan.stack}::", f"urn:pulumi:{stack}::"

    def rename(urn: str | None) -> str | None:
        return new + urn[len(old):] if urn is not None and urn.startswith(old) else urn

    resources = [
        replace(
            r,
            urn=rename(r.urn),
            parent=rename(r.parent),
            dependencies=[rename(u) for u in r.dependencies],
            property_dependencies={k: [rename(u) for u in v] for k, v in r.property_dependencies.items()},
        )
        for r in plan.resources
    ]
    return Plan(plan.project, stack, resources, dict(plan.outputs), list(plan.diagnostics))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="prod", help="the stack previewed and cloned (default: prod)")
    parser.add_argument("--stacks", type=int, default=100, metavar="N", help="generated stacks to check (default: 100)")
    parser.add_argument("--repetitions", type=int, default=200, metavar="R", help="evaluations for the rate (default: 200)")
    parser.add_argument("--program", type=Path, default=REPO, metavar="DIR", help="Pulumi project (default: this repository)")
    parser.add_argument("--policy-pack", type=Path, metavar="DIR", help="pack (default: <program>/policies)")
    args = parser.parse_args()

    project = load_project(args.program.resolve())
    pack = (args.policy_pack or project.directory / "policies").resolve()
    start = time.perf_counter()
    plan = run_program(project, args.stack, read_stack_config(project, args.stack))
    preview_s = time.perf_counter() - start
    environment = plan.outputs.get("environment")
    config = load_pack_config(pack, environment if isinstance(environment, str) else None)
    policies = load_policies(pack)
    catalog = load_catalog(pack)
    docs = {doc.name: doc for doc in catalog.docs}
    enabled = [p for p in policies if policy_settings(config, p.name)[0] != "disabled"]
    resource_policies = [p for p in enabled if type(p).__name__ == "ResourceValidationPolicy"]
    resources = [r for r in plan.resources if r.custom and r.operation == "create"]
    checks = len(resource_policies) * len(resources)
    print(f"{args.stack}: previewed in {preview_s:.2f} s; {len(resources)} resources, {len(resource_policies)} resource "
          f"and {len(enabled) - len(resource_policies)} stack policies enabled for environment {environment}")

    evaluate(plan, enabled, config)  # warm-up: imports, first calls
    times = []
    for _ in range(args.repetitions):
        started = time.perf_counter()
        evaluate(plan, resource_policies, config)
        times.append(time.perf_counter() - started)
    total = sum(times)
    print(f"evaluation rate: {checks * args.repetitions / total:,.0f} resource-policy checks/s "
          f"({checks} checks per evaluation, median {statistics.median(times) * 1000:.2f} ms, {args.repetitions} repetitions)")

    clones = [clone_plan(plan, f"{args.stack}-{i:04d}") for i in range(args.stacks)]
    started = time.perf_counter()
    findings = []
    stacks = []
    for clone in clones:
        findings += evaluate(clone, enabled, config)
        stacks.append(CheckedStack(clone.stack, environment if isinstance(environment, str) else None, len(resources),
                                   tuple(p.name for p in enabled)))
    evaluated_s = time.perf_counter() - started
    for fmt in REPORT_FILES:
        render(fmt, findings, docs, pack=catalog.name, stacks=stacks)
    total_s = time.perf_counter() - started
    goal = "met" if total_s < 10 else "MISSED"
    print(f"{args.stacks} stacks: evaluated in {evaluated_s:.2f} s ({len(findings)} findings), with the five reports "
          f"{total_s:.2f} s (goal < 10 s: {goal})")
    return 0 if total_s < 10 else 1


if __name__ == "__main__":
    sys.exit(main())
