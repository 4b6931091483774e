"""Validate a tabular dataset against schema.json before anything trains on it.

Bad data should stop a pipeline at the first step with a report a person can act on, not surface
three steps later as a mysterious metric drop. Every run writes report.json (for machines) and
report.md (for people); exit code 1 means at least one check failed.

Usage:
    python data_check.py --data <csv or folder> --schema schema.json --report <dir>
                         [--min-rows N] [--output <dir>] [--baseline <dir>]

``--baseline`` writes the checked data again as an MLTable (the CSV files and an ``MLTable`` file that reads
them): model monitoring reads its reference data only as MLTable, so the training pipeline registers this
folder as the drift baseline of the model it trains.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from common import EXIT_CHECK_FAILED, EXIT_OK, PipelineError, csv_files, load_csv

DTYPES = ("int", "float", "string")
EXAMPLES_SHOWN = 3


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    dtype: str
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    allowed: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class Schema:
    columns: tuple[ColumnSpec, ...]
    target: str
    min_rows: int = 1
    allow_extra_columns: bool = False

    def column(self, name: str) -> ColumnSpec:
        return next(spec for spec in self.columns if spec.name == name)


@dataclass
class CheckResult:
    """One check on one column (or on the whole dataset when ``column`` is None)."""

    check: str
    column: str | None
    passed: bool
    expected: str
    found: str
    bad_rows: int | None = None  # None for dataset-level checks, where no single row is at fault
    examples: list[Any] = field(default_factory=list)


def load_schema(path: Path) -> Schema:
    """Parse and sanity-check the schema, so a typo in it fails loudly instead of passing everything."""
    try:
        raw = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise PipelineError(f"cannot read schema {path}: {error}") from error
    if not isinstance(raw, dict) or not isinstance(raw.get("columns"), list) or not raw["columns"]:
        raise PipelineError(f"schema {path} must be an object with a non-empty 'columns' list")
    specs: list[ColumnSpec] = []
    for index, item in enumerate(raw["columns"]):
        where = f"schema {path}, columns[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise PipelineError(f"{where}: each column needs a string 'name'")
        if item.get("dtype") not in DTYPES:
            raise PipelineError(f"{where} ({item['name']}): dtype must be one of {DTYPES}, got {item.get('dtype')!r}")
        low, high = item.get("min"), item.get("max")
        if low is not None and high is not None and low > high:
            raise PipelineError(f"{where} ({item['name']}): min {low} is greater than max {high}")
        if (low is not None or high is not None) and item["dtype"] == "string":
            raise PipelineError(f"{where} ({item['name']}): min/max only apply to numeric columns")
        allowed = item.get("allowed")
        if allowed is not None and (not isinstance(allowed, list) or not allowed):
            raise PipelineError(f"{where} ({item['name']}): 'allowed' must be a non-empty list")
        specs.append(
            ColumnSpec(
                name=item["name"],
                dtype=item["dtype"],
                nullable=bool(item.get("nullable", False)),
                min=low,
                max=high,
                allowed=tuple(allowed) if allowed is not None else None,
            )
        )
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise PipelineError(f"schema {path} lists a column more than once")
    target = raw.get("target")
    if target not in names:
        raise PipelineError(f"schema {path}: target {target!r} must be one of the listed columns")
    return Schema(
        columns=tuple(specs),
        target=target,
        min_rows=int(raw.get("min_rows", 1)),
        allow_extra_columns=bool(raw.get("allow_extra_columns", False)),
    )


def _count(number: int, noun: str) -> str:
    return f"{int(number)} {noun}" + ("" if int(number) == 1 else "s")


def _examples(values: pd.Series) -> list[Any]:
    return [_plain(value) for value in values.drop_duplicates().head(EXAMPLES_SHOWN)]


def _plain(value: Any) -> Any:
    """A JSON-friendly version of a pandas/numpy scalar."""
    if pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _type_errors(series: pd.Series, dtype: str) -> tuple[pd.Series, pd.Series]:
    """(mask of non-null values that do not fit ``dtype``, numeric view of the column or the raw strings)."""
    present = series.notna()
    if dtype == "string":
        wrong = present & ~series.map(lambda value: isinstance(value, str))
        return wrong, series
    if pd.api.types.is_bool_dtype(series):
        return present, pd.Series(float("nan"), index=series.index)
    numeric = pd.to_numeric(series, errors="coerce")
    wrong = present & numeric.isna()
    if dtype == "int":
        wrong |= present & numeric.notna() & (numeric % 1 != 0)
    return wrong, numeric


def check_column(frame: pd.DataFrame, spec: ColumnSpec) -> list[CheckResult]:
    """dtype, nulls, range and allowed-value checks for one present column."""
    series = frame[spec.name]
    results: list[CheckResult] = []
    wrong_type, values = _type_errors(series, spec.dtype)
    results.append(
        CheckResult(
            check="dtype",
            column=spec.name,
            passed=not wrong_type.any(),
            expected=spec.dtype,
            found=f"{_count(wrong_type.sum(), 'value')} not of type {spec.dtype}" if wrong_type.any() else spec.dtype,
            bad_rows=int(wrong_type.sum()),
            examples=_examples(series[wrong_type]),
        )
    )
    nulls = series.isna()
    if not spec.nullable:
        results.append(
            CheckResult(
                check="nulls",
                column=spec.name,
                passed=not nulls.any(),
                expected="no missing values",
                found=f"{_count(nulls.sum(), 'missing value')}" if nulls.any() else "no missing values",
                bad_rows=int(nulls.sum()),
            )
        )
    usable = ~nulls & ~wrong_type
    if spec.min is not None or spec.max is not None:
        low = spec.min if spec.min is not None else float("-inf")
        high = spec.max if spec.max is not None else float("inf")
        outside = usable & ((values < low) | (values > high))
        observed = values[usable]
        seen = f"[{_plain(observed.min())}, {_plain(observed.max())}]" if len(observed) else "no values"
        results.append(
            CheckResult(
                check="range",
                column=spec.name,
                passed=not outside.any(),
                expected=f"[{spec.min}, {spec.max}]",
                found=f"{_count(outside.sum(), 'value')} outside; observed {seen}" if outside.any() else f"observed {seen}",
                bad_rows=int(outside.sum()),
                examples=_examples(series[outside]),
            )
        )
    if spec.allowed is not None:
        unexpected = usable & ~values.isin(list(spec.allowed))
        counts = series[unexpected].value_counts()
        listed = ", ".join(f"{value!r} ({count})" for value, count in counts.head(5).items())
        results.append(
            CheckResult(
                check="allowed_values",
                column=spec.name,
                passed=not unexpected.any(),
                expected=f"one of {list(spec.allowed)}",
                found=f"{_count(unexpected.sum(), 'unexpected value')}: {listed}" if unexpected.any() else "only allowed values",
                bad_rows=int(unexpected.sum()),
                examples=_examples(series[unexpected]),
            )
        )
    return results


def check_target_classes(frame: pd.DataFrame, spec: ColumnSpec) -> CheckResult:
    """A classifier needs every class in its training data; one class only means a broken extract."""
    wrong_type, values = _type_errors(frame[spec.name], spec.dtype)
    values = values[~wrong_type].dropna()
    if spec.dtype == "int":
        values = values.astype("int64")
    present = sorted(_plain(value) for value in values.unique())
    needed = list(spec.allowed) if spec.allowed is not None else None
    if needed is not None:
        passed = all(value in present for value in needed)
        expected = f"every class of {needed} present"
    else:
        passed = len(present) >= 2
        expected = "at least 2 classes"
    counts = values.value_counts()
    found = ", ".join(f"{_plain(value)!r}: {count} rows" for value, count in sorted(counts.items())) or "no values"
    return CheckResult(check="label_classes", column=spec.name, passed=passed, expected=expected, found=found)


def run_checks(frame: pd.DataFrame, schema: Schema, min_rows: int) -> list[CheckResult]:
    """All checks, in report order: structure first, then per column, then dataset-level."""
    rows = len(frame)
    results: list[CheckResult] = []
    expected_names = [spec.name for spec in schema.columns]
    for name in expected_names:
        present = name in frame.columns
        results.append(
            CheckResult(
                check="required_column",
                column=name,
                passed=present,
                expected="column present",
                found="present" if present else "column missing",
                bad_rows=0 if present else rows,
            )
        )
    if not schema.allow_extra_columns:
        for name in frame.columns:
            if name not in expected_names:
                results.append(
                    CheckResult(
                        check="unexpected_column",
                        column=str(name),
                        passed=False,
                        expected="only the columns listed in the schema",
                        found="column not in schema",
                        bad_rows=rows,
                    )
                )
    for spec in schema.columns:
        if spec.name in frame.columns:
            results.extend(check_column(frame, spec))
    results.append(
        CheckResult(
            check="row_count",
            column=None,
            passed=rows >= min_rows,
            expected=f"at least {min_rows} rows",
            found=f"{rows} rows",
        )
    )
    if schema.target in frame.columns:
        results.append(check_target_classes(frame, schema.column(schema.target)))
    return results


def _cell(value: Any) -> str:
    text = "n/a" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: dict[str, Any]) -> str:
    """The human half of the report: what failed, on which column, and how many rows."""
    failures = report["failures"]
    lines = [
        f"# Data check: {report['status'].upper()}",
        "",
        f"- Data: `{report['data']}` ({report['rows']} rows)",
        f"- Schema: `{report['schema']}`",
        f"- Checks: {report['summary']['checks']} run, {report['summary']['failed']} failed",
        "",
    ]
    if report.get("error"):
        lines += ["## Could not run the checks", "", report["error"], ""]
    if failures:
        lines += [
            "## Failed checks",
            "",
            "| check | column | expected | found | bad rows | examples |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for item in failures:
            examples = ", ".join(repr(value) for value in item["examples"])
            lines.append(
                f"| {_cell(item['check'])} | {_cell(item['column'])} | {_cell(item['expected'])} "
                f"| {_cell(item['found'])} | {_cell(item['bad_rows'])} | {_cell(examples)} |"
            )
        lines.append("")
    passed = [item for item in report["checks"] if item["passed"]]
    if passed:
        lines += ["## Passed checks", ""]
        lines += [f"- {item['check']}" + (f" ({item['column']})" if item["column"] else "") for item in passed]
        lines.append("")
    return "\n".join(lines)


def build_report(
    data: Path, schema_path: Path, frame: pd.DataFrame | None, results: list[CheckResult], error: str | None
) -> dict[str, Any]:
    """The machine half of the report; an input that could not be read at all counts as one failed check."""
    checks = [asdict(result) for result in results]
    failures = [item for item in checks if not item["passed"]]
    if error:
        unreadable = CheckResult(check="readable", column=None, passed=False, expected="readable data and schema", found=error)
        failures.insert(0, asdict(unreadable))
    return {
        "status": "failed" if failures else "passed",
        "data": str(data),
        "schema": str(schema_path),
        "rows": 0 if frame is None else len(frame),
        "summary": {"checks": len(checks) + (1 if error else 0), "failed": len(failures)},
        "error": error,
        "failures": failures,
        "checks": checks,
    }


def copy_validated(data: Path, output: Path) -> list[Path]:
    """Copy the checked CSV files byte for byte, keeping a folder's layout, for the next pipeline step."""
    output.mkdir(parents=True, exist_ok=True)
    copied: list[Path] = []
    for file in csv_files(data):
        target = output / (file.name if data.is_file() else file.relative_to(data))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, target)
        copied.append(target)
    return copied


#: The MLTable file of a baseline folder: every CSV file under it, read with one header row each. Monitors read
#: the reference data through it (https://learn.microsoft.com/azure/machine-learning/reference-yaml-mltable).
MLTABLE = """\
$schema: https://azuremlschemas.azureedge.net/latest/MLTable.schema.json
type: mltable
paths:
  - pattern: ./**/*.csv
transformations:
  - read_delimited_files:
      header: all_files_same_headers
      delimiter: ","
      encoding: utf8
"""


def write_baseline(data: Path, baseline: Path) -> list[Path]:
    """The checked CSV files with an ``MLTable`` file beside them: an MLTable data asset once registered."""
    copied = copy_validated(data, baseline)
    (baseline / "MLTable").write_text(MLTABLE)
    return copied


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Validate a dataset against a JSON schema.")
    parser.add_argument("--data", type=Path, required=True, help="CSV file or folder of CSV files")
    parser.add_argument("--schema", type=Path, required=True, help="schema JSON (see schema.json)")
    parser.add_argument("--report", type=Path, required=True, help="folder for report.json and report.md")
    parser.add_argument("--min-rows", type=int, default=None, help="minimum row count (overrides the schema's min_rows)")
    parser.add_argument("--output", type=Path, default=None, help="folder to copy the data to when every check passes")
    parser.add_argument("--baseline", type=Path, default=None, help="folder to write the data to as an MLTable (the drift baseline)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    frame: pd.DataFrame | None = None
    results: list[CheckResult] = []
    error: str | None = None
    try:
        schema = load_schema(args.schema)
        frame = load_csv(args.data, string_columns=tuple(s.name for s in schema.columns if s.dtype == "string"))
        min_rows = args.min_rows if args.min_rows is not None else schema.min_rows
        results = run_checks(frame, schema, min_rows)
    except PipelineError as failure:
        error = str(failure)

    report = build_report(args.data, args.schema, frame, results, error)
    args.report.mkdir(parents=True, exist_ok=True)
    (args.report / "report.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    (args.report / "report.md").write_text(render_markdown(report))

    if report["failures"]:
        named = ", ".join(
            f"{item['check']}[{item['column']}]" if item["column"] else item["check"] for item in report["failures"]
        )
        print(
            f"data_check: FAILED {report['summary']['failed']} of {report['summary']['checks']} checks: {named} "
            f"(see {args.report / 'report.md'})",
            file=sys.stderr,
        )
        return EXIT_CHECK_FAILED
    if args.output is not None:
        copied = copy_validated(args.data, args.output)
        print(f"data_check: copied {len(copied)} file(s) to {args.output}")
    if args.baseline is not None:
        written = write_baseline(args.data, args.baseline)
        print(f"data_check: wrote an MLTable over {len(written)} file(s) to {args.baseline}")
    print(f"data_check: passed all {report['summary']['checks']} checks on {report['rows']} rows")
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
