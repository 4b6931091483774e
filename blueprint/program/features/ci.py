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
from dataclasses import dataclass
from typing import Any

import pulumi

from blueprint.program.config.errors import ConfigIssue, describe
from blueprint.program.config.rules import key_path
from blueprint.program.settings import setting
from components.ci_identity import GithubActionsIdentity
from components.options import Environment
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

GITHUB_ENVIRONMENT = {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,255}$", "x-expected": "a GitHub environment name"}


@dataclass(frozen=True, kw_only=True)
class CiSettings:
    """The stack's GitHub Actions identities, Entra applications with OIDC federated credentials and no secret: a
    deploy identity (the environments), a read-only preview identity (pull requests, or previewEnvironment), and
    optionally a models identity (modelsEnvironment)."""

    repository: str = setting(
        "repository", pattern="^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", x_expected="a GitHub repository as owner/name",
    )
    environments: tuple[str, ...] = setting(
        "environments", "GitHub environments whose jobs deploy this stack (required reviewers and a main-only branch rule "
        "on each): one federated credential each.", minItems=1, maxItems=10, uniqueItems=True, items=GITHUB_ENVIRONMENT,
    )
    preview_environment: str | None = setting(
        "previewEnvironment", "The read-only preview identity trusts jobs of this GitHub environment (give it required "
        "reviewers) instead of every pull request. Required in prod.", default=None, override=GITHUB_ENVIRONMENT,
    )
    models_environment: str | None = setting(
        "modelsEnvironment", "Creates the models identity (submit training pipelines, share models into the registry, "
        "deploy and smoke-test a 0% candidate), trusted by jobs of this GitHub environment. It holds no infrastructure role.",
        default=None, override=GITHUB_ENVIRONMENT,
    )


def ci_issues(project: str, values: Mapping[str, Any], environment: Environment) -> list[ConfigIssue]:
    """Each CI identity trusts its own GitHub environment: two identities trusting one subject would let a job of
    that environment pick the stronger one. Prod previews wait for a reviewer, never for any pull request."""
    if "ci" not in values:
        return []
    ci = values["ci"]
    issues: list[ConfigIssue] = []
    deploy = {name.casefold() for name in ci["environments"]}
    if environment is Environment.PROD and "previewEnvironment" not in ci:
        issues.append(ConfigIssue(key_path(project, ["ci", "previewEnvironment"]), "a GitHub environment with required reviewers for previews of a prod stack (pull requests never read prod's state or secrets)", "nothing"))
    if environment is Environment.SHARED and "modelsEnvironment" in ci:
        issues.append(ConfigIssue(key_path(project, ["ci", "modelsEnvironment"]), "no models identity in the shared stack (models are trained in an environment stack's workspace)", describe(ci["modelsEnvironment"])))
    others: dict[str, str] = {}
    for key in ("previewEnvironment", "modelsEnvironment"):
        if key not in ci:
            continue
        name = ci[key].casefold()
        if name in deploy or name in others:
            clash = "ci.environments" if name in deploy else others[name]
            issues.append(ConfigIssue(key_path(project, ["ci", key]), f"a GitHub environment of its own (not one of {clash}: one environment's jobs would get both identities)", describe(ci[key])))
        others[name] = f"ci.{key}"
    return issues


def environment_keys(values: Mapping[str, Any]) -> list[tuple[Any, str]]:
    """The deploy environments as GitHub compares them (ignoring case)."""
    ci = values.get("ci") or {}
    return [(i, str(e).casefold()) for i, e in enumerate(ci.get("environments", []))]


def compose_ci(
    ci: CiSettings | None, *, naming: Mapping[str, str], location: str, scopes: Mapping[Scope, pulumi.Input[str]], seed: str,
    delegable: frozenset[BuiltInRole] = PLATFORM_ASSIGNED_ROLES,
) -> dict[str, pulumi.Output]:
    """Create the stack's CI identities and their grants; return their client IDs and principal IDs.

    Grants on scopes the stack does not have (a workspace in the shared stack) are skipped. The deploy identity may
    assign only the platform's own roles to groups and service principals (an ABAC condition), so it can neither
    make itself Owner nor hand a data role to a user; ``delegable`` adds the roles of optional features the stack
    uses (a customer-managed key's grant). A stack without ``ci`` gets none.
    """
    if ci is None:
        return {}
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
            grant["condition"] = delegation_condition(delegable)
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
