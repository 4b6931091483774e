"""``python -m blueprint``: the same CLI as the ``blueprint`` console script."""

from blueprint.tools.cli import run

run()
