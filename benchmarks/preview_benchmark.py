"""Offline preview wall time per stack, beside the floor: a bare Python process importing the same SDK modules.

Run: .venv/bin/python benchmarks/preview_benchmark.py [--runs N] [stack ...]

Two floors, both fresh processes on the same machine, interleaved, median of N runs:

- import floor: a bare Python process importing the same SDK modules the preview loaded. The ratio to it is the
  figure the project tracks (goal: <= 1.5x).
- runtime floor: the same program run under Pulumi's stock mock monitor with the ARM mocks (which cost about
  4 ms for the prod stack) but no recording, no plan, no cost estimate, no rendering, and with the referenced
  shared stack's outputs handed over ready-made. An environment stack's preview previews the shared stack it
  references (a second process), so its gap to this floor includes that. The gap between it and the preview is what the preview itself
  adds; the gap between it and the import floor is the Pulumi SDK's own per-resource cost (Outputs, asyncio tasks),
  which any Pulumi Python program of that size pays.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: Prints the SDK modules a preview really loaded (lazy placeholders excluded), so the floor imports the same.
_LOADED_MODULES = """
import json, sys
from blueprint.tools.cli import main
main(["preview", sys.argv[1], "--json", "/dev/null"])
sdk = sorted(name for name, module in sys.modules.items()
             if name.split(".")[0] in ("pulumi", "pulumi_azure_native", "pulumi_azuread")
             and getattr(module, "__file__", None))
sys.stderr.write(json.dumps(sdk))
"""


#: The same program under Pulumi's stock MockMonitor and the ARM mocks: the SDK's own cost, almost nothing of ours.
_RUNTIME_FLOOR = """
import asyncio, runpy, sys
import pulumi
from pulumi.runtime import settings
from pulumi.runtime.stack import run_in_stack
from blueprint.tools.preview.arm import ArmMocks
from blueprint.program.project import load_project, read_stack_config

import json
project = load_project(__import__("pathlib").Path.cwd())
references = json.loads(sys.argv[2])  # the referenced stacks' outputs, computed once outside the timing
pulumi.runtime.config.set_all_config(read_stack_config(project, sys.argv[1]))
loop = asyncio.new_event_loop(); asyncio.set_event_loop(loop)
pulumi.runtime.set_mocks(ArmMocks(stack_outputs=lambda name: references[name.split("/")[-1]]), project=project.name, stack=sys.argv[1], preview=True)
settings.ROOT.set(None)
loop.run_until_complete(run_in_stack(lambda: runpy.run_path(str(project.main), run_name="__main__")))
"""


def sdk_modules(stack: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", _LOADED_MODULES, stack], cwd=REPO, capture_output=True, text=True, check=True
    )
    return json.loads(result.stderr.strip().splitlines()[-1])


def wall_time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stacks", nargs="*", default=["shared", "dev", "staging", "prod"])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    print(f"{'stack':<8} {'preview s':>9} {'import floor s':>14} {'ratio':>6} {'runtime floor s':>15} {'ratio':>6}  (median of {args.runs} fresh processes)")
    shared = subprocess.run([sys.executable, "-m", "blueprint", "preview", "shared", "--json"], cwd=REPO,
                            capture_output=True, text=True, check=True)
    references = {"shared": json.loads(shared.stdout)["outputs"]}
    for stack in args.stacks:
        modules = sdk_modules(stack)
        floor_code = "import importlib\nfor name in %r:\n    importlib.import_module(name)\n" % (modules,)
        preview_cmd = [sys.executable, "-m", "blueprint", "preview", stack, "--json", "/dev/null"]
        floor_cmd = [sys.executable, "-c", floor_code]
        runtime_cmd = [sys.executable, "-c", _RUNTIME_FLOOR, stack, json.dumps(references)]
        previews, floors, runtimes = [], [], []
        for _ in range(args.runs):
            previews.append(wall_time(preview_cmd))
            floors.append(wall_time(floor_cmd))
            runtimes.append(wall_time(runtime_cmd))
        preview, floor, runtime = (statistics.median(x) for x in (previews, floors, runtimes))
        print(
            f"{stack:<8} {preview:>9.2f} {floor:>14.2f} {preview / floor:>5.2f}x {runtime:>15.2f} {preview / runtime:>5.2f}x"
            f"  ({len(modules)} SDK modules)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
