"""The stack as a graph: which resources become boxes, how they are grouped, and what connects them.

A prod plan registers about 150 resources; drawn one box each, the picture says little. So configuration that only
exists to connect or tune other resources becomes an edge or a note instead of a box (blueprint/tools/graph/rules.py
says which). Every node keeps the URNs of the resources it stands for, every edge the URNs it was made from, so the
part of the graph around a pull request's changes can be cut out (:meth:`StackGraph.restricted_to`) and styled.

Standard library only: the renderers and the report import it without the preview's imports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from blueprint.tools.preview.plan import Plan

#: Edge kinds, as the renderers style them.
CONTAINS = "contains"
NETWORK = "network"
ACCESS = "access"
REFERENCE = "reference"
EDGE_KINDS = (CONTAINS, NETWORK, ACCESS, REFERENCE)


@dataclass(frozen=True)
class Node:
    """One box: a resource of the plan, a part of one (a workspace's managed network and its outbound rules), or a
    resource outside the stack that it reaches (keyed ``arm:<resource ID>``)."""

    key: str
    """The resource's URN, or ``<urn>#<part>`` for a part of it, or ``arm:<id>`` for a resource outside the plan."""
    label: str
    """What the box says: the resource's kind and logical name, one per line."""
    kind: str
    """What it is, for the box's style: network, identity, security, data, ml, monitoring, cost, group, external..."""
    group: tuple[str, ...]
    """Where it is drawn: the resource group (or Entra ID, the subscription, other stacks), then its components."""
    resources: tuple[str, ...] = ()
    """The URNs of the plan's resources this box stands for: its own and the configuration folded into it."""
    notes: tuple[str, ...] = ()
    """Configuration folded into the box (a delete lock, an autoscale setting), shown under its label."""


@dataclass(frozen=True)
class Edge:
    """A line between two boxes: containment, a network path, an access grant (labelled with the roles) or a
    reference (a resource that uses or reports to another)."""

    source: str
    target: str
    kind: str
    label: str = ""
    resources: tuple[str, ...] = ()
    """The URNs of the plan's resources the line was made from (role assignments, DNS zone links...)."""


@dataclass(frozen=True)
class StackGraph:
    """Nodes and edges in a fixed order (nodes by key; edges by source, target, kind), so rendering is
    deterministic."""

    stack: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    _by_key: dict[str, Node] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {node.key: node for node in self.nodes})

    def node(self, key: str) -> Node:
        return self._by_key[key]

    def has_node(self, key: str) -> bool:
        return key in self._by_key

    def nodes_for(self, urns: Iterable[str]) -> set[str]:
        """The keys of the boxes standing for any of ``urns`` (a folded resource maps to the box it is folded into;
        a resource drawn as an edge maps to both ends)."""
        wanted = set(urns)
        keys = {node.key for node in self.nodes if node.key in wanted or wanted.intersection(node.resources)}
        for edge in self.edges:
            if wanted.intersection(edge.resources):
                keys |= {edge.source, edge.target}
        return keys

    def restricted_to(self, urns: Iterable[str], *, neighbours: bool = True) -> StackGraph:
        """The part of the graph around ``urns`` (the resources a change touches): their boxes, the lines made from
        them, and with ``neighbours`` every box one line away, so a reviewer sees what a change connects to."""
        wanted = set(urns)
        core = self.nodes_for(wanted)
        kept = set(core)
        if neighbours:
            for edge in self.edges:
                if edge.source in core or edge.target in core:
                    kept |= {edge.source, edge.target}
        edges = tuple(
            edge
            for edge in self.edges
            if edge.source in kept
            and edge.target in kept
            and (edge.source in core or edge.target in core or wanted.intersection(edge.resources))
        )
        return StackGraph(self.stack, tuple(node for node in self.nodes if node.key in kept), edges)

    def union(self, other: StackGraph) -> StackGraph:
        """This graph with ``other``'s boxes and lines that it lacks: the head of a change with what the base had,
        so a removed resource still has a box to mark ``removed``. Where both have a box, this graph's wins."""
        nodes = {node.key: node for node in other.nodes} | {node.key: node for node in self.nodes}
        edges = merged_edges([*self.edges, *other.edges])
        return StackGraph(self.stack, tuple(nodes[key] for key in sorted(nodes)), edges)

    def groups(self) -> list[tuple[str, ...]]:
        """Every group path with at least one node below it, sorted (parents before their children)."""
        paths = {node.group[:depth] for node in self.nodes for depth in range(1, len(node.group) + 1)}
        return sorted(paths)


def merged_edges(edges: Iterable[Edge]) -> tuple[Edge, ...]:
    """One line per (source, target, kind): parallel lines merge, their labels joined (sorted, without repeats) and
    their resources pooled; loops are dropped."""
    pooled: dict[tuple[str, str, str], tuple[set[str], set[str]]] = {}
    for edge in edges:
        if edge.source == edge.target:
            continue
        labels, resources = pooled.setdefault((edge.source, edge.target, edge.kind), (set(), set()))
        if edge.label:
            labels.update(edge.label.split(", "))
        resources.update(edge.resources)
    return tuple(
        Edge(source, target, kind, ", ".join(sorted(labels)), tuple(sorted(resources)))
        for (source, target, kind), (labels, resources) in sorted(pooled.items())
    )


def build_graph(plan: Plan) -> StackGraph:
    """The graph of ``plan``: which resources are boxes, lines or notes is blueprint/tools/graph/rules.py's job."""
    from blueprint.tools.graph.rules import graph_of_plan  # rules imports this module

    return graph_of_plan(plan)
