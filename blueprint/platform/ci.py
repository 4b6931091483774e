"""The CI identities of a stack: GitHub Actions deploys it through OIDC federation, and no secret exists anywhere.

Shared by the environment stacks and the shared stack, so that every stack CI deploys (``mlplatform:ci``) gets the
same deploy identity, the same grants on whatever of its scopes exist, and the same read-only pull-request identity.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from blueprint.config.model import CiConfig
from components.ci_identity import GithubActionsIdentity
from components.role_assignments import RoleAssignments, identity_assignments
from components.roles import CI_DEPLOY_GRANTS, CI_PREVIEW_GRANTS, PLATFORM_ASSIGNED_ROLES, BuiltInRole, Scope, delegation_condition


def compose_ci(ci: CiConfig, *, naming: Mapping[str, str], location: str, scopes: Mapping[Scope, pulumi.Input[str]], seed: str) -> dict[str, pulumi.Output]:
    """Create the deploy identity (and the preview identity when pull requests are trusted); return their outputs.

    Grants on scopes the stack does not have (a workspace in the shared stack) are skipped. The deploy identity may
    assign roles only within the platform's own set (an ABAC condition), so it cannot make itself Owner.
    """
    deployer = GithubActionsIdentity(
        "ci",
        {"naming": naming, "location": location, "repository": ci.repository, "environments": list(ci.environments)},
    )
    grants = identity_assignments("ci/deploy", deployer.service_principal_object_id, CI_DEPLOY_GRANTS, scopes)
    for grant in grants:
        if grant["role"] is BuiltInRole.ROLE_BASED_ACCESS_CONTROL_ADMINISTRATOR:
            grant["condition"] = delegation_condition(PLATFORM_ASSIGNED_ROLES)
    outputs: dict[str, pulumi.Output] = {"ciClientId": deployer.client_id}
    if ci.pull_requests:
        previewer = GithubActionsIdentity(
            "ci-preview",
            {
                "naming": naming,
                "location": location,
                "repository": ci.repository,
                "environments": [],
                "pull_requests": True,
                "qualifier": "ci-preview",
            },
        )
        grants += identity_assignments("ci/preview", previewer.service_principal_object_id, CI_PREVIEW_GRANTS, scopes)
        outputs["ciPreviewClientId"] = previewer.client_id
    RoleAssignments("ci", {"assignments": grants, "seed": seed})
    return outputs
