"""The serving rollout policies: traffic never precedes the deployments it names, on the endpoint or on its carrier.

Compliant props are the prod preview's (its endpoint, deployments and traffic template); each violating case changes
one thing of them. The shipped plans are checked at the end.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import preview_stack
from tests.policy_harness import StackResource, changed, plan_stack_resources, run_resource_policy, run_stack_policy

from mlplatform_policies import serving  # noqa: E402 - the harness puts the pack on sys.path
from mlplatform_policies.base import CATALOG  # noqa: E402

BY_NAME = {p.name: p for p in serving.POLICIES}
INLINE = BY_NAME["azure-native-machinelearningservices-onlineendpoint-disallow-traffic-before-deployments"]
AFTER = BY_NAME["azure-native-resources-deployment-traffic-after-deployments"]
ENDPOINT_NAME = "mloe-mlp-fraud-prod-weu-j6nze"

ENDPOINT_PROPS: dict[str, Any] = {
    "endpointName": ENDPOINT_NAME,
    "identity": {"type": "SystemAssigned"},
    "kind": "Managed",
    "location": "westeurope",
    "properties": {
        "authMode": "AADToken",
        "description": "Online endpoint fraud, managed by Pulumi.",
        "publicNetworkAccess": "Disabled",
    },
    "resourceGroupName": "rg-mlp-prod-weu-5skr8",
    "workspaceName": "mlw-mlp-prod-weu-1jbwf",
}


def deployment(name: str, endpoint: str = ENDPOINT_NAME) -> StackResource:
    return StackResource(serving.ONLINE_DEPLOYMENT, f"endpoint-fraud-{name}", {"deploymentName": name, "endpointName": endpoint, "name": name})


def carrier(split: dict[str, float], depends_on: tuple[str, ...] = ("endpoint-fraud-blue", "endpoint-fraud-green")) -> StackResource:
    parameters = {
        "endpointName": {"type": "String", "value": ENDPOINT_NAME},
        "traffic": {"type": "Object", "value": split},
        "workspaceName": {"type": "String", "value": "mlw-mlp-prod-weu-1jbwf"},
    }
    props = {"properties": {"mode": "Incremental", "parameters": parameters, "provisioningState": "Succeeded"}}
    return StackResource(serving.TEMPLATE_DEPLOYMENT, "endpoint-fraud-traffic", props, depends_on=depends_on)


def stack(*resources: StackResource) -> list[StackResource]:
    return [deployment("blue"), deployment("green"), *resources]


# --- The endpoint carries no traffic ---------------------------------------------------------------------------


def test_an_endpoint_without_traffic_complies():
    assert run_resource_policy(INLINE, serving.ONLINE_ENDPOINT, ENDPOINT_PROPS) == []


@pytest.mark.parametrize("traffic", [{}, {"blue": 0.0}])
def test_traffic_that_names_no_share_complies(traffic):
    assert run_resource_policy(INLINE, serving.ONLINE_ENDPOINT, changed(ENDPOINT_PROPS, ("properties.traffic", traffic))) == []


def test_traffic_on_the_endpoint_is_reported():
    props = changed(ENDPOINT_PROPS, ("properties.traffic", {"green": 10.0, "blue": 90.0}))
    assert run_resource_policy(INLINE, serving.ONLINE_ENDPOINT, props) == [
        "Online endpoint sets traffic blue=90, green=10 on itself, before its deployments exist; expected no traffic on "
        "the endpoint, applied instead by a template deployment that depends on the deployments it names."
    ]


def test_mirrored_traffic_on_the_endpoint_is_reported():
    props = changed(ENDPOINT_PROPS, ("properties.mirrorTraffic", {"green": 20.0}))
    [message] = run_resource_policy(INLINE, serving.ONLINE_ENDPOINT, props)
    assert message.startswith("Online endpoint sets mirrorTraffic green=20 on itself")


def test_the_endpoint_policy_can_be_waived_and_ignores_other_types():
    props = changed(ENDPOINT_PROPS, ("properties.traffic", {"blue": 100.0}))
    waived = {"waivers": [{"resource": "subject", "reason": "created before its deployments were split out"}]}
    assert run_resource_policy(INLINE, serving.ONLINE_ENDPOINT, props, config=waived) == [
        "not applicable: waived: created before its deployments were split out"
    ]
    assert run_resource_policy(INLINE, "azure-native:machinelearningservices:BatchEndpoint", props) == []


# --- The carrier depends on every deployment it names ----------------------------------------------------------


def test_a_carrier_that_depends_on_every_named_deployment_complies():
    assert run_stack_policy(AFTER, stack(carrier({"blue": 90.0, "green": 10.0}))) == []


def test_a_deployment_at_zero_need_not_be_waited_for():
    assert run_stack_policy(AFTER, stack(carrier({"blue": 100.0, "green": 0.0}, depends_on=("endpoint-fraud-blue",)))) == []


def test_a_carrier_that_does_not_wait_for_a_deployment_is_reported():
    found = run_stack_policy(AFTER, stack(carrier({"blue": 90.0, "green": 10.0}, depends_on=("endpoint-fraud-blue",))))
    assert found == [(
        "urn:pulumi:test::mlplatform::azure-native:resources:Deployment::endpoint-fraud-traffic",
        f"Template deployment endpoint-fraud-traffic routes traffic to deployment 'green' of endpoint {ENDPOINT_NAME} "
        "without depending on it, so it may run before the deployment exists; expected it to depend on every "
        "deployment it names.",
    )]


def test_a_carrier_naming_a_deployment_the_stack_does_not_create_is_reported():
    found = run_stack_policy(AFTER, stack(carrier({"blue": 90.0, "orange": 10.0})))
    assert [message for _, message in found] == [
        f"Template deployment endpoint-fraud-traffic routes traffic to deployment 'orange' of endpoint {ENDPOINT_NAME}, "
        "which the stack does not create; expected every deployment it names to be an OnlineDeployment of the stack."
    ]


def test_a_deployment_of_another_endpoint_does_not_count():
    resources = [deployment("blue"), deployment("green", endpoint="mloe-other"), carrier({"blue": 90.0, "green": 10.0})]
    [(_, message)] = run_stack_policy(AFTER, resources)
    assert "'green'" in message and "does not create" in message


def test_template_deployments_without_traffic_are_ignored():
    other = StackResource(serving.TEMPLATE_DEPLOYMENT, "something-else", {"properties": {"parameters": {"x": {"value": 1}}}})
    assert run_stack_policy(AFTER, stack(other)) == []


def test_both_policies_are_documented():
    for policy in serving.POLICIES:
        doc = CATALOG[policy.name]
        assert doc.description and doc.rationale and doc.checks and doc.remediation and doc.url.startswith("https://")
        assert "components/model_endpoint.py" in doc.remediation


# --- The shipped plans -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack_name", ["staging", "prod"])
def test_shipped_plans_route_traffic_only_after_their_deployments(stack_name):
    plan = preview_stack(stack_name)
    assert plan.of_type(serving.TEMPLATE_DEPLOYMENT), f"{stack_name} routes no traffic"
    for endpoint in plan.of_type(serving.ONLINE_ENDPOINT):
        assert run_resource_policy(INLINE, serving.ONLINE_ENDPOINT, endpoint.inputs, name=endpoint.name) == []
    assert run_stack_policy(AFTER, plan_stack_resources(plan)) == []
