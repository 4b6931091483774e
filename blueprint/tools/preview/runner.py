"""Run a real Pulumi Python program under the mock runtime and return its plan.

The program runs exactly as the Pulumi language host runs it (``__main__`` via runpy, inside a root stack, in
the program's directory, with the stack's config in the config store); only the resource monitor is replaced,
by one that answers like Azure Resource Manager and records every registration.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import runpy
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pulumi
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.stack import run_in_stack

import components

from blueprint.tools.preview.arm import ArmMocks
from blueprint.tools.preview.gc_tuning import tuned_gc
from blueprint.tools.preview.plan import Plan, in_dependency_order
from blueprint.tools.preview.recorder import DiagnosticsLog, PlanRecorder
from blueprint.tools.preview.references import StackOutputs
from blueprint.program.config.errors import ConfigError
from blueprint.tools.errors import ProgramFailed, UsageError
from blueprint.program.errors import InputError
from blueprint.program.project import SECRET_PLACEHOLDER, Project, StackConfig, display_path
from blueprint.tools.termination import stop_if_interrupted


def run_program(project: Project, stack: str, config: Mapping[str, str]) -> Plan:
    """Run ``project``'s program for ``stack`` with ``config`` and return what it would create.

    Exceptions raised by the program (a ``ConfigError``, a component's ``ValueError``) propagate unchanged. A program
    that exits (``sys.exit``, with any code, 0 included, from its body or from a callback in the event loop) has not
    produced a plan: that is a ``ProgramFailed`` naming the stack, never a silent end of the command.
    """
    references = StackOutputs(project, stack)
    with _program_context(project.main), tuned_gc():
        try:
            return run_under_mocks(
                lambda: runpy.run_path(str(project.main), run_name="__main__"),
                project=project.name,
                stack=stack,
                config=config,
                mocks=ArmMocks(stack_outputs=references),
            )
        except SystemExit as exit_:
            raise ProgramFailed(
                f"the program of {project.name} exited (sys.exit({exit_.code!r})) before it finished for stack {stack}: "
                "a Pulumi program must return, not exit"
            ) from exit_
        except Exception:
            if references.failure is not None:
                raise references.failure from None
            raise


def run_stack(project: Project, stack: str, config: Mapping[str, str]) -> Plan:
    """``run_program`` as the commands report it: a configuration error becomes a ``UsageError`` (bad input), anything
    else the program raises a ``ProgramFailed`` (a failure) naming the stack, its cause kept for ``--debug``."""
    try:
        plan = run_program(project, stack, config)
    except (ConfigError, InputError) as error:
        raise UsageError(str(error)) from None
    except ProgramFailed:
        raise
    except ValueError as error:
        if _raised_by_a_component(error):  # a component refused a value the stack file gave it: bad input
            raise UsageError(f"{display_path(project, project.stack_file(stack))}: refused by the platform: {error}") from None
        raise ProgramFailed(f"the program of {project.name} failed for stack {stack}: {type(error).__name__}: {error}") from error
    except Exception as error:
        raise ProgramFailed(f"the program of {project.name} failed for stack {stack}: {type(error).__name__}: {error}") from error
    stop_if_interrupted()  # a Ctrl-C swallowed on the way (Python raises it anywhere) still ends the command
    return plan


#: Where the platform's components live: a ValueError raised there is a component refusing its arguments.
_COMPONENTS_DIR = Path(components.__file__).resolve().parent


def _raised_by_a_component(error: BaseException) -> bool:
    """Whether ``error`` was raised by code of the ``components`` package (the last frame of its traceback)."""
    frame = error.__traceback__
    if frame is None:
        return False
    while frame.tb_next is not None:
        frame = frame.tb_next
    return Path(frame.tb_frame.f_code.co_filename).resolve().is_relative_to(_COMPONENTS_DIR)


def run_under_mocks(
    body: Callable[[], object],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str] | None = None,
    mocks: ArmMocks | None = None,
) -> Plan:
    """Run ``body`` as a Pulumi program (inside a root stack, fresh event loop and mocks) and record its plan.

    Tests use this to exercise one component; :func:`run_program` uses it for whole programs.
    """
    values = dict(config or {})
    # A stack file says which keys hold secrets; a plain mapping (a test's) marks those set to the placeholder.
    secret_keys = sorted(config.secret_keys) if isinstance(config, StackConfig) else [key for key, value in values.items() if value == SECRET_PLACEHOLDER]
    recorder = PlanRecorder(mocks or ArmMocks())
    diagnostics = DiagnosticsLog()
    loop = asyncio.new_event_loop()
    finished = False
    # A failing program leaves sibling tasks failed or pending; the first error is reported by the caller, the
    # echoes of it ("exception was never retrieved") are noise.
    loop.set_exception_handler(lambda _loop, _context: None)
    asyncio.set_event_loop(loop)
    try:
        runtime_config.set_all_config(values, secret_keys)
        pulumi.runtime.set_mocks(
            recorder.mocks,
            project=project,
            stack=stack,
            preview=True,
            monitor=recorder,
            logger=diagnostics.logger(),
        )
        # set_mocks installs a finished root stack; the program gets a fresh one, as under the engine.
        runtime_settings.ROOT.set(None)
        # Warnings raised while the program runs are held back: after a stop halfway they are only its echo
        # ("coroutine ... was never awaited" for every task the failure dropped), after a clean run they are news.
        with warnings.catch_warnings(record=True) as held:
            loop.run_until_complete(run_in_stack(body))
        finished = True
        for warning in held:
            warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno, warning.file, warning.line)
    finally:
        if not finished:
            # A run stopped halfway (Ctrl-C, an exit, a failure) drops coroutines the SDK created but never started;
            # Python warns about each as it is collected, now or at exit. They are the echo of the stop, not news.
            warnings.filterwarnings("ignore", message="coroutine .* was never awaited", category=RuntimeWarning)
        _cancel_pending(loop)
        # A failed run leaves tasks of this loop in the runtime's global registries; the next run (another
        # stack, or the next test) must not inherit them.
        runtime_settings.SETTINGS.outputs.clear()
        runtime_settings.SETTINGS.rpc_manager.clear()
        runtime_settings.ROOT.set(None)
        # The executor's threads end with the run: a process that forks afterwards (a parallel check) has no
        # thread a child could inherit a held lock from.
        with contextlib.suppress(Exception):
            loop.run_until_complete(loop.shutdown_default_executor())
        recorder.close_thread_loops()
        asyncio.set_event_loop(None)
        loop.close()
    unknowns = [{"severity": "warning", "message": f"input unknown during preview: {where}"} for where in recorder.unknown_inputs]
    return Plan(
        project=project,
        stack=stack,
        resources=in_dependency_order(list(recorder.registrations.values())),
        outputs=dict(sorted(recorder.stack_outputs.items())),
        diagnostics=diagnostics.records + unknowns,
    )


#: How long a stopped run's tasks get to wind down, per round of cancellation.
CANCEL_GRACE_SECONDS = 1.0


def _cancel_pending(loop: asyncio.AbstractEventLoop, rounds: int = 3) -> None:
    """Cancel what a failed or interrupted run left pending, so nothing runs (or complains) after the loop closes.

    Bounded: a run stopped at an arbitrary point (Ctrl-C lands anywhere) can leave an SDK task that swallows its
    cancellation and waits for a result that will never come; after a few rounds it is abandoned rather than
    waited for forever (the loop's exception handler keeps its "destroyed but pending" complaint quiet).
    """
    for _ in range(rounds):
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        if not pending:
            return
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.wait(pending, timeout=CANCEL_GRACE_SECONDS))


@contextlib.contextmanager
def _program_context(main: Path) -> Iterator[None]:
    """The working directory and import path the language host gives a program; restored afterwards."""
    directory = str(main.parent)
    previous_cwd = os.getcwd()
    sys.path.insert(0, directory)
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(previous_cwd)
        with contextlib.suppress(ValueError):
            sys.path.remove(directory)
