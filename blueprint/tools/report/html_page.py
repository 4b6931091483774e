"""The HTML report: one self-contained page a reviewer opens from the pull request's artefacts.

Inline CSS, inline SVG (the stack's graph from Graphviz, the cost chart), no script and no external fetch, so it
renders the same offline, from a file, in a mail attachment or behind a strict content security policy (the page
declares one: nothing may load from anywhere). Every value comes from the plan, the estimate or the pack and is
escaped; the graph's SVG is Graphviz's own output, embedded without its XML prolog.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from html import escape

from blueprint.tools.catalog import FRAMEWORKS, controls
from blueprint.tools.cost import currency_symbol, format_money
from blueprint.tools.policy_check import SEVERITY_ORDER, Finding
from blueprint.tools.report.changes import Comparison, CostDelta
from blueprint.tools.report.cost_chart import cost_chart
from blueprint.tools.report.model import StackReport
from blueprint.tools.reports import CheckedStack, control_coverage, resource_label, status
from blueprint.tools.stack_diff import render_value, short_type

#: How many property changes a changed resource lists before "and N more".
MAX_CHANGES_SHOWN = 12

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;background:#fff}
header{background:#24292f;color:#fff;padding:16px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#d0d7de}main{padding:8px 32px 32px;max-width:1400px}
h2{border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:32px}
table{border-collapse:collapse;margin:8px 0;font-size:13px;width:100%}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f6f8fa}
td.num{text-align:right;white-space:nowrap}code{font-size:12px;background:#f6f8fa;padding:1px 4px;border-radius:4px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{border:1px solid #d0d7de;border-radius:6px;padding:8px 16px;min-width:150px}
.card b{display:block;font-size:20px}.card span{color:#57606a;font-size:12px}
.graph{overflow:auto;border:1px solid #d0d7de;border-radius:6px;max-height:900px}.graph svg{display:block}
.sev-critical{color:#a40e26}.sev-high{color:#bc4c00}.sev-medium{color:#7d4e00}.sev-low{color:#57606a}
.blocking{font-weight:bold;color:#a40e26}.added{color:#1a7f37}.changed{color:#9a6700}.removed{color:#a40e26}
.up{color:#a40e26}.down{color:#1a7f37}ul.changes{margin:0;padding-left:18px}.muted{color:#57606a}
"""

#: Nothing on the page loads anything: no script, no fetch, no frame; styles and images are inline.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def render_html(report: StackReport, graph_svg: str) -> str:
    """The page for ``report``; ``graph_svg``: the stack's graph as Graphviz drew it (an ``<svg>`` document)."""
    title = f"{report.project}/{report.stack}: stack report"
    sections = [
        _summary(report),
        _changes(report.comparison) if report.comparison is not None else "",
        _graph(report, graph_svg),
        _cost(report),
        _findings(report),
        _waivers(report),
        _controls(report),
    ]
    subtitle = f"environment {report.environment or 'unknown'}"
    if report.comparison is not None:
        subtitle += f" \u00b7 compared with {report.comparison.ref} ({report.comparison.commit[:12]})"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{escape(title)}</h1><p>{escape(subtitle)}</p></header><main>"
        + "".join(sections)
        + "</main></body></html>\n"
    )


def _summary(report: StackReport) -> str:
    cards = [("Cloud resources", str(report.cloud_resources))]
    if report.cost is not None:
        symbol = currency_symbol(report.cost.currency)
        cards.append(("Fixed per month", f"{symbol}{format_money(report.cost.fixed_monthly)}"))
        cards.append(("Peak month", f"{symbol}{format_money(report.cost.peak_monthly)}"))
        if report.cost.budget is not None:
            cards.append(("Budget", f"{symbol}{format_money(report.cost.budget)}"))
    if report.pack is not None:
        blocking = sum(1 for f in report.findings if f.blocking)
        cards.append(("Mandatory violations", str(blocking)))
        cards.append(("Advisory findings", str(sum(1 for f in report.violations if not f.blocking))))
        cards.append(("Waived", str(len(report.waived))))
    body = "".join(f'<div class="card"><b>{escape(value)}</b><span>{escape(label)}</span></div>' for label, value in cards)
    notes = "".join(f'<p class="muted">Warning: {escape(w)}</p>' for w in report.warnings)
    return f'<section id="summary"><div class="cards">{body}</div>{notes}</section>'


def _changes(comparison: Comparison) -> str:
    diff = comparison.diff
    out = [f'<section id="changes"><h2>Changes against {escape(comparison.ref)}</h2>']
    if comparison.base_plan is None:
        out.append(f"<p>The stack file is new: it is not in {escape(comparison.ref)}, so every resource is added.</p>")
    out.append(
        f'<p><span class="added">{len(diff.only_b)} added</span>, <span class="changed">{len(diff.changed)} changed</span>, '
        f'<span class="removed">{len(diff.only_a)} removed</span>; {diff.identical} unchanged.</p>'
    )
    if comparison.cost is not None:
        out.append(f"<p>{_cost_delta_html(comparison.cost)}</p>")
    if diff.only_b:
        out.append(_resource_table("Added", "added", ((r.type, r.path) for r in diff.only_b)))
    if diff.changed:
        rows = []
        for resource in diff.changed:
            shown = [c for c in resource.changes if not c.naming_only][:MAX_CHANGES_SHOWN]
            items = "".join(
                f"<li><code>{escape(c.path)}</code>: {escape(render_value(c.a))} \u2192 {escape(render_value(c.b))}</li>" for c in shown
            )
            more = len(resource.changes) - len(shown)
            if more:
                items += f'<li class="muted">and {more} more</li>'
            rows.append(f"<tr><td><code>{escape(short_type(resource.ref.type))}</code></td><td>{escape(resource.ref.path)}</td>"
                        f'<td><ul class="changes">{items}</ul></td></tr>')
        out.append('<h3 class="changed">Changed</h3><table><tr><th>Type</th><th>Resource</th><th>Settings</th></tr>'
                   + "".join(rows) + "</table>")
    if diff.only_a:
        out.append(_resource_table("Removed", "removed", ((r.type, r.path) for r in diff.only_a)))
    out.append(_finding_delta("New findings", comparison.new_findings))
    if comparison.base_evaluated:
        out.append(_finding_delta("Fixed findings", comparison.fixed_findings))
    out.append("</section>")
    return "".join(out)


def _cost_delta_html(cost: CostDelta) -> str:
    symbol = currency_symbol(cost.currency)

    def part(label: str, before: float, after: float, delta: float) -> str:
        css = "up" if delta > 0 else "down" if delta < 0 else "muted"
        return (f'{label} {symbol}{format_money(before)} \u2192 {symbol}{format_money(after)} '
                f'(<span class="{css}">{signed_money(delta, symbol)}</span>)')

    return "Monthly cost: " + part("fixed", cost.base_fixed, cost.fixed, cost.fixed_delta) + "; " + part(
        "peak month", cost.base_peak, cost.peak, cost.peak_delta)


def signed_money(value: float, symbol: str) -> str:
    """``+$1,234.50``, ``-$12.00``, ``$0.00``: a delta as the comment and the page both show it."""
    sign = "+" if value > 0 else "-" if value < 0 else ""
    return f"{sign}{symbol}{format_money(abs(value))}"


def _resource_table(title: str, css: str, rows: Iterable[tuple[str, str]]) -> str:
    body = "".join(f"<tr><td><code>{escape(short_type(t))}</code></td><td>{escape(path)}</td></tr>" for t, path in rows)
    return f'<h3 class="{css}">{escape(title)}</h3><table><tr><th>Type</th><th>Resource</th></tr>{body}</table>'


def _finding_delta(title: str, findings: Sequence[Finding]) -> str:
    if not findings:
        return f"<h3>{escape(title)}</h3><p class=\"muted\">None.</p>"
    rows = "".join(
        f'<tr><td><code>{escape(f.policy)}</code></td><td class="sev-{escape(f.severity)}">{escape(f.severity)}</td>'
        f"<td>{escape(status(f))}</td><td>{escape(resource_label(f.urn))}</td><td>{escape(f.message)}</td></tr>"
        for f in findings
    )
    return (f"<h3>{escape(title)}</h3><table><tr><th>Policy</th><th>Severity</th><th>Enforcement</th><th>Resource</th>"
            f"<th>Message</th></tr>{rows}</table>")


_PROLOG = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)


def _graph(report: StackReport, graph_svg: str) -> str:
    svg = _PROLOG.sub("", graph_svg, count=1)
    legend = ""
    if report.comparison is not None:
        legend = ('<p>Outlined by what the change does: <span class="added">added</span>, '
                  '<span class="changed">changed</span>, <span class="removed">removed</span>.</p>')
    return f'<section id="graph"><h2>Resources and their dependencies</h2>{legend}<div class="graph">{svg}</div></section>'


def _cost(report: StackReport) -> str:
    if report.cost is None:
        note = escape(report.cost_note or "the stack exports no location to price against")
        return f'<section id="cost"><h2>Cost</h2><p class="muted">Not estimated: {note}</p></section>'
    cost = report.cost
    symbol = currency_symbol(cost.currency)
    unpriced = ""
    if cost.unpriced:
        unpriced = "<p>Not priced (never counted as zero): " + ", ".join(f"<code>{escape(u)}</code>" for u in cost.unpriced) + "</p>"
    budget = ""
    if cost.budget is not None:
        verdict = {True: "fits", False: "does not fit", None: "cannot be decided (unpriced resources)"}[cost.fits_budget]
        budget = f"<p>Budget {symbol}{format_money(cost.budget)} a month: the peak month {escape(verdict)}.</p>"
    return (
        f'<section id="cost"><h2>Cost</h2><p>List prices of {escape(cost.location)}, read {escape(cost.retrieved)}. '
        f"Fixed: {symbol}{format_money(cost.fixed_monthly)} a month; peak month ({cost.peak_hours_per_month:g} h at full "
        f"scale): {symbol}{format_money(cost.peak_monthly)}. Bars marked * use an estimated price.</p>{budget}{unpriced}"
        f"{cost_chart(cost)}</section>"
    )


def _findings(report: StackReport) -> str:
    if report.pack is None:
        return '<section id="findings"><h2>Policy findings</h2><p class="muted">The project has no policy pack.</p></section>'
    out = [f'<section id="findings"><h2>Policy findings</h2><p>Pack <code>{escape(report.pack)}</code> with '
           f"{escape(report.config_source or 'its default levels')}: {len(report.policies_evaluated)} policies evaluated "
           f"on {report.cloud_resources} resources.</p>"]
    violations = report.violations
    if not violations:
        out.append('<p class="finding-none">No violation: every evaluated policy passed.</p>')
    for severity in [*SEVERITY_ORDER, *sorted({f.severity for f in violations} - set(SEVERITY_ORDER))]:
        group = [f for f in violations if f.severity == severity]
        if not group:
            continue
        rows = []
        for finding in group:
            doc = report.docs.get(finding.policy)
            policy = escape(finding.policy)
            if doc is not None:
                policy = f'<a href="{escape(str(doc.url))}">{policy}</a>'
            enforcement = f'<span class="blocking">{escape(finding.enforcement)}</span>' if finding.blocking else escape(finding.enforcement)
            remediation = escape(str(doc.remediation)) if doc is not None else ""
            rows.append(f'<tr class="finding"><td>{policy}</td><td>{enforcement}</td><td>{escape(resource_label(finding.urn))}</td>'
                        f"<td>{escape(finding.message)}</td><td>{remediation}</td></tr>")
        out.append(f'<h3 class="sev-{escape(severity)}">{escape(severity.capitalize())} ({len(group)})</h3><table>'
                   "<tr><th>Policy</th><th>Enforcement</th><th>Resource</th><th>Finding</th><th>Remediation</th></tr>"
                   + "".join(rows) + "</table>")
    out.append("</section>")
    return "".join(out)


def _waivers(report: StackReport) -> str:
    if report.pack is None:
        return ""
    out = ['<section id="waivers"><h2>Waivers and relaxed policies</h2>']
    source = escape(report.config_source or "the pack config")
    if report.waivers:
        applied = {(f.policy, resource_label(f.urn).rsplit("::", 1)[-1]) for f in report.waived}
        rows = "".join(
            f"<tr><td><code>{escape(w.policy)}</code></td><td>{escape(w.resource)}</td><td>{escape(w.reason)}</td>"
            f"<td>{escape(w.expires or '-')}</td><td>{'applied' if (w.policy, w.resource.rsplit('::', 1)[-1]) in applied else 'nothing to waive'}</td></tr>"
            for w in report.waivers
        )
        out.append(f"<p>Resources {source} exempts, each with its reason:</p><table><tr><th>Policy</th><th>Resource</th>"
                   f"<th>Reason</th><th>Expires</th><th>Here</th></tr>{rows}</table>")
    else:
        out.append(f"<p>{source} waives no resource.</p>")
    if report.relaxations:
        rows = "".join(
            f"<tr><td><code>{escape(r.policy)}</code></td><td>{escape(r.level)}</td>"
            f"<td>{escape(str(getattr(report.docs.get(r.policy), 'description', '')))}</td></tr>"
            for r in report.relaxations
        )
        out.append(f"<p>Policies {source} sets below mandatory (reported, never blocking):</p>"
                   f"<table><tr><th>Policy</th><th>Level</th><th>What it checks</th></tr>{rows}</table>")
    else:
        out.append(f"<p>Every policy is mandatory under {source}.</p>")
    out.append("</section>")
    return "".join(out)


def _controls(report: StackReport) -> str:
    if report.pack is None:
        return ""
    checked = CheckedStack(report.stack, report.environment, report.cloud_resources, policies=report.policies_evaluated)
    coverage = control_coverage(checked, report.docs, report.findings)
    met = sum(1 for row in coverage if row[3].startswith("met"))
    frameworks = ", ".join(label for key, label in FRAMEWORKS if any(controls(d)[key] for d in report.docs.values()))
    rows = "".join(
        f"<tr><td>{escape(framework)}</td><td><code>{escape(control)}</code></td>"
        f"<td>{', '.join(f'<code>{escape(p)}</code>' for p in policies)}</td>"
        f'<td class="{"blocking" if verdict == "violated" else ""}">{escape(verdict)}</td></tr>'
        for framework, control, policies, verdict in coverage
    )
    return (f'<section id="controls"><h2>Controls covered</h2><p>{met} of {len(coverage)} public controls ({escape(frameworks)}) '
            f"the evaluated policies implement are met.</p><table><tr><th>Framework</th><th>Control</th><th>Policies</th>"
            f"<th>Status</th></tr>{rows}</table></section>")
