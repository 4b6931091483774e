"""Run the training pipeline's steps on this machine, as Azure ML runs them, against a local MLflow store.

The steps are read from ml_templates/pipelines/training-pipeline.yml and its components, and each component's own
command line is rendered and run as a subprocess from its code folder: the local run cannot drift from the pipeline
(a step added, an argument renamed) because it has no copy of either. Only the data inputs (registered data assets
in Azure ML) are replaced by local files, and the champion is then served through score.py's init/run, the
inference code online deployments use. Nothing here imports azure-ai-ml.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PIPELINE = Path("ml_templates/pipelines/training-pipeline.yml")
EXPERIMENT = "run-local"
#: The sample data a run makes when given none: the same generator, sizes and seeds as the pipeline tests.
SAMPLE_ROWS = {"train": (2000, 7), "test": (1000, 11)}
#: Rows of the test data sent to the scoring code as the sample request.
REQUEST_ROWS = 3

_REFERENCE = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")
_OPTIONAL = re.compile(r"\$\[\[(.*?)\]\]", re.S)

# Run by the score step: score.py's init() and run() on one request, as the inference server calls them.
_SCORE = """
import json, os, sys
import mlflow.artifacts
import score
os.environ["AZUREML_MODEL_DIR"] = mlflow.artifacts.download_artifacts(artifact_uri=sys.argv[1], dst_path=sys.argv[2])
score.init()
result = score.run(sys.stdin.read())
if not isinstance(result, dict):
    sys.exit(f"score.run answered {getattr(result, 'status_code', '?')}: {getattr(result, 'body', result)}")
print(json.dumps(result))
"""


class LocalRunError(Exception):
    """The templates cannot be run locally as they are (a reference or component that does not resolve)."""


@dataclass(frozen=True)
class Step:
    """One job of the pipeline, rendered: its command line and the folder it runs in."""

    name: str
    command: list[str]
    cwd: Path
    outputs: dict[str, Path]


@dataclass
class StepResult:
    name: str
    returncode: int
    seconds: float
    stdout: str
    stderr: str


@dataclass
class RunResult:
    """What a local run did: each step's result, the gate's decision and the registration record."""

    work_dir: Path
    steps: list[StepResult] = field(default_factory=list)
    decision: dict[str, Any] | None = None
    registration: dict[str, Any] | None = None
    prediction: dict[str, Any] | None = None
    failed_step: str | None = None


def load_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise LocalRunError(f"cannot read {path}: {error}") from error
    if not isinstance(data, dict):
        raise LocalRunError(f"{path} is not a YAML mapping")
    return data


def _resolve(value: Any, pipeline_inputs: Mapping[str, Any], outputs: Mapping[str, Mapping[str, Path]], where: str) -> Any:
    """A job input's value: a literal, a pipeline input or an earlier job's output folder."""
    if not isinstance(value, str):
        return value
    match = _REFERENCE.fullmatch(value.strip())
    if not match:
        return value
    parts = match.group(1).split(".")
    if parts[:2] == ["parent", "inputs"] and len(parts) == 3 and parts[2] in pipeline_inputs:
        return pipeline_inputs[parts[2]]
    if parts[:2] == ["parent", "jobs"] and len(parts) == 5 and parts[3] == "outputs" and parts[4] in outputs.get(parts[2], {}):
        return outputs[parts[2]][parts[4]]
    raise LocalRunError(f"{where}: cannot resolve {value} locally")


def render_command(command: str, values: Mapping[str, Any], where: str) -> list[str]:
    """A component's command line with ``${{inputs.x}}``/``${{outputs.x}}`` filled in; ``$[[...]]`` kept only when
    every value it names is set, as Azure ML does for optional inputs."""

    def fill(text: str, strict: bool) -> str | None:
        missing = False

        def one(match: re.Match[str]) -> str:
            nonlocal missing
            key = match.group(1)
            if values.get(key) is None:
                missing = True
                return ""
            return shlex.quote(str(values[key]))

        rendered = _REFERENCE.sub(one, text)
        if missing and strict:
            unknown = [m.group(1) for m in _REFERENCE.finditer(text) if values.get(m.group(1)) is None]
            raise LocalRunError(f"{where}: no value for {', '.join(unknown)}")
        return None if missing else rendered

    text = _OPTIONAL.sub(lambda match: fill(match.group(1), strict=False) or "", command)
    return shlex.split(fill(text, strict=True) or "")


def plan_steps(root: Path, inputs: Mapping[str, Any], run_dir: Path) -> list[Step]:
    """The pipeline's jobs in order, each with its component's command rendered for local paths under ``run_dir``."""
    pipeline_file = root / PIPELINE
    pipeline = load_yaml(pipeline_file)
    declared = {name: spec.get("default", spec.get("path")) if isinstance(spec, dict) else spec for name, spec in (pipeline.get("inputs") or {}).items()}
    pipeline_inputs = {**declared, **inputs}
    outputs: dict[str, dict[str, Path]] = {}
    steps: list[Step] = []
    for name, job in (pipeline.get("jobs") or {}).items():
        where = f"{pipeline_file}: job {name}"
        component_file = (pipeline_file.parent / job["component"]).resolve()
        component = load_yaml(component_file)
        values: dict[str, Any] = {}
        for key, spec in (component.get("inputs") or {}).items():
            values[f"inputs.{key}"] = spec.get("default") if isinstance(spec, dict) else None
        for key, value in (job.get("inputs") or {}).items():
            values[f"inputs.{key}"] = _resolve(value, pipeline_inputs, outputs, where)
        outputs[name] = {key: run_dir / name / key for key in (component.get("outputs") or {})}
        for key, path in outputs[name].items():
            values[f"outputs.{key}"] = path
        command = render_command(component["command"], values, f"{component_file}")
        steps.append(Step(name, command, (component_file.parent / component["code"]).resolve(), outputs[name]))
    return steps


def tracking_env(work_dir: Path) -> dict[str, str]:
    """The scripts' environment: a SQLite tracking store and registry in ``work_dir``, nothing of a real workspace."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MLFLOW_", "AZUREML_"))}
    for name in ("GITHUB_SHA", "BUILD_SOURCEVERSION"):
        env.pop(name, None)
    uri = f"sqlite:///{work_dir / 'mlflow.db'}"
    env.update(
        MLFLOW_TRACKING_URI=uri, MLFLOW_REGISTRY_URI=uri, MLFLOW_EXPERIMENT_NAME=EXPERIMENT,
        MLFLOW_DISABLE_TELEMETRY="true", MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR="false",
    )
    return env


def prepare_store(work_dir: Path) -> None:
    """Create the experiment with its artifacts in ``work_dir``, so no script writes an ``mlruns`` folder into src."""
    import logging

    from mlflow import MlflowClient

    logging.getLogger("mlflow.store.db.utils").setLevel(logging.WARNING)  # "creating tables" is not a step's result
    uri = f"sqlite:///{work_dir / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    if client.get_experiment_by_name(EXPERIMENT) is None:
        client.create_experiment(EXPERIMENT, artifact_location=(work_dir / "artifacts").as_uri())


def _run(name: str, command: list[str], cwd: Path, env: Mapping[str, str], stdin: str | None = None) -> StepResult:
    started = time.monotonic()
    done = subprocess.run(command, cwd=cwd, env=dict(env), input=stdin, capture_output=True, text=True, check=False)
    return StepResult(name, done.returncode, time.monotonic() - started, done.stdout, done.stderr)


def make_sample_data(root: Path, folder: Path, env: Mapping[str, str]) -> tuple[Path, Path]:
    """The sample train and test sets, written by make_data.py as the docs tell a person to."""
    paths = []
    for name, (rows, seed) in SAMPLE_ROWS.items():
        path = folder / f"{name}.csv"
        if not path.exists():
            result = _run("make_data", [sys.executable, "make_data.py", "--rows", str(rows), "--seed", str(seed), "--output", str(path)], root / "ml_templates" / "src", env)
            if result.returncode != 0:
                raise LocalRunError(f"make_data.py failed: {result.stderr.strip()}")
        paths.append(path)
    return paths[0], paths[1]


def _next_run_dir(work_dir: Path) -> Path:
    """A fresh folder per run, so a second run in the same work dir keeps the first one's outputs and registry."""
    runs = work_dir / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    number = 1 + max((int(p.name) for p in runs.iterdir() if p.name.isdigit()), default=0)
    path = runs / str(number)
    path.mkdir()
    return path


def _read_json(folder: Path, name: str) -> dict[str, Any] | None:
    file = folder / name
    return json.loads(file.read_text()) if file.is_file() else None


def serve_champion(root: Path, work_dir: Path, model_name: str, test_data: Path, env: Mapping[str, str]) -> StepResult:
    """Download the champion from the local registry and score a sample request through score.py's init/run."""
    import pandas as pd

    target = work_dir / "served" / str(time.time_ns())
    target.mkdir(parents=True)
    frame = pd.read_csv(test_data).head(REQUEST_ROWS).drop(columns=["label"], errors="ignore")
    request = json.dumps({"input_data": json.loads(frame.to_json(orient="records"))})
    command = [sys.executable, "-c", _SCORE, f"models:/{model_name}@champion", str(target)]
    return _run("score", command, root / "ml_templates" / "src", env, stdin=request)


def run_local(
    root: Path,
    work_dir: Path,
    inputs: Mapping[str, Any],
    training_data: Path | None,
    test_data: Path | None,
    report: Callable[[str], None] = print,
) -> RunResult:
    """Run every step in order, stopping at the first that fails; then serve the champion, if there is one."""
    work_dir.mkdir(parents=True, exist_ok=True)
    env = tracking_env(work_dir)
    prepare_store(work_dir)
    if training_data is None or test_data is None:
        sample_train, sample_test = make_sample_data(root, work_dir / "data", env)
        training_data, test_data = training_data or sample_train, test_data or sample_test
    run_dir = _next_run_dir(work_dir)
    steps = plan_steps(root, {**inputs, "training_data": training_data, "test_data": test_data}, run_dir)
    result = RunResult(work_dir=work_dir)
    for step in steps:
        outcome = _run(step.name, [sys.executable if part == "python" else part for part in step.command], step.cwd, env)
        result.steps.append(outcome)
        if outcome.returncode != 0:
            result.failed_step = step.name
            report(f"{step.name}: FAILED (exit {outcome.returncode}, {outcome.seconds:.1f}s)")
            report(_last_lines(outcome.stderr or outcome.stdout))
            return result
        if "decision" in step.outputs:
            result.decision = _read_json(step.outputs["decision"], "decision.json")
        if "registration" in step.outputs:
            result.registration = _read_json(step.outputs["registration"], "registration.json")
        report(f"{step.name}: {_summary(step, result)} ({outcome.seconds:.1f}s)")
    model_name = str(inputs.get("model_name") or _pipeline_default(root, "model_name"))
    if result.registration and result.registration.get("registered") or result.decision and result.decision.get("champion_version"):
        outcome = serve_champion(root, work_dir, model_name, test_data, env)
        result.steps.append(outcome)
        if outcome.returncode != 0:
            result.failed_step = "score"
            report(f"score: FAILED (exit {outcome.returncode})")
            report(_last_lines(outcome.stderr or outcome.stdout))
            return result
        result.prediction = json.loads(outcome.stdout.strip().splitlines()[-1])
        probabilities = ", ".join(f"{p:.3f}" for p in result.prediction["probabilities"])
        report(f"score: champion answered {REQUEST_ROWS} rows through score.py: predictions {result.prediction['predictions']}, "
               f"probabilities [{probabilities}] ({outcome.seconds:.1f}s)")
    else:
        report("score: skipped, no champion in the local registry to serve")
    return result


def _pipeline_default(root: Path, name: str) -> Any:
    return (load_yaml(root / PIPELINE).get("inputs") or {}).get(name)


def _summary(step: Step, result: RunResult) -> str:
    """The one result line a step earns: what it decided or produced."""
    if "report" in step.outputs:
        report = _read_json(step.outputs["report"], "report.json") or {}
        summary = report.get("summary", {})
        return f"{report.get('status', '?')}, {summary.get('checks', '?')} checks on {report.get('rows', '?')} rows"
    if "model_output" in step.outputs:
        return f"model saved to {step.outputs['model_output']}"
    if "decision" in step.outputs and result.decision:
        d = result.decision
        verdict = "register" if d["register"] else "reject"
        return f"{verdict}: {d['reason']}"
    if "registration" in step.outputs and result.registration:
        r = result.registration
        if r.get("registered"):
            return f"registered {r['model_name']} version {r['version']} as champion"
        return f"not registered ({r.get('reason')})"
    return "done"


def _last_lines(text: str, count: int = 8) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines()[-count:])
