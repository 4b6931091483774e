"""``blueprint graph``: the stack as a picture (model.py builds it from a plan; mermaid.py, svg.py and html.py draw
it). The names other modules use are re-exported here."""

from __future__ import annotations

from blueprint.tools.graph.html import to_html
from blueprint.tools.graph.mermaid import to_mermaid
from blueprint.tools.graph.model import Edge, Node, StackGraph, build_graph
from blueprint.tools.graph.svg import GRAPHVIZ_MISSING, to_svg

__all__ = ["GRAPHVIZ_MISSING", "Edge", "Node", "StackGraph", "build_graph", "to_html", "to_mermaid", "to_svg"]
