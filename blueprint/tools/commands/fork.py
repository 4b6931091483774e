"""``blueprint fork SOURCE NEW``: a new stack file from an existing one, with its project's identity re-derived,
written only once it has been validated, previewed offline and passed the policy pack (blueprint/tools/fork.py)."""

from __future__ import annotations

import argparse
import sys

from blueprint.tools.commands.options import Subparsers, add_policy_pack, add_program
from blueprint.tools.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE

NAME = "fork"


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        NAME,
        help="start a new stack from an existing one, with its names re-derived, validated and previewed",
        description="Write stacks/Pulumi.<new-stack>.yaml from the source stack's file (comments kept) with the new "
        "project's naming prefix, owner, cost centre, location and repository, validate it, preview it offline with "
        "the policy pack, and print the next steps. Refuses to overwrite a stack file; writes nothing on any error. "
        f"Exit {EXIT_OK} written, {EXIT_FAILED} the preview found a mandatory policy violation (nothing written), {EXIT_USAGE} bad usage or input.",
    )
    parser.add_argument("source", metavar="SOURCE_STACK", help="stack to copy, e.g. prod")
    parser.add_argument("stack", metavar="NEW_STACK", help="name of the new stack, e.g. fraud-prod")
    parser.add_argument("--project", required=True, metavar="NAME", help="the new ML project's short name: its resources' naming prefix (2-12 lowercase letters and digits, a letter first)")
    parser.add_argument("--owner", metavar="TEAM", help="tags.owner of the new stack (default: the source's)")
    parser.add_argument("--cost-center", metavar="CODE", help="tags.costCenter of the new stack (default: the source's)")
    parser.add_argument("--location", metavar="REGION", help="Azure region of the new stack (default: the source's)")
    parser.add_argument("--repository", metavar="OWNER/REPO", help="GitHub repository whose workflows deploy the new stack (ci.repository)")
    add_program(parser)
    add_policy_pack(parser, "CrossGuard pack to evaluate (default: <program>/policies)")


def run(args: argparse.Namespace) -> int:
    """Nothing is written unless every check passed and the source is still as it was read."""
    from blueprint.tools import fork as forking
    from blueprint.tools.errors import ProgramFailed, UsageError
    from blueprint.tools.stack_files import create_from, document_config
    from blueprint.program.errors import InputError
    from blueprint.program.project import display_path, load_project
    from blueprint.tools.progress import StatusLine

    request = forking.ForkRequest(
        source=args.source, stack=args.stack, project=args.project, owner=args.owner,
        cost_center=args.cost_center, location=args.location, repository=args.repository,
    )
    project = load_project(args.program.resolve())
    target = project.stack_file(request.stack)
    shown = display_path(project, target)
    with StatusLine() as status:  # on a terminal: which step the fork is at (erased before anything is printed)
        step = f"Forking {request.source} into {request.stack}"
        status.show(f"{step}: validating")
        source = forking.read_source(project, request)
        text, changes = forking.fork_text(source, project.name, request)

        from blueprint.tools.policy_check import plan_findings, render_findings
        from blueprint.tools.preview.runner import run_stack  # imports pulumi: only once the inputs are known to be sane

        status.show(f"{step}: previewing offline")
        try:
            plan = run_stack(project, request.stack, document_config(project, text, shown))
        except InputError as error:
            raise UsageError(f"{error}\n(nothing written)") from None
        except ProgramFailed as error:  # a value a component refuses is already a UsageError (run_stack)
            raise ProgramFailed(f"{error}\n(nothing written)") from error.__cause__

        status.show(f"{step}: checking the policy pack")
        findings = plan_findings(plan, args.policy_pack, project.directory) or []
        blocking = [finding for finding in findings if finding.blocking]
        if not blocking:
            status.show(f"{step}: writing {shown}")
            summary = forking.summary(request, shown, changes, plan, findings)  # before writing: a failure here writes nothing
            create_from(source, target, text)  # never overwrites; refuses if the source changed since it was read
    if blocking:
        sys.stdout.write(render_findings(findings, request.stack))
        print(f"error: {shown} would violate {len(blocking)} mandatory polic{'ies' if len(blocking) != 1 else 'y'} (see above); nothing written", file=sys.stderr)
        return EXIT_FAILED
    sys.stdout.write(summary)
    return EXIT_OK
