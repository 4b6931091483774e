"""The contract between the program and the tools: the stack outputs the tools read, named once.

The program exports these facts about a stack; the CLI's tools (cost estimate, check, diff, fork) read them back
from a plan. Both sides import the names from here, so a rename cannot leave one side reading a key the other no
longer writes. Outputs that only operators and other stacks read (workspace name, client IDs, ...) are not part
of this contract.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The stack's environment (``tags.environment``): which pack config applies, which rules are prod's.
ENVIRONMENT = "environment"
#: The stack's normalised Azure region: the region the cost estimate prices.
LOCATION = "location"
#: How long a month may run at peak and against which budget: the cost estimate's assumptions.
COST_ASSUMPTIONS = "costAssumptions"
#: The environment stack's network isolation tier (``public``, ``managed``, ``private``).
NETWORK_MODE = "networkMode"
#: Peak hours a month the estimate assumes when a stack declares none (a stack without a budget: shared, bootstrap).
DEFAULT_PEAK_HOURS_PER_MONTH = 40.0


@dataclass(frozen=True)
class CostAssumptions:
    """What the cost estimate assumes of an environment stack, as the program declares it."""

    peak_hours_per_month: float | None
    monthly_budget: float | None

    _PEAK_HOURS = "peakHoursPerMonth"
    _BUDGET = "monthlyBudget"

    def to_output(self) -> dict[str, float | None]:
        """The value of the ``costAssumptions`` output."""
        return {self._PEAK_HOURS: self.peak_hours_per_month, self._BUDGET: self.monthly_budget}

    @classmethod
    def from_outputs(cls, outputs: Mapping[str, Any]) -> CostAssumptions:
        """Read back from a plan's outputs; a missing or malformed value reads as unknown (``None``), never raises."""
        value = outputs.get(COST_ASSUMPTIONS)
        value = value if isinstance(value, Mapping) else {}
        return cls(_number(value.get(cls._PEAK_HOURS)), _number(value.get(cls._BUDGET)))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None
