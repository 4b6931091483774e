"""The cost estimator's arithmetic on a small hand-written price table, and the shipped table's coverage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from blueprint.tools.cost import (
    HOURS_PER_MONTH,
    CostEstimate,
    PriceTable,
    budget_from_plan,
    estimate,
    load_prices,
    parse_prices,
    render_estimate,
)
from blueprint.tools.preview.plan import Plan, PlannedResource
from components import vm_sizes

REPO = Path(__file__).resolve().parent.parent

# Round numbers, so every expectation below can be checked by hand.
TABLE: dict[str, Any] = {
    "schemaVersion": 1,
    "currency": "USD",
    "retrieved": "2026-01-15",
    "sources": ["https://example.com/prices"],
    "notes": ["test table"],
    "regions": {
        "westeurope": {
            "vmHourlyConfidence": "documented",
            "vmHourly": {
                "Standard_CPU": 0.5,
                "Standard_GPU": {"value": 2.0, "confidence": "estimated"},
            },
            "spotDiscount": {"value": 0.75},
            "spotHourly": {"Standard_GPU": 0.3},
            "fixedMonthly": {
                "containerRegistryBasic": 5.0,
                "containerRegistryStandard": 20.0,
                "containerRegistryPremium": {"value": 50.0, "confidence": "estimated"},
                "privateEndpoint": 7.0,
                "privateDnsZone": 0.5,
                "managedNetworkFirewall": 900.0,
                "logAnalyticsPerGB": 3.0,
                "logAnalyticsBaselineGB": 10,
                "keyVault": 1.0,
                "storageAccount": 10.0,
            },
        },
        "northeurope": {
            "vmHourly": {"Standard_CPU": 0.4},
            "fixedMonthly": {
                "containerRegistryBasic": 5.0,
                "containerRegistryStandard": 20.0,
                "containerRegistryPremium": 50.0,
                "privateEndpoint": 7.0,
                "privateDnsZone": 0.5,
                "managedNetworkFirewall": 900.0,
                "logAnalyticsPerGB": 2.0,
                "logAnalyticsBaselineGB": 10,
                "keyVault": 1.0,
                "storageAccount": 10.0,
            },
        },
    },
}


@pytest.fixture
def prices(tmp_path: Path) -> PriceTable:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(TABLE), encoding="utf-8")
    return load_prices(path)


# --- hand-built plan resources, in the shapes the preview records -------------------------------------------------


def resource(type_: str, name: str, inputs: dict[str, Any], *, id_: str | None = None,
             operation: str = "create", custom: bool = True) -> PlannedResource:
    return PlannedResource(
        urn=f"urn:pulumi:test::mlplatform::{type_}::{name}", type=type_, name=name, parent=None, custom=custom,
        inputs=inputs, dependencies=[], property_dependencies={}, protect=False,
        id=id_ or f"/subscriptions/0/resourceGroups/rg/providers/test/{name}", operation=operation,
    )


def cluster(name: str, size: str, *, min_nodes: float = 0.0, max_nodes: float = 2.0,
            priority: str = "Dedicated") -> PlannedResource:
    return resource("azure-native:machinelearningservices:Compute", name, {
        "computeName": name,
        "location": "westeurope",
        "properties": {
            "computeType": "AmlCompute",
            "properties": {
                "vmSize": size,
                "vmPriority": priority,
                "scaleSettings": {"minNodeCount": min_nodes, "maxNodeCount": max_nodes},
            },
        },
    })


def deployment(endpoint: str, name: str, size: str, capacity: float) -> PlannedResource:
    return resource(
        "azure-native:machinelearningservices:OnlineDeployment", f"{endpoint}-{name}",
        {
            "endpointName": endpoint,
            "deploymentName": name,
            "properties": {"endpointComputeType": "Managed", "instanceType": size},
            "sku": {"name": "Default", "capacity": capacity},
        },
        id_=f"/subscriptions/0/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w"
            f"/onlineEndpoints/{endpoint}/deployments/{name}",
    )


def autoscale(name: str, target: str, minimum: Any, maximum: Any, default: Any = None,
              enabled: bool = True) -> PlannedResource:
    return resource("azure-native:monitor:AutoscaleSetting", name, {
        "enabled": enabled,
        "targetResourceUri": target,
        "profiles": [{"name": "default", "capacity": {"minimum": minimum, "maximum": maximum,
                                                       "default": default if default is not None else minimum},
                      "rules": []}],
    })


def registry(name: str, sku: str) -> PlannedResource:
    return resource("azure-native:containerregistry:Registry", name, {"registryName": name, "sku": {"name": sku}})


def workspace(name: str, managed_network: dict[str, Any] | None) -> PlannedResource:
    inputs: dict[str, Any] = {"workspaceName": name}
    if managed_network is not None:
        inputs["managedNetwork"] = managed_network
    return resource("azure-native:machinelearningservices:Workspace", name, inputs)


def plan_of(*resources: PlannedResource) -> Plan:
    return Plan(project="mlplatform", stack="test", resources=list(resources))


def run(plan: Plan, prices: PriceTable, *, hours: float = 10.0, budget: float | None = None,
        location: str = "westeurope") -> CostEstimate:
    return estimate(plan, prices, location=location, peak_hours_per_month=hours, budget_monthly=budget)


def lines_of(est: CostEstimate, name: str, kind: str) -> list:
    return [line for line in est.lines if line.resource == name and line.kind == kind]


# --- fixed lines ------------------------------------------------------------------------------------------------


def test_fixed_lines_price_registries_by_sku_endpoints_zones_and_baselines(prices: PriceTable) -> None:
    plan = plan_of(
        registry("cr-basic", "Basic"),
        registry("cr-premium", "Premium"),
        resource("azure-native:network:PrivateEndpoint", "pep-blob", {}),
        resource("azure-native:network:PrivateEndpoint", "pep-vault", {}),
        resource("azure-native:privatedns:PrivateZone", "zone-blob", {"privateZoneName": "privatelink.blob.core"}),
        resource("azure-native:operationalinsights:Workspace", "log", {"sku": {"name": "PerGB2018"}}),
        resource("azure-native:keyvault:Vault", "kv", {}),
        resource("azure-native:storage:StorageAccount", "st", {}),
        resource("azure-native:resources:ResourceGroup", "rg", {}),  # free: no line
    )
    est = run(plan, prices)

    monthly = {line.resource: line.monthly for line in est.lines}
    assert monthly == {
        "cr-basic": 5.0, "cr-premium": 50.0, "pep-blob": 7.0, "pep-vault": 7.0, "zone-blob": 0.5,
        "log": 30.0,  # 10 GB x $3
        "kv": 1.0, "st": 10.0,
    }
    assert all(line.kind == "fixed" for line in est.lines)
    assert est.fixed_monthly == pytest.approx(110.5)
    assert est.peak_hourly == 0.0
    assert est.peak_monthly == pytest.approx(110.5)
    assert est.unpriced == []
    # estimated prices are carried to the lines built from them
    assert [line.resource for line in est.estimated_lines] == ["cr-premium"]
    assert "Premium container registry" in lines_of(est, "cr-premium", "fixed")[0].description
    assert "10 GB/month" in lines_of(est, "log", "fixed")[0].description


def test_resources_the_program_only_reads_and_components_are_not_priced(prices: PriceTable) -> None:
    plan = plan_of(
        resource("azure-native:containerregistry:Registry", "existing", {"sku": {"name": "Premium"}},
                 operation="read"),
        resource("azure-native:keyvault:Vault", "component-like", {}, custom=False),
    )
    est = run(plan, prices)
    assert est.lines == [] and est.fixed_monthly == 0.0


# --- clusters ---------------------------------------------------------------------------------------------------


def test_cluster_scaling_to_zero_costs_nothing_idle_and_max_nodes_at_peak(prices: PriceTable) -> None:
    est = run(plan_of(cluster("cpu", "Standard_CPU", min_nodes=0, max_nodes=4)), prices, hours=10)

    (idle,) = lines_of(est, "cpu", "fixed")
    assert idle.monthly == 0.0 and "scales to zero" in idle.description
    (peak,) = lines_of(est, "cpu", "peak")
    assert peak.hourly == pytest.approx(2.0)  # 4 x $0.5
    assert "4 x Standard_CPU" in peak.description and "$0.50/h" in peak.description
    assert est.fixed_monthly == 0.0
    assert est.peak_hourly == pytest.approx(2.0)
    assert est.peak_monthly == pytest.approx(20.0)  # 0 + 2.0 x 10 h


def test_min_nodes_are_always_on_and_peak_is_only_the_extra_above_them(prices: PriceTable) -> None:
    est = run(plan_of(cluster("cpu", "Standard_CPU", min_nodes=2, max_nodes=5)), prices, hours=100)

    (fixed,) = lines_of(est, "cpu", "fixed")
    assert fixed.monthly == pytest.approx(2 * HOURS_PER_MONTH * 0.5)  # 730.0
    assert "2 x Standard_CPU always on (minNodes 2) x 730 h x $0.50/h" in fixed.description
    (peak,) = lines_of(est, "cpu", "peak")
    assert peak.hourly == pytest.approx(3 * 0.5)  # maxNodes 5 - minNodes 2
    assert "(maxNodes 5 - minNodes 2)" in peak.description
    assert est.fixed_monthly == pytest.approx(730.0)
    assert est.peak_monthly == pytest.approx(730.0 + 1.5 * 100)


def test_spot_clusters_use_the_spot_price(prices: PriceTable) -> None:
    plan = plan_of(
        cluster("cpu-spot", "Standard_CPU", max_nodes=4, priority="LowPriority"),  # $0.5 less 75% = $0.125
        cluster("gpu-spot", "Standard_GPU", max_nodes=2, priority="LowPriority"),  # explicit spot price $0.3
        cluster("gpu", "Standard_GPU", max_nodes=2),  # dedicated: $2.0
    )
    est = run(plan, prices)

    assert lines_of(est, "cpu-spot", "peak")[0].hourly == pytest.approx(4 * 0.125)
    assert "75% Spot discount" in lines_of(est, "cpu-spot", "peak")[0].description
    assert lines_of(est, "gpu-spot", "peak")[0].hourly == pytest.approx(2 * 0.3)
    assert lines_of(est, "gpu", "peak")[0].hourly == pytest.approx(2 * 2.0)
    assert est.peak_hourly == pytest.approx(0.5 + 0.6 + 4.0)
    # the GPU's pay-as-you-go price is estimated in the table; its lines say so
    assert lines_of(est, "gpu", "peak")[0].estimated
    assert not lines_of(est, "cpu-spot", "peak")[0].estimated


def test_spot_without_a_spot_price_or_discount_is_unpriced_not_priced_as_dedicated(prices: PriceTable) -> None:
    est = run(plan_of(cluster("cpu-spot", "Standard_CPU", max_nodes=4, priority="LowPriority")), prices,
              location="northeurope")
    assert est.lines == []
    assert est.unpriced == ["cpu-spot: Standard_CPU (Spot) has no northeurope price"]


def test_compute_instance_runs_all_month(prices: PriceTable) -> None:
    instance = resource("azure-native:machinelearningservices:Compute", "ci", {
        "properties": {"computeType": "ComputeInstance", "properties": {"vmSize": "Standard_CPU"}},
    })
    est = run(plan_of(instance), prices)
    assert est.fixed_monthly == pytest.approx(730 * 0.5)
    assert est.peak_hourly == 0.0


# --- managed network firewall -----------------------------------------------------------------------------------


def test_firewall_is_priced_only_when_fqdn_outbound_rules_exist(prices: PriceTable) -> None:
    no_fqdn = workspace("mlw-a", {
        "isolationMode": "AllowOnlyApprovedOutbound",
        "outboundRules": {
            "storage": {"type": "PrivateEndpoint", "category": "UserDefined"},
            "frontdoor": {"type": "ServiceTag", "category": "UserDefined"},
        },
    })
    public = workspace("mlw-b", {"isolationMode": "AllowInternetOutbound"})
    unmanaged = workspace("mlw-c", None)
    disabled = workspace("mlw-d", {"isolationMode": "Disabled",
                                   "outboundRules": {"pypi": {"type": "FQDN", "destination": "pypi.org"}}})
    est = run(plan_of(no_fqdn, public, unmanaged, disabled), prices)
    assert [line.description for line in est.lines if "Firewall" in line.description] == []

    with_fqdn = workspace("mlw", {
        "isolationMode": "AllowOnlyApprovedOutbound",
        "outboundRules": {
            "pypi": {"type": "FQDN", "destination": "pypi.org", "category": "UserDefined"},
            "pypi-files": {"type": "FQDN", "destination": "files.pythonhosted.org", "category": "UserDefined"},
            "storage": {"type": "PrivateEndpoint", "category": "UserDefined"},
        },
    })
    est = run(plan_of(with_fqdn), prices)
    (line,) = [line for line in est.lines if "Firewall" in line.description]
    assert line.kind == "fixed" and line.resource == "mlw" and line.monthly == 900.0
    assert "FQDN outbound rules (pypi, pypi-files)" in line.description


def test_a_firewall_sku_missing_from_the_table_is_unpriced(prices: PriceTable) -> None:
    basic = workspace("mlw", {"isolationMode": "AllowOnlyApprovedOutbound", "firewallSku": "Basic",
                              "outboundRules": [{"name": "pypi", "type": "FQDN", "destination": "pypi.org"}]})
    est = run(plan_of(basic), prices)
    assert est.lines == []
    assert len(est.unpriced) == 1 and est.unpriced[0].startswith("mlw:")
    assert "managedNetworkFirewallBasic" in est.unpriced[0]


# --- online deployments -----------------------------------------------------------------------------------------


def test_deployment_minimum_and_maximum_come_from_its_autoscale_setting(prices: PriceTable) -> None:
    blue = deployment("fraud", "blue", "Standard_CPU", capacity=2.0)
    green = deployment("fraud", "green", "Standard_CPU", capacity=1.0)
    plan = plan_of(
        blue, green,
        autoscale("blue-autoscale", blue.id, "2", "6", "2"),  # ARM's capacities are strings
        autoscale("green-autoscale", green.id, 1, 3),  # numbers accepted too
    )
    est = run(plan, prices, hours=50)

    (blue_fixed,) = lines_of(est, "fraud-blue", "fixed")
    assert blue_fixed.monthly == pytest.approx(2 * 730 * 0.5)
    assert "min instances 2" in blue_fixed.description
    (blue_peak,) = lines_of(est, "fraud-blue", "peak")
    assert blue_peak.hourly == pytest.approx(4 * 0.5)
    assert lines_of(est, "fraud-green", "fixed")[0].monthly == pytest.approx(1 * 730 * 0.5)
    assert lines_of(est, "fraud-green", "peak")[0].hourly == pytest.approx(2 * 0.5)
    assert est.fixed_monthly == pytest.approx(1095.0)
    assert est.peak_hourly == pytest.approx(3.0)
    assert est.peak_monthly == pytest.approx(1095.0 + 3.0 * 50)


def test_deployment_without_autoscale_runs_its_initial_capacity_all_month(prices: PriceTable) -> None:
    blue = deployment("fraud", "blue", "Standard_CPU", capacity=3.0)
    other = deployment("fraud", "green", "Standard_CPU", capacity=1.0)
    # an autoscale setting aimed at another deployment, and a disabled one aimed at this one, do not apply
    plan = plan_of(blue, other, autoscale("other", other.id, 1, 9),
                   autoscale("off", blue.id, 1, 9, enabled=False))
    est = run(plan, prices)
    assert lines_of(est, "fraud-blue", "fixed")[0].monthly == pytest.approx(3 * 730 * 0.5)
    assert lines_of(est, "fraud-blue", "peak") == []


def test_autoscale_is_matched_by_arm_path_when_the_ids_differ_in_form(prices: PriceTable) -> None:
    blue = deployment("fraud", "blue", "Standard_CPU", capacity=1.0)
    target = "/subscriptions/0/resourceGroups/RG/providers/Microsoft.MachineLearningServices/workspaces/x" \
             "/onlineEndpoints/fraud/deployments/blue"
    est = run(plan_of(blue, autoscale("a", target, 1, 4)), prices)
    assert lines_of(est, "fraud-blue", "peak")[0].hourly == pytest.approx(3 * 0.5)


# --- budget verdict ---------------------------------------------------------------------------------------------


def test_budget_verdict(prices: PriceTable) -> None:
    plan = plan_of(registry("cr", "Basic"), cluster("cpu", "Standard_CPU", max_nodes=4))  # $5 + $2/h
    fits = run(plan, prices, hours=10, budget=25.0)  # 5 + 2 x 10 = 25: exactly the budget
    assert fits.peak_monthly == pytest.approx(25.0)
    assert fits.budget == 25.0 and fits.fits_budget is True

    exceeds = run(plan, prices, hours=10, budget=24.99)
    assert exceeds.fits_budget is False
    assert "EXCEEDED by $0.01" in render_estimate(exceeds)

    no_budget = run(plan, prices, hours=10, budget=None)
    assert no_budget.budget is None and no_budget.fits_budget is None


def test_budget_amount_is_read_from_the_plan() -> None:
    plan = plan_of(resource("azure-native:consumption:Budget", "budget", {"amount": 2500.0, "timeGrain": "Monthly"}))
    assert budget_from_plan(plan) == 2500.0
    assert budget_from_plan(plan_of(registry("cr", "Basic"))) is None


# --- unpriced and unknown ---------------------------------------------------------------------------------------


def test_a_size_missing_from_the_table_is_reported_never_counted_as_zero(prices: PriceTable) -> None:
    plan = plan_of(
        registry("cr", "Basic"),
        cluster("h100", "Standard_ND96isr_H100_v5", min_nodes=1, max_nodes=2),
        deployment("fraud", "blue", "Standard_Unknown", capacity=1.0),
        registry("cr-odd", "Classic"),
    )
    est = run(plan, prices, budget=1_000_000.0)
    assert est.unpriced == [
        "h100: Standard_ND96isr_H100_v5 has no westeurope price",
        "fraud-blue: Standard_Unknown has no westeurope price",
        "cr-odd: a Classic container registry has no 'containerRegistryClassic' price for westeurope",
    ]
    assert [line.resource for line in est.lines] == ["cr"]
    assert est.fixed_monthly == 5.0
    # the priced part fits, but the unpriced resources make the verdict undecidable
    assert est.fits_budget is None
    text = render_estimate(est)
    assert "Unpriced" in text and "Standard_ND96isr_H100_v5" in text and "undecided" in text

    # an unpriced resource cannot rescue a plan already over budget
    assert run(plan, prices, budget=1.0).fits_budget is False


def test_unknown_region_is_a_clear_error_naming_the_priced_regions(prices: PriceTable) -> None:
    with pytest.raises(ValueError, match=r"'eastus'.*priced regions: northeurope, westeurope"):
        run(plan_of(registry("cr", "Basic")), prices, location="eastus")


def test_region_names_are_accepted_in_display_form(prices: PriceTable) -> None:
    est = run(plan_of(cluster("cpu", "Standard_CPU", max_nodes=1)), prices, location="North Europe")
    assert est.location == "northeurope" and est.peak_hourly == pytest.approx(0.4)


def test_negative_peak_hours_are_refused(prices: PriceTable) -> None:
    with pytest.raises(ValueError, match="peak_hours_per_month"):
        run(plan_of(), prices, hours=-1)


# --- rendering --------------------------------------------------------------------------------------------------


def test_render_explains_each_line_and_the_totals(prices: PriceTable) -> None:
    plan = plan_of(registry("cr", "Premium"), cluster("cpu", "Standard_CPU", min_nodes=1, max_nodes=3))
    text = render_estimate(run(plan, prices, hours=10, budget=1000.0))
    assert text.splitlines()[0] == "Cost estimate (USD, list prices of 2026-01-15, westeurope)"
    assert "1 x Standard_CPU always on (minNodes 1) x 730 h x $0.50/h" in text
    assert "2 x Standard_CPU more at peak (maxNodes 3 - minNodes 1)" in text
    assert "fixed monthly   $415.00" in text  # 50 + 365
    assert "peak hourly     $1.00/h (extra above the always-on minimum" in text
    assert "peak month      $415.00 + $1.00/h x 10 h = $425.00" in text
    assert "$1,000.00/month -> fits ($575.00 headroom at peak)" in text
    assert "~cr" in text  # the estimated Premium price is marked
    assert "no surcharge" in text


# --- the price table itself -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "message"), [
    (lambda t: t["regions"]["westeurope"]["fixedMonthly"].pop("privateEndpoint"), "missing privateEndpoint"),
    (lambda t: t["regions"]["westeurope"]["vmHourly"].update(Standard_CPU=-1), "non-negative"),
    (lambda t: t["regions"]["westeurope"]["vmHourly"].update(Standard_CPU={"value": 1, "confidence": "sure"}),
     "confidence"),
    (lambda t: t.update(schemaVersion=2), "schemaVersion"),
    (lambda t: t.update(retrieved=""), "retrieved"),
])
def test_malformed_tables_are_rejected(change, message: str) -> None:
    table = json.loads(json.dumps(TABLE))
    change(table)
    with pytest.raises(ValueError, match=message):
        parse_prices(table)


def _stack_usage() -> tuple[dict[str, set[str]], set[str]]:
    """VM sizes the shipped stacks use (clusters and online deployments) by stack file, and the regions they use."""
    sizes: dict[str, set[str]] = {}
    regions: set[str] = set()
    for path in sorted((REPO / "stacks").glob("Pulumi.*.yaml")):
        config = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("config", {})
        used = {c["vmSize"] for c in config.get("mlplatform:clusters", []) or []}
        for endpoint in config.get("mlplatform:endpoints", []) or []:
            used |= {d["instanceType"] for d in endpoint.get("deployments", []) if "instanceType" in d}
        sizes[path.name] = used
        if "mlplatform:location" in config:
            regions.add(config["mlplatform:location"])
        regions |= set((config.get("mlplatform:registry") or {}).get("replicationRegions", []))
    return sizes, regions


def test_shipped_table_prices_every_vm_size_the_shipped_stacks_use_in_every_region_they_use() -> None:
    table = load_prices()
    sizes, regions = _stack_usage()
    used = set().union(*sizes.values())
    assert {"Standard_DS3_v2", "Standard_NC4as_T4_v3", "Standard_D8s_v5"} <= used  # the stacks were read
    assert "westeurope" in regions
    missing = [
        f"{size} in {region} (used by {', '.join(f for f, s in sizes.items() if size in s)})"
        for region in sorted(regions) for size in sorted(used)
        if size not in table.region(region).vm_hourly
    ]
    assert missing == [], f"add these to blueprint/tools/data/prices.json: {missing}"


def test_shipped_table_is_dated_sourced_and_names_only_catalog_sizes() -> None:
    table = load_prices()
    assert table.currency == "USD"
    assert len(table.retrieved) == 10 and table.retrieved[4] == "-" and table.retrieved[7] == "-"
    assert table.sources and all(s.startswith("https://") for s in table.sources)
    assert {"westeurope", "northeurope"} <= set(table.regions)
    assert any("no surcharge" in note for note in table.notes)
    known = set(vm_sizes.known_sizes())
    for region in table.regions.values():
        assert set(region.vm_hourly) <= known, f"{region.name}: sizes outside components/data/vm_sizes.json"
        for size in ("Standard_DS3_v2", "Standard_D4s_v5", "Standard_D8s_v5", "Standard_NC4as_T4_v3",
                     "Standard_NC16as_T4_v3", "Standard_NC24ads_A100_v4"):
            assert region.vm_hourly[size].value > 0
        assert region.spot_discount is not None
        # anything not confirmed from a source says so
        assert region.fixed_monthly["managedNetworkFirewall"].confidence == "estimated"
        assert all(p.value >= 0 for p in region.fixed_monthly.values())
