"""Configuration errors that say which file, which key, what was expected and what was found."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a stack file: ``key`` is a full path such as ``mlplatform:clusters[0].maxNodes``."""

    key: str
    expected: str
    found: str

    def __str__(self) -> str:
        return f"{self.key}: expected {self.expected}, found {self.found}"


class ConfigError(pulumi.RunError):
    """Invalid stack configuration.

    A ``pulumi.RunError`` so that the real engine prints the message without a traceback; the offline preview
    catches it and exits with code 2.
    """

    def __init__(self, source: str, issues: list[ConfigIssue], subject: str = "stack configuration") -> None:
        self.source = source
        self.issues = issues
        lines = [f"{source}: invalid {subject} ({len(issues)} problem{'s' if len(issues) != 1 else ''})"]
        lines += [f"  {issue}" for issue in issues]
        super().__init__("\n".join(lines))


def describe(value: Any) -> str:
    """Render a found value the way a user wrote it: type and value, short."""
    if value is None:
        return "nothing"
    kind = {bool: "boolean", int: "integer", float: "number", str: "string", list: "list", dict: "mapping"}.get(
        type(value), type(value).__name__
    )
    try:
        text = json.dumps(value, default=str)
    except (ValueError, RecursionError):  # an integer longer than Python converts to text, a too deep structure
        return f"{kind} too large to show"
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{kind} {text}"
