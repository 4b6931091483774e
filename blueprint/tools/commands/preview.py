"""``blueprint preview STACK``: run the real program offline under mocks, print the plan, its cost and its policy
findings, and optionally write the plan as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from blueprint.tools.commands.options import Subparsers, add_json, add_policy_pack, add_policy_pack_config, add_program
from blueprint.tools.errors import UsageError
from blueprint.tools.exit_codes import EXIT_FAILED, EXIT_OK

NAME = "preview"


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        NAME,
        help="run the Pulumi program offline under mocks and show what the stack would create",
        description="Run the real Pulumi program with the stack's config under Pulumi's mock runtime, with mocks "
        "that answer like Azure Resource Manager, and print the plan.",
    )
    parser.add_argument("stack", help="stack name: stacks/Pulumi.<stack>.yaml")
    add_program(parser)
    add_json(parser, "also write the plan as JSON to PATH ('-' or no PATH: standard output, tree omitted)")
    add_policy_pack(parser, "CrossGuard pack to evaluate (default: <program>/policies when present)")
    add_policy_pack_config(parser, "pack config to apply instead of <pack>/config/<environment>.json (as pulumi's flag)")
    parser.add_argument("--no-policies", action="store_true", help="skip the policy pack")


def run(args: argparse.Namespace) -> int:
    from blueprint.tools.cost import UnpricedRegionError, estimate_plan, estimate_to_json, render_estimate
    from blueprint.tools.preview.plan import write_json
    from blueprint.tools.preview.render import render_plan
    from blueprint.tools.policy_check import plan_evaluation
    from blueprint.tools.preview.runner import run_stack  # imports pulumi: only for commands that run programs
    from blueprint.program.project import SECRET_PLACEHOLDER, load_project, read_stack_config

    if args.no_policies and args.policy_pack_config is not None:
        raise UsageError("--policy-pack-config: nothing to configure with --no-policies")
    project = load_project(args.program.resolve())
    if args.json not in (None, "-"):
        from blueprint.tools.output_paths import check_output_file

        check_output_file(Path(args.json), project, policy_pack=args.policy_pack, policy_pack_config=args.policy_pack_config)
    config = read_stack_config(project, args.stack)
    plan = run_stack(project, args.stack, config)

    try:
        cost, cost_note = estimate_plan(plan), None
    except UnpricedRegionError as error:
        cost, cost_note = None, f"Cost: not estimated: {error}\n"
    evaluation = None if args.no_policies else plan_evaluation(plan, args.policy_pack, project.directory, args.policy_pack_config)
    findings = None if evaluation is None else evaluation.findings
    document = plan.to_json()
    if cost is not None:
        document["cost"] = estimate_to_json(cost)
    if evaluation is not None:
        document["policies"] = [finding.to_json() for finding in evaluation.findings]
        if evaluation.warnings:
            document["policyWarnings"] = list(evaluation.warnings)
    exit_code = EXIT_FAILED if findings and any(f.blocking for f in findings) else EXIT_OK
    if args.json == "-":
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return exit_code
    sys.stdout.write(render_plan(plan))
    if cost is not None:
        sys.stdout.write("\n" + render_estimate(cost))
    elif cost_note:
        sys.stdout.write("\n" + cost_note)
    if evaluation is not None:
        from blueprint.tools.policy_check import render_findings

        sys.stdout.write("\n" + render_findings(evaluation.findings, plan.stack, evaluation.warnings))
    if config.secret_keys:
        sys.stdout.write(
            f"\nSecrets: {', '.join(sorted(config.secret_keys))} hold encrypted values, {SECRET_PLACEHOLDER} offline: what they "
            "contain is checked only where the engine decrypts them (pulumi preview with the stack's secrets provider).\n"
        )
    if args.json:
        path = Path(args.json)
        write_json(document, path)
        print(f"\nPlan written to {path}")
    if exit_code:
        print("error: mandatory policy violations (see above)", file=sys.stderr)
    return exit_code
