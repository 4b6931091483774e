"""Validate Azure ML CLI v2 YAML templates offline, with the loaders ``az ml`` itself uses.

Each template names its kind in ``$schema``; the matching azure-ai-ml ``load_*`` function parses it exactly as
``az ml <kind> create`` would, without a workspace. Its errors (marshmallow ``ValidationError`` or azure-ai-ml
exceptions, often wrapped in one another) become :class:`TemplateProblem` values naming the file, the field
path and, where the YAML shows it, the line. azure-ai-ml is imported inside :func:`check_templates` only.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from blueprint.tools.errors import UsageError

#: ``$schema`` kind -> azure-ai-ml loader. Two loaders are not exported by ``azure.ai.ml`` itself:
#: ``load_schedule`` and ``load_model_batch_deployment`` (the only loader that accepts the ``settings:`` block
#: of ``modelBatchDeployment``; ``load_batch_deployment`` rejects it as an unknown field).
LOADERS: dict[str, str] = {
    "environment": "load_environment",
    "commandComponent": "load_component",
    "pipelineComponent": "load_component",
    "pipelineJob": "load_job",
    "commandJob": "load_job",
    "managedOnlineEndpoint": "load_online_endpoint",
    "managedOnlineDeployment": "load_online_deployment",
    "batchEndpoint": "load_batch_endpoint",
    "batchDeployment": "load_batch_deployment",
    "modelBatchDeployment": "load_model_batch_deployment",
    "schedule": "load_schedule",
    "monitorSchedule": "load_schedule",
}

_SCHEMA_URL = re.compile(r"^https://azuremlschemas\.azureedge\.net/[^/]+/(?P<kind>[A-Za-z]+)\.schema\.json$")
_FILE = "(file)"
_SCHEMA_KEY = "$schema"
_MAX_MESSAGE = 400


class MissingDependencyError(UsageError):
    """azure-ai-ml is not installed, so templates cannot be loaded."""


@dataclass(frozen=True)
class TemplateProblem:
    """One reason a template would be refused: ``path`` is relative to the templates root."""

    path: str
    field: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = ""
        if self.line:
            where = f" (line {self.line}, column {self.column})" if self.column else f" (line {self.line})"
        return f"{self.path}: {self.field}: {self.message}{where}"


@dataclass(frozen=True)
class TemplateReport:
    """What a validation run looked at and what it found."""

    checked: list[str] = field(default_factory=list)
    problems: list[TemplateProblem] = field(default_factory=list)

    @property
    def invalid(self) -> list[str]:
        return sorted({problem.path for problem in self.problems})


def validate_templates(root: Path) -> list[TemplateProblem]:
    """Every problem in the templates under ``root``; empty when all load."""
    return check_templates(root).problems


def check_templates(root: Path) -> TemplateReport:
    """Load every ``*.yml``/``*.yaml`` with a ``$schema`` under ``root`` and collect the problems.

    Files without ``$schema`` (conda specifications, data) are skipped; a file that is not valid YAML is a
    problem whatever it is. Raises :class:`UsageError` when ``root`` is not a directory and
    :class:`MissingDependencyError` without azure-ai-ml.
    """
    if not root.is_dir():
        raise UsageError(f"{root}: no such directory (expected a directory of Azure ML templates; pass --path DIR)")
    loaders = _import_loaders()
    root = root.resolve()
    report = TemplateReport()
    for path in _yaml_files(root):
        relative = path.relative_to(root).as_posix()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            report.checked.append(relative)
            report.problems.append(TemplateProblem(relative, _FILE, f"cannot be read: {error}"))
            continue
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as error:
            report.checked.append(relative)
            report.problems.append(_syntax_problem(relative, error))
            continue
        if not isinstance(document, dict) or _SCHEMA_KEY not in document:
            continue
        report.checked.append(relative)
        found = _check_one(path, relative, text, document, loaders)
        report.problems.extend(_without_prefix(problem, f"{root}{os.sep}") for problem in found)
    return report


def _without_prefix(problem: TemplateProblem, prefix: str) -> TemplateProblem:
    """Messages name files relative to the root, as the problem's own path is."""
    return replace(problem, message=problem.message.replace(prefix, ""))


def _import_loaders() -> dict[str, Callable[..., Any]]:
    try:
        with _quiet():
            public = importlib.import_module("azure.ai.ml")
            private = importlib.import_module("azure.ai.ml.entities._load_functions")
    except ImportError as error:
        raise MissingDependencyError(
            f"azure-ai-ml is not installed ({error}); template validation loads the templates with it, and only the "
            "dev set-up installs it (requirements-dev.lock): run bash scripts/setup.sh --dev"
        ) from None
    return {kind: getattr(public, name, None) or getattr(private, name) for kind, name in LOADERS.items()}


def _yaml_files(root: Path) -> list[Path]:
    """YAML files under ``root``, sorted, outside hidden directories (``.venv``, ``.git``)."""
    found = [*root.rglob("*.yml"), *root.rglob("*.yaml")]
    return sorted(p for p in found if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts[:-1]))


def _check_one(path: Path, relative: str, text: str, document: dict[str, Any], loaders: dict[str, Callable[..., Any]]) -> list[TemplateProblem]:
    url = document[_SCHEMA_KEY]
    match = _SCHEMA_URL.match(url) if isinstance(url, str) else None
    kind = match.group("kind") if match else None
    if kind is None or kind not in loaders:
        supported = ", ".join(sorted(LOADERS))
        message = f"schema {url!r} is not supported; expected https://azuremlschemas.azureedge.net/latest/<kind>.schema.json with kind one of {supported}"
        return [TemplateProblem(relative, _SCHEMA_KEY, message, _line_of(text, [_SCHEMA_KEY]))]
    try:
        with _quiet():
            loaders[kind](str(path))
    except Exception as error:  # noqa: BLE001 - any refusal by the loader is a finding about this file
        return _problems_from_error(error, relative, text, document)
    return []


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence azure-ai-ml's log lines ("experimental class", "Warnings: [...]"): its errors are reported instead.

    Its loggers set their own levels and handlers, so only the process-wide switch silences them all.
    """
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(previous)


# --- turning loader errors into problems ---------------------------------------------------------------------


def _problems_from_error(error: BaseException, relative: str, text: str, document: dict[str, Any]) -> list[TemplateProblem]:
    """Problems from a loader's error, using the structured marshmallow messages wherever the chain has them.

    azure-ai-ml re-raises marshmallow's field-keyed error as a formatted string (and, for schedules, hides it
    behind a ``NotImplementedError``), so the chain is searched for the original mapping of field -> messages.
    """
    structured = _structured_messages(error)
    found = _flatten(structured, "") if structured is not None else []
    if found:
        return [TemplateProblem(relative, path or _FILE, message, _line_of(text, _split(path))) for path, message in found]
    message = _clean(str(error)) or type(error).__name__
    located = _locate_quoted_value(message, document)
    return [TemplateProblem(relative, located or _FILE, message, _line_of(text, _split(located)) if located else None)]


def _structured_messages(error: BaseException) -> dict[str, Any] | None:
    from marshmallow import ValidationError

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ValidationError) and isinstance(current.messages, dict):
            return current.messages
        current = current.__cause__ or current.__context__
    return None


def _flatten(messages: Any, path: str) -> list[tuple[str, str]]:
    """``(field path, message)`` pairs from marshmallow's nested messages.

    Mapping fields nest their errors under ``key``/``value``; those levels are not fields and are dropped.
    azure-ai-ml's union fields give one error per alternative as a list: the alternative needing the fewest
    fixes is the one the author meant (a data drift signal with a bad threshold, not a custom signal).
    """
    if isinstance(messages, dict):
        if path and messages and set(messages) <= {"key", "value"}:
            pairs = _flatten(messages.get("value", []), path)
            if "key" in messages:
                pairs += [(p, f"invalid key: {m}") for p, m in _flatten(messages["key"], path)]
            return pairs
        pairs = []
        for key, value in messages.items():
            pairs += _flatten(value, path if key == "_schema" else _join(path, key))
        return pairs
    if isinstance(messages, list):
        texts = [m for m in messages if isinstance(m, str)]
        if len(texts) == len(messages):
            unique = list(dict.fromkeys(_clean(t) for t in texts))
            return [(path, "; ".join(unique))] if unique else []
        alternatives = [_flatten(m, path) for m in messages]
        return min((a for a in alternatives if a), key=len, default=[])
    return [(path, _clean(str(messages)))]


def _join(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _split(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for token in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        parts.append(int(token[1:-1]) if token.startswith("[") else token)
    return parts


def _clean(message: str) -> str:
    text = " ".join(message.split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _locate_quoted_value(message: str, document: dict[str, Any]) -> str | None:
    """The field holding a value the message quotes (``got 'forty-two'``), when exactly one field holds it."""
    for quoted in re.findall(r"'([^']+)'", message):
        holders = [p for p, value in _scalars(document, "") if str(value) == quoted]
        if len(holders) == 1:
            return holders[0]
    return None


def _scalars(node: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _scalars(value, _join(path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _scalars(value, _join(path, index))
    else:
        yield path, node


def _line_of(text: str, parts: list[str | int]) -> int | None:
    """1-based line of the deepest node of ``parts`` present in the YAML (a field path may run into a file
    reference, e.g. ``jobs.train.component.inputs``: the line of ``component`` is where to look)."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for part in parts:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _syntax_problem(relative: str, error: yaml.YAMLError) -> TemplateProblem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    if mark is None:
        return TemplateProblem(relative, "(yaml)", _clean(message))
    return TemplateProblem(relative, "(yaml)", _clean(message), mark.line + 1, mark.column + 1)
