"""The plan and policy findings of a stack as a base revision defines it, previewed by that revision's own code.

``blueprint report --base REF`` compares the stack with what it was at REF. Previewing REF's stack file with the
current code would compare the wrong things (a component changed by the pull request would show no difference), so
the preview runs in a child process inside REF's extracted tree (blueprint/tools/base_tree.py): its working directory
and ``PYTHONPATH`` are the base tree, so ``python -m blueprint`` imports the base's ``blueprint`` and ``components``
(and its ``__main__.py`` and policy pack), and only what the base does not hold itself comes from the installed
environment. The child prints its plan as JSON (``preview --json``, docs/plan-format.md), read back as a
:class:`Plan` (blueprint/tools/preview/plan_loader.py) with its findings.

A stack file the base does not have gives ``None``: everything in the stack is new. A base preview that fails is bad
input naming REF and what the child said; Ctrl-C ends the child with this process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from blueprint.tools.base_tree import BaseTree
from blueprint.tools.errors import UsageError
from blueprint.tools.exit_codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from blueprint.tools.policy_check import Finding
from blueprint.tools.preview.plan import Plan
from blueprint.tools.preview.plan_loader import plan_from_json
from blueprint.tools.termination import child_process, end_children, stop_if_interrupted

#: How long the base's preview may take (it may preview the stacks it references too).
BASE_PREVIEW_TIMEOUT = 900
#: Finding keys a base preview's ``policies[]`` entries must carry.
_FINDING_KEYS = ("policy", "severity", "enforcement", "message", "urn", "stack")


@dataclass(frozen=True)
class BasePreview:
    """What the base revision's code previews for the stack."""

    plan: Plan
    findings: list[Finding] = field(default_factory=list)
    evaluated: bool = True
    """Whether the base has a policy pack (without one, no finding of the base is known: none is called fixed)."""


def preview_base(base: BaseTree, stack: str, stack_file: Path) -> BasePreview | None:
    """The base's preview of ``stack`` (whose stack file is ``stack_file`` in the work tree), or ``None`` when the
    base has no such stack file (or no project there)."""
    if not base.counterpart(stack_file).is_file():
        return None
    if not any((base.project / name).is_file() for name in ("Pulumi.yaml", "Pulumi.yml")):
        return None
    document = _run_preview(base, stack)
    where = f"--base {base.ref}: the preview of stack {stack}"
    plan = plan_from_json(document, where)
    raw = document.get("policies")
    if raw is None:
        return BasePreview(plan, [], evaluated=False)
    if not isinstance(raw, list):
        raise UsageError(f"{where}: policies: expected a list of findings")
    return BasePreview(plan, [_finding(item, f"{where}: policies[{i}]") for i, item in enumerate(raw)])


def base_environment(base: BaseTree) -> dict[str, str]:
    """This process's environment with the base tree first on ``PYTHONPATH``: the base's own packages win."""
    inherited = os.environ.get("PYTHONPATH")
    path = str(base.root) if not inherited else os.pathsep.join((str(base.root), inherited))
    return {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}


def _run_preview(base: BaseTree, stack: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "blueprint", "preview", stack, "--program", str(base.project), "--json"]
    with child_process(command, env=base_environment(base), cwd=base.root) as process:
        try:
            stdout, stderr = process.communicate(timeout=BASE_PREVIEW_TIMEOUT)
        except KeyboardInterrupt:
            end_children()  # Ctrl-C: the child ends the previews it started itself before it goes (not killed outright)
            raise
        except subprocess.TimeoutExpired:
            raise UsageError(f"--base {base.ref}: stack {stack} could not be previewed: no result within {BASE_PREVIEW_TIMEOUT} s") from None
    stop_if_interrupted()
    if process.returncode in (EXIT_INTERRUPTED, -signal.SIGINT):
        raise KeyboardInterrupt
    if process.returncode not in (EXIT_OK, EXIT_FAILED):  # 1: mandatory violations, with the plan printed all the same
        detail = "; ".join(line.removeprefix("error: ") for line in stderr.strip().splitlines()[-3:]) or f"exit code {process.returncode}"
        raise UsageError(f"--base {base.ref}: stack {stack} could not be previewed with the base's code: {detail}")
    try:
        document = json.loads(stdout)
    except ValueError:
        raise UsageError(f"--base {base.ref}: the preview of stack {stack} printed no plan") from None
    if not isinstance(document, dict):
        raise UsageError(f"--base {base.ref}: the preview of stack {stack} printed no plan")
    return document


def _finding(item: Any, where: str) -> Finding:
    if not isinstance(item, dict) or any(key not in item for key in _FINDING_KEYS):
        raise UsageError(f"{where}: expected a finding with {', '.join(_FINDING_KEYS)}")
    waived = item.get("waived")
    return Finding(
        policy=str(item["policy"]), severity=str(item["severity"]), enforcement=str(item["enforcement"]),
        message=str(item["message"]), urn=item["urn"] if isinstance(item["urn"], str) else None,
        stack=str(item["stack"]), waived=waived if isinstance(waived, str) else None,
    )
