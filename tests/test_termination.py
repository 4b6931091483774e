"""Commands that never half-finish, run as a user runs them: a process of their own, a signal, a pipe.

Ctrl-C exits 130 with one line and leaves neither a file nor a child process behind; a closed standard output
ends the command quietly with 141, one that refuses writes is bad output (2); a program that exits half-way is a
failure (1), never a silent success. Each leaves the project as it was.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.badinput import assert_no_noise, run_process, tree_digest
from tests.conftest import REPO

pytestmark = pytest.mark.e2e

EXITING = REPO / "tests" / "fixtures" / "exiting_program"


@pytest.fixture
def project(project_copy: Path) -> Path:
    """A project copy whose dev stack can run: the shared stack it references needs the templates."""
    (project_copy / "ml_templates").symlink_to(REPO / "ml_templates")
    (project_copy / "policies").symlink_to(REPO / "policies")
    return project_copy


def children(pid: int) -> list[int]:
    """The process's children, whichever of its threads started them."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:  # the thread ended meanwhile
            pass
    return found


def test_ctrl_c_exits_130_with_one_line_no_file_and_no_child_left(project, tmp_path):
    """SIGINT while the dev stack's preview waits for the shared stack's (a child process): all of it ends."""
    target = tmp_path / "out" / "plan.json"
    before = tree_digest(project)
    process = subprocess.Popen(
        [sys.executable, "-m", "blueprint", "preview", "dev", "--json", str(target)],
        cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 120
    started: list[int] = []
    while not started and process.poll() is None and time.monotonic() < deadline:
        started = children(process.pid)
        time.sleep(0.02)
    assert started, f"the referenced stack's preview never started (exit {process.poll()})"
    os.kill(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=60)

    assert process.returncode == 130
    assert err == "error: interrupted\n"
    assert out == ""
    assert not (tmp_path / "out").exists()
    for child in started:
        with pytest.raises(ProcessLookupError):
            os.kill(child, 0)
    assert tree_digest(project) == before


LATE_CTRL_C = """
import os, signal
from blueprint.tools import termination

command_ran = termination.run_command

def then_ctrl_c(command, **options):
    code = command_ran(command, **options)
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C once the command is done, before the process has ended
    return code

termination.run_command = then_ctrl_c
termination.run_as_process(lambda: print("done") or 0)
"""


def test_a_ctrl_c_after_the_command_finished_is_still_reported_with_one_line():
    """The process used to spend half a second shutting down after a preview, and a Ctrl-C then ended it with 130 and
    nothing on standard error (Python gives SIGINT its default action back as it finalises)."""
    completed = subprocess.run([sys.executable, "-c", LATE_CTRL_C], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert (completed.returncode, completed.stdout, completed.stderr) == (130, "done\n", "error: interrupted\n")


AT_EXIT = """
import atexit, sys
from blueprint.tools import termination

atexit.register(lambda: print("at exit ran", flush=True))
termination.run_as_process(lambda: print("done") or 3)
"""


def test_the_process_ends_without_teardown_but_runs_what_registered_for_its_end():
    """No interpreter teardown (about 0.7 s after a preview), yet atexit handlers still run, before the exit code."""
    completed = subprocess.run([sys.executable, "-c", AT_EXIT], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert (completed.returncode, completed.stdout, completed.stderr) == (3, "done\nat exit ran\n", "")


@pytest.mark.parametrize("delay", [0.0, 0.005, 0.05])
def test_ctrl_c_just_after_the_plan_is_written_is_never_silent(project, tmp_path, delay):
    """``timeout -s INT`` landing right after "Plan written to ...": the process has either ended (0) or reports the
    interrupt with its one line (130); never ended by the signal with nothing said."""
    process = subprocess.Popen(
        [sys.executable, "-m", "blueprint", "preview", "dev", "--no-policies", "--json", str(tmp_path / "plan.json")],
        cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("Plan written to"):
            time.sleep(delay)
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGINT)
            break
    _, err = process.communicate(timeout=60)
    assert (process.returncode, err) in ((0, ""), (130, "error: interrupted\n"))
    assert (tmp_path / "plan.json").is_file()


def closed_pipe_run(argv: list[str], cwd: Path, buffered: bool) -> tuple[int, str]:
    """Run the CLI with standard output a pipe whose reader has already gone: every write to it fails (when the
    output is flushed: as it is written when unbuffered, at the end when it fits Python's buffer)."""
    reader, writer = os.pipe()
    os.close(reader)
    env = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "blueprint", *argv], cwd=cwd, stdout=writer, stderr=subprocess.PIPE, text=True, timeout=180, env=env
        )
    finally:
        os.close(writer)
    return completed.returncode, completed.stderr


@pytest.mark.parametrize(
    ("argv", "buffered"),
    [
        *[(argv, buffered) for argv in (["policies"], ["policies", "--format", "json"], ["preview", "prod"], ["preview", "bootstrap", "--json"]) for buffered in (True, False)],
        # Help only buffered (as Python writes to a pipe by default): unbuffered, argparse itself ignores the failed
        # write and exits 0, quietly too.
        (["--help"], True), (["preview", "--help"], True),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else ("buffered" if value else "unbuffered"),
)
def test_a_closed_pipe_ends_the_command_quietly_with_141(project, argv, buffered):
    """``blueprint policies | head -1`` once head has gone: no traceback, no "Exception ignored", exit 141."""
    before = tree_digest(project)
    code, err = closed_pipe_run(argv, project, buffered)
    assert (code, err) == (141, "")
    assert tree_digest(project) == before


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
def test_a_reader_that_leaves_half_way_ends_the_command_with_141(project, buffered):
    """``blueprint policies | head -1``: the reader takes a line of the 128 KB catalog and goes. Unbuffered, the raw
    write took only what the pipe held and the rest was dropped with exit 0; every write is now complete or fails."""
    env = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen([sys.executable, "-m", "blueprint", "policies"], cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()
    err = process.stderr.read()
    assert (process.wait(timeout=180), err, first) == (141, b"", b"# Policy catalog\n")


def test_an_unbuffered_output_gets_every_byte_of_writes_the_raw_file_takes_in_parts():
    """A raw file may take part of a write (a pipe, a signal); the text layer of an unbuffered standard output does
    not retry, so the output does."""
    import io

    from blueprint.tools.termination import _CheckedOutput

    class Trickle(io.RawIOBase):
        """Takes at most 1000 bytes a call, as a pipe nearly full would."""

        def __init__(self) -> None:
            self.received = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, data) -> int:  # type: ignore[no-untyped-def,override]
            taken = bytes(data[:1000])
            self.received += taken
            return len(taken)

    raw = Trickle()
    stream = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)  # type: ignore[arg-type]
    output = _CheckedOutput(stream)
    text = "".join(f"line {number} with a non-ASCII character: é\n" for number in range(5000))
    output.write(text)
    output.write("the end\n")
    assert raw.received.decode() == text + "the end\n"


def test_usage_errors_still_exit_2_when_the_output_is_closed():
    code, err = closed_pipe_run(["preview"], REPO, buffered=True)
    assert code == 2 and "the following arguments are required: stack" in err
    assert_no_noise(err)


@pytest.mark.parametrize("argv", [["schema"], ["policies"], ["preview", "bootstrap", "--no-policies"]], ids=" ".join)
def test_an_output_that_refuses_writes_is_bad_output_not_a_traceback(project, argv):
    """Standard output on a full disk (/dev/full refuses every write): exit 2, one line naming the problem."""
    before = tree_digest(project)
    with open("/dev/full", "w") as full:
        completed = subprocess.run([sys.executable, "-m", "blueprint", *argv], cwd=project, stdout=full, stderr=subprocess.PIPE, text=True, timeout=180)
    assert completed.returncode == 2
    assert completed.stderr == "error: standard output cannot be written: No space left on device\n"
    assert tree_digest(project) == before


def test_a_program_that_exits_half_way_is_a_failure_and_writes_nothing(tmp_path):
    target = tmp_path / "plan.json"
    before = tree_digest(EXITING)
    result = run_process(["preview", "dev", "--program", str(EXITING), "--json", str(target)], cwd=tmp_path)
    assert result.code == 1
    assert result.err.startswith("error: the program of exiting exited (sys.exit(0)) before it finished for stack dev")
    assert result.out == ""
    assert_no_noise(result.err)
    assert not target.exists()
    assert tree_digest(EXITING) == before
