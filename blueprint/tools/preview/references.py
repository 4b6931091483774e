"""Offline answers to ``pulumi.StackReference``: preview the referenced stack and hand back its outputs.

The engine reads a referenced stack's outputs from its state; offline there is no state, so the referenced stack
is previewed (once per process and stack file content) in a separate process - the Pulumi runtime is global to a
process, and the referencing program is mid-run when it asks.

Stacks that reference each other (x -> y -> x) would start child previews without end, so each child is told the
chain of stacks being previewed above it (``PREVIEW_CHAIN_VARIABLE``), and a reference to a stack already in the
chain is refused, naming the cycle.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
from typing import Any

from blueprint.tools.errors import UsageError
from blueprint.program.errors import InputError
from blueprint.program.project import Project
from blueprint.tools.exit_codes import EXIT_INTERRUPTED
from blueprint.tools.termination import child_process, stop_if_interrupted

#: How long a referenced stack's preview may take.
PREVIEW_TIMEOUT = 600
#: Environment variable naming the stacks whose previews wait on this one, outermost first, comma-separated
#: (a stack name has no comma): set for each child preview, read by the child to refuse a cycle.
PREVIEW_CHAIN_VARIABLE = "BLUEPRINT_PREVIEW_CHAIN"

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
        inherited = os.environ.get(PREVIEW_CHAIN_VARIABLE, "")
        #: This stack and every stack previewing it, outermost first.
        self.chain = [*filter(None, inherited.split(",")), referencing_stack]

    def __call__(self, reference: str) -> dict[str, Any]:
        try:
            return self._resolve(reference)
        except InputError as error:
            self.failure = error  # reported by the runner as bad input once the run has unwound
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
        if stack in self.chain:
            cycle = " -> ".join([*self.chain[self.chain.index(stack) :], stack])
            raise UsageError(f"StackReference {reference!r}: stacks reference each other in a cycle ({cycle}); no stack of a cycle can be deployed first")
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
        environment = {**os.environ, PREVIEW_CHAIN_VARIABLE: ",".join(self.chain)}
        with child_process(command, env=environment) as process:
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
