"""The platform's governance policies, importable without starting the policy pack (tests, the offline preview,
the catalog). ``POLICIES`` is what ``policies/__main__.py`` serves to the Pulumi engine."""

from __future__ import annotations

from mlplatform_policies import (  # noqa: F401 - each module registers its policies in CATALOG
    container_registry,
    encryption,
    governance,
    identity,
    keyvault,
    ml,
    monitoring,
    network,
    serving,
    state_store,
    storage,
)
from mlplatform_policies.base import CATALOG

PACK_NAME = "mlplatform-governance"

POLICIES = [
    *ml.POLICIES,
    *serving.POLICIES,
    *keyvault.POLICIES,
    *storage.POLICIES,
    *state_store.POLICIES,
    *container_registry.POLICIES,
    *encryption.POLICIES,
    *monitoring.POLICIES,
    *network.POLICIES,
    *identity.POLICIES,
    *governance.POLICIES,
]

__all__ = ["CATALOG", "PACK_NAME", "POLICIES"]
