"""Text rendering of a plan, shaped like ``pulumi preview``: a resource tree, then counts and outputs."""

from __future__ import annotations

import json
from collections import defaultdict

from blueprint.tools.preview.plan import Plan, PlannedResource


def render_plan(plan: Plan) -> str:
    """The tree of resources (type, logical name, Azure name), a summary by type, and the stack outputs."""
    children: dict[str | None, list[PlannedResource]] = defaultdict(list)
    urns = {r.urn for r in plan.resources}
    for resource in plan.resources:
        children[resource.parent if resource.parent in urns else None].append(resource)

    rows: list[tuple[str, str, str, str]] = []

    def walk(resource: PlannedResource, prefix: str, is_last: bool, depth: int) -> None:
        branch = "" if depth == 0 else prefix + ("└─ " if is_last else "├─ ")
        note = "protected" if resource.protect else ("read" if resource.operation == "read" else "")
        rows.append((branch + resource.type, resource.name, resource.physical_name or "", note))
        kids = children.get(resource.urn, [])
        extension = "" if depth == 0 else prefix + ("   " if is_last else "│  ")
        for index, kid in enumerate(kids):
            walk(kid, extension, index == len(kids) - 1, depth + 1)

    roots = children.get(None, [])
    for index, root in enumerate(roots):
        walk(root, "", index == len(roots) - 1, 0)

    headers = ("Type", "Name", "Azure name", "")
    widths = [max(len(headers[i]), *(len(row[i]) for row in rows)) for i in range(3)] if rows else [4, 4, 10]
    lines = [f"Previewing {plan.project}/{plan.stack} offline (Pulumi mock runtime, Azure Resource Manager mocks)", ""]
    lines.append("     " + "  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    for row in rows:
        cells = [row[i].ljust(widths[i]) for i in range(3)] + [row[3]]
        lines.append((" >   " if row[3] == "read" else " +   ") + "  ".join(cells).rstrip())

    counts = plan.counts_by_type()
    custom = sum(1 for r in plan.resources if r.custom)
    reads = sum(1 for r in plan.resources if r.operation == "read")
    creates = len(plan.resources) - reads
    lines += ["", "Resources:", f"    + {creates} to create ({custom - reads} cloud resources, {creates - custom + reads} components)"]
    if reads:
        lines.append(f"    > {reads} to read")
    lines += ["", "By type:"]
    for type_token, count in sorted(counts.items()):
        lines.append(f"    {count:>3}  {type_token}")
    if plan.outputs:
        lines += ["", "Outputs:"]
        for key, value in plan.outputs.items():
            lines.append(f"    {key}: {json.dumps(value)}")
    warnings = [d for d in plan.diagnostics if d["severity"] in ("warning", "error")]
    if warnings:
        lines += ["", "Diagnostics:"]
        lines += [f"    {d['severity']}: {d['message']}" for d in warnings]
    return "\n".join(lines) + "\n"
