"""``check`` of several stacks: serial, in forked workers and in shards merged afterwards, the same reports byte for
byte; a failure in a worker reported as serially; Ctrl-C stops every worker and writes no report; a merge that
could not give the whole answer refuses."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from blueprint.program.project import load_project, read_stack_config
from blueprint.tools.exit_codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from blueprint.tools.preview.references import preview_levels
from blueprint.tools.shards import Shard
from conftest import REPO

REPORTS = ("check.txt", "check.json", "check.sarif", "check.junit.xml", "compliance.md")


def copy_project(target: Path) -> Path:
    target.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO / name, target)
    for name in ("stacks", "ml_templates", "policies", ".github"):
        shutil.copytree(REPO / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def check(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "blueprint", "check", *args], cwd=project, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The reports of every stack checked one at a time, with two workers, and in three shards merged."""
    base = tmp_path_factory.mktemp("parallel")
    project = copy_project(base / "project")
    out = {name: base / name for name in ("serial", "workers", "merged", "shard1", "shard2", "shard3")}
    for name, extra in (("serial", ["--jobs", "1"]), ("workers", ["--jobs", "2"])):
        result = check(project, *extra, "--output-dir", str(out[name]))
        assert result.returncode == EXIT_OK, result.stderr
    for index in (1, 2, 3):
        result = check(project, "--shard", f"{index}/3", "--format", "json", "--output-dir", str(out[f"shard{index}"]))
        assert result.returncode == EXIT_OK, result.stderr
    shards = [str(out[f"shard{i}"] / "check.json") for i in (3, 1, 2)]  # any order
    merged = check(project, "--merge", *shards, "--output-dir", str(out["merged"]))
    assert merged.returncode == EXIT_OK, merged.stderr
    out["project"] = project
    return out


@pytest.mark.parametrize("report", REPORTS)
def test_serial_parallel_and_sharded_then_merged_reports_are_byte_identical(runs: dict[str, Path], report: str) -> None:
    serial = (runs["serial"] / report).read_bytes()
    assert serial == (runs["workers"] / report).read_bytes()
    assert serial == (runs["merged"] / report).read_bytes()


def test_the_shards_split_the_stacks_evenly_and_the_merge_covers_them_all(runs: dict[str, Path]) -> None:
    names = load_project(runs["project"]).stacks()
    held = [[s["stack"] for s in json.loads((runs[f"shard{i}"] / "check.json").read_text())["stacks"]] for i in (1, 2, 3)]
    assert sorted(sum(held, [])) == sorted(names)
    assert held == [Shard(i, 3).stacks(names) for i in (1, 2, 3)]
    assert max(map(len, held)) - min(map(len, held)) <= 1
    merged = json.loads((runs["merged"] / "check.json").read_text())
    assert "shard" not in merged and [s["stack"] for s in merged["stacks"]] == names


def _refused(runs: dict[str, Path], *files: str | Path) -> str:
    result = check(runs["project"], "--merge", *map(str, files))
    assert result.returncode == EXIT_USAGE, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    return result.stderr


def test_a_merge_that_cannot_give_the_whole_answer_refuses(runs: dict[str, Path], tmp_path: Path) -> None:
    one, two, three = (runs[f"shard{i}"] / "check.json" for i in (1, 2, 3))
    assert "shard 3/3 missing" in _refused(runs, one, two)
    assert "given twice" in _refused(runs, one, two, three, one)
    shutil.copy(one, tmp_path / "again.json")
    assert "is also" in _refused(runs, one, two, three, tmp_path / "again.json")
    assert "not the JSON report of a shard" in _refused(runs, one, two, runs["serial"] / "check.json")
    assert "not JSON" in _refused(runs, one, two, runs["serial"] / "check.txt")
    assert "cannot read it" in _refused(runs, one, two, tmp_path / "absent.json")
    other_split = json.loads(three.read_text())
    other_split["shard"]["count"] = 4
    (tmp_path / "other.json").write_text(json.dumps(other_split))
    assert "another split" in _refused(runs, one, two, tmp_path / "other.json")
    lost = json.loads(three.read_text())
    lost["stacks"] = lost["stacks"][:-1]
    (tmp_path / "lost.json").write_text(json.dumps(lost))
    assert "should hold the stacks" in _refused(runs, one, two, tmp_path / "lost.json")
    broken = json.loads(three.read_text())
    del broken["stacks"][0]["environment"]
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    assert "not a JSON report as check --shard writes it" in _refused(runs, one, two, tmp_path / "broken.json")
    other_pack = json.loads(three.read_text())
    other_pack["pack"] = "another-pack"
    (tmp_path / "pack.json").write_text(json.dumps(other_pack))
    assert "checked with the pack 'another-pack'" in _refused(runs, one, two, tmp_path / "pack.json")


@pytest.mark.parametrize("args, message", [
    (["--shard", "0/2"], "1 <= I <= N"),
    (["--shard", "3/2"], "1 <= I <= N"),
    (["--shard", "two"], "expected I/N"),
    (["--jobs", "0"], "at least 1"),
    (["dev", "--merge", "a.json"], "--merge combines"),
    (["--shard", "1/2", "--merge", "a.json"], "--merge combines"),
])
def test_bad_shard_jobs_and_merge_options_are_bad_usage(args: list[str], message: str) -> None:
    result = check(REPO, *args)
    assert result.returncode == EXIT_USAGE and message in result.stderr and "Traceback" not in result.stderr


def test_a_merge_of_shards_with_a_violation_fails_as_a_single_run_does(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    config = project / "policies" / "config" / "dev.json"  # dev's public registry made a mandatory violation
    document = json.loads(config.read_text())
    document["azure-native-containerregistry-registry-disallow-public-network-access"] = "mandatory"
    config.write_text(json.dumps(document, indent=2))
    single = check(project, "dev", "staging", "--jobs", "1", "--output-dir", str(tmp_path / "single"))
    assert single.returncode == EXIT_FAILED and "mandatory policy violation" in single.stderr, single.stderr
    for index in (1, 2):
        shard = check(project, "dev", "staging", "--shard", f"{index}/2", "--format", "json", "--output-dir", str(tmp_path / f"s{index}"))
        assert shard.returncode == (EXIT_FAILED if index == 1 else EXIT_OK), shard.stderr
    merged = check(project, "--merge", str(tmp_path / "s1" / "check.json"), str(tmp_path / "s2" / "check.json"),
                   "--output-dir", str(tmp_path / "merged"))
    assert merged.returncode == EXIT_FAILED and merged.stderr.splitlines()[-1] == single.stderr.splitlines()[-1]
    for report in REPORTS:
        assert (tmp_path / "single" / report).read_bytes() == (tmp_path / "merged" / report).read_bytes(), report


def test_rounds_put_referenced_stacks_first_and_the_rest_side_by_side() -> None:
    project = load_project(REPO)
    names = project.stacks()
    levels = preview_levels(names, {name: read_stack_config(project, name) for name in names})
    assert levels[0] == ["shared"] and levels[1] == ["dev", "prod", "staging"]
    assert "bootstrap" in levels[-1]  # it reads every stack's CI principals
    assert sorted(sum(levels, [])) == sorted(names)
    assert preview_levels(["a", "b"], {"a": {"x": "b"}, "b": {"x": "a"}}) == [["b"], ["a"]]  # a cycle, broken


def test_a_stack_failing_in_a_worker_is_reported_as_it_is_serially(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    stack = project / "stacks" / "Pulumi.staging.yaml"
    stack.write_text(stack.read_text().replace("mlplatform:namingPrefix: mlp", "mlplatform:namingPrefix: ML-P"))
    serial = check(project, "shared", "dev", "prod", "staging", "--jobs", "1")
    workers = check(project, "shared", "dev", "prod", "staging", "--jobs", "2")
    assert serial.returncode == workers.returncode == EXIT_USAGE, workers.stderr
    assert "Pulumi.staging.yaml" in workers.stderr and "namingPrefix" in workers.stderr
    assert workers.stderr == serial.stderr and workers.stdout == serial.stdout == ""


def _children(pid: int) -> set[int]:
    """The child processes of ``pid``, whichever of its threads started them."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(p) for p in (task / "children").read_text().split()}
        except OSError:
            pass
    return found


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the process tree from /proc (Linux)")
def test_ctrl_c_during_a_parallel_check_stops_every_worker_and_writes_no_report(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    out = tmp_path / "reports"
    process = subprocess.Popen([sys.executable, "-m", "blueprint", "check", "--jobs", "2", "--output-dir", str(out)],
                               cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers: set[int] = set()
    deadline = time.monotonic() + 120
    while len(workers) < 2 and process.poll() is None and time.monotonic() < deadline:
        workers = _children(process.pid)
        time.sleep(0.02)
    assert len(workers) >= 2, "the check never started its workers"
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == EXIT_INTERRUPTED, stderr
    assert stderr.strip().splitlines()[-1] == "error: interrupted" and "Traceback" not in stderr
    assert not out.exists() and stdout == ""
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid), f"worker {pid} still runs"


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except OSError:
        return True


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the process tree from /proc (Linux)")
def test_ctrl_c_at_a_terminal_ends_the_workers_and_their_child_previews_quietly(tmp_path: Path) -> None:
    """A terminal sends SIGINT to the whole process group: the check, its workers and the previews of the referenced
    stack each worker started: shared is not among the stacks checked and nothing is cached, and the stack checked
    first (in this process, before the workers are forked) is a copy of shared, which references nothing."""
    project = copy_project(tmp_path / "project")
    shutil.copy(project / "stacks" / "Pulumi.shared.yaml", project / "stacks" / "Pulumi.first.yaml")
    out = tmp_path / "reports"
    process = subprocess.Popen([sys.executable, "-m", "blueprint", "check", "first", "dev", "staging", "prod", "--jobs", "2",
                                "--output-dir", str(out)], cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    grandchildren: set[int] = set()
    while not grandchildren and process.poll() is None and time.monotonic() < deadline:
        grandchildren = {g for worker in _children(process.pid) for g in _children(worker)}
        time.sleep(0.02)
    assert grandchildren, "no worker started a child preview"
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == EXIT_INTERRUPTED, stderr
    assert stderr.strip().splitlines()[-1] == "error: interrupted" and "Traceback" not in stderr, stderr
    assert not out.exists() and stdout == ""
    deadline = time.monotonic() + 10
    while _running_in_group(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _running_in_group(process.pid) == []  # nothing of the group still runs


def _running_in_group(group: int) -> list[str]:
    """The processes of process group ``group`` that are not zombies (ended, waiting to be reaped)."""
    running = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            running.append(stat.parent.name)
    return running
