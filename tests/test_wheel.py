"""The library as another team installs it: a wheel built from this tree, installed into a fresh virtualenv outside
the checkout, used from a directory that is not the checkout.

The wheel is built with the locked setuptools of the project's environment, without network; its dependencies are
made importable from that environment by a ``.pth`` line naming its ``site-packages`` (a plain path line: the
``.pth`` files there, the project's own editable install among them, are not run), so every ``components`` and
``blueprint`` module, and the bundled pack, must come from the wheel: the tests assert where each was loaded from.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

pytestmark = pytest.mark.e2e

#: What the build reads: the metadata, the package list and everything it packages.
BUILD_INPUTS = ("pyproject.toml", "setup.py", "README.md", "LICENSE", "blueprint", "components", "policies")
#: A team's own program: one workspace from the installed components, its environment exported for the pack config
#: (README.md shows it, as "Use the library from your own repository").
PROGRAM = '''\
import pulumi

from components import MlWorkspace

config = pulumi.Config()
workspace = MlWorkspace(
    "team",
    {
        "location": config.require("location"),
        "naming": {"prefix": "team", "environment": "dev", "seed": f"{pulumi.get_project()}/{pulumi.get_stack()}"},
        "tags": {"owner": "ml-team", "costCenter": "CC-7", "environment": "dev", "dataClassification": "internal"},
        "network_mode": "private",
    },
)
pulumi.export("environment", "dev")
pulumi.export("workspaceName", workspace.workspace_name)
'''
#: What the pack finds on a private workspace alone: none of the private endpoints, diagnostic settings and budget
#: the shipped program adds around it.
EXPECTED_POLICIES = {
    "azure-native-network-privateendpoint-required",
    "azure-native-monitor-diagnosticsetting-key-vault-logs",
    "azure-native-monitor-diagnosticsetting-ml-workspace-logs",
    "azure-native-consumption-budget-notifications",
}


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    work: Path
    """A directory outside the checkout, the working directory of every command."""

    @property
    def bin(self) -> Path:
        return self.venv / ("Scripts" if os.name == "nt" else "bin")

    def run(self, program: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
        return subprocess.run([str(self.bin / program), *args], cwd=cwd or self.work, env=env, capture_output=True,
                              text=True, timeout=120)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    assert not root.resolve().is_relative_to(REPO), "the test must run outside the checkout"
    source = root / "source"  # a copy: the build leaves build/ and *.egg-info behind, never in the checkout
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in BUILD_INPUTS:
        path = REPO / name
        (shutil.copytree(path, source / name, ignore=ignore) if path.is_dir() else shutil.copy(path, source / name))
    dist = root / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                            "--quiet", "--wheel-dir", str(dist), str(source)], capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    (wheel,) = dist.glob("azure_mlops_blueprint-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    dependencies = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (site / "project-dependencies.pth").write_text("".join(f"{path}\n" for path in dependencies))
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                              "--quiet", str(wheel)], capture_output=True, text=True, timeout=120)
    assert install.returncode == 0, install.stderr
    work = root / "team"
    work.mkdir()
    return Installed(wheel, venv, work)


def write_program(directory: Path) -> Path:
    """A team's program in ``directory``: project file, dev stack, ``__main__.py``; no policy pack of its own."""
    directory.mkdir()
    (directory / "Pulumi.yaml").write_text("name: team-ml\nruntime:\n  name: python\n")
    (directory / "Pulumi.dev.yaml").write_text("config:\n  team-ml:location: westeurope\n")
    (directory / "__main__.py").write_text(PROGRAM)
    return directory


@pytest.fixture(scope="module")
def program(installed: Installed) -> Path:
    return write_program(installed.work / "infra")


def pack_files(directory: Path) -> set[str]:
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def test_the_wheel_carries_the_components_the_cli_the_pack_and_their_data(installed):
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    pack = {f"blueprint/policy_pack/{name}" for name in pack_files(REPO / "policies")}
    assert pack <= names, sorted(pack - names)
    assert {"blueprint/policy_pack/PulumiPolicy.yaml", "blueprint/policy_pack/__main__.py",
            "blueprint/policy_pack/config/prod.json", "blueprint/policy_pack/mlplatform_policies/pack_config.py"} <= pack
    assert {"components/data/vm_sizes.json", "blueprint/tools/data/prices.json", "blueprint/tools/preview/runner.py",
            "components/ml_workspace.py", "blueprint/tools/cli.py"} <= names
    sources = {p.relative_to(REPO).as_posix() for top in ("blueprint", "components") for p in (REPO / top).rglob("*.py")}
    assert sources <= names, sorted(sources - names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "blueprint = blueprint.tools.cli:run" in zipfile.ZipFile(installed.wheel).read(entry_points).decode()


def test_modules_and_pack_come_from_the_fresh_venv_not_the_checkout(installed):
    probe = ("import json, components, blueprint; from components import MlWorkspace; "
             "from blueprint.tools.pack_choice import bundled_pack_dir; "
             "print(json.dumps([components.__file__, blueprint.__file__, MlWorkspace.__module__, str(bundled_pack_dir())]))")
    result = installed.run("python", "-c", probe)
    assert result.returncode == 0, result.stderr
    components_file, blueprint_file, module, pack = json.loads(result.stdout)
    venv = installed.venv.resolve()
    for path in (components_file, blueprint_file, pack):
        assert Path(path).resolve().is_relative_to(venv), path
    assert module == "components.ml_workspace"
    assert (Path(pack) / "PulumiPolicy.yaml").is_file()


def test_policies_lists_the_bundled_pack_outside_a_checkout(installed):
    result = installed.run("blueprint", "policies", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("Policy pack: bundled mlplatform-governance 0.1.0 (no policies/PulumiPolicy.yaml in "
                                    "the current directory")
    catalog = json.loads(result.stdout)
    shipped = subprocess.run([sys.executable, "-m", "blueprint", "policies", "--format", "json"], cwd=REPO,
                             capture_output=True, text=True, timeout=120)
    assert shipped.returncode == 0 and shipped.stderr == ""
    assert catalog == json.loads(shipped.stdout)  # the same 80-odd policies, configs and controls as the checkout's
    assert catalog["pack"] == "mlplatform-governance" and len(catalog["policies"]) > 80


def test_check_of_a_program_without_a_pack_uses_the_bundled_one_and_says_so(installed, program):
    result = installed.run("blueprint", "check", "--program", str(program), "--format", "json")
    assert result.returncode == 1, result.stderr  # a workspace alone lacks what the pack requires around it
    notice, error = result.stderr.splitlines()
    assert notice == f"Policy pack: bundled mlplatform-governance 0.1.0 (no policies/PulumiPolicy.yaml in the program {program})"
    assert error.startswith("error: ") and "mandatory policy violations in dev" in error
    report = json.loads(result.stdout)
    assert report["pack"] == "mlplatform-governance"
    (stack,) = report["stacks"]
    assert (stack["stack"], stack["environment"], stack["verdict"]) == ("dev", "dev", "fail")
    assert stack["resources"] > 10
    found = {finding["policy"] for finding in report["findings"]}
    assert found == EXPECTED_POLICIES
    assert all(finding["enforcement"] == "mandatory" for finding in report["findings"])


def test_the_readme_shows_this_program_and_it_previews(installed, program):
    assert f"```python\n{PROGRAM}```" in (REPO / "README.md").read_text()
    result = installed.run("blueprint", "preview", "dev", cwd=program)
    assert result.returncode == 0, result.stderr
    assert "mlplatform:index:MlWorkspace" in result.stdout and 'environment: "dev"' in result.stdout


def test_a_copied_pack_names_the_venv_and_gives_the_same_verdict(installed, program):
    target = installed.work / "policy-pack"
    copied = installed.run("blueprint", "policies", "--copy-to", str(target))
    assert copied.returncode == 0, copied.stderr
    assert f"copied to {target} (runs in virtualenv ../../venv)" in copied.stdout
    runtime = yaml.safe_load((target / "PulumiPolicy.yaml").read_text())["runtime"]
    assert (target / runtime["options"]["virtualenv"]).resolve() == installed.venv.resolve()
    assert pack_files(target) == pack_files(REPO / "policies")
    bundled = installed.run("blueprint", "check", "--program", str(program), "--format", "json")
    given = installed.run("blueprint", "check", "--program", str(program), "--format", "json", "--policy-pack", str(target))
    assert given.returncode == 1 and not given.stderr.startswith("Policy pack:")  # given: nothing to say
    assert given.stdout == bundled.stdout
