"""Configuration is declared once per feature: schema, typed stack and docs follow, and nothing else needs an edit."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from blueprint.program import generated, settings
from blueprint.program.config import ConfigError
from blueprint.program.config import schema as config_schema
from blueprint.program.config.reference import configuration_reference
from blueprint.program.features import compute
from blueprint.program.settings import setting
from blueprint.program.stacks import kinds
from tests.conftest import REPO, decoded, stack_config
from tests.test_config import load


def test_generated_files_are_current():
    """schema/stack-file.schema.json and docs/configuration.md's reference: run scripts/generate_reference.py."""
    assert generated.stale_files(REPO) == []


def test_check_script_reports_a_stale_file(tmp_path):
    for name in ("Pulumi.yaml", "schema/stack-file.schema.json", "docs/configuration.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text((REPO / name).read_text())
    (tmp_path / "stacks").mkdir()
    (tmp_path / "__main__.py").write_text("")
    page = tmp_path / "docs/configuration.md"
    page.write_text(page.read_text().replace("| `namingPrefix` |", "| `namingPrefx` |"))
    assert generated.stale_files(tmp_path) == [page]
    assert generated.write_generated(tmp_path) == [page]
    assert generated.stale_files(tmp_path) == [] and page.read_text() == (REPO / "docs/configuration.md").read_text()


def test_every_key_of_the_schema_is_in_the_reference():
    reference = configuration_reference()

    def keys(node: dict, prefix: str) -> list[str]:
        found = []
        for name, child in node.get("properties", {}).items():
            path = f"{prefix}{name}"
            found.append(path)
            found += keys(child, f"{path}.")
            found += keys(child.get("items", {}), f"{path}[].")
            extra = child.get("additionalProperties")
            for arm in [extra, *(extra or {}).get("oneOf", [])] if isinstance(extra, dict) else []:
                found += keys(arm, f"{path}.<name>.")
        return found

    schema = config_schema.platform_schema()
    missing = [key for key in keys(schema, "") if not key.startswith("tags.") and f"`{key}`" not in reference]
    assert missing == []


@pytest.fixture
def cluster_priority(monkeypatch):
    """A new key, ``clusters[].priority``, added the way a contributor would: one field on the feature's dataclass."""

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class ClusterSettings(compute.ClusterSettings):
        """One AmlCompute cluster."""

        priority: int = setting("priority", "Scheduling priority of the cluster's jobs.", default=5, minimum=1, maximum=9)

    monkeypatch.setattr(kinds, "ClusterSettings", ClusterSettings)
    settings.settings_of.cache_clear()
    config_schema.platform_schema.cache_clear()
    yield
    settings.settings_of.cache_clear()
    config_schema.platform_schema.cache_clear()


def test_a_new_key_needs_only_its_feature(cluster_priority):
    """Validation, the typed value with its default, the editor schema and the docs all follow from the field;
    the committed generated files are then reported stale until regenerated."""
    spec = config_schema.platform_schema()["properties"]["clusters"]["items"]["properties"]["priority"]
    assert spec == {"type": "integer", "minimum": 1, "maximum": 9, "description": "Scheduling priority of the cluster's jobs. Default: 5."}
    assert "priority" in json.dumps(config_schema.stack_file_schema("mlplatform"))
    assert "| `clusters[].priority` | integer | no | 5 | ≥ 1; ≤ 9 | Scheduling priority of the cluster's jobs. |" in configuration_reference()

    dev = decoded(stack_config("dev"))
    assert {c.priority for c in load(dev).clusters} == {5}
    dev["mlplatform:clusters"][0]["priority"] = 2
    assert load(dev).clusters[0].priority == 2
    dev["mlplatform:clusters"][0]["priority"] = 10
    with pytest.raises(ConfigError) as error:
        load(dev)
    assert "mlplatform:clusters[0].priority: expected an integer from 1 to 9, found integer 10" in str(error.value)

    assert sorted(path.relative_to(REPO).as_posix() for path in generated.stale_files(REPO)) == [
        "docs/configuration.md", "schema/stack-file.schema.json"]


def test_adding_a_key_end_to_end_touches_only_its_feature_module(tmp_path):
    """In a copy of the project, add a key to features/compute.py and nothing else: the check names the two stale
    generated files, the generator rewrites exactly those, and the preview validates the new key."""
    tracked = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    for name in tracked:
        if (REPO / name).is_file() and not name.startswith(("tests/", ".github/", "ml_templates/src/")):
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_bytes((REPO / name).read_bytes())
    before = {name: (tmp_path / name).read_bytes() for name in tracked if (tmp_path / name).is_file()}
    feature = tmp_path / "blueprint/program/features/compute.py"
    anchor = '    idle_seconds_before_scale_down: int = setting('
    feature.write_text(feature.read_text().replace(anchor, '    priority: int = setting("priority", "Scheduling priority.", default=5, minimum=1, maximum=9)\n' + anchor, 1))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, *args], cwd=tmp_path, capture_output=True, text=True, timeout=300)

    check = run("scripts/generate_reference.py", "--check")
    assert check.returncode == 1 and sorted(check.stderr.split()[0::5]) == ["docs/configuration.md:", "schema/stack-file.schema.json:"]
    assert run("scripts/generate_reference.py").returncode == 0
    changed = sorted(name for name, data in before.items() if (tmp_path / name).read_bytes() != data)
    assert changed == ["blueprint/program/features/compute.py", "docs/configuration.md", "schema/stack-file.schema.json"]
    assert "`clusters[].priority`" in (tmp_path / "docs/configuration.md").read_text()
    assert run("scripts/generate_reference.py", "--check").returncode == 0

    stack = tmp_path / "stacks/Pulumi.dev.yaml"
    stack.write_text(stack.read_text().replace("maxNodes: 2", "maxNodes: 2\n      priority: 10", 1))
    preview = run("-m", "blueprint", "preview", "dev", "--no-policies")
    assert preview.returncode == 2, preview.stderr
    assert "mlplatform:clusters[0].priority: expected an integer from 1 to 9, found integer 10" in preview.stderr


def test_environment_defaults_table_matches_the_program():
    """docs/configuration.md's table of defaults derived from the environment says what the typed stacks decide."""
    from blueprint.program.features.network import default_network_mode
    from components.options import Environment

    page = (REPO / "docs/configuration.md").read_text()
    section = page.split("## Defaults derived from the environment", 1)[1].split("\n## ", 1)[0]
    rows = {cells[0]: cells[1:] for line in section.splitlines() if line.startswith("| ")
            for cells in [[cell.strip() for cell in line.strip("|").split("|")]]}
    assert rows["Setting"][:3] == ["dev, test", "staging", "prod"]
    columns = [(Environment.DEV, Environment.TEST), (Environment.STAGING,), (Environment.PROD,)]

    def first_word(cell: str) -> str:
        return cell.split()[0].strip("`")

    for label, decide in (
        ("Log retention (days)", kinds.default_log_retention_days),
        ("Key Vault soft delete (days)", kinds.key_vault_soft_delete_days),
        ("Blob and container soft delete (days)", kinds.blob_soft_delete_days),
        ("Network tier when not set", lambda environment: default_network_mode(environment).value),
    ):
        for cell, environments in zip(rows[label], columns):
            assert {str(decide(environment)) for environment in environments} == {first_word(cell)}, label
    protection = rows["Deletion protection (Pulumi `protect` + CanNotDelete lock on the resource group)"]
    for cell, environments in zip(protection, columns):
        assert {environment.holds_production_data for environment in environments} == {cell.startswith("always on")}
    assert first_word(rows["Log retention (days)"][3]) == str(kinds.default_log_retention_days(Environment.BOOTSTRAP))


def test_readme_stacks_table_is_written_from_the_plans():
    """README.md's table of the stacks is what blueprint/tools/stack_table.py writes from their previews: run
    scripts/generate_reference.py after changing a stack file."""
    from blueprint.program.project import load_project
    from blueprint.tools.stack_table import BLOCK, replace_block, stack_table
    from tests.conftest import preview_stack

    readme = (REPO / "README.md").read_text()
    table = stack_table([preview_stack(stack) for stack in load_project(REPO).stacks()])
    assert replace_block(readme, BLOCK, table) == readme


def test_the_stacks_table_follows_a_changed_plan():
    """A cluster that no longer scales to zero shows in its row: the table states what the plan holds."""
    import copy

    from blueprint.tools.stack_table import stack_table
    from tests.conftest import preview_stack

    plan = copy.deepcopy(preview_stack("dev"))
    (cluster,) = [r for r in plan.resources if r.name == "cpu-small" and r.custom]
    cluster.inputs["properties"]["properties"]["scaleSettings"]["minNodeCount"] = 1.0
    assert "CPU `Standard_DS3_v2` 1-2" in stack_table([plan])
    assert "CPU `Standard_DS3_v2` 0-2" in stack_table([preview_stack("dev")])


def test_the_stacks_table_needs_its_markers():
    from blueprint.tools.stack_table import BLOCK, replace_block

    with pytest.raises(ValueError, match="expected one block <!-- generated: stacks-table -->"):
        replace_block("# A README without the markers\n", BLOCK, "| table |\n")
