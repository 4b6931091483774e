"""``blueprint graph STACK``: preview the stack offline and draw it: resources grouped by resource group and
component, the network paths, and who may reach what (blueprint/tools/graph/)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from blueprint.tools.commands.options import Subparsers, add_program
from blueprint.tools.exit_codes import EXIT_OK

NAME = "graph"
FORMATS = ("mermaid", "svg", "html")


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        NAME,
        help="draw a stack: resources by component, network paths, identities and their roles",
        description="Preview the stack offline and draw it: resources grouped by resource group and component, the "
        "network (virtual network, subnets, private endpoints and their DNS zones, the workspace's managed network "
        "and its outbound rules), and the identities with the roles they hold on each scope. Mermaid text (GitHub "
        "renders it in a ```mermaid block), or SVG and a standalone HTML page laid out by Graphviz's dot.",
    )
    parser.add_argument("stack", metavar="STACK", help="the stack to draw, e.g. prod")
    parser.add_argument("--format", choices=FORMATS, default="mermaid", help="what to write (default: mermaid)")
    parser.add_argument("--output", type=Path, metavar="PATH", help="write to PATH instead of standard output")
    add_program(parser)


def run(args: argparse.Namespace) -> int:
    """Checks what it can before the preview runs: the output path, and Graphviz for SVG and HTML."""
    from blueprint.program.project import load_project, read_stack_config
    from blueprint.tools.graph import build_graph, to_html, to_mermaid, to_svg
    from blueprint.tools.graph.svg import dot_program
    from blueprint.tools.preview.runner import run_stack  # imports pulumi: only for commands that run programs

    project = load_project(args.program.resolve())
    if args.output is not None:
        from blueprint.tools.output_paths import check_output_file

        check_output_file(args.output, project, option="--output")
    if args.format != "mermaid":
        dot_program()
    plan = run_stack(project, args.stack, read_stack_config(project, args.stack))
    graph = build_graph(plan)
    if args.format == "mermaid":
        text = to_mermaid(graph)
    elif args.format == "svg":
        text = to_svg(graph)
    else:
        text = to_html(graph, title=f"{plan.project}/{plan.stack}")
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    from blueprint.tools.atomic_files import write_atomic

    write_atomic(args.output, text, create_parents=True)
    print(f"Graph of {plan.project}/{plan.stack} ({len(graph.nodes)} boxes, {len(graph.edges)} lines) written to {args.output}")
    return EXIT_OK
