"""GithubActionsIdentity under the Entra ID mocks: federated credentials only, never a secret."""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pytest

from components.ci_identity import GithubActionsIdentity, GithubActionsIdentityArgs
from components.naming import NamingArgs
from tests.conftest import only, run_component

COMPONENT = "mlplatform:index:GithubActionsIdentity"
APPLICATION = "azuread:index/application:Application"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
FEDERATED = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
SECRET_TYPES = {
    "azuread:index/applicationPassword:ApplicationPassword",
    "azuread:index/servicePrincipalPassword:ServicePrincipalPassword",
    "azuread:index/applicationCertificate:ApplicationCertificate",
    "azuread:index/servicePrincipalCertificate:ServicePrincipalCertificate",
}
ISSUER = "https://token.actions.githubusercontent.com"
OWNER = "00000000-0000-0000-0000-0000000000aa"


def naming() -> NamingArgs:
    return {"prefix": "fraud", "environment": "prod", "seed": "mlplatform/test"}


def identity_args(**overrides: Any) -> GithubActionsIdentityArgs:
    args: dict[str, Any] = {
        "naming": naming(),
        "location": "westeurope",
        "repository": "example-org/ml-platform",
        "environments": ["staging", "prod"],
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def plan_of(**overrides: Any):
    """The plan, and the component; its outputs are exported so the plan records their values."""
    created: list[GithubActionsIdentity] = []

    def body() -> None:
        identity = GithubActionsIdentity("ci", identity_args(**overrides))
        created.append(identity)
        for output in ("client_id", "service_principal_object_id", "application_object_id", "subjects"):
            pulumi.export(output, getattr(identity, output))

    plan = run_component(body)
    return plan, created[0]


def by_subject(plan) -> dict[str, Any]:
    return {r.inputs["subject"]: r for r in plan.of_type(FEDERATED)}


def test_one_credential_per_environment_with_github_issuer_and_exchange_audience():
    plan, identity = plan_of()
    application = only(plan, APPLICATION)
    credentials = by_subject(plan)
    assert set(credentials) == {
        "repo:example-org/ml-platform:environment:staging",
        "repo:example-org/ml-platform:environment:prod",
    }
    for credential in credentials.values():
        assert credential.inputs["issuer"] == ISSUER
        assert credential.inputs["audiences"] == ["api://AzureADTokenExchange"]
        assert credential.inputs["applicationId"] == application.id
        assert application.id == f"/applications/{application.outputs['objectId']}"
    names = {credential.inputs["displayName"] for credential in credentials.values()}
    assert names == {"github-env-staging", "github-env-prod"}
    assert identity.subjects == [
        "repo:example-org/ml-platform:environment:staging",
        "repo:example-org/ml-platform:environment:prod",
    ]


def test_pull_request_credential_only_when_asked():
    plan, _ = plan_of()
    assert not [s for s in by_subject(plan) if s.endswith(":pull_request")]

    plan, identity = plan_of(pull_requests=True)
    credentials = by_subject(plan)
    assert len(credentials) == 3
    pull_request = credentials["repo:example-org/ml-platform:pull_request"]
    assert pull_request.inputs["issuer"] == ISSUER
    assert pull_request.inputs["audiences"] == ["api://AzureADTokenExchange"]
    assert pull_request.inputs["displayName"] == "github-pull-request"
    assert identity.subjects[-1] == "repo:example-org/ml-platform:pull_request"


def test_application_is_single_tenant_named_and_without_any_credential_of_its_own():
    plan, _ = plan_of()
    inputs = only(plan, APPLICATION).inputs
    assert inputs["signInAudience"] == "AzureADMyOrg"
    assert re.fullmatch(r"appreg-fraud-ci-prod-[a-z0-9]+-[a-z0-9]{5}", inputs["displayName"])
    assert "GitHub Actions" in inputs["description"] and "federated" in inputs["description"]
    assert "federated identity credentials" in inputs["notes"]
    # No secret, certificate, redirect URI or public-client flow on the application itself.
    for key in inputs:
        assert not re.search(r"password|secret|certificate|keyCredential", key, re.IGNORECASE), key
    for key in ("web", "publicClient", "singlePageApplication", "identifierUris"):
        assert key not in inputs
    assert inputs["fallbackPublicClientEnabled"] is False
    assert "redirectUris" not in str(inputs)


def test_no_password_or_certificate_resource_is_planned():
    plan, _ = plan_of(pull_requests=True)
    assert not SECRET_TYPES & set(plan.counts_by_type())
    assert not [r.type for r in plan.resources if re.search(r"password|secret|certificate", r.type, re.IGNORECASE)]


def test_service_principal_is_the_applications():
    plan, identity = plan_of()
    application = only(plan, APPLICATION)
    principal = only(plan, SERVICE_PRINCIPAL)
    assert principal.inputs["clientId"] == application.outputs["clientId"]
    assert principal.inputs["appRoleAssignmentRequired"] is False
    assert not [k for k in principal.inputs if re.search("password|secret|certificate", k, re.IGNORECASE)]
    assert plan.outputs["client_id"] == application.outputs["clientId"]
    assert plan.outputs["application_object_id"] == application.outputs["objectId"]
    assert plan.outputs["service_principal_object_id"] == principal.outputs["objectId"]
    assert plan.outputs["subjects"] == identity.subjects


def test_owners_go_on_application_and_service_principal():
    plan, _ = plan_of(owners=[OWNER])
    assert only(plan, APPLICATION).inputs["owners"] == [OWNER]
    assert only(plan, SERVICE_PRINCIPAL).inputs["owners"] == [OWNER]
    plan, _ = plan_of()
    assert "owners" not in only(plan, APPLICATION).inputs


def test_every_child_is_parented_to_the_component():
    plan, _ = plan_of(pull_requests=True)
    component = only(plan, COMPONENT)
    children = [r for r in plan.resources if r.parent == component.urn]
    assert len(children) == 5
    assert {r.urn for r in plan.resources} == {r.urn for r in children} | {component.urn, component.parent}
    assert all(child.parent == component.urn for child in children)


def test_environment_names_that_are_not_valid_credential_names_get_distinct_valid_ones():
    environments = ["Production", "prod/eu west", "prod-eu-west", "x" * 255]
    plan, _ = plan_of(environments=environments)
    credentials = by_subject(plan)
    assert set(credentials) == {f"repo:example-org/ml-platform:environment:{e}" for e in environments}
    names = [c.inputs["displayName"] for c in credentials.values()]
    assert len(set(names)) == len(names)
    for credential_name in names:
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{2,119}", credential_name), credential_name


@pytest.mark.parametrize(
    "repository",
    [
        "contoso",
        "contoso/",
        "/ml-platform",
        "contoso/ml/platform",
        "-example-org/ml-platform",
        "contoso-/ml-platform",
        "con--toso/ml-platform",
        "contoso/ml platform",
        "contoso/..",
        "a" * 40 + "/repo",
        "contoso/" + "r" * 101,
        "https://github.com/example-org/ml-platform",
    ],
)
def test_bad_repository_is_rejected_naming_the_value(repository):
    with pytest.raises(ValueError, match=re.escape(repr(repository))):
        plan_of(repository=repository)


@pytest.mark.parametrize("repository", ["a/b", "Contoso-Labs/ML_platform.v2", "octo-org/.github", "a" * 39 + "/r"])
def test_valid_repositories_are_accepted(repository):
    _, identity = plan_of(repository=repository)
    assert identity.subjects[0] == f"repo:{repository}:environment:staging"


@pytest.mark.parametrize(
    ("environments", "message"),
    [
        ([], "at least one GitHub environment"),
        ((), "at least one GitHub environment"),
        ("prod", "must be a list"),
        ([""], "invalid GitHub environment name"),
        ([" prod"], "invalid GitHub environment name"),
        (["pr\nod"], "invalid GitHub environment name"),
        (["x" * 256], "invalid GitHub environment name"),
        (["prod", "Prod"], "repeats 'prod'"),
    ],
)
def test_bad_environments_are_rejected(environments, message):
    with pytest.raises(ValueError, match=message):
        plan_of(environments=environments)


def test_more_credentials_than_entra_allows_are_rejected():
    with pytest.raises(ValueError, match="at most 20"):
        plan_of(environments=[f"env{i}" for i in range(20)], pull_requests=True)
    plan, _ = plan_of(environments=[f"env{i}" for i in range(20)])
    assert len(plan.of_type(FEDERATED)) == 20


def test_owner_that_is_not_an_object_id_is_rejected():
    with pytest.raises(ValueError, match="invalid owner 'someone@example.com'"):
        plan_of(owners=["someone@example.com"])


def test_preview_only_identity_trusts_pull_requests_alone_under_its_own_name():
    plan, _ = plan_of(environments=[], pull_requests=True, qualifier="ci-preview")
    assert list(by_subject(plan)) == ["repo:example-org/ml-platform:pull_request"]
    assert "-ci-preview-" in only(plan, APPLICATION).inputs["displayName"]
