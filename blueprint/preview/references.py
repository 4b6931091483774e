"""Offline answers to ``pulumi.StackReference``: preview the referenced stack and hand back its outputs.

The engine reads a referenced stack's outputs from its state; offline there is no state, so the referenced stack
is previewed (once per process and stack file content) in a separate process - the Pulumi runtime is global to a
process, and the referencing program is mid-run when it asks.
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import threading
from typing import Any

from blueprint.errors import UsageError
from blueprint.project import Project
from blueprint.termination import EXIT_INTERRUPTED, child_process, stop_if_interrupted

#: How long a referenced stack's preview may take.
PREVIEW_TIMEOUT = 600

_cache: dict[tuple[str, str, str], dict[str, Any]] = {}
#: One lock per referenced stack: a program referencing several stacks previews them side by side.
_locks: dict[tuple[str, str, str], threading.Lock] = {}
_locks_guard = threading.Lock()


class StackOutputs:
    """Resolves StackReference names of one project: ``stack``, ``project/stack`` or ``org/project/stack``."""

    def __init__(self, project: Project, referencing_stack: str) -> None:
        self.project = project
        self.referencing_stack = referencing_stack
        self.failure: UsageError | None = None

    def __call__(self, reference: str) -> dict[str, Any]:
        try:
            return self._resolve(reference)
        except UsageError as error:
            self.failure = error  # reported by the runner as bad input (exit 2) once the run has unwound
            raise

    def _resolve(self, reference: str) -> dict[str, Any]:
        parts = reference.split("/")
        stack = parts[-1]
        if len(parts) >= 2 and parts[-2] != self.project.name:
            raise UsageError(
                f"StackReference {reference!r}: the offline preview resolves stacks of this project ({self.project.name}) only"
            )
        if stack == self.referencing_stack:
            raise UsageError(f"StackReference {reference!r}: stack {stack} cannot reference itself")
        path = self.project.stack_file(stack)
        if not path.is_file():
            raise UsageError(f"StackReference {reference!r}: no stack file {path.relative_to(self.project.directory)} to preview")
        key = (str(self.project.directory), stack, hashlib.sha256(path.read_bytes()).hexdigest())
        with _locks_guard:
            lock = _locks.setdefault(key, threading.Lock())
        with lock:
            if key not in _cache:
                _cache[key] = self._preview(stack)
            return _cache[key]

    def _preview(self, stack: str) -> dict[str, Any]:
        """The referenced stack's outputs, from a child preview that Ctrl-C ends with this process."""
        command = [sys.executable, "-m", "blueprint", "preview", stack, "--program", str(self.project.directory), "--json", "--no-policies"]
        with child_process(command) as process:
            try:
                stdout, stderr = process.communicate(timeout=PREVIEW_TIMEOUT)
            except subprocess.TimeoutExpired:
                raise UsageError(f"referenced stack {stack} could not be previewed: no result within {PREVIEW_TIMEOUT} s") from None
        stop_if_interrupted()  # this process was interrupted (and ended the child): not a failed reference
        if process.returncode in (EXIT_INTERRUPTED, -signal.SIGINT):
            raise KeyboardInterrupt  # Ctrl-C reached the child too: this run is interrupted, not failed
        if process.returncode != 0:
            detail = stderr.strip().removeprefix("error: ")
            raise UsageError(f"referenced stack {stack} could not be previewed: {detail}")
        try:
            return json.loads(stdout)["outputs"]
        except (ValueError, KeyError, TypeError):
            raise UsageError(f"referenced stack {stack} could not be previewed: its preview printed no plan") from None
