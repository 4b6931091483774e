"""The shipped stacks' plans: what the issue's acceptance list promises, checked on the real program."""

from __future__ import annotations

import subprocess
import sys

import pytest

from components.naming import KIND_OF_TYPE, validate_name
from tests.conftest import REPO, REQUIRED_TAGS, SHIPPED_STACKS, only, preview_stack, takes_azure_tags

#: Types whose physical name is fixed by Azure or is a GUID rather than chosen.
FIXED_NAMES = {
    "azure-native:storage:BlobServiceProperties",
    "azure-native:privatedns:PrivateZone",
    "azure-native:network:PrivateDnsZoneGroup",
    "azure-native:authorization:RoleAssignment",
    "azuread:index/servicePrincipal:ServicePrincipal",
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
    "azure-native:machinelearningservices:RegistryEnvironmentContainer",
    "azure-native:machinelearningservices:RegistryEnvironmentVersion",
    # Names chosen per parent (a deployment per endpoint, a schedule or setting per resource), checked by their
    # components against Azure's rules for them:
    "azure-native:machinelearningservices:OnlineDeployment",
    "azure-native:machinelearningservices:BatchDeployment",
    "azure-native:machinelearningservices:Schedule",
    "azure-native:monitor:DiagnosticSetting",
    "azure-native:monitor:AutoscaleSetting",
    "azure-native:resources:Deployment",  # an endpoint's traffic template: the endpoint's name plus "-traffic"
    "azure-native:monitor:PrivateLinkScopedResource",  # "logs" and "insights", fixed by MonitorPrivateLinkScope's callers
}


def test_prod_plan_meets_the_acceptance_list():
    plan = preview_stack("prod")
    ws = only(plan, "azure-native:machinelearningservices:Workspace")
    assert ws.inputs["publicNetworkAccess"] == "Disabled"

    st = only(plan, "azure-native:storage:StorageAccount").inputs
    assert st["enableHttpsTrafficOnly"] is True and st["minimumTlsVersion"] == "TLS1_2"
    assert st["allowSharedKeyAccess"] is False and st["allowBlobPublicAccess"] is False

    kv = only(plan, "azure-native:keyvault:Vault").inputs["properties"]
    assert kv["enablePurgeProtection"] is True and kv["enableRbacAuthorization"] is True and kv["enableSoftDelete"] is True

    assert only(plan, "azure-native:containerregistry:Registry").inputs["adminUserEnabled"] is False
    appi = only(plan, "azure-native:applicationinsights:Component").inputs
    law = only(plan, "azure-native:operationalinsights:Workspace")
    assert appi["workspaceResourceId"] == law.id

    clusters = plan.of_type("azure-native:machinelearningservices:Compute")
    gpu = [c for c in clusters if "NVIDIA" in c.inputs["properties"]["description"]]
    assert gpu, "prod has at least one GPU cluster"
    for cluster in clusters:
        assert cluster.inputs["properties"]["disableLocalAuth"] is True
        inner = cluster.inputs["properties"]["properties"]
        assert inner["scaleSettings"]["minNodeCount"] == 0
        assert inner["enableNodePublicIp"] is False


def test_prod_telemetry_is_reached_through_its_monitor_private_link_scope():
    """Prod closes Log Analytics and Application Insights to public ingestion: the scope serves both, and the
    platform network's azuremonitor endpoint connects to it, its zone group filling the five Azure Monitor zones."""
    plan = preview_stack("prod")
    law = only(plan, "azure-native:operationalinsights:Workspace")
    appi = only(plan, "azure-native:applicationinsights:Component")
    assert law.inputs["publicNetworkAccessForIngestion"] == appi.inputs["publicNetworkAccessForIngestion"] == "Disabled"
    scope = only(plan, "azure-native:monitor:PrivateLinkScope")
    assert scope.inputs["accessModeSettings"]["ingestionAccessMode"] == scope.inputs["accessModeSettings"]["queryAccessMode"] == "PrivateOnly"
    scoped = plan.of_type("azure-native:monitor:PrivateLinkScopedResource")
    assert sorted(r.inputs["linkedResourceId"] for r in scoped) == sorted([law.id, appi.id])
    assert all(r.inputs["scopeName"] == scope.physical_name for r in scoped)
    endpoint = next(r for r in plan.of_type("azure-native:network:PrivateEndpoint") if r.name == "network-pep-monitor")
    (connection,) = endpoint.inputs["privateLinkServiceConnections"]
    assert connection == {**connection, "groupIds": ["azuremonitor"], "privateLinkServiceId": scope.id}
    # Created after the scoped resources (Azure's documented order), so its DNS records cover them.
    assert {r.urn for r in scoped} <= set(endpoint.dependencies)
    group = next(r for r in plan.of_type("azure-native:network:PrivateDnsZoneGroup") if r.name == "network-pep-monitor-dns")
    zones = {r.id: r.inputs["privateZoneName"] for r in plan.of_type("azure-native:privatedns:PrivateZone")}
    assert [zones[c["privateDnsZoneId"]] for c in group.inputs["privateDnsZoneConfigs"]] == [
        "privatelink.monitor.azure.com", "privatelink.oms.opinsights.azure.com", "privatelink.ods.opinsights.azure.com",
        "privatelink.agentsvc.azure-automation.net", "privatelink.blob.core.windows.net",
    ]


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_stacks_with_open_telemetry_have_no_monitor_scope(stack):
    plan = preview_stack(stack)
    assert only(plan, "azure-native:operationalinsights:Workspace").inputs["publicNetworkAccessForIngestion"] == "Enabled"
    assert plan.of_type("azure-native:monitor:PrivateLinkScope") == []
    assert plan.of_type("azure-native:monitor:PrivateLinkScopedResource") == []


def test_prod_protects_data_bearing_resources():
    protected = {r.type for r in preview_stack("prod").resources if r.protect}
    assert {
        "azure-native:machinelearningservices:Workspace",
        "azure-native:storage:StorageAccount",
        "azure-native:keyvault:Vault",
        "azure-native:containerregistry:Registry",
    } <= protected
    assert not any(r.protect for r in preview_stack("dev").resources)


@pytest.mark.parametrize("stack", [*SHIPPED_STACKS, "shared", "bootstrap"])
def test_every_taggable_resource_carries_the_required_tags(stack):
    plan = preview_stack(stack)
    for resource in plan.resources:
        if resource.custom and takes_azure_tags(resource.type):
            resource_tags = resource.inputs.get("tags", {})
            assert REQUIRED_TAGS <= set(resource_tags), resource.urn
            assert resource_tags["environment"] == stack


@pytest.mark.parametrize(("stack", "at_least"), [*((s, 9) for s in SHIPPED_STACKS), ("bootstrap", 7)])
def test_every_physical_name_meets_azure_rules(stack, at_least):
    plan = preview_stack(stack)
    checked = 0
    for resource in plan.resources:
        if not resource.custom or resource.type in FIXED_NAMES or resource.operation == "read":
            continue
        assert resource.type in KIND_OF_TYPE, f"no naming rule known for {resource.type}"
        assert validate_name(KIND_OF_TYPE[resource.type], resource.physical_name) == [], resource.physical_name
        checked += 1
    assert checked >= at_least


def test_global_names_differ_between_stacks():
    def names(stack: str) -> set[str]:
        return {
            r.physical_name for r in preview_stack(stack).resources
            if r.physical_name and r.operation == "create" and r.type not in FIXED_NAMES
            and r.type != "azure-native:machinelearningservices:Compute"  # cluster names are chosen, per workspace
        }

    assert not names("dev") & names("staging")
    assert not names("staging") & names("prod")
    assert not names("bootstrap") & (names("dev") | names("prod"))


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_input_is_known_and_outputs_are_exported(stack):
    plan = preview_stack(stack)
    assert plan.diagnostics == []
    assert {"workspaceName", "workspaceId", "studioUrl", "clusterNames", "resourceGroupName"} <= set(plan.outputs)
    assert plan.outputs["workspaceId"].startswith("/subscriptions/")
    assert "/providers/Microsoft.MachineLearningServices/workspaces/" in plan.outputs["workspaceId"]


def test_environments_differ_the_way_real_ones_do():
    dev, prod = preview_stack("dev"), preview_stack("prod")
    dev_ws = only(dev, "azure-native:machinelearningservices:Workspace").inputs
    assert dev_ws["publicNetworkAccess"] == "Enabled"
    assert only(dev, "azure-native:containerregistry:Registry").inputs["sku"]["name"] == "Basic"
    assert only(prod, "azure-native:containerregistry:Registry").inputs["sku"]["name"] == "Premium"

    def gpu_capacity(plan):
        return sum(c.inputs["properties"]["properties"]["scaleSettings"]["maxNodeCount"] for c in plan.of_type("azure-native:machinelearningservices:Compute"))

    assert gpu_capacity(prod) > gpu_capacity(dev)


def test_preview_path_does_not_import_heavy_sdks():
    code = (
        "import sys; from blueprint.tools.cli import main; rc = main(['preview', 'dev', '--json', '/dev/null']);"
        "heavy = sorted(m for m in sys.modules if m.startswith(('azure.ai.ml', 'mlflow', 'sklearn')));"
        "print(heavy); sys.exit(rc or (1 if heavy else 0))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_plans_are_reproducible_byte_for_byte():
    first = subprocess.run([sys.executable, "-m", "blueprint", "preview", "prod", "--json"], cwd=REPO, capture_output=True, text=True, timeout=120)
    second = subprocess.run([sys.executable, "-m", "blueprint", "preview", "prod", "--json"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0 and first.stdout == second.stdout


def test_a_destroyed_dev_stack_comes_back_the_same_day_under_a_new_generation():
    """dev's Key Vault keeps purge protection, so after `pulumi destroy` its soft-deleted vault holds its name for
    the retention period. Generation 2 of the same stack renames every data-bearing resource and changes nothing
    else: `pulumi up` succeeds at once, with the same settings, while the old vault waits out its retention."""
    import json

    from blueprint.tools.preview.runner import run_program
    from blueprint.program.project import load_project, read_stack_config
    from blueprint.tools.stack_diff import diff_plans

    project = load_project(REPO)
    config = dict(read_stack_config(project, "dev"))
    first = preview_stack("dev")
    second = run_program(project, "dev", {**config, "mlplatform:generation": json.dumps(2)})

    vault_before = only(first, "azure-native:keyvault:Vault")
    vault_after = only(second, "azure-native:keyvault:Vault")
    assert vault_before.inputs["properties"]["enablePurgeProtection"] is True
    assert vault_after.inputs["properties"]["enablePurgeProtection"] is True
    for type_token in ("azure-native:keyvault:Vault", "azure-native:machinelearningservices:Workspace",
                       "azure-native:storage:StorageAccount", "azure-native:containerregistry:Registry",
                       "azure-native:resources:ResourceGroup"):
        assert only(first, type_token).physical_name != only(second, type_token).physical_name, type_token
    # Matched by role with physical names and IDs normalised away, the two plans are the same.
    difference = diff_plans(first, second)
    assert difference.only_a == [] and difference.only_b == []
    assert [(d.ref.path, [c.path for c in d.changes if not c.naming_only]) for d in difference.changed
            if any(not c.naming_only for c in d.changes)] == []
