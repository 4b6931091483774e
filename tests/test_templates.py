"""The Azure ML templates (ml_templates/) load with azure-ai-ml, and the validator names file and field of each problem.

azure-ai-ml takes seconds to import, so the shipped templates are validated once per session and each file's
test reads that report; a broken copy is validated once per test that needs one.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from blueprint.tools.errors import UsageError
from blueprint.tools.templates import MissingDependencyError, TemplateProblem, TemplateReport, check_templates, validate_templates
from blueprint.tools.templates.validate import LOADERS
from tests.conftest import REPO

TEMPLATES = REPO / "ml_templates"
SOURCE = TEMPLATES / "src"
SCHEMA_URL = re.compile(r"^https://azuremlschemas\.azureedge\.net/latest/(?P<kind>[A-Za-z]+)\.schema\.json$")
ENVIRONMENT_NAMES = {"sklearn-training", "pytorch-gpu-training", "sklearn-inference"}


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _templates() -> list[Path]:
    """Shipped files with a ``$schema``, found with PyYAML only (cheap at collection time)."""
    found = sorted([*TEMPLATES.rglob("*.yml"), *TEMPLATES.rglob("*.yaml")])
    return [p for p in found if isinstance(data := _yaml(p), dict) and "$schema" in data]


SHIPPED = _templates()
COMPONENTS = sorted((TEMPLATES / "components").glob("*.yml"))
CONDA_FILES = sorted((TEMPLATES / "environments").glob("*/conda.yml"))


def _ids(paths: list[Path]) -> list[str]:
    return [p.relative_to(TEMPLATES).as_posix() for p in paths]


@pytest.fixture(scope="session")
def shipped_report() -> TemplateReport:
    return check_templates(TEMPLATES)


@pytest.fixture
def templates_copy(tmp_path: Path) -> Path:
    """A copy of ml_templates (with src/, which components' ``code`` must find) that a test may break."""
    target = tmp_path / "ml_templates"
    shutil.copytree(TEMPLATES, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} no longer contains {old!r}: update the test"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _problem(problems: list[TemplateProblem], path: str, field: str) -> TemplateProblem:
    found = [p for p in problems if p.path == path and p.field == field]
    assert found, f"no problem for {path}: {field}; got:\n" + "\n".join(map(str, problems))
    return found[0]


# --- the shipped templates -----------------------------------------------------------------------------------


def test_every_kind_of_template_is_shipped():
    kinds = {SCHEMA_URL.match(_yaml(p)["$schema"]).group("kind") for p in SHIPPED}
    assert {"environment", "commandComponent", "pipelineJob", "managedOnlineEndpoint", "managedOnlineDeployment",
            "batchEndpoint", "modelBatchDeployment", "monitorSchedule", "schedule"} <= kinds
    assert len(SHIPPED) >= 14


@pytest.mark.parametrize("path", SHIPPED, ids=_ids(SHIPPED))
def test_shipped_template_loads_with_azure_ai_ml(path, shipped_report):
    relative = path.relative_to(TEMPLATES).as_posix()
    assert relative in shipped_report.checked
    assert [str(p) for p in shipped_report.problems if p.path == relative] == []


@pytest.mark.parametrize("path", SHIPPED, ids=_ids(SHIPPED))
def test_schema_url_is_the_published_one_for_a_supported_kind(path):
    match = SCHEMA_URL.match(_yaml(path)["$schema"])
    assert match, "expected https://azuremlschemas.azureedge.net/latest/<kind>.schema.json"
    assert match.group("kind") in LOADERS


def test_environments_are_named_and_unversioned():
    environments = {p.parent.name: _yaml(p) for p in (TEMPLATES / "environments").glob("*/environment.yml")}
    assert {env["name"] for env in environments.values()} == ENVIRONMENT_NAMES
    for directory, env in environments.items():
        assert "version" not in env, f"{directory}: versions come from content when the platform publishes"
        assert env["image"].startswith("mcr.microsoft.com/azureml/"), directory
        assert (TEMPLATES / "environments" / directory / env["conda_file"]).is_file()
        assert env.get("description") and env.get("tags")
    assert "cuda" in environments["gpu-training"]["image"]


def _pins(conda: Path) -> dict[str, str]:
    """package -> exact version, for conda and pip dependencies alike; fails on any unpinned one."""
    pins: dict[str, str] = {}
    for dependency in _yaml(conda)["dependencies"]:
        for spec in dependency["pip"] if isinstance(dependency, dict) else [dependency]:
            name, sep, version = spec.partition("==")
            assert sep and re.fullmatch(r"[\w.+]+", version), f"{conda.parent.name}: {spec!r} is not pinned with =="
            pins[name.lower()] = version
    return pins


@pytest.mark.parametrize("conda", CONDA_FILES, ids=_ids(CONDA_FILES))
def test_every_package_is_pinned_exactly(conda):
    pins = _pins(conda)
    assert {"python", "pip", "pandas", "scikit-learn"} <= set(pins)


def test_training_and_inference_share_the_versions_a_model_is_loaded_with():
    training = _pins(TEMPLATES / "environments/cpu-training/conda.yml")
    gpu = _pins(TEMPLATES / "environments/gpu-training/conda.yml")
    inference = _pins(TEMPLATES / "environments/inference/conda.yml")
    for package in ("python", "numpy", "pandas", "scikit-learn", "skops"):
        assert training[package] == gpu[package] == inference[package], package
    assert inference["mlflow-skinny"] == training["mlflow"] == gpu["mlflow"]
    assert {"torch", "torchvision", "azureml-mlflow"} <= set(gpu)
    assert "azureml-inference-server-http" in inference


@pytest.mark.parametrize("component", COMPONENTS, ids=_ids(COMPONENTS))
def test_component_code_and_the_files_its_command_names_exist(component):
    spec = _yaml(component)
    code = (component.parent / spec["code"]).resolve()
    assert code.is_dir(), f"code: {spec['code']} is not a directory"
    assert code == SOURCE.resolve()
    command = spec["command"].split()
    assert command[0] == "python"
    local_files = [token for token in command if token.endswith((".py", ".json")) and "${{" not in token]
    assert local_files and local_files[0] == command[1]
    missing = [name for name in local_files if not (code / name).is_file()]
    assert not missing, f"{component.name} runs files missing from ml_templates/src: {missing}"


def test_online_deployment_scoring_script_exists():
    spec = _yaml(TEMPLATES / "endpoints/online-deployment.yml")["code_configuration"]
    assert (TEMPLATES / "endpoints" / spec["code"] / spec["scoring_script"]).is_file()


def test_pipeline_registers_only_through_the_evaluation_decision():
    jobs = _yaml(TEMPLATES / "pipelines/training-pipeline.yml")["jobs"]
    assert jobs["register"]["inputs"]["decision"] == "${{parent.jobs.evaluate.outputs.decision}}"
    assert jobs["register"]["inputs"]["model"] == jobs["evaluate"]["inputs"]["model"] == "${{parent.jobs.train.outputs.model_output}}"
    assert jobs["train"]["inputs"]["data"] == "${{parent.jobs.data_check.outputs.checked_data}}"


# --- the validator on broken templates -----------------------------------------------------------------------


def test_unknown_field_and_wrong_input_type_name_file_and_field(templates_copy):
    _edit(templates_copy / "environments/cpu-training/environment.yml", "conda_file: conda.yml\n", "conda_file: conda.yml\nimagez: ubuntu\n")
    _edit(templates_copy / "components/train.yml", "  seed:\n    type: integer", "  seed:\n    type: integr")
    _edit(templates_copy / "components/evaluate.yml", "  min_improvement:\n    type: number\n", "  min_improvement:\n    type: number\n    default: lots\n")

    problems = validate_templates(templates_copy)

    unknown = _problem(problems, "environments/cpu-training/environment.yml", "imagez")
    assert "Unknown field" in unknown.message and unknown.line == 6
    wrong_type = _problem(problems, "components/train.yml", "inputs.seed.type")
    assert "integr" in wrong_type.message and "integer" in wrong_type.message
    assert wrong_type.line is not None
    bad_default = _problem(problems, "components/evaluate.yml", "inputs.min_improvement.default")
    assert "lots" in bad_default.message
    # The pipeline and the schedule that use the broken components fail too, pointing at the job.
    assert any(p.path == "pipelines/training-pipeline.yml" for p in problems)
    assert {p.path for p in problems} <= {
        "environments/cpu-training/environment.yml", "components/train.yml", "components/evaluate.yml",
        "pipelines/training-pipeline.yml", "schedules/retraining.yml",
    }
    assert str(unknown).startswith("environments/cpu-training/environment.yml: imagez: ")


def test_yaml_syntax_error_is_reported_with_its_line(templates_copy):
    target = templates_copy / "endpoints/online-endpoint.yml"
    lines = target.read_text(encoding="utf-8").splitlines()
    broken_line = next(i for i, line in enumerate(lines) if line.startswith("auth_mode:")) + 1
    lines[broken_line - 1] = "auth_mode: [aad_token"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")

    problem = _problem(validate_templates(templates_copy), "endpoints/online-endpoint.yml", "(yaml)")
    assert problem.message.startswith("invalid YAML")
    assert problem.line is not None and problem.line >= broken_line
    assert f"(line {problem.line}, column" in str(problem)


def test_a_schema_without_a_loader_is_a_problem(templates_copy):
    (templates_copy / "sweep.yml").write_text("$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json\ntype: sweep\n")
    problem = _problem(validate_templates(templates_copy), "sweep.yml", "$schema")
    assert "not supported" in problem.message and problem.line == 1


def test_monitor_errors_name_the_signal(templates_copy):
    _edit(templates_copy / "monitoring/model-monitor.yml", "jensen_shannon_distance: 0.1", "jensen_shannon_distance: high")
    problems = validate_templates(templates_copy)
    assert [p.path for p in problems] == ["monitoring/model-monitor.yml"]
    assert problems[0].field.startswith("create_monitor.monitoring_signals.data_drift.metric_thresholds.numerical")


def test_files_without_schema_are_skipped(templates_copy):
    (templates_copy / "notes.yml").write_text("just: data\n")
    report = check_templates(templates_copy)
    assert report.problems == []
    assert "notes.yml" not in report.checked
    assert not any(path.endswith("conda.yml") for path in report.checked)


def test_missing_directory_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no such directory"):
        check_templates(tmp_path / "absent")


def test_without_azure_ai_ml_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "azure.ai.ml", None)
    with pytest.raises(MissingDependencyError, match="run bash scripts/setup.sh --dev"):
        check_templates(TEMPLATES)


def test_importing_the_validator_does_not_import_azure_ai_ml():
    code = "import sys, blueprint.tools.cli, blueprint.tools.templates; sys.exit('azure.ai.ml' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=60).returncode == 0


# --- the CLI end to end ----------------------------------------------------------------------------------------


def _blueprint(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "blueprint", "templates", "validate", *args], cwd=REPO, capture_output=True, text=True, timeout=120)


@pytest.mark.e2e
def test_cli_validates_the_shipped_templates():
    result = _blueprint()
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^\d+ templates under .*ml_templates load with azure-ai-ml$", result.stdout, re.M)
    assert result.stderr == ""


@pytest.mark.e2e
def test_cli_names_file_and_field_of_a_broken_copy(templates_copy):
    _edit(templates_copy / "environments/cpu-training/environment.yml", "conda_file: conda.yml\n", "conda_file: conda.yml\nimagez: ubuntu\n")
    _edit(templates_copy / "components/train.yml", "  seed:\n    type: integer", "  seed:\n    type: integr")
    result = _blueprint("--path", str(templates_copy))
    assert result.returncode == 2
    assert "environments/cpu-training/environment.yml: imagez: Unknown field." in result.stdout
    assert "components/train.yml: inputs.seed.type: " in result.stdout
    assert re.search(r"^\d+ problems in \d+ of \d+ templates under ", result.stdout, re.M)
    assert "Traceback" not in result.stderr


@pytest.mark.e2e
def test_cli_missing_path_exits_2_without_traceback(tmp_path):
    result = _blueprint("--path", str(tmp_path / "absent"))
    assert result.returncode == 2
    assert "no such directory" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.e2e
@pytest.mark.parametrize("files", [{}, {"notes.yml": "just: data\n", "env/conda.yml": "name: x\n"}], ids=["empty", "no-template"])
def test_cli_a_directory_without_templates_exits_2_since_nothing_was_checked(tmp_path, files):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    result = _blueprint("--path", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr == f"error: {tmp_path}: no Azure ML templates here (YAML files with a $schema); nothing was checked\n"
    assert result.stdout == ""


#: ``blueprint`` as a process in an install without azure-ai-ml (``bash scripts/setup.sh`` without ``--dev``).
WITHOUT_AZURE_AI_ML = ("import runpy, sys; sys.modules['azure.ai.ml'] = None; sys.argv[0] = 'blueprint'; "
                       "runpy.run_module('blueprint', run_name='__main__')")


@pytest.mark.e2e
def test_cli_without_azure_ai_ml_exits_2_naming_the_dev_setup():
    """What the README says: validation needs the dev set-up; without it, one line that says how to get it."""
    result = subprocess.run([sys.executable, "-c", WITHOUT_AZURE_AI_ML, "templates", "validate"], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: azure-ai-ml is not installed (")
    assert result.stderr.endswith("run bash scripts/setup.sh --dev\n") and result.stderr.count("\n") == 1
    readme = (REPO / "README.md").read_text()
    (row,) = [line for line in readme.splitlines() if line.startswith("| `blueprint templates validate")]
    assert "Needs `--dev`" in row
