"""The model gate: the absolute score a candidate must reach, as well as beating the champion, before the training
pipeline registers it (``modelGate``). Beating the champion alone lets any first model through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from blueprint.program.settings import setting

#: The metrics evaluate.py (ml_templates/src) can gate on, all higher-is-better; a test keeps the two lists equal.
GATE_METRICS: tuple[str, ...] = ("accuracy", "average_precision", "balanced_accuracy", "f1", "precision", "recall", "roc_auc")
DEFAULT_MINIMUM_SCORE = 0.7
DEFAULT_METRIC = "roc_auc"


@dataclass(frozen=True, kw_only=True)
class ModelGateSettings:
    """What a candidate model must score on held-out data before the training pipeline registers it."""

    minimum_score: float = setting(
        "minimumScore", "Floor the candidate's metric must reach as well as beating the champion (the pipeline's min_score).",
        default=DEFAULT_MINIMUM_SCORE, minimum=0, maximum=1, x_expected="a number from 0 to 1",
    )
    metric: str = setting("metric", "Held-out metric the gate compares (evaluate.py's --metric).", default=DEFAULT_METRIC, override={"enum": list(GATE_METRICS)})

    def to_output(self) -> dict[str, Any]:
        """The stack output the models workflow reads to submit the pipeline with this stack's gate."""
        return {"minimumScore": self.minimum_score, "metric": self.metric}
