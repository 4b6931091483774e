"""The example landing-zone stack (stacks/Pulumi.prod-lz.yaml): prod in a spoke VNet the landing zone hands over,
with the hub's central private DNS zones, an Azure Monitor private link scope and a customer-managed key. It plans
with no finding at all, and breaking each landing-zone rule gives its mandatory finding."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from functools import lru_cache

import pytest

from blueprint.program.project import load_project, read_stack_config
from blueprint.tools.policy_check import Finding, evaluate, load_pack_config, load_policies
from blueprint.tools.preview.plan import Plan
from blueprint.tools.preview.runner import run_program
from components.private_dns import zones_for
from conftest import REPO

STACK = "prod-lz"
PE = "azure-native:network:PrivateEndpoint"
DNS_GROUP = "azure-native:network:PrivateDnsZoneGroup"
CREATED_NETWORK = ("azure-native:network:VirtualNetwork", "azure-native:network:Subnet",
                   "azure-native:network:NetworkSecurityGroup", "azure-native:privatedns:PrivateZone",
                   "azure-native:privatedns:VirtualNetworkLink")
DNS_POLICY = "azure-native-network-privateendpoint-require-private-dns"
MONITOR_POLICY = "azure-native-monitor-privatelinkscope-closed-telemetry-reachable"
CMK_POLICIES = {
    "azure-native-machinelearningservices-workspace-require-cmk-for-classified-data",
    "azure-native-storage-storageaccount-require-cmk-for-classified-data",
    "azure-native-containerregistry-registry-require-cmk-for-classified-data",
}


def config(**changes: object) -> dict[str, str]:
    """The stack's config, with ``mlplatform:<key>`` values replaced (JSON-encoded, as the engine passes them)."""
    values = dict(read_stack_config(load_project(REPO), STACK))
    values.update({f"mlplatform:{key}": json.dumps(value) for key, value in changes.items()})
    return values


@lru_cache(maxsize=None)
def plan_of(config_json: str) -> Plan:
    return run_program(load_project(REPO), STACK, json.loads(config_json))


def lz_plan(**changes: object) -> Plan:
    return plan_of(json.dumps(config(**changes), sort_keys=True))


def findings(plan: Plan) -> list[Finding]:
    pack = REPO / "policies"
    policies = load_policies(pack)
    return evaluate(plan, policies, load_pack_config(pack, "prod", policies))


def blocking(plan: Plan) -> set[str]:
    return {f.policy for f in findings(plan) if f.blocking}


def test_the_landing_zone_stack_plans_with_no_finding() -> None:
    assert findings(lz_plan()) == []


def test_it_creates_no_network_and_no_zone_and_points_every_endpoint_at_the_hub() -> None:
    plan = lz_plan()
    stack_network = json.loads(config()["mlplatform:network"])
    hub_zones = stack_network["privateDns"]["zones"]
    assert [r.type for r in plan.resources if r.type in CREATED_NETWORK] == []
    subnet = stack_network["existingVnet"]["privateEndpointSubnetId"]
    endpoints = {r.name: r for r in plan.of_type(PE)}
    assert {e.inputs["subnet"]["id"] for e in endpoints.values()} == {subnet}
    groups = {r.name.removesuffix("-dns"): r for r in plan.of_type(DNS_GROUP)}
    assert set(groups) == set(endpoints)
    for name, endpoint in endpoints.items():
        (group_id,) = endpoint.inputs["privateLinkServiceConnections"][0]["groupIds"]
        zone_ids = [c["privateDnsZoneId"] for c in groups[name].inputs["privateDnsZoneConfigs"]]
        assert zone_ids == [hub_zones[zone] for zone in zones_for(group_id)], name
    assert {e.inputs["privateLinkServiceConnections"][0]["groupIds"][0] for e in endpoints.values()} >= {"amlworkspace", "azuremonitor"}


def test_telemetry_goes_through_the_monitor_scope_and_data_is_encrypted_with_the_key() -> None:
    plan = lz_plan()
    scoped = plan.of_type("azure-native:monitor:PrivateLinkScopedResource")
    assert len(plan.of_type("azure-native:monitor:PrivateLinkScope")) == 1 and len(scoped) == 2
    (workspace,) = plan.of_type("azure-native:machinelearningservices:Workspace")
    assert workspace.inputs["encryption"]["status"] == "Enabled"
    assert workspace.inputs["publicNetworkAccess"] == "Disabled"


def _without_a_zone(plan: Plan) -> Plan:
    """The plan with the notebooks zone dropped from the workspace endpoint's DNS zone group."""
    resources = []
    for resource in plan.resources:
        if resource.type == DNS_GROUP and resource.name.endswith("-workspace-dns"):
            inputs, outputs = copy.deepcopy(resource.inputs), copy.deepcopy(resource.outputs)
            for values in (inputs, outputs):
                values["privateDnsZoneConfigs"] = [c for c in values["privateDnsZoneConfigs"] if "notebooks" not in c["privateDnsZoneId"]]
            resource = replace(resource, inputs=inputs, outputs=outputs)
        resources.append(resource)
    return replace(plan, resources=resources)


def _without_the_monitor_scope(plan: Plan) -> Plan:
    dropped = ("azure-native:monitor:PrivateLinkScope", "azure-native:monitor:PrivateLinkScopedResource")
    return replace(plan, resources=[r for r in plan.resources if r.type not in dropped])


def test_a_missing_zone_is_a_mandatory_finding() -> None:
    assert blocking(_without_a_zone(lz_plan())) == {DNS_POLICY}


def test_no_monitor_scope_is_a_mandatory_finding() -> None:
    assert MONITOR_POLICY in blocking(_without_the_monitor_scope(lz_plan()))


@pytest.mark.parametrize("encryption", [{"customerManagedKey": False}, None], ids=["turned-off", "absent"])
def test_restricted_data_without_the_key_is_a_mandatory_finding_per_store(encryption: object) -> None:
    changes = {"encryption": encryption} if encryption is not None else {}
    values = config(**changes)
    if encryption is None:
        del values["mlplatform:encryption"]
    plan = plan_of(json.dumps(values, sort_keys=True))
    assert blocking(plan) == CMK_POLICIES


@pytest.mark.e2e
def test_a_new_project_forks_the_landing_zone_stack(project_copy) -> None:
    from tests.test_cli import blueprint

    (project_copy / "ml_templates").symlink_to(REPO / "ml_templates")
    (project_copy / "policies").symlink_to(REPO / "policies")
    result = blueprint("fork", STACK, "fraud-lz", "--project", "fraud", "--repository", "example-org/fraud-detection", cwd=project_copy)
    assert result.returncode == 0, result.stderr
    assert "policy pack: no mandatory violation" in result.stdout
    assert "network.existingVnet" in result.stdout  # told to bring the new project's own subnet and the hub's zones
    forked = json.loads(read_stack_config(load_project(project_copy), "fraud-lz")["mlplatform:network"])
    assert forked == json.loads(config()["mlplatform:network"])  # the landing zone's IDs, kept for the team to replace
    ci = json.loads(read_stack_config(load_project(project_copy), "fraud-lz")["mlplatform:ci"])
    assert ci == {"repository": "example-org/fraud-detection", "environments": ["prod"], "previewEnvironment": "prod-preview"}
