"""Azure ML asset references, read from the strings plans, templates and workflows carry.

One asset is a kind (models, environments, components, data), a name and where it lives: a registry by name, or the
workspace the consumer runs in (``registry`` None). Versions are left out on purpose: the wiring check asks whether
anything publishes the asset at all, which no version number can answer offline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("models", "environments", "components", "data")
#: The kind a template key names when its value is a short ``azureml:<name>...`` reference.
KIND_OF_KEY = {"model": "models", "environment": "environments", "component": "components", "path": "data"}
#: Datastores every workspace has: paths in them are data, not assets anything must publish.
BUILT_IN_DATASTORES = frozenset({"workspaceblobstore", "workspacefilestore", "workspaceartifactstore", "workspaceworkingdirectory"})

_REGISTRY = re.compile(rf"^azureml://registries/(?P<registry>[^/]+)/(?P<kind>{'|'.join(KINDS)})/(?P<name>[^/]+)/(versions|labels)/[^/]+$")
_RESOURCE_ID = re.compile(
    rf"^(azureml:)?/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.MachineLearningServices/"
    rf"(workspaces|registries)/(?P<scope>[^/]+)/(?P<kind>{'|'.join(KINDS)})/(?P<name>[^/]+)/versions/[^/]+$",
    re.IGNORECASE,
)
_SHORT = re.compile(r"^azureml:(?P<name>[A-Za-z0-9][A-Za-z0-9_.\-]*)(:[A-Za-z0-9_.\-]+|@[A-Za-z0-9_.\-]+)?$")
_DATASTORE = re.compile(r"^azureml://datastores/(?P<datastore>[^/]+)/paths/")


@dataclass(frozen=True, order=True)
class Asset:
    """What a reference points at, or what a publisher makes."""

    kind: str
    name: str
    registry: str | None = None
    """The registry holding it; None for the workspace the consumer runs in."""

    def __str__(self) -> str:
        where = f"registry {self.registry}" if self.registry else "the workspace"
        return f"{self.kind[:-1] if self.kind != 'data' else 'data'} {self.name} in {where}"


def parse_reference(value: str, key: str | None = None) -> Asset | None:
    """The asset a string names, or None when it names none (a local path, a datastore folder, plain text).
    ``key`` gives the kind of a short ``azureml:<name>`` reference (``environment:``, ``model:``...)."""
    if match := _REGISTRY.match(value):
        return Asset(match["kind"], match["name"], match["registry"])
    if match := _RESOURCE_ID.match(value):
        registry = match["scope"] if "/registries/" in value.lower() else None
        return Asset(match["kind"], match["name"], registry)
    if (match := _SHORT.match(value)) and key in KIND_OF_KEY:
        return Asset(KIND_OF_KEY[key], match["name"])
    return None


def custom_datastore(value: str) -> str | None:
    """The datastore a ``azureml://datastores/<name>/paths/...`` folder lives in, when it is not one every workspace has."""
    match = _DATASTORE.match(value)
    if match and match["datastore"] not in BUILT_IN_DATASTORES:
        return match["datastore"]
    return None


def registry_uri(registry: str, kind: str, name: str, version: str) -> str:
    """``azureml://registries/<registry>/<kind>/<name>/versions/<version>``: how jobs name a registry asset."""
    return f"azureml://registries/{registry}/{kind}/{name}/versions/{version}"
