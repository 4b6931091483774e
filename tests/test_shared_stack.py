"""The shared stack (registry + seeded environments) and how environment stacks consume it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from blueprint.program.environment_templates import load_environment_templates
from components.roles import BuiltInRole
from tests.conftest import REPO, only, preview_stack

REGISTRY = "azure-native:machinelearningservices:Registry"
VERSION = "azure-native:machinelearningservices:RegistryEnvironmentVersion"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"


def test_shared_stack_publishes_every_environment_at_its_content_version():
    plan = preview_stack("shared")
    registry = only(plan, REGISTRY)
    assert registry.inputs["publicNetworkAccess"] == "Disabled" and registry.protect
    published = {(v.inputs["environmentName"], v.inputs["version"]) for v in plan.of_type(VERSION)}
    expected = {(t.name, t.version) for t in load_environment_templates(REPO / "ml_templates", REPO)}
    assert published == expected and len(expected) >= 3
    assert plan.outputs["environmentVersions"] == dict(sorted(expected))
    assert plan.outputs["registryId"] == registry.id


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_environment_stacks_read_the_shared_registry(stack):
    plan = preview_stack(stack)
    shared = preview_stack("shared")
    (reference,) = [r for r in plan.resources if r.type == "pulumi:pulumi:StackReference"]
    assert reference.operation == "read" and reference.inputs["name"] == "shared"
    assert plan.outputs["registryName"] == shared.outputs["registryName"]
    assert plan.outputs["environments"] == shared.outputs["environments"]
    assert all(f"/registries/{shared.outputs['registryName']}/environments/" in ref for ref in plan.outputs["environments"].values())


def test_people_and_compute_get_registry_access_in_the_workspace_stacks():
    plan = preview_stack("dev")
    registry_id = preview_stack("shared").outputs["registryId"]
    on_registry = [a for a in plan.of_type(ASSIGNMENT) if a.inputs["scope"] == registry_id]
    roles = {a.inputs["roleDefinitionId"].rsplit("/", 1)[1] for a in on_registry}
    assert roles == {BuiltInRole.AZUREML_REGISTRY_USER.definition_guid}
    assert {a.inputs["principalType"] for a in on_registry} == {"Group", "ServicePrincipal"}


def test_private_stacks_reach_the_registry_through_a_private_endpoint():
    plan = preview_stack("prod")
    registry_id = preview_stack("shared").outputs["registryId"]
    endpoints = [p for p in plan.of_type("azure-native:network:PrivateEndpoint")
                 if p.inputs["privateLinkServiceConnections"][0]["groupIds"] == ["amlregistry"]]
    assert [e.inputs["privateLinkServiceConnections"][0]["privateLinkServiceId"] for e in endpoints] == [registry_id]


def test_changing_a_conda_file_changes_the_version_the_dev_stack_sees(tmp_path: Path):
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO / name, project)
    shutil.copytree(REPO / "stacks", project / "stacks")
    shutil.copytree(REPO / "ml_templates" / "environments", project / "ml_templates" / "environments")

    def environments() -> dict[str, str]:
        result = subprocess.run([sys.executable, "-m", "blueprint", "preview", "dev", "--json"], cwd=project,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)["outputs"]["environments"]

    before = environments()
    conda = project / "ml_templates" / "environments" / "cpu-training" / "conda.yml"
    conda.write_text(conda.read_text().replace("dependencies:", "# retrained with a new pin\ndependencies:", 1))
    after = environments()
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"sklearn-training"}


def test_a_broken_shared_stack_fails_the_referencing_preview_with_exit_2(tmp_path: Path):
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO / name, project)
    shutil.copytree(REPO / "stacks", project / "stacks")
    result = subprocess.run([sys.executable, "-m", "blueprint", "preview", "dev"], cwd=project,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert "referenced stack shared could not be previewed: ml_templates: invalid environment template" in result.stderr
    assert "Traceback" not in result.stderr
