"""The ``blueprint`` command line: preview, check, policies, schema, templates, fork, diff and promote.

Exit codes (blueprint/tools/exit_codes.py): ``EXIT_OK`` success; ``EXIT_FAILED`` the program failed (a bug, reported
with ``--debug`` for a traceback); ``EXIT_USAGE`` bad usage, bad input or an output that cannot be written (a short
message naming the file and key, or the path, never a traceback); ``EXIT_INTERRUPTED`` Ctrl-C (one line on standard
error, no file half-written, no child process left running); ``EXIT_BROKEN_PIPE`` standard output closed by its
reader (``blueprint policies | head -1``: the rest of the output is dropped quietly). See
blueprint/tools/termination.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from blueprint.tools.errors import ProgramFailed, UsageError
from blueprint.tools.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from blueprint.program.errors import InputError

#: ``blueprint check --format`` values (blueprint.tools.reports.REPORT_FILES, kept here so parsing imports nothing).
CHECK_FORMATS = ("text", "json", "sarif", "junit", "markdown")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="blueprint", description="Azure MLOps blueprint: offline preview and tools for its stacks.")
    parser.add_argument("--debug", action="store_true", help="show a traceback when the program itself fails")
    commands = parser.add_subparsers(dest="command", required=True)

    preview = commands.add_parser(
        "preview",
        help="run the Pulumi program offline under mocks and show what the stack would create",
        description="Run the real Pulumi program with the stack's config under Pulumi's mock runtime, with mocks "
        "that answer like Azure Resource Manager, and print the plan.",
    )
    preview.add_argument("stack", help="stack name: stacks/Pulumi.<stack>.yaml")
    preview.add_argument("--program", type=Path, default=Path.cwd(), metavar="DIR", help="Pulumi project directory (default: the current directory)")
    preview.add_argument("--json", nargs="?", const="-", metavar="PATH", help="also write the plan as JSON to PATH ('-' or no PATH: standard output, tree omitted)")
    preview.add_argument("--policy-pack", type=Path, metavar="DIR", help="CrossGuard pack to evaluate (default: <program>/policies when present)")
    preview.add_argument("--policy-pack-config", type=Path, metavar="FILE", help="pack config to apply instead of <pack>/config/<environment>.json (as pulumi's flag)")
    preview.add_argument("--no-policies", action="store_true", help="skip the policy pack")

    schema = commands.add_parser("schema", help="print the JSON Schema editors use to validate stack files")
    schema.add_argument("--program", type=Path, default=Path.cwd(), metavar="DIR", help="Pulumi project directory (its name is the config namespace)")

    templates = commands.add_parser("templates", help="tools for the Azure ML templates (ml_templates/)")
    template_commands = templates.add_subparsers(dest="templates_command", metavar="COMMAND", required=True)
    validate = template_commands.add_parser(
        "validate",
        help="load every Azure ML template with azure-ai-ml, offline, and report what it refuses",
        description="Load every YAML file with a $schema under DIR with the azure-ai-ml loader for its kind, as "
        "'az ml ... create' would, without a workspace. Needs requirements-ml.txt. Exit 0 when all load, 2 otherwise (or when DIR holds none).",
    )
    validate.add_argument("--program", type=Path, default=Path.cwd(), metavar="DIR", help="project directory (default: the current directory)")
    validate.add_argument("--path", type=Path, metavar="DIR", help="templates directory (default: ml_templates in the project directory)")

    check = commands.add_parser(
        "check",
        help="preview stacks offline, evaluate the policy pack on each and write the reports",
        description="Preview each stack offline, evaluate the CrossGuard pack with the pack config of the stack's "
        "environment (policies/config/<environment>.json) and report the findings as text, JSON, SARIF 2.1.0, JUnit "
        "XML or a Markdown compliance report. Exit 1 when a mandatory policy is violated (waived resources excepted), "
        "2 on bad usage or bad input, 0 otherwise.",
    )
    check.add_argument("stacks", nargs="*", metavar="STACK", help="stacks to check (default: every stack of the project)")
    check.add_argument("--program", type=Path, default=Path.cwd(), metavar="DIR", help="Pulumi project directory (default: the current directory)")
    check.add_argument("--policy-pack", type=Path, metavar="DIR", help="CrossGuard pack to evaluate (default: <program>/policies)")
    check.add_argument("--policy-pack-config", type=Path, metavar="FILE", help="pack config to apply to every stack instead of <pack>/config/<environment>.json (as pulumi's flag)")
    check.add_argument("--format", dest="formats", action="append", choices=CHECK_FORMATS, metavar="FORMAT",
                       help=f"report format, one of {', '.join(CHECK_FORMATS)}; repeat for several (default: text, or all with --output-dir)")
    check.add_argument("--output-dir", type=Path, metavar="DIR",
                       help="write the reports to DIR (check.txt, check.json, check.sarif, check.junit.xml, compliance.md) and print the text report")

    fork = commands.add_parser(
        "fork",
        help="start a new stack from an existing one, with its names re-derived, validated and previewed",
        description="Write stacks/Pulumi.<new-stack>.yaml from the source stack's file (comments kept) with the new "
        "project's naming prefix, owner, cost centre, location and repository, validate it, preview it offline with "
        "the policy pack, and print the next steps. Refuses to overwrite a stack file; writes nothing on any error. "
        "Exit 0 written, 1 the preview found a mandatory policy violation (nothing written), 2 bad usage or input.",
    )
    fork.add_argument("source", metavar="SOURCE_STACK", help="stack to copy, e.g. prod")
    fork.add_argument("stack", metavar="NEW_STACK", help="name of the new stack, e.g. fraud-prod")
    fork.add_argument("--project", required=True, metavar="NAME", help="the new ML project's short name: its resources' naming prefix (2-12 lowercase letters and digits, a letter first)")
    fork.add_argument("--owner", metavar="TEAM", help="tags.owner of the new stack (default: the source's)")
    fork.add_argument("--cost-center", metavar="CODE", help="tags.costCenter of the new stack (default: the source's)")
    fork.add_argument("--location", metavar="REGION", help="Azure region of the new stack (default: the source's)")
    fork.add_argument("--repository", metavar="OWNER/REPO", help="GitHub repository whose workflows deploy the new stack (ci.repository)")
    fork.add_argument("--program", type=Path, default=Path.cwd(), metavar="DIR", help="Pulumi project directory (default: the current directory)")
    fork.add_argument("--policy-pack", type=Path, metavar="DIR", help="CrossGuard pack to evaluate (default: <program>/policies)")

    diff = commands.add_parser(
        "diff",
        help="what differs between two stacks' plans, resources matched by logical role",
        description="Preview both stacks offline and list the resources only one of them has and the settings that "
        "differ between resources playing the same role (same type and logical name), physical names aside: what "
        "promoting from STACK_A to STACK_B changes.",
    )
    diff.add_argument("stack_a", metavar="STACK_A", help="the stack promoted from, e.g. staging")
    diff.add_argument("stack_b", metavar="STACK_B", help="the stack promoted to, e.g. prod")
    diff.add_argument("--program", type=Path, default=Path.cwd(), metavar="DIR", help="Pulumi project directory (default: the current directory)")
    diff.add_argument("--json", nargs="?", const="-", metavar="PATH", help="write the differences as JSON to PATH ('-' or no PATH: standard output)")

    promote = commands.add_parser(
        "promote",
        help="point one deployment of a stack's endpoint at another model version, in the stack file",
        description="Set mlplatform:endpoints[<endpoint>].deployments[<deployment>].model in the stack file "
        "(comments kept), after checking that the result is a valid stack configuration. The models workflow uses it "
        "to open the pull request that promotes a registered model to prod. Exit 0 changed or already set, 2 bad "
        "usage or input (nothing written).",
    )
    promote.add_argument("stack", help="stack whose file to change, e.g. prod")
    promote.add_argument("--endpoint", required=True, metavar="NAME", help="endpoint name in mlplatform:endpoints")
    promote.add_argument("--deployment", required=True, metavar="NAME", help="deployment name under that endpoint, e.g. green")
    promote.add_argument("--model", required=True, metavar="REF", help="model reference, e.g. registry:fraud-classifier:7")
    promote.add_argument("--program", type=Path, default=Path.cwd(), metavar="DIR", help="Pulumi project directory (default: the current directory)")

    policies = commands.add_parser(
        "policies",
        help="print the policy catalog: what each policy checks, why, its enforcement and the controls it implements",
    )
    policies.add_argument("--format", choices=("markdown", "json"), default="markdown", help="markdown (docs/policies.md) or json")
    policies.add_argument("--policy-pack", type=Path, metavar="DIR", help="CrossGuard pack (default: ./policies)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI in this process and return its exit code (tests call it; the process itself is :func:`run`)."""
    from blueprint.tools.termination import run_command

    return run_command(lambda: _main(argv))


def run() -> NoReturn:
    """The ``blueprint`` command and ``python -m blueprint``: the CLI as the whole process, which ends with its exit
    code as soon as the command is done (blueprint/tools/termination.py: a late Ctrl-C is still reported)."""
    from blueprint.tools.termination import run_as_process

    run_as_process(lambda: _main(None))


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _resolve_path_options(args)
        if args.command == "preview":
            return _preview(args)
        if args.command == "schema":
            return _schema(args)
        if args.command == "templates":
            return _templates_validate(args)
        if args.command == "check":
            return _check(args)
        if args.command == "policies":
            return _policies(args)
        if args.command == "fork":
            from blueprint.tools.fork import fork_command

            return fork_command(args)
        if args.command == "diff":
            from blueprint.tools.stack_diff import diff_command

            return diff_command(args)
        if args.command == "promote":
            from blueprint.tools.promote import promote_command

            return promote_command(args)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ProgramFailed as error:
        if args.debug:
            traceback.print_exception(error.__cause__ or error)
        print(f"error: {error}", file=sys.stderr)
        if not args.debug:
            print("       (run with --debug for a traceback)", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_USAGE


#: Options naming a path that is read, and how messages name them; ``--json`` and ``--output-dir`` are checked where
#: the output paths are (blueprint/tools/output_paths.py), with the same helper.
_PATH_OPTIONS = {"program": "--program", "policy_pack": "--policy-pack", "policy_pack_config": "--policy-pack-config", "path": "--path"}


def _resolve_path_options(args: argparse.Namespace) -> None:
    """Resolve every path option once, here, so that a link loop is bad input naming the option rather than a
    traceback from whichever command resolves it first. The project directory and the pack are used resolved; the
    pack config and the templates directory keep the form given, for messages."""
    from blueprint.tools.user_paths import resolved

    for dest, option in _PATH_OPTIONS.items():
        value = getattr(args, dest, None)
        if value is None:
            continue
        real = resolved(value, option)
        if dest in ("program", "policy_pack"):
            setattr(args, dest, real)


def _preview(args: argparse.Namespace) -> int:
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


def _schema(args: argparse.Namespace) -> int:
    from blueprint.program.config.schema import stack_file_schema
    from blueprint.program.project import load_project

    project = load_project(args.program.resolve())
    json.dump(stack_file_schema(project.name), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return EXIT_OK


def _templates_validate(args: argparse.Namespace) -> int:
    from blueprint.tools.templates.validate import check_templates  # imports azure-ai-ml when it runs: never on the preview path

    root = args.path if args.path is not None else args.program / "ml_templates"
    report = check_templates(root)
    if not report.checked:  # "0 templates load" would report success about nothing
        raise UsageError(f"{root}: no Azure ML templates here (YAML files with a $schema); nothing was checked")
    for problem in report.problems:
        print(problem)
    checked = len(report.checked)
    if report.problems:
        count = len(report.problems)
        print(f"\n{count} problem{'s' if count != 1 else ''} in {len(report.invalid)} of {checked} templates under {root}")
        return EXIT_USAGE
    print(f"{checked} template{'s' if checked != 1 else ''} under {root} load with azure-ai-ml")
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from blueprint.tools.catalog import load_catalog  # imports the pack: only for commands that evaluate it
    from blueprint.tools.policy_check import evaluate, load_pack_config, load_policies, policy_settings, unused_waivers
    from blueprint.tools.preview.runner import run_stack
    from blueprint.program.project import load_project, read_stack_config
    from blueprint.tools.reports import REPORT_FILES, CheckedStack, render, write_reports
    from blueprint.tools.user_paths import resolved

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
    try:
        policies = load_policies(pack)
        catalog = load_catalog(pack)  # validates every config/<environment>.json of the pack, before any preview
        given_config = None if args.policy_pack_config is None else load_pack_config(pack, None, policies, path=args.policy_pack_config)
    except InputError:
        raise
    except ValueError as error:
        raise UsageError(f"{pack}: {error}") from None
    except Exception as error:  # the pack itself failed to import
        return _pack_failed(args, pack, error)
    docs = {doc.name: doc for doc in catalog.docs}

    findings: list[Any] = []
    checked: list[Any] = []
    pack_configs: dict[str | None, Any] = {}
    for name in names:
        plan = run_stack(project, name, stack_configs[name])
        environment = plan.outputs.get("environment")
        environment = environment if isinstance(environment, str) else None
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
        stack_file = project.stack_file(name)
        checked.append(CheckedStack(
            name=name,
            environment=environment,
            resources=sum(1 for r in plan.resources if r.custom and r.operation == "create"),
            policies=tuple(p.name for p in policies if policy_settings(config, p.name)[0] != "disabled"),
            stack_file=stack_file.relative_to(project.directory).as_posix() if stack_file.is_relative_to(project.directory) else stack_file.name,
            urn=next((r.urn for r in plan.resources if r.type == "pulumi:pulumi:Stack"), None),
            warnings=tuple(unused_waivers(plan, config)),
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


def _policies(args: argparse.Namespace) -> int:
    from blueprint.tools.catalog import catalog_json, catalog_markdown, load_catalog
    from blueprint.tools.user_paths import resolved

    pack = resolved(args.policy_pack or Path.cwd() / "policies", "--policy-pack")
    try:
        catalog = load_catalog(pack)
        options = {"areas": catalog.areas, "configs": catalog.configs, "pack": catalog.name}
        if args.format == "json":
            json.dump(catalog_json(catalog.docs, **options), sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            sys.stdout.write(catalog_markdown(catalog.docs, **options))
    except (InputError, BrokenPipeError):  # a closed standard output is not the pack failing
        raise
    except ValueError as error:
        raise UsageError(f"{pack}: {error}") from None
    except Exception as error:  # the pack itself failed to import
        return _pack_failed(args, pack, error)
    return EXIT_OK


def _pack_failed(args: argparse.Namespace, pack: Path, error: Exception) -> int:
    if args.debug:
        traceback.print_exc()
    print(f"error: the policy pack in {pack} failed to load: {type(error).__name__}: {error}", file=sys.stderr)
    if not args.debug:
        print("       (run with --debug for a traceback)", file=sys.stderr)
    return EXIT_FAILED


if __name__ == "__main__":
    run()
