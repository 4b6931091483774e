"""``blueprint report STACK [--base REF]``: a reviewer's view of one stack, as two files: ``report.html`` (the stack's
graph, its cost chart, the findings with their remediation, waivers and the controls covered; one self-contained page)
and ``comment.md`` (the pull-request comment: with ``--base``, what the change adds, changes and removes, its cost
delta and the findings it introduces or fixes)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from blueprint.tools.commands.options import Subparsers, add_policy_pack, add_program
from blueprint.tools.exit_codes import EXIT_OK

if TYPE_CHECKING:
    from blueprint.program.project import Project
    from blueprint.tools.report.changes import Comparison
    from blueprint.tools.report.model import StackReport

NAME = "report"
#: The files the command writes in --output-dir.
HTML_FILE = "report.html"
COMMENT_FILE = "comment.md"


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        NAME,
        help="write a stack's HTML report and its pull-request comment, optionally against a base revision",
        description="Preview the stack offline and write report.html (the stack's graph, cost chart, policy findings "
        "with remediation, waivers and controls covered: one self-contained page) and comment.md (a pull-request "
        "comment starting with a hidden marker line the workflow updates it by). With --base REF, the stack is also "
        "previewed as REF defines it, by REF's own code, and both files show what changed: resources added, changed "
        "and removed (matched by role), the monthly cost delta and new and fixed findings.",
    )
    parser.add_argument("stack", metavar="STACK", help="stack name: stacks/Pulumi.<stack>.yaml")
    parser.add_argument("--base", metavar="REF",
                        help="git revision to compare with (a branch, tag or commit of the repository holding the project)")
    parser.add_argument("--output-dir", type=Path, metavar="DIR",
                        help=f"where to write {HTML_FILE} and {COMMENT_FILE} (default: report-<STACK>)")
    add_program(parser)
    add_policy_pack(parser, "CrossGuard pack to evaluate (default: <program>/policies when present; the base revision is "
                            "judged by its own pack)")


def run(args: argparse.Namespace) -> int:
    """Bad input (the stack file, --base, the output directory) is reported before any preview runs."""
    import dataclasses

    from blueprint.program.project import load_project, read_stack_config
    from blueprint.tools.atomic_files import write_all
    from blueprint.tools.output_paths import check_output_dir
    from blueprint.tools.preview.runner import run_stack  # imports pulumi: only for commands that run programs
    from blueprint.tools.report.gather import gather
    from blueprint.tools.report.render import render_files

    project = load_project(args.program.resolve())
    output_dir = args.output_dir if args.output_dir is not None else Path(f"report-{args.stack}")
    check_output_dir(output_dir, [HTML_FILE, COMMENT_FILE], project, policy_pack=args.policy_pack)
    config = read_stack_config(project, args.stack)
    if args.base is not None:
        from blueprint.tools.base_tree import repository_root, resolve_commit

        resolve_commit(repository_root(project.directory), args.base)  # a bad REF stops here, before any preview

    plan = run_stack(project, args.stack, config)
    report = gather(plan, project.directory, args.policy_pack)
    if args.base is not None:
        report = dataclasses.replace(report, comparison=_compare_with_base(args.base, project, args.stack, report))
    files = render_files(report)
    write_all({output_dir / HTML_FILE: files.html, output_dir / COMMENT_FILE: files.comment}, create_parents=True)
    sys.stdout.write(files.summary)
    print(f"Report written to {output_dir}: {HTML_FILE}, {COMMENT_FILE}")
    return EXIT_OK


def _compare_with_base(ref: str, project: Project, stack: str, report: StackReport) -> Comparison:
    """Preview ``stack`` as ``ref`` defines it, by ``ref``'s own code, and compare the report's plan with it."""
    from blueprint.tools.base_preview import preview_base
    from blueprint.tools.base_tree import materialised
    from blueprint.tools.report.changes import compare

    print(f"Previewing {stack} as {ref} defines it, with {ref}'s code", file=sys.stderr)
    with materialised(project.directory, ref) as base:
        previous = preview_base(base, stack, project.stack_file(stack))
        commit = base.commit
    return compare(
        report.plan, report.cost, report.findings, ref=ref, commit=commit,
        base_plan=None if previous is None else previous.plan,
        base_findings=() if previous is None else previous.findings,
        base_evaluated=previous is None or previous.evaluated,
    )
