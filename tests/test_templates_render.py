"""`blueprint templates render`: the templates for one stack, with its registry and published versions pinned."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from blueprint.tools.errors import UsageError
from blueprint.tools.templates.render import PUBLISH_LIST, render
from conftest import REPO, preview_stack

OTHER_REGISTRY = "mlr-acme-shared-neu-abcde"


def _environments() -> dict[str, str]:
    return dict(preview_stack("staging").outputs["environments"])


def _templates(tmp_path: Path) -> Path:
    target = tmp_path / "ml_templates"
    shutil.copytree(REPO / "ml_templates", target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def _publish_list(output: Path) -> list[list[str]]:
    return [line.split("\t") for line in (output / PUBLISH_LIST).read_text().splitlines()]


def test_render_pins_the_stacks_registry_and_versions(tmp_path: Path) -> None:
    environments = _environments()
    registry = preview_stack("staging").outputs["registryName"]
    published = render(REPO / "ml_templates", registry, environments, tmp_path / "out")
    names = [item.name for item in published]
    assert names == ["data_check", "evaluate", "register", "train", "training_pipeline"]  # components before the pipeline that uses them
    train = yaml.safe_load((tmp_path / "out" / "components" / "train.yml").read_text())
    assert train["environment"] == environments["sklearn-training"]
    assert train["environment"].startswith(f"azureml://registries/{registry}/environments/sklearn-training/versions/")
    versions = {item.name: item.version for item in published}
    assert train["version"] == versions["train"]
    pipeline = yaml.safe_load((tmp_path / "out" / "pipelines" / "training-pipeline-component.yml").read_text())
    assert pipeline["name"] == "training_pipeline" and pipeline["type"] == "pipeline"
    assert pipeline["jobs"]["train"]["component"] == f"azureml://registries/{registry}/components/train/versions/{versions['train']}"
    assert pipeline["outputs"]["training_reference"] == {"type": "mltable"}
    assert pipeline["inputs"]["min_score"] == {"type": "number", "default": 0.7}
    job = yaml.safe_load((tmp_path / "out" / "pipelines" / "training-pipeline.yml").read_text())
    assert job["jobs"]["register"]["component"] == f"azureml://registries/{registry}/components/register/versions/{versions['register']}"
    assert job["outputs"]["training_reference"]["name"] == "fraud-training-reference"
    assert (tmp_path / "out" / "src" / "train.py").is_file()  # the components' code: ../src
    deployment = yaml.safe_load((tmp_path / "out" / "endpoints" / "online-deployment.yml").read_text())
    assert deployment["model"] == f"azureml://registries/{registry}/models/fraud-classifier/labels/latest"
    assert _publish_list(tmp_path / "out")[-1] == ["pipelines/training-pipeline-component.yml", "training_pipeline", versions["training_pipeline"]]


def test_registry_models_move_to_the_stacks_registry(tmp_path: Path) -> None:
    render(REPO / "ml_templates", OTHER_REGISTRY, _environments(), tmp_path / "out")
    for name in ("online-deployment.yml", "mlflow-online-deployment.yml", "batch-deployment.yml"):
        model = yaml.safe_load((tmp_path / "out" / "endpoints" / name).read_text())["model"]
        assert model == f"azureml://registries/{OTHER_REGISTRY}/models/fraud-classifier/labels/latest", name


def test_versions_follow_content_only(tmp_path: Path) -> None:
    templates = _templates(tmp_path)
    first = {p.name: p.version for p in render(templates, OTHER_REGISTRY, _environments(), tmp_path / "one")}
    again = {p.name: p.version for p in render(templates, OTHER_REGISTRY, _environments(), tmp_path / "two")}
    assert first == again
    script = templates / "src" / "train.py"
    script.write_text(script.read_text() + "\n# a change\n")
    changed = {p.name: p.version for p in render(templates, OTHER_REGISTRY, _environments(), tmp_path / "three")}
    assert changed["train"] != first["train"] and changed["training_pipeline"] != first["training_pipeline"]
    assert changed["evaluate"] != first["evaluate"]  # it shares the code folder
    yml = templates / "components" / "evaluate.yml"
    yml.write_text(yml.read_text().replace("Evaluate the candidate against the champion", "Evaluate the candidate"))
    assert {p.name: p.version for p in render(templates, OTHER_REGISTRY, _environments(), tmp_path / "four")}["evaluate"] != changed["evaluate"]


def test_an_environment_the_registry_does_not_publish_is_refused(tmp_path: Path) -> None:
    environments = {k: v for k, v in _environments().items() if k != "sklearn-inference"}
    with pytest.raises(UsageError, match=r"endpoints/online-deployment.yml: environment: .*sklearn-inference.*does not publish"):
        render(REPO / "ml_templates", "r", environments, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not list(tmp_path.iterdir())  # nothing half-written


def test_render_never_overwrites(tmp_path: Path, capsys) -> None:
    from blueprint.tools.cli import main

    existing = tmp_path / "out"
    existing.mkdir()
    (existing / "keep.txt").write_text("mine")
    assert main(["templates", "render", "staging", "--program", str(REPO), "--output", str(existing)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert [p.name for p in existing.iterdir()] == ["keep.txt"]


def test_render_command_end_to_end(tmp_path: Path, capsys) -> None:
    from blueprint.tools.cli import main

    assert main(["templates", "render", "staging", "--program", str(REPO), "--output", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "training_pipeline" in out and "publish.tsv" in out
    assert main(["templates", "render", "bootstrap", "--program", str(REPO), "--output", str(tmp_path / "again")]) == 2
    assert "no shared registry" in capsys.readouterr().err


def test_rendered_templates_load_with_azure_ai_ml(tmp_path: Path) -> None:
    """What the models workflow publishes and submits is what azure-ai-ml accepts, the pipeline component included."""
    from blueprint.tools.templates.validate import check_templates

    render(REPO / "ml_templates", preview_stack("staging").outputs["registryName"], _environments(), tmp_path / "out")
    report = check_templates(tmp_path / "out")
    assert report.problems == []
    assert any(str(path).endswith("training-pipeline-component.yml") for path in report.checked)
