"""The stack configuration schema, generated from the features' declarations, used by the validator and editors.

:func:`platform_schema` describes the keys under the project's namespace; it is built from the settings
dataclasses of :mod:`blueprint.program.features` (through the stack kinds), never written by hand. Editors
validate whole stack files against ``schema/stack-file.schema.json``, which :func:`stack_file_schema` derives from
it (a test fails when the file is stale).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Collection, Iterator, Mapping
from functools import lru_cache
from typing import Any

from blueprint.program.config.errors import ConfigIssue, describe
from blueprint.program.config.rules import key_path
from blueprint.program.project import SECRET_PLACEHOLDER
from components.schema_patterns import with_engine_patterns

SCHEMA_ID = "https://github.com/azure-mlops-blueprint/azure-mlops-blueprint/schema/platform.schema.json"

#: Namespaces a stack file may use besides the project's own: the providers the program uses and Pulumi itself.
PROVIDER_NAMESPACES: tuple[str, ...] = ("azure-native", "azuread", "pulumi")


@lru_cache(maxsize=1)
def platform_schema() -> dict[str, Any]:
    """The schema of the keys under the project's namespace, from the stack kinds' declarations."""
    from blueprint.program.stacks.kinds import stack_config_schema

    generated = stack_config_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "ML platform stack configuration",
        "description": "The keys under the project's config namespace in stacks/Pulumi.<stack>.yaml. Unknown keys are errors.",
        **generated,
    }


def stack_file_schema(namespace: str) -> dict[str, Any]:
    """A JSON Schema for a whole ``Pulumi.<stack>.yaml`` whose project namespace is ``namespace``."""
    inner = platform_schema()
    known = {f"{namespace}:{key}": value for key, value in inner["properties"].items()}
    others = "|".join(PROVIDER_NAMESPACES)
    return {
        "$schema": inner["$schema"],
        "title": f"Pulumi stack file of the {namespace} project",
        "description": "Generated from the settings declared in blueprint/program/features by `blueprint schema`; do not edit.",
        "type": "object",
        "properties": {
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
            "environment": {},
            "config": {
                "type": "object",
                "properties": known,
                "required": [f"{namespace}:{key}" for key in inner["required"]],
                "patternProperties": {f"^({others}):": {}},
                "additionalProperties": False,
            },
        },
        "required": ["config"],
        "additionalProperties": False,
    }


def coerce(namespace: str, raw: Mapping[str, str]) -> tuple[dict[str, Any], list[ConfigIssue]]:
    """Turn Pulumi's string-valued config into typed values, guided by the schema.

    The engine hands every value to the program as a string (structured values as JSON), so a key whose schema
    type is not a string is decoded as JSON.
    """
    properties = platform_schema()["properties"]
    values: dict[str, Any] = {}
    issues: list[ConfigIssue] = []
    for key, text in raw.items():
        spec = properties.get(key)
        if spec is None or _is_string_valued(spec) or not isinstance(text, str):
            values[key] = text
            continue
        try:
            values[key] = json.loads(text)
        except json.JSONDecodeError:
            issues.append(ConfigIssue(f"{namespace}:{key}", _expected_of(spec), describe(text)))
        except (ValueError, RecursionError):  # an integer longer than Python converts, nesting deeper than it parses
            issues.append(ConfigIssue(f"{namespace}:{key}", _expected_of(spec), "a value too large or too deeply nested to read"))
    return values, issues


def secret_placeholder_issues(namespace: str, values: dict[str, Any], secret_keys: Collection[str]) -> list[ConfigIssue]:
    """Stand-ins for the values the offline preview cannot decrypt, and the places no secret may go.

    Offline, an encrypted (``secure:``) value reaches the program as :data:`SECRET_PLACEHOLDER`. Where the schema
    says a secret may stand (``x-secret-placeholder``: a webhook URI, which the platform hands to Azure as a Pulumi
    secret), the placeholder is replaced, in place, by a value of the right form, so the rest of the stack is
    previewed and checked. Anywhere else it is an issue: the platform would pass the decrypted value to a resource
    as plain text, and Pulumi would store it unencrypted in the stack's state. Only keys the stack file encrypts
    (``secret_keys``, bare names) are looked at: a plain value that happens to read ``[secret]`` is validated like any
    other. The engine decrypts every value, so under ``pulumi up`` there is nothing to replace.
    """
    issues: list[ConfigIssue] = []
    allowed = sorted(_secret_capable_paths(platform_schema()))

    def visit(value: Any, spec: Mapping[str, Any], path: list[Any], parent: Any, key: Any) -> None:
        if value == SECRET_PLACEHOLDER:
            if "x-secret-placeholder" in spec:
                parent[key] = spec["x-secret-placeholder"]
            else:
                issues.append(ConfigIssue(
                    key_path(namespace, path),
                    f"a plain value (only {', '.join(allowed)} may be encrypted: elsewhere the decrypted value would be "
                    "stored unencrypted in the stack's state)",
                    "an encrypted (secure:) value",
                ))
        elif isinstance(value, dict):
            properties = spec.get("properties", {})
            extra = spec.get("additionalProperties")
            for name, item in list(value.items()):
                child = properties.get(name, extra if isinstance(extra, Mapping) else {})
                visit(item, child, [*path, name], value, name)
        elif isinstance(value, list):
            items = spec.get("items", {})
            for index, item in enumerate(value):
                visit(item, items if isinstance(items, Mapping) else {}, [*path, index], value, index)

    properties = platform_schema()["properties"]
    for name in [key for key in values if key in secret_keys]:
        visit(values[name], properties.get(name, {}), [name], values, name)
    return issues


def _secret_capable_paths(spec: Mapping[str, Any], path: str = "") -> Iterator[str]:
    if "x-secret-placeholder" in spec:
        yield path
    for name, child in spec.get("properties", {}).items():
        yield from _secret_capable_paths(child, f"{path}.{name}" if path else name)
    items = spec.get("items")
    if isinstance(items, Mapping):
        yield from _secret_capable_paths(items, f"{path}[]")


def schema_issues(namespace: str, values: Mapping[str, Any], secret_keys: Collection[str] = ()) -> list[ConfigIssue]:
    """Every schema violation in ``values``, as issues with full key paths (an encrypted value's placeholder in one
    of ``secret_keys`` is :func:`secret_placeholder_issues`' to report)."""
    from jsonschema import Draft202012Validator  # deferred: only paid when config is validated

    validator = with_engine_patterns(Draft202012Validator)(platform_schema())
    issues: list[ConfigIssue] = []
    for error in sorted(validator.iter_errors(dict(values)), key=lambda e: [str(p) for p in e.absolute_path]):
        path = list(error.absolute_path)
        if error.instance == SECRET_PLACEHOLDER and path and path[0] in secret_keys:
            continue  # reported by secret_placeholder_issues
        issues.extend(_issues_from(namespace, error))
    return issues


def _issues_from(namespace: str, error: Any) -> Iterator[ConfigIssue]:
    path = list(error.absolute_path)
    schema = error.schema
    keyword = error.validator
    if keyword == "required":
        for name in error.validator_value:
            if name not in error.instance:
                yield ConfigIssue(key_path(namespace, [*path, name]), _expected_of(schema["properties"][name]), "nothing (the key is required)")
    elif keyword == "additionalProperties" and isinstance(error.validator_value, bool):
        known = sorted(schema.get("properties", {}))
        for name in error.instance:
            if name in known:
                continue
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            yield ConfigIssue(
                key_path(namespace, [*path, name]),
                f"one of the known keys {', '.join(known)}",
                f"an unknown key{hint}",
            )
    elif keyword == "uniqueItems":
        items = list(error.instance)
        repeated = next(item for index, item in enumerate(items) if item in items[:index])
        yield ConfigIssue(key_path(namespace, path), "each item once", f"{describe(repeated)} twice")
    elif keyword == "minProperties":
        expected = schema.get("x-expected") or f"a mapping of at least {error.validator_value} key{'s' if error.validator_value != 1 else ''}"
        yield ConfigIssue(key_path(namespace, path), expected, describe(error.instance))
    elif keyword == "propertyNames":
        yield ConfigIssue(key_path(namespace, path), _expected_of(schema["propertyNames"]), f"a key {describe(error.instance)}")
    elif keyword == "oneOf" and (chosen := _arm_chosen_by_keys(error)) is not None:
        for sub in chosen:
            yield from _issues_from(namespace, sub)
    else:
        yield ConfigIssue(key_path(namespace, path), _expected_of(schema), describe(error.instance))


def _arm_chosen_by_keys(error: Any) -> list[Any] | None:
    """The errors of the one ``oneOf`` arm the value's keys choose (it knows every key given and has at least one
    of its required keys), so a bad or missing value is reported on its own key; ``None`` when the keys choose no
    single arm."""
    by_arm: dict[Any, list[Any]] = {}
    for sub in error.context or ():
        by_arm.setdefault(sub.schema_path[0], []).append(sub)

    def chosen(sub: Any) -> bool:
        if sub.relative_path:
            return True
        if sub.validator == "additionalProperties":
            return False
        if sub.validator == "required":
            return isinstance(sub.instance, Mapping) and any(name in sub.instance for name in sub.validator_value)
        return True

    fitting = [subs for subs in by_arm.values() if all(chosen(sub) for sub in subs)]
    return fitting[0] if len(fitting) == 1 else None


def _expected_of(spec: Mapping[str, Any]) -> str:
    """Say what a schema node accepts, in words."""
    if "x-expected" in spec:
        return str(spec["x-expected"])
    if "enum" in spec:
        return "one of " + ", ".join(str(v) for v in spec["enum"])
    kind = spec.get("type")
    if kind in ("integer", "number"):
        low, high = spec.get("minimum"), spec.get("maximum")
        noun = "an integer" if kind == "integer" else "a number"
        if low is not None and high is not None:
            return f"{noun} from {low} to {high}"
        if low is not None:
            return f"{noun} >= {low}"
        if high is not None:
            return f"{noun} <= {high}"
        return noun
    if kind == "string":
        low, high = spec.get("minLength"), spec.get("maxLength")
        if low is not None or high is not None:
            return f"a string of {low or 0} to {high or 'any number of'} characters"
        return "a string"
    if kind == "array":
        low, high = spec.get("minItems"), spec.get("maxItems")
        if low and high:
            return f"a list of {low} to {high} items"
        if high:
            return f"a list of at most {high} items"
        return f"a list of at least {low} items" if low else "a list"
    if kind == "object":
        required = spec.get("required")
        return f"a mapping with keys {', '.join(required)}" if required else "a mapping"
    if kind == "boolean":
        return "true or false"
    return "a valid value"


def _is_string_valued(spec: Mapping[str, Any]) -> bool:
    return spec.get("type") == "string" or all(isinstance(v, str) for v in spec.get("enum", [0]))
