"""Counts the README states about the code, checked against the code (figures measured by the benchmarks are
re-measured by running them, not here)."""

from __future__ import annotations

import re

from tests.conftest import REPO


def test_the_policy_count_is_the_packs():
    from blueprint.tools.policy_check import load_policies

    readme = (REPO / "README.md").read_text()
    (count,) = re.findall(r"policy pack of (\d+) policies", readme)
    assert int(count) == len(load_policies(REPO / "policies"))


def test_the_documented_setup_installs_from_the_locks():
    readme = (REPO / "README.md").read_text()
    for lock in ("requirements.lock", "requirements-dev.lock"):
        assert f"`{lock}`" in readme and lock in (REPO / "scripts" / "setup.sh").read_text()
