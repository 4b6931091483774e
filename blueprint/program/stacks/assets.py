"""References to assets in the shared registry, written short in stack files (``registry:<name>:<version>``).

The registry's physical name comes from the shared stack, so a stack file cannot spell the full
``azureml://registries/<registry>/...`` reference; it names the asset and the program completes it.
"""

from __future__ import annotations

import pulumi

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
