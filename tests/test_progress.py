"""Progress on a terminal, and none anywhere else: ``check`` of several stacks and ``fork`` show one status line on
standard error when a person watches it (a TTY, no ``CI``, a ``TERM`` that can erase a line), erased at the end and
on Ctrl-C; piped or in CI they write nothing extra, and standard output is the same either way."""

from __future__ import annotations

import io
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from blueprint.tools import progress
from blueprint.tools.commands.check import checking
from blueprint.tools.progress import StatusLine, erase_status_line
from tests.conftest import REPO

ERASE = "\r\x1b[K"
TERMINAL = {"TERM": "xterm"}


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal, keeping what was written."""

    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_terminal_shows_the_line_with_elapsed_seconds_and_erases_it_at_the_end():
    stream, clock = FakeTerminal(), Clock()
    with StatusLine(stream, environ=TERMINAL, clock=clock) as status:
        status.show(checking(["shared", "dev", "prod"], 0))
        clock.now += 12.4
        status.show(checking(["shared", "dev", "prod"], 2))
    assert stream.getvalue() == (f"{ERASE}Checking 1/3 stacks: shared (0 s)"
                                 f"{ERASE}Checking 3/3 stacks: prod (12 s)"
                                 f"{ERASE}")


@pytest.mark.parametrize("environ", [{"TERM": "xterm", "CI": "true"}, {"TERM": "xterm", "CI": ""}, {"TERM": "dumb"}],
                         ids=["ci", "ci-empty", "dumb-terminal"])
def test_quiet_in_ci_and_on_a_dumb_terminal(environ):
    stream = FakeTerminal()
    with StatusLine(stream, environ=environ) as status:
        status.show("Checking dev")
    assert not status.enabled and stream.getvalue() == ""


def test_quiet_when_not_a_terminal():
    stream = io.StringIO()
    with StatusLine(stream, environ=TERMINAL) as status:
        status.show("Checking dev")
    assert not status.enabled and stream.getvalue() == ""


def test_a_long_line_is_cut_to_the_terminal_width():
    """A line that wrapped could not be rewritten in place (no TTY size here: 80 columns)."""
    stream = FakeTerminal()
    with StatusLine(stream, environ=TERMINAL) as status:
        status.show("Checking " + "x" * 200)
    shown = stream.getvalue().split(ERASE)[1]
    assert len(shown) == 79 and shown.endswith("…")


def test_another_write_to_stderr_erases_the_line_first(monkeypatch):
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with StatusLine(environ=TERMINAL) as status:
        status.show("Checking dev")
        print("note: something worth saying", file=sys.stderr)
        status.show("Checking prod")
    assert sys.stderr is terminal  # given back
    assert terminal.getvalue() == (f"{ERASE}Checking dev (0 s){ERASE}note: something worth saying\n"
                                   f"{ERASE}Checking prod (0 s){ERASE}")


def test_the_interruption_path_erases_a_line_left_shown():
    """A Ctrl-C that lands before the block could erase its line: termination erases it before its message."""
    stream = FakeTerminal()
    status = StatusLine(stream, environ=TERMINAL)
    status.__enter__()
    status.show("Checking dev")
    erase_status_line()
    assert stream.getvalue().endswith(f"Checking dev (0 s){ERASE}")
    erase_status_line()  # nothing shown any more: nothing written
    assert stream.getvalue().count(ERASE) == 2
    status.__exit__(None, None, None)
    assert progress._active is None


def test_the_count_names_the_next_stack():
    assert checking(["dev"], 0) == "Checking dev"
    assert checking(["shared", "dev"], 1) == "Checking 2/2 stacks: dev"


# --- end to end, under a pseudo terminal --------------------------------------------------------------------------


def _environment(**changes: str) -> dict[str, str]:
    environ = {key: value for key, value in os.environ.items() if key != "CI"}  # CI runners set it
    return {**environ, "TERM": "xterm", **changes}


def _run_on_terminal(args: list[str], environ: dict[str, str], *, cwd: Path = REPO,
                     interrupt_when: str | None = None) -> tuple[int, str, str]:
    """Run ``blueprint ARGS`` with standard error on a pseudo terminal and standard output on a pipe; return the exit
    code, standard output and what the terminal received. ``interrupt_when``: send SIGINT once that text shows."""
    main, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "blueprint", *args], cwd=cwd, env=environ,
                               stdout=subprocess.PIPE, stderr=terminal, stdin=subprocess.DEVNULL)
    os.close(terminal)
    received = b""
    deadline = time.monotonic() + 300
    interrupted = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not chunk:
                break
            received += chunk
        if interrupt_when and not interrupted and interrupt_when.encode() in received:
            process.send_signal(signal.SIGINT)
            interrupted = True
        if not ready and process.poll() is not None:
            break
    os.close(main)
    out, _ = process.communicate(timeout=120)
    return process.returncode, out.decode(), received.decode()


@pytest.mark.e2e
def test_check_shows_progress_on_a_terminal_and_none_when_piped():
    code, out, terminal = _run_on_terminal(["check", "dev", "shared"], _environment())
    assert code == 0, terminal
    assert f"{ERASE}Checking 1/2 stacks: shared (" in terminal  # shared first: dev reads its outputs
    assert f"{ERASE}Checking 2/2 stacks: dev (" in terminal
    assert terminal.endswith(ERASE)  # erased at the end: nothing left on the line

    piped = subprocess.run([sys.executable, "-m", "blueprint", "check", "dev", "shared"], cwd=REPO, env=_environment(),
                           capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0
    assert piped.stderr == ""
    assert piped.stdout == out  # the report is the same with and without a terminal


@pytest.mark.e2e
def test_check_in_ci_shows_nothing_on_a_terminal():
    code, _, terminal = _run_on_terminal(["check", "shared"], _environment(CI="true"))
    assert code == 0
    assert terminal == ""


@pytest.mark.e2e
def test_ctrl_c_leaves_no_half_line_on_the_terminal():
    code, out, terminal = _run_on_terminal(["check", "dev", "shared"], _environment(), interrupt_when="Checking")
    assert code == 130
    assert out == ""
    assert "Checking" in terminal
    assert terminal.endswith(f"{ERASE}error: interrupted\r\n"), terminal  # the line erased before the message


@pytest.mark.e2e
def test_fork_shows_its_steps_on_a_terminal(project_copy):
    (project_copy / "ml_templates").symlink_to(REPO / "ml_templates")
    (project_copy / "policies").symlink_to(REPO / "policies")
    args = ["fork", "dev", "fraud-dev", "--project", "fraud"]
    code, out, terminal = _run_on_terminal(args, _environment(), cwd=project_copy)
    assert code == 0, terminal
    steps = [line.split(" (", 1)[0] for line in terminal.split(ERASE) if line]
    assert steps == ["Forking dev into fraud-dev: validating", "Forking dev into fraud-dev: previewing offline",
                     "Forking dev into fraud-dev: checking the policy pack",
                     "Forking dev into fraud-dev: writing stacks/Pulumi.fraud-dev.yaml"]
    assert terminal.endswith(ERASE)
    assert out.startswith("Forked stack dev into stacks/Pulumi.fraud-dev.yaml")


def test_the_readme_shows_the_line_check_shows():
    import re

    (example,) = re.findall(r"`(Checking \d+/\d+ stacks: [\w-]+ \(\d+ s\))`", (REPO / "README.md").read_text())
    order = ["shared", "dev", "prod", "staging", "prod-lz", "bootstrap"]
    stream, clock = FakeTerminal(), Clock()
    with StatusLine(stream, environ=TERMINAL, clock=clock) as status:
        clock.now += 12
        status.show(checking(order, 2))
    assert stream.getvalue() == f"{ERASE}{example}{ERASE}"
