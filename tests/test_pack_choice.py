"""Which pack ``check`` and ``policies`` use (given, the program's own, or the bundled one) and ``policies --copy-to``,
run from the project's environment; tests/test_wheel.py runs the same from an installed wheel."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from blueprint.tools.pack_copy import with_virtualenv
from tests.conftest import REPO
from tests.test_wheel import EXPECTED_POLICIES, write_program

PACK = REPO / "policies"
VENV = Path(sys.prefix)


def blueprint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "blueprint", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def files(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture
def program(tmp_path: Path) -> Path:
    return write_program(tmp_path / "infra")


@pytest.mark.e2e
def test_check_without_a_pack_uses_the_bundled_one_says_so_and_reports_the_same(program, tmp_path):
    bundled = blueprint("check", "--program", str(program), "--format", "json", cwd=tmp_path)
    assert bundled.returncode == 1, bundled.stderr
    assert bundled.stderr.splitlines()[0] == (f"Policy pack: bundled mlplatform-governance 0.1.0 (no "
                                              f"policies/PulumiPolicy.yaml in the program {program})")
    given = blueprint("check", "--program", str(program), "--format", "json", "--policy-pack", str(PACK), cwd=tmp_path)
    assert given.returncode == 1 and not given.stderr.startswith("Policy pack:")
    assert bundled.stdout == given.stdout  # in a checkout, the bundled pack is policies/
    assert {finding["policy"] for finding in json.loads(bundled.stdout)["findings"]} == EXPECTED_POLICIES


@pytest.mark.e2e
def test_a_program_with_its_own_pack_uses_it_silently(program, tmp_path):
    (program / "policies").symlink_to(PACK, target_is_directory=True)
    result = blueprint("check", "--program", str(program), "--format", "json", cwd=tmp_path)
    assert result.returncode == 1 and not result.stderr.startswith("Policy pack:")
    assert json.loads(result.stdout)["pack"] == "mlplatform-governance"


@pytest.mark.e2e
def test_a_given_directory_without_a_pack_is_still_bad_input(program, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = blueprint("check", "--program", str(program), "--policy-pack", str(empty), cwd=tmp_path)
    assert result.returncode == 2 and "no policy pack here" in result.stderr and result.stdout == ""


@pytest.mark.e2e
def test_copy_to_writes_the_pack_with_this_environment_as_its_virtualenv(tmp_path):
    target = tmp_path / "deploy" / "policy-pack"
    result = blueprint("policies", "--policy-pack", str(PACK), "--copy-to", str(target), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (f"Deploy: pulumi up --policy-pack {target} --policy-pack-config "
                                              f"{target}/config/<environment>.json")
    copied, shipped = files(target), files(PACK)
    assert copied.keys() == shipped.keys()
    assert all(copied[name] == shipped[name] for name in shipped if name != "PulumiPolicy.yaml")
    project = yaml.safe_load(copied["PulumiPolicy.yaml"])
    virtualenv = project["runtime"]["options"].pop("virtualenv")
    assert not Path(virtualenv).is_absolute() and (target / virtualenv).resolve() == VENV.resolve()
    original = yaml.safe_load(shipped["PulumiPolicy.yaml"])
    assert original["runtime"]["options"].pop("virtualenv") == "../.venv"
    assert project == original  # only the virtualenv differs


@pytest.mark.e2e
@pytest.mark.parametrize("where", ["not-empty", "inside-pack", "a-file"])
def test_copy_to_refuses_to_overwrite_anything(tmp_path, where):
    pack = tmp_path / "pack"
    subprocess.run(["cp", "-r", str(PACK), str(pack)], check=True)
    target = {"not-empty": tmp_path / "out", "inside-pack": pack / "copy", "a-file": tmp_path / "file"}[where]
    if where == "not-empty":
        target.mkdir()
        (target / "notes.txt").write_text("mine")
    if where == "a-file":
        target.write_text("mine")
    before = files(tmp_path)
    result = blueprint("policies", "--policy-pack", str(pack), "--copy-to", str(target), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr and result.stdout == ""
    assert f"--copy-to {target}: " in result.stderr
    assert files(tmp_path) == before  # nothing written, nothing left behind


def test_the_virtualenv_line_is_replaced_quoted_or_dropped():
    text = "runtime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: ../.venv\ndescription: x\n"
    assert yaml.safe_load(with_virtualenv(text, "../my env: 2"))["runtime"]["options"]["virtualenv"] == "../my env: 2"
    assert with_virtualenv(text, "") == "runtime:\n  name: python\n  options:\n    toolchain: pip\ndescription: x\n"
    assert with_virtualenv("runtime: python\n", "../.venv") == "runtime: python\n"
