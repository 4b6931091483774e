"""JSON Schema ``pattern`` as the engines that read our schemas mean it, not as Python's ``re.search`` does.

JSON Schema patterns are ECMA-262 regular expressions, and Pulumi's engine checks a policy's config schema with
Go's RE2. In both, ``$`` matches only at the very end of the text and ``\\s`` only ASCII whitespace. In Python,
``$`` also matches before a final newline and ``\\s`` matches any Unicode space, so ``"fraud-batch\\n"`` would pass
``^[a-z-]+$`` and reach Azure with its newline. Both validators of the project (stack config and pack config) use
:func:`pattern_validator` so a value passes here exactly when it passes there. Standard library only, but for
``jsonschema`` when a validator class is built.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=None)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """``pattern`` with every ``$`` outside a character class meaning the end of the text, ASCII classes."""
    translated: list[str] = []
    in_class = False
    escaped = False
    for char in pattern:
        if escaped:
            translated.append(char)
            escaped = False
        elif char == "\\":
            translated.append(char)
            escaped = True
        elif char == "[" and not in_class:
            in_class = True
            translated.append(char)
        elif char == "]" and in_class:
            in_class = False
            translated.append(char)
        elif char == "$" and not in_class:
            translated.append(r"\Z")
        else:
            translated.append(char)
    return re.compile("".join(translated), re.ASCII)


def matches(pattern: str, text: str) -> bool:
    """Whether ``text`` matches the JSON Schema ``pattern`` (a search, as the specification says)."""
    return compile_pattern(pattern).search(text) is not None


def pattern_validator(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    """The ``pattern`` keyword for ``jsonschema.validators.extend``."""
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not matches(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def with_engine_patterns(base: Any) -> Any:
    """A ``jsonschema`` validator class like ``base`` whose ``pattern`` keyword follows :func:`matches`."""
    from jsonschema.validators import extend

    return extend(base, {"pattern": pattern_validator})
