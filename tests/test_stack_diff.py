"""``blueprint diff``: resources matched by role, physical names and IDs normalised away, real settings shown."""

from __future__ import annotations

import json
import random
import re
import sys
from typing import Any

import pytest

from blueprint.tools.cli import main
from blueprint.tools.errors import UsageError
from blueprint.tools.preview.plan import Plan, PlannedResource
from blueprint.tools.stack_diff import (
    Change,
    compare_values,
    diff_plans,
    match_roles,
    render_diff,
    render_value,
    role_key,
)
from tests.conftest import REPO, preview_stack

SUB = "/subscriptions/00000000-0000-4000-8000-000000000001"
WORKSPACE = "azure-native:machinelearningservices:Workspace"


# --------------------------------------------------------------------------------------------------------------
# Synthetic plans: two stacks of one small program, with per-stack physical names and IDs
# --------------------------------------------------------------------------------------------------------------


def resource(stack: str, chain: str, name: str, *, parent: str | None = None, inputs: dict[str, Any] | None = None,
             outputs: dict[str, Any] | None = None, id: str | None = None, custom: bool = True) -> PlannedResource:
    """A planned resource whose URN is built like the engine's: ``urn:pulumi:<stack>::proj::<chain>::<name>``."""
    return PlannedResource(
        urn=f"urn:pulumi:{stack}::proj::{chain}::{name}", type=chain.rsplit("$", 1)[-1], name=name, parent=parent,
        custom=custom, inputs=inputs or {}, dependencies=[], property_dependencies={}, protect=False, id=id,
        outputs=outputs or {},
    )


def small_plan(stack: str, code: str, *, max_nodes: int = 4, public: str = "Enabled", private_endpoint: bool = False,
               extra: dict[str, Any] | None = None) -> Plan:
    """The same program for ``stack``: names carry the environment code ``code`` and a per-stack hash."""
    suffix = {"stg": "ab12c", "prd": "x9y8z"}.get(code, "q1w2e")
    tags = {"environment": stack, "owner": "team"}
    rg_name, ws_name = f"rg-mlp-{code}-weu-{suffix}", f"mlw-mlp-{code}-weu-{suffix}"
    rg_id = f"{SUB}/resourceGroups/{rg_name}"
    ws_id = f"{rg_id}/providers/Microsoft.MachineLearningServices/workspaces/{ws_name}"
    id_id = f"{rg_id}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-mlp-{code}-{suffix}"
    principal = {"stg": "11111111-1111-4111-8111-111111111111", "prd": "22222222-2222-4222-8222-222222222222"}[code]
    assignment = {"stg": "33333333-3333-4333-8333-333333333333", "prd": "44444444-4444-4444-8444-444444444444"}[code]
    root = resource(stack, "pulumi:pulumi:Stack", f"proj-{stack}", custom=False)
    component = resource(stack, "pulumi:pulumi:Stack$mlplatform:index:MlWorkspace", "platform", parent=root.urn, custom=False)
    inside = "mlplatform:index:MlWorkspace$"
    resources = [
        root,
        component,
        resource(stack, inside + "azure-native:resources:ResourceGroup", "platform-rg", parent=component.urn, id=rg_id,
                 inputs={"resourceGroupName": rg_name, "location": "westeurope", "tags": tags},
                 outputs={"name": rg_name}),
        resource(stack, inside + "azure-native:managedidentity:UserAssignedIdentity", "platform-id", parent=component.urn,
                 id=id_id, inputs={"resourceGroupName": rg_name, "tags": tags},
                 outputs={"name": id_id.rsplit("/", 1)[-1], "principalId": principal,
                          "tenantId": "00000000-0000-4000-8000-0000000000aa"}),
        resource(stack, inside + WORKSPACE, "platform-mlw", parent=component.urn, id=ws_id,
                 inputs={"workspaceName": ws_name, "resourceGroupName": rg_name, "publicNetworkAccess": public,
                         "description": f"ML workspace of mlp ({stack}), managed by Pulumi.",
                         "identity": {"type": "UserAssigned", "userAssignedIdentities": [id_id]},
                         "managedNetwork": {"outboundRules": {"pypi.org": {"type": "FQDN"}}}, "tags": tags,
                         **(extra or {})},
                 outputs={"name": ws_name}),
        resource(stack, inside + "azure-native:authorization:RoleAssignment", "platform-ws-reader", parent=component.urn,
                 id=f"{ws_id}/providers/Microsoft.Authorization/roleAssignments/{assignment}",
                 inputs={"principalId": principal, "scope": ws_id, "roleAssignmentName": assignment},
                 outputs={"name": assignment}),
        resource(stack, "pulumi:pulumi:Stack$azure-native:machinelearningservices:Compute", "cpu", parent=root.urn,
                 id=f"{ws_id}/computes/cpu",
                 inputs={"computeName": "cpu", "workspaceName": ws_name,
                         "properties": {"properties": {"scaleSettings": {"maxNodeCount": max_nodes, "minNodeCount": 0}}}},
                 outputs={"name": "cpu"}),
        resource(stack, "pulumi:pulumi:Stack$azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
                 f"ci-github-env-{stack}", parent=root.urn, id=f"/applications/{suffix}/fic",
                 inputs={"subject": f"repo:org/repo:environment:{stack}"}, outputs={"name": f"github-env-{stack}"}),
    ]
    if private_endpoint:
        resources.append(resource(stack, "pulumi:pulumi:Stack$azure-native:network:PrivateEndpoint", "pep-workspace",
                                  parent=root.urn, id=f"{rg_id}/providers/Microsoft.Network/privateEndpoints/pep-{suffix}",
                                  inputs={"privateLinkServiceConnections": [{"name": "workspace", "privateLinkServiceId": ws_id}]},
                                  outputs={"name": f"pep-{suffix}"}))
    outputs = {"environment": stack, "workspaceId": ws_id,
               "studioUrl": f"https://ml.azure.com/home?wsid={ws_id}", "networkMode": "private" if private_endpoint else "managed"}
    return Plan(project="proj", stack=stack, resources=resources, outputs=outputs)


@pytest.fixture(scope="module")
def small_diff():
    return diff_plans(small_plan("staging", "stg"), small_plan("prod", "prd", max_nodes=10, public="Disabled", private_endpoint=True))


def changes_of(diff, name: str) -> dict[str, Change]:
    found = [r for r in diff.changed if r.ref.path.rsplit("/", 1)[-1] == name]
    return {c.path: c for c in found[0].changes} if found else {}


# --------------------------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------------------------


def test_role_key_drops_stack_and_project_and_keeps_the_type_chain():
    plan = small_plan("staging", "stg")
    workspace = next(r for r in plan.resources if r.type == WORKSPACE)
    assert role_key(workspace) == f"mlplatform:index:MlWorkspace${WORKSPACE}::platform-mlw"
    assert role_key(plan.resources[0]) == "pulumi:pulumi:Stack"  # the root: its name carries the stack


def test_resources_are_matched_by_role_not_physical_name(small_diff):
    assert [ref.path for ref in small_diff.only_b] == ["pep-workspace"]
    assert small_diff.only_a == []
    assert "platform-mlw" in {r.ref.path.rsplit("/", 1)[-1] for r in small_diff.changed}


def test_a_logical_name_carrying_the_stack_name_is_paired_with_its_counterpart():
    pairs, only_a, only_b = match_roles(small_plan("staging", "stg"), small_plan("prod", "prd"))
    credential = next(role for role in pairs if role.endswith("::ci-github-env-staging"))
    assert pairs[credential].endswith("::ci-github-env-prod")
    assert only_a == only_b == []


def test_ambiguous_stack_name_aliases_are_not_guessed():
    a, b = small_plan("staging", "stg"), small_plan("prod", "prd")
    a.outputs["environment"] = "preprod"  # two names for stack a: snet-staging and snet-preprod alias alike
    subnet = "pulumi:pulumi:Stack$azure-native:network:Subnet"
    a.resources += [resource("staging", subnet, "snet-staging"), resource("staging", subnet, "snet-preprod")]
    b.resources.append(resource("prod", subnet, "snet-prod"))
    _, only_a, only_b = match_roles(a, b)
    assert sorted(r.rsplit("::", 1)[1] for r in only_a) == ["snet-preprod", "snet-staging"]
    assert [r.rsplit("::", 1)[1] for r in only_b] == ["snet-prod"]


# --------------------------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------------------------


def test_physical_names_ids_and_generated_guids_are_not_changes(small_diff):
    workspace = changes_of(small_diff, "platform-mlw")
    assert "workspaceName" not in workspace and "resourceGroupName" not in workspace
    assert not any(path.startswith("identity") for path in workspace), "the identity's ID is the same role"
    assert changes_of(small_diff, "platform-ws-reader") == {}, "principalId, scope and name refer to the same roles"
    assert changes_of(small_diff, "platform-rg") == {"tags.environment": Change("tags.environment", "staging", "prod")}
    stack = changes_of(small_diff, "proj-{stack}")
    assert "outputs.workspaceId" not in stack and "outputs.studioUrl" not in stack, "IDs inside URLs are normalised"


def test_references_to_a_resource_only_one_side_has_read_as_its_role_token(small_diff):
    text = render_diff(small_diff)
    assert "x9y8z" not in text and "ab12c" not in text and "/subscriptions/" not in text


def test_short_names_are_not_rewritten_inside_other_strings():
    a = small_plan("staging", "stg", extra={"friendlyName": "cpu cluster workspace"})
    b = small_plan("prod", "prd", extra={"friendlyName": "gpu cluster workspace"})
    change = changes_of(diff_plans(a, b), "platform-mlw")["friendlyName"]
    assert (change.a, change.b) == ("cpu cluster workspace", "gpu cluster workspace")


def test_text_differing_only_by_the_stack_name_is_flagged_but_the_environment_tag_is_a_change(small_diff):
    workspace = changes_of(small_diff, "platform-mlw")
    assert workspace["description"].naming_only
    assert not workspace["tags.environment"].naming_only
    assert changes_of(small_diff, "ci-github-env-{stack}")["subject"].naming_only


# --------------------------------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------------------------------


def test_changed_settings_have_dotted_and_indexed_paths(small_diff):
    compute = changes_of(small_diff, "cpu")
    assert compute["properties.properties.scaleSettings.maxNodeCount"] == Change(
        "properties.properties.scaleSettings.maxNodeCount", 4, 10)
    assert "properties.properties.scaleSettings.minNodeCount" not in compute
    workspace = changes_of(small_diff, "platform-mlw")
    assert (workspace["publicNetworkAccess"].a, workspace["publicNetworkAccess"].b) == ("Enabled", "Disabled")
    assert "outputs.networkMode" in changes_of(small_diff, "proj-{stack}")


def test_compare_values_paths_for_nested_dicts_lists_and_odd_keys():
    a = {"rules": {"pypi.org": {"type": "FQDN"}}, "emails": ["x@example.com"], "flag": True, "n": 4.0,
         "receivers": [{"name": "one", "uri": "a"}, {"name": "two", "uri": "b"}]}
    b = {"rules": {}, "emails": ["x@example.com", "y@example.com"], "flag": 1, "n": 4,
         "receivers": [{"name": "zero", "uri": "z"}, {"name": "one", "uri": "a"}, {"name": "two", "uri": "c"}]}
    changes = {c.path: c for c in compare_values(a, b)}
    assert set(changes) == {'rules["pypi.org"]', "emails[1]", "flag", "receivers[name=two].uri", "receivers[name=zero]"}
    assert changes['rules["pypi.org"]'].to_json() == {"path": 'rules["pypi.org"]', "a": {"type": "FQDN"}, "namingOnly": False}
    assert changes["emails[1]"].to_json() == {"path": "emails[1]", "b": "y@example.com", "namingOnly": False}


def test_render_value_is_short_and_single_line():
    assert render_value(4.0) == "4"
    assert render_value("Enabled") == "Enabled"
    assert render_value("") == '""'
    long = render_value({"k": "v" * 200})
    assert len(long) == 70 and long.endswith("...")


def test_same_plan_twice_has_no_differences():
    diff = diff_plans(small_plan("staging", "stg"), small_plan("staging", "stg"))
    assert diff.no_differences and diff.identical == len(small_plan("staging", "stg").resources)
    assert "No differences between staging and staging." in render_diff(diff)


def test_output_does_not_depend_on_registration_order():
    a, b = small_plan("staging", "stg"), small_plan("prod", "prd", max_nodes=10, private_endpoint=True)
    first = (render_diff(diff_plans(a, b)), json.dumps(diff_plans(a, b).to_json()))
    random.Random(7).shuffle(a.resources)
    random.Random(3).shuffle(b.resources)
    assert (render_diff(diff_plans(a, b)), json.dumps(diff_plans(a, b).to_json())) == first


# --------------------------------------------------------------------------------------------------------------
# The command, on the shipped stacks (previews cached for the session)
# --------------------------------------------------------------------------------------------------------------


@pytest.fixture
def cached_previews(monkeypatch):
    """Serve the shipped stacks' plans from the session cache instead of previewing them for every test."""
    from blueprint.tools.preview import runner

    real = runner.run_program

    def run_program(project, stack, config):
        return preview_stack(stack) if project.directory == REPO else real(project, stack, config)

    monkeypatch.setattr(runner, "run_program", run_program)


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["diff", *args, "--program", str(REPO)])
    out, err = capsys.readouterr()
    return code, out, err


def section(text: str, title: str) -> str:
    """The lines of one section of the text report, up to the next blank line."""
    start = text.index(title)
    end = text.find("\n\n", start)
    return text[start:] if end < 0 else text[start:end]


def test_staging_to_prod_lists_what_promotion_changes(cached_previews, capsys):
    code, out, err = run_cli(capsys, "staging", "prod")
    assert code == 0, err
    assert out.startswith("Comparing mlplatform/staging (a) with mlplatform/prod (b)")
    assert re.search(r"^Summary: \d+ only in staging, \d+ only in prod, \d+ changed, \d+ identical$", out, re.M)

    only_prod = section(out, "Only in prod")
    assert re.search(r"azure-native:network:PrivateEndpoint\s+network/network-pep-workspace$", only_prod, re.M)
    assert re.search(r"azure-native:privatedns:PrivateZone\s+network/network-zone-api$", only_prod, re.M)
    assert re.search(r"OnlineDeployment\s+endpoint-fraud/endpoint-fraud-green$", only_prod, re.M)
    assert re.search(r"Compute\s+gpu-a100/gpu-a100$", only_prod, re.M)
    assert re.search(r"Schedule\s+monitor-fraud-green/monitor-fraud-green$", only_prod, re.M)
    assert "ci-github-env" not in out.split("Changed")[0], "the per-environment credential is paired, not listed"

    changed = section(out, "Changed")
    assert "tags.environment: staging -> prod" in changed
    cpu = changed.split("cpu-general/cpu-general\n", 1)[1]
    assert cpu.splitlines()[1].strip() == "properties.properties.scaleSettings.maxNodeCount: 4 -> 10"
    workspace = changed.split("platform/platform-mlw\n", 1)[1].split("\n  a", 1)[0]
    assert "publicNetworkAccess: Enabled -> Disabled" in workspace
    assert "workspaceName" not in workspace
    traffic = changed.split("endpoint-fraud/endpoint-fraud-traffic\n", 1)[1]
    assert "properties.parameters.traffic.value.blue: 100 -> 90" in traffic
    assert "properties.parameters.traffic.value.green: (absent) -> 10" in traffic
    assert "retentionInDays: 90 -> 180" in changed
    assert "outputs.networkMode: managed -> private" in changed
    assert "ci/ci-github-env-{stack}" in changed
    assert not re.search(r"mlw-mlp-|rg-mlp-|/subscriptions/", out), "physical names and IDs are normalised away"

    cost = section(out, "Cost estimate")
    assert re.search(r"fixed monthly\s+\$[\d,.]+\s+\$[\d,.]+\s+\+\$[\d,.]+", cost)


def test_json_carries_the_same_content(cached_previews, capsys):
    code, text, _ = run_cli(capsys, "staging", "prod")
    assert code == 0
    code, out, _ = run_cli(capsys, "staging", "prod", "--json", "-")
    assert code == 0
    document = json.loads(out)
    assert document["formatVersion"] == 1 and document["stacks"] == {"a": "staging", "b": "prod"}
    summary = document["summary"]
    assert (f"Summary: {summary['onlyInA']} only in staging, {summary['onlyInB']} only in prod, "
            f"{summary['changed']} changed, {summary['identical']} identical") in text
    assert {"type": "azure-native:network:PrivateEndpoint", "path": "network/network-pep-workspace"}.items() <= next(
        r for r in document["onlyInB"] if r["path"] == "network/network-pep-workspace").items()
    compute = next(r for r in document["changed"] if r["path"] == "cpu-general/cpu-general")
    assert {"path": "properties.properties.scaleSettings.maxNodeCount", "a": 4.0, "b": 10.0, "namingOnly": False} in compute["changes"]
    workspace = next(r for r in document["changed"] if r["type"] == WORKSPACE)
    paths = {c["path"] for c in workspace["changes"]}
    assert "publicNetworkAccess" in paths and "tags.environment" in paths and "workspaceName" not in paths
    cost = document["cost"]
    assert cost["delta"]["fixedMonthly"] == round(cost["b"]["fixedMonthly"] - cost["a"]["fixedMonthly"], 2)


def test_json_to_a_file_and_output_is_byte_identical_across_runs(cached_previews, capsys, tmp_path):
    target = tmp_path / "diff.json"
    first = run_cli(capsys, "staging", "prod", "--json", str(target))
    assert first[0] == 0 and f"Differences written to {target}" in first[1]
    assert json.loads(target.read_text())["stacks"]["b"] == "prod"
    assert run_cli(capsys, "staging", "prod", "--json", str(target))[1] == first[1]
    assert run_cli(capsys, "staging", "prod", "--json", "-")[1] == run_cli(capsys, "staging", "prod", "--json", "-")[1]


def test_same_stack_twice_says_no_differences(cached_previews, capsys):
    code, out, _ = run_cli(capsys, "prod", "prod")
    assert code == 0
    assert "0 only in prod, 0 only in prod, 0 changed" in out and "No differences between prod and prod." in out


def test_unknown_stack_exits_2_naming_the_stack_file(capsys):
    code, out, err = run_cli(capsys, "staging", "nope")
    assert code == 2 and out == ""
    assert err.startswith("error: ") and "Pulumi.nope.yaml" in err
    assert "Traceback" not in err


def test_a_failing_program_exits_1_and_bad_input_exits_2(monkeypatch, capsys):
    from blueprint.tools.preview import runner

    def fail(project, stack, config):
        raise RuntimeError("boom")

    monkeypatch.setattr(runner, "run_program", fail)
    code, _, err = run_cli(capsys, "staging", "prod")
    assert code == 1
    assert "error: the program of mlplatform failed for stack staging: RuntimeError: boom" in err
    assert "--debug" in err and "Traceback" not in err

    def refuse(project, stack, config):
        raise UsageError("stacks/Pulumi.prod.yaml: mlplatform:clusters[0].maxNodes: bad")

    monkeypatch.setattr(runner, "run_program", refuse)
    code, _, err = run_cli(capsys, "staging", "prod")
    assert code == 2 and err == "error: stacks/Pulumi.prod.yaml: mlplatform:clusters[0].maxNodes: bad\n"


def test_diff_does_not_import_azure_ai_ml(cached_previews, capsys):
    already = "azure.ai.ml" in sys.modules
    assert run_cli(capsys, "staging", "prod")[0] == 0
    assert already or "azure.ai.ml" not in sys.modules
