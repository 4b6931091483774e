"""`blueprint check` of N real stacks, as a user runs it: wall time, resources per second and peak RSS per N.

Run: .venv/bin/python benchmarks/check_benchmark.py [--sizes 1,10,100] [--fleet DIR] [--runs R]
                                                    [--checkov PATH --checkov-target DIR]

- The fleet: the project's tracked files (``git ls-files``) are copied into a fleet directory (a temporary one, or
  ``--fleet DIR``, kept for the next run), never into this checkout, and the largest N stacks are generated there
  once with the real ``blueprint fork`` (``blueprint fork prod f001 --project f001``, the sources cycling prod,
  dev, staging). A fork validates and previews its new stack, so generating 100 takes minutes; progress is printed.
  A fleet directory given again is reused: the project files are copied afresh (the code measured is this
  checkout's), the stack files already forked are kept and only the missing ones are forked.
- Each measurement is one fresh ``blueprint check shared f001 ... fNNN --format json`` process run from the fleet
  directory: N forked stacks plus the ``shared`` stack they reference (N + 1 stacks checked). The fleet's reference
  cache (``.blueprint/``) is deleted before each run, as on a fresh clone in CI.
- Per N: wall time (median of R runs), resources checked (the JSON report's ``stacks[].resources`` summed),
  resources per second, and the peak RSS of the largest process of the run, workers included (a small wrapper
  process reads ``getrusage(RUSAGE_CHILDREN).ru_maxrss``, the largest resident set of any descendant it waited for).
- When ``blueprint check --help`` offers ``--jobs``, each N is measured with ``--jobs 1`` and with the default
  side by side (alternating); otherwise the serial check is the only mode.
- Checkov, for the resources-per-second goal: with ``--checkov PATH --checkov-target DIR`` it scans the Terraform
  directory in the same run, once after each size's checks, under the same load (``--framework terraform``, fresh
  process, the median, resources from its JSON summary); without them the recorded figure (57 resources in 2.85 s on the same kind of 2-core machine) is used,
  and the output says so.

The issue's goals are printed with whether each is met: check of 100 stacks under 60 s on 2 cores, at least 10x
Checkov's resources per second, and a peak RSS under 400 MiB per process. They are judged on the N = 100 row only
(a smaller run prints them as not judged) and are benchmark figures: the machine's load moves them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCES = ("prod", "dev", "staging")  #: f001 forks prod, f002 dev, f003 staging, f004 prod...
REFERENCED = "shared"

#: Checkov's recorded figure: Azure/mlops-project-template's Terraform on the same kind of 2-core machine.
CHECKOV_RECORDED = (57, 2.85)
GOAL_STACKS = 100
GOAL_SECONDS = 60.0
GOAL_CORES = 2
GOAL_SPEEDUP = 10.0
GOAL_RSS_MIB = 400.0

#: Runs the command given after it, then prints its wall time, exit code and the largest RSS of any descendant.
_MEASURE = """
import json, resource, subprocess, sys, time
with open(sys.argv[1], "wb") as out:
    start = time.perf_counter()
    code = subprocess.run(sys.argv[3:], stdout=out, stderr=open(sys.argv[2], "wb")).returncode
    wall = time.perf_counter() - start
print(json.dumps({"wall": wall, "code": code, "maxrss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


@dataclass
class Measured:
    wall: float
    resources: int
    peak_rss_mib: float


def blueprint_command() -> list[str]:
    """The console script beside this interpreter (what a user runs), else ``python -m blueprint``."""
    script = Path(sys.executable).parent / "blueprint"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "blueprint"]


def measure(command: list[str], cwd: Path, ok_codes: tuple[int, ...] = (0,)) -> tuple[dict, bytes]:
    """Run ``command`` in a fresh process under the wrapper; its measurement and its standard output."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
        wrapper = subprocess.run([sys.executable, "-c", _MEASURE, str(out), str(err), *command], cwd=cwd,
                                 capture_output=True, text=True, check=True)
        result = json.loads(wrapper.stdout)
        if result["code"] not in ok_codes:
            sys.exit(f"error: {' '.join(command)} exited {result['code']}:\n{err.read_text(errors='replace')[-3000:]}")
        return result, out.read_bytes()


def copy_project(target: Path) -> None:
    """This checkout's tracked files (as they are in the work tree) into ``target``; stack files already there stay."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = REPO / name
        if source.is_file():  # a tracked file deleted in the work tree is not copied
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)


def fork_name(index: int) -> str:
    return f"f{index:03d}"


def generate_fleet(fleet: Path, count: int) -> list[str]:
    """Copy the project into ``fleet`` and fork the stacks it lacks; the names of the ``count`` forks."""
    fleet.mkdir(parents=True, exist_ok=True)
    copy_project(fleet)
    names = [fork_name(i) for i in range(1, count + 1)]
    missing = [(i, name) for i, name in enumerate(names) if not (fleet / "stacks" / f"Pulumi.{name}.yaml").is_file()]
    if missing:
        print(f"Forking {len(missing)} of {count} stacks into the fleet with `blueprint fork` (each is previewed)...", flush=True)
    start = time.perf_counter()
    for done, (i, name) in enumerate(missing, 1):
        source = SOURCES[i % len(SOURCES)]
        result = subprocess.run([*blueprint_command(), "fork", source, name, "--project", name], cwd=fleet,
                                capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"error: blueprint fork {source} {name} exited {result.returncode}:\n{result.stderr[-3000:]}")
        elapsed = time.perf_counter() - start
        if done == len(missing) or done % 5 == 0 or done < 3:
            left = elapsed / done * (len(missing) - done)
            print(f"  forked {done}/{len(missing)} ({name} from {source}), {elapsed:.0f} s, about {left:.0f} s left", flush=True)
    return names


def check_once(fleet: Path, stacks: list[str], extra: list[str]) -> Measured:
    shutil.rmtree(fleet / ".blueprint", ignore_errors=True)  # no reference cache, as on a fresh clone
    # Exit 1 is a mandatory violation: the report is still complete (forks passed the pack, so it should not happen).
    result, out = measure([*blueprint_command(), "check", *stacks, "--format", "json", *extra], fleet, ok_codes=(0, 1))
    report = json.loads(out)
    if len(report["stacks"]) != len(stacks):
        sys.exit(f"error: the JSON report lists {len(report['stacks'])} stacks, {len(stacks)} were checked")
    return Measured(result["wall"], sum(s["resources"] for s in report["stacks"]), result["maxrss_kib"] / 1024)


def checkov_once(checkov: Path, target: Path) -> Measured:
    # Checkov exits 1 when a check fails, which is its normal result on this codebase.
    result, out = measure([str(checkov), "-d", str(target), "--framework", "terraform", "-o", "json", "--quiet"],
                          target, ok_codes=(0, 1))
    report = json.loads(out)
    reports = report if isinstance(report, list) else [report]
    resources = sum(r.get("summary", {}).get("resource_count", 0) for r in reports)
    return Measured(result["wall"], resources, result["maxrss_kib"] / 1024)


def jobs_supported() -> bool:
    result = subprocess.run([*blueprint_command(), "check", "--help"], capture_output=True, text=True, check=True)
    return "--jobs" in result.stdout


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def rate(m: Measured) -> float:
    return m.resources / m.wall if m.wall else 0.0


def median_of(runs: list[Measured]) -> Measured:
    return Measured(statistics.median(m.wall for m in runs), runs[0].resources, max(m.peak_rss_mib for m in runs))


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected comma-separated stack counts, e.g. 1,10,100") from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: every size must be at least 1")
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=[1, 10, 100], help="forked stacks per check (default: 1,10,100)")
    parser.add_argument("--fleet", type=Path, metavar="DIR", help="fleet directory to generate into and reuse (default: a temporary one)")
    parser.add_argument("--runs", type=int, default=1, help="runs per size and mode; the median wall time is shown (default: 1)")
    parser.add_argument("--checkov", type=Path, metavar="PATH", help="a checkov executable to measure side by side")
    parser.add_argument("--checkov-target", type=Path, metavar="DIR", help="the Terraform directory checkov scans")
    args = parser.parse_args()
    if (args.checkov is None) != (args.checkov_target is None):
        parser.error("--checkov and --checkov-target go together")
    if args.fleet is not None and args.fleet.resolve().is_relative_to(REPO):
        parser.error("--fleet: choose a directory outside this checkout (the benchmark never writes into it)")

    fleet = args.fleet.resolve() if args.fleet else Path(tempfile.mkdtemp(prefix="check-fleet-"))
    try:
        forks = generate_fleet(fleet, max(args.sizes))
        modes = [("--jobs 1", ["--jobs", "1"]), ("default", [])] if jobs_supported() else [("serial", [])]
        print(f"\n`blueprint check shared f001..fNNN --format json`, fresh process each, {cores()} cores available, "
              f"median of {args.runs} run{'s' if args.runs != 1 else ''}"
              + ("" if len(modes) > 1 else " (this check has no --jobs: serial only)"), flush=True)
        header = f"{'forks':>5} {'stacks':>6} {'mode':<9} {'wall s':>7} {'resources':>9} {'resources/s':>11} {'peak RSS MiB':>12}"
        print(header)
        rows: dict[tuple[int, str], Measured] = {}
        checkov_runs: list[Measured] = []
        for size in args.sizes:
            stacks = [REFERENCED, *forks[:size]]
            runs: dict[str, list[Measured]] = {label: [] for label, _ in modes}
            for _ in range(args.runs):
                for label, extra in modes:  # alternating, so a load change hits both modes alike
                    runs[label].append(check_once(fleet, stacks, extra))
                if args.checkov:  # Checkov between the checks, under the same load
                    checkov_runs.append(checkov_once(args.checkov.resolve(), args.checkov_target.resolve()))
            for label, _ in modes:
                m = rows[(size, label)] = median_of(runs[label])
                print(f"{size:>5} {len(stacks):>6} {label:<9} {m.wall:>7.2f} {m.resources:>9} {rate(m):>11.1f} {m.peak_rss_mib:>12.0f}", flush=True)

        if args.checkov:
            checkov = median_of(checkov_runs)
            checkov_note = (f"measured in this run, between the checks: {checkov.resources} resources in {checkov.wall:.2f} s "
                            f"(median of {len(checkov_runs)}), peak RSS {checkov.peak_rss_mib:.0f} MiB")
        else:
            checkov = Measured(CHECKOV_RECORDED[1], CHECKOV_RECORDED[0], 0.0)
            checkov_note = (f"RECORDED figure, not measured in this run: {checkov.resources} resources in {checkov.wall:.2f} s "
                            "(pass --checkov PATH --checkov-target DIR to measure it side by side)")
        print(f"\nCheckov: {rate(checkov):.1f} resources/s ({checkov_note})")

        print("\nGoals (issue 14), judged on the 100-fork row of the fastest mode:")
        best = min((m for (size, _), m in rows.items() if size == GOAL_STACKS), key=lambda m: m.wall, default=None)
        if best is None:
            reason = f"NOT JUDGED (no {GOAL_STACKS}-stack run: --sizes {','.join(map(str, args.sizes))})"
            verdicts = [reason] * 3
        else:
            on_cores = "" if cores() == GOAL_CORES else f"; measured on {cores()} cores, not {GOAL_CORES}"
            verdicts = [
                f"{'MET' if best.wall < GOAL_SECONDS else 'NOT MET'} ({best.wall:.1f} s{on_cores})",
                f"{'MET' if rate(best) >= GOAL_SPEEDUP * rate(checkov) else 'NOT MET'} ({rate(best):.1f} resources/s = "
                f"{rate(best) / rate(checkov):.1f}x Checkov's {rate(checkov):.1f}{' recorded' if not args.checkov else ''})",
                f"{'MET' if best.peak_rss_mib < GOAL_RSS_MIB else 'NOT MET'} ({best.peak_rss_mib:.0f} MiB)",
            ]
        print(f"- check of {GOAL_STACKS} stacks under {GOAL_SECONDS:.0f} s on {GOAL_CORES} cores: {verdicts[0]}")
        print(f"- at least {GOAL_SPEEDUP:.0f}x Checkov's resources per second: {verdicts[1]}")
        print(f"- peak RSS under {GOAL_RSS_MIB:.0f} MiB per process: {verdicts[2]}")
    finally:
        if args.fleet is None:
            shutil.rmtree(fleet, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
