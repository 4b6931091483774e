"""One planned azure-native resource in the shape an ARM deployment template gives it (``blueprint export``).

The azure-native SDK does not take a resource the way Azure Resource Manager declares it: it takes the path
parameters of the REST call as inputs (``resourceGroupName``, ``accountName``...), lifts ARM's ``properties`` object
to the top level for most types, flattens the ``properties`` of some list items (an NSG's rules, a private endpoint's
connections) and renames a few properties. This module undoes that, so that scanners written for ARM (Checkov,
PSRule for Azure, ``az deployment group what-if``) find every setting at the path they read.

What a resource's ARM type, name and scope are is read from its resource ID, which the preview's mock builds the way
ARM does (blueprint/tools/preview/arm.py); its API version is the one the SDK class calls (each class's documentation
says "Uses Azure REST API version ...").
"""

from __future__ import annotations

import importlib
import inspect
import re
import typing
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from blueprint.program.project import SECRET_PLACEHOLDER
from blueprint.tools.preview.arm import ARM_TYPES

#: Keys an ARM resource declares beside ``properties``; the SDK takes them as inputs of the same name.
TOP_LEVEL_KEYS = ("location", "tags", "sku", "kind", "identity", "zones", "extendedLocation", "plan", "etag")

#: Top-level SDK inputs that ARM declares inside ``properties`` for a type: a Log Analytics workspace's pricing tier,
#: and the kind of a private link scope's scoped resource (a proxy resource, which has no top-level kind).
KEPT_IN_PROPERTIES: dict[str, tuple[str, ...]] = {
    "azure-native:operationalinsights:Workspace": ("sku",),
    "azure-native:monitor:PrivateLinkScopedResource": ("kind",),
}

#: Inputs the SDK names differently from ARM, per type: SDK input -> ARM property (the REST specs' names).
RENAMED_PROPERTIES: dict[str, dict[str, str]] = {
    "azure-native:storage:StorageAccount": {"enableHttpsTrafficOnly": "supportsHttpsTrafficOnly", "networkRuleSet": "networkAcls"},
    # Application Insights spells most of its properties in Pascal case, some with underscores (Application_Type).
    "azure-native:applicationinsights:Component": {
        "applicationType": "Application_Type", "flowType": "Flow_Type", "requestSource": "Request_Source",
        "disableIpMasking": "DisableIpMasking", "disableLocalAuth": "DisableLocalAuth", "ingestionMode": "IngestionMode",
        "workspaceResourceId": "WorkspaceResourceId", "samplingPercentage": "SamplingPercentage",
        "retentionInDays": "RetentionInDays", "immediatePurgeDataOn30Days": "ImmediatePurgeDataOn30Days",
        "hockeyAppId": "HockeyAppId", "forceCustomerStorageForProfiler": "ForceCustomerStorageForProfiler",
    },
}

#: Keys the SDK renames inside objects of ``properties``, per type: path of the object -> {SDK key: ARM key}. Applied in
#: order, so a later path uses the ARM names of an earlier one.
NESTED_RENAMES: dict[str, dict[tuple[str, ...], dict[str, str]]] = {
    "azure-native:storage:StorageAccount": {
        ("encryption",): {"keyVaultProperties": "keyvaultproperties", "encryptionIdentity": "identity"},
        ("encryption", "keyvaultproperties"): {"keyName": "keyname", "keyVaultUri": "keyvaulturi", "keyVersion": "keyversion"},
        ("encryption", "identity"): {"encryptionUserAssignedIdentity": "userAssignedIdentity",
                                     "encryptionFederatedIdentityClientId": "federatedIdentityClientId"},
    },
    # Key Vault's attributes are the JWK's: expiry and activation as ``exp`` and ``nbf`` (seconds since 1970).
    "azure-native:keyvault:Key": {("attributes",): {"expires": "exp", "notBefore": "nbf"}},
    "azure-native:keyvault:Secret": {("attributes",): {"expires": "exp", "notBefore": "nbf"}},
}

#: Keys the SDK renames wherever they occur: OData type discriminators (a metric alert's criteria) are ``odata.type``.
RENAMED_KEYS = {"odataType": "odata.type"}

#: Rule items inside a network rule set the SDK also renames: SDK key -> ARM key (storage and container registry).
RENAMED_RULE_KEYS = {
    "ipRules": {"iPAddressOrRange": "value"},
    "virtualNetworkRules": {"virtualNetworkResourceId": "id"},
}

#: List properties whose items ARM declares as ``{name, id, properties: {...}}`` and the SDK takes flattened.
FLATTENED_ITEMS: dict[str, tuple[str, ...]] = {
    "azure-native:network:NetworkSecurityGroup": ("securityRules",),
    "azure-native:network:VirtualNetwork": ("subnets",),
    "azure-native:network:Subnet": ("delegations",),
    "azure-native:network:PrivateEndpoint": ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections"),
    "azure-native:network:PrivateDnsZoneGroup": ("privateDnsZoneConfigs",),
}
_ITEM_KEYS = ("name", "id", "type", "etag")

_API_VERSION = re.compile(r"Uses Azure REST API version (\d{4}-\d{2}-\d{2}(?:-[a-z]+)?)")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class ExportError(Exception):
    """A resource the export cannot represent faithfully; the command reports it and writes nothing."""


@dataclass(frozen=True)
class ArmAddress:
    """Where ARM puts a resource: its type, its (slash-joined, for child types) name, the resource group it is
    deployed into (``None`` at subscription scope), and for an extension resource the resource it extends."""

    type: str
    name: str
    resource_group: str | None
    scope: str | None
    """The extended resource as ``Namespace/type/name`` (ARM's ``scope`` property), or ``None``."""


def arm_address(resource_id: str) -> ArmAddress:
    """Parse an ARM resource ID: ``/subscriptions/s/resourceGroups/rg/providers/Ns/type/name[/child/name]``, and for
    extension resources ``<extended resource ID>/providers/Ns/type/name``."""
    head, separator, tail = resource_id.rpartition("/providers/")
    if not separator:
        raise ExportError(f"{resource_id!r} is not an ARM resource ID (no /providers/ segment)")
    segments = tail.split("/")
    if len(segments) < 3 or len(segments) % 2 == 0:
        raise ExportError(f"{resource_id!r}: expected Namespace/type/name[/type/name...] after /providers/")
    namespace, rest = segments[0], segments[1:]
    arm_type = "/".join([namespace, *rest[0::2]])
    name = "/".join(rest[1::2])
    group = re.match(r"^/subscriptions/[^/]+/resourceGroups/([^/]+)", head, re.IGNORECASE)
    scope = None
    if "/providers/" in head:  # an extension of another resource: ARM's scope is that resource, relative
        extended = arm_address(head)
        scope = f"{extended.type.split('/')[0]}/" + "/".join(_interleave(extended.type.split("/")[1:], extended.name.split("/")))
        if extended.scope is not None:
            raise ExportError(f"{resource_id!r}: an extension of an extension resource")
    return ArmAddress(arm_type, name, group.group(1) if group else None, scope)


def _interleave(types: list[str], names: list[str]) -> list[str]:
    return [part for pair in zip(types, names) for part in pair]


@lru_cache(maxsize=None)
def api_version(type_token: str) -> str:
    """The REST API version the azure-native class of ``type_token`` calls, from its own documentation.

    The sentence sits in the docstrings of the class's ``__init__`` overloads (read with ``typing.get_overloads``);
    the class's source is the fallback. A class that states none is refused: a guessed version would be wrong.
    """
    provider, module, name = type_token.split(":")
    cls = getattr(importlib.import_module(f"pulumi_azure_native.{module}"), name)
    texts = [overload.__doc__ or "" for overload in typing.get_overloads(cls.__init__)]
    found = {match for text in texts for match in _API_VERSION.findall(text)}
    if not found:
        try:
            found = set(_API_VERSION.findall(inspect.getsource(cls)))
        except (OSError, TypeError):
            found = set()
    if len(found) != 1:
        raise ExportError(f"{type_token}: cannot tell which REST API version pulumi_azure_native.{module}.{name} uses "
                          f"(found {sorted(found) or 'none'} in its documentation)")
    return found.pop()


def path_inputs(type_token: str) -> set[str]:
    """The SDK inputs that are path parameters of the REST call (resource group, parent and own names, scope):
    ARM has them in ``name`` and the deployment's scope, not in the resource's body."""
    template = ARM_TYPES[type_token].id_template
    return set(_PLACEHOLDER.findall(template)) - {"subscription"}


def arm_body(type_token: str, inputs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(top-level keys, properties)`` of the ARM resource for a planned resource's SDK ``inputs``."""
    remaining = {key: value for key, value in inputs.items() if key not in path_inputs(type_token)}
    kept = KEPT_IN_PROPERTIES.get(type_token, ())
    top = {key: remaining.pop(key) for key in TOP_LEVEL_KEYS if key in remaining and key not in kept}
    if "identity" in top:
        top["identity"] = _arm_identity(top["identity"])
    if "properties" in remaining:  # types whose SDK keeps ARM's nesting (Key Vault, online endpoints, compute...)
        properties = remaining.pop("properties")
        if remaining:
            raise ExportError(f"{type_token}: inputs {sorted(remaining)} beside a nested properties object; "
                              "the export does not know where ARM puts them")
        if not isinstance(properties, dict):
            return top, {}
        # A template deployment's properties hold a template already written in ARM's own terms.
        if type_token == "azure-native:resources:Deployment":
            return top, properties
        return top, _nested_renamed(type_token, _renamed_keys(properties))
    renames = RENAMED_PROPERTIES.get(type_token, {})
    properties = {renames.get(key, key): _renamed_keys(value) for key, value in remaining.items()}
    for key in ("networkAcls", "networkRuleSet"):
        if isinstance(properties.get(key), dict):
            properties[key] = _arm_rule_set(properties[key])
    for key in FLATTENED_ITEMS.get(type_token, ()):
        if isinstance(properties.get(key), list):
            properties[key] = [_nested_item(item) for item in properties[key]]
    return top, _nested_renamed(type_token, properties)


def _nested_renamed(type_token: str, properties: dict[str, Any]) -> dict[str, Any]:
    """``properties`` with the keys of :data:`NESTED_RENAMES` for ``type_token`` spelled as ARM spells them."""
    for path, renames in NESTED_RENAMES.get(type_token, {}).items():
        properties = _renamed_at(properties, path, renames)
    return properties


def _renamed_at(value: Any, path: tuple[str, ...], renames: dict[str, str]) -> Any:
    if not isinstance(value, dict):
        return value
    if not path:
        return {renames.get(key, key): item for key, item in value.items()}
    head, rest = path[0], path[1:]
    return {key: _renamed_at(item, rest, renames) if key == head else item for key, item in value.items()}


def _renamed_keys(value: Any) -> Any:
    """``value`` with the keys of :data:`RENAMED_KEYS` spelled as ARM spells them, at any depth."""
    if isinstance(value, dict):
        return {RENAMED_KEYS.get(key, key): _renamed_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_renamed_keys(item) for item in value]
    return value


def _arm_identity(identity: Any) -> Any:
    """ARM takes user-assigned identities as a map from identity ID to ``{}``; the SDK as a list of IDs."""
    if isinstance(identity, dict) and isinstance(identity.get("userAssignedIdentities"), list):
        return {**identity, "userAssignedIdentities": {str(uai): {} for uai in identity["userAssignedIdentities"]}}
    return identity


def _arm_rule_set(rule_set: dict[str, Any]) -> dict[str, Any]:
    out = dict(rule_set)
    for key, renames in RENAMED_RULE_KEYS.items():
        if isinstance(out.get(key), list):
            out[key] = [{renames.get(k, k): v for k, v in rule.items()} if isinstance(rule, dict) else rule for rule in out[key]]
    return out


def _nested_item(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    outer = {key: item[key] for key in _ITEM_KEYS if key in item}
    inner = {key: value for key, value in item.items() if key not in _ITEM_KEYS}
    return {**outer, "properties": inner} if inner else outer


def arm_values(value: Any, *, literal: bool = True) -> Any:
    """Plan values as a template states them: whole numbers as integers (the mock runtime turns every number into a
    float), and literal strings that look like template expressions (``[...]``) escaped with a second bracket, as ARM
    requires. ``literal=False`` keeps expressions: an inner template's own, which ARM evaluates."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return "[" + value if literal and value.startswith("[") and value.endswith("]") else value
    if isinstance(value, dict):
        return {key: arm_values(item, literal=literal) for key, item in value.items()}
    if isinstance(value, list):
        return [arm_values(item, literal=literal) for item in value]
    return value


def secret_paths(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Where ``value`` holds the placeholder of a secret of the stack's config (``[secret]``): key and index paths."""
    if value == SECRET_PLACEHOLDER:
        return [path]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in secret_paths(item, (*path, key))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in secret_paths(item, (*path, index))]
    return []


def replaced(value: Any, path: tuple[str | int, ...], new: Any) -> Any:
    """A copy of ``value`` with the item at ``path`` (as :func:`secret_paths` gives it) replaced by ``new``."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: replaced(value[head], rest, new)}
    items = list(value)
    items[int(head)] = replaced(items[int(head)], rest, new)
    return items


def dotted(path: tuple[str | int, ...]) -> str:
    """``path`` as messages write it: ``webhookReceivers``, ``receivers[0].uri``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
