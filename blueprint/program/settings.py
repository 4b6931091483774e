"""Configuration keys declared once, on the dataclass that holds them.

Each feature declares its keys as dataclass fields made with :func:`setting`: the key's name in the stack file, what
it means, its JSON Schema keywords (bounds, patterns, what a user is expected to write) and its default. From those
declarations alone come

- the JSON Schema the validator and the editors use (:func:`object_schema`),
- the typed value the program composes from (:func:`build`), defaults filled in, and
- the reference tables of docs/configuration.md (:func:`reference_rows`).

So a new key is one field on its feature's dataclass: schema, defaults, typed value and documentation follow.
A default that depends on the rest of the stack (prod is private, one deployment takes all traffic) is a
``derive`` function beside its field, with ``default_doc`` saying the rule in words.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from components.options import Environment

_KEY = "blueprint.setting"


@dataclass(frozen=True)
class BuildContext:
    """What a derived default or a conversion may look at: the stack's environment, the whole validated config
    (camelCase, as written), the list an item stands in, and the fields of its own object built so far."""

    environment: Environment
    root: Mapping[str, Any]
    siblings: Sequence[Any] = ()
    built: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Setting:
    """How one field reads from the stack file."""

    key: str
    doc: str
    schema: Mapping[str, Any]
    items: Mapping[str, Any] | None
    values: Mapping[str, Any] | None
    names: Mapping[str, Any] | None
    override: Mapping[str, Any] | None
    derive: Callable[[BuildContext], Any] | None
    default_doc: str | None
    convert: Callable[[Any], Any] | None


def setting(
    key: str,
    doc: str = "",
    *,
    default: Any = dataclasses.MISSING,
    derive: Callable[[BuildContext], Any] | None = None,
    default_doc: str | None = None,
    convert: Callable[[Any], Any] | None = None,
    items: Mapping[str, Any] | None = None,
    values: Mapping[str, Any] | None = None,
    names: Mapping[str, Any] | None = None,
    override: Mapping[str, Any] | None = None,
    **schema: Any,
) -> Any:
    """Declare a config key as a dataclass field.

    ``schema`` holds JSON Schema keywords for the value (``minimum``, ``pattern``, ``x_expected`` for
    ``x-expected``, ...); ``items`` adds keywords to a list's items, ``values`` to a mapping's values, ``names`` constrains a mapping's keys;
    ``override`` replaces the schema the field's type would give (for shapes a type cannot say). A field with
    neither ``default`` nor ``derive`` is required. ``convert`` turns the validated value into the typed one
    (e.g. a VM size into Azure's casing).
    """
    metadata = {
        _KEY: Setting(
            key=key,
            doc=doc,
            schema={("x-" + name[2:].replace("_", "-")) if name.startswith("x_") else name: value for name, value in schema.items()},
            items=items,
            values=values,
            names=names,
            override=override,
            derive=derive,
            default_doc=default_doc,
            convert=convert,
        )
    }
    if derive is not None:
        return dataclasses.field(default=None, metadata=metadata)
    if isinstance(default, (list, dict, set)):
        raise TypeError(f"{key}: use a tuple or a mapping proxy for a default, not a mutable {type(default).__name__}")
    if isinstance(default, Mapping):  # read-only, but unhashable: dataclasses take it as a factory
        return dataclasses.field(default_factory=lambda: default, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def _default(f: dataclasses.Field[Any]) -> Any:
    """The declared default of a field (``MISSING`` when it has none)."""
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


@cache
def settings_of(cls: type) -> list[tuple[dataclasses.Field[Any], Setting, Any]]:
    """The declared fields of a settings dataclass, in order, with their resolved types."""
    hints = typing.get_type_hints(cls)
    return [(f, f.metadata[_KEY], hints[f.name]) for f in dataclasses.fields(cls) if _KEY in f.metadata]


def default_of(cls: type, name: str) -> Any:
    """The declared default of ``cls.name``: rules that read a key the user may leave out use it, never a copy."""
    for f, _, _ in settings_of(cls):
        if f.name == name:
            value = _default(f)
            if value is dataclasses.MISSING:
                raise KeyError(f"{cls.__name__}.{name} has no fixed default")
            return value.value if isinstance(value, enum.Enum) else value
    raise KeyError(f"{cls.__name__} declares no field {name}")


def key_of(cls: type, name: str) -> str:
    """The stack-file key of ``cls.name``."""
    for f, meta, _ in settings_of(cls):
        if f.name == name:
            return meta.key
    raise KeyError(f"{cls.__name__} declares no field {name}")


# --- JSON Schema -------------------------------------------------------------------------------------------------


def object_schema(cls: type, *, description: str | None = None) -> dict[str, Any]:
    """The JSON Schema of a settings dataclass: its keys, required ones, nothing else."""
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False}
    text = description if description is not None else _class_doc(cls)
    if text:
        schema["description"] = text
    required = [meta.key for f, meta, _ in settings_of(cls) if _is_required(f, meta)]
    if required:
        schema["required"] = required
    schema["properties"] = {meta.key: field_schema(f, meta, hint) for f, meta, hint in settings_of(cls)}
    return schema


def field_schema(f: dataclasses.Field[Any], meta: Setting, hint: Any) -> dict[str, Any]:
    """The schema of one declared field: from its type, its keywords and its documentation."""
    schema = dict(meta.override) if meta.override is not None else type_schema(hint)
    schema.update(meta.schema)
    if meta.items is not None:
        schema["items"] = {**schema.get("items", {}), **meta.items}
    if meta.values is not None:
        schema["additionalProperties"] = {**schema.get("additionalProperties", {}), **meta.values}
    if meta.names is not None:
        schema["propertyNames"] = dict(meta.names)
    text = describe_field(f, meta)
    if text:
        schema["description"] = text
    return schema


def describe_field(f: dataclasses.Field[Any], meta: Setting) -> str:
    """The field's documentation with its default, as the schema and the docs show it."""
    default = _default_text(f, meta)
    parts = [meta.doc] if meta.doc else []
    if default is not None:
        parts.append(f"Default: {default}.")
    return " ".join(parts)


def _default_text(f: dataclasses.Field[Any], meta: Setting) -> str | None:
    if meta.default_doc is not None:
        return meta.default_doc
    value = _default(f)
    if value is dataclasses.MISSING or value is None:
        return None
    if dataclasses.is_dataclass(value):
        return None
    if isinstance(value, Mapping):
        return "none" if not value else ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value) if value else "none"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def type_schema(hint: Any) -> dict[str, Any]:
    """The schema a Python type gives: scalars, enums, tuples as arrays, mappings, nested settings, unions."""
    hint = _without_none(hint)
    origin = typing.get_origin(hint)
    if hint is str:
        return {"type": "string"}
    if hint is bool:
        return {"type": "boolean"}
    if hint is int:
        return {"type": "integer"}
    if hint is float:
        return {"type": "number"}
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return {"enum": [member.value for member in hint]}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return object_schema(hint)
    if origin is tuple:
        return {"type": "array", "items": type_schema(typing.get_args(hint)[0])}
    if origin in (Mapping, dict, typing.Mapping):
        key, value = typing.get_args(hint)
        if isinstance(key, type) and issubclass(key, enum.Enum):
            return {
                "type": "object",
                "additionalProperties": False,
                "properties": {member.value: type_schema(value) for member in key},
            }
        return {"type": "object", "additionalProperties": type_schema(value)}
    if origin in (typing.Union, types.UnionType):
        return {"oneOf": [type_schema(arm) for arm in typing.get_args(hint)]}
    raise TypeError(f"no schema for {hint!r}")


def _without_none(hint: Any) -> Any:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        arms = [arm for arm in typing.get_args(hint) if arm is not type(None)]
        if len(arms) == 1:
            return arms[0]
        return typing.Union[tuple(arms)]  # noqa: UP007 - rebuilding a union from a list needs the subscript form
    return hint


def _is_required(f: dataclasses.Field[Any], meta: Setting) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING and meta.derive is None


def _class_doc(cls: type) -> str:
    doc = cls.__doc__ or ""
    return " ".join(doc.split("\n\n")[0].split())


# --- Typed values ------------------------------------------------------------------------------------------------


def build(cls: type, raw: Mapping[str, Any], context: BuildContext, **fixed: Any) -> Any:
    """The typed value of ``raw`` (already valid against :func:`object_schema`), every default filled in;
    ``fixed`` gives the fields that are not config keys (a stack's project and name)."""
    built: dict[str, Any] = dict(fixed)
    for f, meta, hint in settings_of(cls):
        if meta.key in raw:
            value = raw[meta.key]
            built[f.name] = meta.convert(value) if meta.convert is not None else _typed(hint, value, context)
        elif meta.derive is not None:
            built[f.name] = meta.derive(dataclasses.replace(context, built=dict(built)))
        elif (default := _default(f)) is not dataclasses.MISSING:
            built[f.name] = default
        else:  # the schema requires it: reaching here is a program bug, not bad input
            raise KeyError(f"{cls.__name__}: required key {meta.key} missing after validation")
    return cls(**built)


def _typed(hint: Any, value: Any, context: BuildContext) -> Any:
    hint = _without_none(hint)
    origin = typing.get_origin(hint)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    if hint is float:
        return float(value)
    if hint is int:
        return int(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return build(hint, value, dataclasses.replace(context, built={}))
    if origin is tuple:
        (item,) = typing.get_args(hint)[:1]
        inner = dataclasses.replace(context, siblings=tuple(value))
        return tuple(_typed(item, element, inner) for element in value)
    if origin in (Mapping, dict, typing.Mapping):
        key, item = typing.get_args(hint)
        return {(key(name) if isinstance(key, type) and issubclass(key, enum.Enum) else name): _typed(item, element, context)
                for name, element in value.items()}
    if origin in (typing.Union, types.UnionType):
        for arm in typing.get_args(hint):
            if dataclasses.is_dataclass(arm) and set(value) <= {meta.key for _, meta, _ in settings_of(arm)} and all(
                meta.key in value for f, meta, _ in settings_of(arm) if _is_required(f, meta)
            ):
                return build(arm, value, context)
        raise ValueError(f"no arm of {hint!r} takes {value!r}")
    return value


# --- Documentation -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceRow:
    """One key in docs/configuration.md's reference: its dotted path, type, default, bounds and meaning."""

    path: str
    kind: str
    required: bool
    default: str
    bounds: str
    doc: str


def reference_rows(cls: type, prefix: str = "") -> list[ReferenceRow]:
    """Every key of ``cls`` and of the settings nested in it, depth first."""
    rows: list[ReferenceRow] = []
    for f, meta, hint in settings_of(cls):
        path = f"{prefix}{meta.key}"
        schema = field_schema(f, meta, hint)
        nested_settings = _nested(hint)
        doc = meta.doc or (_class_doc(nested_settings[0][0]) if len(nested_settings) == 1 else "")
        rows.append(ReferenceRow(path, _kind(schema), _is_required(f, meta), _default_text(f, meta) or "", _bounds(schema), doc))
        for nested, suffix in nested_settings:
            rows += reference_rows(nested, f"{path}{suffix}.")
        if not nested_settings:  # a mapping with fixed keys (one per enum member): a row each
            for name, spec in schema.get("properties", {}).items():
                rows.append(ReferenceRow(f"{path}.{name}", _kind(spec), False, "", _bounds(spec), spec.get("description", "")))
    return rows


def _nested(hint: Any) -> list[tuple[type, str]]:
    hint = _without_none(hint)
    origin = typing.get_origin(hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return [(hint, "")]
    if origin is tuple:
        return [(cls, "[]") for cls, _ in _nested(typing.get_args(hint)[0])]
    if origin in (Mapping, dict, typing.Mapping):
        key, value = typing.get_args(hint)
        suffix = "" if isinstance(key, type) and issubclass(key, enum.Enum) else ".<name>"
        return [(cls, suffix) for cls, _ in _nested(value)]
    if origin in (typing.Union, types.UnionType):
        return [pair for arm in typing.get_args(hint) for pair in _nested(arm)]
    return []


def _kind(schema: Mapping[str, Any]) -> str:
    if "enum" in schema:
        return " \\| ".join(str(v) for v in schema["enum"])
    if "oneOf" in schema:
        kinds = list(dict.fromkeys(_kind(arm) for arm in schema["oneOf"]))
        return kinds[0] if len(kinds) == 1 else "one of " + ", ".join(kinds)
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_kind(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), Mapping):
        return f"map of {_kind(schema['additionalProperties'])}"
    return {"object": "mapping"}.get(kind, kind)


_BOUND_WORDS = (
    ("minimum", "≥ {}"), ("exclusiveMinimum", "> {}"), ("maximum", "≤ {}"),
    ("minItems", "≥ {} items"), ("maxItems", "≤ {} items"), ("minProperties", "≥ {} entries"), ("maxProperties", "≤ {} entries"),
    ("minLength", "≥ {} chars"), ("maxLength", "≤ {} chars"),
)


def _bounds(schema: Mapping[str, Any]) -> str:
    parts = [word.format(schema[name]) for name, word in _BOUND_WORDS if name in schema]
    expected = schema.get("x-expected") or schema.get("items", {}).get("x-expected")
    if expected:
        parts.append(str(expected))
    return "; ".join(parts)
