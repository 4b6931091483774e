"""Policy check reports (text, JSON, SARIF 2.1.0, JUnit XML, Markdown) and ``blueprint check`` end to end.

The findings come from a small sample pack built with the real ``mlplatform_policies.base`` and evaluated by the real
``evaluate`` on hand-built plans; the SARIF output is validated against the OASIS SARIF 2.1.0 schema vendored in
tests/data (see tests/data/README.md for its source).
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest

from blueprint.tools.policy_check import Finding, evaluate, policy_settings
from blueprint.tools.preview.plan import Plan, PlannedResource
from blueprint.tools.reports import (
    REPORT_FILES,
    CheckedStack,
    render,
    render_json,
    render_junit,
    render_markdown,
    render_sarif,
    render_text,
    resource_label,
    summarize,
    write_reports,
)
from tests.conftest import REPO

SARIF_SCHEMA = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"

# --- A sample pack: the layout of policies/, three resource policies and a stack policy ---------------------------

SAMPLE_INIT = '''\
"""A sample policy pack with the layout of the blueprint's own (tests only)."""

from . import sample
from .base import CATALOG

PACK_NAME = "sample-governance"
POLICIES = [*sample.POLICIES]
'''

SAMPLE_POLICIES = '''\
from pulumi_policy import Severity

from .base import Controls, get, resource_policy, stack_policy


def _vault(props):
    return f"purge protection is {get(props, 'properties.enablePurgeProtection', 'unset')}: a deleted vault can be purged"


def _stack(args):
    yield None, f"no budget alert among the {len(args.resources)} resources | pipes, <angle> & ampersand"


POLICIES = [
    resource_policy(
        name="sample-vault-purge-protection",
        description="Key vaults keep purge protection on.",
        rationale="A purged vault takes every key and secret with it, beyond recovery.",
        checks="properties.enablePurgeProtection is true on every Key Vault.",
        severity=Severity.HIGH,
        resource_types=["azure-native:keyvault:Vault"],
        check=_vault,
        controls=Controls(azure_policy=("0b60c0b2-2dc2-4e1c-b5c9-abbed971de53",), checkov=("CKV_AZURE_42",),
                          mcsb=("DP-8",), psrule=("Azure.KeyVault.PurgeProtect",)),
        remediation="Set enablePurgeProtection: true on the vault.",
        url="https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview",
        relaxed_in=("dev",),
    ),
    resource_policy(
        name="sample-storage-https-only",
        description="Storage accounts accept HTTPS only.",
        rationale="Plain HTTP exposes data and shared keys in transit.",
        checks="enableHttpsTrafficOnly is true on every storage account.",
        severity=Severity.MEDIUM,
        resource_types=["azure-native:storage:StorageAccount"],
        check=lambda props: "the storage account is flagged by the sample pack",
        controls=Controls(azure_policy=("404c3081-a854-4457-ae30-26a93ef643f9",), checkov=("CKV_AZURE_3",), mcsb=("DP-3",)),
        remediation="Set enableHttpsTrafficOnly: true.",
        url="https://learn.microsoft.com/azure/storage/common/storage-require-secure-transfer",
    ),
    resource_policy(
        name="sample-registry-no-admin",
        description="Container registries disable the admin user.",
        rationale="The admin user is a shared credential that bypasses Entra ID.",
        checks="properties.adminUserEnabled is not true on every container registry.",
        severity=Severity.CRITICAL,
        resource_types=["azure-native:containerregistry:Registry"],
        check=lambda props: "the admin user is enabled" if get(props, "adminUserEnabled") else None,
        controls=Controls(checkov=("CKV_AZURE_137",), mcsb=("IM-1",)),
        remediation="Set adminUserEnabled: false and pull with a managed identity.",
        url="https://learn.microsoft.com/azure/container-registry/container-registry-authentication",
    ),
    stack_policy(
        name="sample-budget-alert",
        description="Every stack has a budget alert.",
        rationale="Costs that nobody watches grow unnoticed.",
        checks="The stack declares a consumption budget with a notification.",
        severity=Severity.LOW,
        check=_stack,
        controls=Controls(mcsb=("AM-1",)),
        remediation="Set mlplatform:budget in the stack file.",
        url="https://learn.microsoft.com/azure/cost-management-billing/costs/tutorial-acm-create-budgets",
    ),
]
'''

#: Pack configs: dev relaxes the vault policy and disables the registry one; both waive the storage account.
SAMPLE_CONFIGS = {
    "dev": {
        "all": "mandatory",
        "sample-vault-purge-protection": "advisory",
        "sample-registry-no-admin": "disabled",
        "sample-budget-alert": "advisory",
        "sample-storage-https-only": {"waivers": [{"resource": "platform-st", "reason": "dev data is synthetic; ticket OPS-1"}]},
    },
    "prod": {
        "all": "mandatory",
        "sample-budget-alert": "advisory",
        "sample-storage-https-only": {"waivers": [{"resource": "platform-st", "reason": "fronted by a TLS-only private endpoint"}]},
    },
}


def write_sample_pack(directory: Path, *, policies: str = SAMPLE_POLICIES) -> Path:
    """The sample pack as files, as ``--policy-pack`` expects them (the real ``base.py`` beside it)."""
    package = directory / "mlplatform_policies"
    package.mkdir(parents=True)
    (directory / "PulumiPolicy.yaml").write_text("runtime: python\ndescription: sample pack for the report tests\n")
    (package / "__init__.py").write_text(SAMPLE_INIT)
    (package / "sample.py").write_text(policies)
    for module in ("base.py", "pack_config.py"):  # the real declarations and the real config validation
        shutil.copy(REPO / "policies" / "mlplatform_policies" / module, package / module)
    (directory / "config").mkdir()
    for environment, config in SAMPLE_CONFIGS.items():
        (directory / "config" / f"{environment}.json").write_text(json.dumps(config, indent=2))
    return directory


@lru_cache(maxsize=None)
def sample_pack() -> ModuleType:
    """The sample pack imported in process under its own name (the real pack keeps ``mlplatform_policies``)."""
    root = write_sample_pack(Path(tempfile.mkdtemp(prefix="sample-pack-")))
    atexit.register(shutil.rmtree, root, True)
    package = root / "mlplatform_policies"
    spec = importlib.util.spec_from_file_location("sample_policy_pack", package / "__init__.py", submodule_search_locations=[str(package)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def sample_catalog() -> dict:
    return dict(sample_pack().CATALOG)


def sample_pack_config(environment: str) -> Any:
    """``SAMPLE_CONFIGS[environment]`` validated by the sample pack's own (the real) ``pack_config``."""
    validator = importlib.import_module(f"{sample_pack().__name__}.pack_config")
    return validator.validate(SAMPLE_CONFIGS[environment], sample_pack().POLICIES, f"config/{environment}.json")


def sample_pack_configs() -> dict[str, Any]:
    return {environment: sample_pack_config(environment) for environment in SAMPLE_CONFIGS}


def sample_plan(stack: str) -> Plan:
    """A small plan with the resource types the sample policies look at."""
    def urn(type_: str, name: str) -> str:
        return f"urn:pulumi:{stack}::mlplatform::mlplatform:index:MlWorkspace${type_}::{name}"

    def resource(type_: str, name: str, inputs: dict) -> PlannedResource:
        return PlannedResource(urn(type_, name), type_, name, None, True, inputs, [], {}, False, outputs=dict(inputs))

    root = PlannedResource(f"urn:pulumi:{stack}::mlplatform::pulumi:pulumi:Stack::mlplatform-{stack}", "pulumi:pulumi:Stack",
                           f"mlplatform-{stack}", None, False, {}, [], {}, False)
    return Plan("mlplatform", stack, [
        root,
        resource("azure-native:keyvault:Vault", "platform-kv", {"properties": {"enablePurgeProtection": stack == "prod"}}),
        resource("azure-native:storage:StorageAccount", "platform-st", {"enableHttpsTrafficOnly": True}),
        resource("azure-native:storage:StorageAccount", "scratch-st", {"enableHttpsTrafficOnly": False}),
        resource("azure-native:containerregistry:Registry", "platform-cr", {"adminUserEnabled": True}),
    ], outputs={"environment": stack})


@lru_cache(maxsize=None)
def sample_check() -> tuple[tuple[Finding, ...], tuple[CheckedStack, ...]]:
    """dev and prod checked with the sample pack: advisory, mandatory, waived and stack-level findings."""
    policies = sample_pack().POLICIES
    findings: list[Finding] = []
    stacks = []
    for stack in ("dev", "prod"):
        plan = sample_plan(stack)
        config = sample_pack_config(stack)
        findings += evaluate(plan, policies, config)
        stacks.append(CheckedStack(
            name=stack, environment=stack, resources=sum(r.custom for r in plan.resources),
            policies=tuple(p.name for p in policies if policy_settings(config, p.name)[0] != "disabled"),
            urn=plan.resources[0].urn,
        ))
    return tuple(findings), tuple(stacks)


@pytest.fixture
def checked() -> tuple[list[Finding], list[CheckedStack], dict]:
    findings, stacks = sample_check()
    return list(findings), list(stacks), sample_catalog()


@lru_cache(maxsize=None)
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def assert_valid_sarif(document: dict) -> None:
    errors = sorted(sarif_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:10])


# --- The findings the reports are made of ---------------------------------------------------------------------


def test_the_sample_check_has_every_kind_of_finding(checked):
    findings, _, _ = checked
    kinds = {(f.stack, f.policy, "waived" if f.waived else f.enforcement) for f in findings}
    assert ("dev", "sample-vault-purge-protection", "advisory") in kinds
    assert ("prod", "sample-vault-purge-protection", "mandatory") in kinds
    assert ("prod", "sample-registry-no-admin", "mandatory") in kinds
    assert ("dev", "sample-storage-https-only", "waived") in kinds and ("dev", "sample-storage-https-only", "mandatory") in kinds
    assert not any(f.stack == "dev" and f.policy == "sample-registry-no-admin" for f in findings), "disabled in dev"
    assert any(f.urn is None for f in findings), "the stack policy reports on the stack"
    summary = summarize([f for f in findings if f.stack == "prod"])
    assert summary["mandatory"] == 3 and summary["waived"] == 1 and summary["advisory"] == 1 and not summary["compliant"]


def test_resource_label_reads_type_and_name_from_the_urn():
    assert resource_label("urn:pulumi:prod::mlplatform::a:b:C$azure-native:keyvault:Vault::platform-kv") == "azure-native:keyvault:Vault::platform-kv"
    assert resource_label(None) == "(stack)"


# --- SARIF --------------------------------------------------------------------------------------------------------


def test_sarif_validates_against_the_sarif_2_1_0_schema(checked):
    findings, stacks, catalog = checked
    document = render_sarif(findings, catalog, pack="sample-governance", stacks=stacks)
    assert_valid_sarif(document)
    assert_valid_sarif(json.loads(render("sarif", findings, catalog, pack="sample-governance", stacks=stacks)))
    assert_valid_sarif(render_sarif([], catalog, pack="sample-governance", stacks=stacks))


def test_the_schema_catches_an_invalid_log(checked):
    findings, stacks, catalog = checked
    document = render_sarif(findings, catalog, pack="sample-governance", stacks=stacks)
    document["runs"][0]["results"][0]["level"] = "fatal"
    assert list(sarif_validator().iter_errors(document)), "the vendored schema must reject an unknown level"


def test_sarif_rules_come_from_the_catalog(checked):
    findings, stacks, catalog = checked
    driver = render_sarif(findings, catalog, pack="sample-governance", stacks=stacks)["runs"][0]["tool"]["driver"]
    assert driver["name"] == "sample-governance" and driver["version"] and driver["informationUri"].startswith("https://")
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert list(rules) == list(catalog)
    vault = rules["sample-vault-purge-protection"]
    doc = catalog["sample-vault-purge-protection"]
    assert vault["shortDescription"]["text"] == doc.description
    assert vault["fullDescription"]["text"] == doc.rationale
    assert vault["help"]["text"] == doc.remediation and doc.checks in vault["help"]["markdown"]
    assert vault["helpUri"] == doc.url
    assert vault["properties"]["severity"] == "high" and vault["properties"]["security-severity"] == "8.0"
    assert {"security", "azure-policy:0b60c0b2-2dc2-4e1c-b5c9-abbed971de53", "checkov:CKV_AZURE_42", "mcsb:DP-8",
            "psrule:Azure.KeyVault.PurgeProtect"} <= set(vault["properties"]["tags"])
    assert vault["properties"]["controls"]["psrule"] == ["Azure.KeyVault.PurgeProtect"]


def test_sarif_results_carry_level_locations_and_suppressions(checked):
    findings, stacks, catalog = checked
    run = render_sarif(findings, catalog, pack="sample-governance", stacks=stacks)["runs"][0]
    results = run["results"]
    assert len(results) == len(findings)
    rules = run["tool"]["driver"]["rules"]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        physical = result["locations"][0]["physicalLocation"]
        stack = result["properties"]["stack"]
        assert physical["artifactLocation"]["uri"] == f"stacks/Pulumi.{stack}.yaml"
        assert physical["region"]["startLine"] == 1
        assert result["partialFingerprints"]
    by_level = {level: [r for r in results if r["level"] == level] for level in ("error", "warning", "note")}
    assert len(by_level["error"]) == sum(f.blocking for f in findings)
    assert all("suppressions" not in r for r in by_level["error"] + by_level["warning"])
    for note in by_level["note"]:
        assert note["suppressions"][0]["status"] == "accepted"
        assert note["suppressions"][0]["justification"] in ("dev data is synthetic; ticket OPS-1", "fronted by a TLS-only private endpoint")
    vault = next(r for r in results if r["ruleId"] == "sample-vault-purge-protection" and r["properties"]["stack"] == "prod")
    logical = vault["locations"][0]["logicalLocations"][0]
    assert logical == {"name": "platform-kv", "fullyQualifiedName": "urn:pulumi:prod::mlplatform::mlplatform:index:MlWorkspace$azure-native:keyvault:Vault::platform-kv", "kind": "resource"}
    assert vault["properties"]["enforcement"] == "mandatory" and vault["properties"]["severity"] == "high"
    stack_level = next(r for r in results if r["ruleId"] == "sample-budget-alert" and r["properties"]["stack"] == "prod")
    assert stack_level["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "urn:pulumi:prod::mlplatform::pulumi:pulumi:Stack::mlplatform-prod"
    assert len({r["partialFingerprints"]["blueprintPolicyFinding/v1"] for r in results}) == len(results)


# --- JUnit --------------------------------------------------------------------------------------------------------


def test_junit_is_xml_with_a_suite_per_stack_and_a_case_per_policy(checked):
    findings, stacks, catalog = checked
    root = ET.fromstring(render_junit(findings, catalog, pack="sample-governance", stacks=stacks))
    assert root.tag == "testsuites"
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert list(suites) == ["dev", "prod"]
    for name, suite in suites.items():
        cases = suite.findall("testcase")
        assert [c.get("name") for c in cases] == list(catalog), "a testcase per policy, in catalog order"
        mine = [f for f in findings if f.stack == name]
        failures = [failure for case in cases for failure in case.findall("failure")]
        assert len(failures) == sum(f.blocking for f in mine), "a failure per mandatory violation"
        assert int(suite.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
        assert int(suite.get("skipped")) == sum(1 for c in cases if c.find("skipped") is not None)
        assert int(suite.get("tests")) == len(cases) and suite.get("errors") == "0"
    dev = {c.get("name"): c for c in suites["dev"].findall("testcase")}
    assert "disabled" in dev["sample-registry-no-admin"].find("skipped").get("message")
    assert dev["sample-vault-purge-protection"].find("failure") is None, "advisory in dev"
    assert "[advisory]" in dev["sample-vault-purge-protection"].find("system-out").text
    prod = {c.get("name"): c for c in suites["prod"].findall("testcase")}
    failure = prod["sample-vault-purge-protection"].find("failure")
    assert failure.get("type") == "mandatory/high"
    assert "resource: urn:pulumi:prod::" in failure.text and "enforcement: mandatory" in failure.text
    assert prod["sample-registry-no-admin"].find("failure") is not None
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in suites.values())
    assert int(root.get("failures")) == sum(int(s.get("failures")) for s in suites.values())


def test_junit_skips_a_policy_whose_findings_are_all_waived():
    finding = Finding("sample-storage-https-only", "medium", "mandatory", "flagged", "urn:pulumi:prod::p::t::platform-st", "prod", waived="fronted by TLS")
    root = ET.fromstring(render_junit([finding], sample_catalog(), pack="p"))
    case = next(c for c in root.iter("testcase") if c.get("name") == "sample-storage-https-only")
    assert case.find("failure") is None and case.find("skipped").get("message") == "waived: fronted by TLS"
    assert root.get("failures") == "0" and root.get("skipped") == "1"


def test_junit_survives_control_characters_and_markup():
    finding = Finding("x", "low", "mandatory", "bell \x07 <tag> & \"quote\"", None, "dev")
    root = ET.fromstring(render_junit([finding], {}, pack="p"))
    assert "<tag> & \"quote\"" in root.find(".//failure").get("message")


# --- Markdown, JSON and text carry every finding ---------------------------------------------------------------


def test_markdown_and_json_carry_every_finding(checked):
    findings, stacks, catalog = checked
    markdown = render_markdown(findings, catalog, pack="sample-governance", stacks=stacks)
    document = render_json(findings, catalog, pack="sample-governance", stacks=stacks)
    assert set(document) == {"pack", "stacks", "findings", "summary"}
    assert len(document["findings"]) == len(findings)
    for finding in findings:
        assert any(finding.to_json().items() <= d.items() for d in document["findings"])
        escaped = finding.message.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
        row = next(line for line in markdown.splitlines() if f"`{finding.policy}`" in line and escaped in line
                   and (f"`{finding.urn}`" in line if finding.urn else f"stack {finding.stack}" in line))
        assert f"| {finding.severity} |" in row and finding.enforcement in row
        if finding.waived:
            assert finding.waived in row
    text = render_text(findings, catalog, pack="sample-governance", stacks=stacks)
    for finding in findings:
        assert f"{finding.policy}: {resource_label(finding.urn)}: {finding.message}" in text
        assert (finding.urn or f"stack {finding.stack}") in text


def test_markdown_has_verdicts_waivers_and_control_coverage(checked):
    findings, stacks, catalog = checked
    markdown = render_markdown(findings, catalog, pack="sample-governance", stacks=stacks)
    assert "| [dev](#stack-dev) | dev | **non-compliant** |" in markdown  # dev's second storage account is not waived
    assert "## Stack prod" in markdown and "- Verdict: **non-compliant**" in markdown
    assert "### Waivers" in markdown and "fronted by a TLS-only private endpoint" in markdown
    assert "### Control coverage" in markdown
    assert "| MCSB | `DP-8` | `sample-vault-purge-protection` | **violated** |" in markdown
    assert "| Checkov | `CKV_AZURE_137` | `sample-registry-no-admin` | **violated** |" in markdown
    assert "Disabled in this environment: `sample-registry-no-admin`" in markdown
    passing = render_markdown([], catalog, pack="sample-governance", stacks=[CheckedStack("dev", "dev", 3)])
    assert "**compliant**" in passing and "No violation" in passing and "| MCSB | `DP-8` | `sample-vault-purge-protection` | met |" in passing


def test_json_summary_counts(checked):
    findings, stacks, catalog = checked
    document = render_json(findings, catalog, pack="sample-governance", stacks=stacks)
    summary = document["summary"]
    assert summary["findings"] == len(findings)
    assert summary["mandatory"] == sum(f.blocking for f in findings)
    assert summary["waived"] == sum(f.waived is not None for f in findings)
    assert summary["mandatory"] + summary["advisory"] + summary["waived"] == summary["findings"]
    assert summary["failingStacks"] == ["dev", "prod"] and not summary["compliant"]
    assert [s["stack"] for s in document["stacks"]] == ["dev", "prod"]
    assert document["stacks"][0]["policies"] == 3, "the registry policy is disabled in dev"


def test_reports_list_a_stack_without_findings():
    stacks = [CheckedStack("staging", "staging", 12)]
    assert "stack staging (environment staging): PASS" in render_text([], {}, stacks=stacks)
    assert render_json([], {}, stacks=stacks)["stacks"][0]["verdict"] == "pass"
    assert ET.fromstring(render_junit([], {"a": None}, stacks=stacks)).find("testsuite").get("name") == "staging"


def test_write_reports_writes_every_file_and_leaves_no_temporaries(tmp_path, checked):
    findings, stacks, catalog = checked
    reports = {fmt: render(fmt, findings, catalog, pack="p", stacks=stacks) for fmt in REPORT_FILES}
    written = write_reports(reports, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(REPORT_FILES.values())
    assert [p.name for p in written] == list(REPORT_FILES.values())
    with pytest.raises(ValueError):
        render("yaml", findings, catalog)


# --- blueprint check, end to end ----------------------------------------------------------------------------------


def blueprint(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "blueprint", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The project's program, stacks, templates and workflows without its policy pack (the tests pass --policy-pack);
    the wiring check follows the templates and workflows."""
    target = tmp_path_factory.mktemp("check") / "project"
    target.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO / name, target)
    for name in ("stacks", "ml_templates", ".github"):
        shutil.copytree(REPO / name, target / name)
    return target


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    return write_sample_pack(tmp_path_factory.mktemp("pack") / "policies")


@pytest.mark.e2e
def test_check_a_compliant_stack_prints_text_and_exits_0(project, pack):
    result = blueprint("check", "dev", "--program", str(project), "--policy-pack", str(pack))
    # dev: the vault policy and the stack policy are advisory, the registry policy disabled, the storage account waived.
    assert result.returncode == 0, result.stderr
    assert "stack dev (environment dev): PASS - 0 mandatory, 2 advisory, 1 waived" in result.stdout
    assert "[advisory] sample-vault-purge-protection: azure-native:keyvault:Vault::platform-kv: purge protection is" in result.stdout
    assert "[waived] sample-storage-https-only: azure-native:storage:StorageAccount::platform-st" in result.stdout
    assert "waiver: dev data is synthetic; ticket OPS-1" in result.stdout
    assert "Result: PASS" in result.stdout and result.stderr == ""


@pytest.mark.e2e
def test_check_writes_sarif_to_a_directory_and_exits_1_on_mandatory_violations(project, pack, tmp_path):
    out = tmp_path / "reports"
    result = blueprint("check", "prod", "--program", str(project), "--policy-pack", str(pack), "--format", "sarif", "--output-dir", str(out))
    assert result.returncode == 1, result.stderr
    assert [p.name for p in out.iterdir()] == ["check.sarif"]
    document = json.loads((out / "check.sarif").read_text())
    assert_valid_sarif(document)
    results = document["runs"][0]["results"]
    assert {r["ruleId"] for r in results if r["level"] == "error"} >= {"sample-vault-purge-protection"}
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "stacks/Pulumi.prod.yaml" for r in results)
    waived = [r for r in results if r["level"] == "note"]
    assert waived and waived[0]["suppressions"][0]["justification"] == "fronted by a TLS-only private endpoint"
    assert "stack prod (environment prod): FAIL" in result.stdout and f"Reports written to {out}: check.sarif" in result.stdout
    assert "mandatory policy violation" in result.stderr


@pytest.mark.e2e
def test_check_output_dir_alone_writes_every_report(project, pack, tmp_path):
    out = tmp_path / "out"
    result = blueprint("check", "dev", "--program", str(project), "--policy-pack", str(pack), "--output-dir", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT_FILES.values())
    assert_valid_sarif(json.loads((out / "check.sarif").read_text()))
    junit = ET.parse(out / "check.junit.xml").getroot()
    assert junit.get("failures") == "0" and junit.find("testsuite").get("name") == "dev"
    assert junit.get("skipped") == "2", "the registry policy is disabled in dev, the storage policy's only finding waived"
    report = json.loads((out / "check.json").read_text())
    assert report["pack"] == "sample-governance" and report["summary"]["compliant"] and report["stacks"][0]["environment"] == "dev"
    assert report["stacks"][0]["stackFile"] == "stacks/Pulumi.dev.yaml" and report["stacks"][0]["resources"] > 10
    assert (out / "check.txt").read_text() in result.stdout
    assert "## Stack dev" in (out / "compliance.md").read_text()


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["qa"], "stacks/Pulumi.qa.yaml: no such stack file"),
        (["dev", "--format", "json", "--format", "sarif"], "several reports need --output-dir DIR"),
        (["dev", "--policy-pack", "{tmp}"], "no policy pack here"),
        (["dev", "--format", "yaml"], "invalid choice: 'yaml'"),
    ],
)
def test_check_bad_usage_exits_2(project, pack, tmp_path, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--policy-pack" not in args:
        args += ["--policy-pack", str(pack)]
    result = blueprint("check", *args, "--program", str(project))
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.e2e
def test_check_reports_a_broken_pack_config_as_bad_input(project, pack, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(pack, broken)
    (broken / "config" / "dev.json").write_text("{\"all\": ")
    result = blueprint("check", "dev", "--program", str(project), "--policy-pack", str(broken))
    assert result.returncode == 2
    assert "config/dev.json:1:9: not valid JSON" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.e2e
def test_check_with_the_shipped_pack_writes_valid_sarif(tmp_path):
    out = tmp_path / "out"
    result = blueprint("check", "dev", "prod", "--format", "sarif", "--format", "junit", "--output-dir", str(out))
    assert result.returncode in (0, 1), result.stderr
    document = json.loads((out / "check.sarif").read_text())
    assert_valid_sarif(document)
    results = document["runs"][0]["results"]
    assert (result.returncode == 1) == any(r["level"] == "error" for r in results)
    assert {r["properties"]["stack"] for r in results} <= {"dev", "prod"}
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert len(rules) >= 8 and all(rule.get("helpUri") and rule.get("help") for rule in rules)
    ET.parse(out / "check.junit.xml")


def test_sample_pack_source_is_importable_standalone():
    """The sample pack's policies are what the e2e tests load with --policy-pack."""
    assert [p.name for p in sample_pack().POLICIES] == list(sample_catalog())
