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


@pytest.mark.parametrize("between_runs, resident, collected", [
    (True, 100, True),     # the default: every run starts with a collection
    (False, 100, False),   # a disposable worker below the ceiling skips it
    (False, 10_000, True),  # ... but not above it
    (False, None, True),   # memory that cannot be read: collect, as by default
])
def test_a_run_collects_first_unless_a_disposable_process_is_below_the_ceiling(
    monkeypatch: pytest.MonkeyPatch, between_runs: bool, resident: int | None, collected: bool
) -> None:
    from blueprint.tools.preview import gc_tuning

    calls: list[int] = []
    monkeypatch.setattr(gc_tuning.gc, "collect", lambda *args: calls.append(1) or 0)
    monkeypatch.setattr(gc_tuning, "resident_mib", lambda: resident)
    gc_tuning.collect_between_runs(between_runs)
    try:
        with tuned_gc():
            pass
    finally:
        gc_tuning.collect_between_runs(True)
        gc.unfreeze()
    assert bool(calls) == collected


def test_resident_memory_is_read_on_linux() -> None:
    from blueprint.tools.preview.gc_tuning import resident_mib

    resident = resident_mib()
    assert resident is None or 10 < resident < 4096
