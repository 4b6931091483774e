"""``blueprint promote``: one deployment moves to another model version, in the stack file, and nothing else changes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.test_cli import blueprint

GREEN = ("--endpoint", "fraud", "--deployment", "green")


def prod_file(project: Path) -> Path:
    return project / "stacks" / "Pulumi.prod.yaml"


@pytest.mark.e2e
def test_promote_changes_only_that_deployments_model(project_copy):
    before = prod_file(project_copy).read_text().splitlines()
    result = blueprint("promote", "prod", *GREEN, "--model", "registry:fraud-classifier:7", cwd=project_copy)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "stacks/Pulumi.prod.yaml: mlplatform:endpoints[0].deployments[1].model: registry:fraud-classifier:2 -> registry:fraud-classifier:7"
    )
    after = prod_file(project_copy).read_text().splitlines()
    changed = [(old, new) for old, new in zip(before, after) if old != new]
    assert len(before) == len(after)
    assert changed == [("          model: registry:fraud-classifier:2", "          model: registry:fraud-classifier:7")]
    deployments = yaml.safe_load("\n".join(after))["config"]["mlplatform:endpoints"][0]["deployments"]
    assert [d["model"] for d in deployments] == ["registry:fraud-classifier:1", "registry:fraud-classifier:7"]


def test_promoting_to_the_current_model_changes_nothing(project_copy):
    before = prod_file(project_copy).read_bytes()
    result = blueprint("promote", "prod", *GREEN, "--model", "registry:fraud-classifier:2", cwd=project_copy)
    assert result.returncode == 0
    assert "is already registry:fraud-classifier:2; nothing to change" in result.stdout
    assert prod_file(project_copy).read_bytes() == before


@pytest.mark.parametrize(
    ("stack", "args", "message"),
    [
        ("prod", ("--endpoint", "nope", "--deployment", "green", "--model", "registry:m:1"), "mlplatform:endpoints: no endpoint named 'nope' (endpoints here: fraud)"),
        ("prod", ("--endpoint", "fraud", "--deployment", "red", "--model", "registry:m:1"), "mlplatform:endpoints[0].deployments: no deployment named 'red' (deployments here: blue, green)"),
        ("prod", (*GREEN, "--model", "fraud-classifier:7"), "mlplatform:endpoints[0].deployments[1].model: expected registry:<model>:<version>"),
        ("dev", (*GREEN, "--model", "registry:m:1"), "stacks/Pulumi.dev.yaml: mlplatform:endpoints: expected the stack's online endpoints, found none"),
        ("nope", (*GREEN, "--model", "registry:m:1"), "stacks/Pulumi.nope.yaml: no such stack file"),
    ],
)
def test_bad_input_exits_2_and_leaves_the_file_alone(project_copy, capsys, stack, args, message):
    from blueprint.cli import main

    before = {path.name: path.read_bytes() for path in (project_copy / "stacks").iterdir()}
    assert main(["promote", stack, *args, "--program", str(project_copy)]) == 2
    assert message in capsys.readouterr().err
    assert {path.name: path.read_bytes() for path in (project_copy / "stacks").iterdir()} == before
