"""Offline preview wall time per stack, beside the floor: a bare Python process importing the same SDK modules.

Run: .venv/bin/python benchmarks/preview_benchmark.py [--runs N] [stack ...]

The floor is what any Pulumi Python program using these resource types pays before doing anything; the ratio
shows what the preview itself (config validation, mocks, recording, rendering) adds on top. Goal: <= 1.5x.
Both are measured as fresh processes, median of N runs, on the same machine, interleaved.
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
from blueprint.cli import main
main(["preview", sys.argv[1], "--json", "/dev/null"])
sdk = sorted(name for name, module in sys.modules.items()
             if name.split(".")[0] in ("pulumi", "pulumi_azure_native", "pulumi_azuread")
             and getattr(module, "__file__", None))
sys.stderr.write(json.dumps(sdk))
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
    parser.add_argument("stacks", nargs="*", default=["dev", "staging", "prod"])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    print(f"{'stack':<10} {'preview s':>10} {'floor s':>9} {'ratio':>6}  (median of {args.runs} fresh processes)")
    for stack in args.stacks:
        modules = sdk_modules(stack)
        floor_code = "import importlib\nfor name in %r:\n    importlib.import_module(name)\n" % (modules,)
        preview_cmd = [sys.executable, "-m", "blueprint", "preview", stack, "--json", "/dev/null"]
        floor_cmd = [sys.executable, "-c", floor_code]
        previews, floors = [], []
        for _ in range(args.runs):
            previews.append(wall_time(preview_cmd))
            floors.append(wall_time(floor_cmd))
        preview, floor = statistics.median(previews), statistics.median(floors)
        print(f"{stack:<10} {preview:>10.2f} {floor:>9.2f} {preview / floor:>5.2f}x  ({len(modules)} SDK modules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
