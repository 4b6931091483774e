"""The CI identities of a stack: GitHub Actions deploys, previews and trains through OIDC, and no secret exists.

Shared by the environment stacks and the shared stack, so that every stack CI deploys (``mlplatform:ci``) gets:

* a **deploy** identity, trusted by the stack's GitHub environments (required reviewers, main only), with
  Contributor and a conditioned Role Based Access Control Administrator on the stack's resource group;
* a read-only **preview** identity, trusted by pull requests outside prod, and by a GitHub environment with
  required reviewers in prod (``ci.previewEnvironment``), with Reader on the resource group;
* optionally a **models** identity (``ci.modelsEnvironment``) for the models workflow: submit training pipelines,
  share models into the registry, deploy and smoke-test a candidate; no infrastructure role at all.

Each identity trusts its own subjects only, so a job can never pick a stronger identity than the one its event and
environment earn. The bootstrap stack reads ``ciPrincipalIds`` to give each one its own stack's state and its
environment's secrets key (components/state_access.py).
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from blueprint.program.config.model import CiConfig
from components.ci_identity import GithubActionsIdentity
from components.role_assignments import RoleAssignments, identity_assignments
from components.roles import (
    CI_DEPLOY_GRANTS,
    CI_MODELS_GRANTS,
    CI_PREVIEW_GRANTS,
    PLATFORM_ASSIGNED_ROLES,
    BuiltInRole,
    Scope,
    delegation_condition,
)


def compose_ci(ci: CiConfig, *, naming: Mapping[str, str], location: str, scopes: Mapping[Scope, pulumi.Input[str]], seed: str) -> dict[str, pulumi.Output]:
    """Create the stack's CI identities and their grants; return their client IDs and principal IDs.

    Grants on scopes the stack does not have (a workspace in the shared stack) are skipped. The deploy identity may
    assign only the platform's own roles to groups and service principals (an ABAC condition), so it can neither
    make itself Owner nor hand a data role to a user.
    """
    base = {"naming": naming, "location": location, "repository": ci.repository}
    deployer = GithubActionsIdentity("ci", {**base, "environments": list(ci.environments)})
    previewer = GithubActionsIdentity(
        "ci-preview",
        {**base, "qualifier": "ci-preview", **(
            {"environments": [ci.preview_environment]} if ci.preview_environment else {"environments": [], "pull_requests": True}
        )},
    )
    grants = identity_assignments("ci/deploy", deployer.service_principal_object_id, CI_DEPLOY_GRANTS, scopes)
    for grant in grants:
        if grant["role"] is BuiltInRole.ROLE_BASED_ACCESS_CONTROL_ADMINISTRATOR:
            grant["condition"] = delegation_condition(PLATFORM_ASSIGNED_ROLES)
    grants += identity_assignments("ci/preview", previewer.service_principal_object_id, CI_PREVIEW_GRANTS, scopes)
    outputs: dict[str, pulumi.Output] = {"ciClientId": deployer.client_id, "ciPreviewClientId": previewer.client_id}
    principals: dict[str, pulumi.Output] = {
        "deploy": deployer.service_principal_object_id,
        "preview": previewer.service_principal_object_id,
    }
    if ci.models_environment:
        models = GithubActionsIdentity("ci-models", {**base, "qualifier": "ci-models", "environments": [ci.models_environment]})
        grants += identity_assignments("ci/models", models.service_principal_object_id, CI_MODELS_GRANTS, scopes)
        outputs["ciModelsClientId"] = models.client_id
        principals["models"] = models.service_principal_object_id
    RoleAssignments("ci", {"assignments": grants, "seed": seed})
    outputs["ciPrincipalIds"] = pulumi.Output.all(**principals).apply(dict)
    return outputs
