"""Read a stack's configuration from the running Pulumi engine (real or mocked) and name its file.

This is the program's edge: the only place that touches Pulumi's config store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from blueprint.program.config.loader import load_platform_config
from blueprint.program.project import stack_file_path
from blueprint.program.stacks.kinds import Stack


def all_config() -> dict[str, Any]:
    """Every config key the engine passed to the program (all namespaces), so unknown keys can be reported.

    ``pulumi.Config`` only answers for keys one asks about; typos would pass silently. The engine passes the
    whole map in ``PULUMI_CONFIG``; the mock runtime keeps it in the config store.
    """
    values = dict(runtime_config.get_config_env())
    values.update(runtime_config.CONFIG.get())
    return values


def load_stack_config(project_dir: Path) -> Stack:
    """Validate the current stack's configuration; errors name the stack file relative to ``project_dir``."""
    project, stack = pulumi.get_project(), pulumi.get_stack()
    path = stack_file_path(project_dir, stack)
    try:
        source = str(path.relative_to(project_dir))
    except ValueError:
        source = str(path)
    values = all_config()
    secret_keys = [key for key in values if runtime_config.is_config_secret(key)]
    return load_platform_config(values, project=project, stack=stack, source=source, secret_keys=secret_keys)
