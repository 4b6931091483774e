"""``python -m blueprint``: the same CLI as the ``blueprint`` console script."""

import sys

from blueprint.cli import main

sys.exit(main())
