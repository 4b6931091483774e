"""The policy pack config (policies/config/<environment>.json, ``--policy-pack-config``): validated by the pack's own
``pack_config`` before anything is evaluated, with the engine's rules and stricter where the engine is silent.

End to end, a config that cannot be applied stops ``blueprint check`` (every format, with and without
``--output-dir``), ``blueprint preview`` and ``blueprint fork`` with exit 2, a message naming the file and the key,
no traceback and no file changed; waivers expire and waivers for resources that are not in the plan are warnings.
"""

from __future__ import annotations

import datetime
import importlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pulumi_policy
import pytest
from jsonschema import Draft4Validator

from blueprint.tools.catalog import AREA_TITLES, catalog_json
from blueprint.tools.policy_check import BLOCKING_LEVELS, Finding, evaluate, load_pack_config
from blueprint.tools.reports import render_sarif, sarif_level
from tests import policy_harness as harness
from tests.badinput import CliResult, tree_digest
from tests.badinput import assert_refused as assert_clean_refusal
from tests.conftest import REPO, preview_stack
from tests.test_cli import blueprint

import mlplatform_policies  # noqa: E402 - on sys.path once the harness has loaded the pack
from mlplatform_policies import CATALOG, POLICIES, pack_config  # noqa: E402
from mlplatform_policies.base import WAIVER_SCHEMA  # noqa: E402

PACK = REPO / "policies"
PROD_CONFIG = "policies/config/prod.json"
KV = "azure-native-keyvault-vault-enable-purge-protection"
KV_PUBLIC = "azure-native-keyvault-vault-disallow-public-network-access"
ST_PUBLIC = "azure-native-storage-storageaccount-disallow-public-network-access"
QUOTA = "azure-native-machinelearningservices-compute-gpu-quota"
VM_SIZES = "azure-native-machinelearningservices-compute-allowed-vm-size"
REASON = "Vault of the migration pilot, recreated after the cut-over (ticket OPS-12)."
VAULT = "azure-native:keyvault:Vault"
UNPROTECTED_VAULT = {"properties": {"enablePurgeProtection": False, "enableSoftDelete": True}}


def assert_refused(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit 2 with every fragment in the one ``error:`` message, no traceback or warning noise."""
    assert_clean_refusal(CliResult(result.returncode, result.stdout, result.stderr), fragments)


@pytest.fixture
def project(project_copy: Path) -> Path:
    """The project copy with its policy pack, templates and workflows: everything check, preview and fork read."""
    for name in ("policies", "ml_templates", ".github"):
        shutil.copytree(REPO / name, project_copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    return project_copy


def waivers(*entries: dict, policy: str = KV) -> str:
    return json.dumps({"all": "mandatory", policy: {"waivers": list(entries)}}, indent=2)


def waiver(**fields: object) -> dict:
    """A valid waiver of the prod vault, with ``fields`` changed (``None`` removes one)."""
    entry = {"resource": "platform-kv", "reason": REASON} | fields
    return {key: value for key, value in entry.items() if value is not None}


# --- The engine's rules, the same objects ------------------------------------------------------------------------


def test_enforcement_levels_are_exactly_pulumis():
    assert pack_config.ENFORCEMENT_LEVELS == tuple(level.value for level in pulumi_policy.EnforcementLevel)
    assert set(BLOCKING_LEVELS) == {"mandatory", "remediate"} <= set(pack_config.ENFORCEMENT_LEVELS)


def test_every_policy_declares_the_one_waiver_schema_the_validation_uses():
    assert WAIVER_SCHEMA.properties["waivers"] is pack_config.WAIVERS_PROPERTY
    for policy in POLICIES:
        assert policy.config_schema.properties["waivers"] is pack_config.WAIVERS_PROPERTY, policy.name
        schema = pack_config.engine_schema(policy.config_schema)
        assert set(schema) <= {"type", "properties", "required"}, "the engine keeps nothing else at the top level"
        Draft4Validator.check_schema(schema)  # the oldest draft the engine's validator speaks


def test_the_schema_alone_refuses_what_the_engine_refuses():
    """What ``pulumi preview --policy-pack`` would reject is in the schema itself, not only in Python."""
    validator = Draft4Validator(pack_config.engine_schema(WAIVER_SCHEMA))
    assert not list(validator.iter_errors({"waivers": [waiver(), waiver(expires="2027-03-31")]}))
    for bad in (waiver(reason="x"), waiver(reason="one two three" + "!" * 10), waiver(reason=None), waiver(resource=None),
                waiver(resource=""), waiver(ticket="OPS-1"), waiver(expires="31/03/2027"), waiver(expires=20270331)):
        assert list(validator.iter_errors({"waivers": [bad]})), bad


def test_every_shipped_pack_config_is_valid():
    for path in sorted((PACK / "config").glob("*.json")):
        config = pack_config.read(path, POLICIES)
        assert config.level(KV) in pack_config.ENFORCEMENT_LEVELS


def test_levels_follow_the_engine_precedence():
    config = pack_config.validate({"all": {"enforcementLevel": "advisory"}, KV: "disabled", ST_PUBLIC: {"waivers": []},
                                   QUOTA: {"enforcementLevel": "remediate"}}, POLICIES, "x.json")
    assert [config.level(name) for name in (KV, ST_PUBLIC, QUOTA, VM_SIZES)] == ["disabled", "advisory", "remediate", "advisory"]
    assert pack_config.defaults().level(KV) == "mandatory"
    assert config.properties(QUOTA) == {} and config.properties(ST_PUBLIC) == {"waivers": []}


def test_evaluate_refuses_a_config_nobody_validated():
    with pytest.raises(TypeError, match="validated pack config"):
        evaluate(preview_stack("prod"), POLICIES, {"all": "mandatroy"})


def test_remediate_blocks_like_mandatory():
    finding = Finding("p", "high", "remediate", "m", None, "prod")
    assert finding.blocking and sarif_level(finding) == "error"
    assert not Finding("p", "high", "advisory", "m", None, "prod").blocking


def test_today_is_the_utc_date_unless_pinned():
    before = datetime.datetime.now(datetime.timezone.utc).date()
    assert pack_config.today() in (before, datetime.datetime.now(datetime.timezone.utc).date())
    with pack_config.evaluation_date(datetime.date(2031, 1, 2)):
        assert pack_config.today() == datetime.date(2031, 1, 2)
    assert pack_config.today() != datetime.date(2031, 1, 2)


# --- Waivers expire -----------------------------------------------------------------------------------------------


def test_a_waiver_applies_until_the_day_before_it_expires_then_the_violation_is_back():
    policy = next(p for p in POLICIES if p.name == KV)
    config = {"waivers": [waiver(resource="subject", expires="2030-06-01")]}
    with pack_config.evaluation_date(datetime.date(2030, 5, 31)):
        assert harness.run_resource_policy(policy, VAULT, UNPROTECTED_VAULT, config=config) == [
            f"not applicable: waived: {REASON} (expires on 2030-06-01)"
        ]
    with pack_config.evaluation_date(datetime.date(2030, 6, 1)):
        [message] = harness.run_resource_policy(policy, VAULT, UNPROTECTED_VAULT, config=config)
    assert message.endswith(f"(waiver expired on 2030-06-01: {REASON})")
    assert message.startswith(harness.run_resource_policy(policy, VAULT, UNPROTECTED_VAULT)[0])


def test_an_expired_stack_policy_waiver_reports_the_violation_again():
    policy = next(p for p in POLICIES if p.name == "azure-native-machinelearningservices-compute-gpu-quota")
    clusters = harness.plan_stack_resources(preview_stack("prod"))
    small = {"quota": {"StandardNCADSA100v4Family": 48, "standardNCASv3_T4Family": 128}}
    expired = small | {"waivers": [waiver(resource="gpu-a100", expires="2020-01-01")]}
    current = small | {"waivers": [waiver(resource="gpu-a100", expires="2999-12-31")]}
    assert harness.run_stack_policy(policy, clusters, config=current) == []
    [(urn, message)] = harness.run_stack_policy(policy, clusters, config=expired)
    assert urn.endswith("::gpu-a100") and message.endswith(f"(waiver expired on 2020-01-01: {REASON})")


def test_the_catalog_shows_a_waivers_expiry():
    config = pack_config.validate(json.loads(waivers(waiver(expires="2027-03-31"))), POLICIES, PROD_CONFIG)
    data = catalog_json([CATALOG[KV]], configs={"prod": config})
    assert data["policies"][0]["waivers"] == {"prod": [{"resource": "platform-kv", "reason": REASON, "expires": "2027-03-31"}]}


# --- Every module of the pack is imported, served, documented and tested -----------------------------------------


def test_the_pack_serves_every_policy_module_on_disk_and_each_has_tests():
    infrastructure = {"__init__", "base", "pack_config"}
    modules = {path.stem for path in (PACK / "mlplatform_policies").glob("*.py")}
    packages = {path.parent.name for path in (PACK / "mlplatform_policies").glob("*/__init__.py")}  # governance
    on_disk = (modules | packages) - infrastructure
    imported = {name for name, value in vars(mlplatform_policies).items()
                if isinstance(value, ModuleType) and value.__name__.startswith("mlplatform_policies.")} - infrastructure
    assert imported == on_disk
    declared = [p.name for module in sorted(on_disk) for p in importlib.import_module(f"mlplatform_policies.{module}").POLICIES]
    assert sorted(declared) == sorted(p.name for p in POLICIES) and len(set(declared)) == len(declared)
    assert set(CATALOG) == set(declared)
    assert set(AREA_TITLES) == on_disk
    tests = "\n".join(path.read_text(encoding="utf-8") for path in (REPO / "tests").glob("test_policies_*.py"))
    untested = [m for m in sorted(on_disk) if not re.search(rf"^from mlplatform_policies import {m}\b", tests, re.MULTILINE)]
    assert not untested, f"no tests/test_policies_*.py imports {untested}"


# --- Bad pack configs, end to end ---------------------------------------------------------------------------------

#: (content of policies/config/prod.json, what the message says besides naming the file)
BAD_CONFIGS = [
    pytest.param('{"all": "mandatroy"}', f'{PROD_CONFIG}: all: expected one of advisory, mandatory, remediate, disabled, found "mandatroy" (did you mean "mandatory"?)', id="all-misspelled"),
    pytest.param('{"all": "Mandatory"}', f'{PROD_CONFIG}: all: expected one of advisory, mandatory, remediate, disabled, found "Mandatory"', id="all-capitalised"),
    pytest.param('{"all": "MANDATORY"}', f'{PROD_CONFIG}: all: expected one of', id="all-upper-case"),
    pytest.param('{"all": " mandatory"}', f'{PROD_CONFIG}: all: expected one of', id="all-with-a-space"),
    pytest.param('{"all": "enforced"}', f'{PROD_CONFIG}: all: expected one of', id="all-not-a-level"),
    pytest.param('{"all": 1}', f'{PROD_CONFIG}: all: expected one of advisory, mandatory, remediate, disabled (or {{"enforcementLevel": ...}}), found 1', id="all-a-number"),
    pytest.param('{"all": null}', f"{PROD_CONFIG}: all: expected one of", id="all-null"),
    pytest.param('{"all": true}', f"{PROD_CONFIG}: all: expected one of", id="all-true"),
    pytest.param('{"all": {"enforcementLevel": "Advisory"}}', f'{PROD_CONFIG}: all.enforcementLevel: expected one of advisory, mandatory, remediate, disabled, found "Advisory"', id="all-object-capitalised"),
    pytest.param('{"all": {}}', f"{PROD_CONFIG}: all: expected {{\"enforcementLevel\": ...}}", id="all-object-without-level"),
    pytest.param('{"all": {"enforcementLevel": "mandatory", "waivers": []}}', f"{PROD_CONFIG}: all.waivers: expected only enforcementLevel", id="all-with-waivers"),
    pytest.param(json.dumps({KV: "disbled"}), f'{PROD_CONFIG}: {KV}: expected one of advisory, mandatory, remediate, disabled, found "disbled"', id="policy-misspelled"),
    pytest.param(json.dumps({KV: "Disabled"}), f'{PROD_CONFIG}: {KV}: expected one of', id="policy-capitalised"),
    pytest.param(json.dumps({KV: {"enforcementLevel": "advise"}}), f'{PROD_CONFIG}: {KV}.enforcementLevel: expected one of', id="policy-object-misspelled"),
    pytest.param(json.dumps({KV: {"enforcementLevel": ["mandatory"]}}), f"{PROD_CONFIG}: {KV}.enforcementLevel: expected one of advisory, mandatory, remediate, disabled, found a list", id="policy-level-a-list"),
    pytest.param(json.dumps({KV: 0}), f"{PROD_CONFIG}: {KV}: expected one of advisory, mandatory, remediate, disabled, or an object", id="policy-a-number"),
    pytest.param(json.dumps({KV[:-1] + "m": "advisory"}), f"{PROD_CONFIG}: {KV[:-1]}m: expected the name of a policy of this pack or \"all\", found an unknown policy name (did you mean {KV}?)", id="policy-name-misspelled"),
    pytest.param(json.dumps({"require-mfa": "disabled"}), f"{PROD_CONFIG}: require-mfa: expected the name of a policy", id="policy-name-unknown"),
    pytest.param(json.dumps({KV: {"waiver": []}}), f"{PROD_CONFIG}: {KV}.waiver: expected one of the keys enforcementLevel, waivers, found an unknown key (did you mean waivers?)", id="policy-unknown-key"),
    pytest.param(json.dumps({KV: {"waivers": waiver()}}), f"{PROD_CONFIG}: {KV}.waivers: expected a list of waivers", id="waivers-not-a-list"),
    pytest.param(waivers(waiver(resource=None)), f"{PROD_CONFIG}: {KV}.waivers[0].resource: expected the logical name or URN of a resource, found nothing", id="waiver-without-resource"),
    pytest.param(waivers(waiver(reason=None)), f"{PROD_CONFIG}: {KV}.waivers[0].reason: expected a reason of at least a sentence (20 characters besides spaces, and 4 words), found nothing", id="waiver-without-reason"),
    pytest.param(waivers(waiver(reason="x")), f'{PROD_CONFIG}: {KV}.waivers[0].reason: expected a reason of at least a sentence (20 characters besides spaces, and 4 words), found "x"', id="waiver-reason-x"),
    pytest.param(waivers(waiver(reason="temporarily-accepted exception, see-ticket")), f"{PROD_CONFIG}: {KV}.waivers[0].reason: expected a reason", id="waiver-reason-three-words"),
    pytest.param(waivers(waiver(reason="ok per a b")), f"{PROD_CONFIG}: {KV}.waivers[0].reason: expected a reason", id="waiver-reason-short"),
    pytest.param(waivers(waiver(reason=42)), f"{PROD_CONFIG}: {KV}.waivers[0].reason: expected a reason of at least a sentence (20 characters besides spaces, and 4 words), found 42", id="waiver-reason-a-number"),
    pytest.param(waivers(waiver(resource="")), f'{PROD_CONFIG}: {KV}.waivers[0].resource: expected the logical name or URN of a resource, found ""', id="waiver-resource-empty"),
    pytest.param(waivers(waiver(ticket="OPS-12")), f"{PROD_CONFIG}: {KV}.waivers[0].ticket: expected one of the keys resource, reason, expires, found an unknown key", id="waiver-unknown-key"),
    pytest.param(waivers(waiver(expiry="2027-03-31")), f"{PROD_CONFIG}: {KV}.waivers[0].expiry: expected one of the keys resource, reason, expires, found an unknown key (did you mean expires?)", id="waiver-expiry-misspelled"),
    pytest.param(waivers("platform-kv"), f'{PROD_CONFIG}: {KV}.waivers[0]: expected a waiver: an object with "resource", "reason" and optionally "expires", found "platform-kv"', id="waiver-a-string"),
    pytest.param(waivers(waiver(expires="2027-02-30")), f'{PROD_CONFIG}: {KV}.waivers[0].expires: expected a date YYYY-MM-DD that exists in the calendar, found "2027-02-30"', id="expires-february-30"),
    pytest.param(waivers(waiver(expires="2027-13-01")), f"{PROD_CONFIG}: {KV}.waivers[0].expires: expected a date YYYY-MM-DD that exists in the calendar", id="expires-month-13"),
    pytest.param(waivers(waiver(expires="31/12/2027")), f'{PROD_CONFIG}: {KV}.waivers[0].expires: expected a date YYYY-MM-DD, found "31/12/2027"', id="expires-day-first"),
    pytest.param(waivers(waiver(expires="2027-12-31T00:00:00Z")), f"{PROD_CONFIG}: {KV}.waivers[0].expires: expected a date YYYY-MM-DD", id="expires-a-timestamp"),
    pytest.param(waivers(waiver(expires=20271231)), f"{PROD_CONFIG}: {KV}.waivers[0].expires: expected a date YYYY-MM-DD, found 20271231", id="expires-a-number"),
    pytest.param(waivers(waiver(), waiver()), f'{PROD_CONFIG}: {KV}.waivers[1].resource: expected each resource waived once per policy, found "platform-kv" again (also waivers[0])', id="waiver-twice"),
    pytest.param(json.dumps({QUOTA: {"quota": {"standardNCASv3_T4Family": -8}}}), f"{PROD_CONFIG}: {QUOTA}.quota.standardNCASv3_T4Family: expected a number >= 0, found -8", id="quota-negative"),
    pytest.param(json.dumps({VM_SIZES: {"allowedVmSizes": "Standard_DS3_v2"}}), f'{PROD_CONFIG}: {VM_SIZES}.allowedVmSizes: expected a list of VM size names, found "Standard_DS3_v2"', id="vm-sizes-not-a-list"),
    pytest.param('{\n  "all": "mandatory",\n}\n', f"{PROD_CONFIG}:3:1: not valid JSON: Expecting property name enclosed in double quotes", id="trailing-comma"),
    pytest.param('{"all": "mandatory"', f"{PROD_CONFIG}:1:20: not valid JSON", id="unclosed-object"),
    pytest.param('{\n  "all": "advisory",\n  "all": "mandatory"\n}\n', f"{PROD_CONFIG}:3:3: all: appears twice; expected each key once", id="duplicate-all"),
    pytest.param(f'{{"{KV}": {{"waivers": [{{"resource": "platform-kv", "reason": "{REASON}", "resource": "platform-st"}}]}}}}',
                 f"{KV}.waivers[0].resource: appears twice", id="duplicate-key-in-a-waiver"),
    pytest.param("", f"{PROD_CONFIG}: empty; expected a JSON object", id="empty-file"),
    pytest.param("  \n\n", f"{PROD_CONFIG}: empty; expected a JSON object", id="whitespace-only"),
    pytest.param('["mandatory"]', f'{PROD_CONFIG}: expected a JSON object of policy names (or "all") to enforcement levels or settings, found a list', id="a-list"),
    pytest.param('"mandatory"', f'{PROD_CONFIG}: expected a JSON object of policy names (or "all") to enforcement levels or settings, found "mandatory"', id="a-string"),
    pytest.param(json.dumps({"all": "disabled"}), f"{PROD_CONFIG}: every policy of the pack is disabled, so nothing would be checked", id="all-disabled"),
    pytest.param(json.dumps({"all": {"enforcementLevel": "disabled"}}), f"{PROD_CONFIG}: every policy of the pack is disabled", id="all-disabled-object"),
    pytest.param(waivers(waiver(expires="2027-04-01\n")), f'{PROD_CONFIG}: {KV}.waivers[0].expires: expected a date YYYY-MM-DD, found "2027-04-01\\n"', id="expires-with-a-newline"),
    pytest.param(waivers(waiver(reason="a b c d" + " " * 20)), f"{PROD_CONFIG}: {KV}.waivers[0].reason: expected a reason", id="waiver-reason-padded"),
    pytest.param(waivers(waiver(reason="\u00a0".join(["word"] * 4) + "longer-than-twenty")), f"{PROD_CONFIG}: {KV}.waivers[0].reason: expected a reason", id="waiver-reason-one-word-to-the-engine"),
    pytest.param('{"all": "mandatory", "%s": {"quota": {"standardNCASv3_T4Family": NaN}}}' % QUOTA, f"{PROD_CONFIG}: not valid JSON: NaN is not a JSON number", id="quota-nan"),
    pytest.param('{"all": ' + "1" * 5000 + "}", f"{PROD_CONFIG}: not readable", id="huge-integer"),
    pytest.param("[" * 100000 + "]" * 100000, f"{PROD_CONFIG}: nested too deeply to read", id="deep-nesting"),
    pytest.param(b'{"all": "mandatory", "x": "\xff"}', f"{PROD_CONFIG}: not UTF-8 text", id="not-utf-8"),
    pytest.param('\ufeff{"all": "mandatory"}', f"{PROD_CONFIG}:1:1: not valid JSON: Unexpected UTF-8 BOM", id="byte-order-mark"),
]


def write(path: Path, content: str | bytes) -> None:
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


@pytest.mark.e2e
@pytest.mark.parametrize(("content", "message"), BAD_CONFIGS)
def test_check_refuses_a_bad_pack_config_naming_file_and_key(project, content, message):
    write(project / PROD_CONFIG, content)
    before = tree_digest(project)
    result = blueprint("check", "prod", cwd=project)
    assert_refused(result, f"error: {PROD_CONFIG}", message)
    assert result.stdout == ""
    assert tree_digest(project) == before


def test_the_table_of_bad_configs_is_long_enough():
    assert len(BAD_CONFIGS) >= 25 and len({p.id for p in BAD_CONFIGS}) == len(BAD_CONFIGS)


#: The three mistakes the issue found, each checked in every report format.
MISTAKES = [
    pytest.param('{"all": "mandatroy"}', "all: expected one of", id="misspelled-level"),
    pytest.param(waivers(waiver(reason=None)), f"{KV}.waivers[0].reason: expected a reason", id="waiver-without-reason"),
    pytest.param(json.dumps({"all": "mandatory", KV + "s": "advisory"}), f"{KV}s: expected the name of a policy", id="unknown-policy"),
]


@pytest.mark.e2e
@pytest.mark.parametrize(("content", "message"), MISTAKES)
@pytest.mark.parametrize("options", [
    ["--format", "text"], ["--format", "json"], ["--format", "sarif"], ["--format", "junit"], ["--format", "markdown"],
    ["--output-dir", "reports"], ["--format", "sarif", "--output-dir", "reports"],
], ids=["text", "json", "sarif", "junit", "markdown", "output-dir", "sarif-to-output-dir"])
def test_check_writes_no_report_for_a_bad_pack_config(project, content, message, options):
    write(project / PROD_CONFIG, content)
    before = tree_digest(project)
    result = blueprint("check", "prod", *options, cwd=project)
    assert_refused(result, f"{PROD_CONFIG}: {message}")
    assert result.stdout == "" and not (project / "reports").exists()
    assert tree_digest(project) == before


@pytest.mark.e2e
def test_a_bad_config_of_another_environment_stops_check_before_any_preview(project):
    write(project / "policies/config/staging.json", '{"all": "Advisory"}')
    result = blueprint("check", "prod", cwd=project)
    assert_refused(result, 'policies/config/staging.json: all: expected one of advisory, mandatory, remediate, disabled, found "Advisory"')


@pytest.mark.e2e
@pytest.mark.parametrize(("content", "message"), [
    pytest.param('{"all": "mandatroy"}', 'all: expected one of advisory, mandatory, remediate, disabled, found "mandatroy"', id="bad-level"),
    pytest.param(waivers(waiver(reason="x")), f'{KV}.waivers[0].reason: expected a reason', id="short-reason"),
    pytest.param(None, "no such file", id="missing-file"),
])
def test_check_policy_pack_config_file_is_validated_the_same_way(project, content, message):
    given = project / "review.json"
    if content is not None:
        write(given, content)
    before = tree_digest(project)
    result = blueprint("check", "prod", "--policy-pack-config", "review.json", "--output-dir", "reports", cwd=project)
    assert_refused(result, f"error: review.json: {message}")
    assert tree_digest(project) == before


@pytest.mark.e2e
def test_check_applies_the_given_pack_config_instead_of_the_environments(project):
    write(project / "relaxed.json", json.dumps({"all": "advisory"}))
    result = blueprint("check", "dev", "--policy-pack-config", "relaxed.json", cwd=project)
    assert result.returncode == 0, result.stderr
    assert re.search(r"stack dev \(environment dev\): PASS - 0 mandatory, \d+ advisory", result.stdout)
    write(project / "strict.json", json.dumps({"all": "mandatory"}))
    result = blueprint("check", "dev", "--policy-pack-config", "strict.json", cwd=project)
    assert result.returncode == 1 and "stack dev (environment dev): FAIL" in result.stdout, result.stderr


@pytest.mark.e2e
def test_preview_refuses_a_bad_pack_config(project):
    write(project / "policies/config/dev.json", json.dumps({"all": "mandatory", ST_PUBLIC: "Advisory"}))
    before = tree_digest(project)
    result = blueprint("preview", "dev", cwd=project)
    assert_refused(result, f'error: policies/config/dev.json: {ST_PUBLIC}: expected one of advisory, mandatory, remediate, disabled, found "Advisory"')
    assert result.stdout == "" and tree_digest(project) == before
    missing = blueprint("preview", "dev", "--policy-pack-config", "absent.json", "--json", "plan.json", cwd=project)
    assert_refused(missing, "error: absent.json: no such file")
    assert missing.stdout == "" and tree_digest(project) == before
    useless = blueprint("preview", "dev", "--no-policies", "--policy-pack-config", "absent.json", cwd=project)
    assert_refused(useless, "--policy-pack-config: nothing to configure with --no-policies")


@pytest.mark.e2e
def test_the_catalog_refuses_a_bad_pack_config(project):
    """``blueprint policies`` shows each environment's enforcement: from a config it validated."""
    write(project / "policies/config/staging.json", json.dumps({"all": "mandatory", KV: "Advisory"}))
    result = blueprint("policies", cwd=project)
    assert_refused(result, f'error: policies/config/staging.json: {KV}: expected one of advisory, mandatory, remediate, disabled, found "Advisory"')
    assert result.stdout == ""


@pytest.mark.e2e
def test_fork_refuses_a_bad_pack_config_and_writes_nothing(project):
    write(project / PROD_CONFIG, waivers(waiver(reason="ok")))
    before = tree_digest(project)
    result = blueprint("fork", "prod", "fraud-prod", "--project", "fraud", cwd=project)
    assert_refused(result, f"error: {PROD_CONFIG}: {KV}.waivers[0].reason: expected a reason")
    assert result.stdout == "" and tree_digest(project) == before
    assert not (project / "stacks" / "Pulumi.fraud-prod.yaml").exists()


# --- Expired waivers and waivers for resources the plan does not have, end to end ----------------------------------


@pytest.mark.e2e
def test_an_expired_waiver_no_longer_exempts_and_the_report_says_so(project):
    expired = {"resource": "platform-st", "reason": "Vendor ingestion over the Internet during the pilot (SEC-123).",
               "expires": "2020-01-01"}
    write(project / "policies/config/dev.json", json.dumps({"all": "mandatory", ST_PUBLIC: {"waivers": [expired]}}))
    result = blueprint("check", "dev", "--format", "json", cwd=project)
    assert result.returncode == 1, result.stderr
    [finding] = [f for f in json.loads(result.stdout)["findings"] if f["policy"] == ST_PUBLIC]
    assert finding["blocking"] and finding["waived"] is None and finding["resource"].endswith("::platform-st")
    assert finding["message"].endswith(f"(waiver expired on 2020-01-01: {expired['reason']})")


@pytest.mark.e2e
def test_a_waiver_for_a_resource_not_in_the_plan_is_a_warning_in_every_report(project):
    current = {"resource": "platform-st", "reason": "Vendor ingestion over the Internet during the pilot (SEC-123).",
               "expires": "2999-12-31"}
    stale = {"resource": "platform-kv-old", "reason": "The old vault, reached by the batch jobs until they move."}
    config = json.loads((project / "policies/config/dev.json").read_text())  # the shipped one, plus two waivers
    config[ST_PUBLIC] = {"enforcementLevel": config[ST_PUBLIC], "waivers": [current]}
    config[KV] = {"waivers": [stale]}
    write(project / "policies/config/dev.json", json.dumps(config))
    warning = (f'policies/config/dev.json: {KV}.waivers[0]: waives "platform-kv-old", which is not in the plan of '
               "stack dev; it exempts nothing")
    result = blueprint("check", "dev", "--output-dir", "reports", cwd=project)
    assert result.returncode == 0, result.stderr
    out = project / "reports"
    assert f"  warning: {warning}" in (out / "check.txt").read_text()
    assert "PASS" in (out / "check.txt").read_text() and f"waiver: {current['reason']} (expires on 2999-12-31)" in result.stdout
    assert any(w.startswith(warning) for w in json.loads((out / "check.json").read_text())["stacks"][0]["warnings"])
    sarif = json.loads((out / "check.sarif").read_text())["runs"][0]
    [notification] = sarif["invocations"][0]["toolConfigurationNotifications"]
    assert notification["level"] == "warning" and notification["message"]["text"].startswith(warning)
    assert warning in (out / "check.junit.xml").read_text()
    assert f"- **Warning:** {warning}" in (out / "compliance.md").read_text()

    preview = blueprint("preview", "dev", cwd=project)
    assert preview.returncode == 0, preview.stderr
    assert f"    warning: {warning}" in preview.stdout


def test_sarif_with_a_warning_stays_valid():
    from tests.test_reports import assert_valid_sarif
    from blueprint.tools.reports import CheckedStack

    document = render_sarif([], {}, stacks=[CheckedStack("dev", "dev", 3, warnings=("config/dev.json: a warning",))])
    assert_valid_sarif(document)
    assert document["runs"][0]["invocations"][0]["toolConfigurationNotifications"][0]["message"]["text"] == "config/dev.json: a warning"


def test_load_pack_config_names_the_file_relative_to_the_working_directory(monkeypatch, tmp_path):
    bad = tmp_path / "config" / "prod.json"
    bad.parent.mkdir()
    write(bad, '{"all": "Mandatory"}')
    monkeypatch.chdir(tmp_path)
    from blueprint.tools.errors import UsageError

    with pytest.raises(UsageError, match=r'^config/prod\.json: all: expected one of'):
        load_pack_config(PACK, None, POLICIES, path=bad)
