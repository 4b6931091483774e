"""What each managed network can reach, in the plans: the package hosts the environment templates need, a private
endpoint to the shared registry (Spark-enabled where model monitors run), and a stack's own rules beside them.

The expected hosts are computed from ml_templates/environments with the program's own reader, never copied here,
so a template that starts using another channel changes the expectation and the plans together.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from blueprint.program.environment_templates import load_environment_templates, package_hosts
from blueprint.program.project import load_project
from blueprint.tools.preview.plan import Plan
from blueprint.tools.preview.runner import run_program
from tests.conftest import REPO, SHIPPED_STACKS, only, preview_stack, stack_config

WORKSPACE = "azure-native:machinelearningservices:Workspace"
MONITOR = "azure-native:machinelearningservices:Schedule"


def rules_of(plan: Plan) -> dict[str, Any]:
    return only(plan, WORKSPACE).inputs["managedNetwork"].get("outboundRules") or {}


def fqdn_rules(plan: Plan) -> dict[str, str]:
    return {name: rule["destination"] for name, rule in rules_of(plan).items() if rule["type"] == "FQDN"}


def template_hosts() -> dict[str, tuple[str, ...]]:
    return package_hosts(load_environment_templates(REPO / "ml_templates", REPO))


def preview_with_network(stack: str, network: dict[str, Any]) -> Plan:
    config = dict(stack_config(stack))
    config["mlplatform:network"] = json.dumps(network)
    return run_program(load_project(REPO), stack, config)


def monitors(plan: Plan) -> list[Any]:
    return [s for s in plan.of_type(MONITOR) if s.inputs["properties"]["action"]["actionType"] == "CreateMonitor"]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_approved_outbound_networks_allow_exactly_the_hosts_the_templates_need(stack):
    plan = preview_stack(stack)
    assert only(plan, WORKSPACE).inputs["managedNetwork"]["isolationMode"] == "AllowOnlyApprovedOutbound"
    expected = template_hosts()
    assert {"conda.anaconda.org", "pypi.org", "files.pythonhosted.org"} <= set(expected)  # conda-forge and pip
    assert fqdn_rules(plan) == {f"pkg-{host.replace('.', '-')}": host for host in expected}


def test_dev_allows_internet_outbound_and_gets_no_fqdn_rule():
    plan = preview_stack("dev")
    assert only(plan, WORKSPACE).inputs["managedNetwork"]["isolationMode"] == "AllowInternetOutbound"
    assert fqdn_rules(plan) == {}


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_managed_network_reaches_the_shared_registry_through_a_private_endpoint(stack):
    """The destination is the shared stack's registry (its public access is disabled), group amlregistry."""
    registry_id = preview_stack("shared").outputs["registryId"]
    assert "/providers/Microsoft.MachineLearningServices/registries/" in registry_id
    rule = rules_of(preview_stack(stack))["shared-registry"]
    assert rule["type"] == "PrivateEndpoint" and rule["category"] == "UserDefined"
    assert rule["destination"]["serviceResourceId"] == registry_id
    assert rule["destination"]["subresourceTarget"] == "amlregistry"


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_spark_is_enabled_exactly_where_model_monitors_run(stack):
    """Prod's drift monitors run on serverless Spark: its registry rule is Spark-enabled and the stack tells the
    deploy workflow to provision the network for Spark; stacks without a monitor enable neither."""
    plan = preview_stack(stack)
    spark = bool(monitors(plan))
    assert spark is (stack == "prod")
    assert rules_of(plan)["shared-registry"]["destination"]["sparkEnabled"] is spark
    assert plan.outputs["sparkNetwork"] is spark


def test_a_stack_rule_for_a_derived_host_replaces_it_and_other_rules_are_kept():
    """pypi.org under the stack's own name: no second rule for it; a rule for another host is added as written."""
    network = {"mode": "managed", "outboundRules": {"pypi": {"fqdn": "pypi.org"}, "hub": {"fqdn": "huggingface.co"}}}
    rules = fqdn_rules(preview_with_network("staging", network))
    assert rules["pypi"] == "pypi.org" and rules["hub"] == "huggingface.co"
    assert "pkg-pypi-org" not in rules and list(rules.values()).count("pypi.org") == 1
    assert {host for host in template_hosts()} <= set(rules.values())
