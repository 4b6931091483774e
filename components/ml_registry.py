"""``MlRegistry``: the organisation's Azure ML registry, shared by every environment.

Curated environments are published here once and used by every workspace; models are promoted dev -> staging ->
prod by copying them between registry and workspaces rather than retraining. Public network access is off;
workspaces reach it through private endpoints (group ``amlregistry``) or their managed networks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import machinelearningservices as ml
from pulumi_azure_native import authorization, resources

from components.naming import NamingArgs, ResourceKind, namer_for
from components.regions import normalize_location
from components.tags import required_tags


class MlRegistryArgs(TypedDict):
    """Arguments of :class:`MlRegistry`."""

    location: str
    """Primary region of the registry."""
    naming: NamingArgs
    """How physical names are derived."""
    tags: dict[str, str]
    """Tags for every taggable resource; must hold the required tags."""
    replication_regions: NotRequired[Sequence[str]]
    """Further regions the registry replicates assets to (the primary is always included)."""
    zone_redundant: NotRequired[bool]
    """Zone-redundant storage for the registry's assets."""
    protect_data: NotRequired[bool]
    """Protect the registry (and its resource group) from deletion."""


class MlRegistry(pulumi.ComponentResource):
    """An Azure ML registry with public network access disabled, in its own resource group."""

    resource_group_name: pulumi.Output[str]
    resource_group_id: pulumi.Output[str]
    registry_name: pulumi.Output[str]
    registry_id: pulumi.Output[str]
    discovery_url: pulumi.Output[str]

    def __init__(self, name: str, args: MlRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplatform:index:MlRegistry", name, None, opts)
        location = normalize_location(args["location"])
        namer = namer_for(args["naming"], location)
        tags = required_tags(args["tags"])
        protect = args.get("protect_data", False)
        regions = [location, *[normalize_location(r) for r in args.get("replication_regions", []) if normalize_location(r) != location]]
        storage_type = "Standard_ZRS" if args.get("zone_redundant", False) else "Standard_LRS"

        group = resources.ResourceGroup(
            f"{name}-rg",
            resource_group_name=namer.name(ResourceKind.RESOURCE_GROUP, "registry"),
            location=location,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        registry = ml.Registry(
            f"{name}-mlr",
            registry_name=namer.name(ResourceKind.ML_REGISTRY),
            resource_group_name=group.name,
            location=location,
            identity=ml.ManagedServiceIdentityArgs(type="SystemAssigned"),
            public_network_access="Disabled",
            region_details=[
                ml.RegistryRegionArmDetailsArgs(
                    location=region,
                    storage_account_details=[
                        ml.StorageAccountDetailsArgs(
                            system_created_storage_account=ml.SystemCreatedStorageAccountArgs(
                                storage_account_type=storage_type,
                                storage_account_hns_enabled=False,
                                allow_blob_public_access=False,
                            )
                        )
                    ],
                    acr_details=[
                        ml.AcrDetailsArgs(system_created_acr_account=ml.SystemCreatedAcrAccountArgs(acr_account_sku="Premium"))
                    ],
                )
                for region in regions
            ],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )

        if protect:
            # `protect` guards against Pulumi; the lock guards against everyone else.
            authorization.ManagementLockAtResourceGroupLevel(
                f"{name}-lock",
                lock_name=namer.name(ResourceKind.MANAGEMENT_LOCK, "registry"),
                resource_group_name=group.name,
                level="CanNotDelete",
                notes="Protects the organisation's Azure ML registry (environments, models). Remove deliberately, through code review.",
                opts=pulumi.ResourceOptions(parent=self, depends_on=[registry]),
            )

        self.resource_group_name = group.name
        self.resource_group_id = group.id
        self.registry_name = registry.name
        self.registry_id = registry.id
        self.discovery_url = registry.discovery_url.apply(lambda url: url or "")
        self.register_outputs({"registry_name": self.registry_name, "registry_id": self.registry_id, "resource_group_id": self.resource_group_id})
