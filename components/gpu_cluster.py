"""``GpuCluster``: an autoscaling Azure ML compute cluster (AmlCompute) that costs nothing when idle.

The VM size is checked against the catalog shipped in ``components/data/vm_sizes.json`` before anything is
planned, so a typo fails in seconds rather than late in a deployment. The secure values are set explicitly:
the SDK would otherwise send ``enableNodePublicIp: true``.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import machinelearningservices as ml

from components import vm_sizes
from components.naming import ResourceKind, validate_name
from components.options import ClusterTier
from components.role_assignments import RoleAssignments, identity_assignments
from components.roles import COMPUTE_IDENTITY_ROLES, Scope

#: Upper bound on maxNodes: larger clusters need a deliberate quota conversation, not a config typo.
MAX_NODES_LIMIT = 100
#: Idle time before a node is released: short enough that a finished job stops billing within minutes.
DEFAULT_IDLE_SECONDS = 120


class ClusterAccessArgs(TypedDict):
    """Where the cluster's identity needs data-plane roles to run jobs (pull images, read and write data)."""

    storage_account_id: pulumi.Input[str]
    """The workspace's storage account."""
    container_registry_id: pulumi.Input[str]
    """The workspace's container registry."""
    ml_registry_id: NotRequired[pulumi.Input[str] | None]
    """The shared Azure ML registry whose environments and models jobs use."""
    seed: str
    """Project and stack (``project/stack``): role assignment names derive from it."""


class GpuClusterArgs(TypedDict):
    """Arguments of :class:`GpuCluster`."""

    workspace_name: pulumi.Input[str]
    """Name of the Azure ML workspace the cluster belongs to."""
    resource_group_name: pulumi.Input[str]
    """Resource group of the workspace."""
    location: str
    """Azure region (the workspace's)."""
    vm_size: str
    """VM size from the catalog, e.g. ``Standard_NC4as_T4_v3``."""
    max_nodes: int
    """Upper bound of autoscale, 1-100."""
    tags: dict[str, str]
    """Tags for the cluster."""
    min_nodes: NotRequired[int]
    """Nodes kept when idle; 0 (the default) scales to zero."""
    tier: NotRequired[ClusterTier]
    """Dedicated (default) or evictable Spot capacity."""
    idle_seconds_before_scale_down: NotRequired[int]
    """Idle time before a node is released (default :data:`DEFAULT_IDLE_SECONDS`)."""
    subnet_id: NotRequired[pulumi.Input[str] | None]
    """Subnet for the nodes when the workspace uses a customer-managed VNet."""
    access: NotRequired[ClusterAccessArgs]
    """Grant the cluster's identity AcrPull and Storage Blob Data Contributor on the workspace's dependencies."""


class GpuCluster(pulumi.ComponentResource):
    """An AmlCompute cluster: scale to zero, no public IPs, no local auth, a managed identity."""

    compute_name: pulumi.Output[str]
    compute_id: pulumi.Output[str]
    principal_id: pulumi.Output[str]

    def __init__(self, name: str, args: GpuClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplatform:index:GpuCluster", name, None, opts)
        size = vm_sizes.lookup(args["vm_size"])
        min_nodes = args.get("min_nodes", 0)
        max_nodes = args["max_nodes"]
        if not 1 <= max_nodes <= MAX_NODES_LIMIT:
            raise ValueError(f"GpuCluster {name}: max_nodes must be from 1 to {MAX_NODES_LIMIT}, got {max_nodes}")
        if not 0 <= min_nodes <= max_nodes:
            raise ValueError(f"GpuCluster {name}: min_nodes must be from 0 to max_nodes ({max_nodes}), got {min_nodes}")
        problems = validate_name(ResourceKind.ML_COMPUTE_CLUSTER, name)
        if problems:
            raise ValueError(f"GpuCluster {name}: invalid compute name: {'; '.join(problems)}")
        tier = ClusterTier(args.get("tier", ClusterTier.DEDICATED))
        idle = int(args.get("idle_seconds_before_scale_down", DEFAULT_IDLE_SECONDS))
        subnet = args.get("subnet_id")

        compute = ml.Compute(
            name,
            compute_name=name,
            workspace_name=args["workspace_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            identity=ml.ManagedServiceIdentityArgs(type="SystemAssigned"),
            properties=ml.AmlComputeArgs(
                compute_type="AmlCompute",
                description=_describe(size, tier),
                disable_local_auth=True,
                properties=ml.AmlComputePropertiesArgs(
                    vm_size=size.name,
                    # The API calls the evictable tier LowPriority; since low-priority VMs were retired it is
                    # served from Spot capacity.
                    vm_priority="LowPriority" if tier is ClusterTier.SPOT else "Dedicated",
                    os_type="Linux",
                    scale_settings=ml.ScaleSettingsArgs(
                        min_node_count=min_nodes,
                        max_node_count=max_nodes,
                        node_idle_time_before_scale_down=f"PT{idle}S",
                    ),
                    enable_node_public_ip=False,
                    remote_login_port_public_access="Disabled",
                    isolated_network=False,
                    subnet=ml.ResourceIdArgs(id=subnet) if subnet else None,
                ),
            ),
            tags=args["tags"],
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.principal_id = compute.identity.apply(lambda identity: identity.principal_id if identity else "")
        access = args.get("access")
        if access:
            scopes = {Scope.STORAGE: access["storage_account_id"], Scope.CONTAINER_REGISTRY: access["container_registry_id"]}
            if access.get("ml_registry_id") is not None:
                scopes[Scope.ML_REGISTRY] = access["ml_registry_id"]
            RoleAssignments(
                f"{name}-identity-roles",
                {"assignments": identity_assignments(f"compute/{name}", self.principal_id, COMPUTE_IDENTITY_ROLES, scopes), "seed": access["seed"]},
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.compute_name = pulumi.Output.from_input(name)
        self.compute_id = compute.id
        self.register_outputs({"compute_name": self.compute_name, "compute_id": self.compute_id})


def _describe(size: vm_sizes.VmSize, tier: ClusterTier) -> str:
    hardware = f"{size.gpus:g}x {size.gpu_model}" if size.is_gpu else "CPU only"
    return f"{size.name} ({hardware}, {size.vcpus} vCPUs, {size.memory_gib:g} GiB), {tier.value}"
