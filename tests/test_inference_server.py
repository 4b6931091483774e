"""score.py behind the real Azure ML inference server (azureml-inference-server-http), over HTTP.

The server is the installed package's own `azmlinfsrv` entry point with one change: it is bound to
127.0.0.1 instead of the package's hard-wired 0.0.0.0, so a test run never exposes a port. Every
wait is bounded and the server's process group is always stopped.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.conftest import REPO

SRC = REPO / "ml_templates" / "src"
STARTUP_TIMEOUT_S = 90
REQUEST_TIMEOUT_S = 30
ROWS = 40

# Runs exactly what the `azmlinfsrv` console script runs, after pinning the listen address.
LAUNCHER = """
import sys
from importlib.metadata import entry_points
from azureml_inference_server_http import amlserver
(entry,) = entry_points(group="console_scripts", name="azmlinfsrv")
amlserver.DEFAULT_HOST = "127.0.0.1"
sys.exit(entry.load()())
"""


def load_make_data():
    spec = importlib.util.spec_from_file_location("pipeline_make_data", SRC / "make_data.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(url: str, body: bytes | None = None, content_type: str = "application/json") -> tuple[int, bytes]:
    """(status, body) of a GET (no body) or POST, without raising on 4xx/5xx."""
    req = urllib.request.Request(url, data=body, headers={"Content-Type": content_type} if body is not None else {})
    try:
        with urllib.request.urlopen(req, timeout=REQUEST_TIMEOUT_S) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def post_json(url: str, payload: Any) -> tuple[int, Any]:
    status, body = request(url, json.dumps(payload).encode())
    return status, json.loads(body)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A trained model laid out as Azure ML mounts one: $AZUREML_MODEL_DIR/<folder>/MLmodel."""
    folder = tmp_path_factory.mktemp("served")
    load_make_data().generate(1500, seed=5).to_csv(folder / "train.csv", index=False)
    root = folder / "azureml-models" / "card-fraud" / "1"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "AZUREML_"))}
    result = subprocess.run(
        [sys.executable, "train.py", "--data", folder / "train.csv", "--target", "label", "--model-output", root / "model"],
        cwd=SRC, env=env, capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture(scope="module")
def test_rows() -> pd.DataFrame:
    return load_make_data().generate(ROWS, seed=99).drop(columns=["label"])


@pytest.fixture(scope="module")
def server(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a running inference server; stopped (process group) whatever happens."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "AZUREML_"))}
    # No gunicorn control socket: it would be created under the home directory.
    env.update(AZUREML_MODEL_DIR=str(model_dir), GUNICORN_CMD_ARGS="--no-control-socket", MLFLOW_DISABLE_TELEMETRY="true")
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, "--entry_script", "score.py", "--port", str(port)],
            cwd=SRC, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"inference server exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
            try:
                if request(f"{base}/")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"inference server not live after {STARTUP_TIMEOUT_S}s:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.25)
        assert f"Listening at: http://127.0.0.1:{port}" in log_path.read_text()
        yield base
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the server's own process group (gunicorn master and worker), SIGKILL if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@pytest.fixture(scope="module")
def expected(model_dir: Path, test_rows: pd.DataFrame) -> dict[str, list]:
    """What the saved model itself predicts for the test rows, loaded in-process."""
    import mlflow.sklearn

    model = mlflow.sklearn.load_model(str(model_dir / "model"))
    return {"predictions": model.predict(test_rows).tolist(), "probabilities": model.predict_proba(test_rows)[:, 1].tolist()}


def _split_payload(rows: pd.DataFrame) -> dict:
    return {"input_data": {"columns": list(rows.columns), "data": rows.to_numpy().tolist()}}


def test_liveness_route(server):
    status, body = request(f"{server}/")
    assert status == 200 and body.decode().strip() == "Healthy"


@pytest.mark.parametrize("layout", ["split", "records"])
def test_scores_match_the_models_own_predictions(server, test_rows, expected, layout):
    payload = _split_payload(test_rows) if layout == "split" else {"input_data": test_rows.to_dict(orient="records")}
    status, body = post_json(f"{server}/score", payload)
    assert status == 200, body
    assert set(body) == {"predictions", "probabilities"}
    assert len(body["predictions"]) == len(body["probabilities"]) == ROWS
    assert body["predictions"] == expected["predictions"]
    assert body["probabilities"] == pytest.approx(expected["probabilities"], abs=1e-9)
    assert all(0.0 <= p <= 1.0 for p in body["probabilities"])
    assert set(body["predictions"]) <= {0, 1}


def test_integral_floats_are_accepted_for_integer_columns(server, test_rows, expected):
    rows = test_rows.head(3).astype({"hour_of_day": "float64"})
    status, body = post_json(f"{server}/score", _split_payload(rows))
    assert status == 200, body
    assert body["predictions"] == expected["predictions"][:3]


def _record(test_rows: pd.DataFrame, **changes: Any) -> dict:
    record = test_rows.head(1).to_dict(orient="records")[0]
    record.update(changes)
    return {"input_data": [record]}


MALFORMED = {
    "not_json": (b'{"input_data": [', "not valid JSON"),
    "no_input_data": ({"data": []}, '"input_data"'),
    "empty": ({"input_data": []}, "no rows"),
    "wrong_shape": ({"input_data": "amount=12"}, '"input_data" must be'),
    "ragged_rows": ({"input_data": {"columns": ["amount", "hour_of_day"], "data": [[1.0]]}}, "one value per column"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_requests_get_400_with_a_reason(server, case):
    payload, fragment = MALFORMED[case]
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    status, body = request(f"{server}/score", raw)
    assert status == 400, body
    message = json.loads(body)["message"]
    assert fragment in message, message


def test_missing_column_is_named(server, test_rows):
    payload = _record(test_rows)
    del payload["input_data"][0]["distance_from_home_km"]
    status, body = post_json(f"{server}/score", payload)
    assert status == 400
    assert "missing required column(s): distance_from_home_km" in body["message"]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"amount": "lots"}, "row 0, column 'amount': expected a finite number, got 'lots'"),
        ({"hour_of_day": 2.5}, "row 0, column 'hour_of_day': expected an integer, got 2.5"),
        ({"merchant_category": 7}, "row 0, column 'merchant_category': expected a string, got 7"),
        ({"account_age_days": None}, "row 0, column 'account_age_days': value is missing"),
        ({"transactions_last_24h": True}, "row 0, column 'transactions_last_24h': expected an integer, got True"),
    ],
    ids=["text_for_number", "fraction_for_integer", "number_for_text", "null", "boolean_for_integer"],
)
def test_wrong_types_get_400_naming_row_and_column(server, test_rows, change, fragment):
    status, body = post_json(f"{server}/score", _record(test_rows, **change))
    assert status == 400
    assert body["errors"] == [fragment]
    assert "do not match the model's input types" in body["message"]
