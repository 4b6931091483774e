"""Typed stack configuration: schema, validation and the per-environment defaults derived from it."""

from blueprint.config.errors import ConfigError, ConfigIssue
from blueprint.config.loader import load_platform_config
from blueprint.config.model import ClusterConfig, NetworkConfig, PlatformConfig

__all__ = [
    "ClusterConfig",
    "ConfigError",
    "ConfigIssue",
    "NetworkConfig",
    "PlatformConfig",
    "load_platform_config",
]
