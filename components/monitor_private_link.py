"""``MonitorPrivateLinkScope``: an Azure Monitor Private Link Scope (AMPLS) and the telemetry stores it scopes.

A Log Analytics workspace or Application Insights component with public ingestion (or query) disabled accepts
data only from networks connected to it through an AMPLS: the scope lists the stores (scoped resources), and a
private endpoint with group id ``azuremonitor`` connects a network to the scope. This component creates the scope
and its scoped resources; the endpoint and its DNS zones belong to the network that connects to it
(``PrivateNetwork``), so DNS is handled in one place.

Access modes (``accessModeSettings``) say what clients in a connected network may reach: ``PrivateOnly`` only the
scope's resources, ``Open`` also Azure Monitor resources outside it that accept public traffic. They do not decide
whether the scoped stores accept traffic from the network (that is the stores' own public access flags), so
telemetry sent through the endpoint reaches a scoped store in either mode. Resource logs sent by diagnostic
settings never use these paths ("Design Azure Monitor Private Link configuration",
https://learn.microsoft.com/azure/azure-monitor/logs/private-link-design).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import monitor

from components.naming import NamingArgs, ResourceKind, namer_for
from components.tags import required_tags

#: The private link sub-resource (group id) of an Azure Monitor Private Link Scope.
GROUP_ID = "azuremonitor"


class AccessMode(str, enum.Enum):
    """What clients in a connected network may reach (Azure's ``monitor.AccessMode`` values)."""

    PRIVATE_ONLY = "PrivateOnly"
    """Only the scope's resources: nothing leaves for Azure Monitor resources outside it."""
    OPEN = "Open"
    """Also Azure Monitor resources outside the scope that accept public traffic."""


SCOPE_LOCATION = "global"
"""A scope is a global resource (Azure's examples create it in ``global``)."""


class ScopedResource(TypedDict):
    """An Azure Monitor resource the scope serves privately."""

    key: str
    """Short stable identifier (``logs``, ``insights``): names the scoped resource."""
    resource_id: pulumi.Input[str]
    """ARM ID of the Log Analytics workspace or Application Insights component."""


class MonitorPrivateLinkScopeArgs(TypedDict):
    """Arguments of :class:`MonitorPrivateLinkScope`."""

    location: str
    """Region of the stack (for naming only: the scope itself is global)."""
    naming: NamingArgs
    """How physical names are derived."""
    tags: dict[str, str]
    """Tags for the scope; must hold the required tags."""
    resource_group_name: pulumi.Input[str]
    """Resource group to deploy into."""
    scoped_resources: Sequence[ScopedResource]
    """The telemetry stores reached through the scope; keys unique."""
    ingestion_access_mode: NotRequired[AccessMode]
    """``PrivateOnly`` (default) or ``Open``: may connected networks send telemetry to stores outside the scope."""
    query_access_mode: NotRequired[AccessMode]
    """``PrivateOnly`` (default) or ``Open``: may connected networks query stores outside the scope."""


def _check(args: MonitorPrivateLinkScopeArgs) -> None:
    """Fail before anything is planned on an empty scope, a repeated key or an access mode Azure refuses."""
    keys = [resource["key"] for resource in args["scoped_resources"]]
    if not keys:
        raise ValueError("a monitor private link scope needs at least one scoped resource")
    if len(set(keys)) != len(keys):
        raise ValueError(f"scoped resource keys must be unique, got {keys}")
    for field in ("ingestion_access_mode", "query_access_mode"):
        mode = args.get(field, AccessMode.PRIVATE_ONLY)
        if mode not in set(AccessMode):
            known = ", ".join(m.value for m in AccessMode)
            raise ValueError(f"{field} {mode!r} is not an access mode: expected one of {known}")


class MonitorPrivateLinkScope(pulumi.ComponentResource):
    """An Azure Monitor Private Link Scope with the Log Analytics and Application Insights resources it scopes."""

    scope_id: pulumi.Output[str]
    scope_name: pulumi.Output[str]

    def __init__(self, name: str, args: MonitorPrivateLinkScopeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplatform:index:MonitorPrivateLinkScope", name, None, opts)
        _check(args)
        namer = namer_for(args["naming"], args["location"])
        rg_name = args["resource_group_name"]
        child = pulumi.ResourceOptions(parent=self)

        scope = monitor.PrivateLinkScope(
            f"{name}-ampls",
            scope_name=namer.name(ResourceKind.MONITOR_PRIVATE_LINK_SCOPE),
            resource_group_name=rg_name,
            location=SCOPE_LOCATION,
            access_mode_settings=monitor.AccessModeSettingsArgs(
                ingestion_access_mode=AccessMode(args.get("ingestion_access_mode", AccessMode.PRIVATE_ONLY)).value,
                query_access_mode=AccessMode(args.get("query_access_mode", AccessMode.PRIVATE_ONLY)).value,
                exclusions=[],
            ),
            tags=required_tags(args["tags"]),
            opts=child,
        )
        scoped = [
            monitor.PrivateLinkScopedResource(
                f"{name}-scoped-{resource['key']}",
                name=resource["key"],
                scope_name=scope.name,
                resource_group_name=rg_name,
                linked_resource_id=resource["resource_id"],
                kind="Resource",
                opts=child,
            )
            for resource in args["scoped_resources"]
        ]

        # The scope's ID once its resources are in it: an endpoint connected through this ID is created after them,
        # the order Azure documents (resources first, then the private endpoint), so its DNS records cover them.
        self.scope_id = pulumi.Output.all(scope.id, *(resource.id for resource in scoped)).apply(lambda ids: ids[0])
        self.scope_name = scope.name
        self.register_outputs({"scope_id": self.scope_id, "scope_name": self.scope_name})
