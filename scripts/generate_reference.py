"""Regenerate what is derived from the code: the editor schema, the configuration reference and the README's table
of the stacks.

    python scripts/generate_reference.py           rewrite schema/stack-file.schema.json, docs/configuration.md and
                                                   the README's stacks table
    python scripts/generate_reference.py --check   exit 1, naming each file, when any is stale (nothing written)

A new config key is a field on its feature's settings dataclass (blueprint/program/features/); run this to publish
it to editors and to the docs. The README's stacks table (between ``<!-- generated: stacks-table -->`` and
``<!-- end: stacks-table -->``) is written from the plans of the project's stacks (blueprint/tools/stack_table.py):
run this after changing a stack file. tests/test_generated_reference.py runs the check.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from blueprint.program.generated import stale_files, write_generated  # noqa: E402 - after the path is set
from blueprint.tools.errors import ProgramFailed, UsageError  # noqa: E402

README = Path("README.md")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report stale files instead of writing them")
    args = parser.parse_args()
    try:
        return _check() if args.check else _write()
    except (OSError, ValueError, UsageError, ProgramFailed) as error:  # a missing or unmarked page, a stack that fails
        print(f"generate_reference: {error}", file=sys.stderr)
        return 2


def _check() -> int:
    stale = stale_files(REPO)
    current, expected = _readme()
    if current != expected:
        stale.append(REPO / README)
    for path in stale:
        print(f"{path.relative_to(REPO)}: stale; run python scripts/generate_reference.py", file=sys.stderr)
    return 1 if stale else 0


def _write() -> int:
    from blueprint.tools.atomic_files import write_atomic

    written = write_generated(REPO)
    current, expected = _readme()
    if current != expected:
        write_atomic(REPO / README, expected)
        written.append(REPO / README)
    for path in written:
        print(f"wrote {path.relative_to(REPO)}")
    return 0


def _readme() -> tuple[str, str]:
    """The README as it is and as it should be, its stacks table written from the plans."""
    from blueprint.program.project import load_project
    from blueprint.tools.stack_table import BLOCK, replace_block, shipped_plans, stack_table

    current = (REPO / README).read_text(encoding="utf-8")
    table = stack_table(shipped_plans(load_project(REPO)))
    try:
        return current, replace_block(current, BLOCK, table)
    except ValueError as error:
        raise ValueError(f"{README}: {error}") from None


if __name__ == "__main__":
    sys.exit(main())
