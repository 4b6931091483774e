"""The options several commands take, declared once and resolved once at the edge.

``--program`` and ``--policy-pack`` mean the same in every command that takes them; declaring them here keeps their
type and metavar alike (only the help says what each command does with them). Every option naming a path that is
read is resolved by :func:`resolve_path_options` before a command runs, so a link loop is bad input naming the
option rather than a traceback from whichever command resolves it first.
"""

from __future__ import annotations

import argparse
from pathlib import Path

#: What ``ArgumentParser.add_subparsers`` returns: where each command adds its own parser.
Subparsers = argparse._SubParsersAction

#: The help of ``--program`` in the commands that run or edit the project.
PROGRAM_HELP = "Pulumi project directory (default: the current directory)"

#: Options naming a path that is read, and how messages name them; ``--json`` and ``--output-dir`` are checked where
#: the output paths are (blueprint/tools/output_paths.py), with the same helper.
PATH_OPTIONS = {"program": "--program", "policy_pack": "--policy-pack", "policy_pack_config": "--policy-pack-config", "path": "--path"}


def add_program(parser: argparse.ArgumentParser, help: str = PROGRAM_HELP) -> None:
    """``--program DIR``: the project directory, the current one by default."""
    parser.add_argument("--program", type=Path, default=Path.cwd(), metavar="DIR", help=help)


def add_policy_pack(parser: argparse.ArgumentParser, help: str) -> None:
    """``--policy-pack DIR``: the CrossGuard pack; ``help`` says which one is the default."""
    parser.add_argument("--policy-pack", type=Path, metavar="DIR", help=help)


def add_policy_pack_config(parser: argparse.ArgumentParser, help: str) -> None:
    """``--policy-pack-config FILE``: a pack config given instead of the environment's, as pulumi's flag."""
    parser.add_argument("--policy-pack-config", type=Path, metavar="FILE", help=help)


def add_json(parser: argparse.ArgumentParser, help: str) -> None:
    """``--json [PATH]``: also (or only) the JSON document, to PATH or, with ``-`` or no PATH, standard output."""
    parser.add_argument("--json", nargs="?", const="-", metavar="PATH", help=help)


def resolve_path_options(args: argparse.Namespace) -> None:
    """Resolve every path option of ``args`` once. The project directory and the pack are used resolved; the pack
    config and the templates directory keep the form given, for messages."""
    from blueprint.tools.user_paths import resolved

    for dest, option in PATH_OPTIONS.items():
        value = getattr(args, dest, None)
        if value is None:
            continue
        real = resolved(value, option)
        if dest in ("program", "policy_pack"):
            setattr(args, dest, real)


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (``--jobs``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, found {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, found {value}")
    return value
