"""Editing stack files the way a person would: comments, key order and quoting kept, nothing half-written.

``blueprint fork`` and ``blueprint promote`` change a few values in a file that people maintain by hand, so the
file is edited in place with a round-trip YAML parser (ruamel.yaml) rather than re-dumped, which would drop every
comment that explains a setting. The file is first read as the engine reads it (:mod:`blueprint.pulumi_yaml`), so an
edit never starts from a file Pulumi would refuse or read differently. Writes are atomic
(:mod:`blueprint.atomic_files`): a failure at any point leaves the old file (or no file) behind, never a truncated one.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError as RoundTripYAMLError

from blueprint import pulumi_yaml
from blueprint.errors import UsageError
from blueprint.project import Project, StackConfig, stack_config


def _round_trip() -> YAML:
    parser = YAML(typ="rt")
    parser.preserve_quotes = True
    parser.width = 4096  # never re-wrap a user's long lines
    parser.indent(mapping=2, sequence=4, offset=2)
    return parser


def load_document(path: Path, shown: str) -> CommentedMap:
    """The stack file as an editable document; ``shown`` is how errors name the file."""
    return parse_document(pulumi_yaml.read_text(path, shown), shown)


def parse_document(text: str, shown: str) -> CommentedMap:
    """``text`` as an editable document, once it has passed every check the engine's reader would apply.

    ruamel.yaml alone would accept what Pulumi refuses (duplicate keys in some positions, alias bombs, any tag) or
    read it differently; composing it with :mod:`blueprint.pulumi_yaml` first means an edit never starts from a
    file the engine could not read.
    """
    pulumi_yaml.compose(text, shown)
    try:
        document = _round_trip().load(text)
    except RoundTripYAMLError as error:
        raise UsageError(f"{shown}: not valid YAML: {error}") from None
    if document is None:
        document = CommentedMap()
    if not isinstance(document, CommentedMap):
        raise UsageError(f"{shown}: expected a mapping with a config key, found {type(document).__name__}")
    config = document.get("config")
    if config is None:
        document["config"] = CommentedMap()
    elif not isinstance(config, CommentedMap):
        raise UsageError(f"{shown}: config: expected a mapping of keys to values, found {type(config).__name__}")
    return document


def dump_document(document: CommentedMap) -> str:
    stream = io.StringIO()
    _round_trip().dump(document, stream)
    return stream.getvalue()


def document_config(project: Project, text: str, shown: str) -> StackConfig:
    """What the engine would hand the program for a stack file with this text (read as the preview reads files)."""
    return stack_config(project, pulumi_yaml.compose(text, shown), shown)


def config_key(config: Mapping[str, Any], key: str, namespace: str) -> str:
    """How a stack file spells ``key``: namespaced (``mlplatform:key``) unless it already uses the bare form."""
    return key if key in config and f"{namespace}:{key}" not in config else f"{namespace}:{key}"


def plain(value: Any) -> Any:
    """A round-trip node as plain Python data (for reading values, not for writing them back)."""
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, CommentedSeq)):
        return [plain(item) for item in value]
    return value
