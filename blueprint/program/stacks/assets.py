"""References to assets in the shared registry, written short in stack files (``registry:<name>:<version>``).

The registry's physical name comes from the shared stack, so a stack file cannot spell the full
``azureml://registries/<registry>/...`` reference; it names the asset and the program completes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from blueprint.program.config.errors import ConfigIssue, describe
from blueprint.program.config.rules import key_path

REGISTRY_PREFIX = "registry:"


def uses_registry(reference: str) -> bool:
    return reference.startswith(REGISTRY_PREFIX)


def registry_asset(reference: str, kind: str, registry_name: pulumi.Input[str] | None) -> pulumi.Input[str]:
    """``registry:fraud-classifier:1`` -> ``azureml://registries/<registry>/models/fraud-classifier/versions/1``;
    ``registry:training_pipeline@latest`` -> ``.../components/training_pipeline/labels/latest``. Full references
    pass through. ``kind`` is the registry's collection: ``models`` or ``components``."""
    if not uses_registry(reference):
        return reference
    if registry_name is None:
        raise ValueError(f"{reference!r} names an asset of the shared registry, but the stack has no sharedStack")
    asset = reference[len(REGISTRY_PREFIX):]
    if asset.endswith("@latest"):
        path = f"/{kind}/{asset[: -len('@latest')]}/labels/latest"
    else:
        name, _, version = asset.partition(":")
        path = f"/{kind}/{name}/versions/{version}"
    return pulumi.Output.concat("azureml://registries/", registry_name, path)


def registry_reference_issues(project: str, values: Mapping[str, Any]) -> list[ConfigIssue]:
    """Short registry references (models of deployments and batch endpoints, the retraining pipeline) need a
    ``sharedStack`` whose registry completes them."""
    if "sharedStack" in values:
        return []
    references = [
        (["endpoints", e, "deployments", d, "model"], deployment["model"])
        for e, endpoint in enumerate(values.get("endpoints", []))
        for d, deployment in enumerate(endpoint["deployments"])
    ] + [(["batchEndpoints", b, "model"], batch["model"]) for b, batch in enumerate(values.get("batchEndpoints", []))]
    if "retraining" in values:
        references.append((["retraining", "pipelineComponent"], values["retraining"]["pipelineComponent"]))
    return [
        ConfigIssue(key_path(project, path), "a full azureml: reference, or a sharedStack whose registry holds the asset", describe(reference))
        for path, reference in references
        if uses_registry(reference)
    ]
