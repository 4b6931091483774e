"""Regenerate what is derived from the features' declarations: the editor schema and the configuration reference.

    python scripts/generate_reference.py           rewrite schema/stack-file.schema.json and docs/configuration.md
    python scripts/generate_reference.py --check   exit 1, naming each file, when either is stale (nothing written)

A new config key is a field on its feature's settings dataclass (blueprint/program/features/); run this to publish
it to editors and to the docs. tests/test_generated_reference.py runs the check.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from blueprint.program.generated import stale_files, write_generated  # noqa: E402 - after the path is set


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report stale files instead of writing them")
    args = parser.parse_args()
    try:
        return _check() if args.check else _write()
    except (OSError, ValueError) as error:  # a missing or unmarked docs page: say which, write nothing
        print(f"generate_reference: {error}", file=sys.stderr)
        return 2


def _check() -> int:
    stale = stale_files(REPO)
    for path in stale:
        print(f"{path.relative_to(REPO)}: stale; run python scripts/generate_reference.py", file=sys.stderr)
    return 1 if stale else 0


def _write() -> int:
    for path in write_generated(REPO):
        print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
