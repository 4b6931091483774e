"""The configuration reference of docs/configuration.md, generated from the features' declarations.

Each kind of stack gets a table of its keys (every nested key on a row of its own): type, whether it is required,
its default, its bounds and what it means. The tables sit between two marker comments in the hand-written page;
``scripts/generate_reference.py`` rewrites them and a test fails when they are stale.
"""

from __future__ import annotations

from blueprint.program.settings import ReferenceRow, reference_rows
from blueprint.program.stacks.kinds import KINDS, BootstrapStack, EnvironmentStack, SharedStack, StackBase, own_keys

BEGIN = "<!-- BEGIN GENERATED: configuration reference (scripts/generate_reference.py); do not edit by hand -->"
END = "<!-- END GENERATED: configuration reference -->"

_TITLES = {
    StackBase: "Every stack",
    EnvironmentStack: "Environment stacks (dev, test, staging, prod)",
    SharedStack: "The shared stack (`tags.environment: shared`)",
    BootstrapStack: "The bootstrap stack (`tags.environment: bootstrap`)",
}


def configuration_reference() -> str:
    """The generated block: a table per kind of stack, its own keys only (the first table has the common ones)."""
    sections = [_table(_TITLES[StackBase], reference_rows(StackBase))]
    for kind in KINDS:
        own = own_keys(kind)
        rows = [row for row in reference_rows(kind) if row.path.split(".")[0].split("[")[0] in own]
        sections.append(_table(_TITLES[kind], rows))
    return "\n".join([BEGIN, "", *sections, END])


def replace_reference(page: str) -> str:
    """``page`` with its generated block replaced by the current one; raises ``ValueError`` without the markers."""
    start, end = page.find(BEGIN), page.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the page has no generated block (expected the lines {BEGIN!r} and {END!r})")
    return page[:start] + configuration_reference() + page[end + len(END):]


def _table(title: str, rows: list[ReferenceRow]) -> str:
    lines = [f"### {title}", "", "| Key | Type | Required | Default | Bounds | Meaning |", "|---|---|---|---|---|---|"]
    lines += [
        "| " + " | ".join(_cell(text) for text in (f"`{row.path}`", row.kind, "yes" if row.required else "no", row.default, row.bounds, row.doc)) + " |"
        for row in rows
    ]
    return "\n".join([*lines, ""])


def _cell(text: str) -> str:
    """Table cells hold no pipe or newline of their own."""
    return text.replace("\\|", "|").replace("|", "\\|").replace("\n", " ")
