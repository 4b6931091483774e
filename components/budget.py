"""``EnvironmentBudget``: a monthly cost budget on an environment's resource group, alerting before money is gone.

Azure budgets never stop spending; they notify. So the budget alerts on actual spend at several thresholds and on
the month's *forecast*, which fires days before the actual crosses, and it alerts through the platform's action
group (the same route as operational alerts) as well as by email. The amount is in the billing currency.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Sequence
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import consumption

from components.naming import NamingArgs, ResourceKind, namer_for
from components.validators import is_email

#: Azure accepts at most five notifications per budget.
MAX_NOTIFICATIONS = 5
#: Notification thresholds are percentages of the amount, above 0 and at most 1000.
MAX_THRESHOLD_PERCENT = 1000
#: Budgets cannot start before this month.
EARLIEST_START = datetime.date(2017, 6, 1)

_START_DATE = re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})-01(?:T00:00:00Z)?")


class EnvironmentBudgetArgs(TypedDict):
    """Arguments of :class:`EnvironmentBudget`."""

    naming: NamingArgs
    """How the budget's name is derived."""
    location: str
    """Region of the environment (part of the name; budgets themselves have no location)."""
    scope: pulumi.Input[str]
    """Resource ID of the resource group whose costs are tracked."""
    amount: float
    """Monthly amount in the billing currency, above 0."""
    start_date: str
    """First month tracked: ``YYYY-MM-01T00:00:00Z`` (``YYYY-MM-01`` is accepted and completed)."""
    action_group_id: pulumi.Input[str]
    """Action group every notification goes to."""
    actual_thresholds: NotRequired[Sequence[float]]
    """Percentages of the amount actually spent that notify (default 50, 80, 100)."""
    forecast_thresholds: NotRequired[Sequence[float]]
    """Percentages of the amount the month's forecast reaching notifies (default 100)."""
    emails: NotRequired[Sequence[str]]
    """Addresses emailed with every notification, besides the action group."""
    qualifier: NotRequired[str]
    """Distinguishes several budgets of one environment in their names."""


class EnvironmentBudget(pulumi.ComponentResource):
    """A monthly Cost budget on a resource group with actual and forecast notifications."""

    budget_name: pulumi.Output[str]
    budget_id: pulumi.Output[str]

    def __init__(self, name: str, args: EnvironmentBudgetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplatform:index:EnvironmentBudget", name, None, opts)
        owner = f"EnvironmentBudget {name}"
        amount = args["amount"]
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not math.isfinite(amount) or amount <= 0:
            raise ValueError(f"{owner}: amount must be a number above 0, got {amount!r}")
        start_date = normalize_start_date(args["start_date"], owner)
        actual = _thresholds(owner, "actual_thresholds", args.get("actual_thresholds", (50, 80, 100)))
        forecast = _thresholds(owner, "forecast_thresholds", args.get("forecast_thresholds", (100,)))
        count = len(actual) + len(forecast)
        if count == 0:
            raise ValueError(f"{owner}: at least one actual or forecast threshold is needed; a budget without notifications is silent")
        if count > MAX_NOTIFICATIONS:
            raise ValueError(
                f"{owner}: Azure allows {MAX_NOTIFICATIONS} notifications per budget, got {count} "
                f"(actual {actual!r}, forecast {forecast!r})"
            )
        emails = _emails(owner, args.get("emails", ()))
        namer = namer_for(args["naming"], args["location"])

        def notification(kind: str, threshold: float) -> consumption.NotificationArgs:
            return consumption.NotificationArgs(
                enabled=True,
                operator="GreaterThanOrEqualTo",
                threshold=threshold,
                threshold_type=kind,
                contact_emails=emails,
                contact_groups=[args["action_group_id"]],
                locale="en-us",
            )

        notifications = {f"actual-{_label(t)}": notification("Actual", t) for t in actual}
        notifications |= {f"forecast-{_label(t)}": notification("Forecasted", t) for t in forecast}

        budget = consumption.Budget(
            name,
            budget_name=namer.name(ResourceKind.BUDGET, args.get("qualifier", "")),
            scope=args["scope"],
            category="Cost",
            time_grain="Monthly",
            amount=float(amount),
            time_period=consumption.BudgetTimePeriodArgs(start_date=start_date),
            notifications=notifications,
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.budget_name = budget.name
        self.budget_id = budget.id
        self.register_outputs({"budget_name": self.budget_name, "budget_id": self.budget_id})


def normalize_start_date(value: object, owner: str = "budget") -> str:
    """``value`` as the first day of a month in the form Azure expects (``YYYY-MM-01T00:00:00Z``).

    Raises ``ValueError`` naming the value otherwise, or when the month is before June 2017 (Azure's earliest).
    """
    match = _START_DATE.fullmatch(value) if isinstance(value, str) else None
    if match is None or not 1 <= int(match["month"]) <= 12:
        raise ValueError(f"{owner}: start_date must be the first day of a month, YYYY-MM-01T00:00:00Z, got {value!r}")
    month = datetime.date(int(match["year"]), int(match["month"]), 1)
    if month < EARLIEST_START:
        raise ValueError(f"{owner}: start_date {value!r} is before {EARLIEST_START:%B %Y}, the earliest month Azure budgets track")
    return f"{month:%Y-%m}-01T00:00:00Z"


def _thresholds(owner: str, key: str, values: Sequence[float]) -> list[float]:
    found = list(values or [])
    for value in found:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"{owner}: {key} must be numbers (percent of the amount), got {value!r}")
        if not 0 < value <= MAX_THRESHOLD_PERCENT:
            raise ValueError(f"{owner}: {key} must be above 0 and at most {MAX_THRESHOLD_PERCENT} percent, got {value!r}")
    if len(set(found)) != len(found):
        raise ValueError(f"{owner}: {key} {found!r} repeat a threshold")
    return sorted(float(v) for v in found)


def _emails(owner: str, emails: Sequence[str]) -> list[str]:
    if isinstance(emails, str):
        raise ValueError(f"{owner}: emails must be a list of addresses, not the string {emails!r}")
    found = list(emails or [])
    for email in found:
        if not is_email(email):
            raise ValueError(f"{owner}: {email!r} in emails is not an email address")
    return found


def _label(threshold: float) -> str:
    """``80`` for 80.0, ``82.5`` otherwise: notification keys read as the percentage."""
    return f"{threshold:g}"
