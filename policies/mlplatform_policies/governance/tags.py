"""Tags: every resource carries the organisation's required tags, and no taggable resource escapes that check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from components.tags import REQUIRED_TAGS
from mlplatform_policies.base import Controls, resource_policy

#: Types that accept ARM tags (each checked against the SDK in the tests), flagged when they carry none at all.
TAGGABLE_TYPES = (
    "azure-native:resources:ResourceGroup",
    "azure-native:storage:StorageAccount",
    "azure-native:keyvault:Vault",
    "azure-native:containerregistry:Registry",
    "azure-native:machinelearningservices:Registry",
    "azure-native:machinelearningservices:Workspace",
    "azure-native:operationalinsights:Workspace",
    "azure-native:machinelearningservices:Compute",
    "azure-native:applicationinsights:Component",
    "azure-native:managedidentity:UserAssignedIdentity",
    "azure-native:network:VirtualNetwork",
    "azure-native:network:NetworkSecurityGroup",
    "azure-native:network:PrivateEndpoint",
    "azure-native:privatedns:PrivateZone",
    "azure-native:privatedns:VirtualNetworkLink",
    "azure-native:machinelearningservices:OnlineEndpoint",
    "azure-native:machinelearningservices:OnlineDeployment",
    "azure-native:machinelearningservices:BatchEndpoint",
    "azure-native:machinelearningservices:BatchDeployment",
    "azure-native:monitor:ActionGroup",
    "azure-native:monitor:MetricAlert",
    "azure-native:monitor:AutoscaleSetting",
)

_TAG_LIST = ", ".join(REQUIRED_TAGS)


def _short(resource_type: str) -> str:
    return resource_type.rsplit(":", 1)[-1]


def tags_problem(props: Mapping[str, Any]) -> str | None:
    if "tags" not in props:
        return None  # a type without tags, or a taggable one without any: the taggable-has-tags policy reports it
    tags = props["tags"]
    if not isinstance(tags, Mapping):
        return f"tags is not a map of tag names to values; expected the required tags {_TAG_LIST}"
    present = {str(key).lower(): value for key, value in tags.items()}
    missing = [key for key in REQUIRED_TAGS if key.lower() not in present]
    empty = [key for key in REQUIRED_TAGS if key.lower() in present and not str(present[key.lower()] or "").strip()]
    if not missing and not empty:
        return None
    parts = []
    if missing:
        parts.append(f"missing required tags {', '.join(missing)}")
    if empty:
        parts.append(f"empty required tags {', '.join(empty)}")
    return f"{'; '.join(parts)}; expected every one of {_TAG_LIST} with a non-empty value"


def untagged_problem(args: ResourceValidationArgs) -> str | None:
    if args.props.get("tags") is not None:
        return None
    return f"{_short(args.resource_type)} carries no tags; expected the required tags {_TAG_LIST}"


_TAGS_REMEDIATION = (
    "Set all four keys under `mlplatform:tags` in the stack file (stacks/Pulumi.<stack>.yaml); every component passes "
    "them through components/tags.py (required_tags) to each resource it creates. A resource created outside the "
    "components needs `tags=` with the same keys."
)
_TAG_CONTROLS = Controls(
    azure_policy=("871b6d14-10aa-478d-b590-94f262ecfa99", "96670d01-0a4d-4649-9c89-2d3abc0a5025"),
    mcsb=("AM-1",),
    psrule=("Azure.Resource.RequiredTags",),
)
_TAG_URL = "https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources"

required_tags = resource_policy(
    name="azure-native-all-resource-required-tags",
    description="Every tagged azure-native resource carries owner, costCenter, environment and dataClassification.",
    rationale=(
        "Cost reports, incident response and data handling rules are driven by these tags: a resource without an "
        "owner or cost center is nobody's, and one without a data classification cannot be handled correctly."
    ),
    checks=(
        "On azure-native resources whose inputs have `tags`: keys owner, costCenter, environment and "
        "dataClassification are present (names compared case-insensitively, as Azure does) with non-empty values."
    ),
    severity=Severity.MEDIUM,
    applies_to=lambda resource_type: resource_type.startswith("azure-native:"),
    resource_types=("azure-native:* (with tags)",),
    check=tags_problem,
    controls=_TAG_CONTROLS,
    remediation=_TAGS_REMEDIATION,
    url=_TAG_URL,
)

taggable_resources_tagged = resource_policy(
    name="azure-native-all-resource-taggable-has-tags",
    description="Resource types known to accept tags are not created without tags.",
    rationale=(
        "The required-tags policy can only inspect tags that are there: a taggable resource created without any "
        "`tags` input would escape it."
    ),
    checks=f"Resources of the {len(TAGGABLE_TYPES)} known taggable types have a `tags` input.",
    severity=Severity.MEDIUM,
    resource_types=TAGGABLE_TYPES,
    check_resource=untagged_problem,
    controls=_TAG_CONTROLS,
    remediation=_TAGS_REMEDIATION,
    url=_TAG_URL,
)
