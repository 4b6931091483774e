"""``GithubActionsIdentity``: the Entra ID identity CI deploys with, and no secret to go with it.

Why OpenID Connect: a client secret (or certificate) stored in GitHub can leak through a log, a fork or a
compromised action, works from anywhere until it expires, and must be rotated by hand. With workload identity
federation there is nothing to store: each job asks GitHub for a short-lived OIDC token, and Entra ID exchanges it
for an access token only if the token's issuer, subject and audience match one of the federated credentials made
here. The subject pins the repository and the GitHub environment, so a token from another repository, or from a job
outside the environment, is refused. The application therefore gets no password, no certificate and no redirect URI.

How a workflow uses it: the job needs ``permissions: id-token: write`` (and ``contents: read``) and
``environment: <name>`` matching one of :attr:`GithubActionsIdentity.subjects`; it then signs in with
``azure/login`` given ``client-id`` (:attr:`GithubActionsIdentity.client_id`), ``tenant-id`` and
``subscription-id``. The three are identifiers, not secrets: keep them as GitHub variables. Pulumi's Azure
providers do not reuse a service-principal ``az login``; they sign in themselves with ``ARM_USE_OIDC=true`` and
``ARM_CLIENT_ID``/``ARM_TENANT_ID``/``ARM_SUBSCRIPTION_ID`` set to the same values.

What it does not do: grant roles. The caller assigns the service principal (:attr:`service_principal_object_id`)
the narrowest roles the deployment needs. Every credential yields the same service principal, so a pull-request
credential gives preview jobs whatever the deployment identity may do: add it only when the identity's roles are
safe for code that has not been reviewed. Protection rules on the GitHub environments (required reviewers, allowed
branches) decide which jobs can claim an environment subject; set them in GitHub.

Subjects follow GitHub's default subject template (``repo:<owner>/<repo>:environment:<name>``); a repository or
organization that customizes its template needs matching subjects. Entra ID compares subjects case-sensitively,
so spell the repository and environments exactly as GitHub does.

Sources: GitHub "Configuring OpenID Connect in Azure" and "OpenID Connect reference"; Microsoft Learn "Workload
identity federation" and "Important considerations and restrictions for federated identity credentials".
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import NotRequired, TypedDict

import pulumi
import pulumi_azuread as azuread

from components.naming import NamingArgs, ResourceKind, namer_for
from components.validators import is_guid

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
"""Issuer of the OIDC tokens of GitHub Actions on github.com."""
AZURE_TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
"""Audience Entra ID expects in an external token it exchanges (the one ``azure/login`` requests)."""
MAX_FEDERATED_CREDENTIALS = 20
"""Entra ID accepts at most 20 federated identity credentials per application."""

# GitHub account (user or organization) names: letters, digits and single hyphens, not at either end, 1-39 long.
_OWNER = r"[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}"
# Repository names: 1-100 letters, digits, '.', '-' and '_' ('.' and '..' themselves are refused below).
_REPOSITORY = r"[A-Za-z0-9._-]{1,100}"
_REPOSITORY_RE = re.compile(rf"(?P<owner>{_OWNER})/(?P<name>{_REPOSITORY})")
_ENVIRONMENT_MAX = 255  # GitHub's limit on environment names
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
# Credential names: 3-120 characters, URL-friendly; the stricter managed-identity rule is followed so the same
# names would work there too (letters, digits, '-' and '_', starting with a letter or digit).
_CREDENTIAL_NAME_MAX = 120
_CREDENTIAL_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,119}")
_ENV_CREDENTIAL_PREFIX = "github-env-"
_PULL_REQUEST_CREDENTIAL = "github-pull-request"


class GithubActionsIdentityArgs(TypedDict):
    """Arguments of :class:`GithubActionsIdentity`."""

    naming: NamingArgs
    """How the application's display name is derived."""
    location: str
    """Azure region of the platform (part of the derived name)."""
    repository: str
    """GitHub repository allowed to sign in, as ``owner/repo``, spelled as on GitHub."""
    environments: Sequence[str]
    """GitHub environments whose jobs may sign in; one federated credential each."""
    pull_requests: NotRequired[bool]
    """Also trust pull-request jobs (default False). They get this same service principal, so a deploy
    identity should not set it: give previews their own identity with read-only roles instead."""
    qualifier: NotRequired[str]
    """Distinguishes several identities of one stack in their names (default ``ci``)."""
    owners: NotRequired[Sequence[pulumi.Input[str]]]
    """Object IDs of the users or service principals that own the application and service principal."""


class GithubActionsIdentity(pulumi.ComponentResource):
    """An Entra ID application and service principal trusted by GitHub Actions through OIDC, without secrets."""

    client_id: pulumi.Output[str]
    service_principal_object_id: pulumi.Output[str]
    application_object_id: pulumi.Output[str]
    subjects: list[str]

    def __init__(self, name: str, args: GithubActionsIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplatform:index:GithubActionsIdentity", name, None, opts)
        repository = _check_repository(name, args["repository"])
        environments = _check_environments(name, args["environments"], args.get("pull_requests", False))
        credentials = [(_environment_credential_name(e), environment_subject(repository, e)) for e in environments]
        if args.get("pull_requests", False):
            credentials.append((_PULL_REQUEST_CREDENTIAL, pull_request_subject(repository)))
        if len(credentials) > MAX_FEDERATED_CREDENTIALS:
            raise ValueError(
                f"GithubActionsIdentity {name}: {len(credentials)} federated credentials requested; Entra ID allows "
                f"at most {MAX_FEDERATED_CREDENTIALS} per application"
            )
        owners = _check_owners(name, args.get("owners"))
        namer = namer_for(args["naming"], args["location"])
        child = pulumi.ResourceOptions(parent=self)

        application = azuread.Application(
            f"{name}-app",
            display_name=namer.name(ResourceKind.APPLICATION, args.get("qualifier", "ci")),
            description=f"GitHub Actions deployment identity of {repository}: federated credentials only, no secrets.",
            notes=(
                f"Used by GitHub Actions workflows of {repository} to deploy with OpenID Connect. It signs in only "
                "through its federated identity credentials: do not add passwords or certificates. Managed by Pulumi."
            ),
            sign_in_audience="AzureADMyOrg",
            # Not a public client: no device-code or password flows on its behalf.
            fallback_public_client_enabled=False,
            # The derived name is unique per stack: an existing app with that name is a mistake, not a reuse.
            prevent_duplicate_names=True,
            owners=owners,
            opts=child,
        )

        principal = azuread.ServicePrincipal(
            f"{name}-sp",
            client_id=application.client_id,
            app_role_assignment_required=False,
            description=f"Service principal of the GitHub Actions deployment identity of {repository}.",
            owners=owners,
            opts=child,
        )

        for credential_name, subject in credentials:
            azuread.ApplicationFederatedIdentityCredential(
                f"{name}-{credential_name}",
                application_id=application.id,
                display_name=credential_name,
                description=f"GitHub Actions OIDC: {subject}",
                issuer=GITHUB_ISSUER,
                audiences=[AZURE_TOKEN_EXCHANGE_AUDIENCE],
                subject=subject,
                opts=child,
            )

        self.client_id = application.client_id
        self.service_principal_object_id = principal.object_id
        self.application_object_id = application.object_id
        self.subjects = [subject for _, subject in credentials]
        self.register_outputs(
            {
                "client_id": self.client_id,
                "service_principal_object_id": self.service_principal_object_id,
                "application_object_id": self.application_object_id,
                "subjects": self.subjects,
            }
        )


def environment_subject(repository: str, environment: str) -> str:
    """Subject of GitHub's OIDC token for a job of ``repository`` running in ``environment``."""
    return f"repo:{repository}:environment:{environment}"


def pull_request_subject(repository: str) -> str:
    """Subject of GitHub's OIDC token for a job of ``repository`` triggered by a pull request."""
    return f"repo:{repository}:pull_request"


def _check_repository(name: str, repository: object) -> str:
    """``owner/repo`` as GitHub allows it; anything else could never match a token's subject."""
    match = _REPOSITORY_RE.fullmatch(repository) if isinstance(repository, str) else None
    if match is None or match["name"] in (".", ".."):
        raise ValueError(
            f"GithubActionsIdentity {name}: invalid repository {repository!r}: expected 'owner/repo', the owner 1-39 "
            "letters, digits or single hyphens not at either end, the repository 1-100 letters, digits, '.', '-' "
            "or '_'"
        )
    return repository  # type: ignore[return-value]


def _check_environments(name: str, environments: object, pull_requests: bool) -> list[str]:
    """Something to trust (an environment or pull requests); names GitHub accepts, none repeated (GitHub
    ignores case in them)."""
    if isinstance(environments, str) or not isinstance(environments, Sequence):
        raise ValueError(
            f"GithubActionsIdentity {name}: environments must be a list of GitHub environment names, "
            f"got {environments!r}"
        )
    if not environments and not pull_requests:
        raise ValueError(
            f"GithubActionsIdentity {name}: environments must name at least one GitHub environment "
            "(or set pull_requests for a preview identity)"
        )
    seen: dict[str, str] = {}
    for environment in environments:
        if (
            not isinstance(environment, str)
            or not environment.strip()
            or environment != environment.strip()
            or len(environment) > _ENVIRONMENT_MAX
            or _CONTROL_RE.search(environment)
        ):
            raise ValueError(
                f"GithubActionsIdentity {name}: invalid GitHub environment name {environment!r}: expected 1-"
                f"{_ENVIRONMENT_MAX} characters, no control characters, no leading or trailing spaces"
            )
        key = environment.casefold()
        if key in seen:
            raise ValueError(
                f"GithubActionsIdentity {name}: environment {environment!r} repeats {seen[key]!r} "
                "(GitHub environment names ignore case)"
            )
        seen[key] = environment
    return list(environments)


def _check_owners(name: str, owners: Sequence[pulumi.Input[str]] | None) -> list[pulumi.Input[str]] | None:
    """Owner object IDs given as text must be GUIDs; outputs (e.g. the deploying principal's) pass through."""
    if owners is None:
        return None
    if isinstance(owners, str):
        raise ValueError(f"GithubActionsIdentity {name}: owners must be a list of object IDs, got {owners!r}")
    for owner in owners:
        if isinstance(owner, str) and not is_guid(owner):
            raise ValueError(f"GithubActionsIdentity {name}: invalid owner {owner!r}: expected an object ID (a GUID)")
    return list(owners)


def _environment_credential_name(environment: str) -> str:
    """A short, valid and stable credential name for ``environment``.

    Names that are not already valid (spaces, slashes, upper case, too long) are slugged and get a hash of the
    exact environment name, so two environments never share a credential name.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", environment.lower()).strip("-")
    candidate = _ENV_CREDENTIAL_PREFIX + slug
    if slug == environment and _CREDENTIAL_NAME_RE.fullmatch(candidate):
        return candidate
    digest = hashlib.sha256(environment.encode("utf-8")).hexdigest()[:6]
    room = _CREDENTIAL_NAME_MAX - len(_ENV_CREDENTIAL_PREFIX) - len(digest) - 1
    slug = slug[:room].strip("-")
    return f"{_ENV_CREDENTIAL_PREFIX}{slug}-{digest}" if slug else f"{_ENV_CREDENTIAL_PREFIX}{digest}"
