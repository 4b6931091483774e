"""Required tags: every taggable resource carries them, so ownership and chargeback never depend on memory."""

from __future__ import annotations

from collections.abc import Mapping

REQUIRED_TAGS: tuple[str, ...] = ("owner", "costCenter", "environment", "dataClassification")


class MissingTagsError(ValueError):
    """Raised when a component is given tags without the required keys."""


def required_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """Return a copy of ``tags`` after checking that every required tag is present and non-empty."""
    missing = [key for key in REQUIRED_TAGS if not str(tags.get(key, "")).strip()]
    if missing:
        raise MissingTagsError(
            f"missing required tags {', '.join(missing)} (every taggable resource carries {', '.join(REQUIRED_TAGS)})"
        )
    return {str(key): str(value) for key, value in tags.items()}
