"""Batch scoring: batch endpoints that score a model offline on one of the stack's clusters (``batchEndpoints``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from blueprint.program.config.errors import ConfigIssue, describe
from blueprint.program.config.rules import key_path
from blueprint.program.features.serving import MODEL_REFERENCE
from blueprint.program.settings import setting
from blueprint.program.stacks.assets import registry_asset
from components.batch_scoring import BatchScoring

CLUSTER_REFERENCE = {"type": "string", "x-expected": "the name of one of this stack's clusters"}


@dataclass(frozen=True, kw_only=True)
class BatchEndpointSettings:
    """A batch endpoint scoring a model on one of the stack's clusters."""

    name: str = setting("name", pattern="^[a-z][a-z0-9-]{1,14}[a-z0-9]$", x_expected="3-16 lowercase letters, digits or hyphens, starting with a letter")
    model: str = setting("model", override=MODEL_REFERENCE)
    cluster: str = setting("cluster", override=CLUSTER_REFERENCE)
    mini_batch_size: int = setting("miniBatchSize", "Files (or rows) each scoring run takes at once.", default=10, minimum=1, maximum=1000)


BATCH_ENDPOINTS_DOC = "Batch endpoints for offline scoring, on a compute cluster that scales to zero."


def batch_issues(project: str, values: Mapping[str, Any]) -> list[ConfigIssue]:
    """Each batch endpoint runs on a cluster the stack has."""
    clusters = {c["name"] for c in values.get("clusters", [])}
    return [
        ConfigIssue(key_path(project, ["batchEndpoints", index, "cluster"]), f"one of this stack's clusters ({', '.join(sorted(clusters))})", describe(batch["cluster"]))
        for index, batch in enumerate(values.get("batchEndpoints", []))
        if batch["cluster"] not in clusters
    ]


def create_batch_endpoints(
    batch_endpoints: Sequence[BatchEndpointSettings],
    *,
    workspace_name: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    location: str,
    naming: Mapping[str, str],
    tags: Mapping[str, str],
    cluster_ids: Mapping[str, pulumi.Input[str]],
    registry_name: pulumi.Input[str] | None,
) -> list[BatchScoring]:
    """A batch endpoint per setting, on its cluster."""
    return [
        BatchScoring(
            f"batch-{batch.name}",
            {
                "workspace_name": workspace_name,
                "resource_group_name": resource_group_name,
                "location": location,
                "naming": dict(naming),
                "qualifier": batch.name,
                "tags": dict(tags),
                "model": registry_asset(batch.model, "models", registry_name),
                "compute_id": cluster_ids[batch.cluster],
                "mini_batch_size": batch.mini_batch_size,
            },
        )
        for batch in batch_endpoints
    ]
