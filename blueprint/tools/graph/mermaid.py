"""The graph as Mermaid flowchart text, which GitHub renders in a ```mermaid block (a pull-request comment, a README).

Only a small subset of the flowchart syntax is emitted: ``flowchart LR``, nested ``subgraph id["title"]`` ... ``end``,
boxes ``id["text"]`` (rounded ``id("text")`` for identities, ``id[("text")]`` for data stores), lines
``a -->|"text"| b`` (``==>`` access, ``-.->`` network, ``---`` containment), ``classDef``, ``class`` and ``linkStyle``.
Every text is quoted and every character outside letters, digits and plain punctuation is written as Mermaid's
``#<code>;`` entity, so no name can break the syntax.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

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

ARROWS = {ACCESS: "==>", NETWORK: "-.->", REFERENCE: "-->", CONTAINS: "---"}
_PLAIN = re.compile(r"[A-Za-z0-9 .,:/_+=@()-]")


def to_mermaid(graph: StackGraph, *, status: Mapping[str, str] | None = None) -> str:
    """The diagram's text, without the ``` fence; ``status`` maps URNs to added/changed/removed."""
    node_ids = short_ids((n.key for n in graph.nodes), "n")
    group_ids = short_ids((group_key(p) for p in graph.groups()), "g")
    lines = ["flowchart LR"]
    lines += _groups(graph, (), node_ids, group_ids, 1)
    link_styles: list[str] = []
    for index, edge in enumerate(graph.edges):
        label = f'|"{escape(edge.label)}"|' if edge.label else ""
        lines.append(f"    {node_ids[edge.source]} {ARROWS[edge.kind]}{label} {node_ids[edge.target]}")
        changed = edge_status(edge, status)
        colour = STATUS_COLOURS[changed][1] if changed else EDGE_COLOURS[edge.kind][0]
        width = "3px" if changed else "1px"
        link_styles.append(f"    linkStyle {index} stroke:{colour},stroke-width:{width}")
    lines += link_styles
    by_class: dict[str, list[str]] = {}
    for node in graph.nodes:
        by_class.setdefault(node.kind, []).append(node_ids[node.key])
        changed = node_status(node, status)
        if changed:
            by_class.setdefault(changed, []).append(node_ids[node.key])
    for kind, (fill, stroke, _) in KIND_COLOURS.items():
        if kind in by_class:
            lines.append(f"    classDef {kind} fill:{fill},stroke:{stroke},color:#202124")
    for name, (fill, stroke) in STATUS_COLOURS.items():
        if name in by_class:
            dashes = ",stroke-dasharray:5 4" if name == "removed" else ""
            lines.append(f"    classDef {name} fill:{fill},stroke:{stroke},stroke-width:3px,color:#202124{dashes}")
    for name in [k for k in KIND_COLOURS if k in by_class] + [s for s in STATUS_COLOURS if s in by_class]:
        lines.append(f"    class {','.join(by_class[name])} {name}")
    return "\n".join(lines) + "\n"


def _groups(graph: StackGraph, path: tuple[str, ...], node_ids: dict[str, str], group_ids: dict[str, str], depth: int) -> list[str]:
    """The boxes directly in ``path``, then each subgroup, nested."""
    indent = "    " * depth
    lines = [f"{indent}{node_ids[n.key]}{_box(n)}" for n in graph.nodes if n.group == path]
    for child in [p for p in graph.groups() if len(p) == len(path) + 1 and p[: len(path)] == path]:
        lines.append(f'{indent}subgraph {group_ids[group_key(child)]}["{escape(child[-1])}"]')
        lines += _groups(graph, child, node_ids, group_ids, depth + 1)
        lines.append(f"{indent}end")
    return lines


def _box(node: Node) -> str:
    text = "<br>".join(escape(line) for line in node_lines(node))
    if node.kind == "identity":
        return f'("{text}")'
    if node.kind == "data":
        return f'[("{text}")]'
    return f'["{text}"]'


def escape(text: str) -> str:
    """``text`` safe inside a quoted Mermaid label: plain characters as they are, every other one as ``#<code>;``."""
    return "".join(char if _PLAIN.fullmatch(char) else f"#{ord(char)};" for char in text)
