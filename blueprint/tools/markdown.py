"""GitHub Markdown as the CLI writes it: tables, table cells, code spans and heading anchors.

Two documents are Markdown, and reviewers read both on GitHub: the compliance report (``blueprint check``,
:mod:`blueprint.tools.reports`) and the policy catalog (``blueprint policies``, :mod:`blueprint.tools.catalog`).
Written with the same helpers, a cell is escaped, and a link finds its heading, the same way in both.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence

#: Characters GitHub would not render (and XML 1.0 cannot carry): shown as the replacement character instead.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def table(header: Sequence[str], rows: Iterable[Sequence[str]], *, right: Collection[int] = ()) -> list[str]:
    """The lines of a table: ``header``, the delimiter row (columns whose index is in ``right`` right-aligned, for
    numbers) and a line per row. Cells are written as given: free text goes through :func:`cell` first."""
    delimiter = ["---:" if index in right else "---" for index in range(len(header))]
    return [_row(header), _row(delimiter), *(_row(cells) for cells in rows)]


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def printable(text: str) -> str:
    """``text`` with the control characters a renderer (or an XML document) cannot carry replaced."""
    return _UNPRINTABLE.sub("\N{REPLACEMENT CHARACTER}", text)


def cell(text: str) -> str:
    """Free text for a table cell (or any inline position): pipes and backslashes escaped, angle brackets as entities
    (never read as HTML), line breaks as ``<br>`` (a cell is one line)."""
    text = printable(text).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\r\n", "\n").replace("\n", "<br>")


def code(text: str) -> str:
    """``text`` as a code span, with a longer fence when it holds a backtick itself."""
    return f"`{text}`" if "`" not in text else f"`` {text} ``"


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
