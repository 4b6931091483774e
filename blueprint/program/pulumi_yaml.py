"""Stack files and ``Pulumi.yaml`` read as the Pulumi CLI reads them (Go's yaml.v3), never as YAML 1.1.

PyYAML's ``safe_load`` follows YAML 1.1, so a stack file could mean one thing to the offline preview and another
to ``pulumi up``: ``namingPrefix: no`` became ``false``, a key given twice silently kept its last value, an unquoted
``startDate: 2026-12-01`` became a date object, and a 2 KB alias bomb cost seconds and hundreds of MB. This module
reads them the way the engine does, and refuses what it cannot read safely:

- YAML 1.2 core types: only ``true``/``false`` (``True``, ``TRUE``, ...) are booleans; ``null``, ``~`` and nothing
  are null; integers and floats follow the core schema; everything else, dates included, is the string the user
  wrote (yaml.v3 hands an untyped value the text of a timestamp). yaml.v3 also reads YAML 1.1's ``1_000``,
  ``0b101`` and ``012`` as numbers; here they follow the core schema (two strings and 12).
- A key given twice in one mapping is an error naming both lines, as yaml.v3 reports it.
- Bounded: at most ``MAX_BYTES`` of input and ``MAX_DEPTH`` levels of nesting, and aliases may not expand beyond
  yaml.v3's own "excessive aliasing" limit. Expansion is counted, never performed, so a bomb costs nothing.
- UTF-8 only (a byte order mark is allowed); an invalid byte is reported by line and byte offset.
- One document; only the core tags (``!!str``, ``!!int``, ``!!float``, ``!!bool``, ``!!null``, ``!!map``,
  ``!!seq``); merge keys (``<<``) as yaml.v3 applies them, the mapping's own keys winning.

Every problem raises :class:`~blueprint.program.errors.InputError` naming the file, the line and, where there is one, the
key. The parser is libyaml's event stream (PyYAML's C binding when built, its pure-Python twin otherwise); the
composer below is iterative, so neither nesting nor aliasing can exhaust the stack.
"""

from __future__ import annotations

import codecs
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, Union

import yaml
from yaml import events

from blueprint.program.errors import InputError

#: Largest file read: stack files are a few KB; anything near this is a mistake or an attack.
MAX_BYTES = 1024 * 1024
#: Deepest nesting of mappings and sequences accepted (the shipped stack files use 5).
MAX_DEPTH = 100

_PARSER = yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_DECIMAL = re.compile(r"[-+]?[0-9]+")
_OCTAL = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INFINITY = re.compile(r"[-+]?\.(inf|Inf|INF)")
_NAN = re.compile(r"\.(nan|NaN|NAN)")

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_CORE}str": str, f"{_CORE}int": int, f"{_CORE}float": float, f"{_CORE}bool": bool, f"{_CORE}null": type(None)}
_MERGE_TAG = f"{_CORE}merge"

_FOREIGN_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(eq=False)
class YamlScalar:
    """A plain value: ``value`` resolved by the 1.2 core schema, ``text`` as written (quotes and escapes undone)."""

    value: Any
    text: str
    line: int
    size: int = 1


@dataclass(eq=False)
class YamlSequence:
    items: list[YamlNode] = field(default_factory=list)
    line: int = 0
    size: int = 1


@dataclass(eq=False)
class YamlMapping:
    """Keys in document order; ``merges`` are the ``<<`` sources, applied under the mapping's own keys."""

    pairs: list[tuple[str, YamlNode]] = field(default_factory=list)
    merges: list[YamlNode] = field(default_factory=list)
    line: int = 0
    size: int = 1

    def items(self) -> list[tuple[str, YamlNode]]:
        """Key and value nodes with merge keys applied: own keys first in their order, merged keys after them."""
        own = dict(self.pairs)
        merged: dict[str, YamlNode] = {}
        for source in self.merges:
            for mapping in source.items if isinstance(source, YamlSequence) else [source]:
                assert isinstance(mapping, YamlMapping)  # checked when the document was composed
                for key, value in mapping.items():
                    if key not in own:
                        merged.setdefault(key, value)
        return [*own.items(), *merged.items()]

    def get(self, key: str) -> YamlNode | None:
        return next((value for name, value in self.items() if name == key), None)


YamlNode = Union[YamlScalar, YamlSequence, YamlMapping]


# --------------------------------------------------------------------------------------------------------------
# Reading a file
# --------------------------------------------------------------------------------------------------------------


def read_bytes(path: Path, shown: str) -> bytes:
    """The file's bytes, refused when it cannot be read or is larger than ``MAX_BYTES``."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except IsADirectoryError:
        raise InputError(f"{shown}: is a directory, not a YAML file") from None
    except OSError as error:
        raise InputError(f"{shown}: cannot be read: {error.strerror or error}") from None
    if len(data) > MAX_BYTES:
        raise InputError(f"{shown}: larger than {MAX_BYTES // 1024} KB; a stack file is a few KB (refusing to parse it)")
    return data


def decode(data: bytes, shown: str) -> str:
    """UTF-8 text without its byte order mark; an invalid byte is reported by line and offset."""
    if data.startswith(_FOREIGN_BOMS):
        raise InputError(f"{shown}: encoded as UTF-16 or UTF-32; save it as UTF-8")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise InputError(
            f"{shown}:{line}:{column}: not valid UTF-8: byte 0x{data[error.start]:02x} at offset {error.start} "
            "(save the file as UTF-8)"
        ) from None


def read_text(path: Path, shown: str) -> str:
    return decode(read_bytes(path, shown), shown)


def load_file(path: Path, shown: str) -> YamlNode | None:
    """The composed document of ``path`` (``None`` when empty)."""
    return compose(read_text(path, shown), shown)


# --------------------------------------------------------------------------------------------------------------
# Composing: events to nodes, with every check
# --------------------------------------------------------------------------------------------------------------


def compose(text: str, shown: str) -> YamlNode | None:
    """Parse ``text`` into nodes. Raises ``InputError`` for anything yaml.v3 refuses or this module bounds."""
    composer = _Composer(shown)
    text = text.removeprefix("\ufeff")
    try:
        for event in yaml.parse(text, Loader=_PARSER):
            composer.feed(event)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise InputError(f"{shown}{where}: not valid YAML: {error.problem or error.context}") from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1 if isinstance(error.position, int) else None
        raise InputError(f"{shown}{f':{line}' if line else ''}: not valid YAML: {error.reason} (character {error.character!r})") from None
    except yaml.YAMLError as error:
        raise InputError(f"{shown}: not valid YAML: {error}") from None
    return composer.root


def loads(text: str, shown: str) -> Any:
    """``text`` as plain Python data (dict, list, str, int, float, bool, None)."""
    node = compose(text, shown)
    return None if node is None else to_python(node)


def load(path: Path, shown: str) -> Any:
    """The file at ``path`` as plain Python data."""
    return loads(read_text(path, shown), shown)


class _Frame:
    """A mapping or sequence being composed: its node, where it sits, and (for a mapping) the pending key."""

    __slots__ = ("node", "anchor", "key", "seen")

    def __init__(self, node: YamlMapping | YamlSequence, anchor: str | None) -> None:
        self.node = node
        self.anchor = anchor
        self.key: str | None | object = None  # a key string, _MERGE, or None while a key is expected
        self.seen: dict[str, int] = {}


_MERGE = object()


class _Composer:
    def __init__(self, shown: str) -> None:
        self.shown = shown
        self.root: YamlNode | None = None
        self.stack: list[_Frame] = []
        self.anchors: dict[str, YamlNode] = {}
        self.open_anchors: set[str] = set()
        self.documents = 0
        self.decodes = 0
        self.alias_decodes = 0

    def feed(self, event: events.Event) -> None:
        line = event.start_mark.line + 1 if event.start_mark is not None else 0
        if isinstance(event, events.ScalarEvent):
            self.decodes += 1
            node: YamlNode = self._scalar(event, line)
            if event.anchor:
                self.anchors[event.anchor] = node
            self._add(node, line, is_plain_merge=not event.style and event.value == "<<" and event.tag in (None, _MERGE_TAG))
        elif isinstance(event, (events.MappingStartEvent, events.SequenceStartEvent)):
            self.decodes += 1
            if len(self.stack) >= MAX_DEPTH:
                self._fail(line, f"nested more than {MAX_DEPTH} levels deep")
            is_mapping = isinstance(event, events.MappingStartEvent)
            self._check_collection_tag(event.tag, is_mapping, line)
            collection: YamlMapping | YamlSequence = YamlMapping(line=line) if is_mapping else YamlSequence(line=line)
            if event.anchor:
                self.open_anchors.add(event.anchor)
            self.stack.append(_Frame(collection, event.anchor))
        elif isinstance(event, (events.MappingEndEvent, events.SequenceEndEvent)):
            frame = self.stack.pop()
            collection = frame.node
            if isinstance(collection, YamlMapping):
                collection.size += sum(1 + value.size for _, value in collection.pairs)
                collection.size += sum(1 + source.size for source in collection.merges)
            else:
                collection.size += sum(item.size for item in collection.items)
            if frame.anchor:
                self.open_anchors.discard(frame.anchor)
                self.anchors[frame.anchor] = collection
            self._add(collection, collection.line)
        elif isinstance(event, events.AliasEvent):
            self._alias(event.anchor, line)
        elif isinstance(event, events.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self._fail(line, "a second YAML document (---); a stack file holds one document")

    def _alias(self, name: str, line: int) -> None:
        target = self.anchors.get(name)
        if target is None:
            if name in self.open_anchors:
                self._fail(line, f"alias *{name} is inside the value of its own anchor &{name}")
            self._fail(line, f"alias *{name} refers to no anchor &{name} before it")
        # yaml.v3 decodes an alias by decoding its anchor's value again: count what that would cost.
        self.decodes += 1 + target.size
        self.alias_decodes += target.size
        if (
            self.alias_decodes > 100
            and self.decodes > 1000
            and self.alias_decodes / self.decodes > _allowed_alias_ratio(self.decodes)
        ):
            self._fail(
                line,
                f"excessive aliasing: aliases here expand to {self.alias_decodes:,} values in a document of "
                f"{self.decodes - self.alias_decodes:,} (Pulumi refuses such a file too)",
            )
        self._add(target, line)

    def _add(self, node: YamlNode, line: int, *, is_plain_merge: bool = False) -> None:
        if not self.stack:
            self.root = node
            return
        frame = self.stack[-1]
        parent = frame.node
        if isinstance(parent, YamlSequence):
            parent.items.append(node)
            return
        assert isinstance(parent, YamlMapping)
        if frame.key is None:  # this node is a key
            frame.key = self._key(frame, node, line, is_plain_merge)
            return
        if frame.key is _MERGE:
            if not _is_merge_source(node):
                self._fail(line, "a merge key (<<) takes a mapping or a list of mappings")
            parent.merges.append(node)
        else:
            parent.pairs.append((str(frame.key), node))
        frame.key = None

    def _key(self, frame: _Frame, node: YamlNode, line: int, is_plain_merge: bool) -> str | object:
        if not isinstance(node, YamlScalar):
            self._fail(line, "a mapping key must be a plain value, not a mapping or a list")
        key = node.text
        first = frame.seen.get(key)
        if first is not None:  # compared as written, as yaml.v3 compares them
            self._fail(line, f"key {key!r} given twice: here and at {self.shown}:{first} (Pulumi refuses a duplicate key)", key=key)
        frame.seen[key] = line
        if is_plain_merge:
            return _MERGE
        if node.value is None:
            self._fail(line, f"an empty (null) mapping key {key!r}")
        return key

    def _scalar(self, event: events.ScalarEvent, line: int) -> YamlScalar:
        text = event.value
        tag = event.tag
        if tag is None or tag == "!":
            plain = not event.style and tag is None
            return YamlScalar(self._resolve(text, line) if plain else text, text, line)
        wanted = _SCALAR_TAGS.get(tag)
        if wanted is None:
            self._fail(line, f"tag {_short(tag)} is not supported in a stack file (only plain values, lists and mappings)")
        if wanted is str:
            return YamlScalar(text, text, line)
        value = self._resolve(text, line)
        if wanted is float and type(value) is int:
            value = float(value)
        if type(value) is not wanted:
            self._fail(line, f"{_short(tag)} {text!r}: the value is not of that type")
        return YamlScalar(value, text, line)

    def _resolve(self, text: str, line: int) -> Any:
        """``_resolve``, with an integer Python will not convert to or from decimal text (more than
        ``sys.get_int_max_str_digits()`` digits: a ``ValueError`` anywhere it is printed or sent as JSON) refused here."""
        try:
            value = _resolve(text)
            if type(value) is int:
                str(value)  # the program receives it as text: it must convert
        except ValueError:
            self._fail(line, f"an integer too large to read ({len(text):,} characters; integers of more than {sys.get_int_max_str_digits():,} digits are refused)")
        return value

    def _check_collection_tag(self, tag: str | None, is_mapping: bool, line: int) -> None:
        if tag in (None, "!", f"{_CORE}map" if is_mapping else f"{_CORE}seq"):
            return
        self._fail(line, f"tag {_short(tag)} is not supported in a stack file (only plain values, lists and mappings)")

    def _fail(self, line: int, message: str, *, key: str | None = None) -> NoReturn:
        path = self._path(key)
        raise InputError(f"{self.shown}:{line}: {f'{path}: ' if path else ''}{message}")

    def _path(self, last_key: str | None) -> str:
        """Where the composer is, as a key path (``config.mlplatform:clusters[0].name``)."""
        parts = ""
        for frame in self.stack:
            if isinstance(frame.node, YamlSequence):
                parts += f"[{len(frame.node.items)}]"
            elif frame.key is not None:
                parts += ("." if parts else "") + (frame.key if isinstance(frame.key, str) else "<<")
        if last_key is not None:
            parts += ("." if parts else "") + last_key
        return parts if len(parts) <= 80 else parts[:77] + "..."


def _allowed_alias_ratio(decodes: int) -> float:
    """yaml.v3's rule: 99% of decodes may come from aliases in small documents, scaling down to 10% in huge ones."""
    low, high = 400_000, 4_000_000
    if decodes <= low:
        return 0.99
    if decodes >= high:
        return 0.10
    return 0.99 - 0.89 * (decodes - low) / (high - low)


def _is_merge_source(node: YamlNode) -> bool:
    if isinstance(node, YamlSequence):
        return all(isinstance(item, YamlMapping) for item in node.items)
    return isinstance(node, YamlMapping)


def _short(tag: str | None) -> str:
    return f"!!{tag.removeprefix(_CORE)}" if tag and tag.startswith(_CORE) else str(tag)


def _resolve(text: str) -> Any:
    """A plain scalar's value under the YAML 1.2 core schema."""
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if _DECIMAL.fullmatch(text):
        return int(text, 10)
    if _OCTAL.fullmatch(text):
        return int(text[2:], 8)
    if _HEX.fullmatch(text):
        return int(text[2:], 16)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _INFINITY.fullmatch(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.fullmatch(text):
        return math.nan
    return text


# --------------------------------------------------------------------------------------------------------------
# Constructing plain data
# --------------------------------------------------------------------------------------------------------------


def to_python(node: YamlNode) -> Any:
    """``node`` as plain data. An aliased value is built once and shared, so construction stays linear."""
    built: dict[int, Any] = {}

    def build(item: YamlNode) -> Any:
        if isinstance(item, YamlScalar):
            return item.value
        if id(item) in built:
            return built[id(item)]
        value: Any
        if isinstance(item, YamlSequence):
            value = [build(child) for child in item.items]
        else:
            value = {key: build(child) for key, child in item.items()}
        built[id(item)] = value
        return value

    return build(node)


def kind(node: YamlNode | None) -> str:
    """How messages name what a node holds."""
    if node is None or isinstance(node, YamlScalar) and node.value is None:
        return "nothing"
    if isinstance(node, YamlMapping):
        return "a mapping"
    if isinstance(node, YamlSequence):
        return "a list"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}[type(node.value)]
