"""The ML platform program: one Pulumi stack per environment (stacks/Pulumi.<stack>.yaml).

Reads and validates the stack's configuration (the only place config is read) into the typed stack of its kind,
composes it from the components - the ``bootstrap`` stack (the Pulumi state backend), the organisation-wide
``shared`` stack (the Azure ML registry) or an environment stack (workspace, compute, people, CI, network isolation,
serving, monitoring, budget) - and exports what operators, CI and other stacks need.
"""

from pathlib import Path

import pulumi

from blueprint.program.config.pulumi_source import load_stack_config
from blueprint.program.stacks.bootstrap import compose_bootstrap
from blueprint.program.stacks.environment import compose_environment
from blueprint.program.stacks.kinds import BootstrapStack, EnvironmentStack, SharedStack
from blueprint.program.stacks.shared import compose_shared

project_dir = Path(__file__).parent
match load_stack_config(project_dir):
    case BootstrapStack() as stack:
        outputs = compose_bootstrap(stack)
    case SharedStack() as stack:
        outputs = compose_shared(stack, project_dir)
    case EnvironmentStack() as stack:
        outputs = compose_environment(stack, project_dir)
for key, value in outputs.items():
    pulumi.export(key, value)
