"""How a command ends when it cannot finish: Ctrl-C, or a reader that closed the pipe it prints to.

Either used to end in a traceback (and, for a closed pipe, an "Exception ignored" line as Python flushed standard
output on its way out). Now:

- Ctrl-C (``KeyboardInterrupt``, SIGINT) exits ``EXIT_INTERRUPTED``, as a shell reports a process ended by SIGINT,
  with one line on standard error. Files are only ever written atomically (:mod:`blueprint.tools.atomic_files`), so none is left
  half-written, and every child process a command started (a referenced stack's preview) is ended first. Python
  raises ``KeyboardInterrupt`` wherever the main thread happens to be, and library code that catches everything
  (the Pulumi SDK does, here and there) can swallow it; so the signal is also recorded, and a command that carries
  on regardless is stopped before it writes a file (:func:`stop_if_interrupted`) and reported interrupted at the end.
  As a process (:func:`run_as_process`), the CLI ends as soon as its command is done, so no Ctrl-C lands in the
  interpreter's shutdown, where Python would let SIGINT end the process without a word.
- A closed standard output (``blueprint policies | head -1``) ends the command quietly with ``EXIT_BROKEN_PIPE``, as
  a shell reports a process ended by SIGPIPE: the output nobody reads is dropped, nothing is printed. Unbuffered
  (``PYTHONUNBUFFERED=1``) too: every write to standard output is complete or fails, never cut short silently.
- A standard output that refuses what is written for any other reason (``> /dev/full``, a full disk) is bad
  output: ``EXIT_USAGE`` with one line, as for a ``--json PATH`` that cannot be written.

The codes are those of :mod:`blueprint.tools.exit_codes`.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, NoReturn, TextIO

from blueprint.tools.errors import UsageError
from blueprint.tools.exit_codes import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, EXIT_USAGE
from blueprint.tools.progress import erase_status_line

_children: set[subprocess.Popen[str]] = set()
_children_lock = threading.Lock()
_interrupted = threading.Event()
#: Set once the command is over (its output flushed): a Ctrl-C from then on is recorded, not raised.
_finished = threading.Event()


class OutputUnwritable(UsageError):
    """Standard output refused what the command wrote (not a closed pipe: a full disk, an I/O error)."""


def run_command(command: Callable[[], int], *, whole_process: bool = False) -> int:
    """Run ``command`` (a CLI command returning its exit code) and end it as the module docstring says.

    ``whole_process``: the command is the process (:func:`run_as_process`), so SIGINT's handler is kept after it
    returns, recording a late Ctrl-C for the process's exit instead of raising it where nothing catches it.
    """
    _interrupted.clear()
    _finished.clear()
    previous = signal.signal(signal.SIGINT, _on_interrupt) if threading.current_thread() is threading.main_thread() else None
    previous_hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None if unraisable.exc_type is KeyboardInterrupt else previous_hook(unraisable)
    stdout = sys.stdout
    sys.stdout = _CheckedOutput(stdout)  # type: ignore[assignment]
    try:
        try:
            code = command()
        except SystemExit as exit_:  # argparse ends --help and usage errors this way; the output still needs flushing
            code = exit_.code if isinstance(exit_.code, int) else 0 if exit_.code is None else 1
        stop_if_interrupted()
        sys.stdout.flush()  # a closed pipe shows here when the output was still buffered
        _finished.set()
        return code
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the clean-up below is not itself interrupted
        end_children()
        erase_status_line()  # a progress line the interruption left (blueprint/tools/progress.py): no half line
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _finished.set()
        end_children()
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    except OutputUnwritable as error:  # at the final flush; while the command ran, the CLI reports it like any bad input
        _finished.set()
        end_children()
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        _finished.set()
        sys.stdout = stdout
        sys.unraisablehook = previous_hook  # a Ctrl-C landing in a finalizer was recorded: its "Exception ignored" is noise
        if previous is not None and not whole_process:
            signal.signal(signal.SIGINT, previous)


def run_as_process(command: Callable[[], int]) -> NoReturn:
    """Run ``command`` as the whole process (``blueprint``, ``python -m blueprint``) and end the process with its code.

    Once a preview has run, the interpreter's own shutdown takes about half a second (the Pulumi SDK's modules and
    threads), and Python gives SIGINT its default action back as it finalises: a Ctrl-C then ended the process with
    the interrupted code and nothing on standard error, right after "Plan written to ...". So the process ends here
    instead, as soon as the command is done and its output flushed (nothing of the command is left: files are
    written and closed, child processes ended), and a Ctrl-C that came after the command finished is still
    reported, with one line.
    """
    code = run_command(command, whole_process=True)
    if _interrupted.is_set() and code != EXIT_INTERRUPTED:
        with contextlib.suppress(OSError, ValueError):
            print("error: interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    with contextlib.suppress(Exception):
        atexit._run_exitfuncs()  # what registered for the process's end still runs; only the teardown is skipped
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def stop_if_interrupted() -> None:
    """Raise ``KeyboardInterrupt`` if Ctrl-C was pressed during this command, even if something swallowed it."""
    if _interrupted.is_set():
        raise KeyboardInterrupt


def _on_interrupt(signum: int, frame: object) -> None:
    _interrupted.set()
    if not _finished.is_set():  # once the command is over, the process's end reports it (run_as_process)
        raise KeyboardInterrupt


@contextlib.contextmanager
def child_process(command: list[str], env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Iterator[subprocess.Popen[str]]:
    """Start ``command`` (text pipes on its standard output and error; ``env``, or this process's environment; in
    ``cwd``, or this process's directory) as a child that ends when the command is interrupted; it is waited for (or
    killed) when the block is left, whatever happened in it."""
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd) as process:
        with _children_lock:
            _children.add(process)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
            with _children_lock:
                _children.discard(process)


def end_children(grace: float = 5.0) -> None:
    """Interrupt every child still running, as Ctrl-C interrupts this process (so a child preview ends its own
    children in turn), kill those still running after ``grace`` seconds, and reap them."""
    with _children_lock:
        running = [process for process in _children if process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGINT)
    for process in running:
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class _CheckedOutput:
    """Standard output, with a write error other than a closed pipe turned into :class:`OutputUnwritable`, and every
    write complete.

    Unbuffered (``PYTHONUNBUFFERED=1``, ``python -u``), the text layer writes straight to the raw file, whose
    ``write`` may take only part of the bytes (a pipe whose reader left after 64 KB of 128 KB) and is not retried: the
    rest was dropped silently and the closed pipe never showed. Such writes go to the raw file here, in a loop until
    every byte is taken or the write fails (a closed pipe: ``BrokenPipeError``, ``EXIT_BROKEN_PIPE``).
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        raw = getattr(self._stream, "buffer", None)
        if not isinstance(raw, io.RawIOBase):  # buffered: the buffer's own write loops until complete
            return self._checked(self._stream.write, text)
        self._checked(self._stream.flush)  # whatever the text layer holds goes first
        self._checked(_write_all, raw, text.encode(self._stream.encoding, self._stream.errors or "strict"))
        return len(text)

    def flush(self) -> None:
        self._checked(self._stream.flush)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def _checked(self, call: Callable[..., Any], *args: Any) -> Any:
        try:
            return call(*args)
        except BrokenPipeError:
            raise
        except OSError as error:
            _discard_stdout()  # what is still buffered must not fail again on the way out
            raise OutputUnwritable(f"standard output cannot be written: {error.strerror or error}") from None


def _write_all(raw: io.RawIOBase, data: bytes) -> None:
    """Write all of ``data`` to ``raw``, however many calls its ``write`` needs (a raw write may take part of it)."""
    view = memoryview(data)
    while view:
        written = raw.write(view)
        if written is None:  # non-blocking and full: wait until it can take more
            select.select([], [raw], [])
            continue
        view = view[written:]


def _discard_stdout() -> None:
    """Point standard output at /dev/null so that Python's final flush of what is still buffered cannot fail."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
