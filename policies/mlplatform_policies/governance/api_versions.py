"""API versions: resources use the stable azure-native API versions, never an explicit preview one."""

from __future__ import annotations

import re

from pulumi_policy import ResourceValidationArgs, Severity

from mlplatform_policies.base import Controls, resource_policy

_PREVIEW_MODULE = re.compile(r"v\d{8}\w*preview", re.IGNORECASE)


def preview_version_problem(args: ResourceValidationArgs) -> str | None:
    resource_type = args.resource_type
    parts = resource_type.split(":")
    if len(parts) != 3:
        return None
    module = parts[1]
    match = _PREVIEW_MODULE.search(module)
    if match is None:
        return None
    service = module.split("/", 1)[0]
    return (
        f"resource type {resource_type} pins the preview API version {match.group(0)}; expected the stable default "
        f"azure-native:{service}:{parts[2]} (or an explicit GA version)"
    )


no_preview_api = resource_policy(
    name="azure-native-all-resource-no-preview-api-version",
    description="azure-native resources use stable API versions, never an explicit preview version.",
    rationale=(
        "Preview API versions carry no SLA, change without notice and are retired quickly; a resource pinned to one "
        "breaks when Azure removes it. This follows the 'disallow preview resource' family of "
        "pulumi/compliance-policies, as one policy for every type."
    ),
    checks=(
        "The type token's module has no `vYYYYMMDDpreview` version (e.g. `machinelearningservices/v20240401preview`)."
    ),
    severity=Severity.LOW,
    applies_to=lambda resource_type: resource_type.startswith("azure-native:"),
    resource_types=("azure-native:*",),
    check_resource=preview_version_problem,
    controls=Controls(mcsb=("AM-2",)),
    remediation=(
        "Import the resource from its service module (`from pulumi_azure_native import machinelearningservices`), not "
        "from a `v<date>preview` submodule; if a needed property only exists in preview, waive this policy for that "
        "resource in policies/config/<environment>.json with the reason."
    ),
    url="https://www.pulumi.com/registry/packages/azure-native/version-guide/",
)
