"""Render ml_templates/ for one stack: every registry reference made exact, every component content-versioned.

The templates name environments by their registry URI at ``labels/latest``, in the shared registry of the shipped
stacks. A stack knows better: its ``registryName`` and ``environments`` outputs (from its shared stack) say which
registry and which content version the platform published. Rendering pins those, gives each command component a
version derived from its content (its YAML and its code folder), points the pipeline's jobs at those registry
versions, and derives the pipeline component the retraining schedule runs (``<pipeline file stem>`` with
underscores, e.g. ``training_pipeline``) from the pipeline job, so the job CI submits and the component the schedule
runs are one definition. ``publish.tsv`` lists what the models workflow publishes, in order: the command components,
then the pipeline components that use them. An unchanged template renders the same version, so publishing it again
creates nothing.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from blueprint.tools.assets import parse_reference, registry_uri
from blueprint.tools.errors import UsageError

SCHEMA_BASE = "https://azuremlschemas.azureedge.net/latest/"
COMMAND_COMPONENT = "commandComponent.schema.json"
PIPELINE_JOB = "pipelineJob.schema.json"
PIPELINE_COMPONENT = "pipelineComponent.schema.json"
#: Keys of a pipeline job that a pipeline component does not have.
_JOB_ONLY_KEYS = ("settings", "experiment_name", "identity", "tags", "compute")
#: Literal input values -> the component input type that holds them.
_LITERAL_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"))
PUBLISH_LIST = "publish.tsv"
VERSION_CHARS = 12


@dataclass(frozen=True)
class Published:
    """One asset the rendered templates publish into the registry."""

    file: str
    """Rendered file, relative to the output folder."""
    name: str
    version: str


def pipeline_component_name(pipeline_file: Path) -> str:
    """``training-pipeline.yml`` -> ``training_pipeline``: component names take underscores, not hyphens."""
    return pipeline_file.stem.replace("-", "_")


def _load(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise UsageError(f"{path}: cannot read the template: {error}") from None


def schema_kind(document: Any) -> str:
    """``commandComponent.schema.json`` for a command component: the last part of a template's ``$schema``."""
    return str(document.get("$schema", "")).rsplit("/", 1)[-1] if isinstance(document, dict) else ""


def _pin_environments(value: Any, where: str, registry: str, environments: Mapping[str, str]) -> Any:
    """Every registry environment reference pinned to the version this stack's shared stack published, and every
    registry model reference moved to this stack's registry (its version is chosen when it is deployed)."""
    if isinstance(value, dict):
        return {key: (_pin_environment(item, f"{where}: {key}", registry, environments) if key == "environment" and isinstance(item, str)
                      else _in_registry(item, registry) if key == "model" and isinstance(item, str)
                      else _pin_environments(item, f"{where}: {key}", registry, environments)) for key, item in value.items()}
    if isinstance(value, list):
        return [_pin_environments(item, where, registry, environments) for item in value]
    return value


def _in_registry(reference: str, registry: str) -> str:
    asset = parse_reference(reference, "model")
    if asset is None or asset.registry is None:
        return reference
    return reference.replace(f"azureml://registries/{asset.registry}/", f"azureml://registries/{registry}/", 1)


def _pin_environment(reference: str, where: str, registry: str, environments: Mapping[str, str]) -> str:
    asset = parse_reference(reference, "environment")
    if asset is None or asset.registry is None:
        return reference  # a workspace environment: the wiring check reports it if nothing publishes it
    if asset.name not in environments:
        published = ", ".join(sorted(environments)) or "none"
        raise UsageError(f"{where}: {reference} names environment {asset.name!r}, which the stack's shared registry does not publish (it publishes: {published})")
    return environments[asset.name]


def _content_version(document: Mapping[str, Any], code: Path | None) -> str:
    digest = hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode())
    if code is not None:
        for file in sorted(p for p in code.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(file.relative_to(code).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:VERSION_CHARS]


def _component_input(value: Any) -> dict[str, Any]:
    """A pipeline job input as the pipeline component declares it: its type, with a literal as the default."""
    if isinstance(value, dict):
        return {key: item for key, item in value.items() if key in ("type", "optional", "description")}
    for python_type, input_type in _LITERAL_TYPES:
        if isinstance(value, python_type):
            return {"type": input_type, "default": value}
    raise UsageError(f"pipeline input value {value!r} has no component input type")


def render(templates: Path, registry: str, environments: Mapping[str, str], output: Path) -> list[Published]:
    """Write ``templates`` rendered for a stack into ``output`` (created; it must not exist yet) and return what
    the models workflow publishes, in order."""
    if output.exists():
        raise UsageError(f"--output {output}: already exists; render into a new folder (nothing was written)")
    documents = {path: _load(path) for path in sorted(templates.rglob("*.y*ml")) if "environments" not in path.relative_to(templates).parts}
    documents = {path: doc for path, doc in documents.items() if schema_kind(doc)}
    rendered: dict[Path, Any] = {}
    published: list[Published] = []
    versions: dict[Path, tuple[str, str]] = {}
    for path, document in documents.items():
        where = str(path.relative_to(templates))
        document = _pin_environments(document, where, registry, environments)
        if schema_kind(document) == COMMAND_COMPONENT:
            code = (path.parent / document["code"]).resolve() if "code" in document else None
            document = {**{k: v for k, v in document.items() if k != "version"}}
            document["version"] = _content_version(document, code)
            versions[path.resolve()] = (document["name"], document["version"])
            published.append(Published(where, document["name"], document["version"]))
        rendered[path] = document
    for path, document in list(rendered.items()):
        if schema_kind(document) != PIPELINE_JOB:
            continue
        jobs = copy.deepcopy(document.get("jobs") or {})
        for name, job in jobs.items():
            child = (path.parent / str(job.get("component", ""))).resolve()
            if child in versions:
                component, version = versions[child]
                job["component"] = registry_uri(registry, "components", component, version)
        rendered[path] = {**document, "jobs": jobs}
        component = _pipeline_component(path, rendered[path])
        target = path.with_name(f"{path.stem}-component.yml")
        rendered[target] = component
        published.append(Published(str(target.relative_to(templates)), component["name"], component["version"]))
    _write(templates, output, rendered, published)
    return published


def _pipeline_component(path: Path, job: Mapping[str, Any]) -> dict[str, Any]:
    """The pipeline job as a pipeline component: the same jobs and bindings, its inputs typed, no run settings."""
    component: dict[str, Any] = {
        "$schema": SCHEMA_BASE + PIPELINE_COMPONENT,
        "type": "pipeline",
        "name": pipeline_component_name(path),
        "display_name": job.get("display_name", pipeline_component_name(path)),
        "description": job.get("description", ""),
        "inputs": {name: _component_input(value) for name, value in (job.get("inputs") or {}).items()},
        "outputs": {name: {"type": spec.get("type", "uri_folder")} if isinstance(spec, dict) else {"type": "uri_folder"}
                    for name, spec in (job.get("outputs") or {}).items()},
        "jobs": job.get("jobs") or {},
    }
    component["version"] = _content_version({k: v for k, v in component.items() if k not in _JOB_ONLY_KEYS}, None)
    return component


def _write(templates: Path, output: Path, rendered: Mapping[Path, Any], published: list[Published]) -> None:
    """Everything into a folder beside ``output``, then renamed into place: a failure leaves nothing half-written."""
    staging = output.with_name(f".{output.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        shutil.copytree(templates, staging, ignore=shutil.ignore_patterns("__pycache__", "*.yml", "*.yaml", "environments"))
        for path, document in rendered.items():
            target = staging / path.relative_to(templates)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(yaml.safe_dump(document, sort_keys=False, width=120))
        (staging / PUBLISH_LIST).write_text("".join(f"{p.file}\t{p.name}\t{p.version}\n" for p in published))
        staging.rename(output)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise UsageError(f"--output {output}: cannot write: {error}") from None
