"""Stack configuration validation: each kind of error names the file and the key, says what was expected
and what was found; valid stacks become typed config with the environment's defaults."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blueprint.program.config import ConfigError, load_platform_config
from blueprint.program.stacks.kinds import SharedStack
from components.options import ClusterTier, Environment, NetworkMode
from tests.conftest import SHIPPED_STACKS, decoded, stack_config

SOURCE = "stacks/Pulumi.test.yaml"


def load(config: dict[str, Any]):
    raw = {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}
    return load_platform_config(raw, project="mlplatform", stack="test", source=SOURCE)


def errors_of(config: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(config)
    assert str(caught.value).startswith(f"{SOURCE}: invalid stack configuration")
    return [str(issue) for issue in caught.value.issues]


def dev(**changes: Any) -> dict[str, Any]:
    config = decoded(stack_config("dev"))
    if "clusters" in changes:
        config.pop("mlplatform:batchEndpoints", None)  # it names one of the shipped clusters
    for key, value in changes.items():
        config[f"mlplatform:{key}"] = value
    return config


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_shipped_stacks_are_valid(stack):
    config = load(decoded(stack_config(stack)))
    assert config.environment is Environment(stack)
    assert all(cluster.min_nodes == 0 for cluster in config.clusters)


def test_dev_is_cheap_and_prod_private_protected_and_bigger():
    dev_config = load(decoded(stack_config("dev")))
    prod_config = load(decoded(stack_config("prod")))
    assert dev_config.network.mode is NetworkMode.PUBLIC and dev_config.protect is False
    assert prod_config.network.mode is NetworkMode.PRIVATE and prod_config.protect is True
    assert prod_config.zone_redundant and not dev_config.zone_redundant
    assert sum(c.max_nodes for c in prod_config.clusters) > sum(c.max_nodes for c in dev_config.clusters)
    assert any(c.tier is ClusterTier.SPOT for c in dev_config.clusters)
    assert prod_config.key_vault_soft_delete_days == 90 and dev_config.key_vault_soft_delete_days == 7


def test_defaults_are_filled_in():
    config = load(dev(clusters=[{"name": "cpu", "vmSize": "standard_ds3_v2", "maxNodes": 1}]))
    cluster = config.clusters[0]
    assert (cluster.min_nodes, cluster.tier, cluster.idle_seconds_before_scale_down) == (0, ClusterTier.DEDICATED, 120)
    assert cluster.vm_size == "Standard_DS3_v2"  # Azure's casing
    assert config.log_retention_days == 30
    assert config.name_seed == "mlplatform/test"


def test_missing_key():
    config = dev()
    del config["mlplatform:location"]
    assert errors_of(config) == [
        "mlplatform:location: expected an Azure region name such as westeurope, found nothing (the key is required)"
    ]


def test_missing_required_tag():
    config = dev(tags={"owner": "team", "environment": "dev", "dataClassification": "internal"})
    assert errors_of(config) == [
        "mlplatform:tags.costCenter: expected a string of 1 to 256 characters, found nothing (the key is required)"
    ]


def test_wrong_type():
    config = dev(clusters=[{"name": "cpu", "vmSize": "Standard_DS3_v2", "maxNodes": "four"}])
    assert errors_of(config) == ['mlplatform:clusters[0].maxNodes: expected an integer from 1 to 100, found string "four"']


def test_structured_value_that_is_not_json():
    config = dev()
    config["mlplatform:clusters"] = "[not json"
    assert errors_of(config) == ['mlplatform:clusters: expected a list of at most 20 items, found string "[not json"']


def test_unknown_top_level_key_suggests_the_known_one():
    config = dev()
    config["mlplatform:namingPrefx"] = "mlp"
    (error,) = errors_of(config)
    assert error.startswith("mlplatform:namingPrefx: expected one of the known keys")
    assert "did you mean namingPrefix?" in error


def test_unknown_nested_key():
    config = dev(clusters=[{"name": "cpu", "vmSize": "Standard_DS3_v2", "maxNodes": 2, "minNode": 1}])
    (error,) = errors_of(config)
    assert error.startswith("mlplatform:clusters[0].minNode: expected one of the known keys")
    assert "did you mean minNodes?" in error


def test_unknown_namespace_is_reported():
    config = dev()
    config["mlplatfrom:location"] = "westeurope"
    (error,) = errors_of(config)
    assert error.startswith("mlplatfrom:location: expected a key in one of the namespaces mlplatform:")
    assert "did you mean mlplatform:location?" in error


def test_provider_namespaces_are_allowed():
    config = dev()
    config["azure-native:location"] = "westeurope"
    assert load(config).location == "westeurope"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"clusters": [{"name": "cpu", "vmSize": "Standard_DS3_v2", "maxNodes": 500}]},
         "mlplatform:clusters[0].maxNodes: expected an integer from 1 to 100, found integer 500"),
        ({"clusters": [{"name": "cpu", "vmSize": "Standard_DS3_v2", "maxNodes": 2, "minNodes": -1}]},
         "mlplatform:clusters[0].minNodes: expected an integer from 0 to 100, found integer -1"),
        ({"logRetentionDays": 7}, "mlplatform:logRetentionDays: expected an integer from 30 to 730, found integer 7"),
        ({"clusters": [{"name": "cpu", "vmSize": "Standard_DS3_v2", "maxNodes": 2, "idleSecondsBeforeScaleDown": 10}]},
         "mlplatform:clusters[0].idleSecondsBeforeScaleDown: expected an integer from 60 to 3600, found integer 10"),
    ],
)
def test_out_of_range_numbers(change, expected):
    assert errors_of(dev(**change)) == [expected]


def test_unknown_vm_size_suggests_a_known_one():
    (error,) = errors_of(dev(clusters=[{"name": "gpu", "vmSize": "Standard_NC4as_T4", "maxNodes": 2}]))
    assert error.startswith('mlplatform:clusters[0].vmSize: expected a VM size from the catalog components/data/vm_sizes.json, found string "Standard_NC4as_T4"')
    assert "did you mean Standard_NC4as_T4_v3" in error


def test_min_nodes_above_max_nodes():
    config = dev(clusters=[{"name": "gpu", "vmSize": "Standard_NC4as_T4_v3", "maxNodes": 2, "minNodes": 3}])
    assert errors_of(config) == ["mlplatform:clusters[0].minNodes: expected at most maxNodes (2), found integer 3"]


def test_duplicate_and_invalid_cluster_names():
    clusters = [
        {"name": "gpu", "vmSize": "Standard_NC4as_T4_v3", "maxNodes": 2},
        {"name": "GPU", "vmSize": "Standard_NC4as_T4_v3", "maxNodes": 2},
        {"name": "cpu-1", "vmSize": "Standard_DS3_v2", "maxNodes": 2},
    ]
    errors = errors_of(dev(clusters=clusters))
    assert errors[0].startswith("mlplatform:clusters[2].name: expected 3-16 letters")


def test_duplicate_cluster_names():
    clusters = [{"name": "gpu", "vmSize": "Standard_NC4as_T4_v3", "maxNodes": 2}, {"name": "GPU", "vmSize": "Standard_NC4as_T4_v3", "maxNodes": 2}]
    assert errors_of(dev(clusters=clusters)) == ['mlplatform:clusters[1].name: expected a name not used by another cluster, found string "GPU"']


def test_unknown_region():
    (error,) = errors_of(dev(location="westeuropa"))
    assert error == 'mlplatform:location: expected an Azure region name such as westeurope (see components/regions.py), found string "westeuropa"'


def test_bad_enum_and_pattern():
    errors = errors_of(dev(namingPrefix="ML_Platform", network={"mode": "open"}))
    assert errors == [
        'mlplatform:namingPrefix: expected 2-12 lowercase letters or digits, starting with a letter, found string "ML_Platform"',
        'mlplatform:network.mode: expected one of public, managed, private, found string "open"',
    ]


def test_public_network_needs_an_allow_list_and_is_not_for_prod():
    assert errors_of(dev(network={"mode": "public"})) == [
        "mlplatform:network.allowedIpRanges: expected at least one IP range: public mode is never open to the whole Internet, found nothing"
    ]
    prod = decoded(stack_config("prod"))
    prod["mlplatform:network"] = {"mode": "public", "allowedIpRanges": ["203.0.113.0/24"]}
    assert errors_of(prod) == [
        'mlplatform:network.mode: expected managed or private in prod (public networking is for dev only), found string "public"'
    ]


def test_allow_list_outside_public_mode_is_rejected():
    (error,) = errors_of(dev(network={"mode": "private", "allowedIpRanges": ["203.0.113.0/24"]}))
    assert error.startswith("mlplatform:network.allowedIpRanges: expected no allow-list in private mode")


def test_bad_ip_range():
    (error,) = errors_of(dev(network={"mode": "public", "allowedIpRanges": ["203.0.113.0/33"]}))
    assert error == 'mlplatform:network.allowedIpRanges[0]: expected an IPv4 address or CIDR range such as 203.0.113.0/24, found string "203.0.113.0/33"'


def test_prod_cannot_turn_protection_off():
    prod = decoded(stack_config("prod"))
    prod["mlplatform:protect"] = False
    assert errors_of(prod) == ["mlplatform:protect: expected true in prod (data-bearing resources are always protected there), found boolean false"]


def test_scalar_values_arrive_as_strings_like_from_the_engine():
    config = dev()
    config["mlplatform:protect"] = "true"
    config["mlplatform:logRetentionDays"] = "60"
    loaded = load(config)
    assert loaded.protect is True and loaded.log_retention_days == 60


def test_every_problem_is_reported_at_once():
    config = dev(clusters=[{"name": "gpu", "vmSize": "Standard_NC4as_T4_v3", "maxNodes": "x"}], logRetentionDays=1)
    assert len(errors_of(config)) == 2


def test_bad_tag_name_and_extra_tags():
    assert load(dev(tags={**decoded(stack_config("dev"))["mlplatform:tags"], "project": "fraud"})).tags["project"] == "fraud"
    (error,) = errors_of(dev(tags={**decoded(stack_config("dev"))["mlplatform:tags"], "a/b": "x"}))
    assert error.startswith("mlplatform:tags: expected a tag name of 1-512 characters")


def test_published_stack_file_schema_accepts_the_shipped_stacks_and_rejects_typos():
    import jsonschema
    import yaml

    from tests.conftest import REPO

    schema = json.loads((REPO / "schema" / "stack-file.schema.json").read_text())
    for stack in SHIPPED_STACKS:
        jsonschema.validate(yaml.safe_load((REPO / "stacks" / f"Pulumi.{stack}.yaml").read_text()), schema)
    broken = yaml.safe_load((REPO / "stacks" / "Pulumi.dev.yaml").read_text())
    broken["config"]["mlplatform:namingPrefx"] = "x"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


@given(st.text(alphabet="abcXYZ0189-_", min_size=1, max_size=20))
@settings(max_examples=300, deadline=None, derandomize=True)
def test_schema_cluster_name_pattern_agrees_with_the_naming_rule(name):
    import re

    from blueprint.program.config.schema import platform_schema
    from components.naming import ResourceKind, validate_name

    pattern = platform_schema()["properties"]["clusters"]["items"]["properties"]["name"]["pattern"]
    assert (re.search(pattern, name) is not None) == (validate_name(ResourceKind.ML_COMPUTE_CLUSTER, name) == [])


def test_network_mode_defaults_to_private_in_prod_and_managed_elsewhere():
    prod = decoded(stack_config("prod"))
    del prod["mlplatform:network"]
    assert load(prod).network.mode is NetworkMode.PRIVATE
    staging = decoded(stack_config("staging"))
    del staging["mlplatform:network"]
    assert load(staging).network.mode is NetworkMode.MANAGED


def test_public_network_is_dev_only():
    staging = decoded(stack_config("staging"))
    staging["mlplatform:network"] = {"mode": "public", "allowedIpRanges": ["203.0.113.0/24"]}
    assert errors_of(staging) == [
        'mlplatform:network.mode: expected managed or private in staging (public networking is for dev only), found string "public"'
    ]


def test_outbound_rules_are_typed_and_checked():
    staging = decoded(stack_config("staging"))
    staging["mlplatform:network"]["outboundRules"] = {"hub": {"fqdn": "huggingface.co"}}
    assert load(staging).network.outbound_rules["hub"].fqdn == "huggingface.co"
    staging["mlplatform:network"]["outboundRules"] = {"monitor": {"serviceTag": "AzureMonitor", "portRanges": "443"}, "bad": {"fqdn": "Not A Host"}}
    (error,) = errors_of(staging)
    assert error == 'mlplatform:network.outboundRules.bad.fqdn: expected a lowercase host name such as pypi.org or *.pythonhosted.org, found string "Not A Host"'
    staging["mlplatform:network"]["outboundRules"] = {"both": {"fqdn": "pypi.org", "serviceTag": "Storage"}}
    (error,) = errors_of(staging)
    assert error.startswith("mlplatform:network.outboundRules.both: expected a rule with either fqdn, or serviceTag")


def test_the_platforms_rule_names_are_reserved():
    """pkg-<host> rules are derived from the environment templates and shared-registry is the registry's private
    endpoint: a stack rule under either name would silently replace the platform's, so it is refused."""
    staging = decoded(stack_config("staging"))
    staging["mlplatform:network"]["outboundRules"] = {"pkg-pypi-org": {"fqdn": "pypi.org"}, "shared-registry": {"fqdn": "example.org"}}
    assert errors_of(staging) == [
        'mlplatform:network.outboundRules.pkg-pypi-org: expected a rule name not starting with pkg- (reserved for the package '
        'hosts derived from ml_templates/environments, which every managed network gets without listing them), found string "pkg-pypi-org"',
        'mlplatform:network.outboundRules.shared-registry: expected another name (shared-registry is the platform\'s private '
        'endpoint rule to the shared registry), found string "shared-registry"',
    ]


def test_address_space_only_in_private_mode():
    (error,) = errors_of(dev(network={"mode": "public", "allowedIpRanges": ["203.0.113.0/24"], "addressSpace": "10.1.0.0/22"}))
    assert error.startswith("mlplatform:network.addressSpace: expected no address space in public mode")


def test_role_assignment_to_a_user_is_rejected():
    grant = {"principalId": "11111111-2222-3333-4444-555555555555", "principalType": "User", "role": "Reader", "scope": "workspace"}
    assert errors_of(dev(access={"extraRoleAssignments": [grant]})) == [
        'mlplatform:access.extraRoleAssignments[0].principalType: expected Group or ServicePrincipal (roles never go to individual users), found string "User"'
    ]


def test_privileged_or_unknown_roles_cannot_be_granted_by_config():
    for role in ("Owner", "Contributor", "User Access Administrator"):
        grant = {"principalId": "11111111-2222-3333-4444-555555555555", "principalType": "Group", "role": role, "scope": "workspace"}
        (error,) = errors_of(dev(access={"extraRoleAssignments": [grant]}))
        assert error.startswith("mlplatform:access.extraRoleAssignments[0].role: expected one of AcrPull,"), error


def test_extra_role_assignment_to_a_group_is_accepted():
    grant = {"principalId": "11111111-2222-3333-4444-555555555555", "principalType": "Group", "role": "azureml data scientist", "scope": "workspace"}
    (extra,) = load(dev(access={"extraRoleAssignments": [grant]})).access.extra_role_assignments
    assert extra.role.value == "AzureML Data Scientist" and extra.scope.value == "workspace"


def test_report_only_mfa_is_dev_only():
    assert load(dev(access={"mfa": {"state": "reportOnly"}})).access.mfa.state.value == "enabledForReportingButNotEnforced"
    prod = decoded(stack_config("prod"))
    prod["mlplatform:access"] = {"mfa": {"state": "reportOnly"}}
    assert errors_of(prod) == [
        'mlplatform:access.mfa.state: expected enabled in prod (report-only MFA is allowed in dev only), found string "reportOnly"'
    ]


def test_disabled_mfa_is_not_a_state():
    (error,) = errors_of(dev(access={"mfa": {"state": "disabled"}}))
    assert error == 'mlplatform:access.mfa.state: expected one of enabled, reportOnly, found string "disabled"'


def test_all_cloud_apps_needs_a_break_glass_exclusion():
    (error,) = errors_of(dev(access={"mfa": {"allCloudApps": True}}))
    assert error.startswith("mlplatform:access.breakGlass: expected at least one break-glass user or group")
    ok = dev(access={"mfa": {"allCloudApps": True}, "breakGlass": {"userIds": ["11111111-2222-3333-4444-555555555555"]}})
    assert load(ok).access.break_glass.user_ids == ("11111111-2222-3333-4444-555555555555",)


def test_existing_groups_must_be_object_ids():
    (error,) = errors_of(dev(access={"existingGroups": {"dataScientists": "ds-group"}}))
    assert error.startswith("mlplatform:access.existingGroups.dataScientists: expected an Entra object ID")
    (error,) = errors_of(dev(access={"existingGroups": {"scientists": "11111111-2222-3333-4444-555555555555"}}))
    assert "did you mean dataScientists?" in error


def test_ci_repository_and_environments():
    config = load(decoded(stack_config("prod")))
    assert config.ci is not None and config.ci.repository == "example-org/ml-platform" and config.ci.environments == ("prod",)
    (error,) = errors_of(dev(ci={"repository": "not a repo", "environments": ["dev"]}))
    assert error.startswith("mlplatform:ci.repository: expected a GitHub repository as owner/name")
    assert config.ci.preview_environment == "prod-preview" and config.ci.models_environment is None


def test_prod_previews_need_a_protected_github_environment():
    prod = decoded(stack_config("prod"))
    del prod["mlplatform:ci"]["previewEnvironment"]
    assert errors_of(prod) == [
        "mlplatform:ci.previewEnvironment: expected a GitHub environment with required reviewers for previews of a prod stack "
        "(pull requests never read prod's state or secrets), found nothing"
    ]


@pytest.mark.parametrize(
    ("ci", "expected"),
    [
        ({"previewEnvironment": "dev"}, 'mlplatform:ci.previewEnvironment: expected a GitHub environment of its own (not one of ci.environments: one environment\'s jobs would get both identities), found string "dev"'),
        ({"modelsEnvironment": "DEV"}, 'mlplatform:ci.modelsEnvironment: expected a GitHub environment of its own (not one of ci.environments: one environment\'s jobs would get both identities), found string "DEV"'),
        ({"previewEnvironment": "dev-x", "modelsEnvironment": "dev-x"}, 'mlplatform:ci.modelsEnvironment: expected a GitHub environment of its own (not one of ci.previewEnvironment: one environment\'s jobs would get both identities), found string "dev-x"'),
        ({"pullRequests": True}, "mlplatform:ci.pullRequests: expected one of the known keys "),
    ],
)
def test_each_ci_identity_trusts_a_github_environment_of_its_own(ci, expected):
    (error,) = errors_of(dev(ci={"repository": "example-org/ml-platform", "environments": ["dev"], **ci}))
    assert error.startswith(expected)


def test_the_shared_stack_trains_no_models():
    shared = decoded(stack_config("shared"))
    shared["mlplatform:ci"]["modelsEnvironment"] = "shared-models"
    assert errors_of(shared) == [
        'mlplatform:ci.modelsEnvironment: expected no models identity in the shared stack (models are trained in an environment stack\'s workspace), found string "shared-models"'
    ]


def test_a_new_generation_renames_everything_and_nothing_else():
    first = load(dev())
    second = load(dev(generation=2))
    assert (first.generation, second.generation) == (1, 2)
    assert first.name_seed == "mlplatform/test" and second.name_seed == "mlplatform/test/2"
    (error,) = errors_of(dev(generation=0))
    assert error.startswith("mlplatform:generation: expected an integer from 1 to 999")


def test_shared_stack_holds_the_registry_and_nothing_of_an_environment():
    config = load(decoded(stack_config("shared")))
    assert isinstance(config, SharedStack) and config.protect and config.zone_redundant
    assert config.registry is not None and config.registry.replication_regions == ("northeurope",)
    assert not hasattr(config, "clusters")  # a shared stack has no compute at all, not an empty list of it
    shared = decoded(stack_config("shared"))
    shared["mlplatform:clusters"] = [{"name": "cpu", "vmSize": "Standard_DS3_v2", "maxNodes": 1}]
    del shared["mlplatform:registry"]
    assert errors_of(shared) == [
        "mlplatform:registry: expected the registry settings of the shared stack (a mapping; replicationRegions optional), found nothing (the key is required when tags.environment is shared)",
        'mlplatform:clusters: expected no such key in the shared stack (it holds the registry only), found list [{"name": "cpu", "vmSize": "Standard_DS3_v2", "maxNodes":...',
    ]


def test_shared_stack_cannot_drop_protection_and_checks_replication_regions():
    shared = decoded(stack_config("shared"))
    shared["mlplatform:protect"] = False
    shared["mlplatform:registry"] = {"replicationRegions": ["northeurop"]}
    assert errors_of(shared) == [
        "mlplatform:protect: expected true in shared (data-bearing resources are always protected there), found boolean false",
        'mlplatform:registry.replicationRegions[0]: expected an Azure region name such as northeurope (see components/regions.py), found string "northeurop"',
    ]


def test_environment_stacks_need_clusters_and_cannot_hold_a_registry():
    config = dev(registry={"replicationRegions": ["northeurope"]})
    del config["mlplatform:clusters"], config["mlplatform:batchEndpoints"]
    errors = errors_of(config)
    assert errors[0] == "mlplatform:clusters: expected at least one compute cluster in an environment stack, found nothing"
    assert errors[1].startswith("mlplatform:registry: expected no such key in a dev stack")


def test_shared_stack_reference_is_read():
    assert load(decoded(stack_config("prod"))).shared_stack == "shared"
    (error,) = errors_of(dev(sharedStack="a/b/c/d"))
    assert error.startswith("mlplatform:sharedStack: expected a stack reference such as shared")


def staging(**changes: Any) -> dict[str, Any]:
    config = decoded(stack_config("staging"))
    for key, value in changes.items():
        config[f"mlplatform:{key}"] = value
    return config


def test_serving_monitoring_drift_retraining_and_budget_are_typed():
    config = load(decoded(stack_config("prod")))
    (endpoint,) = config.endpoints
    assert [(d.name, d.traffic_percent, d.min_instances, d.max_instances, d.monitor_drift) for d in endpoint.deployments] == [
        ("blue", 90, 2, 6, True), ("green", 10, 1, 3, True)]
    assert not endpoint.key_auth and not endpoint.public_network_access
    assert config.monitoring.emails[0] == "ml-platform-alerts@example.com"
    assert config.drift.baseline_data == "azureml:fraud-training-reference:1"
    assert config.retraining.cron == "0 2 * * 1" and config.retraining.cluster == "cpu-general"
    assert config.retraining.registered_outputs == {"training_reference": "fraud-training-reference"}
    assert config.budget.monthly_amount == 12000 and config.budget.forecast_thresholds == (90, 110)


def test_min_instances_above_max_instances():
    endpoints = [{"name": "fraud", "deployments": [{"name": "blue", "model": "registry:fraud:1", "instanceType": "Standard_DS3_v2", "minInstances": 4, "maxInstances": 2}]}]
    assert errors_of(staging(endpoints=endpoints)) == ["mlplatform:endpoints[0].deployments[0].minInstances: expected at most maxInstances (2), found integer 4"]


def test_traffic_must_add_up_and_be_given_for_several_deployments():
    deployments = [
        {"name": "blue", "model": "registry:fraud:1", "instanceType": "Standard_DS3_v2", "maxInstances": 2, "trafficPercent": 70},
        {"name": "green", "model": "registry:fraud:2", "instanceType": "Standard_DS3_v2", "maxInstances": 2, "trafficPercent": 20},
    ]
    assert errors_of(staging(endpoints=[{"name": "fraud", "deployments": deployments}])) == [
        "mlplatform:endpoints[0].deployments: expected traffic percentages summing to 100, found a total of 90"]


def test_public_endpoint_outside_dev_is_refused():
    endpoints = [{"name": "fraud", "publicNetworkAccess": True, "deployments": [{"name": "blue", "model": "registry:fraud:1", "instanceType": "Standard_DS3_v2", "maxInstances": 2}]}]
    (error,) = errors_of(staging(endpoints=endpoints))
    assert error.startswith("mlplatform:endpoints[0].publicNetworkAccess: expected false in staging")


@pytest.mark.parametrize(
    ("cron", "fragment"),
    [("61 * * * *", "minute"), ("* * *", "5 fields"), ("0 2 * * 8", "day of week"), ("a b c d e", "minute")],
)
def test_malformed_cron_is_refused(cron, fragment):
    retraining = {**decoded(stack_config("staging"))["mlplatform:retraining"], "cron": cron}
    (error,) = errors_of(staging(retraining=retraining))
    assert error.startswith(f'mlplatform:retraining.cron: expected a five-field cron expression such as 0 2 * * 1, found string "{cron}"')
    assert fragment in error


@pytest.mark.parametrize(
    ("outputs", "expected"),
    [
        ({"training reference": "fraud-training-reference"}, 'mlplatform:retraining.registeredOutputs: expected a pipeline output name (letters, digits, underscores), found string "training reference"'),
        ({"training_reference": "-fraud"}, 'mlplatform:retraining.registeredOutputs.training_reference: expected a data asset name such as fraud-training-reference, found string "-fraud"'),
    ],
)
def test_registered_outputs_name_an_output_and_an_asset(outputs, expected):
    retraining = {**decoded(stack_config("staging"))["mlplatform:retraining"], "registeredOutputs": outputs}
    assert errors_of(staging(retraining=retraining)) == [expected]


def test_retraining_needs_exactly_one_cadence():
    retraining = {**decoded(stack_config("staging"))["mlplatform:retraining"], "recurrence": {"frequency": "Week", "interval": 1}}
    assert errors_of(staging(retraining=retraining)) == ["mlplatform:retraining: expected exactly one of cron or recurrence, found both"]


def test_zero_budget_is_refused():
    assert errors_of(staging(budget={"monthlyAmount": 0, "startDate": "2026-12-01"})) == [
        "mlplatform:budget.monthlyAmount: expected an amount above 0 (billing currency), found integer 0"]


def test_budget_start_date_must_be_a_first_of_month():
    (error,) = errors_of(staging(budget={"monthlyAmount": 100, "startDate": "2026-12-15"}))
    assert error == 'mlplatform:budget.startDate: expected the first day of a month, YYYY-MM-01, found string "2026-12-15"'


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("drift", {"baselineData": "azureml:base:1", "dataDriftThreshold": 1.5}, "mlplatform:drift.dataDriftThreshold: expected a number above 0 and at most 1, found number 1.5"),
        ("drift", {"baselineData": "azureml:base:1", "nullRateThreshold": 0}, "mlplatform:drift.nullRateThreshold: expected a number above 0 and at most 1, found integer 0"),
        ("monitoring", {"emails": ["a@example.com"], "clusterNodeUsagePercent": 120}, "mlplatform:monitoring.clusterNodeUsagePercent: expected an integer from 1 to 100, found integer 120"),
        ("budget", {"monthlyAmount": 100, "startDate": "2026-12-01", "actualThresholds": [0]}, "mlplatform:budget.actualThresholds[0]: expected an integer from 1 to 999, found integer 0"),
    ],
)
def test_out_of_range_thresholds(key, value, expected):
    assert errors_of(staging(**{key: value})) == [expected]


def test_environment_stacks_need_monitoring_and_a_budget():
    config = staging()
    del config["mlplatform:budget"], config["mlplatform:monitoring"]
    assert errors_of(config) == [
        "mlplatform:monitoring: expected where alerts go (monitoring.emails): every environment has one, found nothing",
        "mlplatform:budget: expected a monthly budget (budget.monthlyAmount, budget.startDate): every environment has one, found nothing",
    ]


def test_production_deployments_need_drift_settings():
    prod = decoded(stack_config("prod"))
    del prod["mlplatform:drift"]
    assert errors_of(prod) == ["mlplatform:drift: expected drift settings (baselineData, thresholds): a deployment is monitored for drift, found nothing"]


def test_registry_references_need_a_shared_stack():
    config = staging()
    del config["mlplatform:sharedStack"]
    errors = errors_of(config)
    assert errors[0] == 'mlplatform:endpoints[0].deployments[0].model: expected a full azureml: reference, or a sharedStack whose registry holds the asset, found string "registry:fraud-classifier:1"'


def test_batch_endpoint_cluster_must_exist():
    (error,) = errors_of(dev(batchEndpoints=[{"name": "scoring", "model": "registry:fraud:1", "cluster": "gpu-big"}]))
    assert error == 'mlplatform:batchEndpoints[0].cluster: expected one of this stack\'s clusters (cpu-small, gpu-t4-spot), found string "gpu-big"'
