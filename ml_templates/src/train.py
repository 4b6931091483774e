"""Train a scikit-learn classifier and save it as an MLflow model the later steps can evaluate and serve.

Preprocessing lives inside the saved Pipeline, so the scoring service receives raw columns exactly
as the schema describes them and cannot drift from training-time encoding. Tracking is explicit
(no autolog), so what lands in the workspace is deliberate and the same locally and in Azure ML.

Usage:
    python train.py --data <csv or folder> --target label --model-output <dir>
                    [--model-type gradient_boosting|logistic_regression|dummy] [--seed 42]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from common import EXIT_OK, EXIT_USAGE, PipelineError, configure_logging, load_csv, split_features, tracking_configured

MODEL_TYPES = ("gradient_boosting", "logistic_regression", "dummy")
# The model is saved with skops, whose loader refuses to build any type not known to be safe. These
# are the types each pipeline holds beyond skops' defaults; MLflow re-loads the model while saving,
# so a scikit-learn upgrade that needs more fails here, at training time, with skops' own message.
SKOPS_TRUSTED_TYPES: dict[str, list[str]] = {
    "gradient_boosting": ["sklearn.tree._tree.Tree"],
    "logistic_regression": [],
    "dummy": [],
}

log = configure_logging("train")


def classifier(model_type: str, seed: int) -> Any:
    """The estimator per --model-type; ``dummy`` predicts the class prior, a deliberately weak candidate."""
    if model_type == "gradient_boosting":
        return GradientBoostingClassifier(n_estimators=100, max_depth=3, learning_rate=0.1, subsample=0.8, random_state=seed)
    if model_type == "logistic_regression":
        return LogisticRegression(max_iter=1000, random_state=seed)
    if model_type == "dummy":
        return DummyClassifier(strategy="prior")
    raise PipelineError(f"unknown model type {model_type!r}; choose one of {', '.join(MODEL_TYPES)}")


def build_pipeline(features: pd.DataFrame, model_type: str, seed: int) -> Pipeline:
    """One-hot encode text columns, scale numeric ones, then classify."""
    categorical = [name for name in features.columns if not pd.api.types.is_numeric_dtype(features[name])]
    numeric = [name for name in features.columns if name not in categorical]
    preprocess = ColumnTransformer(
        [
            ("numeric", StandardScaler(), numeric),
            ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
        ]
    )
    return Pipeline([("preprocess", preprocess), ("classifier", classifier(model_type, seed))])


def fit(frame: pd.DataFrame, target: str, model_type: str, seed: int) -> tuple[Pipeline, dict[str, float]]:
    """Fit on every row and report training-set metrics (held-out evaluation is evaluate.py's job)."""
    features, labels = split_features(frame, target)
    if labels.isna().any():
        raise PipelineError(f"target column {target!r} has {int(labels.isna().sum())} missing values; run data_check first")
    if labels.nunique() < 2:
        raise PipelineError(f"target column {target!r} has a single class; a classifier needs both")
    pipeline = build_pipeline(features, model_type, seed).fit(features, labels)
    positive = pipeline.classes_[-1]
    scores = pipeline.predict_proba(features)[:, -1]
    metrics = {
        "train_rows": float(len(frame)),
        "train_positive_rate": float((labels == positive).mean()),
        "train_roc_auc": float(roc_auc_score(labels == positive, scores)),
        "train_accuracy": float(accuracy_score(labels, pipeline.predict(features))),
    }
    return pipeline, metrics


def save(pipeline: Pipeline, features: pd.DataFrame, output: Path, model_type: str, target: str) -> None:
    """Save as an MLflow model with a signature (the serving contract) and an input example."""
    import mlflow.sklearn
    from mlflow.models import infer_signature

    if output.exists() and any(output.iterdir()):
        raise PipelineError(f"model output folder {output} is not empty; give a new or empty folder")
    with warnings.catch_warnings():
        # MLflow warns that integer columns cannot hold missing values; the schema forbids them anyway.
        warnings.filterwarnings("ignore", message=".*integer column", category=UserWarning)
        signature = infer_signature(features, pipeline.predict(features))
    requirements = mlflow.sklearn.get_default_pip_requirements(include_skops=True) + [f"pandas=={pd.__version__}"]
    mlflow.sklearn.save_model(
        pipeline,
        str(output),
        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS,
        skops_trusted_types=SKOPS_TRUSTED_TYPES[model_type],
        signature=signature,
        input_example=features.head(3),
        # Explicit requirements skip MLflow's dependency inference, which re-loads the model in a subprocess.
        pip_requirements=requirements,
        metadata={"model_type": model_type, "target": target},
    )


def log_run(params: dict[str, Any], metrics: dict[str, float]) -> None:
    """Log to the active run: the job's run in Azure ML (MLFLOW_RUN_ID), a new one locally."""
    import mlflow

    mlflow.sklearn.autolog(disable=True)
    with mlflow.start_run():
        mlflow.log_params(params)
        mlflow.log_metrics(metrics)
        mlflow.set_tag("pipeline_step", "train")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train a classifier and save it as an MLflow model.")
    parser.add_argument("--data", type=Path, required=True, help="training CSV file or folder of CSV files")
    parser.add_argument("--target", default="label", help="target column (default: label)")
    parser.add_argument("--model-output", type=Path, required=True, help="empty folder to save the MLflow model in")
    parser.add_argument("--model-type", choices=MODEL_TYPES, default="gradient_boosting")
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        frame = load_csv(args.data)
        pipeline, metrics = fit(frame, args.target, args.model_type, args.seed)
        features, _ = split_features(frame, args.target)
        params = {"model_type": args.model_type, "seed": args.seed, "target": args.target, "features": ",".join(features.columns)}
        save(pipeline, features, args.model_output, args.model_type, args.target)
    except PipelineError as error:
        print(f"train: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    log.info("trained %s on %d rows: %s", args.model_type, len(frame), ", ".join(f"{k}={v:.4f}" for k, v in metrics.items()))
    log.info("saved MLflow model to %s", args.model_output)
    if tracking_configured():
        log_run(params, metrics)
    else:
        log.info("MLFLOW_TRACKING_URI not set; skipping MLflow run logging")
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
