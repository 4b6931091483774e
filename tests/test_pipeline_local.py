"""``blueprint pipeline run-local``: the training pipeline's steps run locally end to end on the sample data, the gate
rejecting a worse model, bad data stopping before training, and bad usage named."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import REPO
from tests.test_pipeline_scripts import clean_env

# MLflow's SQL store trips a SQLAlchemy deprecation when the test process opens the registry.
pytestmark = pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy:DeprecationWarning")

MODEL_NAME = "fraud-classifier"  # the pipeline's model_name input
TIMEOUT_S = 180


def run_local(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "blueprint", "pipeline", "run-local", "--program", str(REPO), *map(str, args)],
        env=clean_env(), capture_output=True, text=True, timeout=TIMEOUT_S, check=False,
    )


def client(work_dir: Path):
    from mlflow import MlflowClient

    uri = f"sqlite:///{work_dir / 'mlflow.db'}"
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def decision(work_dir: Path, run: int) -> dict:
    return json.loads((work_dir / "runs" / str(run) / "evaluate" / "decision" / "decision.json").read_text())


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    work_dir = tmp_path_factory.mktemp("run-local")
    return work_dir, run_local("--work-dir", work_dir)


def test_a_run_on_the_sample_data_registers_a_champion_and_serves_it(first_run):
    work_dir, result = first_run  # how long it takes is the machine's load, not a test's business
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for step in ("data_check: passed", "test_data_check: passed", "train: model saved", "evaluate: register:", "register: registered", "score: champion answered"):
        assert any(line.startswith(step) for line in lines), (step, result.stdout)
    assert lines[-1].startswith("run-local: done in") and lines[-1].endswith("registered version 1")

    made = decision(work_dir, 1)
    assert made["register"] is True and made["metric"] == "roc_auc" and made["min_score"] == 0.7
    assert made["candidate"] > 0.75 and made["champion"] is None
    registry = client(work_dir)
    assert str(registry.get_model_version_by_alias(MODEL_NAME, "champion").version) == "1"
    version = registry.get_model_version(MODEL_NAME, "1")
    assert float(version.tags["roc_auc"]) == pytest.approx(made["candidate"], abs=1e-6)
    assert version.tags["min_score"] == "0.7"
    assert version.tags["data_check"].startswith("passed: 30 checks, 0 failed, 2000 rows")
    # The evaluation report travels with the version, on the run that registered it.
    report = json.loads(Path(registry.download_artifacts(version.run_id, "evaluation/report.json", str(work_dir))).read_text())
    assert report["decision"] == "register" and report["score"] == made["candidate"] and report["min_score"] == 0.7
    assert report["champion_score"] is None and report["data_check"]["status"] == "passed"
    # The drift baseline the pipeline registers: the checked training data, readable as an MLTable.
    baseline = work_dir / "runs" / "1" / "data_check" / "baseline"
    mltable = yaml.safe_load((baseline / "MLTable").read_text())
    assert mltable["type"] == "mltable" and mltable["paths"] == [{"pattern": "./**/*.csv"}]
    assert mltable["transformations"][0]["read_delimited_files"]["header"] == "all_files_same_headers"
    assert [p.name for p in baseline.glob("*.csv")] == ["train.csv"]
    # The report for people, beside the registration record: what the promotion pull request quotes.
    markdown = (work_dir / "runs" / "1" / "register" / "registration" / "evaluation-report.md").read_text()
    assert "| Model | fraud-classifier version 1 |" in markdown and "| Data check | passed: 30 of 30 checks passed on 2000 rows |" in markdown


def test_a_worse_model_is_rejected_by_the_gate_and_the_champion_still_serves(first_run):
    work_dir, first = first_run
    assert first.returncode == 0
    result = run_local("--work-dir", work_dir, "--model-type", "dummy")
    assert result.returncode == 0, result.stdout + result.stderr  # a rejection is the gate working, not an error
    assert result.stdout.splitlines()[-1].endswith("candidate rejected by the gate")
    made = decision(work_dir, 2)
    assert made["register"] is False and made["candidate"] == pytest.approx(0.5)
    assert made["champion_version"] == "1" and made["champion"] > made["min_score"] > made["candidate"]
    assert "below the minimum score 0.7; champion version 1 scores" in made["reason"]
    assert [str(v.version) for v in client(work_dir).search_model_versions(f"name='{MODEL_NAME}'")] == ["1"]
    assert "score: champion answered" in result.stdout


def test_data_that_fails_the_checks_stops_before_training(first_run, tmp_path):
    work_dir, _ = first_run
    bad = pd.read_csv(work_dir / "data" / "train.csv")
    bad.loc[:9, "amount"] = None
    bad.to_csv(tmp_path / "train.csv", index=False)
    result = run_local("--work-dir", tmp_path / "work", "--training-data", tmp_path / "train.csv")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "data_check: FAILED" in result.stdout and "nulls[amount]" in result.stdout
    assert not any((tmp_path / "work" / "runs").glob("*/train")), "training ran on data that failed its checks"
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--training-data", "no/such.csv"], "--training-data no/such.csv: no such file or folder"),
        (["--test-data", "missing-test"], "--test-data missing-test: no such file or folder"),
        (["--min-score", "1.5"], "--min-score 1.5: must be between 0 and 1"),
        (["--model-type", "forest"], "invalid choice: 'forest'"),
    ],
)
def test_bad_usage_is_named_and_runs_nothing(args, message, tmp_path):
    result = run_local("--work-dir", tmp_path / "work", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "work").exists()


def test_the_floor_rejects_a_first_model_that_has_no_champion_to_beat():
    """Without a floor an AUC of 0.5 would become the first champion; with one it does not."""
    code = (
        "import evaluate; "
        "print(evaluate.decide('roc_auc', 0.5, None, None, 0.0, 0.7)); "
        "print(evaluate.decide('roc_auc', 0.5, None, None, 0.0, 0.0))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO / "ml_templates" / "src", env=clean_env(), capture_output=True, text=True, check=True)
    floor, none = result.stdout.strip().splitlines()[-2:]
    assert floor.startswith("(False, 'candidate roc_auc 0.5000 is below the minimum score 0.7")
    assert none.startswith("(True, 'no current champion")


def test_the_command_never_imports_azure_ai_ml():
    """run-local is for a laptop with the dev install: it reads the templates as YAML, never through azure-ai-ml."""
    code = "import sys, blueprint.tools.commands.pipeline, blueprint.tools.local_pipeline; print('azure.ai.ml' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], env=clean_env(), capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
