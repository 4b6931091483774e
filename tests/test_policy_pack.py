"""The policy pack as the engine loads it, as the preview evaluates it, and against a deliberately insecure program."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time

import pytest

from blueprint.tools.policy_check import evaluate, load_pack_config, load_policies
from tests.conftest import REPO, SHIPPED_STACKS, preview_stack
from tests.test_cli import blueprint

PACK = REPO / "policies"
INSECURE = REPO / "tests" / "fixtures" / "insecure_program"
USER_GRANT = REPO / "tests" / "fixtures" / "user_grant_program"


def test_the_pack_serves_its_port_like_the_real_cli_loads_it():
    """`python policies/__main__.py` is what the Pulumi CLI runs: it prints the analyzer's port and serves."""
    process = subprocess.Popen([sys.executable, "__main__.py"], cwd=PACK, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline and not line:
            ready, _, _ = select.select([process.stdout], [], [], 1.0)
            if ready:
                line = process.stdout.readline().strip()
            assert process.poll() is None, process.stderr.read()
        assert re.fullmatch(r"\d{2,5}", line), f"expected a port on stdout, got {line!r}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_the_pack_has_at_least_35_documented_policies():
    policies = load_policies(PACK)
    assert len(policies) >= 35
    assert len({p.name for p in policies}) == len(policies)
    assert all(p.severity and p.remediation_steps and p.url and p.framework for p in policies)


@pytest.mark.parametrize("stack", [*SHIPPED_STACKS, "shared", "bootstrap"])
def test_shipped_stacks_have_no_mandatory_violation(stack):
    plan = preview_stack(stack)
    findings = evaluate(plan, load_policies(PACK), load_pack_config(PACK, plan.outputs["environment"]))
    assert [f for f in findings if f.blocking] == []
    if stack in ("prod", "shared"):
        assert findings == []
    if stack == "bootstrap":  # advisory only, each for a documented reason (docs/state-backend.md)
        assert {f.policy for f in findings} == {
            "azure-native-storage-storageaccount-disallow-public-network-access",
            "azure-native-keyvault-vault-disallow-public-network-access",
            "azure-native-keyvault-key-require-rotation-policy",
        }


def test_pack_configs_match_what_the_catalog_says_is_relaxed():
    from mlplatform_policies import CATALOG

    for environment in ("dev", "test", "staging", "prod", "shared", "bootstrap"):
        config = json.loads((PACK / "config" / f"{environment}.json").read_text())
        relaxed = {name for name, doc in CATALOG.items() if environment in doc.relaxed_in}
        assert {k for k, v in config.items() if v == "advisory"} == relaxed, environment


def test_the_insecure_program_is_reported_with_every_violation_and_check_fails():
    result = blueprint("check", "prod", "--program", str(INSECURE), "--policy-pack", str(PACK), "--format", "json")
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    blocking = {(f["policy"], f["urn"].split("::")[-1] if f["urn"] else None) for f in findings if f["enforcement"] == "mandatory"}
    expected = {
        ("azure-native-machinelearningservices-workspace-disallow-public-network-access", "mlw"),
        ("azure-native-keyvault-vault-enable-purge-protection", "kv"),
        ("azure-native-machinelearningservices-compute-require-scale-to-zero", "gpu"),
        ("azure-native-machinelearningservices-compute-disallow-node-public-ip", "gpu"),
        ("azure-native-machinelearningservices-onlineendpoint-require-entra-auth", "endpoint"),
        ("azure-native-machinelearningservices-onlineendpoint-disallow-public-network-access", "endpoint"),
        ("azure-native-authorization-role-assignment-group-or-workload", "owner-to-a-user"),
        ("azure-native-authorization-role-assignment-no-privileged-subscription-scope", "owner-to-a-user"),
        ("azure-native-storage-storageaccount-disallow-shared-key", "st"),
        ("azure-native-containerregistry-registry-disable-admin-user", "cr"),
    }
    assert expected <= blocking
    assert any(f["policy"] == "azuread-conditional-access-policy-covers-role-groups" for f in findings)  # no MFA policy


def test_preview_exits_1_on_a_mandatory_violation_and_prints_it():
    result = blueprint("preview", "prod", "--program", str(INSECURE), "--policy-pack", str(PACK))
    assert result.returncode == 1
    assert "Policies (" in result.stdout and "[mandatory] azure-native-keyvault-vault-enable-purge-protection" in result.stdout
    assert "mandatory policy violations" in result.stderr


# --- A role given straight to a user: MFA is required of the user, whatever the principal-type policy says ---

USER_MFA_MESSAGE = (
    "Entra user 44444444-5555-4666-8777-888888888888 (not created by this stack) holds role assignments "
    "(reader-to-a-user) but no enabled Conditional Access policy requiring MFA for the Windows Azure Service Management "
    "API includes it; expected the user's object ID in conditions.users.includedUsers (and not in excludedUsers) of "
    "such a policy, or includedUsers ['All']"
)


def check_user_grant(pack) -> tuple[subprocess.CompletedProcess[str], dict[str, dict]]:
    """``blueprint check prod`` on the user-grant program with ``pack``; its findings by policy."""
    result = blueprint("check", "prod", "--program", str(USER_GRANT), "--policy-pack", str(pack), "--format", "json")
    findings = {f["policy"]: f for f in json.loads(result.stdout)["findings"]}
    return result, findings


def test_a_user_holding_a_role_without_an_mfa_policy_is_a_mandatory_finding_in_prod():
    result, findings = check_user_grant(PACK)
    assert result.returncode == 1, result.stderr
    mfa = findings["azuread-conditional-access-policy-covers-role-groups"]
    assert (mfa["message"], mfa["enforcement"], mfa["waived"]) == (USER_MFA_MESSAGE, "mandatory", None)
    assert mfa["urn"].endswith("azure-native:authorization:RoleAssignment::reader-to-a-user")


def test_waiving_the_direct_user_grant_does_not_waive_mfa(tmp_path):
    pack = tmp_path / "policies"
    shutil.copytree(PACK, pack, ignore=shutil.ignore_patterns("__pycache__"))
    reason = "Vendor auditor with a personal read grant until 2027-03; ticket SEC-321."
    config = json.loads((PACK / "config" / "prod.json").read_text())
    config["azure-native-authorization-role-assignment-group-or-workload"] = {
        "waivers": [{"resource": "reader-to-a-user", "reason": reason}]
    }
    (pack / "config" / "prod.json").write_text(json.dumps(config))
    result, findings = check_user_grant(pack)
    assert result.returncode == 1, result.stderr
    assert findings["azure-native-authorization-role-assignment-group-or-workload"]["waived"] == reason
    mfa = findings["azuread-conditional-access-policy-covers-role-groups"]
    assert (mfa["message"], mfa["enforcement"], mfa["waived"]) == (USER_MFA_MESSAGE, "mandatory", None)
    assert "1 mandatory policy violation" in result.stderr
