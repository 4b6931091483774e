"""EnvironmentBudget under the ARM mocks: a monthly Cost budget that notifies on actual and forecast spend."""

from __future__ import annotations

from typing import Any

import pytest

from blueprint.tools.preview.arm import SUBSCRIPTION_ID
from components.budget import EnvironmentBudget, EnvironmentBudgetArgs, normalize_start_date
from components.naming import ResourceKind, validate_name
from tests.conftest import only, run_component

BUDGET = "azure-native:consumption:Budget"
SCOPE = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-fraud-prod"
ACTION_GROUP = f"{SCOPE}/providers/Microsoft.Insights/actionGroups/ag-fraud-prod"


def budget_args(**overrides: Any) -> EnvironmentBudgetArgs:
    args: dict[str, Any] = {
        "naming": {"prefix": "fraud", "environment": "prod", "seed": "mlplatform/prod"},
        "location": "westeurope",
        "scope": SCOPE,
        "amount": 12000,
        "start_date": "2026-01-01T00:00:00Z",
        "actual_thresholds": [80, 100],
        "forecast_thresholds": [100],
        "emails": ["finops@example.com"],
        "action_group_id": ACTION_GROUP,
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def budget_of(**overrides: Any):
    plan = run_component(lambda: EnvironmentBudget("budget", budget_args(**overrides)))
    return plan, only(plan, BUDGET)


def test_monthly_cost_budget_on_the_resource_group():
    plan, budget = budget_of()
    assert budget.parent == only(plan, "mlplatform:index:EnvironmentBudget").urn
    inputs = budget.inputs
    assert inputs["scope"] == SCOPE
    assert inputs["category"] == "Cost"
    assert inputs["timeGrain"] == "Monthly"
    assert inputs["amount"] == 12000
    assert inputs["timePeriod"] == {"startDate": "2026-01-01T00:00:00Z"}
    name = inputs["budgetName"]
    assert name.startswith("budget-fraud-prod-")
    assert validate_name(ResourceKind.BUDGET, name) == []
    assert budget.id == f"{SCOPE}/providers/Microsoft.Consumption/budgets/{name}"


def test_actual_and_forecast_notifications_go_to_the_action_group():
    _, budget = budget_of()
    notifications = budget.inputs["notifications"]
    assert set(notifications) == {"actual-80", "actual-100", "forecast-100"}
    for key, kind, threshold in (("actual-80", "Actual", 80), ("actual-100", "Actual", 100), ("forecast-100", "Forecasted", 100)):
        assert notifications[key] == {
            "enabled": True,
            "operator": "GreaterThanOrEqualTo",
            "threshold": threshold,
            "thresholdType": kind,
            "contactEmails": ["finops@example.com"],
            "contactGroups": [ACTION_GROUP],
            "locale": "en-us",
        }, key


def test_fractional_thresholds_action_group_only_and_a_qualifier():
    _, budget = budget_of(actual_thresholds=[82.5], forecast_thresholds=[90, 110], emails=[], qualifier="gpu")
    notifications = budget.inputs["notifications"]
    assert set(notifications) == {"actual-82.5", "forecast-90", "forecast-110"}
    assert notifications["actual-82.5"]["contactEmails"] == []
    assert notifications["actual-82.5"]["contactGroups"] == [ACTION_GROUP]
    assert "-gpu-" in budget.inputs["budgetName"]


def test_default_thresholds():
    args = {k: v for k, v in budget_args().items() if k not in ("actual_thresholds", "forecast_thresholds")}
    plan = run_component(lambda: EnvironmentBudget("budget", args))  # type: ignore[arg-type]
    assert set(only(plan, BUDGET).inputs["notifications"]) == {"actual-50", "actual-80", "actual-100", "forecast-100"}


def test_date_only_start_is_completed():
    _, budget = budget_of(start_date="2026-12-01")
    assert budget.inputs["timePeriod"] == {"startDate": "2026-12-01T00:00:00Z"}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount": 0}, "amount must be a number above 0, got 0"),
        ({"amount": -5}, "amount must be a number above 0, got -5"),
        ({"amount": "12000"}, "amount must be a number above 0, got '12000'"),
        ({"actual_thresholds": [0]}, "actual_thresholds must be above 0 and at most 1000 percent, got 0"),
        ({"forecast_thresholds": [1001]}, "forecast_thresholds must be above 0 and at most 1000 percent, got 1001"),
        ({"actual_thresholds": [80, 80]}, r"actual_thresholds \[80, 80\] repeat a threshold"),
        ({"actual_thresholds": [], "forecast_thresholds": []}, "at least one actual or forecast threshold"),
        ({"actual_thresholds": [25, 50, 75, 100], "forecast_thresholds": [90, 110]}, "5 notifications per budget, got 6"),
        ({"start_date": "2026-01-15T00:00:00Z"}, "start_date must be the first day of a month, .* got '2026-01-15T00:00:00Z'"),
        ({"start_date": "2026-13-01T00:00:00Z"}, "got '2026-13-01T00:00:00Z'"),
        ({"start_date": "01/01/2026"}, "got '01/01/2026'"),
        ({"start_date": "2026-01-01T08:00:00Z"}, "got '2026-01-01T08:00:00Z'"),
        ({"start_date": "2017-05-01T00:00:00Z"}, "start_date '2017-05-01T00:00:00Z' is before June 2017"),
        ({"emails": ["finops"]}, "'finops' in emails is not an email address"),
    ],
)
def test_validation(overrides, message):
    with pytest.raises(ValueError, match=message):
        budget_of(**overrides)


def test_normalize_start_date():
    assert normalize_start_date("2017-06-01") == "2017-06-01T00:00:00Z"
    assert normalize_start_date("2030-02-01T00:00:00Z") == "2030-02-01T00:00:00Z"
