"""``blueprint pipeline run-local``: the training pipeline's steps on this machine, on the sample data, with a local
MLflow store, so a data scientist sees the loop work (data check, train, evaluate with the gate, register, score)
before anything is deployed. MLflow and scikit-learn (the dev install) are imported only when it runs."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from blueprint.tools.commands.options import Subparsers, add_program
from blueprint.tools.errors import UsageError
from blueprint.tools.exit_codes import EXIT_FAILED, EXIT_OK

NAME = "pipeline"
RUN_LOCAL = "run-local"
MODEL_TYPES = ("gradient_boosting", "logistic_regression", "dummy")


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(NAME, help="run the Azure ML training pipeline (ml_templates/) locally")
    commands = parser.add_subparsers(dest="pipeline_command", metavar="COMMAND", required=True)
    run_local = commands.add_parser(
        RUN_LOCAL,
        help="run the training pipeline's steps locally on the sample data with a local MLflow store",
        description="Run each step of ml_templates/pipelines/training-pipeline.yml as its component's command, on "
        "this machine: data check, train, evaluate (the gate: the floor and the champion), register, then score a "
        "sample request through score.py with the champion. The registry is a SQLite MLflow store in the work dir, "
        "so a second run in the same dir is judged against the first one's champion. Needs the dev install "
        f"(MLflow, scikit-learn). Exit {EXIT_OK} when the run completed, whether the gate registered the candidate or "
        f"rejected it (a rejection is the gate working, and the last line says which); {EXIT_FAILED} when a step "
        "failed (bad data stops before training); 2 on bad usage.",
    )
    add_program(run_local, "project directory holding ml_templates/ (default: the current directory)")
    run_local.add_argument("--work-dir", type=Path, metavar="DIR", help="where the MLflow store, data and step outputs go (default: a new temporary folder, kept)")
    run_local.add_argument("--training-data", type=Path, metavar="PATH", help="training CSV file or folder (default: sample data made by make_data.py)")
    run_local.add_argument("--test-data", type=Path, metavar="PATH", help="held-out test CSV file or folder (default: sample data made by make_data.py)")
    run_local.add_argument("--model-type", choices=MODEL_TYPES, help="the pipeline's model_type input (default: the pipeline's)")
    run_local.add_argument("--model-name", help="registered model name (default: the pipeline's)")
    run_local.add_argument("--min-score", type=float, metavar="SCORE", help="the gate's floor, 0 to 1 (default: the pipeline's min_score)")


def run(args: argparse.Namespace) -> int:
    """Check every path first (bad usage names it), then run the steps and say what the gate did."""
    root: Path = args.program
    pipeline = root / "ml_templates" / "pipelines" / "training-pipeline.yml"
    if not pipeline.is_file():
        raise UsageError(f"--program {root}: no ml_templates/pipelines/training-pipeline.yml there")
    for option, path in (("--training-data", args.training_data), ("--test-data", args.test_data)):
        if path is not None and not path.exists():
            raise UsageError(f"{option} {path}: no such file or folder")
    if args.work_dir is not None and args.work_dir.exists() and not args.work_dir.is_dir():
        raise UsageError(f"--work-dir {args.work_dir}: exists and is not a folder")
    if args.min_score is not None and not 0 <= args.min_score <= 1:
        raise UsageError(f"--min-score {args.min_score}: must be between 0 and 1")

    from blueprint.tools.local_pipeline import LocalRunError, run_local  # imports PyYAML; MLflow when it runs

    work_dir = (args.work_dir or Path(tempfile.mkdtemp(prefix="run-local-"))).resolve()
    inputs = {key: value for key, value in (("model_type", args.model_type), ("model_name", args.model_name), ("min_score", args.min_score)) if value is not None}
    print(f"run-local: work dir {work_dir} (MLflow store {work_dir / 'mlflow.db'})")
    started = time.monotonic()
    try:
        result = run_local(root, work_dir, inputs, _absolute(args.training_data), _absolute(args.test_data))
    except LocalRunError as error:
        raise UsageError(str(error)) from error
    seconds = time.monotonic() - started
    if result.failed_step is not None:
        print(f"run-local: FAILED at step {result.failed_step} after {seconds:.1f}s; outputs in {work_dir}")
        return EXIT_FAILED
    registered = bool(result.registration and result.registration.get("registered"))
    verdict = f"registered version {result.registration['version']}" if registered and result.registration else "candidate rejected by the gate"
    print(f"run-local: done in {seconds:.1f}s: {verdict}")
    return EXIT_OK


def _absolute(path: Path | None) -> Path | None:
    """Steps run in their component's code folder, so relative paths are made absolute first."""
    return path.resolve() if path is not None else None
