"""Azure ML scoring script for the champion model (online endpoints and the local inference server).

The request contract is the model's MLflow signature: every signature column must be present with
a value of the right type, otherwise the caller gets a 400 saying exactly what is wrong instead of
a 500 from deep inside scikit-learn. Accepted bodies:

    {"input_data": {"columns": ["amount", ...], "data": [[12.5, ...], ...]}}
    {"input_data": [{"amount": 12.5, ...}, ...]}

Response: {"predictions": [0, 1, ...], "probabilities": [0.03, 0.91, ...]} where probabilities are
those of the positive (last) class.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
from pathlib import Path
from typing import Any

# The inference server imports this file by path, without putting its folder on sys.path, and in
# Azure ML the app root is the parent of the code folder; make the sibling helpers importable.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import pandas as pd  # noqa: E402

from common import PipelineError, find_model_dir  # noqa: E402

try:
    # The import path the inference server documents; the server aliases it to its own module at start-up.
    from azureml.contrib.services.aml_response import AMLResponse
except ImportError:  # imported outside the server (e.g. by a unit test): the same class, by its real name
    from azureml_inference_server_http.api.aml_response import AMLResponse

log = logging.getLogger("score")

MAX_ERRORS_REPORTED = 10
# MLflow signature column types -> the pandas dtype the model was trained with.
PANDAS_DTYPES = {"long": "int64", "integer": "int64", "double": "float64", "float": "float64", "string": "object", "boolean": "bool"}

_model: Any = None
_columns: list[tuple[str, str]] = []  # (name, MLflow type name) in signature order


class BadRequest(Exception):
    """The request does not match the contract; ``errors`` lists each problem for the caller."""

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


def init() -> None:
    """Load the model and its input signature once per worker."""
    global _model, _columns
    import mlflow.sklearn
    from mlflow.models import Model

    root = os.environ.get("AZUREML_MODEL_DIR")
    if not root:
        raise RuntimeError("AZUREML_MODEL_DIR is not set; the inference server sets it from --model_dir or the deployment")
    try:
        model_dir = find_model_dir(Path(root))
    except PipelineError as error:
        raise RuntimeError(str(error)) from error
    signature = Model.load(str(model_dir)).signature
    if signature is None or signature.inputs is None or not signature.inputs.has_input_names():
        raise RuntimeError(f"model at {model_dir} has no named input signature; train.py always saves one")
    columns = [(spec.name, spec.type.name) for spec in signature.inputs.inputs]
    unsupported = [f"{name} ({kind})" for name, kind in columns if kind not in PANDAS_DTYPES]
    if unsupported:
        raise RuntimeError(f"signature has column types this script cannot validate: {', '.join(unsupported)}")
    _columns = columns
    _model = mlflow.sklearn.load_model(str(model_dir))
    log.info("loaded model from %s with inputs %s", model_dir, ", ".join(name for name, _ in columns))


def _rows(body: Any) -> list[dict[str, Any]]:
    """The request's rows as dicts, from either accepted layout."""
    if not isinstance(body, dict) or "input_data" not in body:
        raise BadRequest('request body must be a JSON object with an "input_data" field')
    data = body["input_data"]
    if isinstance(data, dict):
        columns, values = data.get("columns"), data.get("data")
        if not isinstance(columns, list) or not all(isinstance(name, str) for name in columns):
            raise BadRequest('"input_data.columns" must be a list of column names')
        if not isinstance(values, list) or not all(isinstance(row, list) for row in values):
            raise BadRequest('"input_data.data" must be a list of rows, each a list of values')
        if len(set(columns)) != len(columns):
            raise BadRequest('"input_data.columns" lists a column more than once')
        bad_length = [index for index, row in enumerate(values) if len(row) != len(columns)]
        if bad_length:
            raise BadRequest(
                f"{len(bad_length)} row(s) do not have one value per column ({len(columns)})",
                [f"row {index} has {len(values[index])} values" for index in bad_length[:MAX_ERRORS_REPORTED]],
            )
        rows = [dict(zip(columns, row)) for row in values]
    elif isinstance(data, list):
        if not all(isinstance(record, dict) for record in data):
            raise BadRequest('"input_data" as a list must hold one JSON object per row')
        rows = data
    else:
        raise BadRequest('"input_data" must be {"columns": [...], "data": [[...]]} or a list of records')
    if not rows:
        raise BadRequest('"input_data" has no rows')
    return rows


def _coerce(value: Any, kind: str) -> Any:
    """``value`` as the signature type, or ValueError saying what was expected."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise ValueError("value is missing")
    if kind in ("long", "integer"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer():
            raise ValueError(f"expected an integer, got {value!r}")
        return int(value)
    if kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"expected a finite number, got {value!r}")
        return float(value)
    if kind == "string":
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {value!r}")
        return value
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def parse_request(raw_data: str | bytes | dict[str, Any]) -> pd.DataFrame:
    """Validate the request against the signature and return the model's input frame."""
    if isinstance(raw_data, (str, bytes)):
        try:
            body = json.loads(raw_data)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise BadRequest(f"request body is not valid JSON: {error}") from None
    else:
        body = raw_data
    rows = _rows(body)
    missing = sorted({name for name, _ in _columns for row in rows if name not in row})
    if missing:
        expected = ", ".join(name for name, _ in _columns)
        raise BadRequest(f"missing required column(s): {', '.join(missing)} (expected: {expected})")
    errors: list[str] = []
    converted: dict[str, list[Any]] = {}
    for name, kind in _columns:
        values = []
        for index, row in enumerate(rows):
            try:
                values.append(_coerce(row[name], kind))
            except ValueError as problem:
                errors.append(f"row {index}, column {name!r}: {problem}")
                values.append(None)
        converted[name] = values
    if errors:
        raise BadRequest(f"{len(errors)} value(s) do not match the model's input types", errors[:MAX_ERRORS_REPORTED])
    return pd.DataFrame({name: pd.Series(converted[name], dtype=PANDAS_DTYPES[kind]) for name, kind in _columns})


def _bad_request(error: BadRequest) -> AMLResponse:
    body = {"message": str(error), "errors": error.errors}
    return AMLResponse(body, 400, json_str=True)


def run(raw_data: str) -> dict[str, list[Any]] | AMLResponse:
    """Score one request; malformed input gets a 400 with the reasons, anything else is a server error."""
    if _model is None:
        raise RuntimeError("init() has not loaded a model")
    try:
        frame = parse_request(raw_data)
    except BadRequest as error:
        log.info("rejected request: %s", error)
        return _bad_request(error)
    predictions = _model.predict(frame)
    probabilities = _model.predict_proba(frame)[:, -1]
    return {"predictions": predictions.tolist(), "probabilities": [float(p) for p in probabilities]}
