"""Private link targets of a workspace's managed network: what a private endpoint outbound rule may point at.

A private endpoint outbound rule names an Azure resource by its ARM ID and one of its private link sub-resources
(group IDs). A rule with a malformed ID, or with a sub-resource the resource type does not have, is accepted by
``pulumi up`` and fails only when Azure ML provisions the managed network, minutes later and without naming the
stack's key; config validation refuses both up front with the catalog here.

Sources: the resource types the managed network supports are Microsoft's list "Private endpoints" in
https://learn.microsoft.com/azure/machine-learning/how-to-managed-network#private-endpoints (Azure ML, Azure ML
registries, Storage (all sub-resources), Container Registry, Key Vault, Azure AI services, Azure AI Search, SQL
Server, Data Factory, Cosmos DB (all sub-resources), Event Hubs, Redis Cache, Databricks, MariaDB, PostgreSQL single
and flexible server, MySQL, API Management); each type's sub-resources are the "Private-link resource" table of
https://learn.microsoft.com/azure/private-link/private-endpoint-overview#private-link-resource.

Standard library only: config validation, components and tests import it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
#: Resource group names: 1-90 letters, digits, underscores, hyphens, periods and parentheses, not ending in a period.
_GROUP = r"[-\w.()]{0,89}[-\w()]"
_NAMESPACE = r"[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)+"
_SEGMENT = r"[^/\s]+"

#: A top-level Azure resource: ``/subscriptions/<guid>/resourceGroups/<group>/providers/<Namespace>/<type>/<name>``.
#: ARM compares IDs ignoring case; the JSON Schema pattern (ECMA-262, no flags) takes the casings tools print.
RESOURCE_ID_PATTERN = rf"^/[Ss]ubscriptions/{_GUID}/[Rr]esource[Gg]roups/{_GROUP}/[Pp]roviders/{_NAMESPACE}/{_SEGMENT}/{_SEGMENT}$"
RESOURCE_ID_EXAMPLE = "/subscriptions/<subscription GUID>/resourceGroups/<group>/providers/Microsoft.Storage/storageAccounts/<name>"
_RESOURCE_ID = re.compile(
    rf"^/subscriptions/(?P<subscription>{_GUID})/resourceGroups/(?P<group>{_GROUP})/providers/"
    rf"(?P<namespace>{_NAMESPACE})/(?P<type>{_SEGMENT})/(?P<name>{_SEGMENT})$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ResourceId:
    """The parts of a top-level ARM resource ID."""

    subscription: str
    resource_group: str
    resource_type: str
    """``Namespace/type`` as written, e.g. ``Microsoft.Storage/storageAccounts``."""
    name: str


def parse_resource_id(value: str) -> ResourceId | None:
    """The parts of ``value``, or ``None`` when it is not the ID of a top-level resource in a resource group."""
    match = _RESOURCE_ID.match(value)
    if match is None:
        return None
    return ResourceId(match["subscription"], match["group"], f"{match['namespace']}/{match['type']}", match["name"])


#: Resource type (lowercase, as ARM compares them) -> (how Microsoft names it, its private link sub-resources).
MANAGED_NETWORK_TARGETS: Mapping[str, tuple[str, tuple[str, ...]]] = MappingProxyType({
    "microsoft.machinelearningservices/workspaces": ("Azure Machine Learning workspace", ("amlworkspace",)),
    "microsoft.machinelearningservices/registries": ("Azure Machine Learning registry", ("amlregistry",)),
    "microsoft.storage/storageaccounts": ("Azure Storage", (
        "blob", "blob_secondary", "table", "table_secondary", "queue", "queue_secondary",
        "file", "file_secondary", "web", "web_secondary", "dfs", "dfs_secondary",
    )),
    "microsoft.containerregistry/registries": ("Azure Container Registry", ("registry",)),
    "microsoft.keyvault/vaults": ("Azure Key Vault", ("vault",)),
    "microsoft.cognitiveservices/accounts": ("Azure AI services", ("account",)),
    "microsoft.search/searchservices": ("Azure AI Search", ("searchService",)),
    "microsoft.sql/servers": ("Azure SQL Server", ("sqlServer",)),
    "microsoft.datafactory/factories": ("Azure Data Factory", ("dataFactory",)),
    "microsoft.documentdb/databaseaccounts": ("Azure Cosmos DB", ("Sql", "MongoDB", "Cassandra", "Gremlin", "Table")),
    "microsoft.eventhub/namespaces": ("Azure Event Hubs", ("namespace",)),
    "microsoft.cache/redis": ("Azure Cache for Redis", ("redisCache",)),
    "microsoft.databricks/workspaces": ("Azure Databricks", ("databricks_ui_api", "browser_authentication")),
    "microsoft.dbformariadb/servers": ("Azure Database for MariaDB", ("mariadbServer",)),
    "microsoft.dbforpostgresql/servers": ("Azure Database for PostgreSQL single server", ("postgresqlServer",)),
    "microsoft.dbforpostgresql/flexibleservers": ("Azure Database for PostgreSQL flexible server", ("postgresqlServer",)),
    "microsoft.dbformysql/servers": ("Azure Database for MySQL", ("mysqlServer",)),
    "microsoft.dbformysql/flexibleservers": ("Azure Database for MySQL flexible server", ("mysqlServer",)),
    "microsoft.apimanagement/service": ("Azure API Management", ("Gateway",)),
})


def subresources_of(resource_type: str) -> tuple[str, tuple[str, ...]] | None:
    """``(service, sub-resources)`` of a resource type the managed network supports, or ``None`` for a type the
    catalog does not know (its sub-resource is then taken as written: Azure's list grows)."""
    return MANAGED_NETWORK_TARGETS.get(resource_type.lower())


def subresource_problem(resource_id: str, subresource: str) -> str | None:
    """What is wrong with pointing a private endpoint at ``subresource`` of ``resource_id`` (``None``: nothing the
    catalog knows of). Sub-resources compare case-insensitively, as ARM compares group IDs."""
    parsed = parse_resource_id(resource_id)
    if parsed is None:
        return None
    known = subresources_of(parsed.resource_type)
    if known is None:
        return None
    service, groups = known
    if subresource.lower() in {group.lower() for group in groups}:
        return None
    return f"a sub-resource of {service} ({parsed.resource_type}): {', '.join(groups)}"
