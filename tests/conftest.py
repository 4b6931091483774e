"""Shared fixtures: the repository, in-process previews of the shipped stacks, and a component harness."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from blueprint.tools.preview.plan import Plan, PlannedResource
from blueprint.tools.preview.runner import run_program, run_under_mocks
from blueprint.program.project import load_project, read_stack_config

REPO = Path(__file__).resolve().parent.parent
SHIPPED_STACKS = ("dev", "staging", "prod")
REQUIRED_TAGS = {"owner", "costCenter", "environment", "dataClassification"}


@lru_cache(maxsize=None)
def preview_stack(stack: str) -> Plan:
    """The plan of a shipped stack, computed once per test session (plans are deterministic)."""
    project = load_project(REPO)
    return run_program(project, stack, read_stack_config(project, stack))


def run_component(body: Callable[[], Any], *, stack: str = "test") -> Plan:
    """Run ``body`` (which creates resources) as a program under the ARM mocks and return the plan."""
    return run_under_mocks(body, project="mlplatform", stack=stack)


def only(plan: Plan, type_token: str) -> PlannedResource:
    """The single resource of ``type_token`` in ``plan``."""
    found = plan.of_type(type_token)
    assert len(found) == 1, f"expected one {type_token}, found {len(found)}"
    return found[0]


def tags(environment: str = "dev") -> dict[str, str]:
    return {"owner": "ml-platform-team", "costCenter": "CC-1", "environment": environment, "dataClassification": "internal"}


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A copy of the project's program and stacks that a test may break."""
    target = tmp_path / "project"
    target.mkdir()
    shutil.copy(REPO / "Pulumi.yaml", target)
    shutil.copy(REPO / "__main__.py", target)
    shutil.copytree(REPO / "stacks", target / "stacks")
    return target


def stack_config(stack: str) -> dict[str, Any]:
    """A shipped stack's config as the engine passes it (strings; structured values as JSON)."""
    project = load_project(REPO)
    return read_stack_config(project, stack)


def decoded(config: dict[str, str]) -> dict[str, Any]:
    """The same config with JSON values decoded, for tests that edit nested keys."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def takes_azure_tags(type_token: str) -> bool:
    """Whether an azure-native resource type accepts ARM tags, read from the SDK itself (so no list to keep)."""
    import importlib
    import inspect

    provider, module, name = type_token.split(":")
    if provider != "azure-native":
        return False
    sdk_module = importlib.import_module(f"pulumi_azure_native.{module}")
    return "tags" in inspect.signature(getattr(sdk_module, name)._internal_init).parameters
