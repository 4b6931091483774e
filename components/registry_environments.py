"""``RegistryEnvironments``: publish curated environments into the shared Azure ML registry.

Each environment is a container (the name) and versions (the content). Versions are immutable and derived from
the template's content by the caller, so publishing an unchanged template creates nothing and a changed one adds a
version. Superseded versions are retained when Pulumi drops them from the program, because deployed models and
past jobs keep referring to them: reproducibility outlives the template.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import machinelearningservices as ml


class EnvironmentSpec(TypedDict):
    """One environment to publish."""

    name: str
    """Environment name, e.g. ``sklearn-training``."""
    version: str
    """Immutable version; derive it from content."""
    image: str
    """Base image."""
    conda_file: str
    """Conda specification, as text."""
    description: NotRequired[str]
    """What the environment is for."""
    tags: NotRequired[Mapping[str, str]]
    """Asset tags (e.g. the template file it came from)."""
    os_type: NotRequired[str]
    """Linux (default) or Windows."""


class RegistryEnvironmentsArgs(TypedDict):
    """Arguments of :class:`RegistryEnvironments`."""

    registry_name: pulumi.Input[str]
    """Name of the Azure ML registry."""
    resource_group_name: pulumi.Input[str]
    """Resource group of the registry."""
    environments: Sequence[EnvironmentSpec]
    """The environments to publish; names must be unique."""


class RegistryEnvironments(pulumi.ComponentResource):
    """Environment containers and content-versioned environment versions in a registry."""

    environment_ids: pulumi.Output[dict[str, str]]
    """Name -> ``azureml://registries/<registry>/environments/<name>/versions/<version>``, what jobs reference."""

    def __init__(self, name: str, args: RegistryEnvironmentsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplatform:index:RegistryEnvironments", name, None, opts)
        names = [spec["name"] for spec in args["environments"]]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"RegistryEnvironments {name}: duplicate environment names {', '.join(duplicates)}")

        references: dict[str, pulumi.Output[str]] = {}
        for spec in args["environments"]:
            container = ml.RegistryEnvironmentContainer(
                f"{name}-{spec['name']}",
                environment_name=spec["name"],
                registry_name=args["registry_name"],
                resource_group_name=args["resource_group_name"],
                properties=ml.EnvironmentContainerPropertiesArgs(
                    description=spec.get("description", ""),
                    tags=dict(spec.get("tags", {})),
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            ml.RegistryEnvironmentVersion(
                f"{name}-{spec['name']}-{spec['version']}",
                environment_name=spec["name"],
                version=spec["version"],
                registry_name=args["registry_name"],
                resource_group_name=args["resource_group_name"],
                properties=ml.EnvironmentVersionPropertiesArgs(
                    image=spec["image"],
                    conda_file=spec["conda_file"],
                    description=spec.get("description", ""),
                    os_type=spec.get("os_type", "Linux"),
                    tags=dict(spec.get("tags", {})),
                    auto_rebuild="Disabled",
                ),
                # Versions are immutable and referenced by jobs and deployments: keep them when superseded.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[container], retain_on_delete=True),
            )
            references[spec["name"]] = pulumi.Output.concat(
                "azureml://registries/", args["registry_name"], f"/environments/{spec['name']}/versions/{spec['version']}"
            )

        self.environment_ids = pulumi.Output.all(**references).apply(lambda ids: dict(sorted(ids.items())))
        self.register_outputs({"environment_ids": self.environment_ids})
