"""Register the candidate model and make it champion, if and only if evaluate.py said so.

Registration obeys decision.json and nothing else. Before registering it also re-checks that the
decision is still true: that the model folder is byte-for-byte the one evaluated, and that the
champion it was compared with is still the champion (another pipeline may have promoted one since).

The evaluation report (the scores, the floor, the champion, the decision and the data check's summary) goes with
the registered version: as tags a reviewer sees in the registry, and as ``evaluation/report.json`` on the run that
registered it, so whoever promotes the version later reads why it passed the gate without finding the pipeline run.

It also writes what it did to ``registration.json`` in ``--registration`` (the pipeline's ``registration``
output): whether it registered, and the model name, version and run. CI reads that record of the run it started to
find the candidate, never a tag, which anyone allowed to edit a model version could set on a version of their own.

Usage:
    python register.py --model <mlflow model dir> --decision <dir with decision.json>
                       --model-name <name> [--registration <dir>] [--data-check <report dir>]
                       [--tags key=value ...]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from common import (
    CHAMPION_ALIAS,
    DECISION_FILE,
    EXIT_CHECK_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    PipelineError,
    champion_version,
    configure_logging,
    find_model_dir,
    model_digest,
    tracking_configured,
)

log = configure_logging("register")

# CI systems that start the pipeline expose the commit under these names (GitHub Actions, Azure Pipelines).
COMMIT_VARIABLES = ("GITHUB_SHA", "BUILD_SOURCEVERSION")
ARTIFACT_PATH = "model"
#: The record of what this step did, in its ``registration`` output.
REGISTRATION_FILE = "registration.json"
#: The evaluation report for people, beside registration.json: the promotion pull request quotes it.
REPORT_MARKDOWN = "evaluation-report.md"
#: Where the evaluation report lands among the registering run's artifacts.
REPORT_ARTIFACT = "evaluation/report.json"
#: The data check's machine-readable report, in its ``report`` output.
DATA_CHECK_FILE = "report.json"


class StaleDecision(PipelineError):
    """The decision no longer describes the world: registering on it would bypass the gate."""


def read_decision(path: Path) -> dict[str, Any]:
    """decision.json from a folder (as pipelines pass it) or the file itself, with its required fields checked."""
    file = path / DECISION_FILE if path.is_dir() else path
    try:
        decision = json.loads(file.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise PipelineError(f"cannot read decision {file}: {error}") from error
    if not isinstance(decision, dict):
        raise PipelineError(f"decision {file} must be a JSON object")
    missing = [key for key in ("register", "metric", "candidate", "champion", "reason") if key not in decision]
    if missing:
        raise PipelineError(f"decision {file} lacks {', '.join(missing)}; was it written by evaluate.py?")
    if not isinstance(decision["register"], bool):
        raise PipelineError(f"decision {file}: 'register' must be true or false, got {decision['register']!r}")
    return decision


def parse_tags(items: list[str]) -> dict[str, str]:
    """``key=value`` pairs from the command line; values may contain '='."""
    tags: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise PipelineError(f"tag {item!r} is not of the form key=value")
        tags[key.strip()] = value
    return tags


def read_data_check(path: Path | None) -> dict[str, Any] | None:
    """The summary of data_check.py's report.json (a folder or the file), or None when no report was given."""
    if path is None:
        return None
    file = path / DATA_CHECK_FILE if path.is_dir() else path
    try:
        report = json.loads(file.read_text())
        return {
            "status": str(report["status"]),
            "rows": int(report["rows"]),
            "checks": int(report["summary"]["checks"]),
            "failed": int(report["summary"]["failed"]),
        }
    except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise PipelineError(f"cannot read data check report {file}: {error}; was it written by data_check.py?") from error


def evaluation_report(decision: dict[str, Any], data_check: dict[str, Any] | None) -> dict[str, Any]:
    """The small record attached to the registered version: scores, floor, champion, verdict and data check."""
    return {
        "metric": decision["metric"],
        "score": decision["candidate"],
        "min_score": decision.get("min_score", 0.0),
        "min_improvement": decision.get("min_improvement", 0.0),
        "champion_score": decision["champion"],
        "champion_version": decision.get("champion_version"),
        "decision": "register" if decision["register"] else "reject",
        "reason": decision["reason"],
        "evaluation_rows": decision.get("evaluation_rows"),
        "data_check": data_check,
    }


def version_tags(
    decision: dict[str, Any], digest: str, extra: dict[str, str], data_check: dict[str, Any] | None = None
) -> dict[str, str]:
    """What a reviewer needs to trust a version later: its scores, the floor, what it beat, and the commit that built it."""
    metric = decision["metric"]
    tags = {
        "metric": metric,
        metric: f"{decision['candidate']:.6f}",
        "min_score": f"{decision.get('min_score', 0.0):g}",
        f"previous_champion_{metric}": "none" if decision["champion"] is None else f"{decision['champion']:.6f}",
        "previous_champion_version": str(decision.get("champion_version") or "none"),
        "decision_reason": decision["reason"],
        "model_digest": digest,
    }
    if data_check is not None:
        tags["data_check"] = f"{data_check['status']}: {data_check['checks']} checks, {data_check['failed']} failed, {data_check['rows']} rows"
    commit = next((os.environ[name] for name in COMMIT_VARIABLES if os.environ.get(name)), None)
    if commit:
        tags["git_commit"] = commit
    tags.update(extra)
    return tags


def ensure_still_valid(decision: dict[str, Any], model_name: str, digest: str) -> None:
    """Refuse when the model or the champion changed after evaluation."""
    evaluated_name = decision.get("model_name")
    if evaluated_name is not None and evaluated_name != model_name:
        raise StaleDecision(f"decision was made for model name {evaluated_name!r}, not {model_name!r}")
    evaluated_digest = decision.get("candidate_digest")
    if evaluated_digest is not None and evaluated_digest != digest:
        raise StaleDecision("the model folder differs from the one evaluate.py scored; re-run evaluate on this model")
    compared_with = decision.get("champion_version")
    current = champion_version(model_name)
    if current != compared_with:
        raise StaleDecision(
            f"champion changed since evaluation (compared with version {compared_with or 'none'}, "
            f"now version {current or 'none'}); re-run evaluate against the current champion"
        )


def write_registration(folder: Path | None, record: dict[str, Any]) -> None:
    """``registration.json`` in ``folder``: the pipeline run's own statement of which version it registered."""
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    (folder / REGISTRATION_FILE).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    if "report" in record:
        (folder / REPORT_MARKDOWN).write_text(report_markdown(record["model_name"], record.get("version"), record["report"]))


def report_markdown(model_name: str, version: str | None, report: dict[str, Any]) -> str:
    """The evaluation report for people: the promotion pull request quotes it, so a reviewer sees why this version."""
    def score(value: Any) -> str:
        return "none" if value is None else f"{float(value):.4f}"

    champion = score(report["champion_score"])
    if report.get("champion_version"):
        champion += f" (version {report['champion_version']})"
    rows = [
        ("Model", f"{model_name} version {version}" if version else f"{model_name} (not registered)"),
        ("Decision", f"{report['decision']}: {report['reason']}"),
        (f"Score ({report['metric']})", score(report["score"])),
        ("Floor (min_score)", score(report["min_score"])),
        ("Champion it had to beat", champion),
        ("Evaluation rows", str(report.get("evaluation_rows") if report.get("evaluation_rows") is not None else "unknown")),
    ]
    check = report.get("data_check")
    if check:
        rows.append(("Data check", f"{check['status']}: {check['checks'] - check['failed']} of {check['checks']} checks passed on {check['rows']} rows"))
    lines = ["### Evaluation report", "", "| | |", "|---|---|"]
    lines += [f"| {name} | {str(value).replace('|', '/')} |" for name, value in rows]
    return "\n".join(lines) + "\n"


def register(model_dir: Path, model_name: str, tags: dict[str, str], report: dict[str, Any]) -> tuple[str, str]:
    """Log the exact evaluated files to a run, register them, and move the champion alias.

    Logging the saved folder as artifacts (rather than re-serialising with log_model) keeps the
    registered bytes identical to the ones evaluated, and registering from a ``runs:/`` URI is the
    path Azure ML's MLflow registry documents.
    """
    import mlflow
    from mlflow import MlflowClient

    with mlflow.start_run() as run:
        mlflow.set_tag("pipeline_step", "register")
        mlflow.log_artifacts(str(model_dir), artifact_path=ARTIFACT_PATH)
        mlflow.log_dict(report, REPORT_ARTIFACT)
        version = mlflow.register_model(f"runs:/{run.info.run_id}/{ARTIFACT_PATH}", model_name, tags=tags)
        MlflowClient().set_registered_model_alias(model_name, CHAMPION_ALIAS, version.version)
        mlflow.set_tags({"registered_model": model_name, "registered_version": str(version.version)})
    return str(version.version), run.info.run_id


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Register the candidate if evaluate.py decided so, and make it champion.")
    parser.add_argument("--model", type=Path, required=True, help="candidate MLflow model folder (the one evaluated)")
    parser.add_argument("--decision", type=Path, required=True, help="folder holding decision.json (or the file)")
    parser.add_argument("--model-name", required=True, help="registered model name")
    parser.add_argument("--registration", type=Path, help="folder to write registration.json to (what this step did)")
    parser.add_argument("--data-check", type=Path, help="the data check's report folder (or report.json), summarised in the report")
    parser.add_argument("--tags", nargs="*", default=[], metavar="KEY=VALUE", help="extra tags for the new version")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        decision = read_decision(args.decision)
        extra_tags = parse_tags(args.tags)
        data_check = read_data_check(args.data_check)
    except PipelineError as error:
        print(f"register: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if not decision["register"]:
        log.info("not registering %s: %s", args.model_name, decision["reason"])
        write_registration(args.registration, {
            "registered": False, "model_name": args.model_name, "reason": decision["reason"],
            "report": evaluation_report(decision, data_check),
        })
        return EXIT_OK
    if not tracking_configured():
        print("register: error: MLFLOW_TRACKING_URI is not set, so there is no registry to register in", file=sys.stderr)
        return EXIT_USAGE
    try:
        model_dir = find_model_dir(args.model)
        digest = model_digest(model_dir)
        ensure_still_valid(decision, args.model_name, digest)
        tags = version_tags(decision, digest, extra_tags, data_check)
        version, run_id = register(model_dir, args.model_name, tags, evaluation_report(decision, data_check))
    except StaleDecision as error:
        print(f"register: refused: {error}", file=sys.stderr)
        return EXIT_CHECK_FAILED
    except PipelineError as error:
        print(f"register: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    write_registration(args.registration, {
        "registered": True, "model_name": args.model_name, "version": version, "run_id": run_id,
        "model_digest": digest, "reason": decision["reason"], "report": evaluation_report(decision, data_check),
    })
    previous = decision.get("champion_version")
    log.info(
        "registered %s version %s; alias %r now points to it (was %s)",
        args.model_name, version, CHAMPION_ALIAS, f"version {previous}" if previous else "unset",
    )
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
