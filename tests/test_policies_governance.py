"""Governance policies: tags, names, API versions, budget, deletion protection, GPU quota and VM sizes.

Each policy gets a compliant and a violating case with the exact message; the shipped plans are checked as the
engine would see them (resource policies on inputs, stack policies on outputs linked by dependencies).
"""

from __future__ import annotations

from typing import Any

import pytest

from components.naming import KIND_OF_TYPE
from tests.conftest import preview_stack, takes_azure_tags
from tests import policy_harness as harness
from tests.policy_harness import StackResource, run_resource_policy, run_stack_policy

from mlplatform_policies import governance  # noqa: E402 - the harness puts policies/ on sys.path
from mlplatform_policies.base import CATALOG  # noqa: E402
from mlplatform_policies.governance.budget import BUDGET  # noqa: E402
from mlplatform_policies.governance.compute import COMPUTE  # noqa: E402
from mlplatform_policies.governance.names import NAME_INPUT  # noqa: E402
from mlplatform_policies.governance.protection import DATA_BEARING_TYPES, RESOURCE_GROUP, RESOURCE_GROUP_LOCK  # noqa: E402
from mlplatform_policies.governance.tags import TAGGABLE_TYPES  # noqa: E402

ST = "azure-native:storage:StorageAccount"
KV = "azure-native:keyvault:Vault"
RG = RESOURCE_GROUP
LOCK = RESOURCE_GROUP_LOCK
MLW = "azure-native:machinelearningservices:Workspace"
MLR = "azure-native:machinelearningservices:Registry"
TAGS = {"owner": "ml-platform-team", "costCenter": "CC-1001", "environment": "prod", "dataClassification": "confidential"}
WAIVER = {"waivers": [{"resource": "subject", "reason": "imported legacy resource, retagged in Q3"}]}
WAIVED = "not applicable: waived: imported legacy resource, retagged in Q3"


def tags(**changes: str | None) -> dict[str, str]:
    out = dict(TAGS)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


# --- azure-native-all-resource-required-tags ---


def test_required_tags_pass_when_all_four_are_set():
    assert run_resource_policy(governance.required_tags, ST, {"accountName": "stx", "tags": tags()}) == []


def test_required_tag_names_compare_case_insensitively():
    props = {"tags": {"Owner": "team", "CostCenter": "CC-1", "Environment": "prod", "DataClassification": "internal"}}
    assert run_resource_policy(governance.required_tags, ST, props) == []


def test_required_tags_flag_missing_and_empty_tags():
    props = {"tags": tags(owner=None, dataClassification=None, costCenter=" ")}
    assert run_resource_policy(governance.required_tags, MLW, props) == [
        "missing required tags owner, dataClassification; empty required tags costCenter; expected every one of "
        "owner, costCenter, environment, dataClassification with a non-empty value"
    ]


def test_required_tags_apply_to_any_azure_native_type_with_tags_only():
    props = {"tags": {}}
    assert run_resource_policy(governance.required_tags, "azure-native:web:WebApp", props) == [
        "missing required tags owner, costCenter, environment, dataClassification; expected every one of owner, "
        "costCenter, environment, dataClassification with a non-empty value"
    ]
    assert run_resource_policy(governance.required_tags, "azuread:index/application:Application", {"tags": ["x"]}) == []
    assert run_resource_policy(governance.required_tags, ST, {"accountName": "stx"}) == []


def test_required_tags_waiver():
    assert run_resource_policy(governance.required_tags, ST, {"tags": {}}, config=WAIVER) == [WAIVED]


# --- azure-native-all-resource-taggable-has-tags ---


def test_taggable_types_with_tags_pass():
    assert run_resource_policy(governance.taggable_resources_tagged, ST, {"tags": tags()}) == []


def test_taggable_types_without_tags_are_flagged():
    assert run_resource_policy(governance.taggable_resources_tagged, KV, {"vaultName": "kv-x"}) == [
        "Vault carries no tags; expected the required tags owner, costCenter, environment, dataClassification"
    ]


def test_untaggable_types_are_not_flagged():
    ra = "azure-native:authorization:RoleAssignment"
    assert run_resource_policy(governance.taggable_resources_tagged, ra, {"principalId": "x"}) == []


@pytest.mark.parametrize("type_token", TAGGABLE_TYPES)
def test_every_listed_taggable_type_accepts_tags_in_the_sdk(type_token):
    assert takes_azure_tags(type_token)


# --- azure-all-resource-physical-name-rules ---


@pytest.mark.parametrize(
    ("type_token", "props"),
    [
        (ST, {"accountName": "stmlpprodweuz9xue"}),
        (COMPUTE, {"computeName": "gpu-a100"}),
        ("azuread:index/group:Group", {"displayName": "grp-mlp-readers-prod-weu-1170x"}),
        (ST, {"resourceGroupName": "Not A Storage Name"}),  # auto-named: nothing to check
        ("azure-native:storage:BlobServiceProperties", {"blobServicesName": "default"}),  # not in KIND_OF_TYPE
    ],
)
def test_valid_names_pass(type_token, props):
    assert run_resource_policy(governance.physical_names, type_token, props) == []


def test_invalid_storage_account_name_is_flagged():
    assert run_resource_policy(governance.physical_names, ST, {"accountName": "St-Platform"}) == [
        "storage account name 'St-Platform' contains uppercase letters; storage account names must be lowercase; "
        "contains hyphens, which storage account names do not allow; expected 3-24 lowercase letters and digits, "
        "globally unique"
    ]


def test_too_long_cluster_name_is_flagged():
    assert run_resource_policy(governance.physical_names, COMPUTE, {"computeName": "gpu-cluster-a100-large"}) == [
        "machine learning compute cluster name 'gpu-cluster-a100-large' is 22 characters; machine learning compute "
        "cluster names allow 3 to 16; expected 3-16 letters, digits and hyphens, starting with a letter, ending with a "
        "letter or digit, with a letter somewhere after every hyphen (so 'gpu-a100' but not 'cpu-1')"
    ]


def test_every_named_kind_has_a_name_input():
    assert set(NAME_INPUT) == set(KIND_OF_TYPE)


def test_name_waiver():
    assert run_resource_policy(governance.physical_names, KV, {"vaultName": "1kv"}, config=WAIVER) == [WAIVED]


# --- azure-native-all-resource-no-preview-api-version ---


@pytest.mark.parametrize(
    "type_token", [MLW, "azure-native:storage/v20230101:StorageAccount", "azuread:index/group:Group"]
)
def test_stable_types_pass(type_token):
    assert run_resource_policy(governance.no_preview_api, type_token, {}) == []


def test_preview_api_version_is_flagged():
    token = "azure-native:machinelearningservices/v20240401preview:Workspace"
    assert run_resource_policy(governance.no_preview_api, token, {}) == [
        f"resource type {token} pins the preview API version v20240401preview; expected the stable default "
        "azure-native:machinelearningservices:Workspace (or an explicit GA version)"
    ]


# --- Stack fixtures ---


def rg(name: str = "rg", environment: str = "prod") -> StackResource:
    return StackResource(RG, name, {"name": f"rg-mlp-{environment}", "tags": tags(environment=environment)})


def data(type_token: str, name: str, *, group: str | None = "rg", protect: bool = True, rg_name: str = "rg-mlp-prod",
         environment: str = "prod") -> StackResource:
    props = {"name": f"{name}-phys", "resourceGroupName": rg_name, "tags": tags(environment=environment)}
    links = {"resourceGroupName": [group]} if group else {}
    return StackResource(type_token, name, props, [group] if group else [], links, protect)


def lock(level: str = "CanNotDelete", group: str | None = "rg", rg_name: str = "rg-mlp-prod") -> StackResource:
    props = {"name": "lock-mlp", "level": level, "resourceGroupName": rg_name}
    return StackResource(LOCK, "lock", props, [group] if group else [], {"resourceGroupName": [group]} if group else {})


def notification(**changes: Any) -> dict[str, Any]:
    base = {"enabled": True, "operator": "GreaterThanOrEqualTo", "threshold": 80.0, "contactEmails": ["ops@example.com"]}
    return base | changes


def budget(*notifications: dict[str, Any]) -> StackResource:
    props = {"name": "budget-mlp-prod", "amount": 1000.0, "notifications": {f"n{i}": n for i, n in enumerate(notifications)}}
    return StackResource(BUDGET, "budget", props)


def urn(type_token: str, name: str) -> str:
    return f"urn:pulumi:test::mlplatform::{type_token}::{name}"


# --- azure-native-consumption-budget-notifications ---


def test_budget_with_a_notification_passes():
    resources = [rg(), data(MLW, "mlw"), budget(notification())]
    assert run_stack_policy(governance.budget_with_notifications, resources) == []


def test_missing_budget_is_flagged():
    assert run_stack_policy(governance.budget_with_notifications, [rg(), data(MLW, "mlw")]) == [
        (None, "stack creates billable Azure ML resources (1, e.g. mlw-phys) but no azure-native:consumption:Budget; "
               "expected a budget with at least one enabled notification that has a recipient")
    ]


@pytest.mark.parametrize(
    "notifications",
    [(), (notification(enabled=False),), (notification(contactEmails=[]),)],
    ids=["none", "disabled", "no-recipient"],
)
def test_budget_without_a_working_notification_is_flagged(notifications):
    resources = [rg(), data(MLW, "mlw"), budget(*notifications)]
    assert run_stack_policy(governance.budget_with_notifications, resources) == [
        (urn(BUDGET, "budget"), "budget budget-mlp-prod has no enabled notification with a recipient; expected at least "
                                "one notification with enabled true and contactEmails, contactGroups or contactRoles")
    ]


def test_budget_notification_may_go_to_an_action_group_only():
    action_group = "/subscriptions/x/resourceGroups/rg/providers/microsoft.insights/actionGroups/ag"
    only_group = notification(contactEmails=None, contactGroups=[action_group])
    assert run_stack_policy(governance.budget_with_notifications, [rg(), data(MLW, "mlw"), budget(only_group)]) == []


def test_stacks_without_billable_ml_resources_need_no_budget():
    shared = [rg(environment="shared"), data(MLR, "mlr", environment="shared")]
    assert run_stack_policy(governance.budget_with_notifications, shared) == []


# --- azure-native-data-resource-protected ---


def test_protected_data_resources_pass_in_prod():
    resources = [rg(), *(data(t, t.rsplit(":", 1)[-1].lower()) for t in DATA_BEARING_TYPES), lock()]
    assert run_stack_policy(governance.data_protected, resources) == []


def test_unprotected_data_resource_is_flagged_in_prod_and_shared():
    assert run_stack_policy(governance.data_protected, [rg(), data(ST, "st", protect=False)]) == [
        (urn(ST, "st"), "storage account st-phys holds data but is not protected; expected the resource option "
                        "protect=True in a stack tagged environment prod, so Pulumi refuses to delete it")
    ]
    shared = [rg(environment="shared"), data(MLR, "mlr", protect=False, environment="shared")]
    assert run_stack_policy(governance.data_protected, shared) == [
        (urn(MLR, "mlr"), "machine learning registry mlr-phys holds data but is not protected; expected the resource "
                          "option protect=True in a stack tagged environment shared, so Pulumi refuses to delete it")
    ]


@pytest.mark.parametrize("environment", ["dev", "staging"])
def test_unprotected_data_resources_are_fine_outside_prod_and_shared(environment):
    resources = [rg(environment=environment), data(KV, "kv", protect=False, environment=environment)]
    assert run_stack_policy(governance.data_protected, resources) == []


def test_protect_waiver():
    config = {"waivers": [{"resource": "st", "reason": "scratch account, recreated by the nightly job"}]}
    assert run_stack_policy(governance.data_protected, [rg(), data(ST, "st", protect=False)], config=config) == []


# --- azure-native-authorization-management-lock-data-resource-group ---


def test_lock_linked_through_dependencies_passes():
    resources = [rg(), data(KV, "kv"), data(MLW, "mlw"), lock()]
    assert run_stack_policy(governance.data_resource_group_locked, resources) == []


def test_lock_matched_by_resource_group_name_passes():
    resources = [data(KV, "kv", group=None, rg_name="rg-existing"), lock(group=None, rg_name="RG-EXISTING")]
    assert run_stack_policy(governance.data_resource_group_locked, resources) == []


@pytest.mark.parametrize("locks", [[], [lock("ReadOnly")], [lock(group=None, rg_name="rg-other")]],
                         ids=["no-lock", "read-only", "other-group"])
def test_missing_lock_is_flagged(locks):
    resources = [rg(), data(KV, "kv"), *locks]
    assert run_stack_policy(governance.data_resource_group_locked, resources) == [
        (urn(KV, "kv"), "key vault kv-phys holds data but its resource group rg-mlp-prod has no CanNotDelete lock; "
                        "expected a azure-native:authorization:ManagementLockAtResourceGroupLevel with level "
                        "CanNotDelete on it in a stack tagged environment prod")
    ]


def test_lock_is_not_required_in_dev():
    dev = [rg(environment="dev"), data(KV, "kv", environment="dev")]
    assert run_stack_policy(governance.data_resource_group_locked, dev) == []


# --- azure-native-machinelearningservices-compute-gpu-quota ---


def cluster(name: str, size: str, max_nodes: float, priority: str = "Dedicated") -> StackResource:
    props = {
        "name": name,
        "properties": {
            "computeType": "AmlCompute",
            "properties": {
                "vmSize": size,
                "vmPriority": priority,
                "scaleSettings": {"maxNodeCount": max_nodes, "minNodeCount": 0.0},
            },
        },
    }
    return StackResource(COMPUTE, name, props)


CLUSTERS = [
    cluster("gpu-t4", "Standard_NC4as_T4_v3", 4.0),  # 16 vCPUs of standardNCASv3_T4Family
    cluster("gpu-t4-big", "Standard_NC16as_T4_v3", 2.0),  # 32 more
    cluster("gpu-a100", "Standard_NC24ads_A100_v4", 4.0),  # 96 of StandardNCADSA100v4Family
    cluster("gpu-spot", "Standard_NC4as_T4_v3", 2.0, "LowPriority"),  # 8 of lowPriority
    cluster("cpu", "Standard_D8s_v5", 100.0),  # CPU: not checked
]
FITS = {"quota": {"standardNCASv3_T4Family": 48, "standardncadsa100v4family": 96, "lowPriority": 8}}


def test_quota_is_not_applicable_without_a_configured_quota():
    assert run_stack_policy(governance.gpu_quota, CLUSTERS) == []
    assert run_stack_policy(governance.gpu_quota, CLUSTERS, config={"quota": {}}) == []


def test_clusters_within_quota_pass():
    assert run_stack_policy(governance.gpu_quota, CLUSTERS, config=FITS) == []


def test_clusters_over_quota_are_flagged():
    config = {"quota": FITS["quota"] | {"standardNCASv3_T4Family": 40}}
    assert run_stack_policy(governance.gpu_quota, CLUSTERS, config=config) == [
        (None, "GPU clusters need 48 vCPUs of quota standardNCASv3_T4Family at full scale (gpu-t4: 4 x "
               "Standard_NC4as_T4_v3 (4 vCPUs); gpu-t4-big: 2 x Standard_NC16as_T4_v3 (16 vCPUs)) but the quota is 40; "
               "expected at most 40 vCPUs (maxNodes x vCPUs per node, summed over the family)")
    ]


def test_family_without_quota_counts_as_zero():
    config = {"quota": {"standardNCASv3_T4Family": 48, "lowPriority": 8}}
    assert run_stack_policy(governance.gpu_quota, CLUSTERS, config=config) == [
        (urn(COMPUTE, "gpu-a100"), "GPU clusters need 96 vCPUs of quota StandardNCADSA100v4Family at full scale "
                                   "(gpu-a100: 4 x Standard_NC24ads_A100_v4 (24 vCPUs)) but the policy config sets no "
                                   "quota for StandardNCADSA100v4Family; expected quota.StandardNCADSA100v4Family >= 96 "
                                   "(request the quota from Azure first)")
    ]


def test_spot_clusters_count_against_the_low_priority_quota():
    config = {"quota": FITS["quota"] | {"lowPriority": 4}}
    found = run_stack_policy(governance.gpu_quota, CLUSTERS, config=config)
    assert [u for u, _ in found] == [urn(COMPUTE, "gpu-spot")]
    assert "need 8 vCPUs of quota lowPriority" in found[0][1]


def test_quota_config_schema_is_declared():
    assert set(governance.gpu_quota.config_schema.properties) == {"waivers", "quota"}


# --- azure-native-machinelearningservices-compute-allowed-vm-size ---


def compute_props(size: str) -> dict[str, Any]:
    return {"computeName": "gpu-x", "properties": {"computeType": "AmlCompute", "properties": {"vmSize": size}}}


def test_catalog_sizes_are_allowed_by_default():
    assert run_resource_policy(governance.allowed_vm_sizes, COMPUTE, compute_props("standard_nc4as_t4_v3")) == []


def test_unknown_size_is_flagged_by_default():
    assert run_resource_policy(governance.allowed_vm_sizes, COMPUTE, compute_props("Standard_NC6")) == [
        "VM size 'Standard_NC6' is not in the VM size catalog; expected a size from components/data/vm_sizes.json (or "
        "listed in the policy config allowedVmSizes)"
    ]


def test_configured_allow_list_replaces_the_catalog():
    config = {"allowedVmSizes": ["Standard_DS3_v2", "Standard_NC4as_T4_v3"]}
    assert run_resource_policy(governance.allowed_vm_sizes, COMPUTE, compute_props("Standard_DS3_v2"), config=config) == []
    a100 = compute_props("Standard_NC24ads_A100_v4")
    assert run_resource_policy(governance.allowed_vm_sizes, COMPUTE, a100, config=config) == [
        "VM size 'Standard_NC24ads_A100_v4' is not allowed; expected one of Standard_DS3_v2, Standard_NC4as_T4_v3 "
        "(policy config allowedVmSizes)"
    ]


def test_vm_size_waiver_and_schema():
    config = {"allowedVmSizes": ["Standard_DS3_v2"]} | WAIVER
    props = compute_props("Standard_NC6s_v3")
    assert run_resource_policy(governance.allowed_vm_sizes, COMPUTE, props, config=config) == [WAIVED]
    assert set(governance.allowed_vm_sizes.config_schema.properties) == {"waivers", "allowedVmSizes"}


# --- The shipped plans ---


def plan_stack_resources(plan: Any) -> list[StackResource]:
    return harness.plan_stack_resources(plan)


def violations(plan: Any, resources: list[StackResource] | None = None) -> dict[str, list[str]]:
    """Each governance policy that reports a violation on ``plan``, with its messages (pack config honoured)."""
    return harness.plan_violations(plan, governance.POLICIES, resources)


@pytest.mark.parametrize("stack", ["prod", "shared"])
def test_shipped_plan_passes_every_governance_policy(stack):
    assert violations(preview_stack(stack)) == {}


def test_dev_plan_violates_only_relaxed_policies():
    relaxed = {name for name, doc in CATALOG.items() if "dev" in doc.relaxed_in}
    assert set(violations(preview_stack("dev"))) <= relaxed


def test_prod_plan_fits_a_realistic_quota_and_not_a_smaller_one():
    resources = plan_stack_resources(preview_stack("prod"))
    fits = {"quota": {"StandardNCADSA100v4Family": 96, "standardNCASv3_T4Family": 128}}
    assert run_stack_policy(governance.gpu_quota, resources, config=fits) == []
    small = {"quota": {"StandardNCADSA100v4Family": 48, "standardNCASv3_T4Family": 128}}
    found = run_stack_policy(governance.gpu_quota, resources, config=small)
    assert [(u.rsplit("::", 1)[-1], m.split(" at full scale")[0]) for u, m in found] == [
        ("gpu-a100", "GPU clusters need 96 vCPUs of quota StandardNCADSA100v4Family")
    ]


def test_prod_plan_without_protection_is_flagged():
    resources = plan_stack_resources(preview_stack("prod"))
    storage = next(r for r in resources if r.type == ST)
    storage.protect = False
    resources = [r for r in resources if r.type != LOCK]
    assert [u.rsplit("::", 1)[-1] for u, _ in run_stack_policy(governance.data_protected, resources)] == [storage.name]
    unlocked = sorted(u.rsplit("::", 1)[-1] for u, _ in run_stack_policy(governance.data_resource_group_locked, resources))
    assert unlocked == sorted(r.name for r in resources if r.type in DATA_BEARING_TYPES)


def test_prod_plan_without_budget_is_flagged():
    resources = [r for r in plan_stack_resources(preview_stack("prod")) if r.type != BUDGET]
    found = run_stack_policy(governance.budget_with_notifications, resources)
    assert len(found) == 1 and found[0][0] is None and "no azure-native:consumption:Budget" in found[0][1]


def test_every_governance_policy_is_documented():
    for policy in governance.POLICIES:
        doc = CATALOG[policy.name]
        assert policy.name == policy.name.lower() and " " not in policy.name
        for text in (doc.description, doc.rationale, doc.checks, doc.remediation, doc.url):
            assert text.strip(), f"{policy.name}: empty documentation field"
        assert doc.relaxed_in == ()
        assert doc.controls.tags(), f"{policy.name}: no control mapping"
        assert "waivers" in policy.config_schema.properties
    assert len(governance.POLICIES) >= 7
