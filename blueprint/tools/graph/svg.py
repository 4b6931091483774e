"""The graph as SVG, laid out by Graphviz: :func:`to_dot` writes the DOT text (groups as clusters), ``dot -Tsvg``
places the boxes. Graphviz is a system package (Debian ``graphviz``), not a Python dependency; without it the SVG and
HTML forms are bad usage naming what to install, while Mermaid needs nothing."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping

from blueprint.tools.errors import ProgramFailed, UsageError
from blueprint.tools.graph.model import ACCESS, CONTAINS, NETWORK, REFERENCE, Node, StackGraph
from blueprint.tools.graph.style import (
    EDGE_COLOURS,
    KIND_COLOURS,
    STATUS_COLOURS,
    edge_status,
    group_key,
    node_lines,
    node_status,
    short_ids,
)

GRAPHVIZ_MISSING = (
    "Graphviz's dot is not installed (needed for --format svg and html): install it (Debian/Ubuntu: "
    "apt-get install graphviz; macOS: brew install graphviz), or use --format mermaid"
)
#: Seconds ``dot`` may take; a prod stack takes well under one.
DOT_TIMEOUT = 60
FONT = "Helvetica"

EDGE_STYLES = {ACCESS: "bold", NETWORK: "dashed", REFERENCE: "solid", CONTAINS: "solid"}
SHAPES = {"identity": "box", "data": "cylinder"}


def dot_program() -> str:
    """The path of ``dot``; ``UsageError`` saying to install Graphviz when it is missing."""
    found = shutil.which("dot")
    if found is None:
        raise UsageError(GRAPHVIZ_MISSING)
    return found


def to_svg(graph: StackGraph, *, status: Mapping[str, str] | None = None) -> str:
    """The SVG document ``dot`` draws of :func:`to_dot`."""
    program = dot_program()
    try:
        result = subprocess.run(
            [program, "-Tsvg"], input=to_dot(graph, status=status), capture_output=True, text=True, timeout=DOT_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ProgramFailed(f"Graphviz's dot could not lay out the graph: {error}") from error
    if result.returncode != 0:
        raise ProgramFailed(f"Graphviz's dot failed (exit {result.returncode}): {result.stderr.strip()}")
    return result.stdout


def to_dot(graph: StackGraph, *, status: Mapping[str, str] | None = None) -> str:
    """DOT text: one cluster per group, nested as the groups are; boxes coloured by kind (by status when a change
    touches them); lines styled by kind."""
    node_ids = short_ids((n.key for n in graph.nodes), "n")
    group_ids = short_ids((group_key(p) for p in graph.groups()), "cluster_g")
    lines = [
        f"digraph {_quote('stack ' + graph.stack)} {{",
        f'  graph [rankdir=LR, newrank=true, nodesep=0.2, ranksep=0.5, fontname="{FONT}", fontsize=12, '
        f'label={_quote("stack " + graph.stack)}, labelloc=t];',
        f'  node [shape=box, style="rounded,filled", fontname="{FONT}", fontsize=10, penwidth=1.2];',
        f'  edge [fontname="{FONT}", fontsize=8, arrowsize=0.7];',
    ]
    lines += _clusters(graph, (), node_ids, group_ids, status, 1)
    for edge in graph.edges:
        changed = edge_status(edge, status)
        colour = STATUS_COLOURS[changed][1] if changed else EDGE_COLOURS[edge.kind][0]
        attributes = [f"color={_quote(colour)}", f"fontcolor={_quote(colour)}", f"style={EDGE_STYLES[edge.kind]}"]
        if edge.label:
            attributes.append(f"label={_quote(edge.label)}")
        if edge.kind == CONTAINS:
            attributes.append("arrowhead=none")
        if changed:
            attributes.append("penwidth=2.5")
        lines.append(f"  {node_ids[edge.source]} -> {node_ids[edge.target]} [{', '.join(attributes)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _clusters(
    graph: StackGraph, path: tuple[str, ...], node_ids: dict[str, str], group_ids: dict[str, str], status: Mapping[str, str] | None, depth: int
) -> list[str]:
    indent = "  " * depth
    lines = [f"{indent}{node_ids[n.key]} [{_node_attributes(n, status)}];" for n in graph.nodes if n.group == path]
    for child in [p for p in graph.groups() if len(p) == len(path) + 1 and p[: len(path)] == path]:
        lines.append(f"{indent}subgraph {group_ids[group_key(child)]} {{")
        lines.append(f'{indent}  label={_quote(child[-1])}; style="rounded"; color="#9aa0a6"; fontsize={max(13 - depth, 9)};')
        lines += _clusters(graph, child, node_ids, group_ids, status, depth + 1)
        lines.append(f"{indent}}}")
    return lines


def _node_attributes(node: Node, status: Mapping[str, str] | None) -> str:
    fill, stroke, _ = KIND_COLOURS.get(node.kind, KIND_COLOURS["other"])
    changed = node_status(node, status)
    if changed:
        fill, stroke = STATUS_COLOURS[changed]
    attributes = [
        f"label={_quote(chr(10).join(node_lines(node)))}",
        f"fillcolor={_quote(fill)}",
        f"color={_quote(stroke)}",
        f"tooltip={_quote(node.key)}",
    ]
    if node.kind in SHAPES:
        attributes.append(f"shape={SHAPES[node.kind]}")
    if node.kind == "external" or changed == "removed":
        attributes.append('style="rounded,filled,dashed"')
    if changed:
        attributes.append("penwidth=3")
    return ", ".join(attributes)


def _quote(text: str) -> str:
    """A DOT string: backslashes and quotes escaped, line breaks as DOT's centred ``\\n``."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
