"""Stack configuration: the generated schema, validation, and the typed stack of each kind.

The loader is imported on first use: the features import this package's error and rule modules, and the loader
imports the features.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blueprint.program.config.errors import ConfigError, ConfigIssue

__all__ = ["ConfigError", "ConfigIssue", "load_platform_config"]

if TYPE_CHECKING:
    from blueprint.program.config.loader import load_platform_config


def __getattr__(name: str) -> Any:
    if name == "load_platform_config":
        from blueprint.program.config.loader import load_platform_config

        return load_platform_config
    raise AttributeError(f"module 'blueprint.program.config' has no attribute {name!r}")
