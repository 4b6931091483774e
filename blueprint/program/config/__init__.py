"""Typed stack configuration: schema, validation and the per-environment defaults derived from it."""

from blueprint.program.config.errors import ConfigError, ConfigIssue
from blueprint.program.config.loader import load_platform_config
from blueprint.program.config.model import ClusterConfig, NetworkConfig, PlatformConfig

__all__ = [
    "ClusterConfig",
    "ConfigError",
    "ConfigIssue",
    "NetworkConfig",
    "PlatformConfig",
    "load_platform_config",
]
