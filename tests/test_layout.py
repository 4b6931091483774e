"""How blueprint/ is laid out, checked on its sources: every CLI command a module of blueprint/tools/commands, the exit
codes written in one module, and the program (blueprint/program) never importing the tools."""

from __future__ import annotations

import ast
import pkgutil
import re
from pathlib import Path

from tests.conftest import REPO

BLUEPRINT = REPO / "blueprint"


def _imports(path: Path) -> set[str]:
    """The modules ``path`` imports, at any depth of its code (lazy imports inside functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_every_command_module_is_a_command_of_the_cli():
    """A command module left out of ``COMMANDS`` would be a command nobody can run; each is named after its command."""
    from blueprint.tools import commands

    modules = {info.name for info in pkgutil.iter_modules(commands.__path__)} - {"options"}
    assert sorted(command.__name__.rsplit(".", 1)[-1] for command in commands.COMMANDS) == sorted(modules)
    for command in commands.COMMANDS:
        assert command.NAME == command.__name__.rsplit(".", 1)[-1]
        assert callable(command.add_parser) and callable(command.run)


def test_exit_codes_are_written_in_one_module():
    assignment = re.compile(r"^\s*(?:\w+\s*,\s*)*(?:EXIT_\w+|exit_code)\s*(?:,\s*\w+\s*)*=\s*\d", re.M)
    written = [
        path.relative_to(REPO).as_posix()
        for path in BLUEPRINT.rglob("*.py")
        if assignment.search(path.read_text(encoding="utf-8")) and path.name != "exit_codes.py"
    ]
    assert written == []


def test_the_program_never_imports_the_tools():
    offenders = {
        path.relative_to(REPO).as_posix(): sorted(m for m in _imports(path) if m == "blueprint.tools" or m.startswith("blueprint.tools."))
        for path in (BLUEPRINT / "program").rglob("*.py")
    }
    assert {path: modules for path, modules in offenders.items() if modules} == {}
