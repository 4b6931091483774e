"""The wiring check: every Azure ML asset a stack or a template uses has something that publishes it.

A plan says what a stack's schedules, deployments, batch deployments and monitors use; ml_templates/ says what jobs,
pipelines, components, endpoints and monitors use. Publishers are what creates assets:

* the plan: registry asset versions (the shared stack's environments), the environments a stack's shared registry
  publishes (its ``environments`` output), data assets a retraining schedule registers from its outputs, and the
  data collectors' collections (``<endpoint>-<deployment>-<collection>``) that monitors read;
* the templates: pipeline outputs registered by ``name``, and models registered by a component that says which of
  its inputs names the model (tag ``registers_model_input``);
* the workflows: ``az ml <kind> create|share ... --registry-name`` commands, where a step that renders the templates
  (``blueprint templates render``) and creates components publishes every component the render writes.

Workflow publishers write to the registry the workflow reads from a stack, so they count for the checked stack's
registry. Versions are not compared: which versions exist is only known in Azure. A reference with no publisher is a
mandatory finding naming the reference and where it is made.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from blueprint.tools.assets import KIND_OF_KEY, Asset, parse_reference
from blueprint.tools.errors import UsageError
from blueprint.tools.templates.render import COMMAND_COMPONENT, PIPELINE_JOB, pipeline_component_name, schema_kind

POLICY = "asset-wiring"
DESCRIPTION = (
    "Every Azure ML asset a schedule, deployment, batch deployment, monitor, job, pipeline or component uses is "
    "published by the platform: a stack, a template or a workflow step."
)
#: The component tag naming the input whose value is the model a component registers.
REGISTERS_MODEL_INPUT = "registers_model_input"
_ML_TYPE = "azure-native:machinelearningservices:"
_REGISTRY_VERSION = re.compile(rf"^{_ML_TYPE}Registry(?P<kind>Environment|Component|Model|Data|Code)Version$")
_KIND_OF_TYPE = {"Environment": "environments", "Component": "components", "Model": "models", "Data": "data", "Code": "codes"}
_PARENT_INPUT = re.compile(r"^\$\{\{parent\.inputs\.(?P<name>\w+)\}\}$")
_ENV_VARIABLE = re.compile(r"\$\{?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\}?")


@dataclass(frozen=True)
class Reference:
    """One use of an asset: what it says, and the file or resource that says it."""

    asset: Asset
    text: str
    made_by: str
    urn: str | None = None


@dataclass(frozen=True)
class Publisher:
    asset: Asset
    by: str


def _strings(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, str(index)))
    elif isinstance(value, str):
        yield path, value


# -- the plan ------------------------------------------------------------------------------------------------------

def plan_references(plan: Any) -> list[Reference]:
    """Asset references in the inputs of the plan's Azure ML resources (publishers' own names excepted)."""
    references = []
    for resource in plan.resources:
        if not resource.type.startswith(_ML_TYPE) or _REGISTRY_VERSION.match(resource.type):
            continue
        for path, value in _strings(resource.inputs):
            asset = parse_reference(value)
            if asset is not None:
                references.append(Reference(asset, value, f"{resource.type.split(':')[-1]} {resource.name} ({'.'.join(path)})", resource.urn))
    return references


def plan_publishers(plan: Any) -> list[Publisher]:
    """What the stack itself publishes, or receives from its shared stack."""
    publishers = []
    for resource in plan.resources:
        inputs = resource.inputs
        if match := _REGISTRY_VERSION.match(resource.type):
            kind = match["kind"]
            name = inputs.get(f"{kind[0].lower()}{kind[1:]}Name") or inputs.get("name")
            publishers.append(Publisher(Asset(_KIND_OF_TYPE[kind], str(name), str(inputs.get("registryName"))), f"{resource.type.split(':')[-1]} {resource.name}"))
        elif resource.type == f"{_ML_TYPE}Schedule":
            outputs = (((inputs.get("properties") or {}).get("action") or {}).get("jobDefinition") or {}).get("outputs") or {}
            publishers += [Publisher(Asset("data", output["assetName"]), f"Schedule {resource.name} (output {name})")
                           for name, output in outputs.items() if isinstance(output, dict) and output.get("assetName")]
        elif resource.type == f"{_ML_TYPE}OnlineDeployment":
            collections = (((inputs.get("properties") or {}).get("dataCollector") or {}).get("collections")) or {}
            publishers += [Publisher(Asset("data", f"{inputs.get('endpointName')}-{inputs.get('deploymentName')}-{collection}"), f"OnlineDeployment {resource.name} (data collector)")
                           for collection in collections]
    environments = plan.outputs.get("environments")
    if isinstance(environments, dict):
        for uri in environments.values():
            asset = parse_reference(str(uri))
            if asset is not None:
                publishers.append(Publisher(asset, "the shared stack (environments output)"))
    return publishers


# -- the templates -------------------------------------------------------------------------------------------------

def _read_yaml(path: Path) -> Any:
    """A template or workflow the check must read: one it cannot read stops the check (it would pass unchecked)."""
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise UsageError(f"{path}: cannot read it to check the asset wiring: {error}") from None


def _templates(root: Path) -> dict[Path, dict[str, Any]]:
    documents = {}
    for path in sorted(root.rglob("*.y*ml")):
        document = _read_yaml(path)
        if isinstance(document, dict) and "$schema" in document:
            documents[path.resolve()] = document
    return documents


#: The templates under ml_templates/, read once per check: path -> document.
Templates = Mapping[Path, dict[str, Any]]


def template_references(templates: Templates, project_dir: Path) -> list[Reference]:
    """Asset references in ml_templates/: environments, models, components and data the templates name."""
    references = []
    for path, document in templates.items():
        where = path.relative_to(project_dir).as_posix()
        for keys, value in _strings(document):
            key = next((k for k in reversed(keys) if not k.isdigit()), "")
            if key not in KIND_OF_KEY:
                continue
            asset = parse_reference(value, key)
            if asset is not None:
                references.append(Reference(asset, value, f"{where} ({'.'.join(keys)})"))
    return references


def template_publishers(templates: Templates, project_dir: Path) -> list[Publisher]:
    """Data assets a pipeline registers from its outputs, and models its registering components register."""
    publishers = []
    for path, document in templates.items():
        if schema_kind(document) != PIPELINE_JOB:
            continue
        where = path.relative_to(project_dir).as_posix()
        inputs = document.get("inputs") or {}
        for name, output in (document.get("outputs") or {}).items():
            if isinstance(output, dict) and output.get("name"):
                publishers.append(Publisher(Asset("data", str(output["name"])), f"{where} (output {name})"))
        for job_name, job in (document.get("jobs") or {}).items():
            component = templates.get((path.parent / str(job.get("component", ""))).resolve())
            if component is None:  # a registry component, or a file `templates validate` reports
                continue
            model_input = (component.get("tags") or {}).get(REGISTERS_MODEL_INPUT)
            value = (job.get("inputs") or {}).get(model_input) if model_input else None
            if isinstance(value, str) and (match := _PARENT_INPUT.match(value)):
                value = inputs.get(match["name"])
            if isinstance(value, str):
                publishers.append(Publisher(Asset("models", value), f"{where} (job {job_name})"))
    return publishers


def _rendered_components(templates: Templates) -> list[str]:
    """The names of the components ``blueprint templates render`` writes: command components and pipeline components."""
    names = []
    for path, document in templates.items():
        if schema_kind(document) == COMMAND_COMPONENT and document.get("name"):
            names.append(str(document["name"]))
        elif schema_kind(document) == PIPELINE_JOB:
            names.append(pipeline_component_name(path))
    return names


# -- the workflows -------------------------------------------------------------------------------------------------

def workflow_publishers(workflows: Path, templates: Templates, project_dir: Path, registry: str) -> list[Publisher]:
    """What the workflows' ``az ml ... create|share`` commands publish into the registry the workflow reads."""
    publishers = []
    for path in sorted(workflows.glob("*.y*ml")):
        workflow = _read_yaml(path)
        if not isinstance(workflow, dict):
            continue
        where = path.relative_to(project_dir).as_posix()
        for job_name, job in (workflow.get("jobs") or {}).items():
            for step in job.get("steps") or []:
                script = step.get("run")
                if not isinstance(script, str):
                    continue
                variables = {**(workflow.get("env") or {}), **(job.get("env") or {}), **(step.get("env") or {})}
                label = f"{where}: job {job_name}, step {step.get('name') or step.get('id') or '?'}"
                publishers += _step_publishers(script, variables, templates, registry, label)
    return publishers


def _commands(script: str) -> Iterator[list[str]]:
    for line in script.replace("\\\n", " ").splitlines():
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        if words[:2] == ["az", "ml"]:
            yield words


def _option(words: list[str], *names: str) -> str | None:
    for name in names:
        if name in words[:-1]:
            return words[words.index(name) + 1]
    return None


def _step_publishers(script: str, variables: Mapping[str, Any], templates: Templates, registry: str, label: str) -> list[Publisher]:
    expand = lambda text: _ENV_VARIABLE.sub(lambda m: str(variables.get(m["name"], m.group(0))), text)  # noqa: E731
    publishers = []
    renders = "blueprint templates render" in script
    for words in _commands(script):
        if len(words) < 4 or words[3] not in ("create", "share") or _option(words, "--registry-name") is None:
            continue
        kind = {"model": "models", "environment": "environments", "component": "components", "data": "data"}.get(words[2])
        if kind is None:
            continue
        name = _option(words, "--share-with-name", "--name")
        if name is not None:
            publishers.append(Publisher(Asset(kind, expand(name), registry), label))
        elif kind == "components" and renders:
            publishers += [Publisher(Asset("components", component, registry), f"{label} (rendered templates)") for component in _rendered_components(templates)]
    return publishers


# -- the check -----------------------------------------------------------------------------------------------------

def unpublished(references: Iterable[Reference], publishers: Iterable[Publisher]) -> list[Reference]:
    published = {publisher.asset for publisher in publishers}
    return [reference for reference in references if reference.asset not in published]


@dataclass(frozen=True)
class ProjectWiring:
    """What ml_templates/ and the workflows use and publish, read once before any stack is previewed."""

    references: tuple[Reference, ...] = ()
    publishers: tuple[Publisher, ...] = ()
    workflow_assets: tuple[Publisher, ...] = ()
    """Publishers into the registry a workflow reads from its stack: their ``registry`` is filled in per stack."""


def read_project_wiring(project_dir: Path) -> ProjectWiring:
    """The templates' and workflows' side of the wiring; a file it cannot read is bad input (exit 2)."""
    project_dir = project_dir.resolve()  # the templates are keyed by resolved path (components name each other)
    folder = project_dir / "ml_templates"
    if not folder.is_dir():
        return ProjectWiring()
    templates = _templates(folder)
    return ProjectWiring(
        tuple(template_references(templates, project_dir)),
        tuple(template_publishers(templates, project_dir)),
        tuple(workflow_publishers(project_dir / ".github" / "workflows", templates, project_dir, "")),
    )


def check_wiring(plan: Any, project: ProjectWiring, stack: str) -> tuple[int, list[Any]]:
    """How many references the stack's wiring has, and a finding for each one nothing publishes. Templates are
    checked against stacks with a shared registry (the registry they run against)."""
    from blueprint.tools.policy_check import Finding

    references = plan_references(plan)
    publishers = plan_publishers(plan)
    registry = plan.outputs.get("registryName")
    if isinstance(registry, str):
        references += project.references
        publishers += project.publishers
        publishers += [Publisher(Asset(p.asset.kind, p.asset.name, registry), p.by) for p in project.workflow_assets]
    findings = []
    for reference in unpublished(references, publishers):
        hint = ""
        if reference.asset.registry and isinstance(registry, str) and reference.asset.registry != registry:
            hint = f"; this stack's registry is {registry} (blueprint templates render {stack} writes the templates for it)"
        findings.append(Finding(
            policy=POLICY, severity="high", enforcement="mandatory",
            message=f"{reference.made_by} uses {reference.text} ({reference.asset}), which nothing publishes{hint}",
            urn=reference.urn, stack=stack,
        ))
    return len(references), findings
