"""Azure MLOps blueprint: stack configuration, the offline preview and the `blueprint` CLI."""

__version__ = "0.1.0"
