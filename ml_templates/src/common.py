"""Helpers shared by the pipeline scripts and the scoring script.

Kept free of heavy imports (no MLflow, no scikit-learn at import time) so data_check and score
start fast, and kept to things at least two scripts need, so each script still reads on its own.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import pandas as pd

MLMODEL_FILE = "MLmodel"
CHAMPION_ALIAS = "champion"
DECISION_FILE = "decision.json"

# Exit codes shared by every script, so pipeline logs read the same way everywhere.
EXIT_OK = 0
EXIT_CHECK_FAILED = 1  # the data or the gate said no in a way the pipeline must stop on
EXIT_USAGE = 2  # bad arguments, unreadable inputs, misconfiguration


class PipelineError(Exception):
    """An expected failure with a message meant for the person reading the job log."""


def configure_logging(name: str) -> logging.Logger:
    """Plain, timestamp-free log lines: Azure ML and CI add their own timestamps."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("alembic", "mlflow.store.db.utils", "mlflow.models.model"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return logging.getLogger(name)


def csv_files(path: Path) -> list[Path]:
    """The CSV files ``path`` stands for: itself, or every ``*.csv`` below it in a stable order.

    Azure ML hands a ``uri_folder`` input over as a directory, a ``uri_file`` as a file; both work.
    """
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.csv") if p.is_file())
        if not files:
            raise PipelineError(f"no .csv files found under folder {path}")
        return files
    raise PipelineError(f"data path {path} does not exist")


def load_csv(path: Path, string_columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read one CSV file or all CSV files of a folder into one frame.

    Every file must have the same columns (order may differ): silently unioning different headers
    would turn a broken upstream export into columns full of nulls.
    """
    files = csv_files(path)
    frames: list[pd.DataFrame] = []
    for file in files:
        try:
            frame = pd.read_csv(file, dtype={name: "string" for name in string_columns})
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
            raise PipelineError(f"cannot read {file} as CSV: {error}") from error
        if frames and set(frame.columns) != set(frames[0].columns):
            raise PipelineError(
                f"{file} has columns {sorted(frame.columns)} but {files[0]} has {sorted(frames[0].columns)}; "
                "all files of a dataset folder must share one header"
            )
        frames.append(frame[list(frames[0].columns)] if frames else frame)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def split_features(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    """Features and target, with a clear error when the target column is absent."""
    if target not in frame.columns:
        raise PipelineError(f"target column {target!r} not in data (columns: {', '.join(map(str, frame.columns))})")
    return frame.drop(columns=[target]), frame[target]


def find_model_dir(root: Path) -> Path:
    """The directory holding the ``MLmodel`` file at or below ``root``.

    Azure ML mounts a registered model as ``$AZUREML_MODEL_DIR/<folder>/MLmodel`` and pipeline outputs
    as the folder itself, so the MLmodel file may sit at any depth; more than one is ambiguous.
    """
    if not root.exists():
        raise PipelineError(f"model path {root} does not exist")
    if root.is_file():
        root = root.parent
    if (root / MLMODEL_FILE).is_file():
        return root
    found = sorted(p.parent for p in root.rglob(MLMODEL_FILE) if p.is_file())
    if not found:
        raise PipelineError(f"no MLflow model (an {MLMODEL_FILE} file) found under {root}")
    if len(found) > 1:
        listed = ", ".join(str(p.relative_to(root)) for p in found)
        raise PipelineError(f"more than one MLflow model under {root} ({listed}); point at one of them")
    return found[0]


def model_digest(model_dir: Path) -> str:
    """A SHA-256 over the model's files (names and bytes), so register can prove it registers what evaluate scored."""
    digest = hashlib.sha256()
    for file in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        digest.update(file.relative_to(model_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(file.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def tracking_configured() -> bool:
    """Whether MLflow tracking points somewhere on purpose (Azure ML jobs always set this variable).

    Without it MLflow would quietly create a store in the working directory, which in Azure ML is
    the uploaded code snapshot; the scripts skip logging, or refuse to touch a registry, instead.
    """
    return bool(os.environ.get("MLFLOW_TRACKING_URI"))


def champion_version(model_name: str) -> str | None:
    """The version the ``champion`` alias points at, or None when the model or the alias does not exist.

    Only a confirmed absence counts as "no champion"; any other registry error propagates, because
    reading an outage as "no champion" would wave every candidate through the gate.
    """
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    try:
        return str(client.get_model_version_by_alias(model_name, CHAMPION_ALIAS).version)
    except MlflowException as lookup_error:
        # Backends word "no such alias" differently (the SQL store says INVALID_PARAMETER_VALUE),
        # so confirm the absence from the registered model itself before believing it.
        try:
            registered = client.get_registered_model(model_name)
        except MlflowException as model_error:
            if model_error.error_code == "RESOURCE_DOES_NOT_EXIST":
                return None
            raise lookup_error from model_error
        if CHAMPION_ALIAS not in (registered.aliases or {}):
            return None
        raise
