"""Budget and cost: the environment's monthly budget, its alert thresholds, and what the cost estimate assumes
(``budget``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from blueprint.program.config.errors import ConfigIssue, describe
from blueprint.program.config.rules import key_path
from blueprint.program.settings import setting
from blueprint.program.stack_facts import DEFAULT_PEAK_HOURS_PER_MONTH, CostAssumptions
from components.budget import EARLIEST_START, EnvironmentBudget

PERCENT_ITEM = {"type": "integer", "minimum": 1, "maximum": 999}


@dataclass(frozen=True, kw_only=True)
class BudgetSettings:
    """The environment's monthly budget and its alerts."""

    monthly_amount: float = setting("monthlyAmount", "Monthly amount in the billing currency.", exclusiveMinimum=0, maximum=10_000_000, x_expected="an amount above 0 (billing currency)")
    start_date: str = setting("startDate", "First month the budget tracks.", pattern="^20[0-9]{2}-(0[1-9]|1[0-2])-01$", x_expected="the first day of a month, YYYY-MM-01")
    actual_thresholds: tuple[int, ...] = setting(
        "actualThresholds", "Percentages of actual spend that alert.", default=(50, 80, 100), minItems=1, maxItems=5, uniqueItems=True, items=PERCENT_ITEM,
    )
    forecast_thresholds: tuple[int, ...] = setting(
        "forecastThresholds", "Percentages of forecast spend that alert.", default=(100,), maxItems=5, uniqueItems=True, items=PERCENT_ITEM,
    )
    peak_hours_per_month: float = setting(
        "peakHoursPerMonth", "Hours a month everything may run at its maximum, for the preview's cost check.",
        default=DEFAULT_PEAK_HOURS_PER_MONTH, minimum=0, maximum=744,
    )

    @property
    def cost_assumptions(self) -> CostAssumptions:
        """What the cost estimate reads back from the stack's outputs."""
        return CostAssumptions(peak_hours_per_month=self.peak_hours_per_month, monthly_budget=self.monthly_amount)


def budget_issues(project: str, values: Mapping[str, Any]) -> list[ConfigIssue]:
    """A start month Azure budgets track."""
    start = (values.get("budget") or {}).get("startDate")
    if isinstance(start, str) and start < EARLIEST_START.isoformat():
        return [ConfigIssue(key_path(project, ["budget", "startDate"]), f"the first of a month from {EARLIEST_START.isoformat()} on (Azure budgets track nothing earlier)", describe(start))]
    return []


def create_budget(
    budget: BudgetSettings,
    *,
    naming: Mapping[str, str],
    location: str,
    scope: pulumi.Input[str],
    emails: Sequence[str],
    action_group_id: pulumi.Input[str],
) -> EnvironmentBudget:
    """A monthly budget on ``scope`` (the environment's resource group) alerting ``emails`` and the action group."""
    return EnvironmentBudget(
        "budget",
        {
            "naming": dict(naming),
            "location": location,
            "scope": scope,
            "amount": budget.monthly_amount,
            "start_date": budget.start_date,
            "actual_thresholds": list(budget.actual_thresholds),
            "forecast_thresholds": list(budget.forecast_thresholds),
            "emails": list(emails),
            "action_group_id": action_group_id,
        },
    )
