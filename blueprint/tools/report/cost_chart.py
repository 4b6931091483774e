"""The cost estimate as a bar chart: inline SVG, one bar per line of the estimate (blueprint/tools/cost.py).

Two groups, as the estimate separates them: what is billed every month whatever the load (fixed lines, their monthly
amount), and what the peak hours add (peak lines, their hourly amount times the stack's peak hours a month). Every
bar is on one scale, so a reviewer sees at a glance what dominates; each carries its amount as text and a tooltip
(``<title>``) with the estimate's description. No script, no external font or stylesheet: the page stays one file.
"""

from __future__ import annotations

from html import escape

from blueprint.tools.cost import CostEstimate, CostLine, currency_symbol, format_money

WIDTH = 960
LABEL_WIDTH = 420
VALUE_WIDTH = 110
ROW_HEIGHT = 22
HEADING_HEIGHT = 30
BAR_HEIGHT = 14
MAX_LABEL_CHARACTERS = 62
FIXED_COLOUR = "#3b6ea8"
PEAK_COLOUR = "#d08a2e"


def line_amount(line: CostLine, peak_hours: float) -> float:
    """What a line adds to a month: its monthly amount, or its hourly one over the peak hours."""
    if line.kind == "fixed":
        return line.monthly or 0.0
    return (line.hourly or 0.0) * peak_hours


def cost_chart(estimate: CostEstimate) -> str:
    """The ``<svg>`` element charting ``estimate``'s lines, largest first within each group."""
    symbol = currency_symbol(estimate.currency)
    fixed = sorted((l for l in estimate.lines if l.kind == "fixed"), key=lambda l: (-line_amount(l, 0), l.resource, l.description))
    peak = sorted((l for l in estimate.lines if l.kind != "fixed"),
                  key=lambda l: (-line_amount(l, estimate.peak_hours_per_month), l.resource, l.description))
    groups = [
        (f"Fixed monthly: {symbol}{format_money(estimate.fixed_monthly)}", fixed, FIXED_COLOUR),
        (f"Peak: {symbol}{format_money(estimate.peak_monthly - estimate.fixed_monthly)} more for "
         f"{estimate.peak_hours_per_month:g} h a month at full scale", peak, PEAK_COLOUR),
    ]
    largest = max((line_amount(l, estimate.peak_hours_per_month) for l in estimate.lines), default=0.0) or 1.0
    bar_space = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    rows: list[str] = []
    y = 0
    for heading, lines, colour in groups:
        y += HEADING_HEIGHT
        rows.append(f'<text class="cost-heading" x="0" y="{y - 9}" font-weight="bold">{escape(heading)}</text>')
        if not lines:
            y += ROW_HEIGHT
            rows.append(f'<text x="{LABEL_WIDTH}" y="{y - 7}" fill="#666">none</text>')
        for line in lines:
            amount = line_amount(line, estimate.peak_hours_per_month)
            width = max(1.0, bar_space * amount / largest)
            y += ROW_HEIGHT
            label = f"{line.resource}: {line.description}"
            shown = label if len(label) <= MAX_LABEL_CHARACTERS else label[: MAX_LABEL_CHARACTERS - 1] + "\u2026"
            how = f"{symbol}{format_money(line.monthly or 0)}/month" if line.kind == "fixed" else (
                f"{symbol}{line.hourly:g}/h x {estimate.peak_hours_per_month:g} h")
            tip = f"{label} ({how}{', estimated price' if line.estimated else ''})"
            rows.append(
                f'<g class="cost-bar cost-{escape(line.kind)}"><title>{escape(tip)}</title>'
                f'<text x="{LABEL_WIDTH - 8}" y="{y - 7}" text-anchor="end">{escape(shown)}</text>'
                f'<rect x="{LABEL_WIDTH}" y="{y - ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2:.1f}" width="{width:.1f}" '
                f'height="{BAR_HEIGHT}" fill="{colour}"/>'
                f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y - 7}">{symbol}{format_money(amount)}'
                f'{" *" if line.estimated else ""}</text></g>'
            )
    height = y + 8
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cost-chart" role="img" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">'
        f"<title>Monthly cost by line, {escape(estimate.location)}</title>" + "".join(rows) + "</svg>"
    )
