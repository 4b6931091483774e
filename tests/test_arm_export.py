"""``blueprint export --format arm``: every shipped stack's plan as an ARM deployment template that ARM scanners read
as they read any template (types, names, API versions, properties where ARM declares them), nothing dropped
silently; and the Checkov mapping of docs/policies.md, checked against the pack and the exports (without Checkov)."""

from __future__ import annotations

import importlib
import inspect
import json
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from blueprint.tools.arm_export import export_template
from blueprint.tools.arm_shape import ExportError, api_version, arm_address, arm_body, arm_values, path_inputs
from blueprint.tools.checkov_map import COVERAGE, MAP_FILE, checkov_markdown, load_map, section_for
from blueprint.tools.preview.arm import ARM_TYPES
from blueprint.tools.preview.plan import Plan
from tests.conftest import REPO, preview_stack

STACKS = tuple(sorted(path.name[len("Pulumi."):-len(".yaml")] for path in (REPO / "stacks").glob("Pulumi.*.yaml")))
ARM_TYPE = r"^[A-Za-z]+\.[A-Za-z]+(\.[A-Za-z]+)?(/[A-Za-z]+)+$"

#: The skeleton of an ARM deployment template (resource-group or subscription scope), nested deployments included.
TEMPLATE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$defs": {
        "template": {
            "type": "object",
            "required": ["$schema", "contentVersion", "resources"],
            "properties": {
                "$schema": {"enum": [
                    "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                    "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
                ]},
                "contentVersion": {"type": "string", "pattern": r"^\d+\.\d+\.\d+\.\d+$"},
                "parameters": {"type": "object", "additionalProperties": {
                    "type": "object", "required": ["type"], "not": {"required": ["defaultValue"]},
                    "properties": {"type": {"enum": ["string", "securestring", "int", "bool", "object", "secureObject", "array"]}},
                }},
                "resources": {"type": "array", "items": {"$ref": "#/$defs/resource"}},
            },
        },
        "resource": {
            "type": "object",
            "required": ["type", "apiVersion", "name", "properties"],
            "properties": {
                "type": {"type": "string", "pattern": ARM_TYPE},
                "apiVersion": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}(-(preview|alpha|beta|privatepreview))?$"},
                "name": {"type": "string", "minLength": 1},
                "location": {"type": "string"},
                "tags": {"type": "object", "additionalProperties": {"type": "string"}},
                "sku": {"type": "object"},
                "kind": {"type": "string"},
                "identity": {"type": "object", "required": ["type"]},
                "scope": {"type": "string", "pattern": r"^[A-Za-z.]+/[A-Za-z]+/[^/]+(/[A-Za-z]+/[^/]+)*$"},
                "dependsOn": {"type": "array", "items": {"type": "string", "pattern": "^/subscriptions/"}},
                "properties": {"type": "object"},
            },
            "if": {"properties": {"type": {"const": "Microsoft.Resources/deployments"}}},
            "then": {"properties": {"properties": {"properties": {"template": {"$ref": "#/$defs/template"}}}}},
        },
    },
    "$ref": "#/$defs/template",
}


@lru_cache(maxsize=None)
def exported(stack: str) -> dict[str, Any]:
    """The export of a shipped stack, computed once (the plan itself is cached by conftest)."""
    return export_template(preview_stack(stack))


def all_resources(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every resource of ``template``, those of the nested deployments the export makes (other groups) included."""
    found = []
    for resource in template["resources"]:
        found.append(resource)
        if resource["type"] == "Microsoft.Resources/deployments" and resource.get("comments", "").startswith("Resources of the stack"):
            found.extend(all_resources(resource["properties"]["template"]))
    return found


def exported_urns(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Plan URN -> its ARM resource (the export names the URN in each resource's ``comments``)."""
    prefix = "Pulumi resource "
    return {r["comments"][len(prefix):]: r for r in all_resources(template) if r.get("comments", "").startswith(prefix)}


def of_type(stack: str, arm_type: str) -> list[tuple[dict[str, Any], Any]]:
    """``(ARM resource, planned resource)`` pairs of ``arm_type`` in ``stack``."""
    plan = preview_stack(stack)
    by_urn = {r.urn: r for r in plan.resources}
    return [(resource, by_urn[urn]) for urn, resource in exported_urns(exported(stack)).items() if resource["type"] == arm_type]


def test_the_stacks_are_found():
    """The glob finds the shipped stacks (an empty list would make every parametrized test vacuous)."""
    assert {"shared", "dev", "staging", "prod", "prod-lz", "bootstrap"} <= set(STACKS)


# --- Structure ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_export_is_an_arm_deployment_template(stack):
    template = exported(stack)
    jsonschema.validate(template, TEMPLATE_SCHEMA)
    assert template["$schema"] == "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
    json.dumps(template, allow_nan=False)  # plain JSON: no NaN, no objects the export forgot to turn into values


@pytest.mark.parametrize("stack", STACKS)
def test_every_planned_resource_is_exported_or_listed_with_a_reason(stack):
    plan: Plan = preview_stack(stack)
    template = exported(stack)
    listed = {entry["urn"]: entry for entry in template["metadata"]["notExported"]}
    exported_ = exported_urns(template)
    assert not set(listed) & set(exported_)
    assert set(listed) | set(exported_) == {r.urn for r in plan.resources}
    assert all(entry["reason"].strip() and entry["type"] for entry in listed.values())
    for resource in plan.resources:
        arm_resource = resource.custom and resource.type.startswith("azure-native:") and resource.operation == "create"
        if arm_resource and resource.type != "azure-native:resources:ResourceGroup":
            assert resource.urn in exported_, f"{resource.urn}: an ARM resource, not exported ({listed[resource.urn]['reason']})"
            assert resource.type in ARM_TYPES


@pytest.mark.parametrize("stack", STACKS)
def test_the_template_is_for_the_resource_group_the_stack_creates(stack):
    plan = preview_stack(stack)
    template = exported(stack)
    groups = plan.of_type("azure-native:resources:ResourceGroup")
    assert [g["name"] for g in template["metadata"]["resourceGroups"]] == [g.physical_name for g in groups]
    assert template["metadata"]["deployInto"]["resourceGroup"] == groups[0].physical_name
    assert template["metadata"]["resourceGroups"][0]["tags"] == groups[0].inputs["tags"]
    # A resource in another resource group is deployed there, through a nested deployment to that group.
    for resource in template["resources"]:
        if resource["type"] == "Microsoft.Resources/deployments" and resource["comments"].startswith("Resources of the stack"):
            assert resource["resourceGroup"] != groups[0].physical_name
            assert resource["properties"]["expressionEvaluationOptions"] == {"scope": "inner"}


@pytest.mark.parametrize("stack", STACKS)
def test_types_names_and_api_versions_are_arms(stack):
    plan = preview_stack(stack)
    by_urn = {r.urn: r for r in plan.resources}
    for urn, resource in exported_urns(exported(stack)).items():
        planned = by_urn[urn]
        resource_id = str(planned.id)
        # The type's segments and the name's are the ID's, in ARM's order: Ns/type/child with parent/child.
        path = resource_id.rsplit("/providers/", 1)[1].split("/")
        assert resource["type"] == "/".join([path[0], *path[1::2]])
        assert resource["name"] == "/".join(path[2::2])
        assert resource["name"].split("/")[-1] == planned.outputs["name"]
        assert resource["apiVersion"] == api_version(planned.type)
        sdk_only = path_inputs(planned.type) & set(resource["properties"])
        assert not sdk_only, f"{urn}: SDK-only inputs {sorted(sdk_only)} in properties"
        assert "resourceGroupName" in path_inputs(planned.type) or "/resourceGroups/" not in ARM_TYPES[planned.type].id_template


@pytest.mark.parametrize("stack", STACKS)
def test_depends_on_names_resources_of_the_same_template(stack):
    plan = preview_stack(stack)
    ids = {r.urn: str(r.id) for r in plan.resources}
    template = exported(stack)
    scopes = [template] + [r["properties"]["template"] for r in template["resources"]
                           if r["type"] == "Microsoft.Resources/deployments" and r["comments"].startswith("Resources of the stack")]
    for scope in scopes:
        declared = {ids[urn] for urn in exported_urns({"resources": scope["resources"]})}
        for resource in scope["resources"]:
            assert set(resource.get("dependsOn", [])) <= declared
    workspace = of_type(stack, "Microsoft.MachineLearningServices/workspaces")
    for resource, planned in workspace:
        storage = ids[next(urn for urn in planned.dependencies if "storage:StorageAccount" in urn)]
        assert storage in resource["dependsOn"]


# --- Security settings where ARM (and so Checkov and PSRule) read them ---------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_storage_account_settings_sit_where_arm_declares_them(stack):
    accounts = of_type(stack, "Microsoft.Storage/storageAccounts")
    assert accounts or stack == "shared"
    for resource, planned in accounts:
        properties = resource["properties"]
        assert properties["allowBlobPublicAccess"] is planned.inputs["allowBlobPublicAccess"] is False
        assert properties["supportsHttpsTrafficOnly"] is planned.inputs["enableHttpsTrafficOnly"] is True
        assert properties["minimumTlsVersion"] == planned.inputs["minimumTlsVersion"] == "TLS1_2"
        assert properties["networkAcls"]["defaultAction"] == planned.inputs["networkRuleSet"]["defaultAction"] == "Deny"
        assert not {"enableHttpsTrafficOnly", "networkRuleSet", "accountName", "resourceGroupName"} & set(properties)
        assert resource["sku"] == planned.inputs["sku"] and resource["kind"] == planned.inputs["kind"]
        assert resource["location"] == planned.inputs["location"] and resource["tags"] == planned.inputs["tags"]


@pytest.mark.parametrize("stack", STACKS)
def test_key_vault_settings_stay_nested_in_properties(stack):
    vaults = of_type(stack, "Microsoft.KeyVault/vaults")
    assert vaults or stack == "shared"
    for resource, planned in vaults:
        assert resource["properties"]["enableRbacAuthorization"] is True
        assert resource["properties"]["enablePurgeProtection"] is True
        assert resource["properties"]["networkAcls"]["defaultAction"] == planned.inputs["properties"]["networkAcls"]["defaultAction"]
        assert "properties" not in resource["properties"]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod", "prod-lz"])
def test_ml_workspace_registry_and_compute_settings(stack):
    for resource, planned in of_type(stack, "Microsoft.MachineLearningServices/workspaces"):
        assert resource["properties"]["publicNetworkAccess"] == planned.inputs["publicNetworkAccess"]
        assert resource["properties"]["managedNetwork"]["isolationMode"] == planned.inputs["managedNetwork"]["isolationMode"]
        # ARM takes user-assigned identities as a map; the SDK as a list.
        assigned = resource["identity"].get("userAssignedIdentities")
        if assigned is not None:
            assert assigned == {uai: {} for uai in planned.inputs["identity"]["userAssignedIdentities"]}
    registries = of_type(stack, "Microsoft.ContainerRegistry/registries")
    assert registries and all(r["properties"]["adminUserEnabled"] is False for r, _ in registries)
    computes = of_type(stack, "Microsoft.MachineLearningServices/workspaces/computes")
    assert computes
    for resource, planned in computes:
        scale = resource["properties"]["properties"]["scaleSettings"]
        assert scale["minNodeCount"] == 0 and type(scale["minNodeCount"]) is int  # the mock's 0.0, as ARM writes it
        assert resource["properties"]["computeType"] == "AmlCompute"
    assert {r["properties"]["publicNetworkAccess"] for r, _ in of_type("prod", "Microsoft.MachineLearningServices/workspaces")} == {"Disabled"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_monitoring_settings_use_arms_spelling(stack):
    """Application Insights spells its properties in Pascal case; Log Analytics keeps its SKU in properties; metric
    alert criteria carry ``odata.type``."""
    (component, planned), = of_type(stack, "Microsoft.Insights/components")
    assert component["properties"]["DisableLocalAuth"] is planned.inputs["disableLocalAuth"] is True
    assert component["properties"]["WorkspaceResourceId"] == planned.inputs["workspaceResourceId"]
    assert component["properties"]["Application_Type"] == planned.inputs["applicationType"]
    assert not {"disableLocalAuth", "workspaceResourceId", "applicationType"} & set(component["properties"])
    (workspace, planned), = of_type(stack, "Microsoft.OperationalInsights/workspaces")
    assert workspace["properties"]["sku"] == planned.inputs["sku"] and "sku" not in workspace
    alerts = of_type(stack, "Microsoft.Insights/metricAlerts")
    assert alerts and all(alert["properties"]["criteria"]["odata.type"] == p.inputs["criteria"]["odataType"] for alert, p in alerts)


def test_customer_managed_keys_use_arms_names():
    """prod-lz encrypts with its own key: the storage account names it as ARM does, the key's expiry is ``exp``."""
    (account, planned), = of_type("prod-lz", "Microsoft.Storage/storageAccounts")
    given = planned.inputs["encryption"]
    encryption = account["properties"]["encryption"]
    assert encryption["keySource"] == "Microsoft.Keyvault"
    assert encryption["keyvaultproperties"] == {"keyname": given["keyVaultProperties"]["keyName"],
                                                "keyvaulturi": given["keyVaultProperties"]["keyVaultUri"]}
    assert encryption["identity"] == {"userAssignedIdentity": given["encryptionIdentity"]["encryptionUserAssignedIdentity"]}
    keys = of_type("prod-lz", "Microsoft.KeyVault/vaults/keys")
    assert keys
    for key, planned in keys:
        assert key["properties"]["attributes"]["exp"] == int(planned.inputs["properties"]["attributes"]["expires"])
        assert "expires" not in key["properties"]["attributes"]


def test_network_items_carry_their_own_properties():
    """An NSG's rules and a private endpoint's connections: ARM nests each item's settings in ``properties``."""
    (nsg, planned), = of_type("prod", "Microsoft.Network/networkSecurityGroups")
    rule = nsg["properties"]["securityRules"][0]
    assert set(rule) == {"name", "properties"}
    assert rule["properties"]["sourceAddressPrefix"] == planned.inputs["securityRules"][0]["sourceAddressPrefix"]
    for endpoint, planned in of_type("prod", "Microsoft.Network/privateEndpoints"):
        for connection, given in zip(endpoint["properties"]["privateLinkServiceConnections"], planned.inputs["privateLinkServiceConnections"]):
            assert connection["name"] == given["name"]
            assert connection["properties"]["groupIds"] == given["groupIds"]


def test_extension_resources_name_the_resource_they_extend():
    """ARM's ``scope``: the extended resource's ID relative to its resource group (``Namespace/type/name``)."""
    diagnostics = of_type("prod", "Microsoft.Insights/diagnosticSettings")
    assert diagnostics
    for resource, planned in diagnostics:
        assert resource["scope"] == planned.inputs["resourceUri"].split("/providers/", 1)[1]
    # A role on the resource group itself needs no scope: the template is deployed into that group.
    roles = of_type("prod", "Microsoft.Authorization/roleAssignments")
    at_group = [r for r, p in roles if re.fullmatch(r"/subscriptions/[^/]+/resourceGroups/[^/]+", p.inputs["scope"])]
    assert at_group and all("scope" not in r for r in at_group)
    assert all(r["scope"] == p.inputs["scope"].split("/providers/", 1)[1] for r, p in roles if r not in at_group)


def test_secrets_are_parameters_without_a_value():
    template = exported("prod")
    (name, parameter), = template["parameters"].items()
    assert parameter["type"] == "securestring" and "defaultValue" not in parameter
    (group, _), = of_type("prod", "Microsoft.Insights/actionGroups")
    assert group["properties"]["webhookReceivers"] == f"[parameters('{name}')]"
    assert "[secret]" not in json.dumps(template)


def test_a_template_deployment_keeps_its_own_expressions():
    (deployment, planned), = [(r, p) for r, p in of_type("prod", "Microsoft.Resources/deployments")]
    inner = deployment["properties"]["template"]["resources"][0]
    assert inner["name"] == planned.inputs["properties"]["template"]["resources"][0]["name"]  # "[format(...)]", unescaped
    assert deployment["properties"]["expressionEvaluationOptions"] == {"scope": "inner"}
    assert deployment["properties"]["parameters"]["traffic"]["value"] == {"blue": 90, "green": 10}


# --- The shape helpers on their own --------------------------------------------------------------------------------


def test_arm_address_of_child_and_extension_resources():
    base = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st"
    child = arm_address(base + "/blobServices/default/containers/data")
    assert (child.type, child.name, child.resource_group, child.scope) == (
        "Microsoft.Storage/storageAccounts/blobServices/containers", "st/default/data", "rg", None)
    extension = arm_address(base + "/blobServices/default/providers/Microsoft.Insights/diagnosticSettings/diag")
    assert (extension.type, extension.name, extension.scope) == (
        "Microsoft.Insights/diagnosticSettings", "diag", "Microsoft.Storage/storageAccounts/st/blobServices/default")
    at_subscription = arm_address("/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/g")
    assert (at_subscription.resource_group, at_subscription.scope) == (None, None)
    with pytest.raises(ExportError, match="not an ARM resource ID"):
        arm_address("/applications/1234")


def test_arm_values_escapes_literals_that_look_like_expressions():
    assert arm_values({"a": "[not an expression]", "b": 2.0, "c": 2.5, "d": True, "e": ["[x]"]}) == {
        "a": "[[not an expression]", "b": 2, "c": 2.5, "d": True, "e": ["[[x]"]}
    assert arm_values("[parameters('p')]", literal=False) == "[parameters('p')]"


def test_arm_body_renames_and_refuses_what_it_cannot_place():
    top, properties = arm_body("azure-native:storage:StorageAccount", {
        "accountName": "st", "resourceGroupName": "rg", "location": "westeurope", "sku": {"name": "Standard_LRS"},
        "enableHttpsTrafficOnly": True,
        "networkRuleSet": {"defaultAction": "Deny", "ipRules": [{"iPAddressOrRange": "203.0.113.0/24", "action": "Allow"}],
                           "virtualNetworkRules": [{"virtualNetworkResourceId": "/subnet", "action": "Allow"}]},
    })
    assert top == {"location": "westeurope", "sku": {"name": "Standard_LRS"}}
    assert properties == {"supportsHttpsTrafficOnly": True, "networkAcls": {
        "defaultAction": "Deny", "ipRules": [{"value": "203.0.113.0/24", "action": "Allow"}],
        "virtualNetworkRules": [{"id": "/subnet", "action": "Allow"}]}}
    with pytest.raises(ExportError, match="beside a nested properties object"):
        arm_body("azure-native:keyvault:Vault", {"vaultName": "kv", "properties": {}, "stray": 1})


def test_api_version_is_the_one_the_sdk_class_documents():
    """Read independently here: the module's source says it in the class's documentation."""
    for token in ("azure-native:storage:StorageAccount", "azure-native:machinelearningservices:Compute", "azure-native:keyvault:Vault"):
        _, module, name = token.split(":")
        cls = getattr(importlib.import_module(f"pulumi_azure_native.{module}"), name)
        stated = set(re.findall(r"Uses Azure REST API version (\d{4}-\d{2}-\d{2}[\w-]*?)\.", inspect.getsource(inspect.getmodule(cls))))
        assert {api_version(token)} == stated


# --- The Checkov mapping (docs/policies.md) -----------------------------------------------------------------------


def test_checkov_map_names_only_policies_of_the_pack():
    from blueprint.tools.policy_check import load_policies

    names = {policy.name for policy in load_policies(REPO / "policies")}
    data = load_map()
    for check in data["checks"]:
        assert set(check["policies"]) <= names, f"{check['id']}: {set(check['policies']) - names} not in the pack"
    assert data["pack"] == sys.modules["mlplatform_policies"].PACK_NAME


def test_checkov_map_lists_each_check_once_on_types_the_exports_contain():
    data = load_map()
    ids = [check["id"] for check in data["checks"]]
    assert len(ids) == len(set(ids))
    present = {r["type"] for stack in STACKS for r in all_resources(exported(stack))}
    for check in data["checks"]:
        assert set(check["resourceTypes"]) <= present, f"{check['id']}: no shipped stack exports {check['resourceTypes']}"
        assert check["coverage"] in COVERAGE and (check["policies"] or check["note"].strip())
        assert set(check["results"]) == set(data["stacks"]) == set(STACKS)
        for stack, result in check["results"].items():
            # Checkov evaluates a check exactly where the export has a resource of its type.
            has_type = bool(set(check["resourceTypes"]) & {r["type"] for r in all_resources(exported(stack))})
            assert (result != "not-evaluated") == has_type, f"{check['id']} in {stack}: recorded {result}"
    assert re.fullmatch(r"\d+\.\d+\.\d+", data["checkov"]["version"])


def test_checkov_map_refuses_a_check_listed_twice(tmp_path):
    data = json.loads(MAP_FILE.read_text())
    data["checks"].append(data["checks"][0])
    broken = tmp_path / "map.json"
    broken.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=f"check {data['checks'][0]['id']} listed twice"):
        load_map(broken)


def test_checkov_section_only_for_the_pack_it_maps():
    data = load_map()
    names = {name for check in data["checks"] for name in check["policies"]}
    assert section_for("another-pack", names) == ""
    assert section_for(data["pack"], names) == checkov_markdown(data)
    dropped = sorted(names)[0]
    with pytest.raises(ValueError, match=f"names {dropped}, not a policy of {data['pack']}"):
        section_for(data["pack"], names - {dropped})


def test_docs_policies_md_ends_with_the_generated_checkov_table():
    text = (REPO / "docs" / "policies.md").read_text(encoding="utf-8")
    section = checkov_markdown(load_map())
    assert text.endswith(section)
    assert "## Checkov's ARM checks" in section and section.count("\n| `CKV") == len(load_map()["checks"])


# --- The command end to end ---------------------------------------------------------------------------------------


def blueprint(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "blueprint", *args], cwd=cwd, capture_output=True, text=True, timeout=180)


@pytest.mark.e2e
def test_export_prints_the_template_and_writes_it_with_output(tmp_path):
    printed = blueprint("export", "dev", "--format", "arm")
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout) == json.loads(json.dumps(exported("dev")))
    target = tmp_path / "out" / "dev.json"
    written = blueprint("export", "dev", "--format", "arm", "--output", str(target))
    assert written.returncode == 0, written.stderr
    assert f"written to {target}" in written.stdout
    assert target.read_text() == printed.stdout


@pytest.mark.e2e
@pytest.mark.parametrize(("args", "message"), [
    (("export", "nosuch", "--format", "arm"), "no such stack file"),
    (("export", "dev", "--format", "bicep"), "invalid choice: 'bicep'"),
    (("export", "dev"), "the following arguments are required: --format"),
    (("export", "dev", "--format", "arm", "--output", "stacks/Pulumi.dev.yaml"), "--output stacks/Pulumi.dev.yaml: it is a stack file"),
])
def test_export_refuses_bad_usage_with_exit_2(args, message):
    before = (REPO / "stacks" / "Pulumi.dev.yaml").read_bytes()
    result = blueprint(*args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert (REPO / "stacks" / "Pulumi.dev.yaml").read_bytes() == before
