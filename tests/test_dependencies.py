"""The dependency locks scripts/setup.sh installs: every package exactly pinned with its hashes, the versions those
of constraints.txt, and the README's setup using them (what `pip install --require-hashes` relies on)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import REPO

LOCKS = ("requirements-pip.lock", "requirements.lock", "requirements-dev.lock")
#: ``name==version \`` followed by ``--hash=sha256:<64 hex>`` lines, as pip-compile --generate-hashes writes them.
ENTRY = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+) \\\n(?P<hashes>(?:\s+--hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)", re.M)


def canonical(name: str) -> str:
    """PEP 503's normalised project name: ``ruamel.yaml`` and ``ruamel-yaml`` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def locked(path: Path) -> dict[str, str]:
    """Package -> version of a lock file; fails on any requirement line that is not pinned with hashes."""
    text = path.read_text()
    entries = {canonical(m["name"]): m["version"] for m in ENTRY.finditer(text)}
    requirement_lines = [line for line in text.splitlines() if line and not line.startswith((" ", "#"))]
    assert len(requirement_lines) == len(entries), f"{path.name}: a requirement without an exact pin and hashes"
    return entries


def pins(path: Path) -> dict[str, str]:
    return {
        canonical(name): version
        for name, version in re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", path.read_text(), re.M)
    }


@pytest.mark.parametrize("lock", LOCKS)
def test_every_locked_package_is_pinned_with_its_hashes(lock: str) -> None:
    assert locked(REPO / lock)


def test_the_installer_is_pinned_exactly():
    assert set(locked(REPO / "requirements-pip.lock")) == {"pip"}
    assert locked(REPO / "requirements-pip.lock")["pip"] == pins(REPO / "requirements-pip.txt")["pip"]


def test_the_locks_hold_the_constrained_versions_and_agree_with_each_other():
    constraints = pins(REPO / "constraints.txt")
    runtime, dev = locked(REPO / "requirements.lock"), locked(REPO / "requirements-dev.lock")
    assert {name: version for name, version in runtime.items() if dev.get(name) != version} == {}
    assert {name: version for name, version in dev.items() if name in constraints and constraints[name] != version} == {}
    for requirements, lock in (("requirements.txt", runtime), ("requirements-ml.txt", dev), ("requirements-dev.txt", dev)):
        for name, version in pins(REPO / requirements).items():
            assert lock.get(name) == version, f"{requirements} pins {name}=={version}, the lock has {lock.get(name)}"


def test_the_lock_detects_a_requirement_without_hashes(tmp_path):
    broken = tmp_path / "broken.lock"
    broken.write_text((REPO / "requirements.lock").read_text() + "evil==1.0\n")
    with pytest.raises(AssertionError, match="without an exact pin and hashes"):
        locked(broken)
