"""Offline preview wall time per stack, beside the floor: a bare Python process importing the same SDK modules.

Run: .venv/bin/python benchmarks/preview_benchmark.py [--runs N] [stack ...]

Two floors, both fresh processes on the same machine, run alternately with the preview (preview, import floor,
runtime floor, preview, ...), median of N runs:

- import floor: a bare Python process importing the SDK modules the preview loaded. This is the issue's floor, "a
  bare Python process that imports pulumi and resolves the resource classes the plan uses": resolving a class
  (``pulumi_azure_native.network.VirtualNetwork``) imports its package, whose ``__init__`` loads the package's
  modules, so the two load the same modules. The benchmark checks that for every stack it measures: it resolves the
  plan's classes in a bare process and compares the SDK modules loaded, and says so on the stack's line (prod:
  1,214 modules either way when this was written). Goal (issue 14): ``preview prod`` at most 1.0x this floor; the
  ratio and whether the goal is met are printed for every stack, and the prod verdict at the end.
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
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: Prints the SDK modules a preview really loaded (lazy placeholders excluded), so the floor imports the same; the
#: plan goes to the file named by the second argument.
_LOADED_MODULES = """
import json, sys
from blueprint.tools.cli import main
main(["preview", sys.argv[1], "--json", sys.argv[2]])
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


#: The Python packages of the resource types' Pulumi packages.
SDK_PACKAGES = {"azure-native": "pulumi_azure_native", "azuread": "pulumi_azuread"}
#: The goal of issue 14: ``preview prod`` at most this many times the import floor.
GOAL_RATIO = 1.0
GOAL_STACK = "prod"

#: What a bare process that resolves the given classes (``module:Class``) imports from the SDKs.
_RESOLVE_CLASSES = """
import importlib, json, sys
import pulumi
for spec in json.loads(sys.argv[1]):
    module, name = spec.split(":")
    getattr(importlib.import_module(module), name)
print(json.dumps(sorted(n for n, m in sys.modules.items()
                        if n.split(".")[0] in ("pulumi", "pulumi_azure_native", "pulumi_azuread") and getattr(m, "__file__", None))))
"""


def sdk_modules(stack: str) -> tuple[list[str], list[str]]:
    """The SDK modules a preview of ``stack`` loaded, and the classes (``module:Class``) its plan's resources use."""
    with tempfile.TemporaryDirectory(prefix="preview-bench-") as tmp:
        plan_file = Path(tmp) / "plan.json"
        result = subprocess.run(
            [sys.executable, "-c", _LOADED_MODULES, stack, str(plan_file)], cwd=REPO, capture_output=True, text=True, check=True
        )
        types = {resource["type"] for resource in json.loads(plan_file.read_text())["resources"]}
    return json.loads(result.stderr.strip().splitlines()[-1]), sorted(filter(None, map(class_of, types)))


def class_of(token: str) -> str | None:
    """``module:Class`` of a resource type token (``azure-native:network:VirtualNetwork``), None for the program's
    own component types and the stack itself."""
    package, module, name = token.split(":")
    if token == "pulumi:pulumi:StackReference":
        return "pulumi:StackReference"
    if package == "pulumi" and module == "providers" and name in SDK_PACKAGES:
        return f"{SDK_PACKAGES[name]}:Provider"
    if package not in SDK_PACKAGES:
        return None
    path = [] if module.split("/")[0] == "index" else module.split("/")
    return f"{'.'.join([SDK_PACKAGES[package], *path])}:{name}"


def class_floor_modules(classes: list[str]) -> list[str]:
    """The SDK modules a bare process loads to import pulumi and resolve ``classes``: the issue's floor."""
    result = subprocess.run([sys.executable, "-c", _RESOLVE_CLASSES, json.dumps(classes)], cwd=REPO,
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def wall_time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stacks", nargs="*", default=["shared", "dev", "staging", "prod"])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    print(f"{'stack':<8} {'preview s':>9} {'import floor s':>14} {'ratio':>6} {'goal':>7} {'runtime floor s':>15} {'ratio':>6}"
          f"  (median of {args.runs} fresh processes, alternating; goal: preview <= {GOAL_RATIO:.1f}x the import floor)")
    shared = subprocess.run([sys.executable, "-m", "blueprint", "preview", "shared", "--json"], cwd=REPO,
                            capture_output=True, text=True, check=True)
    references = {"shared": json.loads(shared.stdout)["outputs"]}
    verdicts: dict[str, str] = {}
    for stack in args.stacks:
        modules, classes = sdk_modules(stack)
        resolved = class_floor_modules(classes)
        same = (f"the same as importing pulumi and resolving the plan's {len(classes)} classes" if resolved == modules else
                f"WARNING: resolving the plan's {len(classes)} classes loads {len(resolved)} modules, not the same set")
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
        ratio = preview / floor
        verdicts[stack] = f"{'MET' if ratio <= GOAL_RATIO else 'NOT MET'} ({ratio:.3f}x)"
        print(
            f"{stack:<8} {preview:>9.2f} {floor:>14.2f} {ratio:>5.2f}x {'MET' if ratio <= GOAL_RATIO else 'NOT MET':>7}"
            f" {runtime:>15.2f} {preview / runtime:>5.2f}x  (import floor: {len(modules)} SDK modules, {same})"
        )
    verdict = verdicts.get(GOAL_STACK, f"NOT JUDGED ({GOAL_STACK} was not measured)")
    print(f"\nGoal (issue 14): `preview {GOAL_STACK}` at most {GOAL_RATIO:.1f}x the import floor, median of alternating runs: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
