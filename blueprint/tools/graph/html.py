"""The graph as one standalone HTML page: a title, a legend and the SVG inline. No script, no stylesheet or font
from elsewhere: the page opens offline and as a CI artifact."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from blueprint.tools.graph.model import StackGraph
from blueprint.tools.graph.style import EDGE_COLOURS, KIND_COLOURS, STATUS_COLOURS
from blueprint.tools.graph.svg import EDGE_STYLES, to_svg

_PROLOGUE = re.compile(r"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!DOCTYPE[^>]*>\s*)?(?:<!--.*?-->\s*)*", re.DOTALL)

STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 1.5rem; color: #202124; }
h1 { font-size: 1.4rem; margin: 0 0 0.3rem; }
p.summary { margin: 0 0 1rem; color: #5f6368; }
.legend { display: flex; flex-wrap: wrap; gap: 0.4rem 1.2rem; font-size: 0.85rem; margin-bottom: 1rem; }
.legend span.box { display: inline-block; width: 1.1rem; height: 0.8rem; border: 1.5px solid; border-radius: 3px;
  vertical-align: middle; margin-right: 0.3rem; }
.legend svg { vertical-align: middle; margin-right: 0.3rem; }
figure { margin: 0; overflow: auto; border: 1px solid #dadce0; border-radius: 6px; padding: 0.5rem; }
figure svg { width: 100%; height: auto; }
""".strip()


def to_html(graph: StackGraph, *, title: str, status: Mapping[str, str] | None = None) -> str:
    """A page titled ``title``: the legend of box and line kinds (and of change statuses, when given), then the
    graph's SVG."""
    svg = _PROLOGUE.sub("", to_svg(graph, status=status), count=1).strip()
    kinds = sorted({node.kind for node in graph.nodes})
    edge_kinds = sorted({edge.kind for edge in graph.edges})
    legend = [_box_item(*KIND_COLOURS.get(kind, KIND_COLOURS["other"])) for kind in kinds]
    legend += [_line_item(kind) for kind in edge_kinds]
    if status:
        legend += [_box_item(fill, stroke, name) for name, (fill, stroke) in STATUS_COLOURS.items() if name in set(status.values())]
    summary = f"stack {graph.stack}: {len(graph.nodes)} boxes, {len(graph.edges)} lines"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f"<title>{html.escape(title)}</title>",
            f"<style>\n{STYLE}\n</style>",
            "</head>",
            "<body>",
            f"<h1>{html.escape(title)}</h1>",
            f'<p class="summary">{html.escape(summary)}</p>',
            '<div class="legend">',
            *legend,
            "</div>",
            "<figure>",
            svg,
            "</figure>",
            "</body>",
            "</html>",
            "",
        ]
    )


def _box_item(fill: str, stroke: str, text: str) -> str:
    return f'<span><span class="box" style="background:{fill};border-color:{stroke}"></span>{html.escape(text)}</span>'


def _line_item(kind: str) -> str:
    colour, text = EDGE_COLOURS[kind]
    dash = ' stroke-dasharray="4 3"' if EDGE_STYLES[kind] == "dashed" else ""
    width = 3 if EDGE_STYLES[kind] == "bold" else 1.5
    line = f'<svg width="28" height="10" aria-hidden="true"><line x1="0" y1="5" x2="28" y2="5" stroke="{colour}" stroke-width="{width}"{dash}/></svg>'
    return f"<span>{line}{html.escape(text)}</span>"
