"""The ML platform program: one Pulumi stack per environment (stacks/Pulumi.<stack>.yaml).

Reads and validates the stack's configuration (the only place config is read), composes the stack from the
components by its kind (``tags.environment``) - the ``bootstrap`` stack (the Pulumi state backend), the
organisation-wide ``shared`` stack (the Azure ML registry) or an environment stack (workspace, compute, people, CI,
network isolation) - and exports what operators, CI and other stacks need.
"""

from pathlib import Path

import pulumi

from blueprint.program.config.pulumi_source import load_stack_config
from blueprint.program.stacks.bootstrap import compose_bootstrap
from blueprint.program.stacks.environment import compose_environment
from blueprint.program.stacks.shared import compose_shared

project_dir = Path(__file__).parent
config = load_stack_config(project_dir)
if config.is_bootstrap:
    outputs = compose_bootstrap(config)
elif config.is_shared:
    outputs = compose_shared(config, project_dir)
else:
    outputs = compose_environment(config)
for key, value in outputs.items():
    pulumi.export(key, value)
