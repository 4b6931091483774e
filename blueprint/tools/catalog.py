"""The policy catalog: every policy of the pack with why it exists, what it checks, how it is enforced in each
environment, the public controls it implements and how to fix a violation (``blueprint policies``).

Rendered from the pack's own declarations (``CATALOG``, filled by ``resource_policy``/``stack_policy``) and its
per-environment configs (``policies/config/<environment>.json``), so the catalog cannot drift from the pack.
A policy that lacks its documentation is refused with a ``ValueError`` naming it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from blueprint.tools.markdown import anchor, cell, code, table
from blueprint.tools.policy_check import PACK_MODULE, load_pack_config, load_policies, policy_settings

AZURE_POLICY_URL = (
    "https://portal.azure.com/#blade/Microsoft_Azure_Policy/PolicyDetailBlade/definitionId/"
    "%2Fproviders%2FMicrosoft.Authorization%2FpolicyDefinitions%2F{id}"
)
PSRULE_URL = "https://azure.github.io/PSRule.Rules.Azure/en/rules/{id}/"

#: The blueprint's environments in promotion order, then its organisation-wide stacks (the registry, the Pulumi
#: state backend); a pack config for another environment adds it.
DEFAULT_ENVIRONMENTS = ("dev", "staging", "prod", "shared", "bootstrap")

#: Pack module -> the area heading the catalog groups its policies under.
AREA_TITLES = {
    "ml": "Machine learning",
    "serving": "Serving rollouts",
    "keyvault": "Key Vault",
    "storage": "Storage",
    "state_store": "Pulumi state store",
    "container_registry": "Container registry",
    "encryption": "Customer-managed keys",
    "network": "Network",
    "monitoring": "Monitoring",
    "identity": "Identity and access",
    "governance": "Governance and cost",
}
#: The frameworks a policy's ``controls`` map it to: attribute of ``controls`` -> the name reports show.
FRAMEWORKS = (("azure_policy", "Azure Policy"), ("checkov", "Checkov"), ("mcsb", "MCSB"), ("psrule", "PSRule"))
_REQUIRED_TEXT = ("description", "rationale", "checks", "remediation", "url")


@dataclass(frozen=True)
class PackCatalog:
    """What ``blueprint policies`` renders: the pack's documented policies, their areas and its configs."""

    name: str
    docs: list[Any]
    areas: dict[str, str] = field(default_factory=dict)
    """Policy name -> the pack module declaring it (``keyvault``, ``network``...)."""
    configs: dict[str, Any] = field(default_factory=dict)
    """Environment -> its validated pack config (``pack_config.PackConfig``), for the environments that have one."""


def load_catalog(pack_dir: Path) -> PackCatalog:
    """Import the pack in ``pack_dir`` (without starting its server) and collect the documentation of its policies."""
    policies = load_policies(pack_dir)
    package = sys.modules[PACK_MODULE]
    catalog: Mapping[str, Any] = getattr(package, "CATALOG", None) or importlib.import_module(f"{PACK_MODULE}.base").CATALOG
    missing = [p.name for p in policies if p.name not in catalog]
    if missing:
        raise ValueError(f"policy {missing[0]}: no documentation (declare it with resource_policy or stack_policy)")
    areas: dict[str, str] = {}
    for module in list(vars(package).values()):
        module_name = getattr(module, "__name__", "")
        if type(module).__name__ == "module" and module_name.startswith(PACK_MODULE + "."):
            for policy in getattr(module, "POLICIES", ()) or ():
                areas.setdefault(policy.name, module_name.rsplit(".", 1)[-1])
    config_dir = pack_dir / "config"
    configs = {path.stem: load_pack_config(pack_dir, path.stem, policies) for path in sorted(config_dir.glob("*.json"))} if config_dir.is_dir() else {}
    return PackCatalog(
        name=str(getattr(package, "PACK_NAME", pack_dir.name)),
        docs=[catalog[p.name] for p in policies],
        areas=areas,
        configs=configs,
    )


# --- Validation -------------------------------------------------------------------------------------------------


def validate_docs(docs: Iterable[Any]) -> None:
    """Refuse a policy whose documentation is incomplete: the catalog is what reviewers and auditors read."""
    seen: set[str] = set()
    for doc in docs:
        name = getattr(doc, "name", None) or "(unnamed)"
        if name in seen:
            raise ValueError(f"policy {name}: declared twice")
        seen.add(name)
        missing = [key for key in _REQUIRED_TEXT if not str(getattr(doc, key, "") or "").strip()]
        if not any(controls(doc).values()):
            missing.append("controls (at least one Azure Policy, Checkov, MCSB or PSRule mapping)")
        if getattr(doc, "kind", None) == "resource" and not getattr(doc, "resource_types", ()):
            missing.append("resource_types")
        if missing:
            raise ValueError(f"policy {name} lacks its documentation: {', '.join(missing)}")
        url = str(doc.url)
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"policy {name}: url must be an http(s) link, found {url!r}")
        if getattr(doc, "kind", None) not in ("resource", "stack"):
            raise ValueError(f"policy {name}: kind must be resource or stack, found {getattr(doc, 'kind', None)!r}")


def controls(doc: Any) -> dict[str, list[str]]:
    """The control IDs a policy's documentation maps it to, per framework of :data:`FRAMEWORKS` (empty lists included)."""
    mapped = getattr(doc, "controls", None)
    return {key: list(getattr(mapped, key, ()) or ()) for key, _ in FRAMEWORKS}


def _docs(docs: Iterable[Any] | Mapping[str, Any]) -> list[Any]:
    values = list(docs.values()) if isinstance(docs, Mapping) else list(docs)
    validate_docs(values)
    return values


# --- Enforcement ------------------------------------------------------------------------------------------------


def environments_of(docs: Sequence[Any], configs: Mapping[str, Any] | None = None,
                    environments: Sequence[str] | None = None) -> list[str]:
    """The environments the catalog shows: the blueprint's, any with a pack config, any a policy is relaxed in."""
    if environments is not None:
        return list(environments)
    extra = set(configs or {}) | {env for doc in docs for env in getattr(doc, "relaxed_in", ())}
    return [*DEFAULT_ENVIRONMENTS, *sorted(extra - set(DEFAULT_ENVIRONMENTS))]


def enforcement(doc: Any, environment: str, configs: Mapping[str, Any] | None = None) -> str:
    """The policy's enforcement level in ``environment``: the pack config's when there is one, otherwise
    mandatory, or advisory where the policy is declared relaxed."""
    if configs and environment in configs:
        return policy_settings(configs[environment], doc.name)[0]
    return "advisory" if environment in getattr(doc, "relaxed_in", ()) else "mandatory"


def _waivers(doc: Any, environment: str, configs: Mapping[str, Any] | None) -> list[dict[str, str]]:
    if not configs or environment not in configs:
        return []
    return [
        {"resource": entry.waiver.resource, "reason": entry.waiver.reason}
        | ({"expires": entry.waiver.expires.isoformat()} if entry.waiver.expires else {})
        for entry in configs[environment].waivers()
        if entry.policy == doc.name
    ]


def _severity(doc: Any) -> str:
    return str(getattr(doc.severity, "value", doc.severity))


def _area(doc: Any, areas: Mapping[str, str] | None) -> str:
    return (areas or {}).get(doc.name, "other")


def _area_title(area: str) -> str:
    return AREA_TITLES.get(area, area.replace("_", " ").capitalize())


def _links(key: str, control: str) -> str | None:
    if key == "azure_policy":
        return AZURE_POLICY_URL.format(id=quote(control, safe=""))
    if key == "psrule":
        return PSRULE_URL.format(id=quote(control, safe="."))
    return None


# --- JSON -------------------------------------------------------------------------------------------------------


def catalog_json(docs: Iterable[Any] | Mapping[str, Any], *, areas: Mapping[str, str] | None = None,
                 configs: Mapping[str, Any] | None = None, environments: Sequence[str] | None = None,
                 pack: str | None = None) -> dict[str, Any]:
    """The catalog as data: ``{"pack", "environments", "areas", "policies": [...]}``."""
    docs = _docs(docs)
    envs = environments_of(docs, configs, environments)
    policies = []
    for doc in docs:
        mappings = controls(doc)
        policies.append({
            "name": doc.name,
            "area": _area(doc, areas),
            "kind": doc.kind,
            "description": doc.description,
            "rationale": doc.rationale,
            "checks": doc.checks,
            "resourceTypes": list(doc.resource_types),
            "severity": _severity(doc),
            "enforcement": {env: enforcement(doc, env, configs) for env in envs},
            "relaxedIn": list(doc.relaxed_in),
            "waivers": {env: w for env in envs if (w := _waivers(doc, env, configs))},
            "controls": {
                "azurePolicy": [{"id": c, "url": _links("azure_policy", c)} for c in mappings.get("azure_policy", [])],
                "checkov": mappings.get("checkov", []),
                "mcsb": mappings.get("mcsb", []),
                "psrule": [{"id": c, "url": _links("psrule", c)} for c in mappings.get("psrule", [])],
            },
            "remediation": doc.remediation,
            "url": doc.url,
        })
    area_order = list(dict.fromkeys(p["area"] for p in policies))
    return {
        "pack": pack,
        "environments": envs,
        "areas": [{"area": a, "title": _area_title(a), "policies": [p["name"] for p in policies if p["area"] == a]} for a in area_order],
        "policies": policies,
    }


# --- Markdown ---------------------------------------------------------------------------------------------------


def _md(text: str) -> str:
    return " ".join(str(text).split())


def _control_list(key: str, controls: list[str]) -> str:
    shown = []
    for control in controls:
        link = _links(key, control)
        shown.append(f"[{code(control)}]({link})" if link else code(control))
    return ", ".join(shown)


def _relaxations(data: Mapping[str, Any]) -> str:
    counts = {env: sum(1 for p in data["policies"] if p["enforcement"][env] in ("advisory", "disabled")) for env in data["environments"]}
    relaxed = [f"{env} ({count})" for env, count in counts.items() if count]
    if not relaxed:
        return "no environment relaxes any."
    return f"policies relaxed (advisory or disabled) in {', '.join(relaxed)}, as the table shows."


def catalog_markdown(docs: Iterable[Any] | Mapping[str, Any], *, areas: Mapping[str, str] | None = None,
                     configs: Mapping[str, Any] | None = None, environments: Sequence[str] | None = None,
                     pack: str | None = None) -> str:
    """``docs/policies.md``: a summary table, then each policy by area with its full documentation."""
    data = catalog_json(docs, areas=areas, configs=configs, environments=environments, pack=pack)
    envs = data["environments"]
    policies = {p["name"]: p for p in data["policies"]}
    kinds = [p["kind"] for p in data["policies"]]
    out = [
        "# Policy catalog",
        "",
        "<!-- Generated by `blueprint policies --format markdown` from the policy pack; do not edit by hand. -->",
        "",
        f"The {_md(pack) + ' ' if pack else ''}policy pack has {len(policies)} "
        f"{'policy' if len(policies) == 1 else 'policies'} ({kinds.count('resource')} on single resources, "
        f"{kinds.count('stack')} on the whole stack) in {len(data['areas'])} areas. The Pulumi engine evaluates them on every "
        "`pulumi preview` and `pulumi up` with `--policy-pack policies --policy-pack-config policies/config/<environment>.json`; "
        "`blueprint preview` and `blueprint check` evaluate the same pack offline.",
        "",
        "A **mandatory** violation stops the deployment; an **advisory** one is reported only. Each policy is mandatory "
        f"in every environment unless the environment's pack config says otherwise: {_relaxations(data)} "
        "A pack config can also waive a policy for named resources, with a reason every report shows, until the "
        "waiver's expiry date.",
        "",
    ]
    rows = []
    for area in data["areas"]:
        for name in area["policies"]:
            policy = policies[name]
            mcsb = ", ".join(policy["controls"]["mcsb"]) or "-"
            rows.append([f"[{name}](#{anchor(name)})", cell(_md(area["title"])), policy["kind"], policy["severity"],
                         *(policy["enforcement"][env] for env in envs), cell(_md(mcsb))])
    out += table(("Policy", "Area", "Kind", "Severity", *envs, "MCSB"), rows)
    for area in data["areas"]:
        out += ["", f"## {_md(area['title'])}"]
        for name in area["policies"]:
            policy = policies[name]
            doc_controls = policy["controls"]
            out += ["", f"### {name}", "", _md(policy["description"]), ""]
            if policy["kind"] == "resource":
                types = ", ".join(code(t) for t in policy["resourceTypes"])
                out.append(f"- **Kind:** resource policy, on {types}")
            else:
                out.append("- **Kind:** stack policy, on every resource of the stack and how they depend on each other")
            out.append(f"- **Severity:** {policy['severity']}")
            out.append("- **Enforcement:** " + ", ".join(f"{env} {policy['enforcement'][env]}" for env in envs))
            for env, waivers in policy["waivers"].items():
                for waiver in waivers:
                    until = f" (expires on {waiver['expires']})" if "expires" in waiver else ""
                    out.append(f"- **Waived in {env}:** {code(waiver['resource'])}: {_md(waiver['reason'])}{until}")
            out.append(f"- **Why:** {_md(policy['rationale'])}")
            out.append(f"- **What it checks:** {_md(policy['checks'])}")
            out.append(f"- **Remediation:** {_md(policy['remediation'])}")
            out.append("- **Controls:**")
            for key, label, ids in (
                ("azure_policy", "Azure Policy", [c["id"] for c in doc_controls["azurePolicy"]]),
                ("checkov", "Checkov", doc_controls["checkov"]),
                ("mcsb", "Microsoft cloud security benchmark", doc_controls["mcsb"]),
                ("psrule", "PSRule for Azure", [c["id"] for c in doc_controls["psrule"]]),
            ):
                if ids:
                    out.append(f"  - {label}: {_control_list(key, ids)}")
            out.append(f"- **Reference:** <{policy['url']}>")
    return "\n".join(out) + "\n"
