"""The Pulumi state store policy: point-in-time restore of the storage that holds every stack's state, on the
bootstrap plan (compliant) and on mutated copies of it (violating), and nowhere but in the bootstrap stack."""

from __future__ import annotations

import pytest

from tests.conftest import preview_stack
from tests.policy_harness import DROP, StackResource, changed, plan_stack_resources, plan_violations, run_stack_policy

from mlplatform_policies import state_store  # noqa: E402 - the harness puts the pack on sys.path
from mlplatform_policies.base import CATALOG  # noqa: E402

POLICY = state_store.POLICIES[0]
BLOB_SERVICE = state_store.BLOB_SERVICE


def resources(**edits) -> list[StackResource]:
    """The bootstrap plan as stack policies see it, with the blob service's outputs edited."""
    found = plan_stack_resources(preview_stack("bootstrap"))
    for resource in found:
        if resource.type == BLOB_SERVICE:
            resource.props = changed(resource.props, **edits)
    return found


def messages(found: list[StackResource]) -> list[str]:
    return [message for _, message in run_stack_policy(POLICY, found)]


def test_bootstrap_plan_is_restorable():
    assert messages(resources()) == []
    assert plan_violations(preview_stack("bootstrap"), state_store.POLICIES) == {}


@pytest.mark.parametrize(
    ("edits", "problem"),
    [
        ({"restorePolicy": DROP}, "restorePolicy.enabled is not set; restorePolicy.days is not set"),
        ({"restorePolicy__enabled": False}, "restorePolicy.enabled is false"),
        ({"changeFeed__enabled": False}, "changeFeed.enabled is false"),
        ({"restorePolicy__days": 30.0}, "restorePolicy.days (30) is not less than deleteRetentionPolicy.days (30)"),
        ({"restorePolicy__days": 0.0}, "restorePolicy.days is 0"),
    ],
)
def test_a_state_store_that_cannot_be_restored_is_reported(edits, problem):
    assert messages(resources(**edits)) == [
        f"Pulumi state store state-blob cannot be restored to a point in time: {problem}; expected changeFeed.enabled "
        "true and restorePolicy {enabled: true, days: at least 1 and less than deleteRetentionPolicy.days}."
    ]


def test_only_the_bootstrap_stack_is_a_state_store():
    """Environment stacks keep versioning and soft delete (storage policies) without a restore window."""
    prod = plan_stack_resources(preview_stack("prod"))
    assert [r for r in prod if r.type == BLOB_SERVICE] and messages(prod) == []


def test_waiver_names_the_blob_service():
    reason = "Restore window moved to a backup vault policy, ticket OPS-7."
    found = run_stack_policy(POLICY, resources(restorePolicy=DROP), config={"waivers": [{"resource": "state-blob", "reason": reason}]})
    assert found == []


def test_catalog_entry():
    doc = CATALOG[POLICY.name]
    assert doc.kind == "stack" and doc.relaxed_in == () and doc.controls.mcsb == ("BR-1",)
    assert "bootstrap" in doc.checks and doc.url.startswith("https://learn.microsoft.com/")
