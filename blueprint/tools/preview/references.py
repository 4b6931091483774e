"""Offline answers to ``pulumi.StackReference``: preview the referenced stack and hand back its outputs.

The engine reads a referenced stack's outputs from its state; offline there is no state, so the referenced stack
is previewed in a separate process - the Pulumi runtime is global to a process, and the referencing program is
mid-run when it asks. Its outputs are kept, so that a stack is previewed once, not once per stack referencing it:

* in memory, for the rest of the process (``remember`` adds the outputs of a stack a command previewed itself, so
  ``check`` of a stack and of stacks referencing it previews it once);
* on disk, under the project (``.blueprint/cache/references/<stack>.json``, safe to delete), keyed by everything
  the outputs depend on: the referenced stack file, ``Pulumi.yaml``, the program's sources (its main file, the
  program and component packages, the preview's mocks, the templates it publishes) and the versions of this library
  and of the Pulumi SDKs. A cache file that cannot be read is reported with a note and never trusted.

Stacks that reference each other (x -> y -> x) would start child previews without end, so each child is told the
chain of stacks being previewed above it (``PREVIEW_CHAIN_VARIABLE``), and a reference to a stack already in the
chain is refused, naming the cycle.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
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
        key = _memory_key(self.project, stack)
        with _locks_guard:
            lock = _locks.setdefault(key, threading.Lock())
        with lock:
            if key not in _cache:
                source_key = sources_key(self.project, stack)
                outputs = read_cached(self.project, stack, source_key)
                if outputs is None:
                    outputs = self._preview(stack)
                    write_cached(self.project, stack, source_key, outputs)
                _cache[key] = outputs
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


# -- what a previewed stack's outputs are kept under ---------------------------------------------------------------

#: Where the outputs of referenced stacks are kept, under the project.
CACHE_DIR = Path(".blueprint") / "cache" / "references"
#: Distributions whose code shapes a preview's outputs: a new version of any of them makes every cache entry stale.
_DISTRIBUTIONS = ("azure-mlops-blueprint", "pulumi", "pulumi-azure-native", "pulumi-azuread")


def remember(project: Project, stack: str, outputs: dict[str, Any]) -> None:
    """Keep the outputs of ``stack``, previewed in this process, for programs that reference it (in memory only: a
    command's own previews never write into the project)."""
    _cache[_memory_key(project, stack)] = json.loads(json.dumps(outputs))  # as a child's --json would give them


def _memory_key(project: Project, stack: str) -> tuple[str, str, str]:
    return (str(project.directory), stack, hashlib.sha256(project.stack_file(stack).read_bytes()).hexdigest())


def cache_file(project: Project, stack: str) -> Path:
    return project.directory / CACHE_DIR / f"{stack}.json"


def sources_key(project: Project, stack: str) -> str:
    """A digest of everything a preview's outputs depend on (see the module's docstring)."""
    import blueprint.program
    import blueprint.tools.preview
    import components

    digest = hashlib.sha256()
    for name in _DISTRIBUTIONS:
        digest.update(f"{name}={_version(name)}\0".encode())
    files = [project.directory / "Pulumi.yaml", project.stack_file(stack), project.main]
    for package in (blueprint.program, components, blueprint.tools.preview):
        for folder in package.__path__:  # a namespace package has no __file__
            files += sorted(Path(folder).rglob("*.py"))
    templates = project.directory / "ml_templates"
    if templates.is_dir():
        files += sorted(p for p in templates.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for file in files:
        digest.update(str(file).encode() + b"\0")
        with contextlib.suppress(OSError):
            digest.update(file.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _version(distribution: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "none"


def read_cached(project: Project, stack: str, key: str) -> dict[str, Any] | None:
    """The cached outputs of ``stack`` if they were kept under ``key``; None when there are none or they are stale.
    A file that cannot be read as a cache entry is reported (a note on standard error) and not used."""
    path = cache_file(project, stack)
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as error:
        _note(f"cannot read the reference cache {path} ({error.strerror}); previewing {stack} again")
        return None
    try:
        entry = json.loads(text)
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str) or not isinstance(entry.get("outputs"), dict):
            raise ValueError("not a cache entry (key and outputs)")
    except ValueError as error:
        _note(f"ignoring the reference cache {path}: {error}; previewing {stack} again")
        return None
    return entry["outputs"] if entry["key"] == key else None


def write_cached(project: Project, stack: str, key: str, outputs: dict[str, Any]) -> None:
    """Keep ``outputs`` for the next process; a cache that cannot be written costs a preview, never the command."""
    from blueprint.tools.atomic_files import write_atomic

    path = cache_file(project, stack)
    try:
        write_atomic(path, json.dumps({"key": key, "stack": stack, "outputs": outputs}, indent=1) + "\n", create_parents=True)
    except (OSError, UsageError) as error:
        _note(f"cannot write the reference cache {path} ({error}); the next preview of a stack referencing {stack} previews it again")


def _note(message: str) -> None:
    print(f"note: {message}", file=sys.stderr)


def preview_order(names: list[str], configs: dict[str, Any]) -> list[str]:
    """``names`` with each stack that another's stack file names (``sharedStack: shared``, a list of stacks) before
    the stacks naming it, so that a command previewing them all previews each referenced stack once, in this process,
    before anything references it. Only an order: a guess that is wrong costs a child preview, never a result."""
    return [name for level in preview_levels(names, configs) for name in level]


def preview_levels(names: list[str], configs: dict[str, Any]) -> list[list[str]]:
    """:func:`preview_order` in rounds: a stack's round comes after the rounds of every stack its file names, so the
    stacks of one round can be previewed side by side once the earlier rounds' outputs are known. Each round keeps
    the order of ``names``; a cycle is broken where it is met (the preview itself reports it)."""
    def named_in(config: Any) -> set[str]:
        values = json.dumps(config if not hasattr(config, "items") else dict(config.items()))
        return {other for other in names if json.dumps(other) in values or f"\\\"{other}\\\"" in values}

    mentions = {name: named_in(configs[name]) - {name} for name in names}
    rounds: dict[str, int] = {}
    visiting: set[str] = set()

    def round_of(name: str) -> int:
        if name not in rounds:
            visiting.add(name)
            rounds[name] = 1 + max((round_of(m) for m in sorted(mentions[name], key=names.index) if m not in visiting), default=-1)
            visiting.discard(name)
        return rounds[name]

    for name in names:
        round_of(name)
    return [[name for name in names if rounds[name] == level] for level in range(max(rounds.values(), default=-1) + 1)]
