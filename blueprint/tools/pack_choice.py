"""Which CrossGuard pack a command evaluates: the one given, the program's own, or the one the blueprint ships.

A program keeps its own pack in ``policies/`` (``PulumiPolicy.yaml`` there), as this project does. A team that
installed the blueprint and writes its own program has none: the commands then use the pack the installation
bundles - ``blueprint/policy_pack/`` in a wheel (setup.py puts ``policies/`` there), the checkout's ``policies/``
in an editable install - and say so on standard error, so a report is never read as the verdict of another pack.
``--policy-pack DIR`` overrides both; a directory given that holds no pack is bad input, never a fallback.
Standard library only: parsing a command imports nothing heavy.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import blueprint
from blueprint.tools.errors import UsageError
from blueprint.tools.user_paths import resolved

#: The file that makes a directory a policy pack for the Pulumi CLI.
PACK_FILE = "PulumiPolicy.yaml"
#: Where a program keeps its own pack (``pulumi up --policy-pack policies``).
OWN_PACK_DIR = "policies"
#: The distribution that bundles the pack (pyproject.toml), named with its version in what the commands say.
DISTRIBUTION = "azure-mlops-blueprint"


@dataclass(frozen=True)
class PackChoice:
    """The pack a command uses, and why: ``bundled`` when neither given nor the program's own."""

    directory: Path
    bundled: bool = False
    reason: str = ""
    """What the program lacked, for the line saying the bundled pack was used."""

    def notice(self, pack_name: str) -> str | None:
        """The line saying which pack was used, when it is the bundled one (``None`` otherwise)."""
        if not self.bundled:
            return None
        return f"Policy pack: bundled {pack_name} {installed_version()} ({self.reason})"


def bundled_pack_dir() -> Path | None:
    """The pack this installation of the blueprint ships, or ``None`` when it ships none."""
    package = Path(blueprint.__file__).resolve().parent
    for candidate in (package / "policy_pack", package.parent / OWN_PACK_DIR):  # a wheel; a checkout
        if (candidate / PACK_FILE).is_file():
            return candidate
    return None


def choose_pack(given: Path | None, home: Path, where: str) -> PackChoice:
    """The pack to use: ``given`` (``--policy-pack``) if any, else ``home/policies`` when it holds a pack, else the
    bundled pack. ``where`` names ``home`` in the notice (``"the program"``, ``"the current directory"``)."""
    if given is not None:
        return PackChoice(resolved(given, "--policy-pack"))
    own = home / OWN_PACK_DIR
    if (own / PACK_FILE).is_file():
        return PackChoice(resolved(own, "--policy-pack"))
    bundled = bundled_pack_dir()
    if bundled is None:
        raise UsageError(f"{own}: no policy pack here (no {PACK_FILE}), and this installation of the blueprint bundles "
                         "none; pass --policy-pack DIR")
    return PackChoice(bundled, bundled=True, reason=f"no {OWN_PACK_DIR}/{PACK_FILE} in {where} {home}")


def installed_version() -> str:
    """The version of the installed blueprint, which is the bundled pack's."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"
