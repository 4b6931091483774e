"""The training-pipeline scripts end to end, run the way Azure ML runs them: `python <script>.py` from
ml_templates/src, against a throwaway SQLite MLflow tracking store and model registry.

Independent steps run concurrently (the registry state is what is under test, not the CPU), which
keeps the whole file well under a minute.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from tests.conftest import REPO

# MLflow's SQL store trips a SQLAlchemy deprecation when the test process opens the registry.
pytestmark = pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy:DeprecationWarning")

SRC = REPO / "ml_templates" / "src"
SCHEMA = SRC / "schema.json"
MODEL_NAME = "card-fraud"
FAKE_COMMIT = "0123456789abcdef0123456789abcdef01234567"
TIMEOUT_S = 180


def load_make_data() -> ModuleType:
    """Import make_data.py by path, so the scripts' folder never lands on the test process's sys.path."""
    spec = importlib.util.spec_from_file_location("pipeline_make_data", SRC / "make_data.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_started: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def _reap_scripts() -> Iterator[None]:
    """Kill any script a failed test left running, so no failure leaves processes behind."""
    yield
    while _started:
        process = _started.pop()
        if process.poll() is None:
            process.kill()
            process.communicate()


def script(name: str, *args: object, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start ``python <name>.py args`` in ml_templates/src; finish it with :func:`done`."""
    process = subprocess.Popen(
        [sys.executable, f"{name}.py", *map(str, args)],
        cwd=SRC,
        env=env if env is not None else clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _started.append(process)
    return process


def done(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    try:
        out, err = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def run(name: str, *args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return done(script(name, *args, env=env))


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"{result.args} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment minus anything that would point the scripts at a real workspace or CI run."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MLFLOW_", "AZUREML_"))}
    for name in ("GITHUB_SHA", "BUILD_SOURCEVERSION"):
        env.pop(name, None)
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 2,000-row training set (written by the CLI), a 1,000-row test set and a 150-row slice for a weak model."""
    folder = tmp_path_factory.mktemp("data")
    ok(run("make_data", "--rows", 2000, "--seed", 7, "--output", folder / "train.csv"))
    make_data = load_make_data()
    make_data.generate(1000, seed=11).to_csv(folder / "test.csv", index=False)
    pd.read_csv(folder / "train.csv").head(150).to_csv(folder / "small.csv", index=False)
    make_data.generate(800, seed=3, shift=1.0).to_csv(folder / "shifted.csv", index=False)
    return {path.stem: path for path in folder.glob("*.csv")}


def test_make_data_is_deterministic_and_shift_moves_the_distribution(datasets):
    make_data = load_make_data()
    assert datasets["train"].read_text() == make_data.generate(2000, seed=7).to_csv(index=False)
    base, shifted = make_data.generate(2000, seed=7), make_data.generate(2000, seed=7, shift=1.0)
    assert list(base.columns) == list(shifted.columns)
    assert shifted["amount"].median() > 1.4 * base["amount"].median()
    assert shifted["distance_from_home_km"].mean() > 1.5 * base["distance_from_home_km"].mean()
    assert 0.03 < base["label"].mean() < 0.2, "the sample problem should be imbalanced but learnable"


# --- data_check -----------------------------------------------------------------------------------


def _nulls(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[[3, 10, 20], "amount"] = None
    return frame


def _out_of_range(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[[5, 6], "hour_of_day"] = 30
    return frame


def _missing_column(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["distance_from_home_km"])


def _one_class(frame: pd.DataFrame) -> pd.DataFrame:
    frame["label"] = 0
    return frame


def _unknown_category(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[[1], "merchant_category"] = "casino"
    return frame


def _wrong_type(frame: pd.DataFrame) -> pd.DataFrame:
    frame["account_age_days"] = frame["account_age_days"].astype(object)
    frame.loc[[7], "account_age_days"] = "ten"
    return frame


# name: (corruption, failed check, column, bad rows; None for dataset-level checks)
BAD_DATA = {
    "nulls": (_nulls, "nulls", "amount", 3),
    "out_of_range": (_out_of_range, "range", "hour_of_day", 2),
    "missing_column": (_missing_column, "required_column", "distance_from_home_km", 500),
    "one_class": (_one_class, "label_classes", "label", None),
    "unknown_category": (_unknown_category, "allowed_values", "merchant_category", 1),
    "wrong_type": (_wrong_type, "dtype", "account_age_days", 1),
}


@pytest.fixture(scope="module")
def data_checks(datasets, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[subprocess.CompletedProcess[str], Path]]:
    """Run data_check on every bad variant, the good data and the drifted data at once."""
    folder = tmp_path_factory.mktemp("data_check")
    train = pd.read_csv(datasets["train"])
    parts = folder / "parts"
    (parts / "2024").mkdir(parents=True)
    train.head(1200).to_csv(parts / "part-0.csv", index=False)
    train.tail(800).to_csv(parts / "2024" / "part-1.csv", index=False)
    mismatched = folder / "mismatched"
    mismatched.mkdir()
    train.head(300).to_csv(mismatched / "a.csv", index=False)
    train.tail(300).drop(columns=["amount"]).to_csv(mismatched / "b.csv", index=False)

    inputs: dict[str, Path] = {"good": datasets["train"], "folder": parts, "mismatched": mismatched, "shifted": datasets["shifted"]}
    for name, (corrupt, *_rest) in BAD_DATA.items():
        inputs[name] = folder / f"{name}.csv"
        corrupt(train.head(500)).to_csv(inputs[name], index=False)
    started = {}
    for name, data in inputs.items():
        extra = ["--output", folder / f"{name}-validated"] if name in ("good", "folder") else []
        started[name] = script("data_check", "--data", data, "--schema", SCHEMA, "--report", folder / name, *extra)
    return {name: (done(process), folder / name) for name, process in started.items()}


@pytest.mark.parametrize("case", sorted(BAD_DATA))
def test_bad_data_fails_with_a_report_naming_column_and_check(case, data_checks):
    _, check, column, bad_rows = BAD_DATA[case]
    result, report_dir = data_checks[case]
    assert result.returncode == 1, result.stderr
    summary = result.stderr.strip()
    assert "\n" not in summary and f"{check}[{column}]" in summary, summary
    report = json.loads((report_dir / "report.json").read_text())
    assert report["status"] == "failed"
    failed = [item for item in report["failures"] if item["check"] == check and item["column"] == column]
    assert failed, report["failures"]
    assert failed[0]["bad_rows"] == bad_rows
    assert failed[0]["expected"] and failed[0]["found"]
    markdown = (report_dir / "report.md").read_text()
    assert f"| {check} | {column} |" in markdown


def test_good_data_passes_and_is_passed_on_unchanged(data_checks, datasets):
    result, report_dir = data_checks["good"]
    ok(result)
    report = json.loads((report_dir / "report.json").read_text())
    assert report["status"] == "passed" and report["failures"] == [] and report["rows"] == 2000
    assert "PASSED" in (report_dir / "report.md").read_text()
    copied = report_dir.parent / "good-validated" / "train.csv"
    assert copied.read_bytes() == datasets["train"].read_bytes()


def test_a_folder_of_csv_files_is_checked_as_one_dataset_and_copied_with_its_layout(data_checks):
    result, report_dir = data_checks["folder"]
    ok(result)
    assert json.loads((report_dir / "report.json").read_text())["rows"] == 2000
    validated = report_dir.parent / "folder-validated"
    assert sorted(p.relative_to(validated).as_posix() for p in validated.rglob("*.csv")) == ["2024/part-1.csv", "part-0.csv"]


def test_files_with_different_headers_are_refused(data_checks):
    result, report_dir = data_checks["mismatched"]
    assert result.returncode == 1
    report = json.loads((report_dir / "report.json").read_text())
    assert report["failures"][0]["check"] == "readable"
    assert "must share one header" in report["failures"][0]["found"]


def test_drifted_data_is_still_valid_data(data_checks):
    """Drift is for monitoring to catch; the generator keeps shifted data inside the schema."""
    ok(data_checks["shifted"][0])


# --- train, evaluate, register: the champion gate --------------------------------------------------


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], object]]:
    """Environment for the scripts plus an MlflowClient on the same throwaway SQLite store.

    The experiment is created up front with its artifact root in the temporary folder, so runs
    started from ml_templates/src do not write an ``mlruns`` folder into the source tree.
    """
    from mlflow import MlflowClient

    folder = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_experiment("pipeline-tests", artifact_location=(folder / "artifacts").as_uri())
    env = clean_env(
        MLFLOW_TRACKING_URI=uri,
        MLFLOW_REGISTRY_URI=uri,
        MLFLOW_EXPERIMENT_NAME="pipeline-tests",
        GITHUB_SHA=FAKE_COMMIT,
    )
    yield env, client
    assert not (SRC / "mlruns").exists() and not (SRC / "mlflow.db").exists(), "scripts wrote tracking data into src"


def versions(client) -> list[str]:
    return sorted(str(v.version) for v in client.search_model_versions(f"name='{MODEL_NAME}'"))


def champion(client) -> str:
    return str(client.get_model_version_by_alias(MODEL_NAME, "champion").version)


def decision(folder: Path) -> dict:
    return json.loads((folder / "decision.json").read_text())


def test_gate_registers_first_model_rejects_worse_and_promotes_better(datasets, registry, tmp_path):
    env, client = registry
    models = {name: tmp_path / "models" / name for name in ("weak", "dummy", "strong")}
    # Training runs in the background while the first model goes through the gate.
    trainings = {
        "weak": script("train", "--data", datasets["small"], "--target", "label", "--model-output", models["weak"],
                       "--model-type", "logistic_regression", "--seed", 1, env=env),
        "dummy": script("train", "--data", datasets["train"], "--target", "label", "--model-output", models["dummy"],
                        "--model-type", "dummy", env=env),
        "strong": script("train", "--data", datasets["train"], "--target", "label", "--model-output", models["strong"],
                         "--model-type", "gradient_boosting", "--seed", 1, env=env),
    }

    def evaluate(model: str) -> tuple[subprocess.Popen[str], Path]:
        out = tmp_path / "decisions" / model
        return script("evaluate", "--model", models[model], "--data", datasets["test"], "--target", "label",
                      "--model-name", MODEL_NAME, "--metric", "roc_auc", "--output", out, env=env), out

    def register(model: str, decision_dir: Path, *tags: str) -> subprocess.CompletedProcess[str]:
        return run("register", "--model", models[model], "--decision", decision_dir, "--model-name", MODEL_NAME,
                   "--registration", tmp_path / "registrations" / model, *(["--tags", *tags] if tags else []), env=env)

    def registration(model: str) -> dict:
        return json.loads((tmp_path / "registrations" / model / "registration.json").read_text())

    # 1. No registered model yet: the first candidate is registered and becomes champion.
    ok(done(trainings["weak"]))
    process, first = evaluate("weak")
    ok(done(process))
    weak = decision(first)
    assert weak["register"] is True and weak["champion"] is None and weak["metric"] == "roc_auc"
    assert "no current champion" in weak["reason"]
    ok(register("weak", first, "team=risk", "dataset=card_transactions"))
    assert versions(client) == ["1"] and champion(client) == "1"
    # The run's own record names the version it registered and the run that registered it: what CI reads.
    record = registration("weak")
    assert (record["registered"], record["model_name"], record["version"]) == (True, MODEL_NAME, "1")
    assert client.get_model_version(MODEL_NAME, "1").run_id == record["run_id"]
    tags = client.get_model_version(MODEL_NAME, "1").tags
    assert tags["git_commit"] == FAKE_COMMIT and tags["team"] == "risk" and tags["metric"] == "roc_auc"
    assert float(tags["roc_auc"]) == pytest.approx(weak["candidate"], abs=1e-6)

    # 2. Both challengers are judged against version 1 on the same test rows. Meanwhile, the gate
    #    cannot be replayed: the first decision (made when there was no champion) is stale now, and a
    #    decision cannot be reused for other model files.
    ok(done(trainings["dummy"]))
    ok(done(trainings["strong"]))
    (dummy_process, dummy_dir), (strong_process, strong_dir) = evaluate("dummy"), evaluate("strong")
    replay = script("register", "--model", models["weak"], "--decision", first, "--model-name", MODEL_NAME, env=env)
    swapped = script("register", "--model", models["dummy"], "--decision", first, "--model-name", MODEL_NAME, env=env)
    replay_result, swapped_result = done(replay), done(swapped)
    assert replay_result.returncode == 1, replay_result.stderr
    assert "champion changed since evaluation (compared with version none, now version 1)" in replay_result.stderr
    assert swapped_result.returncode == 1, swapped_result.stderr
    assert "differs from the one evaluate.py scored" in swapped_result.stderr
    ok(done(dummy_process))
    ok(done(strong_process))
    assert versions(client) == ["1"] and champion(client) == "1"
    train_runs = client.search_runs([client.get_experiment_by_name("pipeline-tests").experiment_id], "tags.pipeline_step = 'train'")
    assert {run.data.params["model_type"] for run in train_runs} == {"logistic_regression", "dummy", "gradient_boosting"}
    assert all("train_roc_auc" in run.data.metrics for run in train_runs)
    dummy, strong = decision(dummy_dir), decision(strong_dir)
    for challenger in (dummy, strong):
        assert challenger["champion_version"] == "1"
        assert challenger["champion"] == pytest.approx(weak["candidate"], abs=1e-12), "champion scored on other data"

    # 3. The worse candidate is not registered: register obeys the decision and changes nothing.
    assert dummy["register"] is False
    assert dummy["candidate"] < dummy["champion"]
    assert "does not beat champion version 1" in dummy["reason"]
    result = ok(register("dummy", dummy_dir))
    assert "not registering" in result.stderr
    rejected = registration("dummy")
    assert {k: v for k, v in rejected.items() if k != "report"} == {"registered": False, "model_name": MODEL_NAME, "reason": dummy["reason"]}
    assert rejected["report"]["decision"] == "reject" and rejected["report"]["champion_version"] == "1"
    assert versions(client) == ["1"] and champion(client) == "1"

    # 4. The better candidate is registered as version 2 and takes the alias.
    assert strong["register"] is True and strong["candidate"] > strong["champion"]
    ok(register("strong", strong_dir))
    assert versions(client) == ["1", "2"] and champion(client) == "2"
    assert registration("strong")["version"] == "2"
    tags = client.get_model_version(MODEL_NAME, "2").tags
    assert tags["previous_champion_version"] == "1"
    assert float(tags["previous_champion_roc_auc"]) == pytest.approx(weak["candidate"], abs=1e-6)
    assert tags["model_digest"] != client.get_model_version(MODEL_NAME, "1").tags["model_digest"]


def test_the_evaluation_report_for_people_says_why() -> None:
    """The Markdown the promotion pull request quotes: the decision, the score against the floor and the champion,
    and the data check (run in the scripts' folder, as the register step runs)."""
    report = {
        "metric": "roc_auc", "score": 0.8123, "min_score": 0.8, "min_improvement": 0.0, "champion_score": 0.79,
        "champion_version": "3", "decision": "register", "reason": "beats champion | by 0.0223", "evaluation_rows": 1000,
        "data_check": {"status": "passed", "rows": 2000, "checks": 30, "failed": 0},
    }
    program = (
        "import json, sys, register\n"
        "report = json.loads(sys.argv[1])\n"
        "print(register.report_markdown('fraud-classifier', '4', report))\n"
        "print(register.report_markdown('fraud-classifier', None, {**report, 'champion_score': None, 'champion_version': None}))\n"
    )
    done = subprocess.run([sys.executable, "-c", program, json.dumps(report)], cwd=SRC, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "| Model | fraud-classifier version 4 |" in text
    assert "| Decision | register: beats champion / by 0.0223 |" in text  # a pipe would break the table
    assert "| Score (roc_auc) | 0.8123 |" in text and "| Floor (min_score) | 0.8000 |" in text
    assert "| Champion it had to beat | 0.7900 (version 3) |" in text
    assert "| Data check | passed: 30 of 30 checks passed on 2000 rows |" in text
    assert "| Model | fraud-classifier (not registered) |" in text and "| Champion it had to beat | none |" in text
