"""A copy of a policy pack that ``pulumi up --policy-pack DIR`` can run (``blueprint policies --copy-to DIR``).

The Pulumi CLI runs a Python pack in the virtualenv its ``PulumiPolicy.yaml`` names, relative to the pack:
``virtualenv: ../.venv`` is the checkout's ``.venv`` beside ``policies/``. The copy a wheel installs under
``site-packages`` has no ``.venv`` beside it, so it cannot be run where it is. The copy written here names the
environment the blueprint itself runs in (which holds pulumi-policy and the pack's other needs: they are the
blueprint's dependencies), relative to DIR when it can be, so a repository keeping both its ``.venv`` and DIR can
commit the copy; outside a virtualenv the option is dropped and Pulumi runs the pack with the ``python3`` on PATH.
DIR must be new or empty: nothing of a user's is overwritten, and the copy appears whole or not at all.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from blueprint.tools.errors import UsageError
from blueprint.tools.pack_choice import PACK_FILE
from blueprint.tools.termination import stop_if_interrupted
from blueprint.tools.user_paths import resolved

#: The ``virtualenv:`` line of ``PulumiPolicy.yaml`` (under ``runtime.options``).
_VIRTUALENV_LINE = re.compile(r"^(?P<indent>[ \t]+)virtualenv:[^\n]*\n?", re.MULTILINE)
#: What a pack's copy leaves out: compiled files Python writes beside the sources.
_NOT_COPIED = shutil.ignore_patterns("__pycache__", "*.pyc")


def copy_pack(pack: Path, target: Path) -> str:
    """Write a runnable copy of ``pack`` to ``target`` (new or empty) and return the virtualenv it names (``""``
    when none); ``UsageError`` naming ``target`` when it cannot be written, with nothing left behind."""
    if resolved(target, "--copy-to").is_relative_to(pack.resolve()):
        raise UsageError(f"--copy-to {target}: is inside the pack being copied ({pack}); give a directory outside it")
    if target.exists() and not target.is_dir():
        raise UsageError(f"--copy-to {target}: is a file, not a directory")
    if target.is_dir() and any(target.iterdir()):
        raise UsageError(f"--copy-to {target}: is not empty; refusing to overwrite anything in it (give a new or empty directory)")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as error:
        raise UsageError(f"--copy-to {target}: cannot be written: {error.strerror or error}") from None
    try:
        copy = staging / "pack"
        shutil.copytree(pack, copy, ignore=_NOT_COPIED)
        virtualenv = runtime_virtualenv(target)
        project_file = copy / PACK_FILE
        project_file.write_text(with_virtualenv(project_file.read_text(encoding="utf-8"), virtualenv), encoding="utf-8")
        stop_if_interrupted()
        if target.is_dir():
            target.rmdir()  # empty, checked above; the rename below needs it gone
        os.rename(copy, target)
    except OSError as error:
        raise UsageError(f"--copy-to {target}: cannot be written: {error.strerror or error}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return virtualenv


def runtime_virtualenv(target: Path) -> str:
    """The virtualenv the blueprint runs in, as ``PulumiPolicy.yaml`` in ``target`` names it: relative to ``target``
    when both are on one drive, absolute otherwise; ``""`` outside a virtualenv."""
    if sys.prefix == sys.base_prefix:
        return ""
    environment = Path(sys.prefix).resolve()
    try:
        return Path(os.path.relpath(environment, target.resolve())).as_posix()
    except ValueError:  # another drive (Windows): no relative path
        return environment.as_posix()


def with_virtualenv(text: str, virtualenv: str) -> str:
    """``PulumiPolicy.yaml``'s ``text`` with its ``virtualenv:`` set to ``virtualenv``, or removed when it is ``""``;
    a pack that names none is left to Pulumi's default (the ``python3`` on PATH)."""
    def replace(match: re.Match[str]) -> str:
        return f"{match['indent']}virtualenv: {json.dumps(virtualenv)}\n" if virtualenv else ""  # quoted: any path is valid YAML

    return _VIRTUALENV_LINE.sub(replace, text, count=1)
