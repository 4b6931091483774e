"""``blueprint check`` of several stacks on several cores, with the same result as one stack after another.

Stacks are checked in rounds (``references.preview_levels``): a stack comes after every stack its file names, whose
outputs it reads, so each stack is previewed once. Within a round, stacks are checked in worker processes forked
from this one once it has run a program: the Pulumi SDK and the azure-native packages are already imported (and
frozen for the collector), so a worker starts in milliseconds instead of importing for seconds, and shares those
pages with the parent. A worker hands back plain data (:class:`~blueprint.tools.stack_checks.StackVerdict`), in the
order the stacks were given, so the reports are byte-identical to a serial run.

- Memory: a worker checks at most :data:`STACKS_PER_WORKER` stacks, then a fresh one is forked in its place: what
  one program run leaves behind never accumulates over a fleet.
- Ctrl-C: the workers ignore SIGINT (the terminal sends it to all of them); this process stops the pool, which ends
  every worker (and a worker ends the previews it started), and the command reports the interruption. Reports are
  written only after every stack is checked, so none is left partial.
- Failures: the first stack (in round order) whose preview fails ends the check with its error, as serially.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from blueprint.tools.errors import ProgramFailed, UsageError
from blueprint.tools.exit_codes import EXIT_INTERRUPTED
from blueprint.tools.stack_checks import StackChecker, StackVerdict
from blueprint.program.errors import InputError

#: Stacks a worker checks before it is replaced by a fresh fork: bounds what a worker can accumulate (it does not
#: collect between runs below gc_tuning.MEMORY_CEILING_MIB: about 13 MiB of garbage per prod-sized stack).
STACKS_PER_WORKER = 8


def available_cores() -> int:
    """The cores this process may run on (a container's or CI runner's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def check_stacks(checker: StackChecker, rounds: list[list[str]], jobs: int) -> Iterator[StackVerdict]:
    """The verdict of every stack of ``rounds``, round after round, each round in its given order; ``jobs``: how many
    stacks are checked at once. A verdict's outputs are kept for the stacks of later rounds before the next starts."""
    from blueprint.tools.preview.references import remember

    parallel = jobs > 1 and can_fork()
    ran_here = False
    for names in rounds:
        pending = list(names)
        # In this process: the first stack (workers forked after a run start with everything imported), a stack
        # alone in its round, and everything when there is one job.
        while pending and (not ran_here or not parallel or len(pending) < 2):
            verdict = checker.check(pending.pop(0))
            ran_here = True
            remember(checker.project, verdict.name, verdict.outputs)
            yield verdict
        if pending:
            for verdict in _in_workers(checker, pending, jobs):
                remember(checker.project, verdict.name, verdict.outputs)
                yield verdict


@dataclass(frozen=True)
class _Raised:
    """A worker's preview failed: the error the command reports, carried back as text."""

    usage: bool
    message: str


#: A worker's answer when Ctrl-C reached what it ran (a referenced stack's preview in a child process).
_INTERRUPTED = "interrupted"

#: The checker the workers use: set before they are forked, inherited with the rest of this process's memory.
_checker: StackChecker | None = None


def _in_workers(checker: StackChecker, names: list[str], jobs: int) -> Iterator[StackVerdict]:
    global _checker
    _checker = checker
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # a forked worker would write whatever is still buffered a second time
    context = multiprocessing.get_context("fork")
    with context.Pool(min(jobs, len(names)), initializer=_worker_started, maxtasksperchild=STACKS_PER_WORKER) as pool:
        for result in pool.imap(_check_in_worker, names):
            if result is _INTERRUPTED:
                raise KeyboardInterrupt  # a worker's own child preview was interrupted: so is the check
            if isinstance(result, _Raised):
                raise UsageError(result.message) if result.usage else ProgramFailed(result.message)
            yield result
    # Leaving the block ends the pool (terminate): on an error or Ctrl-C above too, with every worker stopped.


def _worker_started() -> None:
    """A worker leaves Ctrl-C to the parent, which stops the pool; stopped (SIGTERM), it ends its own children. It
    is replaced after :data:`STACKS_PER_WORKER` stacks, so it skips the collection between runs (below a ceiling)."""
    from blueprint.tools.preview.gc_tuning import collect_between_runs

    collect_between_runs(False)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_stopped)


def _worker_stopped(signum: int, frame: object) -> None:
    """Kill and reap the previews this worker started, then end at once (the pool is being torn down)."""
    from blueprint.tools import termination

    for process in list(termination._children):  # no lock: the main thread may hold it
        try:
            process.kill()
            os.waitpid(process.pid, 0)
        except (OSError, ChildProcessError):
            pass  # already ended and reaped
    os._exit(EXIT_INTERRUPTED)


def _check_in_worker(name: str) -> StackVerdict | _Raised | str:
    assert _checker is not None
    try:
        return _checker.check(name)
    except KeyboardInterrupt:
        return _INTERRUPTED
    except InputError as error:
        return _Raised(True, str(error))
    except ProgramFailed as error:
        return _Raised(False, str(error))
