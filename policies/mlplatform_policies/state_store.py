"""The Pulumi state store: what a compliance reviewer expects of the storage that holds every stack's state.

Versioning, blob and container soft delete, protection and the lock are checked for every data-bearing stack by the
storage and governance policies; this module adds what only the state store needs: a point-in-time restore window,
so one operation brings the whole container back to a consistent moment.

The state store is recognised by the stack's ``environment`` tag (``bootstrap``), read from the resources' outputs
as the governance policies do; ``BlobServiceProperties`` carries no tags itself. Azure's rules come from the Azure
Storage documentation, "Point-in-time restore for block blobs": change feed, versioning and blob soft delete on,
and a restore window shorter than the soft-delete retention.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity, StackValidationArgs

from mlplatform_policies.base import Controls, environments, is_number, read, shown, stack_policy

BLOB_SERVICE = "azure-native:storage:BlobServiceProperties"
#: Stacks (by their ``environment`` tag) whose storage holds Pulumi state: the bootstrap stack's state backend.
STATE_STORE_ENVIRONMENTS = ("bootstrap",)


def restore_problems(props: Mapping[str, Any]) -> list[str]:
    """Why a blob service cannot be restored to a point in time (empty when it can)."""
    problems = []
    for path in ("changeFeed.enabled", "restorePolicy.enabled"):
        if read(props, path, unknown=None) is not True:
            problems.append(f"{path} is {shown(read(props, path, unknown=None))}")
    days, kept = read(props, "restorePolicy.days", unknown=None), read(props, "deleteRetentionPolicy.days", unknown=None)
    if not is_number(days) or days < 1:
        problems.append(f"restorePolicy.days is {shown(days)}")
    elif is_number(kept) and days >= kept:
        problems.append(f"restorePolicy.days ({shown(days)}) is not less than deleteRetentionPolicy.days ({shown(kept)})")
    return problems


def _state_store_restorable(args: StackValidationArgs) -> Iterable[tuple[str | None, str]]:
    resources = list(args.resources)
    if next(environments(resources), None) not in STATE_STORE_ENVIRONMENTS:
        return
    for service in (r for r in resources if r.resource_type == BLOB_SERVICE):
        problems = restore_problems(service.props)
        if problems:
            yield service.urn, (
                f"Pulumi state store {service.name} cannot be restored to a point in time: {'; '.join(problems)}; "
                "expected changeFeed.enabled true and restorePolicy {enabled: true, days: at least 1 and less than "
                "deleteRetentionPolicy.days}."
            )


POLICIES: list = [
    stack_policy(
        name="azure-native-storage-state-store-point-in-time-restore",
        description="The storage that holds Pulumi state (the bootstrap stack) can be restored to a point in time.",
        rationale=(
            "Every stack's state lives in one container: a bad `pulumi state` edit, a corrupting bug or a script that "
            "overwrites checkpoints damages all of them at once. Versioning and soft delete keep the old bytes; "
            "point-in-time restore brings the whole container back to one consistent moment in a single operation."
        ),
        checks=(
            "In a stack whose resources carry the tag environment bootstrap, every BlobServiceProperties sets "
            "changeFeed.enabled and restorePolicy.enabled to true, with restorePolicy.days at least 1 and less than "
            "deleteRetentionPolicy.days (Azure's own rule)."
        ),
        severity=Severity.HIGH,
        check=_state_store_restorable,
        controls=Controls(mcsb=("BR-1",)),
        remediation=(
            "Keep the change feed and restore policy that components/state_backend.py (StateBackend) sets; choose the "
            "window with `stateBackend.restoreDays` (default softDeleteDays - 1) and `stateBackend.softDeleteDays` in "
            "stacks/Pulumi.bootstrap.yaml."
        ),
        url="https://learn.microsoft.com/azure/storage/blobs/point-in-time-restore-overview",
    ),
]
