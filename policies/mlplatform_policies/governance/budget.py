"""Budget: a stack that spends money every month has a budget that notifies someone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity, StackValidationArgs

from mlplatform_policies.base import UNKNOWN, Controls, physical_name, read, stack_policy

BUDGET = "azure-native:consumption:Budget"

#: Resources that make a stack spend money every month: such a stack needs a budget.
BILLABLE_TYPES = (
    "azure-native:machinelearningservices:Workspace",
    "azure-native:machinelearningservices:Compute",
    "azure-native:machinelearningservices:OnlineDeployment",
    "azure-native:machinelearningservices:BatchDeployment",
)


def _notifies(notification: Any) -> bool:
    if not isinstance(notification, Mapping) or read(notification, "enabled") is not True:
        return False
    for key in ("contactEmails", "contactGroups", "contactRoles"):
        value = read(notification, key)
        if value is UNKNOWN:
            return True  # action group IDs are unknown until created: the recipient is there
        if isinstance(value, Sequence) and not isinstance(value, str) and len(value) > 0:
            return True
    return False


def _budget_problems(args: StackValidationArgs) -> Iterable[tuple[str | None, str]]:
    resources = list(args.resources)
    billable = [r for r in resources if r.resource_type in BILLABLE_TYPES]
    if not billable:
        return  # e.g. the shared stack: a registry, no compute
    budgets = [r for r in resources if r.resource_type == BUDGET]
    if not budgets:
        example = sorted(physical_name(r) for r in billable)[0]
        yield None, (
            f"stack creates billable Azure ML resources ({len(billable)}, e.g. {example}) but no {BUDGET}; expected a "
            "budget with at least one enabled notification that has a recipient"
        )
        return
    for budget in budgets:
        notifications = read(budget.props, "notifications")
        if notifications is UNKNOWN:
            continue
        values = list(notifications.values()) if isinstance(notifications, Mapping) else []
        if not any(_notifies(n) for n in values):
            yield budget.urn, (
                f"budget {physical_name(budget)} has no enabled notification with a recipient; expected at least one "
                "notification with enabled true and contactEmails, contactGroups or contactRoles"
            )


budget_with_notifications = stack_policy(
    name="azure-native-consumption-budget-notifications",
    description="Every environment stack (one with Azure ML workspaces, compute or deployments) has a budget that "
    "notifies someone.",
    rationale=(
        "GPU clusters and always-on endpoints can spend a month's budget in days; Azure budgets never stop "
        "spending, so the only protection is someone being told early, on actual and forecast spend. (MCSB has no "
        "cost control; AM-3, which asks to find resources no longer needed, is the nearest.)"
    ),
    checks=(
        "A stack with an ML workspace, compute, online or batch deployment has an `azure-native:consumption:Budget`, "
        "and each budget has a notification with `enabled: true` and contact emails, groups or roles."
    ),
    severity=Severity.MEDIUM,
    check=_budget_problems,
    controls=Controls(mcsb=("AM-3",)),
    remediation=(
        "Set `mlplatform:budget` (monthlyAmount, startDate; actualThresholds and forecastThresholds optional) and "
        "`mlplatform:monitoring.emails` in the stack file: components/budget.py (EnvironmentBudget) then notifies "
        "those addresses and the platform's action group."
    ),
    url="https://learn.microsoft.com/azure/cost-management-billing/costs/tutorial-acm-create-budgets",
)
