"""Azure built-in roles and the persona -> role matrix: who may do what on the platform, as data in one place.

Every human grant goes to an Entra group (never to a user), at the narrowest scope that works (a workspace, a
vault, a storage account, a registry; the resource group only for read-only monitoring), and never one of the
privileged roles at subscription scope. The matrix is rendered in the README and enforced by the components.

Role IDs: Azure built-in roles documentation (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


class BuiltInRole(str, enum.Enum):
    """Built-in roles the platform grants, by display name; :attr:`definition_guid` is the role's fixed ID."""

    AZUREML_DATA_SCIENTIST = "AzureML Data Scientist"
    AZUREML_COMPUTE_OPERATOR = "AzureML Compute Operator"
    AZUREML_REGISTRY_USER = "AzureML Registry User"
    READER = "Reader"
    MONITORING_READER = "Monitoring Reader"
    KEY_VAULT_SECRETS_USER = "Key Vault Secrets User"
    KEY_VAULT_SECRETS_OFFICER = "Key Vault Secrets Officer"
    KEY_VAULT_ADMINISTRATOR = "Key Vault Administrator"
    KEY_VAULT_CRYPTO_USER = "Key Vault Crypto User"
    KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER = "Key Vault Crypto Service Encryption User"
    STORAGE_BLOB_DATA_READER = "Storage Blob Data Reader"
    STORAGE_BLOB_DATA_CONTRIBUTOR = "Storage Blob Data Contributor"
    STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR = "Storage File Data Privileged Contributor"
    ACR_PULL = "AcrPull"
    ACR_PUSH = "AcrPush"
    CONTRIBUTOR = "Contributor"
    ROLE_BASED_ACCESS_CONTROL_ADMINISTRATOR = "Role Based Access Control Administrator"

    @property
    def definition_guid(self) -> str:
        return _ROLE_GUIDS[self]

    def definition_id(self, subscription_id: str) -> str:
        """The role definition's resource ID as role assignments reference it."""
        return f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{self.definition_guid}"


_ROLE_GUIDS: Mapping[BuiltInRole, str] = MappingProxyType(
    {
        BuiltInRole.AZUREML_DATA_SCIENTIST: "f6c7c914-8db3-469d-8ca1-694a8f32e121",
        BuiltInRole.AZUREML_COMPUTE_OPERATOR: "e503ece1-11d0-4e8e-8e2c-7a6c3bf38815",
        BuiltInRole.AZUREML_REGISTRY_USER: "1823dd4f-9b8c-4ab6-ab4e-7397a3684615",
        BuiltInRole.READER: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
        BuiltInRole.MONITORING_READER: "43d0d8ad-25c7-4714-9337-8ba259a9fe05",
        BuiltInRole.KEY_VAULT_SECRETS_USER: "4633458b-17de-408a-b874-0445c86b69e6",
        BuiltInRole.KEY_VAULT_SECRETS_OFFICER: "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
        BuiltInRole.KEY_VAULT_ADMINISTRATOR: "00482a5a-887f-4fb3-b363-3b7fe8e74483",
        BuiltInRole.KEY_VAULT_CRYPTO_USER: "12338af0-0e69-4776-bea7-57ae8d297424",
        BuiltInRole.KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER: "e147488a-f6f5-4113-8e2d-b22465e65bf6",
        BuiltInRole.STORAGE_BLOB_DATA_READER: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
        BuiltInRole.STORAGE_BLOB_DATA_CONTRIBUTOR: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        BuiltInRole.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR: "69566ab7-960f-475b-8e7c-b3118f30c6bd",
        BuiltInRole.ACR_PULL: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
        BuiltInRole.ACR_PUSH: "8311e382-0749-4cb8-b61a-304f252e45ec",
        BuiltInRole.CONTRIBUTOR: "b24988ac-6180-42a0-ab88-20f7382dd24c",
        BuiltInRole.ROLE_BASED_ACCESS_CONTROL_ADMINISTRATOR: "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    }
)

#: Role definition GUIDs never granted at subscription scope (Owner, Contributor, User Access Administrator).
PRIVILEGED_ROLE_GUIDS: Mapping[str, str] = MappingProxyType(
    {
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
        "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    }
)


class Persona(str, enum.Enum):
    """Who uses the platform. Each persona is one Entra group per environment."""

    DATA_SCIENTISTS = "dataScientists"
    ML_ENGINEERS = "mlEngineers"
    PLATFORM_OPERATORS = "platformOperators"
    READERS = "readers"

    @property
    def slug(self) -> str:
        """Used in group names: ``data-scientists``."""
        return {"dataScientists": "data-scientists", "mlEngineers": "ml-engineers",
                "platformOperators": "platform-operators", "readers": "readers"}[self.value]


class Scope(str, enum.Enum):
    """Where a role is granted: always a resource of the platform, never the subscription."""

    WORKSPACE = "workspace"
    KEY_VAULT = "keyVault"
    STORAGE = "storage"
    CONTAINER_REGISTRY = "containerRegistry"
    ML_REGISTRY = "mlRegistry"
    RESOURCE_GROUP = "resourceGroup"
    STATE_CONTAINER = "stateContainer"
    """The bootstrap stack's blob container holding every stack's Pulumi state."""
    SECRETS_KEY = "secretsKey"
    """A Key Vault key of the bootstrap stack used by Pulumi's azurekeyvault secrets provider."""
    ENCRYPTION_KEY = "encryptionKey"
    """The customer-managed key of a workspace, its storage and its registry (components.customer_key)."""


@dataclass(frozen=True)
class Grant:
    """One row of the matrix: ``role`` on ``scope``, and why."""

    role: BuiltInRole
    scope: Scope
    why: str


#: The persona -> role matrix. Change access here, and only here.
PERSONA_ROLES: Mapping[Persona, tuple[Grant, ...]] = MappingProxyType(
    {
        Persona.DATA_SCIENTISTS: (
            Grant(BuiltInRole.AZUREML_DATA_SCIENTIST, Scope.WORKSPACE, "run jobs, register models, use compute; no workspace or role changes"),
            Grant(BuiltInRole.STORAGE_BLOB_DATA_CONTRIBUTOR, Scope.STORAGE, "read and write datasets through identity-based datastores"),
            Grant(BuiltInRole.KEY_VAULT_SECRETS_USER, Scope.KEY_VAULT, "read connection secrets, never manage them"),
            Grant(BuiltInRole.ACR_PULL, Scope.CONTAINER_REGISTRY, "pull environment images for local debugging"),
            Grant(BuiltInRole.AZUREML_REGISTRY_USER, Scope.ML_REGISTRY, "use and publish shared environments and models"),
        ),
        Persona.ML_ENGINEERS: (
            Grant(BuiltInRole.AZUREML_DATA_SCIENTIST, Scope.WORKSPACE, "run pipelines, deploy endpoints"),
            Grant(BuiltInRole.AZUREML_COMPUTE_OPERATOR, Scope.WORKSPACE, "manage compute within the quotas set as code"),
            Grant(BuiltInRole.STORAGE_BLOB_DATA_CONTRIBUTOR, Scope.STORAGE, "manage training and monitoring data"),
            Grant(BuiltInRole.KEY_VAULT_SECRETS_USER, Scope.KEY_VAULT, "read connection secrets"),
            Grant(BuiltInRole.ACR_PUSH, Scope.CONTAINER_REGISTRY, "push custom environment images"),
            Grant(BuiltInRole.AZUREML_REGISTRY_USER, Scope.ML_REGISTRY, "promote models and environments between environments"),
        ),
        Persona.PLATFORM_OPERATORS: (
            Grant(BuiltInRole.READER, Scope.RESOURCE_GROUP, "see every platform resource; changes go through code and CI"),
            Grant(BuiltInRole.MONITORING_READER, Scope.RESOURCE_GROUP, "read metrics, logs and alerts"),
            Grant(BuiltInRole.AZUREML_COMPUTE_OPERATOR, Scope.WORKSPACE, "stop runaway compute in an incident"),
        ),
        Persona.READERS: (
            Grant(BuiltInRole.READER, Scope.WORKSPACE, "see experiments, models and endpoints"),
        ),
    }
)

#: What the workspace's own identity needs on its dependencies (Azure ML's documented minimum for a
#: user-assigned workspace identity with identity-based datastores).
WORKSPACE_IDENTITY_ROLES: tuple[Grant, ...] = (
    Grant(BuiltInRole.STORAGE_BLOB_DATA_CONTRIBUTOR, Scope.STORAGE, "system datastores use the identity, not keys"),
    Grant(BuiltInRole.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, Scope.STORAGE, "code snapshots and notebooks on the file share"),
    Grant(BuiltInRole.KEY_VAULT_ADMINISTRATOR, Scope.KEY_VAULT, "the workspace stores connection secrets in its vault"),
    Grant(BuiltInRole.ACR_PUSH, Scope.CONTAINER_REGISTRY, "image builds push environment images"),
)

#: What the encryption identity of a customer-managed key needs: Get, Wrap Key and Unwrap Key on that key only.
ENCRYPTION_IDENTITY_ROLES: tuple[Grant, ...] = (
    Grant(BuiltInRole.KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER, Scope.ENCRYPTION_KEY, "wrap and unwrap the data keys of the workspace, its storage and registry"),
)

#: What each compute cluster's identity needs to run jobs.
COMPUTE_IDENTITY_ROLES: tuple[Grant, ...] = (
    Grant(BuiltInRole.ACR_PULL, Scope.CONTAINER_REGISTRY, "pull environment images"),
    Grant(BuiltInRole.STORAGE_BLOB_DATA_CONTRIBUTOR, Scope.STORAGE, "read inputs and write outputs of jobs"),
    Grant(BuiltInRole.AZUREML_REGISTRY_USER, Scope.ML_REGISTRY, "use the shared registry's environments and models"),
)


#: Principal types the platform grants roles to: groups (people, through membership) and service principals
#: (workloads: applications and managed identities). Never individual users.
GRANTABLE_PRINCIPAL_TYPES: tuple[str, ...] = ("Group", "ServicePrincipal")

#: Role definition GUIDs whose holder may write role assignments, so any grant of them must be conditioned.
DELEGATING_ROLE_GUIDS: Mapping[str, str] = MappingProxyType(
    {
        "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    }
)


def delegation_condition(
    assignable: frozenset[BuiltInRole] | set[BuiltInRole], principal_types: tuple[str, ...] = GRANTABLE_PRINCIPAL_TYPES
) -> str:
    """ABAC condition for Role Based Access Control Administrator: it may create and delete assignments of
    ``assignable`` roles to ``principal_types`` only, so a deployment identity can grant neither itself (or anyone)
    Owner nor a data role to an individual user.

    The format is Microsoft's "Constrain roles and principal types" example ("Examples to delegate Azure role
    assignment management with conditions", Azure ABAC documentation): request attributes for writes, resource
    attributes for deletes. A write so constrained must state its principalType, which RoleAssignments always does.
    """
    guids = ", ".join(sorted(role.definition_guid for role in assignable))
    types = ", ".join(f"'{principal_type}'" for principal_type in principal_types)

    def constrained(source: str) -> str:
        return (
            f"@{source}[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{guids}}} AND "
            f"@{source}[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {{{types}}}"
        )

    return (
        "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
        f"({constrained('Request')})) AND "
        "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR "
        f"({constrained('Resource')}))"
    )


#: Roles the platform itself assigns, so the only ones its deployment identity may delegate.
PLATFORM_ASSIGNED_ROLES: frozenset[BuiltInRole] = frozenset(
    grant.role
    for grants in (*PERSONA_ROLES.values(), WORKSPACE_IDENTITY_ROLES, COMPUTE_IDENTITY_ROLES)
    for grant in grants
)

#: What the CI deployment identity gets: enough to run `pulumi up` on the platform's resource group, nothing at
#: subscription scope, and role delegation limited to the platform's own roles. It runs no ML job: training and
#: model sharing belong to the models identity, which holds no infrastructure role.
CI_DEPLOY_GRANTS: tuple[Grant, ...] = (
    Grant(BuiltInRole.CONTRIBUTOR, Scope.RESOURCE_GROUP, "create and update the platform's resources, in its resource group only"),
    Grant(BuiltInRole.ROLE_BASED_ACCESS_CONTROL_ADMINISTRATOR, Scope.RESOURCE_GROUP, "assign the platform's own roles to groups and service principals (conditioned to both)"),
)

#: What the models workflow's identity gets: run the training pipeline, deploy and smoke-test a 0% candidate in the
#: workspace, share the version it registered into the shared registry. The pipeline's steps run as the cluster's
#: own managed identity (COMPUTE_IDENTITY_ROLES), not as this one.
CI_MODELS_GRANTS: tuple[Grant, ...] = (
    Grant(BuiltInRole.AZUREML_DATA_SCIENTIST, Scope.WORKSPACE, "submit training pipelines, deploy and smoke-test candidates"),
    Grant(BuiltInRole.AZUREML_REGISTRY_USER, Scope.ML_REGISTRY, "share the version the pipeline registered into the shared registry"),
)

#: What pull-request runs get: read-only, for `pulumi preview`.
CI_PREVIEW_GRANTS: tuple[Grant, ...] = (
    Grant(BuiltInRole.READER, Scope.RESOURCE_GROUP, "read the platform's resources for previews"),
)

#: What each operator of the Pulumi state backend (administrators' group, CI identities) gets, on the container and
#: on each secrets-provider key rather than the account or the vault: what Pulumi's azblob backend and
#: azurekeyvault secrets provider use, nothing more.
STATE_OPERATOR_GRANTS: tuple[Grant, ...] = (
    Grant(BuiltInRole.STORAGE_BLOB_DATA_CONTRIBUTOR, Scope.STATE_CONTAINER, "read, write and lock stack state (the azblob backend authenticates with Entra ID)"),
    Grant(BuiltInRole.KEY_VAULT_CRYPTO_USER, Scope.SECRETS_KEY, "encrypt and decrypt each stack's data key (the azurekeyvault secrets provider)"),
)

#: What a read-only operator (a pull-request preview identity) gets: read state, decrypt secrets. The DIY backend
#: takes no lock for a preview, so reading is enough; Key Vault has no decrypt-only built-in role.
STATE_READER_GRANTS: tuple[Grant, ...] = (
    Grant(BuiltInRole.STORAGE_BLOB_DATA_READER, Scope.STATE_CONTAINER, "read stack state for previews (the azblob backend takes no lock for them)"),
    Grant(BuiltInRole.KEY_VAULT_CRYPTO_USER, Scope.SECRETS_KEY, "decrypt each stack's data key to show its secrets in previews"),
)
