"""The blueprint CLI end to end, as a user runs it: subprocesses, exit codes, files written."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from blueprint.program.project import load_project
from tests.conftest import REPO, SHIPPED_STACKS

pytestmark = pytest.mark.e2e


def blueprint(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "blueprint", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_preview_prints_the_tree_and_summary(stack):
    result = blueprint("preview", stack)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"Previewing mlplatform/{stack} offline" in out
    assert re.search(rf"pulumi:pulumi:Stack\s+mlplatform-{stack}\n", out)
    assert "├─ mlplatform:index:MlWorkspace" in out
    assert "azure-native:machinelearningservices:Workspace" in out
    assert "Resources:\n    + " in out and "By type:" in out and "Outputs:" in out
    assert "Traceback" not in result.stderr


def test_preview_json_writes_the_documented_plan(tmp_path):
    target = tmp_path / "out" / "plan.json"
    result = blueprint("preview", "prod", "--json", str(target))
    assert result.returncode == 0, result.stderr
    assert f"Plan written to {target}" in result.stdout
    plan = json.loads(target.read_text())
    assert {"project", "stack", "resources", "outputs"} <= set(plan)
    assert (plan["project"], plan["stack"]) == ("mlplatform", "prod")
    for resource in plan["resources"]:
        assert {"urn", "type", "name", "parent", "custom", "inputs", "dependencies", "protect"} <= set(resource)
    workspace = next(r for r in plan["resources"] if r["type"] == "azure-native:machinelearningservices:Workspace")
    assert workspace["inputs"]["publicNetworkAccess"] == "Disabled"  # camelCase, as CrossGuard sees it
    assert workspace["protect"] is True
    assert workspace["dependencies"], "the workspace depends on its storage, vault, registry and insights"


def test_preview_json_to_stdout_is_machine_readable():
    result = blueprint("preview", "dev", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["stack"] == "dev"


def test_python_m_and_console_script_agree():
    script = Path(sys.executable).with_name("blueprint")
    if not script.exists():
        pytest.skip("console script not installed in this environment")
    via_script = subprocess.run([str(script), "preview", "dev", "--json"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert via_script.returncode == 0
    assert via_script.stdout == blueprint("preview", "dev", "--json").stdout


def test_broken_stack_value_names_file_and_key(project_copy):
    stack_file = project_copy / "stacks" / "Pulumi.dev.yaml"
    data = yaml.safe_load(stack_file.read_text())
    data["config"]["mlplatform:clusters"][0]["maxNodes"] = 500
    data["config"]["mlplatform:colour"] = "blue"
    stack_file.write_text(yaml.safe_dump(data))
    result = blueprint("preview", "dev", cwd=project_copy)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert "error: stacks/Pulumi.dev.yaml: invalid stack configuration (2 problems)" in result.stderr
    assert "mlplatform:clusters[0].maxNodes: expected an integer from 1 to 100, found integer 500" in result.stderr
    assert "mlplatform:colour: expected one of the known keys" in result.stderr


def test_invalid_yaml_names_the_line(project_copy):
    stack_file = project_copy / "stacks" / "Pulumi.dev.yaml"
    stack_file.write_text("config:\n  mlplatform:location: [westeurope\n")
    result = blueprint("preview", "dev", cwd=project_copy)
    assert result.returncode == 2
    assert "Pulumi.dev.yaml:3:1: not valid YAML" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_stack_lists_the_known_ones():
    result = blueprint("preview", "qa")
    assert result.returncode == 2
    known = ", ".join(load_project(REPO).stacks())
    assert f"stacks/Pulumi.qa.yaml: no such stack file (stacks here: {known})" in result.stderr and "prod-lz" in known


def test_not_a_project_directory(tmp_path):
    result = blueprint("preview", "dev", "--program", str(tmp_path))
    assert result.returncode == 2
    assert "no Pulumi project here" in result.stderr


def test_bad_usage_exits_2():
    assert blueprint("preview").returncode == 2
    assert blueprint("frobnicate").returncode == 2


def test_program_option_previews_another_project():
    result = blueprint("preview", "dev", "--program", str(REPO / "tests" / "fixtures" / "other_program"))
    assert result.returncode == 0, result.stderr
    assert "Previewing fraudml/dev offline" in result.stdout
    assert "rg-fraud-dev-neu-" in result.stdout
    assert "gpu-train" in result.stdout


def test_program_failure_exits_1_without_traceback_unless_debug(project_copy):
    (project_copy / "__main__.py").write_text("raise RuntimeError('boom')\n")
    result = blueprint("preview", "dev", cwd=project_copy)
    assert result.returncode == 1
    assert "RuntimeError: boom" in result.stderr and "Traceback" not in result.stderr
    debug = blueprint("--debug", "preview", "dev", cwd=project_copy)
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_schema_command_matches_the_published_schema():
    result = blueprint("schema")
    assert result.returncode == 0
    assert json.loads(result.stdout) == json.loads((REPO / "schema" / "stack-file.schema.json").read_text())


@pytest.mark.parametrize(
    ("stack", "key", "value", "message"),
    [
        ("prod", "mlplatform:access", {"extraRoleAssignments": [{"principalId": "11111111-2222-3333-4444-555555555555", "principalType": "User", "role": "Reader", "scope": "workspace"}]},
         "mlplatform:access.extraRoleAssignments[0].principalType: expected Group or ServicePrincipal (roles never go to individual users)"),
        ("prod", "mlplatform:access", {"mfa": {"state": "reportOnly"}},
         "mlplatform:access.mfa.state: expected enabled in prod (report-only MFA is allowed in dev only)"),
        ("prod", "mlplatform:access", {"mfa": {"state": "disabled"}},
         "mlplatform:access.mfa.state: expected one of enabled, reportOnly"),
        ("prod", "mlplatform:network", {"mode": "public", "allowedIpRanges": ["203.0.113.0/24"]},
         "mlplatform:network.mode: expected managed or private in prod (public networking is for dev only)"),
    ],
)
def test_insecure_identity_and_network_config_is_refused(project_copy, stack, key, value, message):
    stack_file = project_copy / "stacks" / f"Pulumi.{stack}.yaml"
    data = yaml.safe_load(stack_file.read_text())
    data["config"][key] = value
    stack_file.write_text(yaml.safe_dump(data))
    result = blueprint("preview", stack, cwd=project_copy)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
