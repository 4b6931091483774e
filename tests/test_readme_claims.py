"""What the README (and docs/architecture.md) state about the code and the stacks, checked against the code and the
stacks' plans: counts, tables, the sample output, costs (figures measured by the benchmarks are re-measured by
running them, not here; the stacks table is generated, see tests/test_generated_reference.py)."""

from __future__ import annotations

import json
import re

from tests.conftest import REPO


def test_the_policy_count_is_the_packs():
    from blueprint.tools.policy_check import load_policies

    readme = (REPO / "README.md").read_text()
    (count,) = re.findall(r"policy pack of (\d+) policies", readme)
    assert int(count) == len(load_policies(REPO / "policies"))


def test_the_documented_setup_installs_from_the_locks():
    readme = (REPO / "README.md").read_text()
    for lock in ("requirements.lock", "requirements-dev.lock"):
        assert f"`{lock}`" in readme and lock in (REPO / "scripts" / "setup.sh").read_text()


# --- claims about the stacks, checked against their plans (the stacks table itself is generated: see
# --- tests/test_generated_reference.py) ------------------------------------------------------------------------------


def _readme() -> str:
    return (REPO / "README.md").read_text()


def _table(heading: str) -> dict[str, list[str]]:
    """The first table after ``heading``: first cell -> the other cells (header and rule rows included)."""
    lines = _readme().split(heading, 1)[1].splitlines()
    first = next(index for index, line in enumerate(lines) if line.startswith("|"))
    rows: dict[str, list[str]] = {}
    for line in lines[first:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def _rows_starting(prefix: str) -> list[str]:
    return [line for line in _readme().splitlines() if line.startswith(prefix)]


def test_the_workload_identity_table_is_the_role_matrix():
    """Every grant of the workspace's, the clusters' and the encryption identity, as components/roles.py gives them."""
    from components.roles import COMPUTE_IDENTITY_ROLES, ENCRYPTION_IDENTITY_ROLES, WORKSPACE_IDENTITY_ROLES

    for who, grants in (("workspace (user-assigned)", WORKSPACE_IDENTITY_ROLES), ("each compute cluster", COMPUTE_IDENTITY_ROLES),
                        ("encryption (customer-managed key only)", ENCRYPTION_IDENTITY_ROLES)):
        expected = [f"| {who} | {grant.role.value} | {grant.scope.value} | {grant.why} |" for grant in grants]
        assert _rows_starting(f"| {who} |") == expected, who


def test_the_persona_table_has_no_grant_the_matrix_lacks():
    from components.roles import PERSONA_ROLES

    for persona, grants in PERSONA_ROLES.items():
        shown = [line.split("|")[2].strip() for line in _rows_starting(f"| {persona.value} |")]
        assert shown == [grant.role.value for grant in grants], persona


def test_the_cost_figures_are_the_estimates_of_the_plans():
    from blueprint.tools.cost import estimate_plan
    from tests.conftest import preview_stack

    dev, prod = estimate_plan(preview_stack("dev")), estimate_plan(preview_stack("prod"))
    claim = re.search(r"dev idles at about \$(\d+)/month .*?prod at\s+about \$([\d,]+)/month always on and \$([\d,]+) for a "
                      r"month with (\d+) peak hours \(within its \$([\d,]+) budget\)", _readme(), re.S)
    assert claim, "the README's cost sentence changed: update this test"
    figures = [int(value.replace(",", "")) for value in claim.groups()]
    assert figures == [round(dev.fixed_monthly), round(prod.fixed_monthly), round(prod.peak_monthly),
                       round(prod.peak_hours_per_month), round(prod.budget)]
    assert prod.fits_budget


def test_the_sample_preview_tree_is_the_dev_plan():
    """Each resource line of the README's sample output is a resource of the dev plan with that physical name."""
    from tests.conftest import preview_stack

    plan = preview_stack("dev")
    sample = _readme().split("Previewing mlplatform/dev offline", 1)[1].split("```", 1)[0]
    rows = [[token for token in line.split() if token not in ("+", "├─", "└─", "│")]
            for line in sample.splitlines() if line.lstrip().startswith("+")]
    assert len(rows) == 5 and sum(len(row) == 3 for row in rows) == 3
    for type_token, name, *physical in rows:
        found = [r for r in plan.resources if r.type == type_token and r.name == name]
        assert len(found) == 1, (type_token, name)
        if physical:
            assert [found[0].physical_name] == physical, (type_token, name)


def test_the_naming_example_is_prods_vault():
    from tests.conftest import preview_stack

    readme = _readme()
    vault = preview_stack("prod").of_type("azure-native:keyvault:Vault")[0].physical_name
    assert f"`{vault}`" in readme.split("Physical names follow the Cloud Adoption Framework", 1)[1].split("\n\n", 1)[0]
    storage = preview_stack("prod").of_type("azure-native:storage:StorageAccount")[0].physical_name
    assert storage.startswith("stmlpprodweu") and "`stmlpprodweu…`" in readme


def test_the_tiers_table_says_where_each_tier_may_be_used():
    from blueprint.program.features.network import default_network_mode, network_issues
    from components.options import Environment, NetworkMode

    tiers = _table("## Network isolation tiers")
    assert tiers["`public`"][0] == "dev only"
    public = {"network": {"mode": "public", "allowedIpRanges": ["203.0.113.0/24"]}}
    assert [env for env in Environment if not network_issues("mlplatform", public, env)] == [Environment.DEV]
    assert tiers["`managed`"][0] == "default outside prod" and tiers["`private`"][0] == "default in prod"
    assert {env: default_network_mode(env) for env in Environment} == {
        env: NetworkMode.PRIVATE if env is Environment.PROD else NetworkMode.MANAGED for env in Environment}


def _public_access(resource) -> list[str]:
    inputs = resource.inputs
    nested = inputs.get("properties") if isinstance(inputs.get("properties"), dict) else {}
    return [value for source in (inputs, nested) for key, value in source.items() if key.startswith("publicNetworkAccess")]


def test_the_tiers_table_describes_the_plans():
    """Each tier's description, as what its shipped stack creates: dev (public), staging (managed), prod (private)."""
    from tests.conftest import only, preview_stack, stack_config

    tiers = {tier: cells[1] for tier, cells in _table("## Network isolation tiers").items()}

    public, dev = tiers["`public`"], preview_stack("dev")
    allowed = sorted(json.loads(stack_config("dev")["mlplatform:network"])["allowedIpRanges"])
    assert "storage and Key Vault firewalls closed but for `allowedIpRanges`" in public
    storage, vault = only(dev, "azure-native:storage:StorageAccount"), only(dev, "azure-native:keyvault:Vault")
    assert storage.inputs["networkRuleSet"]["defaultAction"] == vault.inputs["properties"]["networkAcls"]["defaultAction"] == "Deny"
    assert sorted(rule["iPAddressOrRange"] for rule in storage.inputs["networkRuleSet"]["ipRules"]) == allowed
    assert sorted(rule["value"] for rule in vault.inputs["properties"]["networkAcls"]["ipRules"]) == allowed
    assert "the Basic container registry has no firewall (Entra ID only, no admin user, no anonymous pull)" in public
    registry = only(dev, "azure-native:containerregistry:Registry")
    assert registry.inputs["sku"]["name"] == "Basic" and not registry.inputs.get("networkRuleSet")
    assert registry.inputs["adminUserEnabled"] is False and registry.inputs["anonymousPullEnabled"] is False

    managed, staging = tiers["`managed`"], preview_stack("staging")
    network = only(staging, "azure-native:machinelearningservices:Workspace").inputs["managedNetwork"]
    assert "workspace managed VNet with approved outbound only" in managed
    assert network["isolationMode"] == "AllowOnlyApprovedOutbound"
    rules = network["outboundRules"]
    assert "(derived, `pkg-<host>`)" in managed
    assert [name for name, rule in rules.items() if name.startswith("pkg-") and rule["type"] == "FQDN"]
    assert "a private endpoint to the shared registry" in managed
    assert [rule for rule in rules.values() if rule["type"] == "PrivateEndpoint" and rule["destination"]["subresourceTarget"] == "amlregistry"]
    assert "storage, Key Vault and registry closed" in managed
    for type_token in ("azure-native:storage:StorageAccount", "azure-native:keyvault:Vault", "azure-native:containerregistry:Registry"):
        assert _public_access(only(staging, type_token)) == ["Disabled"], type_token

    private, prod = tiers["`private`"], preview_stack("prod")
    assert "a VNet with an NSG-protected subnet" in private
    assert only(prod, "azure-native:network:VirtualNetwork") and only(prod, "azure-native:network:Subnet").inputs["networkSecurityGroup"]
    assert ("private endpoints for the workspace, Key Vault, storage blob/file/dfs, the registry and an Azure Monitor "
            "Private Link Scope (Log Analytics, Application Insights)") in private
    groups = {group for endpoint in prod.of_type("azure-native:network:PrivateEndpoint")
              for connection in endpoint.inputs["privateLinkServiceConnections"] for group in connection["groupIds"]}
    assert {"amlworkspace", "vault", "blob", "file", "dfs", "registry", "azuremonitor"} <= groups
    scoped = {resource.inputs["linkedResourceId"].split("/providers/")[1].split("/")[0]
              for resource in prod.of_type("azure-native:monitor:PrivateLinkScopedResource")}
    assert scoped == {"Microsoft.OperationalInsights", "Microsoft.Insights"}
    assert "`privatelink.*` DNS zones linked to the VNet" in private
    zones = prod.of_type("azure-native:privatedns:PrivateZone")
    assert zones and all(zone.physical_name.startswith("privatelink.") for zone in zones)
    assert len(prod.of_type("azure-native:privatedns:VirtualNetworkLink")) == len(zones)
    assert "public network access disabled everywhere" in private
    assert {value for resource in prod.resources for value in _public_access(resource)} == {"Disabled"}


def test_the_architecture_page_gives_the_workers_batch():
    from blueprint.tools.parallel_checks import STACKS_PER_WORKER

    assert f"a worker is replaced after {STACKS_PER_WORKER} stacks" in (REPO / "docs" / "architecture.md").read_text()


def test_prod_and_staging_are_protected_and_locked_as_the_readme_says():
    from tests.conftest import only, preview_stack, stack_config

    assert "In prod (and in staging, which sets `mlplatform:protect: true`)" in _readme()
    assert stack_config("staging")["mlplatform:protect"] == "true"
    for stack in ("prod", "staging"):
        plan = preview_stack(stack)
        for type_token in ("azure-native:storage:StorageAccount", "azure-native:keyvault:Vault",
                           "azure-native:containerregistry:Registry", "azure-native:machinelearningservices:Workspace"):
            assert only(plan, type_token).protect, (stack, type_token)
        assert only(plan, "azure-native:authorization:ManagementLockAtResourceGroupLevel").inputs["level"] == "CanNotDelete"
        vault = only(plan, "azure-native:keyvault:Vault").inputs["properties"]
        assert vault["enablePurgeProtection"] is True and vault["softDeleteRetentionInDays"] == 90
        blobs = only(plan, "azure-native:storage:BlobServiceProperties").inputs
        assert blobs["isVersioningEnabled"] is True and blobs["deleteRetentionPolicy"]["enabled"] is True


def test_the_state_backend_section_is_the_bootstrap_plan():
    from tests.conftest import only, preview_stack, stack_config

    section = " ".join(_readme().split("## Pulumi state in your own Azure storage", 1)[1].split("\n## ", 1)[0].split())
    plan = preview_stack("bootstrap")
    storage = only(plan, "azure-native:storage:StorageAccount").inputs
    assert "a zone-redundant storage account that accepts Entra ID only (shared keys off, public blob access off" in section
    assert storage["sku"]["name"] == "Standard_ZRS" and storage["allowSharedKeyAccess"] is False and storage["allowBlobPublicAccess"] is False
    assert "firewall default Deny with an IP allow-list" in section and storage["networkRuleSet"]["defaultAction"] == "Deny"
    assert "its private `pulumi-state` container, versioned, with blob and container soft delete (30 days), change feed and point-in-time restore (29 days)" in section
    container = only(plan, "azure-native:storage:BlobContainer").inputs
    assert container["containerName"] == "pulumi-state" and container["publicAccess"] == "None"
    blobs = only(plan, "azure-native:storage:BlobServiceProperties").inputs
    assert blobs["isVersioningEnabled"] and blobs["changeFeed"]["enabled"]
    assert blobs["deleteRetentionPolicy"]["days"] == blobs["containerDeleteRetentionPolicy"]["days"] == 30
    assert blobs["restorePolicy"] == {"days": 29, "enabled": True}
    assert "an RBAC, purge-protected Key Vault with one RSA 3072 key (`encrypt`/`decrypt` only) per environment" in section
    vault = only(plan, "azure-native:keyvault:Vault").inputs["properties"]
    assert vault["enableRbacAuthorization"] and vault["enablePurgeProtection"]
    keys = [key.inputs["properties"] for key in plan.of_type("azure-native:keyvault:Key")]
    environments = json.loads(stack_config("bootstrap")["mlplatform:stateBackend"])["environments"]
    assert len(keys) == len(environments)
    assert all(key["kty"] == "RSA" and key["keySize"] == 3072 and key["keyOps"] == ["encrypt", "decrypt"] for key in keys)
    assert "Everything is protected and locked" in section
    assert all(r.protect for r in plan.resources if r.type in ("azure-native:storage:StorageAccount", "azure-native:keyvault:Vault"))
    assert only(plan, "azure-native:authorization:ManagementLockAtResourceGroupLevel").inputs["level"] == "CanNotDelete"


def test_the_docs_examples_are_the_plans_names():
    """docs/state-backend.md's outputs and docs/plan-format.md's sample resource, as the previews give them."""
    from tests.conftest import only, preview_stack

    state_doc = (REPO / "docs" / "state-backend.md").read_text()
    outputs = preview_stack("bootstrap").outputs
    assert f"| `backendUrl` | `{outputs['backendUrl']}` |" in state_doc
    assert f'`{{"prod": "{outputs["secretsProviders"]["prod"]}", ...}}`' in state_doc
    plan_doc = (REPO / "docs" / "plan-format.md").read_text()
    vault = only(preview_stack("prod"), "azure-native:keyvault:Vault")
    assert f'"id": "{vault.id}"' in plan_doc and f'"physicalName": "{vault.physical_name}"' in plan_doc
    assert f'"urn": "{vault.urn}"' in plan_doc


def test_every_command_has_a_row_in_the_command_table():
    """The README's command table names every command the CLI has (nested ones as ``templates render``)."""
    import argparse

    from blueprint.tools.cli import build_parser

    def commands(parser: argparse.ArgumentParser, prefix: str) -> list[str]:
        found = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    found += commands(child, f"{prefix}{name} ") or [f"{prefix}{name}"]
        return found

    rows = [line for line in _readme().splitlines() if line.startswith("| `blueprint ")]
    missing = [command for command in commands(build_parser(), "")
               if not any(row.startswith(f"| `blueprint {command}`") or row.startswith(f"| `blueprint {command} ") for row in rows)]
    assert missing == []
