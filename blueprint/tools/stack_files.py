"""Editing stack files the way a person would: comments, key order and quoting kept, nothing half-written, nothing
lost to a concurrent edit.

``blueprint fork`` and ``blueprint promote`` change a few values in a file that people maintain by hand, so the
file is edited in place with a round-trip YAML parser (ruamel.yaml) rather than re-dumped, which would drop every
comment that explains a setting. The file is first read as the engine reads it (:mod:`blueprint.program.pulumi_yaml`), so an
edit never starts from a file Pulumi would refuse or read differently.

Writes are atomic (:mod:`blueprint.tools.atomic_files`) and compare-and-swap: just before the new content takes the
file's place, the file is locked (an exclusive ``flock``, which every fork and promote takes) and read again; if
it is no longer what the command read, nothing is written and the command asks to be run again. Two concurrent
promotes therefore never lose one of their changes.
"""

from __future__ import annotations

import codecs
import fcntl
import io
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError as RoundTripYAMLError

from blueprint.program import pulumi_yaml
from blueprint.tools.atomic_files import write_atomic, write_new
from blueprint.tools.errors import UsageError
from blueprint.program.project import Project, StackConfig, stack_config


@dataclass(frozen=True)
class StackFile:
    """A stack file as a command read it: its bytes (to notice a concurrent change) and its editable document."""

    path: Path
    shown: str
    content: bytes
    document: CommentedMap

    def edited_text(self) -> str:
        """The (edited) document as text, with the file's line endings and byte order mark kept."""
        text = self.with_line_endings(dump_document(self.document))
        return "\ufeff" + text if self.content.startswith(codecs.BOM_UTF8) else text

    def with_line_endings(self, text: str) -> str:
        """``text`` (as ruamel.yaml writes it: ``\n``, except comments, which keep a ``\r`` they were read with)
        with the file's line endings: CRLF when most of its lines end so, LF otherwise."""
        text = text.replace("\r\n", "\n")
        crlf = self.content.count(b"\r\n")
        return text.replace("\n", "\r\n") if crlf and 2 * crlf >= self.content.count(b"\n") else text


def read_stack_file(path: Path, shown: str) -> StackFile:
    """Read ``path`` for editing; ``shown`` is how errors name the file."""
    content = pulumi_yaml.read_bytes(path, shown)
    return StackFile(path, shown, content, parse_document(pulumi_yaml.decode(content, shown), shown))


def _round_trip() -> YAML:
    parser = YAML(typ="rt")
    parser.preserve_quotes = True
    parser.width = 4096  # never re-wrap a user's long lines
    parser.indent(mapping=2, sequence=4, offset=2)
    return parser


def load_document(path: Path, shown: str) -> CommentedMap:
    """The stack file as an editable document; ``shown`` is how errors name the file."""
    return read_stack_file(path, shown).document


def parse_document(text: str, shown: str) -> CommentedMap:
    """``text`` as an editable document, once it has passed every check the engine's reader would apply.

    ruamel.yaml alone would accept what Pulumi refuses (duplicate keys in some positions, alias bombs, any tag) or
    read it differently; composing it with :mod:`blueprint.program.pulumi_yaml` first means an edit never starts from a
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


def replace_unchanged(stack_file: StackFile, text: str) -> None:
    """Replace the stack file with ``text`` in one step, unless it changed since ``stack_file`` was read.

    A stack file that is a symbolic link stays one: the file it leads to is the one replaced (the lock and the
    comparison are on that file already, since opening the link opens it).
    """
    with unchanged_since_read(stack_file):
        write_atomic(Path(os.path.realpath(stack_file.path)), text)


def create_from(source: StackFile, target: Path, text: str) -> None:
    """Create ``target`` (never overwriting it) from ``source``, unless ``source`` changed since it was read."""
    with unchanged_since_read(source):
        write_new(target, text)


@contextmanager
def unchanged_since_read(stack_file: StackFile) -> Iterator[None]:
    """Hold the stack file's exclusive lock while the block runs, after checking it still holds what was read.

    Raises ``UsageError`` (nothing written) when another command (or person) changed it meanwhile.
    """
    descriptor = _lock(stack_file)
    try:
        try:
            with open(stack_file.path, "rb") as handle:
                current = handle.read(len(stack_file.content) + 1)
        except OSError:
            current = None
        if current != stack_file.content:
            raise UsageError(f"{stack_file.shown} changed since it was read; nothing written, run the command again")
        yield
    finally:
        os.close(descriptor)


def _lock(stack_file: StackFile) -> int:
    """An exclusive flock on the file now at the path: a writer replaces the file, so a lock taken on the file it
    replaced is dropped and taken again on the new one."""
    while True:
        try:
            descriptor = os.open(stack_file.path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise UsageError(f"{stack_file.shown} changed since it was read (it is gone); nothing written, run the command again") from None
        except OSError as error:
            raise UsageError(f"{stack_file.shown}: cannot be read: {error.strerror or error}") from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            current = os.path.samestat(os.fstat(descriptor), os.stat(stack_file.path))
        except FileNotFoundError:
            current = False
        except BaseException:
            os.close(descriptor)
            raise
        if current:
            return descriptor
        os.close(descriptor)
