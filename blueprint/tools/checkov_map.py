"""How Checkov's ARM checks map to the policy pack: a section of docs/policies.md (``blueprint policies``).

For every Checkov check that applies to a resource type the platform creates, the data file
(blueprint/tools/data/checkov_map.json) names the pack's policies that cover it, or says why none does, and records
what Checkov said about each shipped stack's ARM export (``blueprint export``). The results are recorded by
scripts/record_checkov_results.py, which runs Checkov; the test suite checks the map without it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from blueprint.tools.markdown import anchor, cell, code, table

MAP_FILE = Path(__file__).resolve().parent / "data" / "checkov_map.json"

#: How a check relates to the pack, and the words the table shows.
COVERAGE = {
    "covered": "covered",
    "equivalent": "covered differently",
    "gap": "gap",
    "not-applicable": "not applicable",
}
#: A recorded result and how the table shows it.
RESULTS = {"passed": "pass", "failed": "FAIL", "not-evaluated": "-"}


def load_map(path: Path = MAP_FILE) -> dict[str, Any]:
    """The mapping as data; a malformed entry is refused with a ``ValueError`` naming it."""
    data = json.loads(path.read_text(encoding="utf-8"))
    seen: set[str] = set()
    for check in data["checks"]:
        if check["id"] in seen:
            raise ValueError(f"{path.name}: check {check['id']} listed twice")
        seen.add(check["id"])
        if check["coverage"] not in COVERAGE:
            raise ValueError(f"{path.name}: check {check['id']}: coverage must be one of {', '.join(COVERAGE)}, "
                             f"found {check['coverage']!r}")
        if bool(check["policies"]) != (check["coverage"] in ("covered", "equivalent")):
            raise ValueError(f"{path.name}: check {check['id']}: name policies exactly when it is covered")
        if not check["policies"] and not check["note"].strip():
            raise ValueError(f"{path.name}: check {check['id']}: say why no policy covers it")
    return data


def checkov_markdown(data: dict[str, Any]) -> str:
    """The docs/policies.md section: one row per check, its coverage, and Checkov's verdict per stack."""
    stacks = data["stacks"]
    version = data["checkov"]["version"]
    counts = {key: sum(1 for c in data["checks"] if c["coverage"] == key) for key in COVERAGE}
    out = [
        "",
        "## Checkov's ARM checks",
        "",
        f"Checkov {version} has {len(data['checks'])} ARM checks for the resource types the shipped stacks create: "
        f"{counts['covered']} covered by a policy of this pack, {counts['equivalent']} covered differently, "
        f"{counts['gap']} gaps and {counts['not-applicable']} not applicable. The results are Checkov's own, run on "
        "each shipped stack's `blueprint export <stack> --format arm` (docs/arm-export.md) with "
        "`checkov -f <stack>.json --framework arm` and recorded by `scripts/record_checkov_results.py`; "
        "`-` means the stack has no resource the check applies to. A failure in a stack where the covering policy "
        "is advisory is the same finding the pack reports there.",
        "",
    ]
    rows = []
    for check in data["checks"]:
        policies = ", ".join(f"[{p}](#{anchor(p)})" for p in check["policies"])
        why = "<br>".join(part for part in (policies, cell(check["note"])) if part)
        results = [RESULTS[check["results"].get(stack, "not-evaluated")] for stack in stacks]
        rows.append([code(check["id"]), cell(check["title"]), ", ".join(code(t) for t in check["resourceTypes"]),
                     COVERAGE[check["coverage"]], why, *results])
    out += table(("Check", "Title", "ARM type", "Coverage", "Policy, or why none", *stacks), rows)
    return "\n".join(out) + "\n"


def section_for(pack: str, policy_names: Iterable[str], path: Path = MAP_FILE) -> str:
    """The section for the catalog of ``pack``: the map's section when it is the pack the map describes, else
    nothing (another pack's policies are not the ones the map names). A map naming a policy the pack does not have
    is refused (``ValueError``): the catalog would link to nothing."""
    data = load_map(path)
    if data["pack"] != pack:
        return ""
    known = set(policy_names)
    for check in data["checks"]:
        missing = [name for name in check["policies"] if name not in known]
        if missing:
            raise ValueError(f"{path.name}: check {check['id']} names {', '.join(missing)}, not a policy of {pack}")
    return checkov_markdown(data)
