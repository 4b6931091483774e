"""The program runs with the collector tuned (frozen imports, raised thresholds) and hands it back as it was."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest

from blueprint.program.project import load_project
from blueprint.tools.preview.gc_tuning import RUN_THRESHOLDS, tuned_gc
from blueprint.tools.preview.runner import run_program

# tuned_gc collects what earlier tests left behind, among it coroutines of their stopped runs; the CLI has
# silenced those after a stopped run already (preview/runner.py), pytest resets that filter per test.
pytestmark = pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")


def test_tuned_gc_freezes_raises_and_restores() -> None:
    before = gc.get_threshold()
    garbage = []
    garbage.append(garbage)  # a cycle only a collection frees
    del garbage
    with tuned_gc():
        assert gc.isenabled()  # never off: a long check would keep every cycle it makes
        assert gc.get_threshold() == RUN_THRESHOLDS
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    gc.unfreeze()


def test_thresholds_are_restored_when_the_block_fails() -> None:
    before = gc.get_threshold()
    try:
        with tuned_gc():
            raise RuntimeError("the program failed")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before
    gc.unfreeze()


def test_the_program_runs_under_the_tuned_collector(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: probe\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks" / "Pulumi.one.yaml").write_text("config: {}\n")
    seen = tmp_path / "seen.json"
    (tmp_path / "__main__.py").write_text(f"import gc, json, pathlib\npathlib.Path({str(seen)!r}).write_text(json.dumps(gc.get_threshold()))\n")
    before = gc.get_threshold()
    run_program(load_project(tmp_path), "one", {})
    assert tuple(json.loads(seen.read_text())) == RUN_THRESHOLDS
    assert gc.get_threshold() == before
    gc.unfreeze()
