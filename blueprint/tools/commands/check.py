"""``blueprint check [STACK...]``: preview stacks offline, evaluate the policy pack on each with its environment's pack
config, check the ML assets' wiring (blueprint/tools/wiring.py: every asset the stack, the templates and the
workflows use is published by something) and write the reports (text, JSON, SARIF, JUnit, Markdown): what CI runs
on every pull request."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

from blueprint.tools.commands.options import Subparsers, add_policy_pack, add_policy_pack_config, add_program, positive_int
from blueprint.tools.errors import UsageError
from blueprint.tools.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from blueprint.tools.shards import parse_shard

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
    parser.add_argument("--shard", type=parse_shard, metavar="I/N",
                        help="check only shard I of N of the stacks (every Nth, from the Ith): one job of a CI matrix; "
                        "its JSON report is what --merge combines")
    parser.add_argument("--merge", nargs="+", type=Path, metavar="FILE",
                        help="combine the JSON reports of every shard (check --shard I/N --format json) into the reports "
                        "one run over all the stacks writes, with its exit code")
    add_program(parser)
    add_policy_pack(parser, "CrossGuard pack to evaluate (default: <program>/policies, or the pack the blueprint bundles when the program has none)")
    add_policy_pack_config(parser, "pack config to apply to every stack instead of <pack>/config/<environment>.json (as pulumi's flag)")
    parser.add_argument("--format", dest="formats", action="append", choices=FORMATS, metavar="FORMAT",
                        help=f"report format, one of {', '.join(FORMATS)}; repeat for several (default: text, or all with --output-dir)")
    parser.add_argument("--jobs", type=positive_int, metavar="N",
                        help="check N stacks at a time, in worker processes (default: one per core; the reports are "
                        "the same whatever N; --debug checks one at a time)")
    parser.add_argument("--output-dir", type=Path, metavar="DIR",
                        help="write the reports to DIR (check.txt, check.json, check.sarif, check.junit.xml, compliance.md) and print the text report")


def run(args: argparse.Namespace) -> int:
    """Every stack file is read, and the pack and its configs loaded, before any preview runs: bad input is reported
    before minutes of previews, not after."""
    from blueprint.tools.catalog import load_catalog  # imports the pack: only for commands that evaluate it
    from blueprint.tools.policy_check import load_pack_config, load_policies, pack_failures
    from blueprint.program.project import load_project
    from blueprint.tools.reports import REPORT_FILES
    from blueprint.tools.pack_choice import choose_pack

    if args.merge is not None and (args.stacks or args.shard or args.jobs or args.policy_pack_config):
        raise UsageError("--merge combines the JSON reports of shards: it takes no STACK, --shard, --jobs or --policy-pack-config")
    formats = list(dict.fromkeys(args.formats or (REPORT_FILES if args.output_dir else ["text"])))
    if len(formats) > 1 and args.output_dir is None:
        raise UsageError(f"--format {' --format '.join(formats)}: several reports need --output-dir DIR (one file each)")
    project = load_project(args.program.resolve())
    choice = choose_pack(args.policy_pack, project.directory, "the program")
    pack = choice.directory
    if args.output_dir is not None:
        from blueprint.tools.output_paths import check_output_dir

        check_output_dir(
            args.output_dir, [REPORT_FILES[fmt] for fmt in formats], project, policy_pack=pack, policy_pack_config=args.policy_pack_config
        )
    if args.merge is not None:
        from blueprint.tools.shards import merge

        with pack_failures(pack):
            catalog = load_catalog(pack)
        _say_which_pack(choice, catalog)
        merged = merge(args.merge, catalog.name)
        return _report(args, formats, catalog, merged.findings, merged.stacks)

    names = list(dict.fromkeys(args.stacks)) or project.stacks()
    if not names:
        raise UsageError(f"{project.stack_config_dir}: no stack files (Pulumi.<stack>.yaml) to check")
    with pack_failures(pack):
        policies = load_policies(pack)
        catalog = load_catalog(pack)  # validates every config/<environment>.json of the pack, before any preview
        given_config = None if args.policy_pack_config is None else load_pack_config(pack, None, policies, path=args.policy_pack_config)
    _say_which_pack(choice, catalog)
    verdicts = _check_stacks(args, project, args.shard.stacks(names) if args.shard else names, pack, policies, given_config)
    if isinstance(verdicts, int):
        return verdicts
    findings = [finding for verdict in verdicts for finding in verdict.findings]
    checked = [verdict.stack for verdict in verdicts]
    shard = None if args.shard is None else (args.shard, names)
    return _report(args, formats, catalog, findings, checked, shard=shard)


def _say_which_pack(choice: Any, catalog: Any) -> None:
    """One line on standard error when the pack is the bundled one: the reports then judge by a pack the program
    does not hold."""
    notice = choice.notice(catalog.name)
    if notice is not None:
        print(notice, file=sys.stderr)


def _check_stacks(args: argparse.Namespace, project: Any, names: list[str], pack: Path, policies: list[Any],
                  given_config: Any) -> list[Any] | int:
    """The verdicts on ``names``, in that order; an exit code when the pack failed on a stack."""
    from blueprint.tools.parallel_checks import available_cores, check_stacks
    from blueprint.tools.progress import StatusLine
    from blueprint.tools.preview.references import preview_levels
    from blueprint.program.project import read_stack_config
    from blueprint.tools.stack_checks import StackChecker
    from blueprint.tools.wiring import read_project_wiring

    stack_configs = {name: read_stack_config(project, name) for name in names}  # every stack file is read before any runs
    wiring_sources = read_project_wiring(project.directory)  # the templates and workflows, read before any preview
    checker = StackChecker(project, stack_configs, pack, policies, wiring_sources, given_config, debug=args.debug)
    jobs = 1 if args.debug else args.jobs or available_cores()  # --debug: one at a time, tracebacks whole
    rounds = preview_levels(names, stack_configs)
    verdicts = {}
    with StatusLine() as status, contextlib.closing(check_stacks(checker, rounds, jobs)) as checks:
        order = [name for level in rounds for name in level]  # the order verdicts come in
        status.show(checking(order, 0))
        for verdict in checks:  # each stack previewed once, referenced stacks first
            if verdict.pack_error is not None:
                print(f"error: {verdict.pack_error}", file=sys.stderr)
                return EXIT_FAILED  # leaving the block stops the workers still checking
            verdicts[verdict.name] = verdict
            if len(verdicts) < len(order):
                status.show(checking(order, len(verdicts)))
    return [verdicts[name] for name in names]


def checking(order: list[str], done: int) -> str:
    """The progress line once ``done`` stacks of ``order`` are checked: the count and the next stack (with several
    workers, the next whose verdict is awaited; those after it may be running too)."""
    if len(order) == 1:
        return f"Checking {order[0]}"
    return f"Checking {done + 1}/{len(order)} stacks: {order[done]}"


def _report(args: argparse.Namespace, formats: list[str], catalog: Any, findings: list[Any], checked: list[Any], *,
            shard: tuple[Any, list[str]] | None = None) -> int:
    """Render and write the reports, print the text one, and give the exit code of what was found."""
    import json

    from blueprint.tools.reports import render, write_reports

    docs = {doc.name: doc for doc in catalog.docs}
    reports = {fmt: render(fmt, findings, docs, pack=catalog.name, stacks=checked) for fmt in formats}
    if shard is not None and "json" in reports:
        from blueprint.tools.reports import render_json
        from blueprint.tools.shards import shard_document

        document = shard_document(render_json(findings, docs, pack=catalog.name, stacks=checked), shard[0], shard[1], checked)
        reports["json"] = json.dumps(document, indent=2) + "\n"
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
