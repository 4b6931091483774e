"""Validation of five-field cron expressions as Azure ML schedules accept them (NCrontab syntax).

A schedule with a bad expression is only rejected by Azure ML when it is created, halfway through a deployment;
checking here fails the preview (and the stack's config validation) instead. Each field may be ``*``, a number,
a range ``a-b``, a step ``*/n``, ``a/n`` or ``a-b/n``, or a comma-separated list of those. Day of week runs from
0 (Sunday) to 6, as in NCrontab; names of days and months are not accepted, so every expression reads the same way.

Standard library only and no Pulumi import: config validation and policies import it cheaply.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class CronField(NamedTuple):
    """One position of a cron expression and the values it may take."""

    name: str
    low: int
    high: int


#: The five fields, in order.
FIELDS: tuple[CronField, ...] = (
    CronField("minute", 0, 59),
    CronField("hour", 0, 23),
    CronField("day of month", 1, 31),
    CronField("month", 1, 12),
    CronField("day of week", 0, 6),
)

_ITEM = re.compile(r"(?P<base>\*|(?P<start>\d+)(?:-(?P<end>\d+))?)(?:/(?P<step>\d+))?")


def validate_cron(expression: str) -> list[str]:
    """Return the problems of ``expression`` (empty when valid), each naming the field it concerns.

    Only the first invalid field is reported: when every field is wrong (fields in the wrong order, say), five
    messages bury the point, and the next run reports the next field.
    """
    if not isinstance(expression, str):
        return [f"cron expression must be a string, not {type(expression).__name__}"]
    parts = expression.split()
    if len(parts) != len(FIELDS):
        names = ", ".join(field.name for field in FIELDS)
        return [f"cron expression {expression!r} has {len(parts)} fields; expected {len(FIELDS)} fields ({names})"]
    for field, text in zip(FIELDS, parts):
        problems = _field_problems(field, text)
        if problems:
            return problems
    return []


def _field_problems(field: CronField, text: str) -> list[str]:
    label = f"{field.name} field {text!r}"
    allowed = f"{field.low}-{field.high}"
    problems: list[str] = []
    for item in text.split(","):
        match = _ITEM.fullmatch(item)
        if match is None:
            problems.append(f"{label}: {item!r} is not *, a number, a range (a-b), a step (*/n, a-b/n) or a list of those")
            continue
        for key in ("start", "end"):
            value = match.group(key)
            if value is not None and not field.low <= int(value) <= field.high:
                problems.append(f"{label}: {int(value)} is out of range {allowed}")
        start, end = match.group("start"), match.group("end")
        if start is not None and end is not None and int(start) > int(end):
            problems.append(f"{label}: range {start}-{end} runs backwards")
        step = match.group("step")
        if step is not None and not 1 <= int(step) <= field.high - field.low + 1:
            problems.append(f"{label}: step {int(step)} must be from 1 to {field.high - field.low + 1}")
    return problems
