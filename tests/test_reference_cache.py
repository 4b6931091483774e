"""Referenced stacks are previewed once: outputs kept in memory for the process and on disk under the project, keyed
by what they depend on; a stale or unreadable cache entry is never trusted."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from blueprint.program.project import load_project, read_stack_config
from blueprint.tools.preview import references
from blueprint.tools.preview.references import cache_file, preview_order, read_cached, sources_key, write_cached
from conftest import REPO


@pytest.fixture
def project(project_copy: Path) -> Path:
    shutil.copytree(REPO / "ml_templates", project_copy / "ml_templates", ignore=shutil.ignore_patterns("__pycache__"))
    return project_copy


def preview(project: Path, stack: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "blueprint", "preview", stack, "--no-policies", *extra], cwd=project,
                          capture_output=True, text=True, timeout=300)


def test_a_second_preview_reads_the_referenced_stack_from_the_cache_and_writes_the_same_plan(project: Path, tmp_path: Path) -> None:
    first = preview(project, "dev", "--json", str(tmp_path / "first.json"))
    assert first.returncode == 0, first.stderr
    entry = json.loads((project / ".blueprint" / "cache" / "references" / "shared.json").read_text())
    assert entry["stack"] == "shared" and entry["outputs"]["registryName"].startswith("mlr-")
    second = preview(project, "dev", "--json", str(tmp_path / "second.json"))
    assert second.returncode == 0, second.stderr
    assert (tmp_path / "first.json").read_bytes() == (tmp_path / "second.json").read_bytes()
    # The cached entry is what the plan used: change it, and the plan shows it (the cache was read, not bypassed).
    entry["outputs"]["registryName"] = "mlr-from-the-cache"
    (project / ".blueprint" / "cache" / "references" / "shared.json").write_text(json.dumps(entry))
    third = preview(project, "dev", "--json", str(tmp_path / "third.json"))
    assert "mlr-from-the-cache" in (tmp_path / "third.json").read_text()


def test_a_changed_stack_file_or_program_source_invalidates_the_entry(project: Path) -> None:
    loaded = load_project(project)
    key = sources_key(loaded, "shared")
    write_cached(loaded, "shared", key, {"registryName": "cached"})
    assert read_cached(loaded, "shared", key) == {"registryName": "cached"}
    stack_file = project / "stacks" / "Pulumi.shared.yaml"
    stack_file.write_text(stack_file.read_text() + "\n# a comment changes the file\n")
    assert sources_key(loaded, "shared") != key
    assert read_cached(loaded, "shared", sources_key(loaded, "shared")) is None
    key = sources_key(loaded, "shared")
    (project / "__main__.py").write_text((project / "__main__.py").read_text() + "\n# the program changed\n")
    assert sources_key(loaded, "shared") != key
    template = project / "ml_templates" / "environments" / "cpu-training" / "conda.yml"
    key = sources_key(loaded, "shared")
    template.write_text(template.read_text() + "\n")
    assert sources_key(loaded, "shared") != key  # the shared stack publishes the environments


@pytest.mark.parametrize("content", ["{not json", "[]", '{"key": 1, "outputs": {}}', '{"key": "k"}'])
def test_a_corrupt_entry_is_ignored_with_a_note(project: Path, capsys, content: str) -> None:
    loaded = load_project(project)
    path = cache_file(loaded, "shared")
    path.parent.mkdir(parents=True)
    path.write_text(content)
    assert read_cached(loaded, "shared", "k") is None
    assert f"note: ignoring the reference cache {path}" in capsys.readouterr().err


def test_a_corrupt_entry_costs_a_preview_not_the_plan(project: Path, tmp_path: Path) -> None:
    path = project / ".blueprint" / "cache" / "references" / "shared.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    result = preview(project, "dev", "--json", str(tmp_path / "plan.json"))
    assert result.returncode == 0, result.stderr
    assert "note: ignoring the reference cache" in result.stderr and "previewing shared again" in result.stderr
    assert json.loads(path.read_text())["stack"] == "shared"  # replaced by a good entry


def test_remembered_outputs_spare_the_child_preview(project: Path, monkeypatch) -> None:
    """What check does: a stack it previewed itself answers the references to it, with no process started."""
    loaded = load_project(project)
    monkeypatch.setattr(references.StackOutputs, "_preview", lambda self, stack: pytest.fail(f"previewed {stack} again"))
    references.remember(loaded, "shared", {"registryName": "mlr-remembered", "n": (1, 2)})
    outputs = references.StackOutputs(loaded, "dev")("shared")
    assert outputs == {"registryName": "mlr-remembered", "n": [1, 2]}  # as a child's --json gives them
    assert not (project / ".blueprint").exists()  # a command's own previews never write into the project


def test_preview_order_puts_referenced_stacks_first_and_keeps_the_rest() -> None:
    project = load_project(REPO)
    names = project.stacks()
    configs = {name: read_stack_config(project, name) for name in names}
    order = preview_order(names, configs)
    assert sorted(order) == sorted(names)
    assert order.index("shared") < min(order.index(s) for s in ("dev", "staging", "prod"))
    assert order.index("bootstrap") > max(order.index(s) for s in ("shared", "dev", "staging", "prod"))  # it reads their CI principals
    assert preview_order(["a", "b"], {"a": {"x": "b"}, "b": {"x": "a"}}) == ["b", "a"]  # a cycle: an order all the same


def _check(project: Path, out: Path, *stacks: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "blueprint", "check", *stacks, "--output-dir", str(out)], cwd=project,
                          capture_output=True, text=True, timeout=600)


def test_check_reports_are_the_same_from_a_child_preview_the_cache_and_in_process(project: Path, tmp_path: Path) -> None:
    for name in ("policies", ".github"):
        shutil.copytree(REPO / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    cold = _check(project, tmp_path / "cold", "dev")  # shared previewed by a child, then kept on disk
    assert cold.returncode == 0, cold.stderr
    assert (project / ".blueprint" / "cache" / "references" / "shared.json").is_file()
    warm = _check(project, tmp_path / "warm", "dev")  # shared read from the cache
    shutil.rmtree(project / ".blueprint")
    together = _check(project, tmp_path / "together", "dev", "shared")  # shared previewed in this process, first
    assert together.returncode == 0, together.stderr
    assert not (project / ".blueprint").exists()  # no child, so nothing kept
    for report in ("check.json", "check.sarif", "check.junit.xml", "compliance.md", "check.txt"):
        assert (tmp_path / "cold" / report).read_bytes() == (tmp_path / "warm" / report).read_bytes(), report
    dev_only = json.loads((tmp_path / "cold" / "check.json").read_text())
    both = json.loads((tmp_path / "together" / "check.json").read_text())
    assert [f for f in both["findings"] if f["stack"] == "dev"] == dev_only["findings"]
