"""``blueprint check`` of several stacks on several cores, with the same result as one stack after another.

Stacks are checked in rounds (``references.preview_levels``): a stack comes after every stack its file names, whose
outputs it reads, so each stack is previewed once. Within a round, stacks are checked in worker processes forked
from this one once it has run a program: the Pulumi SDK and the azure-native packages are already imported (and
frozen for the collector), so a worker starts in milliseconds instead of importing for seconds, and shares those
pages with the parent. A worker hands back plain data (:class:`~blueprint.tools.stack_checks.StackVerdict`), in the
order the stacks were given, so the reports are byte-identical to a serial run.

- Forks: every worker is forked from the main thread, with no other thread of this process running (each program
  run shuts its executor threads down), so no child inherits a lock held by a thread it does not have.
- Memory: a worker checks at most :data:`STACKS_PER_WORKER` stacks and ends; a fresh one is forked for the next
  batch: what one program run leaves behind never accumulates over a fleet.
- Ctrl-C: the workers ignore SIGINT (the terminal sends it to all of them); this process stops every worker (and a
  worker ends the previews it started), and the command reports the interruption. Reports are written only after
  every stack is checked, so none is left partial.
- Failures: the first stack (in round order) whose preview fails ends the check with its error, as serially.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, Pipe, wait

from blueprint.tools.errors import ProgramFailed, UsageError
from blueprint.tools.exit_codes import EXIT_INTERRUPTED
from blueprint.tools.stack_checks import StackChecker, StackVerdict
from blueprint.program.errors import InputError

#: Stacks a worker checks before it ends and a fresh fork takes the next batch: bounds what a worker can
#: accumulate (it does not collect between runs below gc_tuning.MEMORY_CEILING_MIB: about 13 MiB of garbage per
#: prod-sized stack).
STACKS_PER_WORKER = 8


def available_cores() -> int:
    """The cores this process may run on (a container's or CI runner's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return hasattr(os, "fork")


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


@dataclass
class _Worker:
    """A forked process checking ``names`` (positions ``indexes`` of the round), one answer per stack on ``reader``."""

    pid: int
    reader: Connection
    indexes: list[int]
    answered: int = 0


def _in_workers(checker: StackChecker, names: list[str], jobs: int) -> Iterator[StackVerdict]:
    """The verdicts on ``names``, in that order, from at most ``jobs`` workers at a time.

    Each worker is forked here, in the main thread, by this process alone: no thread of this process runs while it
    forks (multiprocessing's pools fork replacements from a helper thread, which can hand a child a lock some other
    thread held). A worker takes a batch of at most :data:`STACKS_PER_WORKER` stacks and ends; the next batch gets a
    fresh fork. An answer that arrives early waits until those before it are given, so the first failure in order is
    the one raised, as serially.
    """
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # a forked worker would write whatever is still buffered a second time
    pending = list(enumerate(names))
    answers: dict[int, StackVerdict | _Raised | str] = {}
    running: dict[Connection, _Worker] = {}
    next_index = 0
    try:
        while next_index < len(names):
            while pending and len(running) < jobs:
                size = max(1, min(STACKS_PER_WORKER, -(-len(pending) // jobs)))  # smaller batches at the end
                batch, pending = pending[:size], pending[size:]
                worker = _fork_worker(checker, batch)
                running[worker.reader] = worker
            for reader in wait(list(running)):
                worker = running[reader]
                try:
                    answers[worker.indexes[worker.answered]] = reader.recv()
                    worker.answered += 1
                except EOFError:  # the worker ended: every answer given, or it died
                    del running[reader]
                    reader.close()
                    _, status = os.waitpid(worker.pid, 0)
                    if worker.answered < len(worker.indexes):
                        lost = names[worker.indexes[worker.answered]]
                        raise ProgramFailed(f"the worker checking stack {lost} ended without an answer "
                                            f"({_ended_how(status)})")
            while next_index in answers:
                answer = answers.pop(next_index)
                next_index += 1
                if answer == _INTERRUPTED:
                    raise KeyboardInterrupt  # a worker's own child preview was interrupted: so is the check
                if isinstance(answer, _Raised):
                    raise UsageError(answer.message) if answer.usage else ProgramFailed(answer.message)
                yield answer  # type: ignore[misc]
    finally:
        _stop(running.values())


def _fork_worker(checker: StackChecker, batch: list[tuple[int, str]]) -> _Worker:
    reader, writer = Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the worker: check the batch, answer each stack, and end without returning to the caller
        code = 0
        try:
            reader.close()
            _worker_started()
            for _, name in batch:
                writer.send(_check_in_worker(checker, name))
        except BaseException:  # noqa: BLE001 - a worker never unwinds into the parent's code
            code = 1
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os._exit(code)
    writer.close()
    return _Worker(pid, reader, [index for index, _ in batch])


def _stop(workers: Iterable[_Worker]) -> None:
    """End the workers still running (Ctrl-C, an error, or the caller stopped reading) and reap them."""
    for worker in list(workers):
        with contextlib.suppress(OSError):
            os.kill(worker.pid, signal.SIGTERM)
    for worker in list(workers):
        with contextlib.suppress(OSError, ChildProcessError):
            os.waitpid(worker.pid, 0)
        worker.reader.close()


def _ended_how(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"


def _worker_started() -> None:
    """A worker leaves Ctrl-C to the parent, which stops the workers; stopped (SIGTERM), it ends its own children. It
    ends after at most :data:`STACKS_PER_WORKER` stacks, so it skips the collection between runs (below a ceiling)."""
    from blueprint.tools.preview.gc_tuning import collect_between_runs

    collect_between_runs(False)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_stopped)


def _worker_stopped(signum: int, frame: object) -> None:
    """Kill and reap the previews this worker started, then end at once (the check is being stopped)."""
    from blueprint.tools import termination

    for process in list(termination._children):  # no lock: the main thread may hold it
        try:
            process.kill()
            os.waitpid(process.pid, 0)
        except (OSError, ChildProcessError):
            pass  # already ended and reaped
    os._exit(EXIT_INTERRUPTED)


def _check_in_worker(checker: StackChecker, name: str) -> StackVerdict | _Raised | str:
    try:
        return checker.check(name)
    except KeyboardInterrupt:
        return _INTERRUPTED
    except InputError as error:
        return _Raised(True, str(error))
    except ProgramFailed as error:
        return _Raised(False, str(error))
