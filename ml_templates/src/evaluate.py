"""Score a candidate model against the current champion on the same held-out data and decide.

The decision is written to decision.json and is the only thing register.py acts on, so a model can
reach the registry only by beating the model that is serving today, on the same rows, by the same
metric, and by reaching an absolute floor (``--min-score``): without a floor the first candidate of a
new model name, with no champion to beat, would pass however poor it is. The champion is the version
carrying the registry alias ``champion``.

Usage:
    python evaluate.py --model <mlflow model dir> --data <test csv or folder> --target label
                       --model-name <registered name> --metric roc_auc --output <dir>
                       [--min-improvement 0.0] [--min-score 0.0]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn import metrics as skm

from common import (
    CHAMPION_ALIAS,
    DECISION_FILE,
    EXIT_OK,
    EXIT_USAGE,
    PipelineError,
    champion_version,
    configure_logging,
    find_model_dir,
    load_csv,
    model_digest,
    split_features,
    tracking_configured,
)

log = configure_logging("evaluate")


@dataclass(frozen=True)
class Metric:
    """A higher-is-better metric and whether it needs scores (probabilities) or hard predictions."""

    function: Callable[..., float]
    needs_scores: bool


METRICS: dict[str, Metric] = {
    "roc_auc": Metric(skm.roc_auc_score, needs_scores=True),
    "average_precision": Metric(skm.average_precision_score, needs_scores=True),
    "accuracy": Metric(skm.accuracy_score, needs_scores=False),
    "balanced_accuracy": Metric(skm.balanced_accuracy_score, needs_scores=False),
    "f1": Metric(skm.f1_score, needs_scores=False),
    "precision": Metric(skm.precision_score, needs_scores=False),
    "recall": Metric(skm.recall_score, needs_scores=False),
}


@dataclass(frozen=True)
class Champion:
    version: str
    model: Any


def model_inputs(model: Any, features: pd.DataFrame, who: str) -> pd.DataFrame:
    """The columns ``model`` was trained on, in its order; a clear error names any that the data lacks."""
    expected = list(getattr(model, "feature_names_in_", features.columns))
    missing = [name for name in expected if name not in features.columns]
    if missing:
        raise PipelineError(f"{who} needs columns missing from the evaluation data: {', '.join(missing)}")
    return features[expected]


def score(model: Any, features: pd.DataFrame, labels: pd.Series, metric: str, who: str) -> float:
    """``metric`` of ``model`` on the data, treating the model's last class (1 for 0/1 labels) as positive."""
    spec = METRICS[metric]
    inputs = model_inputs(model, features, who)
    positive = model.classes_[-1]
    truth = (labels == positive).astype(int)
    try:
        if spec.needs_scores:
            value = spec.function(truth, model.predict_proba(inputs)[:, -1])
        else:
            value = spec.function(truth, (model.predict(inputs) == positive).astype(int))
    except ValueError as error:
        raise PipelineError(f"cannot compute {metric} for the {who}: {error}") from error
    if not math.isfinite(value):
        raise PipelineError(f"{metric} of the {who} is not a finite number ({value}); check the evaluation data")
    return float(value)


def load_sklearn(uri: str, who: str) -> Any:
    """The scikit-learn model at ``uri`` (a folder or a models:/ URI), or a clear error naming which one failed."""
    import mlflow.sklearn
    from mlflow.exceptions import MlflowException

    try:
        return mlflow.sklearn.load_model(uri)
    except MlflowException as error:
        raise PipelineError(f"cannot load the {who} ({uri}) as a scikit-learn MLflow model: {error.message}") from error


def find_champion(model_name: str) -> Champion | None:
    """Load the current champion from the registry, or None when there is none yet."""
    version = champion_version(model_name)
    if version is None:
        log.info("no %r alias on registered model %r: no champion", CHAMPION_ALIAS, model_name)
        return None
    log.info("champion is %s version %s", model_name, version)
    return Champion(version=version, model=load_sklearn(f"models:/{model_name}/{version}", f"champion version {version}"))


def decide(
    metric: str,
    candidate: float,
    champion: Champion | None,
    champion_value: float | None,
    min_improvement: float,
    min_score: float = 0.0,
) -> tuple[bool, str]:
    """Register when the candidate reaches the floor and either there is no champion or it wins by more than the margin.

    The floor is checked first: a candidate below it is rejected even when it beats a (poor) champion.
    """
    if candidate < min_score:
        against = "" if champion is None or champion_value is None else f"; champion version {champion.version} scores {champion_value:.4f}"
        return False, f"candidate {metric} {candidate:.4f} is below the minimum score {min_score}{against}"
    if champion is None or champion_value is None:
        return True, f"no current champion; candidate {metric} {candidate:.4f} becomes the first champion"
    gain = candidate - champion_value
    if gain > min_improvement:
        return True, (
            f"candidate {metric} {candidate:.4f} beats champion version {champion.version} "
            f"({champion_value:.4f}) by {gain:.4f}, more than the required {min_improvement}"
        )
    return False, (
        f"candidate {metric} {candidate:.4f} does not beat champion version {champion.version} "
        f"({champion_value:.4f}) by more than {min_improvement} (difference {gain:+.4f})"
    )


def log_run(decision: dict[str, Any]) -> None:
    """Record the comparison on the step's run so it shows next to the pipeline in the workspace."""
    import mlflow

    with mlflow.start_run():
        mlflow.log_metric(f"candidate_{decision['metric']}", decision["candidate"])
        if decision["champion"] is not None:
            mlflow.log_metric(f"champion_{decision['metric']}", decision["champion"])
        mlflow.set_tags({"pipeline_step": "evaluate", "register": str(decision["register"]).lower()})
        mlflow.log_dict(decision, DECISION_FILE)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Compare a candidate model with the registered champion.")
    parser.add_argument("--model", type=Path, required=True, help="candidate MLflow model folder")
    parser.add_argument("--data", type=Path, required=True, help="held-out test CSV file or folder")
    parser.add_argument("--target", default="label", help="target column (default: label)")
    parser.add_argument("--model-name", required=True, help="registered model name whose champion to compare with")
    parser.add_argument("--metric", choices=sorted(METRICS), default="roc_auc", help="higher-is-better metric")
    parser.add_argument("--output", type=Path, required=True, help="folder to write decision.json to")
    parser.add_argument("--min-improvement", type=float, default=0.0, help="margin the candidate must beat the champion by")
    parser.add_argument(
        "--min-score", type=float, default=0.0, help="absolute floor the candidate's metric must reach (0 to 1; default 0: no floor)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    if args.min_improvement < 0:
        print("evaluate: error: --min-improvement must not be negative", file=sys.stderr)
        return EXIT_USAGE
    if not 0.0 <= args.min_score <= 1.0:
        print(f"evaluate: error: --min-score must be between 0 and 1, got {args.min_score}", file=sys.stderr)
        return EXIT_USAGE
    if not tracking_configured():
        print("evaluate: error: MLFLOW_TRACKING_URI is not set, so there is no registry to find the champion in "
              "(Azure ML jobs set it; locally use e.g. sqlite:///mlflow.db)", file=sys.stderr)
        return EXIT_USAGE
    try:
        model_dir = find_model_dir(args.model)
        features, labels = split_features(load_csv(args.data), args.target)
        candidate = load_sklearn(str(model_dir), "candidate")
        candidate_value = score(candidate, features, labels, args.metric, "candidate")
        champion = find_champion(args.model_name)
        champion_value = None
        if champion is not None:
            champion_value = score(champion.model, features, labels, args.metric, f"champion version {champion.version}")
    except PipelineError as error:
        print(f"evaluate: error: {error}", file=sys.stderr)
        return EXIT_USAGE

    register, reason = decide(args.metric, candidate_value, champion, champion_value, args.min_improvement, args.min_score)
    decision = {
        "register": register,
        "metric": args.metric,
        "candidate": candidate_value,
        "champion": champion_value,
        "reason": reason,
        "model_name": args.model_name,
        "champion_version": champion.version if champion else None,
        "min_improvement": args.min_improvement,
        "min_score": args.min_score,
        "evaluation_rows": len(features),
        "candidate_digest": model_digest(model_dir),
    }
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / DECISION_FILE).write_text(json.dumps(decision, indent=2) + "\n")
    log.info("decision: %s (%s)", "register" if register else "do not register", reason)
    log_run(decision)
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
