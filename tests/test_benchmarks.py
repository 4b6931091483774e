"""The benchmark scripts run end to end in their smallest mode and print their table and the issue's goals.

No timing is asserted (the machines are noisy): only that each script runs as a user runs it, that its table has
the expected shape and that every goal line is printed with a verdict.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
NUMBER = r"\d+(?:\.\d+)?"
VERDICT = r"(?:MET|NOT MET|NOT JUDGED)"

pytestmark = pytest.mark.e2e


def run_script(name: str, *args: str) -> list[str]:
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / name), *args], cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.splitlines()


def test_check_benchmark_smallest_fleet(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    lines = run_script("check_benchmark.py", "--sizes", "1", "--fleet", str(fleet))

    assert (fleet / "stacks" / "Pulumi.f001.yaml").is_file()  # forked with the real `blueprint fork`, kept with --fleet
    assert not (fleet / "stacks" / "Pulumi.f002.yaml").exists()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["forks", "stacks"])
    assert lines[header].split() == ["forks", "stacks", "mode", "wall", "s", "resources", "resources/s", "peak", "RSS", "MiB"]
    rows = []
    for line in lines[header + 1:]:
        if not line.strip():
            break
        rows.append(line)
    help_text = subprocess.run([sys.executable, "-m", "blueprint", "check", "--help"], cwd=REPO, capture_output=True, text=True).stdout
    modes = ["--jobs 1", "default"] if "--jobs" in help_text else ["serial"]  # side by side once check has --jobs
    assert len(rows) == len(modes), rows
    for row, mode in zip(rows, modes):  # 1 fork + shared: 2 stacks checked
        assert re.fullmatch(rf"\s*1\s+2\s+{re.escape(mode)}\s+{NUMBER}\s+[1-9]\d*\s+{NUMBER}\s+\d+", row), row

    checkov = next(line for line in lines if line.startswith("Checkov:"))
    assert "RECORDED figure, not measured in this run" in checkov  # no --checkov: the recorded figure, and it says so
    goals = lines[lines.index(next(line for line in lines if line.startswith("Goals"))) + 1:]
    assert [re.sub(r":.*", "", line) for line in goals] == [
        "- check of 100 stacks under 60 s on 2 cores",
        "- at least 10x Checkov's resources per second",
        "- peak RSS under 400 MiB per process",
    ]
    assert all(re.search(rf": NOT JUDGED \(no 100-stack run", line) for line in goals), goals


def test_check_benchmark_measures_checkov_side_by_side_and_reuses_the_fleet(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    run_script("check_benchmark.py", "--sizes", "1", "--fleet", str(fleet))
    forked = (fleet / "stacks" / "Pulumi.f001.yaml").read_bytes()
    checkov = tmp_path / "checkov"  # a stand-in that answers as checkov does: JSON summary, exit 1 on failed checks
    checkov.write_text(f"#!{sys.executable}\nimport json, sys\nprint(json.dumps({{'summary': {{'resource_count': 57}}}}))\nsys.exit(1)\n")
    checkov.chmod(0o755)
    lines = run_script("check_benchmark.py", "--sizes", "1", "--fleet", str(fleet), "--checkov", str(checkov), "--checkov-target", str(tmp_path))

    assert not any(line.startswith("Forking") for line in lines)  # the fleet's fork is reused, not forked again
    assert (fleet / "stacks" / "Pulumi.f001.yaml").read_bytes() == forked
    checkov_line = next(line for line in lines if line.startswith("Checkov:"))
    assert re.fullmatch(rf"Checkov: {NUMBER} resources/s \(measured in this run, between the checks: 57 resources in {NUMBER} s "
                        rf"\(median of 1\), peak RSS \d+ MiB\)", checkov_line), checkov_line


def test_check_benchmark_never_writes_into_the_checkout() -> None:
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / "check_benchmark.py"), "--fleet", str(REPO / "fleet")],
                            cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "outside this checkout" in result.stderr
    assert not (REPO / "fleet").exists()


def test_preview_benchmark_one_run_of_shared() -> None:
    lines = run_script("preview_benchmark.py", "--runs", "1", "shared")

    assert lines[0].split()[:11] == ["stack", "preview", "s", "import", "floor", "s", "ratio", "goal", "runtime", "floor", "s"]
    assert "goal: preview <= 1.0x the import floor" in lines[0]
    row = lines[1]
    assert re.match(rf"shared\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}x\s+(?:MET|NOT MET)\s+{NUMBER}\s+{NUMBER}x\s", row), row
    # The floor it runs is the issue's: importing pulumi and resolving the plan's resource classes loads the same.
    assert re.search(r"\(import floor: \d+ SDK modules, the same as importing pulumi and resolving the plan's \d+ classes\)", row), row
    assert lines[-1] == "Goal (issue 14): `preview prod` at most 1.0x the import floor, median of alternating runs: NOT JUDGED (prod was not measured)"
