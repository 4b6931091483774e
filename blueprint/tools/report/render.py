"""Rendering a gathered report into the two files ``blueprint report`` writes, and the lines it prints.

The stack's graph comes from ``blueprint graph``'s package (blueprint/tools/graph/): Graphviz draws the whole stack
for the page, and a Mermaid picture of the resources the change touches goes into the comment. Resources the change
removes exist only in the base plan; they are put back beside the current ones (:func:`changes.combined_plan`) so
that one graph shows what is added, changed and gone.
"""

from __future__ import annotations

from dataclasses import dataclass

from blueprint.tools.cost import currency_symbol, format_money
from blueprint.tools.report.changes import combined_plan
from blueprint.tools.report.comment import render_comment
from blueprint.tools.report.html_page import render_html, signed_money
from blueprint.tools.report.model import StackReport


@dataclass(frozen=True)
class RenderedReport:
    html: str
    comment: str
    summary: str
    """What the command prints: a few lines saying what the files hold."""


def render_files(report: StackReport) -> RenderedReport:
    """The page, the comment and the printed summary of ``report``; the graph is laid out by Graphviz (``dot``)."""
    from blueprint.tools.graph import build_graph, to_mermaid, to_svg

    comparison = report.comparison
    status = comparison.status if comparison is not None else {}
    graph = build_graph(combined_plan(report.plan, comparison.base_plan if comparison else None, status))
    svg = to_svg(graph, status=status or None)

    def mermaid(neighbours: bool) -> str | None:
        if not status:
            return None
        return to_mermaid(graph.restricted_to(set(status), neighbours=neighbours), status=status)

    return RenderedReport(render_html(report, svg), render_comment(report, mermaid), summary(report))


def summary(report: StackReport) -> str:
    lines = [f"Stack {report.stack}: {report.cloud_resources} cloud resources"]
    if report.cost is not None:
        symbol = currency_symbol(report.cost.currency)
        lines.append(f"  cost: fixed {symbol}{format_money(report.cost.fixed_monthly)} a month, peak month "
                     f"{symbol}{format_money(report.cost.peak_monthly)}")
    if report.pack is not None:
        blocking = sum(1 for f in report.findings if f.blocking)
        lines.append(f"  findings: {blocking} mandatory, {len(report.violations) - blocking} advisory, {len(report.waived)} waived")
    comparison = report.comparison
    if comparison is not None:
        diff = comparison.diff
        against = f"{comparison.ref} ({comparison.commit[:12]})" + (", where the stack file is absent" if comparison.base_plan is None else "")
        lines.append(f"  against {against}: {len(diff.only_b)} added, {len(diff.changed)} changed, {len(diff.only_a)} removed; "
                     f"{len(comparison.new_findings)} new and {len(comparison.fixed_findings)} fixed findings")
        if comparison.cost is not None:
            symbol = currency_symbol(comparison.cost.currency)
            lines.append(f"  cost delta: fixed {signed_money(comparison.cost.fixed_delta, symbol)} a month, peak month "
                         f"{signed_money(comparison.cost.peak_delta, symbol)}")
    return "\n".join(lines) + "\n"
