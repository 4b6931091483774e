"""The wiring check: every asset the shipped stacks, templates and workflows use is published, and each break the
platform once had (a pipeline nobody published, workspace environments, a uri_folder baseline) is reported with
the reference and where it is made."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from blueprint.tools.assets import Asset, parse_reference
from blueprint.tools.wiring import POLICY, check_wiring, plan_publishers, plan_references, read_project_wiring
from conftest import REPO, preview_stack

REGISTRY = "mlr-mlp-shared-weu-krhx5"


def _project(tmp_path: Path) -> Path:
    """The templates and workflows of the project, in a folder a test may break."""
    target = tmp_path / "project"
    shutil.copytree(REPO / "ml_templates", target / "ml_templates", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / ".github", target / ".github")
    return target


def _messages(plan, project: Path, stack: str) -> list[str]:
    return [finding.message for finding in check_wiring(plan, read_project_wiring(project), stack)[1]]


@pytest.mark.parametrize("stack", ["shared", "dev", "staging", "prod", "bootstrap"])
def test_every_shipped_stack_is_wired(stack: str) -> None:
    count, findings = check_wiring(preview_stack(stack), read_project_wiring(REPO), stack)
    assert findings == []
    if stack in ("dev", "staging", "prod"):
        assert count > 0  # the templates are followed for every stack with a shared registry


def test_the_references_the_plans_make_are_the_ones_that_matter() -> None:
    prod = {(r.asset.kind, r.asset.name, r.asset.registry) for r in plan_references(preview_stack("prod"))}
    assert ("components", "training_pipeline", REGISTRY) in prod  # the retraining schedule
    assert ("models", "fraud-classifier", REGISTRY) in prod  # the deployments
    assert ("data", "fraud-training-reference", None) in prod  # the monitors' MLTable baseline
    published = {p.asset for p in plan_publishers(preview_stack("prod"))}
    assert Asset("data", "fraud-training-reference") in published  # registered by prod's retraining pipeline
    assert Asset("environments", "sklearn-training", REGISTRY) in published  # from the shared stack


def test_shared_stack_publishes_its_environment_versions() -> None:
    published = {p.asset for p in plan_publishers(preview_stack("shared"))}
    assert {Asset("environments", n, REGISTRY) for n in ("sklearn-training", "sklearn-inference", "pytorch-gpu-training")} <= published


def test_a_workspace_environment_in_a_template_is_reported(tmp_path: Path) -> None:
    project = _project(tmp_path)
    train = project / "ml_templates" / "components" / "train.yml"
    train.write_text(train.read_text().replace(f"azureml://registries/{REGISTRY}/environments/sklearn-training/labels/latest", "azureml:sklearn-training@latest"))
    messages = _messages(preview_stack("staging"), project, "staging")
    assert len(messages) == 1
    assert "ml_templates/components/train.yml (environment)" in messages[0]
    assert "azureml:sklearn-training@latest (environment sklearn-training in the workspace)" in messages[0]


def test_a_template_naming_another_registry_is_told_to_render_for_the_stack(tmp_path: Path) -> None:
    project = _project(tmp_path)
    component = project / "ml_templates" / "components" / "evaluate.yml"
    component.write_text(component.read_text().replace(REGISTRY, "mlr-other-registry"))
    [message] = _messages(preview_stack("staging"), project, "staging")
    assert "registry mlr-other-registry" in message and "blueprint templates render staging" in message


def test_a_schedule_whose_pipeline_nothing_publishes_is_reported(tmp_path: Path) -> None:
    project = _project(tmp_path)
    workflow = project / ".github" / "workflows" / "models.yml"
    text = workflow.read_text()
    assert "az ml component create" in text
    workflow.write_text(text.replace("az ml component create", "echo az ml component create"))
    messages = _messages(preview_stack("staging"), project, "staging")
    assert messages and all("nothing publishes" in m for m in messages)
    assert any(m.startswith("Schedule retraining (properties.action.jobDefinition.jobs.training_pipeline.componentId)")
               and "component training_pipeline in registry" in m for m in messages)


def test_a_model_nothing_shares_is_reported(tmp_path: Path) -> None:
    project = _project(tmp_path)
    workflow = project / ".github" / "workflows" / "models.yml"
    workflow.write_text(workflow.read_text().replace("MODEL_NAME: fraud-classifier", "MODEL_NAME: other-model"))
    messages = _messages(preview_stack("prod"), project, "prod")
    assert any("OnlineDeployment endpoint-fraud-blue" in m and "model fraud-classifier in registry" in m for m in messages)


def test_a_monitor_baseline_nothing_registers_is_reported(tmp_path: Path, project_copy: Path) -> None:
    """The break the platform had: prod's monitors compared with a uri_folder asset that nothing registered."""
    from blueprint.program.project import load_project, read_stack_config
    from blueprint.tools.preview.runner import run_program

    shutil.copytree(REPO / "ml_templates", project_copy / "ml_templates", ignore=shutil.ignore_patterns("__pycache__"))  # prod reads the shared stack, which publishes them
    stack_file = project_copy / "stacks" / "Pulumi.prod.yaml"
    stack_file.write_text(stack_file.read_text().replace("baselineData: azureml:fraud-training-reference:1", "baselineData: azureml:fraud-training-data:1"))
    project = load_project(project_copy)
    plan = run_program(project, "prod", read_stack_config(project, "prod"))
    messages = _messages(plan, _project(tmp_path / "templates"), "prod")
    assert messages and all("data fraud-training-data in the workspace" in m for m in messages)
    assert any(m.startswith("Schedule monitor-fraud-blue (properties.action.monitorDefinition.signals.data_drift.referenceData.uri)") for m in messages)


def test_the_templates_as_they_were_fail_the_check(tmp_path: Path) -> None:
    """The templates as they were when the models workflow failed on a fresh workspace (workspace environments,
    pipeline inputs from data assets nobody registers): every break is named with its file."""
    project = _project(tmp_path)
    for path in (project / "ml_templates").rglob("*.yml"):
        text = path.read_text().replace(f"azureml://registries/{REGISTRY}/environments/", "azureml:").replace("/labels/latest", "@latest")
        text = text.replace("path: azureml://datastores/workspaceblobstore/paths/fraud/training/", "path: azureml:fraud-training-data@latest")
        path.write_text(text)
    messages = _messages(preview_stack("staging"), project, "staging")
    for component in ("train", "evaluate", "register", "data_check"):
        assert any(f"ml_templates/components/{component}.yml (environment) uses azureml:sklearn-training@latest" in m for m in messages)
    assert any("endpoints/online-deployment.yml (environment) uses azureml:sklearn-inference@latest" in m for m in messages)
    assert any("pipelines/training-pipeline.yml (inputs.training_data.path) uses azureml:fraud-training-data@latest" in m for m in messages)


def test_check_reports_the_wiring_and_fails_on_a_break(tmp_path: Path, project_copy: Path, capsys) -> None:
    from blueprint.tools.cli import main

    shutil.copytree(REPO / "ml_templates", project_copy / "ml_templates", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / ".github", project_copy / ".github")
    shutil.copytree(REPO / "policies", project_copy / "policies", ignore=shutil.ignore_patterns("__pycache__"))
    assert main(["check", "staging", "--program", str(project_copy)]) == 0
    assert "asset wiring: 13 asset references, each published" in capsys.readouterr().out
    data_check = project_copy / "ml_templates" / "components" / "data_check.yml"
    data_check.write_text(data_check.read_text().replace(f"azureml://registries/{REGISTRY}/environments/sklearn-training/labels/latest", "azureml:sklearn-training@latest"))
    assert main(["check", "staging", "--program", str(project_copy), "--output-dir", str(tmp_path / "reports")]) == 1
    out = capsys.readouterr().out
    assert f"[mandatory] {POLICY}: (stack): ml_templates/components/data_check.yml (environment) uses azureml:sklearn-training@latest" in out
    assert "asset wiring: 13 asset references, 1 with no publisher" in out
    assert POLICY in (tmp_path / "reports" / "check.sarif").read_text()


@pytest.mark.parametrize(("text", "key", "expected"), [
    (f"azureml://registries/{REGISTRY}/models/fraud-classifier/versions/3", None, Asset("models", "fraud-classifier", REGISTRY)),
    (f"azureml://registries/{REGISTRY}/components/training_pipeline/labels/latest", None, Asset("components", "training_pipeline", REGISTRY)),
    ("azureml:/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/data/base/versions/1", None, Asset("data", "base")),
    ("azureml:fraud-classifier@latest", "model", Asset("models", "fraud-classifier")),
    ("azureml:sklearn-training:4", "environment", Asset("environments", "sklearn-training")),
    ("azureml:cpu-general", "compute", None),
    ("azureml://datastores/workspaceblobstore/paths/fraud/training/", "path", None),
    ("../components/train.yml", "component", None),
])
def test_references_are_read_as_azure_ml_writes_them(text: str, key: str | None, expected: Asset | None) -> None:
    assert parse_reference(text, key) == expected


def test_a_template_the_check_cannot_read_stops_it(tmp_path: Path, project_copy: Path, capsys) -> None:
    """Fail closed: references in a file the check cannot read would pass unchecked."""
    from blueprint.tools.cli import main

    for name in ("ml_templates", ".github", "policies"):
        shutil.copytree(REPO / name, project_copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    broken = project_copy / "ml_templates" / "monitoring" / "model-monitor.yml"
    broken.write_text("create_monitor: [unclosed\n")
    assert main(["check", "staging", "--program", str(project_copy)]) == 2
    err = capsys.readouterr().err
    assert "model-monitor.yml: cannot read it to check the asset wiring" in err and "Traceback" not in err


def test_the_pipeline_publishes_its_baseline_and_the_model_its_register_step_registers() -> None:
    published = {(p.asset, p.by) for p in read_project_wiring(REPO).publishers}
    assert (Asset("data", "fraud-training-reference"), "ml_templates/pipelines/training-pipeline.yml (output training_reference)") in published
    assert (Asset("models", "fraud-classifier"), "ml_templates/pipelines/training-pipeline.yml (job register)") in published
