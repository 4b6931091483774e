"""The pack config: the JSON file ``pulumi preview --policy-pack policies --policy-pack-config <file>`` takes, read and
validated in one place, for the pack under the Pulumi engine and for the offline tools (``blueprint check``,
``blueprint preview``, ``blueprint fork``).

What the engine accepts, accepted the same way: ``all`` and each policy name map to an enforcement level
(:data:`ENFORCEMENT_LEVELS`, case-sensitive) or to an object of an optional ``enforcementLevel`` and the policy's
properties, which must match the policy's ``config_schema`` (wrapped as the engine wraps it: :func:`engine_schema`).
Every policy of this pack declares :data:`WAIVERS_PROPERTY`, so ``pulumi preview --policy-pack`` refuses a malformed
waiver too.

Stricter than the engine where the engine is silent and a typo would quietly switch a control off:

* a name that is not one of the pack's policies is an error (the engine ignores config for unknown policies);
* a property the policy's schema does not declare is an error (the engine drops the schema's top-level
  ``additionalProperties``), and ``all`` takes nothing but an enforcement level;
* an empty file, duplicate JSON keys, a waiver's calendar date and the same resource waived twice are checked here.

A waiver names one resource (its logical name or URN), gives a reason of at least a sentence
(:data:`REASON_MIN_CHARACTERS` characters and :data:`REASON_MIN_WORDS` words) and may expire
(``"expires": "YYYY-MM-DD"``): from that date on (UTC, :func:`today`) it no longer applies and the violation is
reported again, saying when the waiver expired.

Standard library only, besides ``jsonschema`` imported when a config is validated: the pack imports this module when
the engine loads it, and validation happens offline.
"""

from __future__ import annotations

import datetime
import difflib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Pulumi's enforcement levels (``apitype.EnforcementLevel.IsValid``), spelled exactly so.
ENFORCEMENT_LEVELS = ("advisory", "mandatory", "remediate", "disabled")
#: The level of a policy the config does not mention: the pack's own (``policies/__main__.py``).
DEFAULT_LEVEL = "mandatory"
#: The key that sets every policy's level at once.
ALL_POLICIES = "all"
LEVEL_KEY = "enforcementLevel"

REASON_MIN_CHARACTERS = 20
REASON_MIN_WORDS = 4
#: JSON Schema patterns, written for both regex engines (Go's RE2 in the engine, Python's ``re`` offline).
_REASON_PATTERN = r"^\s*\S+(\s+\S+){%d}" % (REASON_MIN_WORDS - 1)
#: At least REASON_MIN_CHARACTERS characters that are not spaces: padding does not make a sentence.
_REASON_CHARACTERS_PATTERN = r"^\s*(\S\s*){%d}" % REASON_MIN_CHARACTERS
_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

_REASON_RULE = f"a reason of at least a sentence ({REASON_MIN_CHARACTERS} characters besides spaces, and {REASON_MIN_WORDS} words)"
_DATE_RULE = "a date YYYY-MM-DD"

WAIVER_ITEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "x-expected": 'a waiver: an object with "resource", "reason" and optionally "expires"',
    "properties": {
        "resource": {
            "type": "string",
            "minLength": 1,
            "pattern": r"\S",
            "description": "The waived resource: its logical name (as in the plan) or its URN.",
            "x-expected": "the logical name or URN of a resource",
        },
        "reason": {
            "type": "string",
            "minLength": REASON_MIN_CHARACTERS,
            "pattern": _REASON_PATTERN,
            "allOf": [{"pattern": _REASON_CHARACTERS_PATTERN, "x-expected": _REASON_RULE}],
            "description": "Why the resource is exempt; every report shows it.",
            "x-expected": _REASON_RULE,
        },
        "expires": {
            "type": "string",
            "pattern": _DATE_PATTERN,
            "format": "date",
            "description": "The date (UTC) from which the waiver no longer applies.",
            "x-expected": _DATE_RULE,
        },
    },
    "required": ["resource", "reason"],
    "additionalProperties": False,
}
#: The ``waivers`` property every policy of the pack declares in its ``config_schema``.
WAIVERS_PROPERTY: dict[str, Any] = {
    "type": "array",
    "description": "Resources exempt from this policy, each with the reason reviewers see in every report.",
    "x-expected": 'a list of waivers, each {"resource": ..., "reason": ..., "expires": "YYYY-MM-DD"}',
    "items": WAIVER_ITEM_SCHEMA,
}

_TODAY: ContextVar[datetime.date | None] = ContextVar("pack_config_today", default=None)


def today() -> datetime.date:
    """The date waivers' expiry is compared with: the current UTC date, unless :func:`evaluation_date` pins one."""
    return _TODAY.get() or datetime.datetime.now(datetime.timezone.utc).date()


@contextmanager
def evaluation_date(day: datetime.date) -> Iterator[None]:
    """Evaluate as if today were ``day`` (tests, and reproducing a past verdict)."""
    token = _TODAY.set(day)
    try:
        yield
    finally:
        _TODAY.reset(token)


class PackConfigError(ValueError):
    """A pack config that cannot be applied: every problem, each naming the file and the key (or line and column)."""

    def __init__(self, source: str, problems: Sequence[str], *, line: int | None = None, column: int | None = None) -> None:
        self.source = source
        self.problems = list(problems)
        where = source if line is None else f"{source}:{line}:{column}"
        super().__init__("\n".join(f"{where}: {problem}" for problem in self.problems))


@dataclass(frozen=True)
class Waiver:
    """One resource exempt from one policy."""

    resource: str
    reason: str
    expires: datetime.date | None = None

    def expired(self, on: datetime.date) -> bool:
        """Whether the waiver no longer applies ``on`` that date (it stops applying on its ``expires`` date)."""
        return self.expires is not None and on >= self.expires

    def shown(self) -> str:
        """The reason as reports show it, with the expiry when there is one."""
        return self.reason if self.expires is None else f"{self.reason} (expires on {self.expires.isoformat()})"


def waivers_of(properties: Mapping[str, Any] | None) -> list[Waiver]:
    """The waivers in a policy's properties, as a policy reads them at evaluation (``args.get_config()``, which is
    ``None`` under the engine when a policy has no properties). The config was validated before; an entry that is
    not a waiver waives nothing, and an unreadable expiry counts as expired."""
    waivers = []
    for entry in (properties or {}).get("waivers") or []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("resource"), str) or not isinstance(entry.get("reason"), str):
            continue
        expires = entry.get("expires")
        waivers.append(Waiver(entry["resource"], entry["reason"], None if expires is None else _date(expires) or datetime.date.min))
    return waivers


@dataclass(frozen=True)
class PolicyWaiver:
    """A waiver where the config file holds it: under ``policy``, at ``waivers[index]``."""

    policy: str
    index: int
    waiver: Waiver

    @property
    def key(self) -> str:
        return f"{self.policy}.waivers[{self.index}]"


@dataclass(frozen=True)
class PackConfig:
    """A validated pack config: the levels and properties the engine would apply to each policy."""

    source: str
    """The file it was read from, as messages name it."""
    document: Mapping[str, Any] = field(default_factory=dict)

    def level(self, policy: str) -> str:
        """The policy's enforcement level: its own entry's, else ``all``'s, else the pack's default."""
        entry = self.document.get(policy)
        if isinstance(entry, str):
            return entry
        if isinstance(entry, Mapping) and LEVEL_KEY in entry:
            return str(entry[LEVEL_KEY])
        every = self.document.get(ALL_POLICIES)
        if isinstance(every, Mapping):
            every = every.get(LEVEL_KEY)
        return every if isinstance(every, str) else DEFAULT_LEVEL

    def properties(self, policy: str) -> dict[str, Any]:
        """What the policy reads from ``args.get_config()``: its entry less ``enforcementLevel``."""
        entry = self.document.get(policy)
        return {k: v for k, v in entry.items() if k != LEVEL_KEY} if isinstance(entry, Mapping) else {}

    def settings(self, policy: str) -> tuple[str, dict[str, Any]]:
        return self.level(policy), self.properties(policy)

    def waivers(self) -> list[PolicyWaiver]:
        """Every waiver of the file, in file order."""
        return [
            PolicyWaiver(policy, index, waiver)
            for policy in self.document
            if policy != ALL_POLICIES
            for index, waiver in enumerate(waivers_of(self.properties(policy)))
        ]


def defaults(source: str = "(no pack config)") -> PackConfig:
    """No config file: every policy at the pack's default level, as the engine runs the pack without one."""
    return PackConfig(source, {})


# --- Reading ----------------------------------------------------------------------------------------------------


def read(path: Path, policies: Sequence[Any], source: str | None = None) -> PackConfig:
    """Read, parse and validate the config file at ``path`` for ``policies``; raises :class:`PackConfigError`."""
    source = source or str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PackConfigError(source, ["no such file"]) from None
    except IsADirectoryError:
        raise PackConfigError(source, ["is a directory; expected a JSON file"]) from None
    except OSError as error:
        raise PackConfigError(source, [f"cannot be read: {error.strerror or error}"]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PackConfigError(source, [f"not UTF-8 text (byte {error.start}); expected a JSON file"]) from None
    return validate(parse(text, source), policies, source)


def parse(text: str, source: str) -> Any:
    """The JSON document in ``text``. Refuses an empty file (the engine would silently apply the defaults) and
    duplicate keys (JSON parsers keep the last one, so the first would be silently ignored)."""
    if not text.strip():
        raise PackConfigError(source, ['empty; expected a JSON object such as {"all": "mandatory"}'])
    duplicated: list[str] = []

    def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        duplicated.extend(key for index, key in enumerate(keys) if key in keys[:index])
        return dict(pairs)

    def refuse_constant(name: str) -> Any:
        raise PackConfigError(source, [f"not valid JSON: {name} is not a JSON number (the engine cannot read it)"])

    try:
        document = json.loads(text, object_pairs_hook=unique_keys, parse_constant=refuse_constant)
    except json.JSONDecodeError as error:
        raise PackConfigError(source, [f"not valid JSON: {error.msg}"], line=error.lineno, column=error.colno) from None
    except RecursionError:
        raise PackConfigError(source, ["nested too deeply to read; expected a pack config (a few levels of objects)"]) from None
    except ValueError as error:  # a number too long to convert (Python's integer string limit)
        raise PackConfigError(source, [f"not readable: {error}"]) from None
    if duplicated:
        key, position = _first_duplicate_key(text)
        line, column = _line_and_column(text, position)
        raise PackConfigError(source, [f"{key}: appears twice; expected each key once (JSON keeps only the last)"],
                              line=line, column=column)
    return document


def _first_duplicate_key(text: str) -> tuple[str, int]:
    """The key path and offset of the first key repeated in its object (``text`` is known to be valid JSON)."""
    decoder = json.JSONDecoder()

    def skip(index: int) -> int:
        while text[index] in " \t\r\n":
            index += 1
        return index

    def walk(index: int, path: str) -> int:
        index = skip(index)
        if text[index] == "{":
            seen: set[str] = set()
            index = skip(index + 1)
            while text[index] != "}":
                key, end = json.decoder.scanstring(text, index + 1)
                key_path = f"{path}.{key}" if path else key
                if key in seen:
                    raise _Duplicate(key_path, index)
                seen.add(key)
                index = skip(walk(skip(end) + 1, key_path))  # past the colon, then the value
                if text[index] == ",":
                    index = skip(index + 1)
            return index + 1
        if text[index] == "[":
            index, position = skip(index + 1), 0
            while text[index] != "]":
                index = skip(walk(index, f"{path}[{position}]"))
                position += 1
                if text[index] == ",":
                    index = skip(index + 1)
            return index + 1
        return decoder.raw_decode(text, index)[1]

    try:
        walk(0, "")
    except _Duplicate as found:
        return found.key, found.position
    raise AssertionError("a duplicate key was reported but not found")  # the parser and this walk disagree


class _Duplicate(Exception):
    def __init__(self, key: str, position: int) -> None:
        super().__init__(key)
        self.key, self.position = key, position


def _line_and_column(text: str, position: int) -> tuple[int, int]:
    return text.count("\n", 0, position) + 1, position - text.rfind("\n", 0, position)


# --- Validation -------------------------------------------------------------------------------------------------


def validate(document: Any, policies: Sequence[Any], source: str) -> PackConfig:
    """``document`` as a :class:`PackConfig` for ``policies`` (objects with ``name`` and ``config_schema``, as
    ``pulumi_policy`` declares them); raises :class:`PackConfigError` listing every problem."""
    if not isinstance(document, Mapping):
        raise PackConfigError(source, [
            f"expected a JSON object of policy names (or \"{ALL_POLICIES}\") to enforcement levels or settings, "
            f"found {_found(document)}"
        ])
    by_name = {policy.name: policy for policy in policies}
    problems: list[str] = []
    for key, value in document.items():
        if key == ALL_POLICIES:
            problems += _all_problems(value)
        elif key in by_name:
            problems += _policy_problems(key, value, getattr(by_name[key], "config_schema", None))
        else:
            close = difflib.get_close_matches(key, [ALL_POLICIES, *by_name], n=1, cutoff=0.75)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(f"{key}: expected the name of a policy of this pack or \"{ALL_POLICIES}\", found an unknown "
                            f"policy name{hint}; the Pulumi engine would ignore it silently")
    if problems:
        raise PackConfigError(source, list(dict.fromkeys(problems)))  # a too short reason breaks two rules: say it once
    config = PackConfig(source, document)
    if all(config.level(policy.name) == "disabled" for policy in policies):
        raise PackConfigError(source, [
            f"every policy of the pack is disabled, so nothing would be checked and every stack would pass; expected "
            f"at least one policy enabled (\"{ALL_POLICIES}\": \"mandatory\" with the exceptions named)"
        ])
    return config


def engine_schema(config_schema: Any) -> dict[str, Any]:
    """A policy's ``config_schema`` as the engine validates its properties: an object of ``properties`` and
    ``required`` (the engine keeps nothing else at the top level)."""
    schema: dict[str, Any] = {"type": "object"}
    if config_schema is not None and config_schema.properties:
        schema["properties"] = dict(config_schema.properties)
    if config_schema is not None and config_schema.required:
        schema["required"] = list(config_schema.required)
    return schema


def _level_problem(key: str, value: Any) -> str | None:
    if isinstance(value, str) and value in ENFORCEMENT_LEVELS:
        return None
    hint = ""
    if isinstance(value, str) and value.strip().lower() in ENFORCEMENT_LEVELS:
        hint = f' (did you mean "{value.strip().lower()}"? levels are lower case)'
    elif isinstance(value, str) and (close := difflib.get_close_matches(value.lower(), ENFORCEMENT_LEVELS, n=1, cutoff=0.6)):
        hint = f' (did you mean "{close[0]}"?)'
    return f"{key}: expected one of {', '.join(ENFORCEMENT_LEVELS)}, found {_found(value)}{hint}"


def _all_problems(value: Any) -> list[str]:
    if isinstance(value, str):
        return [problem] if (problem := _level_problem(ALL_POLICIES, value)) else []
    if not isinstance(value, Mapping):
        return [f"{ALL_POLICIES}: expected one of {', '.join(ENFORCEMENT_LEVELS)} (or {{\"{LEVEL_KEY}\": ...}}), "
                f"found {_found(value)}"]
    problems = [
        f"{ALL_POLICIES}.{key}: expected only {LEVEL_KEY} under \"{ALL_POLICIES}\", found another key (waivers and "
        "settings go under a policy's name; the Pulumi engine would ignore them here)"
        for key in value if key != LEVEL_KEY
    ]
    if LEVEL_KEY not in value:
        problems.append(f"{ALL_POLICIES}: expected {{\"{LEVEL_KEY}\": ...}} with one of {', '.join(ENFORCEMENT_LEVELS)}, "
                        f"found an object without {LEVEL_KEY}")
    elif problem := _level_problem(f"{ALL_POLICIES}.{LEVEL_KEY}", value[LEVEL_KEY]):
        problems.append(problem)
    return problems


def _policy_problems(name: str, value: Any, config_schema: Any) -> list[str]:
    if isinstance(value, str):
        return [problem] if (problem := _level_problem(name, value)) else []
    if not isinstance(value, Mapping):
        return [f"{name}: expected one of {', '.join(ENFORCEMENT_LEVELS)}, or an object of {LEVEL_KEY} and the "
                f"policy's settings, found {_found(value)}"]
    problems = []
    if LEVEL_KEY in value and (problem := _level_problem(f"{name}.{LEVEL_KEY}", value[LEVEL_KEY])):
        problems.append(problem)
    properties = {k: v for k, v in value.items() if k != LEVEL_KEY}
    declared = list(engine_schema(config_schema).get("properties", {}))
    known = [LEVEL_KEY, *declared]
    for key in properties:
        if key not in declared:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(f"{name}.{key}: expected one of the keys {', '.join(known)}, found an unknown key{hint}")
    problems += _schema_problems(name, {k: v for k, v in properties.items() if k in declared}, config_schema)
    problems += _waiver_problems(name, properties.get("waivers"))
    return problems


def _schema_problems(name: str, properties: Mapping[str, Any], config_schema: Any) -> list[str]:
    """The problems the engine would find with the policy's properties (its JSON Schema), in file order."""
    from jsonschema import Draft7Validator  # deferred: only validation needs it, never the engine's pack

    from components.schema_patterns import with_engine_patterns  # RE2's `$` and `\s`, as the engine reads them

    validator = with_engine_patterns(Draft7Validator)(engine_schema(config_schema))
    problems: list[str] = []
    for error in sorted(validator.iter_errors(dict(properties)), key=lambda e: [str(p) for p in e.absolute_path]):
        path = _key_path(name, error.absolute_path)
        if error.validator == "required":
            missing = [key for key in error.validator_value if isinstance(error.instance, Mapping) and key not in error.instance]
            problems += [
                f"{path}.{key}: expected {_expected(error.schema.get('properties', {}).get(key, {}))}, "
                "found nothing (the key is required)"
                for key in missing
            ]
        elif error.validator == "additionalProperties" and error.validator_value is False:
            known = list(error.schema.get("properties", {}))
            for key in error.instance:
                if key not in known:
                    close = difflib.get_close_matches(key, known, n=1)
                    hint = f" (did you mean {close[0]}?)" if close else ""
                    problems.append(f"{path}.{key}: expected one of the keys {', '.join(known)}, found an unknown key{hint}")
        else:
            problems.append(f"{path}: expected {_expected(error.schema)}, found {_found(error.instance)}")
    return problems


def _waiver_problems(name: str, waivers: Any) -> list[str]:
    """What JSON Schema cannot say: a real calendar date, and each resource waived once."""
    if not isinstance(waivers, list):
        return []
    problems = []
    first: dict[str, int] = {}
    for index, waiver in enumerate(waivers):
        if not isinstance(waiver, Mapping):
            continue
        expires = waiver.get("expires")
        if isinstance(expires, str) and _DATE.fullmatch(expires) and _date(expires) is None:
            problems.append(f"{name}.waivers[{index}].expires: expected {_DATE_RULE} that exists in the calendar, "
                            f"found {_found(expires)}")
        resource = waiver.get("resource")
        if isinstance(resource, str):
            if resource in first:
                problems.append(f"{name}.waivers[{index}].resource: expected each resource waived once per policy, "
                                f"found {_found(resource)} again (also waivers[{first[resource]}])")
            first.setdefault(resource, index)
    return problems


def _date(text: Any) -> datetime.date | None:
    if not isinstance(text, str) or not _DATE.fullmatch(text):
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _key_path(name: str, parts: Sequence[Any]) -> str:
    path = name
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _expected(schema: Mapping[str, Any]) -> str:
    """What a schema node accepts, in words: its ``x-expected``, or what its type and bounds say."""
    if "x-expected" in schema:
        return str(schema["x-expected"])
    words = {"string": "a string", "number": "a number", "integer": "an integer", "array": "a list",
             "object": "an object", "boolean": "true or false"}
    text = words.get(str(schema.get("type")), "a valid value")
    if "minimum" in schema:
        text += f" >= {schema['minimum']}"
    return text


def _found(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object" if value else "an empty object"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + '..."'
