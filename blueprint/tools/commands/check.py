"""``blueprint check [STACK...]``: preview stacks offline, evaluate the policy pack on each with its environment's pack
config, check the ML assets' wiring (blueprint/tools/wiring.py: every asset the stack, the templates and the
workflows use is published by something) and write the reports (text, JSON, SARIF, JUnit, Markdown): what CI runs
on every pull request."""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path
from typing import Any

from blueprint.tools.commands.options import Subparsers, add_policy_pack, add_policy_pack_config, add_program
from blueprint.tools.errors import UsageError
from blueprint.tools.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE

NAME = "check"
#: ``--format`` values (blueprint.tools.reports.REPORT_FILES, written out so that parsing imports nothing).
FORMATS = ("text", "json", "sarif", "junit", "markdown")


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        NAME,
        help="preview stacks offline, evaluate the policy pack on each and write the reports",
        description="Preview each stack offline, evaluate the CrossGuard pack with the pack config of the stack's "
        "environment (policies/config/<environment>.json), check the ML asset wiring (every model, environment, "
        "component and data asset the stack, ml_templates/ and the workflows use has a publisher: finding "
        "asset-wiring) and report the findings as text, JSON, SARIF 2.1.0, JUnit "
        f"XML or a Markdown compliance report. Exit {EXIT_FAILED} when a mandatory policy is violated (waived resources excepted), "
        f"{EXIT_USAGE} on bad usage or bad input, {EXIT_OK} otherwise.",
    )
    parser.add_argument("stacks", nargs="*", metavar="STACK", help="stacks to check (default: every stack of the project)")
    add_program(parser)
    add_policy_pack(parser, "CrossGuard pack to evaluate (default: <program>/policies)")
    add_policy_pack_config(parser, "pack config to apply to every stack instead of <pack>/config/<environment>.json (as pulumi's flag)")
    parser.add_argument("--format", dest="formats", action="append", choices=FORMATS, metavar="FORMAT",
                        help=f"report format, one of {', '.join(FORMATS)}; repeat for several (default: text, or all with --output-dir)")
    parser.add_argument("--output-dir", type=Path, metavar="DIR",
                        help="write the reports to DIR (check.txt, check.json, check.sarif, check.junit.xml, compliance.md) and print the text report")


def run(args: argparse.Namespace) -> int:
    """Every stack file is read, and the pack and its configs loaded, before any preview runs: bad input is reported
    before minutes of previews, not after."""
    from blueprint.tools.catalog import load_catalog  # imports the pack: only for commands that evaluate it
    from blueprint.tools.policy_check import evaluate, load_pack_config, load_policies, pack_failures, policy_settings, unused_waivers
    from blueprint.tools.preview.references import preview_order, remember
    from blueprint.tools.preview.runner import run_stack
    from blueprint.program.project import load_project, read_stack_config
    from blueprint.tools.reports import REPORT_FILES, CheckedStack, render, write_reports
    from blueprint.tools.user_paths import resolved
    from blueprint.tools.wiring import POLICY as WIRING_POLICY, check_wiring, read_project_wiring

    formats = list(dict.fromkeys(args.formats or (REPORT_FILES if args.output_dir else ["text"])))
    if len(formats) > 1 and args.output_dir is None:
        raise UsageError(f"--format {' --format '.join(formats)}: several reports need --output-dir DIR (one file each)")
    project = load_project(args.program.resolve())
    if args.output_dir is not None:
        from blueprint.tools.output_paths import check_output_dir

        check_output_dir(
            args.output_dir, [REPORT_FILES[fmt] for fmt in formats], project, policy_pack=args.policy_pack, policy_pack_config=args.policy_pack_config
        )
    names = list(dict.fromkeys(args.stacks)) or project.stacks()
    if not names:
        raise UsageError(f"{project.stack_config_dir}: no stack files (Pulumi.<stack>.yaml) to check")
    stack_configs = {name: read_stack_config(project, name) for name in names}  # every stack file is read before any runs
    pack = resolved(args.policy_pack or project.directory / "policies", "--policy-pack")
    with pack_failures(pack):
        policies = load_policies(pack)
        catalog = load_catalog(pack)  # validates every config/<environment>.json of the pack, before any preview
        given_config = None if args.policy_pack_config is None else load_pack_config(pack, None, policies, path=args.policy_pack_config)
    docs = {doc.name: doc for doc in catalog.docs}
    wiring_sources = read_project_wiring(project.directory)  # the templates and workflows, read before any preview

    findings: list[Any] = []
    checked: list[Any] = []
    pack_configs: dict[str | None, Any] = {}
    plans = {}
    for name in preview_order(names, stack_configs):  # referenced stacks first: each stack is previewed once
        plans[name] = run_stack(project, name, stack_configs[name])
        remember(project, name, plans[name].outputs)
    for name in names:
        plan = plans.pop(name)
        environment = plan.environment
        if environment not in pack_configs:
            pack_configs[environment] = given_config if given_config is not None else load_pack_config(pack, environment, policies)
        config = pack_configs[environment]
        try:
            findings += evaluate(plan, policies, config)
        except Exception as error:  # a policy raised: a bug in the pack, not a violation
            if args.debug:
                traceback.print_exc()
            print(f"error: the policy pack failed on stack {name}: {type(error).__name__}: {error}", file=sys.stderr)
            return EXIT_FAILED
        asset_references, wiring = check_wiring(plan, wiring_sources, name)
        findings += wiring
        stack_file = project.stack_file(name)
        checked.append(CheckedStack(
            name=name,
            environment=environment,
            resources=sum(1 for r in plan.resources if r.custom and r.operation == "create"),
            policies=(*(p.name for p in policies if policy_settings(config, p.name)[0] != "disabled"), WIRING_POLICY),
            stack_file=stack_file.relative_to(project.directory).as_posix() if stack_file.is_relative_to(project.directory) else stack_file.name,
            urn=next((r.urn for r in plan.resources if r.type == "pulumi:pulumi:Stack"), None),
            warnings=tuple(unused_waivers(plan, config)),
            asset_references=asset_references,
        ))

    reports = {fmt: render(fmt, findings, docs, pack=catalog.name, stacks=checked) for fmt in formats}
    if args.output_dir is not None:
        written = write_reports(reports, args.output_dir)
        sys.stdout.write(reports.get("text") or render("text", findings, docs, pack=catalog.name, stacks=checked))
        print(f"\nReports written to {args.output_dir}: {', '.join(path.name for path in written)}")
    else:
        sys.stdout.write(reports[formats[0]])
    blocking = [f for f in findings if f.blocking]
    if blocking:
        stacks = ", ".join(dict.fromkeys(f.stack for f in blocking))
        print(f"error: {len(blocking)} mandatory policy violation{'s' if len(blocking) != 1 else ''} in {stacks}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
