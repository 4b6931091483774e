"""Reading Pulumi.yaml and stack files the way the Pulumi CLI does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blueprint.errors import UsageError
from blueprint.project import SECRET_PLACEHOLDER, load_project, read_stack_config


def make_project(root: Path, stack_text: str, project_text: str = "name: demo\nruntime: python\nstackConfigDir: envs\n") -> Path:
    (root / "Pulumi.yaml").write_text(project_text)
    (root / "__main__.py").write_text("")
    (root / "envs").mkdir(exist_ok=True)
    (root / "envs" / "Pulumi.dev.yaml").write_text(stack_text)
    return root


def test_values_are_encoded_as_the_engine_passes_them(tmp_path):
    project = load_project(make_project(tmp_path, (
        "config:\n"
        "  demo:flag: true\n"
        "  demo:count: 3\n"
        "  demo:items: [1, 2]\n"
        "  demo:nested: {a: b}\n"
        "  bare: value\n"
        "  demo:password:\n"
        "    secure: v1:abc\n"
        "  azure-native:location: westeurope\n"
    )))
    config = read_stack_config(project, "dev")
    assert config == {
        "demo:flag": "true",
        "demo:count": "3",
        "demo:items": json.dumps([1, 2]),
        "demo:nested": json.dumps({"a": "b"}),
        "demo:bare": "value",
        "demo:password": SECRET_PLACEHOLDER,
        "azure-native:location": "westeurope",
    }
    assert project.stacks() == ["dev"]


def test_project_runtime_must_be_python(tmp_path):
    make_project(tmp_path, "config: {}\n", "name: demo\nruntime: nodejs\n")
    with pytest.raises(UsageError, match="runtime: expected python"):
        load_project(tmp_path)


def test_project_needs_a_name(tmp_path):
    make_project(tmp_path, "config: {}\n", "runtime: python\n")
    with pytest.raises(UsageError, match="name: expected the project name"):
        load_project(tmp_path)


def test_config_must_be_a_mapping(tmp_path):
    project = load_project(make_project(tmp_path, "config: [1, 2]\n"))
    with pytest.raises(UsageError, match="envs/Pulumi.dev.yaml: config: expected a mapping"):
        read_stack_config(project, "dev")


def test_empty_stack_file_is_an_empty_config(tmp_path):
    project = load_project(make_project(tmp_path, ""))
    assert read_stack_config(project, "dev") == {}
