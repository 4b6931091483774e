"""Cost estimate of a previewed plan: what the stack costs when idle, and what each hour at full scale adds.

The estimate reads the plan the offline preview produces (``blueprint.tools.preview.plan.Plan``) and a dated table of
list prices (``blueprint/tools/data/prices.json``). It separates two things a budget owner needs to see apart:

* **fixed monthly**: what is billed whether or not anybody works: container registries by SKU, private
  endpoints (the private network's, and one per private endpoint outbound rule of a managed network), private DNS
  zones, the managed network's Azure Firewall when FQDN outbound rules exist with approved outbound only, the Log
  Analytics, Key Vault and storage baselines, and every cluster's minimum nodes and every online deployment's
  minimum instances, 730 hours a month;
* **peak hourly**: the *extra* cost of one hour with every cluster at its maximum nodes and every online deployment
  at its autoscale maximum, above the always-on minimum already counted in the fixed part.

``peak_monthly = fixed_monthly + peak_hourly x peak_hours_per_month`` is the month the budget has to survive.

Azure Machine Learning adds no surcharge on compute: clusters, compute instances and managed online deployments
are billed at their virtual machines' own price, so VM list prices are used as they are. A size or SKU missing
from the price table is never counted as zero: the resource is listed in ``CostEstimate.unpriced``.

Standard library only, and the platform's table of Azure regions (``components.regions``), so that a region is
spelt and recognised here as the program spells and recognises it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blueprint.program.stack_facts import DEFAULT_PEAK_HOURS_PER_MONTH, LOCATION, CostAssumptions
from components.regions import UnknownRegionError, normalize_location

if TYPE_CHECKING:  # the estimator only needs .resources with type, name, inputs, custom, operation, id
    from blueprint.tools.preview.plan import Plan, PlannedResource

PRICES_PATH = "blueprint/tools/data/prices.json"
"""Where the shipped price table lives in the repository (messages name it so readers know what to edit)."""

HOURS_PER_MONTH = 730.0
"""Azure's convention for monthly prices: 730 hours."""

SCHEMA_VERSION = 1

DOCUMENTED, SECONDARY, ESTIMATED = "documented", "secondary", "estimated"
CONFIDENCES = (DOCUMENTED, SECONDARY, ESTIMATED)
"""``documented``: read on a Microsoft page; ``secondary``: a Microsoft list price transcribed by a cited page;
``estimated``: not confirmed from a source. Lines built from an estimated price are marked as such."""

FIXED_KEYS = (
    "containerRegistryBasic",
    "containerRegistryStandard",
    "containerRegistryPremium",
    "privateEndpoint",
    "privateDnsZone",
    "managedNetworkFirewall",
    "logAnalyticsPerGB",
    "logAnalyticsBaselineGB",
    "keyVault",
    "storageAccount",
)
"""The fixed-cost entries every priced region must have (others, like ``managedNetworkFirewallBasic``, are
optional: a resource needing a missing one is reported as unpriced)."""

# Resource types the estimator reads.
COMPUTE = "azure-native:machinelearningservices:Compute"
ONLINE_DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"
AUTOSCALE = "azure-native:monitor:AutoscaleSetting"
ML_WORKSPACE = "azure-native:machinelearningservices:Workspace"
ML_REGISTRY = "azure-native:machinelearningservices:Registry"
CONTAINER_REGISTRY = "azure-native:containerregistry:Registry"
PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint"
PRIVATE_DNS_ZONE = "azure-native:privatedns:PrivateZone"
LOG_ANALYTICS = "azure-native:operationalinsights:Workspace"
KEY_VAULT = "azure-native:keyvault:Vault"
STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
BUDGET = "azure-native:consumption:Budget"


# --------------------------------------------------------------------------------------------------------------
# The price table
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Price:
    """One price with how sure the table is of it."""

    value: float
    confidence: str = DOCUMENTED
    note: str | None = None
    source: str | None = None

    @property
    def estimated(self) -> bool:
        return self.confidence == ESTIMATED


@dataclass(frozen=True)
class RegionPrices:
    """The prices of one Azure region."""

    name: str
    vm_hourly: Mapping[str, Price]
    fixed_monthly: Mapping[str, Price]
    spot_hourly: Mapping[str, Price] = field(default_factory=dict)
    spot_discount: Price | None = None
    display_name: str | None = None

    def vm(self, size: str, *, spot: bool = False) -> tuple[float, bool, str] | None:
        """``(hourly price, estimated, how it was derived)`` for ``size``, or ``None`` when the table lacks it.

        Spot uses an explicit ``spotHourly`` entry when there is one, else the pay-as-you-go price less
        ``spotDiscount``; with neither, the size is unpriced for Spot (never priced as pay-as-you-go silently).
        """
        size_key = _lookup_key(self.vm_hourly, size)
        if not spot:
            if size_key is None:
                return None
            price = self.vm_hourly[size_key]
            return price.value, price.estimated, f"${_fmt_rate(price.value)}/h"
        spot_key = _lookup_key(self.spot_hourly, size)
        if spot_key is not None:
            price = self.spot_hourly[spot_key]
            return price.value, price.estimated, f"${_fmt_rate(price.value)}/h (Spot price)"
        if size_key is None or self.spot_discount is None:
            return None
        base = self.vm_hourly[size_key]
        value = base.value * (1.0 - self.spot_discount.value)
        how = f"${_fmt_rate(value)}/h (${_fmt_rate(base.value)} less the {self.spot_discount.value:.0%} Spot discount)"
        return value, base.estimated or self.spot_discount.estimated, how

    def fixed(self, key: str) -> Price | None:
        return self.fixed_monthly.get(key)


class UnpricedRegionError(ValueError):
    """The price table has no prices for a region: the stack is valid, only its cost cannot be estimated."""


@dataclass(frozen=True)
class PriceTable:
    """A dated table of list prices per region (see ``blueprint/tools/data/prices.json``)."""

    currency: str
    retrieved: str
    regions: Mapping[str, RegionPrices]
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def region(self, location: str) -> RegionPrices:
        """The prices for ``location`` (``westeurope`` or ``West Europe``); an ``UnpricedRegionError`` naming the
        priced regions when the table has none for it (an unknown region is reported the same way: no prices)."""
        try:
            key: str | None = normalize_location(location)
        except UnknownRegionError:
            key = None
        if key not in self.regions:
            priced = ", ".join(sorted(self.regions)) or "none"
            raise UnpricedRegionError(
                f"no prices for region {location!r} in the price table ({PRICES_PATH}); priced regions: {priced}"
            )
        return self.regions[key]


def load_prices(path: str | Path | None = None) -> PriceTable:
    """Read a price table: the shipped one by default, or the JSON document at ``path``."""
    if path is None:
        text = resources.files("blueprint.tools").joinpath("data").joinpath("prices.json").read_text(encoding="utf-8")
        where = PRICES_PATH
    else:
        text = Path(path).read_text(encoding="utf-8")
        where = str(path)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{where}: not valid JSON ({error})") from error
    return parse_prices(document, where=where)


def parse_prices(document: Mapping[str, Any], *, where: str = "price table") -> PriceTable:
    """Validate and convert a price document (the shape of ``blueprint/tools/data/prices.json``)."""
    if not isinstance(document, Mapping):
        raise ValueError(f"{where}: expected a JSON object")
    if document.get("schemaVersion") != SCHEMA_VERSION:
        raise ValueError(f"{where}: schemaVersion must be {SCHEMA_VERSION}, found {document.get('schemaVersion')!r}")
    currency = document.get("currency")
    retrieved = document.get("retrieved")
    if not isinstance(currency, str) or not currency:
        raise ValueError(f"{where}: currency is required")
    if not isinstance(retrieved, str) or not retrieved:
        raise ValueError(f"{where}: retrieved (the date the prices were read, YYYY-MM-DD) is required")
    raw_regions = document.get("regions")
    if not isinstance(raw_regions, Mapping) or not raw_regions:
        raise ValueError(f"{where}: regions must map region names to prices")
    regions = {}
    for name, raw in raw_regions.items():
        try:
            key = normalize_location(name)
        except UnknownRegionError as error:
            raise ValueError(f"{where}: regions.{name}: {error}") from None
        regions[key] = _parse_region(key, raw, f"{where}: regions.{name}")
    return PriceTable(
        currency=currency,
        retrieved=retrieved,
        regions=regions,
        sources=tuple(str(s) for s in document.get("sources", ())),
        notes=tuple(str(n) for n in document.get("notes", ())),
    )


def _parse_region(name: str, raw: Any, where: str) -> RegionPrices:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: expected an object")
    default = raw.get("vmHourlyConfidence", DOCUMENTED)
    vm_hourly = _parse_prices(raw.get("vmHourly"), f"{where}.vmHourly", default)
    spot_hourly = _parse_prices(raw.get("spotHourly", {}), f"{where}.spotHourly", default)
    fixed = _parse_prices(raw.get("fixedMonthly"), f"{where}.fixedMonthly", DOCUMENTED)
    missing = [key for key in FIXED_KEYS if key not in fixed]
    if missing:
        raise ValueError(f"{where}.fixedMonthly: missing {', '.join(missing)}")
    spot_discount = None
    if raw.get("spotDiscount") is not None:
        spot_discount = _parse_price(raw["spotDiscount"], f"{where}.spotDiscount", DOCUMENTED)
        if not 0.0 <= spot_discount.value < 1.0:
            raise ValueError(f"{where}.spotDiscount: a fraction in [0, 1), found {spot_discount.value}")
    return RegionPrices(
        name=name,
        vm_hourly=vm_hourly,
        fixed_monthly=fixed,
        spot_hourly=spot_hourly,
        spot_discount=spot_discount,
        display_name=raw.get("displayName"),
    )


def _parse_prices(raw: Any, where: str, default_confidence: str) -> dict[str, Price]:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: expected an object of prices")
    return {str(key): _parse_price(value, f"{where}.{key}", default_confidence) for key, value in raw.items()}


def _parse_price(raw: Any, where: str, default_confidence: str) -> Price:
    if isinstance(raw, Mapping):
        value, confidence = raw.get("value"), raw.get("confidence", default_confidence)
        note, source = raw.get("note"), raw.get("source")
    else:
        value, confidence, note, source = raw, default_confidence, None, None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{where}: a price must be a non-negative number, found {value!r}")
    if confidence not in CONFIDENCES:
        raise ValueError(f"{where}: confidence must be one of {', '.join(CONFIDENCES)}, found {confidence!r}")
    return Price(float(value), confidence, note, source)


def _lookup_key(prices: Mapping[str, Price], name: str) -> str | None:
    if name in prices:
        return name
    folded = name.lower()
    return next((key for key in prices if key.lower() == folded), None)


# --------------------------------------------------------------------------------------------------------------
# The estimate
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostLine:
    """One priced item: ``fixed`` lines carry ``monthly``, ``peak`` lines carry ``hourly``."""

    kind: str
    resource: str
    description: str
    monthly: float | None = None
    hourly: float | None = None
    estimated: bool = False
    """Built from at least one price the table marks as estimated."""


@dataclass(frozen=True)
class CostEstimate:
    """A plan's cost: the always-on month, the extra hour at full scale, and the budget verdict."""

    currency: str
    retrieved: str
    location: str
    lines: list[CostLine]
    fixed_monthly: float
    peak_hourly: float
    """Extra cost of one hour with everything at its maximum, above the always-on minimum (already in fixed)."""
    peak_hours_per_month: float
    peak_monthly: float
    """``fixed_monthly + peak_hourly x peak_hours_per_month``."""
    budget: float | None
    fits_budget: bool | None
    """``None`` without a budget, and when the priced total fits but some resources are unpriced (undecidable)."""
    unpriced: list[str]
    """Resources the table cannot price (size or SKU missing): never counted as zero."""

    @property
    def estimated_lines(self) -> list[CostLine]:
        return [line for line in self.lines if line.estimated]


def estimate(
    plan: Plan,
    prices: PriceTable,
    *,
    location: str,
    peak_hours_per_month: float,
    budget_monthly: float | None,
) -> CostEstimate:
    """Price ``plan`` with the list prices of ``location``.

    ``peak_hours_per_month`` is how many hours a month everything runs at its maximum; ``budget_monthly`` the
    monthly budget to compare ``peak_monthly`` with (``None``: no verdict). Raises ``ValueError`` for a region the
    table does not price.
    """
    if peak_hours_per_month < 0 or not math.isfinite(peak_hours_per_month):
        raise ValueError(f"peak_hours_per_month must be a non-negative number, found {peak_hours_per_month!r}")
    region = prices.region(location)
    resources_ = [r for r in plan.resources if r.custom and getattr(r, "operation", "create") == "create"]
    builder = _Builder(region)
    autoscale = [r for r in resources_ if r.type == AUTOSCALE]

    for resource in resources_:
        kind = resource.type
        if kind == COMPUTE:
            builder.compute(resource)
        elif kind == ONLINE_DEPLOYMENT:
            builder.online_deployment(resource, _autoscale_for(resource, autoscale))
        elif kind == CONTAINER_REGISTRY:
            builder.container_registry(resource)
        elif kind == PRIVATE_ENDPOINT:
            builder.per_resource(resource, "privateEndpoint", "private endpoint")
        elif kind == PRIVATE_DNS_ZONE:
            zone = resource.inputs.get("privateZoneName")
            builder.per_resource(resource, "privateDnsZone", f"private DNS zone {zone}" if zone else "private DNS zone")
        elif kind == ML_WORKSPACE:
            builder.managed_network(resource)
        elif kind == ML_REGISTRY:
            builder.ml_registry(resource)
        elif kind == LOG_ANALYTICS:
            builder.log_analytics(resource)
        elif kind == KEY_VAULT:
            builder.per_resource(resource, "keyVault", "Key Vault baseline")
        elif kind == STORAGE_ACCOUNT:
            builder.per_resource(resource, "storageAccount", "storage account baseline")

    fixed_monthly = sum(line.monthly or 0.0 for line in builder.lines if line.kind == "fixed")
    peak_hourly = sum(line.hourly or 0.0 for line in builder.lines if line.kind == "peak")
    peak_monthly = fixed_monthly + peak_hourly * peak_hours_per_month
    fits: bool | None = None
    if budget_monthly is not None:
        fits = peak_monthly <= budget_monthly
        if fits and builder.unpriced:
            fits = None  # the priced part fits, but what the unpriced resources add is unknown
    return CostEstimate(
        currency=prices.currency,
        retrieved=prices.retrieved,
        location=region.name,
        lines=builder.lines,
        fixed_monthly=fixed_monthly,
        peak_hourly=peak_hourly,
        peak_hours_per_month=float(peak_hours_per_month),
        peak_monthly=peak_monthly,
        budget=None if budget_monthly is None else float(budget_monthly),
        fits_budget=fits,
        unpriced=builder.unpriced,
    )


def budget_from_plan(plan: Plan) -> float | None:
    """The monthly amount of the plan's ``consumption:Budget`` resources (summed), or ``None`` without one."""
    amounts = [
        _number(r.inputs.get("amount"))
        for r in plan.resources
        if r.custom and r.type == BUDGET and getattr(r, "operation", "create") == "create"
    ]
    known = [a for a in amounts if a is not None]
    return sum(known) if known else None


class _Builder:
    """Collects lines and unpriced resources for one region."""

    def __init__(self, region: RegionPrices) -> None:
        self.region = region
        self.lines: list[CostLine] = []
        self.unpriced: list[str] = []

    # -- helpers -----------------------------------------------------------------------------------------------

    def _fixed_price(self, resource: PlannedResource, key: str, what: str) -> Price | None:
        price = self.region.fixed(key)
        if price is None:
            self.unpriced.append(f"{resource.name}: {what} has no '{key}' price for {self.region.name}")
        return price

    def _add_fixed(self, resource: PlannedResource, description: str, monthly: float, estimated: bool) -> None:
        self.lines.append(CostLine("fixed", resource.name, description, monthly=monthly, estimated=estimated))

    def _add_peak(self, resource: PlannedResource, description: str, hourly: float, estimated: bool) -> None:
        self.lines.append(CostLine("peak", resource.name, description, hourly=hourly, estimated=estimated))

    def _scaled_vm(
        self,
        resource: PlannedResource,
        size: str | None,
        *,
        spot: bool,
        minimum: int,
        maximum: int,
        unit: str,
        min_label: str,
        max_label: str,
    ) -> None:
        """Always-on ``minimum`` x 730 h as a fixed line, and ``maximum - minimum`` more as a peak line."""
        if not size:
            self.unpriced.append(f"{resource.name}: no VM size in its inputs")
            return
        found = self.region.vm(size, spot=spot)
        if found is None:
            tier = " (Spot)" if spot else ""
            self.unpriced.append(f"{resource.name}: {size}{tier} has no {self.region.name} price")
            return
        hourly, estimated, how = found
        tier = " Spot" if spot else ""
        maximum = max(maximum, minimum)
        if minimum > 0:
            self._add_fixed(
                resource,
                f"{minimum} x {size}{tier} always on ({min_label} {minimum}) x {HOURS_PER_MONTH:g} h x {how}",
                minimum * HOURS_PER_MONTH * hourly,
                estimated,
            )
        extra = maximum - minimum
        if extra > 0:
            self._add_peak(
                resource,
                f"{extra} x {size}{tier} more at peak ({max_label} {maximum} - {min_label} {minimum}) x {how}",
                extra * hourly,
                estimated,
            )
        if minimum == 0:
            self._add_fixed(resource, f"{unit} scales to zero when idle ({min_label} 0): no always-on cost", 0.0, False)

    # -- resource kinds ------------------------------------------------------------------------------------------

    def compute(self, resource: PlannedResource) -> None:
        outer = _mapping(resource.inputs.get("properties"))
        compute_type = outer.get("computeType")
        inner = _mapping(outer.get("properties"))
        size = inner.get("vmSize")
        spot = str(inner.get("vmPriority", "Dedicated")).lower() == "lowpriority"
        if compute_type == "AmlCompute":
            scale = _mapping(inner.get("scaleSettings"))
            minimum = _count(scale.get("minNodeCount"), 0)
            maximum = _count(scale.get("maxNodeCount"), 1)
            self._scaled_vm(
                resource, size, spot=spot, minimum=minimum, maximum=maximum,
                unit="cluster", min_label="minNodes", max_label="maxNodes",
            )
        elif compute_type == "ComputeInstance":
            # A compute instance runs until it is stopped; start/stop schedules are not modelled.
            found = self.region.vm(size, spot=False) if size else None
            if found is None:
                self.unpriced.append(f"{resource.name}: {size or 'no VM size'} has no {self.region.name} price")
                return
            hourly, estimated, how = found
            self._add_fixed(
                resource,
                f"compute instance {size}, running until stopped (schedules not modelled) x"
                f" {HOURS_PER_MONTH:g} h x {how}",
                HOURS_PER_MONTH * hourly,
                estimated,
            )

    def online_deployment(self, resource: PlannedResource, autoscale: PlannedResource | None) -> None:
        properties = _mapping(resource.inputs.get("properties"))
        size = properties.get("instanceType")
        capacity = _count(_mapping(resource.inputs.get("sku")).get("capacity"), 1)
        minimum = maximum = capacity
        if autoscale is not None:
            limits = _autoscale_limits(autoscale)
            if limits is not None:
                minimum, maximum = limits
        self._scaled_vm(
            resource, size, spot=False, minimum=minimum, maximum=maximum,
            unit="deployment", min_label="min instances", max_label="max instances",
        )

    def container_registry(self, resource: PlannedResource) -> None:
        sku = str(_mapping(resource.inputs.get("sku")).get("name", "")) or "Basic"
        key = f"containerRegistry{sku[:1].upper()}{sku[1:].lower()}"
        price = self._fixed_price(resource, key, f"a {sku} container registry")
        if price is not None:
            self._add_fixed(resource, f"{sku} container registry: ${format_money(price.value)}/month", price.value,
                            price.estimated)

    def per_resource(self, resource: PlannedResource, key: str, what: str) -> None:
        price = self._fixed_price(resource, key, what)
        if price is not None:
            self._add_fixed(resource, f"{what}: ${format_money(price.value)}/month", price.value, price.estimated)

    def managed_network(self, workspace: PlannedResource) -> None:
        """What the workspace's managed network bills: a private endpoint per private endpoint outbound rule (every
        isolation mode), and the Azure Firewall that FQDN rules make Azure ML deploy (approved outbound only)."""
        network = _mapping(workspace.inputs.get("managedNetwork"))
        mode = str(network.get("isolationMode", "Disabled")).lower()
        if mode == "disabled":
            return
        rules = _outbound_rules(network.get("outboundRules"))
        for name, rule in sorted(rules):
            if str(rule.get("type", "")).lower() == "privateendpoint":
                self._endpoint_rule(workspace, name, _mapping(rule.get("destination")))
        fqdn = sorted(name for name, rule in rules if str(rule.get("type", "")).lower() == "fqdn")
        if not fqdn or mode != "allowonlyapprovedoutbound":
            return
        sku = str(network.get("firewallSku") or "Standard")
        key = "managedNetworkFirewall" if sku.lower() == "standard" else f"managedNetworkFirewall{sku.capitalize()}"
        price = self._fixed_price(workspace, key, f"the managed network's Azure Firewall ({sku})")
        if price is not None:
            rules = ", ".join(fqdn)
            self._add_fixed(
                workspace,
                f"Azure Firewall {sku} in the managed network, deployed because of FQDN outbound rules ({rules}):"
                f" ${format_money(price.value)}/month",
                price.value,
                price.estimated,
            )

    def _endpoint_rule(self, workspace: PlannedResource, name: str, destination: Mapping[str, Any]) -> None:
        price = self._fixed_price(workspace, "privateEndpoint", f"the managed network's private endpoint rule {name}")
        if price is None:
            return
        target = _resource_label(destination.get("serviceResourceId"))
        group = destination.get("subresourceTarget") or "?"
        self._add_fixed(
            workspace,
            f"managed network private endpoint, outbound rule {name} to {target} ({group}):"
            f" ${format_money(price.value)}/month",
            price.value,
            price.estimated,
        )

    def ml_registry(self, resource: PlannedResource) -> None:
        """An Azure ML registry keeps a container registry and a storage account in every region it replicates to."""
        details = resource.inputs.get("regionDetails")
        if not isinstance(details, list) or not details:
            return
        for detail in details:
            detail = _mapping(detail)
            region = detail.get("location", "?")
            for acr in detail.get("acrDetails") or []:
                created = _mapping(_mapping(acr).get("systemCreatedAcrAccount"))
                if not created:
                    continue
                sku = str(created.get("acrAccountSku") or "Premium")
                key = f"containerRegistry{sku[:1].upper()}{sku[1:].lower()}"
                price = self._fixed_price(resource, key, f"the registry's {sku} container registry in {region}")
                if price is not None:
                    self._add_fixed(resource, f"{sku} container registry of the ML registry in {region}:"
                                              f" ${format_money(price.value)}/month", price.value, price.estimated)
            for storage in detail.get("storageAccountDetails") or []:
                if not _mapping(_mapping(storage).get("systemCreatedStorageAccount")):
                    continue
                price = self._fixed_price(resource, "storageAccount", f"the registry's storage account in {region}")
                if price is not None:
                    self._add_fixed(resource, f"storage account baseline of the ML registry in {region}:"
                                              f" ${format_money(price.value)}/month", price.value, price.estimated)

    def log_analytics(self, resource: PlannedResource) -> None:
        per_gb = self._fixed_price(resource, "logAnalyticsPerGB", "Log Analytics ingestion")
        volume = self._fixed_price(resource, "logAnalyticsBaselineGB", "the Log Analytics baseline volume")
        if per_gb is None or volume is None:
            return
        self._add_fixed(
            resource,
            f"Log Analytics baseline: {volume.value:g} GB/month (assumed) x ${_fmt_rate(per_gb.value)}/GB",
            volume.value * per_gb.value,
            per_gb.estimated or volume.estimated,
        )


def _autoscale_for(deployment: PlannedResource, settings: Iterable[PlannedResource]) -> PlannedResource | None:
    """The enabled autoscale setting whose ``targetResourceUri`` is the deployment: its id, or failing an id
    match, an ARM path ending in ``onlineEndpoints/<endpoint>/deployments/<deployment>``."""
    settings = [s for s in settings if s.inputs.get("enabled", True) is not False]
    ids = {str(i).lower() for i in (deployment.id, deployment.outputs.get("id") if deployment.outputs else None) if i}
    for setting in settings:
        if str(setting.inputs.get("targetResourceUri", "")).lower() in ids:
            return setting
    endpoint = deployment.inputs.get("endpointName")
    name = deployment.inputs.get("deploymentName")
    if isinstance(endpoint, str) and isinstance(name, str):
        suffix = f"/onlineendpoints/{endpoint}/deployments/{name}".lower()
        for setting in settings:
            if str(setting.inputs.get("targetResourceUri", "")).lower().rstrip("/").endswith(suffix):
                return setting
    return None


def _autoscale_limits(setting: PlannedResource) -> tuple[int, int] | None:
    profiles = setting.inputs.get("profiles")
    if not isinstance(profiles, list) or not profiles:
        return None
    capacity = _mapping(_mapping(profiles[0]).get("capacity"))
    minimum, maximum = _number(capacity.get("minimum")), _number(capacity.get("maximum"))
    if minimum is None or maximum is None:
        return None
    return int(minimum), int(maximum)


def _outbound_rules(raw: Any) -> list[tuple[str, Mapping[str, Any]]]:
    """Outbound rules as ``(name, rule)``: the SDK takes a map of name to rule; a list is accepted too."""
    if isinstance(raw, Mapping):
        return [(str(name), _mapping(rule)) for name, rule in raw.items()]
    if isinstance(raw, list):
        return [(str(_mapping(rule).get("name", index)), _mapping(rule)) for index, rule in enumerate(raw)]
    return []


def _resource_label(resource_id: Any) -> str:
    """``<Namespace>/<type>/<name>`` of an ARM ID; an ID the plan does not know yet is said to be so."""
    if not isinstance(resource_id, str) or "/providers/" not in resource_id:
        return "a resource known at deployment"
    return resource_id.rsplit("/providers/", 1)[1]


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _number(value: Any) -> float | None:
    """A number from a float, an int or a numeric string (autoscale capacities are strings in ARM)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _count(value: Any, default: int) -> int:
    number = _number(value)
    return default if number is None else max(0, int(number))


# --------------------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------------------


def currency_symbol(currency: str) -> str:
    """What stands before an amount in ``currency``: ``$`` for US dollars, the currency code otherwise."""
    return "$" if currency == "USD" else f"{currency} "


def format_money(value: float) -> str:
    """A monthly amount: thousands separated, to the cent (the diff prints totals the same way)."""
    return f"{value:,.2f}"


def _fmt_rate(value: float) -> str:
    """Hourly and unit rates keep up to four decimals (0.3516), without trailing zeros below two."""
    text = f"{value:,.4f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def render_estimate(est: CostEstimate) -> str:
    """A readable section: each line with why it costs what it costs, the totals and the budget verdict."""
    symbol = currency_symbol(est.currency)
    out = [f"Cost estimate ({est.currency}, list prices of {est.retrieved}, {est.location})"]
    fixed = [line for line in est.lines if line.kind == "fixed"]
    peak = [line for line in est.lines if line.kind == "peak"]
    width = max((len(line.resource) for line in est.lines), default=0)

    out.append("  Always on (per month):")
    out += _listed(fixed, width, "(nothing)", lambda line: f"{symbol}{format_money(line.monthly or 0.0)}")
    out.append("  At peak (per hour, on top of the always-on minimum):")
    out += _listed(peak, width, "(nothing scales)", lambda line: f"{symbol}{_fmt_rate(line.hourly or 0.0)}/h")

    out.append("  Totals:")
    out.append(f"    fixed monthly   {symbol}{format_money(est.fixed_monthly)}")
    out.append(f"    peak hourly     {symbol}{_fmt_rate(est.peak_hourly)}/h"
               " (extra above the always-on minimum, everything at its maximum)")
    out.append(f"    peak month      {symbol}{format_money(est.fixed_monthly)} + {symbol}{_fmt_rate(est.peak_hourly)}/h"
               f" x {est.peak_hours_per_month:g} h = {symbol}{format_money(est.peak_monthly)}")
    if est.budget is None:
        out.append("    budget          none set: no verdict")
    else:
        difference = est.budget - est.peak_monthly
        if est.fits_budget is True:
            verdict = f"fits ({symbol}{format_money(difference)} headroom at peak)"
        elif est.fits_budget is False:
            verdict = f"EXCEEDED by {symbol}{format_money(-difference)} at peak"
        else:
            verdict = "undecided: the priced part fits, but some resources are unpriced"
        out.append(f"    budget          {symbol}{format_money(est.budget)}/month -> {verdict}")
    if est.unpriced:
        out.append("  Unpriced (not in the price table, so not counted; add them to " + PRICES_PATH + "):")
        out.extend(f"    - {item}" for item in est.unpriced)
    if est.estimated_lines:
        out.append(f"  ~ {len(est.estimated_lines)} line(s) use estimated prices (not confirmed from a source);"
                   f" see {PRICES_PATH}.")
    out.append("  Azure ML adds no surcharge on compute: clusters and deployments cost their VMs' list price.")
    return "\n".join(out)


def _listed(lines: list[CostLine], width: int, empty: str, amount: Callable[[CostLine], str]) -> list[str]:
    """One section's lines, alike whatever their unit: ``~`` marks a line built from an estimated price; ``empty``
    stands in for a section without lines."""
    if not lines:
        return [f"    {empty}"]
    return [f"   {'~' if line.estimated else ' '}{line.resource:<{width}}  {amount(line):>11}  {line.description}" for line in lines]


def estimate_plan(plan: Plan, prices: PriceTable | None = None) -> CostEstimate | None:
    """The estimate a preview prints: region from the stack's ``location`` output, peak hours and budget from its
    ``costAssumptions`` output (the contract of blueprint/program/stack_facts.py); the budget resource when no amount
    is given. ``None`` for programs that export no location (nothing to price against). Raises
    ``UnpricedRegionError`` for a region the price table lacks: a valid stack, so callers say so and go on."""
    location = plan.outputs.get(LOCATION)
    if not isinstance(location, str):
        return None
    assumptions = CostAssumptions.from_outputs(plan.outputs)
    peak_hours = assumptions.peak_hours_per_month
    budget = assumptions.monthly_budget
    return estimate(
        plan,
        prices or load_prices(),
        location=location,
        peak_hours_per_month=DEFAULT_PEAK_HOURS_PER_MONTH if peak_hours is None else peak_hours,
        budget_monthly=budget if budget is not None else budget_from_plan(plan),
    )


def estimate_to_json(est: CostEstimate) -> dict[str, Any]:
    """The estimate as the plan JSON's ``cost`` section."""
    from dataclasses import asdict

    return asdict(est)
