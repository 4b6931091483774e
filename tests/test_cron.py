"""The cron validator: five NCrontab fields, each checked against its range, with messages naming the field."""

from __future__ import annotations

import subprocess
import sys

import pytest

from components.cron import FIELDS, validate_cron
from tests.conftest import REPO


@pytest.mark.parametrize(
    "expression",
    [
        "0 2 * * 1",
        "*/15 * * * *",
        "0 0 1 1-6 *",
        "0 3 * * *",
        "0,30 8-18/2 1,15 */3 1-5",
        "59 23 31 12 6",
        "5/10 * * * 0",
        "  0   2 * *   1 ",
    ],
)
def test_valid_expressions(expression):
    assert validate_cron(expression) == []


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("61 * * * *", "minute field '61': 61 is out of range 0-59"),
        ("* * *", "has 3 fields; expected 5 fields (minute, hour, day of month, month, day of week)"),
        ("0 2 * * 8", "day of week field '8': 8 is out of range 0-6"),
        ("0 2 * * 7", "day of week field '7'"),
        ("0 24 * * *", "hour field '24': 24 is out of range 0-23"),
        ("0 0 0 * *", "day of month field '0': 0 is out of range 1-31"),
        ("0 0 * 13 *", "month field '13'"),
        ("0 0 * 6-1 *", "month field '6-1': range 6-1 runs backwards"),
        ("*/0 * * * *", "minute field '*/0': step 0 must be from 1 to 60"),
        ("0 2 * * MON", "day of week field 'MON'"),
        ("0,,5 * * * *", "minute field '0,,5'"),
        ("0 2 * * * *", "has 6 fields"),
        ("", "has 0 fields"),
    ],
)
def test_invalid_expressions_name_the_field(expression, fragment):
    problems = validate_cron(expression)
    assert problems, expression
    assert any(fragment in problem for problem in problems), problems


def test_the_first_bad_field_is_reported():
    assert validate_cron("a b c d e") == ["minute field 'a': 'a' is not *, a number, a range (a-b), a step (*/n, a-b/n) or a list of those"]
    (problem,) = validate_cron("0 2 1 13 9")
    assert problem.startswith("month field '13'")


def test_every_problem_of_that_field_is_reported():
    assert validate_cron("70-61/0 * * * *") == [
        "minute field '70-61/0': 70 is out of range 0-59",
        "minute field '70-61/0': 61 is out of range 0-59",
        "minute field '70-61/0': range 70-61 runs backwards",
        "minute field '70-61/0': step 0 must be from 1 to 60",
    ]


def test_fields_are_named_in_order():
    assert [field.name for field in FIELDS] == ["minute", "hour", "day of month", "month", "day of week"]


def test_non_string_is_a_problem_not_a_crash():
    assert validate_cron(None) == ["cron expression must be a string, not NoneType"]  # type: ignore[arg-type]


def test_module_does_not_import_pulumi():
    """Config validation imports the validator before any Pulumi program runs."""
    code = "import sys, components.cron; sys.exit('pulumi' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, check=False)
    assert result.returncode == 0
