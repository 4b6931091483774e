"""How the project is laid out: every CLI command a module of blueprint/tools/commands, the exit codes written in one
module, the program (blueprint/program, and the components it uses) never importing the tools, and the public
components importable from ``components`` without knowing its file layout."""

from __future__ import annotations

import ast
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

BLUEPRINT = REPO / "blueprint"


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


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


PROGRAM_FILES = [REPO / "__main__.py", *sorted((REPO / "blueprint" / "program").rglob("*.py")), *sorted((REPO / "components").rglob("*.py"))]


@pytest.mark.parametrize("path", PROGRAM_FILES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_the_program_never_imports_the_tools(path):
    """What `pulumi up` runs imports nothing of the CLI (and the components nothing of the blueprint at all)."""
    imported = _imports(path)
    assert not {name for name in imported if name == "blueprint.tools" or name.startswith("blueprint.tools.")}
    if path.is_relative_to(REPO / "components"):
        assert not {name for name in imported if name == "blueprint" or name.startswith("blueprint.")}


def test_running_the_program_loads_no_tool_module():
    """The rule at run time, through every import the program makes (under the mock runtime it composes all kinds)."""
    code = (
        "import sys, blueprint.program.stacks.environment, blueprint.program.stacks.shared, "
        "blueprint.program.stacks.bootstrap, blueprint.program.config.pulumi_source, blueprint.program.generated\n"
        "print(sorted(m for m in sys.modules if m.startswith('blueprint.tools')))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_public_components_import_from_the_package():
    import components
    from components import GpuCluster, MlWorkspace
    from components.gpu_cluster import GpuCluster as defined

    assert GpuCluster is defined and MlWorkspace.__name__ == "MlWorkspace"
    assert all(getattr(components, name) is not None for name in components.__all__)
    with pytest.raises(AttributeError):
        components.NoSuchComponent  # noqa: B018 - the attribute access is the test


def test_catalog_modules_do_not_load_the_components():
    """The policy pack and the config read catalogs (regions, roles) without paying for the Azure SDK imports."""
    code = "import sys, components.regions, components.roles; print('components.ml_workspace' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
