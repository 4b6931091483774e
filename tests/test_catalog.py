"""The policy catalog (``blueprint policies``, docs/policies.md): complete documentation for every policy, or no catalog."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from blueprint.tools.catalog import AZURE_POLICY_URL, catalog_json, catalog_markdown, enforcement, validate_docs
from tests.conftest import REPO
from tests.test_reports import SAMPLE_POLICIES, sample_catalog, sample_pack_configs, write_sample_pack

AREAS = {
    "sample-vault-purge-protection": "keyvault",
    "sample-storage-https-only": "storage",
    "sample-registry-no-admin": "container_registry",
    "sample-budget-alert": "governance",
}


def blueprint(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "blueprint", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def docs() -> list:
    return list(sample_catalog().values())


# --- What the catalog shows ---------------------------------------------------------------------------------------


def test_markdown_documents_every_policy_in_full():
    markdown = catalog_markdown(docs(), areas=AREAS, configs=sample_pack_configs(), pack="sample-governance")
    for doc in docs():
        assert f"### {doc.name}\n" in markdown
        for text in (doc.description, doc.rationale, doc.checks, doc.remediation, f"<{doc.url}>"):
            assert text in markdown, (doc.name, text)
        for control in (*doc.controls.checkov, *doc.controls.mcsb):
            assert f"`{control}`" in markdown
    vault = AZURE_POLICY_URL.format(id="0b60c0b2-2dc2-4e1c-b5c9-abbed971de53")
    assert vault == ("https://portal.azure.com/#blade/Microsoft_Azure_Policy/PolicyDetailBlade/definitionId/"
                     "%2Fproviders%2FMicrosoft.Authorization%2FpolicyDefinitions%2F0b60c0b2-2dc2-4e1c-b5c9-abbed971de53")
    assert f"[`0b60c0b2-2dc2-4e1c-b5c9-abbed971de53`]({vault})" in markdown
    assert "[`Azure.KeyVault.PurgeProtect`](https://azure.github.io/PSRule.Rules.Azure/en/rules/Azure.KeyVault.PurgeProtect/)" in markdown
    assert "- **Kind:** resource policy, on `azure-native:keyvault:Vault`" in markdown
    assert "- **Kind:** stack policy" in markdown
    assert "- **Severity:** critical" in markdown


def test_markdown_groups_by_area_under_a_summary_table():
    markdown = catalog_markdown(docs(), areas=AREAS, configs=sample_pack_configs(), pack="sample-governance")
    headings = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert headings == ["## Key Vault", "## Storage", "## Container registry", "## Governance and cost"]
    table = markdown.index("| Policy | Area | Kind | Severity | dev | staging | prod | shared | bootstrap | MCSB |")
    assert table < markdown.index("## Key Vault")
    assert ("| [sample-vault-purge-protection](#sample-vault-purge-protection) | Key Vault | resource | high | "
            "advisory | mandatory | mandatory | mandatory | mandatory | DP-8 |") in markdown
    assert "| [sample-registry-no-admin](#sample-registry-no-admin) | Container registry | resource | critical | disabled | mandatory | mandatory | mandatory | mandatory | IM-1 |" in markdown
    assert "4 policies (3 on single resources, 1 on the whole stack) in 4 areas" in markdown


def test_enforcement_per_environment_follows_the_pack_config_or_relaxed_in():
    vault = sample_catalog()["sample-vault-purge-protection"]
    registry = sample_catalog()["sample-registry-no-admin"]
    # Without configs: mandatory everywhere except where the policy is declared relaxed.
    assert [enforcement(vault, env) for env in ("dev", "staging", "prod")] == ["advisory", "mandatory", "mandatory"]
    assert enforcement(registry, "dev") == "mandatory"
    # With a config for the environment, the config decides.
    assert enforcement(registry, "dev", sample_pack_configs()) == "disabled"
    assert enforcement(vault, "staging", sample_pack_configs()) == "mandatory"
    data = catalog_json(docs(), areas=AREAS, configs=sample_pack_configs(), pack="sample-governance")
    policy = next(p for p in data["policies"] if p["name"] == "sample-storage-https-only")
    assert policy["waivers"] == {
        "dev": [{"resource": "platform-st", "reason": "dev data is synthetic; ticket OPS-1"}],
        "prod": [{"resource": "platform-st", "reason": "fronted by a TLS-only private endpoint"}],
    }


def test_json_catalog_shape():
    data = catalog_json(docs(), areas=AREAS, configs=sample_pack_configs(), pack="sample-governance")
    assert data["pack"] == "sample-governance" and data["environments"] == ["dev", "staging", "prod", "shared", "bootstrap"]
    assert [a["area"] for a in data["areas"]] == ["keyvault", "storage", "container_registry", "governance"]
    vault = data["policies"][0]
    assert {"name", "area", "kind", "description", "rationale", "checks", "resourceTypes", "severity", "enforcement",
            "relaxedIn", "controls", "remediation", "url"} <= set(vault)
    assert vault["controls"]["azurePolicy"] == [{"id": "0b60c0b2-2dc2-4e1c-b5c9-abbed971de53",
                                                 "url": AZURE_POLICY_URL.format(id="0b60c0b2-2dc2-4e1c-b5c9-abbed971de53")}]
    assert vault["enforcement"] == {"dev": "advisory", "staging": "mandatory", "prod": "mandatory", "shared": "mandatory",
                                    "bootstrap": "mandatory"}
    json.dumps(data)


# --- A policy without its documentation fails the catalog ---------------------------------------------------------


@pytest.mark.parametrize("field", ["rationale", "checks", "remediation", "url", "description"])
def test_catalog_rejects_a_policy_missing_documentation(field):
    broken = dataclasses.replace(sample_catalog()["sample-storage-https-only"], **{field: "  "})
    with pytest.raises(ValueError, match=rf"policy sample-storage-https-only lacks its documentation: {field}"):
        catalog_markdown([*docs()[:1], broken])
    with pytest.raises(ValueError, match="sample-storage-https-only"):
        catalog_json([broken])


def test_catalog_rejects_a_policy_without_any_control_mapping():
    doc = sample_catalog()["sample-budget-alert"]
    broken = dataclasses.replace(doc, controls=dataclasses.replace(doc.controls, mcsb=()))
    with pytest.raises(ValueError, match=r"policy sample-budget-alert lacks its documentation: controls"):
        validate_docs([broken])


def test_catalog_rejects_a_resource_policy_without_resource_types_and_a_bad_link():
    doc = sample_catalog()["sample-vault-purge-protection"]
    with pytest.raises(ValueError, match="sample-vault-purge-protection lacks its documentation: resource_types"):
        validate_docs([dataclasses.replace(doc, resource_types=())])
    with pytest.raises(ValueError, match="sample-vault-purge-protection: url must be an http"):
        validate_docs([dataclasses.replace(doc, url="docs/keyvault.md")])
    validate_docs(docs())


# --- blueprint policies, end to end -------------------------------------------------------------------------------


@pytest.mark.e2e
def test_policies_command_prints_the_catalog(tmp_path):
    pack = write_sample_pack(tmp_path / "policies")
    markdown = blueprint("policies", "--policy-pack", str(pack))
    assert markdown.returncode == 0, markdown.stderr
    assert markdown.stdout.startswith("# Policy catalog\n")
    assert "The sample-governance policy pack has 4 policies" in markdown.stdout
    assert "## Sample" in markdown.stdout, "the pack module names the area"
    assert "- **Enforcement:** dev advisory, staging mandatory, prod mandatory, shared mandatory" in markdown.stdout
    as_json = blueprint("policies", "--format", "json", "--policy-pack", str(pack))
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert [p["name"] for p in data["policies"]] == list(AREAS)
    assert {p["area"] for p in data["policies"]} == {"sample"}
    default = blueprint("policies", cwd=tmp_path)  # ./policies by default
    assert default.returncode == 0 and default.stdout == markdown.stdout


@pytest.mark.e2e
def test_policies_command_refuses_an_undocumented_policy(tmp_path):
    pack = write_sample_pack(tmp_path / "policies", policies=SAMPLE_POLICIES.replace(
        'rationale="Plain HTTP exposes data and shared keys in transit.",', 'rationale="",'))
    result = blueprint("policies", "--policy-pack", str(pack))
    assert result.returncode == 2
    assert "policy sample-storage-https-only lacks its documentation: rationale" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.e2e
def test_policies_command_without_a_pack(tmp_path):
    result = blueprint("policies", "--policy-pack", str(tmp_path))
    assert result.returncode == 2 and "no policy pack here" in result.stderr


# --- The shipped pack and docs/policies.md ------------------------------------------------------------------------


@pytest.mark.e2e
def test_docs_policies_md_is_the_generated_catalog():
    result = blueprint("policies", "--format", "markdown")
    assert result.returncode == 0, result.stderr
    docs_file = REPO / "docs" / "policies.md"
    assert docs_file.is_file(), "generate it: blueprint policies --format markdown > docs/policies.md"
    assert docs_file.read_text(encoding="utf-8") == result.stdout, (
        "docs/policies.md is out of date: regenerate it with `blueprint policies --format markdown > docs/policies.md`"
    )


def test_shipped_relaxations_match_the_pack_configs():
    """``relaxed_in`` (what the catalog says) and policies/config/<env>.json (what the engine enforces) agree."""
    from blueprint.tools.policy_check import load_pack_config, load_policies, policy_settings

    pack = REPO / "policies"
    policies = load_policies(pack)
    catalog = sys.modules["mlplatform_policies"].CATALOG
    environments = sorted(p.stem for p in (pack / "config").glob("*.json"))
    disagreements = []
    for environment in environments:
        config = load_pack_config(pack, environment)
        for policy in policies:
            level = policy_settings(config, policy.name)[0]
            relaxed = environment in catalog[policy.name].relaxed_in
            if (level == "advisory") != relaxed:
                disagreements.append(f"{policy.name} in {environment}: the config says {level}, relaxed_in says "
                                     f"{'advisory' if relaxed else 'mandatory'}")
    assert not disagreements, "\n".join(disagreements)
