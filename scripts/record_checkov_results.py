"""Run Checkov on every shipped stack's ARM export and record its verdicts in blueprint/tools/data/checkov_map.json.

    python scripts/record_checkov_results.py --checkov PATH    PATH: a checkov executable (kept out of the project's
                                                               requirements; install it in a venv of its own)

Then regenerate docs/policies.md (``blueprint policies --format markdown > docs/policies.md``). The script refuses to
record, naming them, the checks Checkov ran on the exports that the map does not list: a new Checkov check on a type
the platform creates needs a row (the policy covering it, or why none does) before its results are recorded.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from blueprint.program.project import load_project, read_stack_config  # noqa: E402 - after the path is set
from blueprint.tools.arm_export import export_template  # noqa: E402
from blueprint.tools.checkov_map import MAP_FILE, load_map  # noqa: E402
from blueprint.tools.preview.runner import run_program  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkov", required=True, type=Path, help="the checkov executable")
    args = parser.parse_args()
    data = load_map()
    version = subprocess.run([str(args.checkov), "--version"], capture_output=True, text=True, check=True).stdout.strip()
    project = load_project(REPO)
    verdicts: dict[str, dict[str, set[str]]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for stack in data["stacks"]:
            path = Path(scratch) / f"{stack}.json"
            path.write_text(json.dumps(export_template(run_program(project, stack, read_stack_config(project, stack)))))
            verdicts[stack] = _run_checkov(args.checkov, path)
    listed = {check["id"] for check in data["checks"]}
    unlisted = sorted({check for found in verdicts.values() for ids in found.values() for check in ids} - listed)
    if unlisted:
        print(f"record_checkov_results: Checkov ran checks the map does not list: {', '.join(unlisted)}; add them to "
              f"{MAP_FILE.relative_to(REPO)} first", file=sys.stderr)
        return 1
    for check in data["checks"]:
        check["results"] = {
            stack: "failed" if check["id"] in found["failed"] else "passed" if check["id"] in found["passed"] else "not-evaluated"
            for stack, found in verdicts.items()
        }
    data["checkov"]["version"] = version
    MAP_FILE.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"Recorded Checkov {version}'s results for {', '.join(data['stacks'])} in {MAP_FILE.relative_to(REPO)}")
    return 0


def _run_checkov(checkov: Path, template: Path) -> dict[str, set[str]]:
    """The check IDs Checkov passed and failed on ``template`` (it exits 1 when any check fails)."""
    result = subprocess.run([str(checkov), "-f", str(template), "--framework", "arm", "-o", "json", "--compact"],
                            capture_output=True, text=True)
    if result.returncode not in (0, 1):
        raise SystemExit(f"record_checkov_results: checkov failed on {template.name}: {result.stderr.strip()[-2000:]}")
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    found: dict[str, set[str]] = {"passed": set(), "failed": set()}
    for entry in reports:
        results = entry.get("results") or {}
        found["passed"] |= {c["check_id"] for c in results.get("passed_checks", [])}
        found["failed"] |= {c["check_id"] for c in results.get("failed_checks", [])}
    return found


if __name__ == "__main__":
    sys.exit(main())
