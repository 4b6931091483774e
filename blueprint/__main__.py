"""``python -m blueprint``: the same CLI as the ``blueprint`` console script."""

from blueprint.cli import run

run()
