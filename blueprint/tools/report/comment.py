"""The pull-request comment: what a change does to one stack, in GitHub Markdown, short enough to read in a review.

It starts with a fixed hidden marker line (:func:`marker`), so the workflow finds the comment it posted for this stack
and updates it on the next push instead of adding another. With a base revision it lists the resources added,
changed and removed (matched by role), the monthly cost before and after with the delta, the findings the change
introduces and those it fixes, and a Mermaid picture of the changed resources and their neighbours; without one it
summarises the stack. The HTML report carries the rest.

GitHub refuses a comment above :data:`GITHUB_COMMENT_LIMIT` characters: long lists end with a count of what is left
out, the picture is dropped when it does not fit, and the result is checked against the limit whatever happens.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from blueprint.tools.cost import currency_symbol, format_money
from blueprint.tools.markdown import cell, code, table
from blueprint.tools.policy_check import Finding
from blueprint.tools.report.changes import Comparison
from blueprint.tools.report.html_page import signed_money
from blueprint.tools.report.model import StackReport
from blueprint.tools.reports import resource_label, status
from blueprint.tools.stack_diff import render_value, short_type

GITHUB_COMMENT_LIMIT = 65_536
#: What the comment aims to stay under, leaving the workflow room around it.
TARGET_LENGTH = 60_000
#: Items a list shows before "... and N more", tried in turn until the comment fits.
LIST_LIMITS = (40, 15, 5)
MAX_CHANGES_PER_RESOURCE = 5
REPORT_FILE = "report.html"

MermaidSource = Callable[[bool], str | None]
"""Gives the Mermaid text of what changed (``True``: with unchanged neighbours); ``None`` when there is nothing to draw."""


def marker(stack: str) -> str:
    """The hidden first line by which the workflow recognises this stack's comment."""
    return f"<!-- blueprint-report:{stack} -->"


def render_comment(report: StackReport, mermaid: MermaidSource | None = None) -> str:
    """The comment for ``report``, under :data:`TARGET_LENGTH` characters (and never above GitHub's limit)."""
    attempts = [(limit, neighbours, True) for limit in LIST_LIMITS for neighbours in (True, False)]
    attempts.append((LIST_LIMITS[-1], False, False))
    text = ""
    for limit, neighbours, picture in attempts:
        text = _render(report, limit, mermaid if picture else None, neighbours)
        if len(text) <= TARGET_LENGTH:
            return text
    cut = text[: TARGET_LENGTH - 200]
    return cut[: cut.rfind("\n")] + f"\n\n_Cut at {TARGET_LENGTH:,} characters: {REPORT_FILE} has everything._\n"


def _render(report: StackReport, limit: int, mermaid: MermaidSource | None, neighbours: bool) -> str:
    out = [marker(report.stack)]
    if report.comparison is None:
        out += _summary(report, limit)
    else:
        out += _changes(report, report.comparison, limit, mermaid, neighbours)
    out += ["", _standing(report),
            "", f"<sub>Offline preview under mocks, by `blueprint report`. {REPORT_FILE} has the stack's graph, the cost "
            "chart, every finding with its remediation, the waivers and the controls covered.</sub>"]
    return "\n".join(out) + "\n"


def _changes(report: StackReport, comparison: Comparison, limit: int, mermaid: MermaidSource | None, neighbours: bool) -> list[str]:
    diff = comparison.diff
    headline = (f"### Stack {code(report.stack)}: {len(diff.only_b)} added, {len(diff.changed)} changed, "
                f"{len(diff.only_a)} removed")
    if comparison.cost is not None:
        headline += f", fixed {signed_money(comparison.cost.fixed_delta, currency_symbol(comparison.cost.currency))} a month"
    out = [headline, ""]
    where = f"{code(comparison.ref)} ({code(comparison.commit[:12])})"
    if comparison.base_plan is None:
        out.append(f"The stack file is new: {where} does not have it, so every resource is added.")
    else:
        out.append(f"Compared with {where}, each previewed by its own code; resources matched by role.")
    if comparison.cost is not None:
        cost = comparison.cost
        symbol = currency_symbol(cost.currency)
        out += [""] + table(("Monthly cost", "Base", "This change", "Delta"), [
            ["Fixed", f"{symbol}{format_money(cost.base_fixed)}", f"{symbol}{format_money(cost.fixed)}",
             f"**{signed_money(cost.fixed_delta, symbol)}**"],
            ["Peak month", f"{symbol}{format_money(cost.base_peak)}", f"{symbol}{format_money(cost.peak)}",
             f"**{signed_money(cost.peak_delta, symbol)}**"],
        ], right=range(1, 4))
    if diff.no_differences:
        out += ["", "No resource is added, changed or removed."]
    out += _listing("Added", [f"{code(short_type(r.type))} {cell(r.path)}" for r in diff.only_b], limit)
    changed = []
    for resource in diff.changed:
        real = [c for c in resource.changes if not c.naming_only]
        shown = "; ".join(f"{code(c.path)}: {cell(render_value(c.a, 40))} \u2192 {cell(render_value(c.b, 40))}"
                          for c in real[:MAX_CHANGES_PER_RESOURCE])
        more = f"; and {len(real) - MAX_CHANGES_PER_RESOURCE} more" if len(real) > MAX_CHANGES_PER_RESOURCE else ""
        wording = " (wording only)" if not real else ""
        changed.append(f"{code(short_type(resource.ref.type))} {cell(resource.ref.path)}{wording}{': ' if shown else ''}{shown}{more}")
    out += _listing("Changed", changed, limit)
    out += _listing("Removed", [f"{code(short_type(r.type))} {cell(r.path)}" for r in diff.only_a], limit)
    out += _finding_listing("New findings", comparison.new_findings, limit)
    if comparison.base_evaluated:
        out += _finding_listing("Fixed findings", comparison.fixed_findings, limit)
    picture = mermaid(neighbours) if mermaid is not None and not diff.no_differences else None
    if picture:
        what = "with their unchanged neighbours" if neighbours else "(neighbours left out to fit)"
        out += ["", f"<details><summary>Graph of the resources the change touches {what}</summary>", "",
                "```mermaid", picture.rstrip("\n"), "```", "", "</details>"]
    return out


def _summary(report: StackReport, limit: int) -> list[str]:
    out = [f"### Stack {code(report.stack)}: {report.cloud_resources} cloud resources", ""]
    if report.cost is not None:
        symbol = currency_symbol(report.cost.currency)
        out.append(f"Monthly cost: fixed {symbol}{format_money(report.cost.fixed_monthly)}, peak month "
                   f"{symbol}{format_money(report.cost.peak_monthly)}"
                   + (f" (budget {symbol}{format_money(report.cost.budget)})" if report.cost.budget is not None else "") + ".")
    else:
        out.append(f"Cost: not estimated ({cell(report.cost_note or 'no location to price against')}).")
    counts = Counter(short_type(r.type) for r in report.plan.resources if r.custom and r.operation == "create")
    rows = [[code(kind), str(count)] for kind, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    out += ["", *table(("Resource type", "Count"), rows[:limit], right=(1,))]
    if len(rows) > limit:
        out.append(f"\n... and {len(rows) - limit} more types")
    out += _finding_listing("Findings", report.violations, limit)
    return out


def _standing(report: StackReport) -> str:
    if report.pack is None:
        return "No policy pack: nothing evaluated."
    blocking = sum(1 for f in report.findings if f.blocking)
    advisory = sum(1 for f in report.violations if not f.blocking)
    verdict = "**fails**" if blocking else "passes"
    return (f"Policy pack {code(report.pack)}: the stack {verdict} ({blocking} mandatory, {advisory} advisory, "
            f"{len(report.waived)} waived, under {cell(report.config_source or 'the default levels')}).")


def _listing(title: str, items: Sequence[str], limit: int) -> list[str]:
    if not items:
        return []
    out = ["", f"**{title} ({len(items)})**", ""]
    out += [f"- {item}" for item in items[:limit]]
    if len(items) > limit:
        out.append(f"- ... and {len(items) - limit} more")
    return out


def _finding_listing(title: str, findings: Sequence[Finding], limit: int) -> list[str]:
    if not findings:
        return ["", f"**{title}:** none."]
    rows = [[code(f.policy), f.severity, f"**{status(f)}**" if f.blocking else status(f), cell(resource_label(f.urn)),
             cell(f.message)] for f in findings[:limit]]
    out = ["", f"**{title} ({len(findings)})**", "", *table(("Policy", "Severity", "Enforcement", "Resource", "Message"), rows)]
    if len(findings) > limit:
        out.append(f"\n... and {len(findings) - limit} more")
    return out
