"""Shared helpers for tables of bad inputs: break a project copy, run the CLI, and check that it refused cleanly.

A refusal is clean when the exit code is the expected one, the message names the file and the key (or the path),
no traceback (or "Exception ignored" noise) is printed, and no file of the project changed. Tables of other kinds
of bad input (pack configs, waivers, ...) reuse the same row type and checks.
"""

from __future__ import annotations

import gc
import hashlib
import os
import subprocess
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from blueprint.tools.cli import main

#: Stands for the project copy's directory in a row's arguments and file names.
PROJECT = "{project}"

NOISE = ("Traceback (most recent call last)", "Exception ignored", "RuntimeWarning")


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


@dataclass(frozen=True)
class BadInput:
    """One row: the files to break (relative to the project copy), the command, and what it must say."""

    id: str
    argv: Sequence[str]
    messages: Sequence[str]
    files: Mapping[str, str | bytes] = field(default_factory=dict)
    code: int = 2

    def param(self) -> object:
        return pytest.param(self, id=self.id)


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under ``root`` (hidden ones and linked directories too; bytecode caches and the reference cache
    ``.blueprint/cache``, both safe to delete, aside) -> its SHA-256 (a link that leads nowhere -> where it points)."""
    digest: dict[str, str] = {}
    for directory, subdirectories, files in os.walk(root, followlinks=True):
        subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__" and Path(directory, d) != Path(root, ".blueprint", "cache"))
        for name in files:
            path = Path(directory, name)
            if path.is_symlink() and not path.exists():  # dangling, or a loop: the link itself is what is there
                digest[path.relative_to(root).as_posix()] = f"link to {os.readlink(path)}"
                continue
            digest[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def assert_no_noise(*outputs: str) -> None:
    """No traceback, no "Exception ignored" line, no warning: what a user sees is the message and nothing else."""
    for output in outputs:
        for noise in NOISE:
            assert noise not in output, output


def assert_refused(result: CliResult, messages: Sequence[str], code: int = 2) -> None:
    """Exit ``code``, every fragment of ``messages`` in one ``error:`` message on standard error, no noise."""
    assert result.code == code, (result.code, result.err)
    assert result.err.startswith("error: "), result.err
    for message in messages:
        assert message in result.err, (message, result.err)
    assert_no_noise(result.out, result.err)


def run_in_process(argv: Sequence[str], capsys: pytest.CaptureFixture[str]) -> CliResult:
    """``blueprint ARGV`` through :func:`blueprint.tools.cli.main` (fast; for what needs no process of its own)."""
    capsys.readouterr()
    code = main(list(argv))
    # A run stopped half-way drops coroutines the SDK created; the CLI's process ignores the warnings they give when
    # collected (blueprint/tools/preview/runner.py), but pytest restores its filters after each test: collect them now.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="coroutine .* was never awaited", category=RuntimeWarning)
        gc.collect()
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)


def run_process(argv: Sequence[str], cwd: Path, timeout: float = 180, **options: object) -> CliResult:
    """``python -m blueprint ARGV`` as its own process (signals, pipes and the process's exit code)."""
    completed = subprocess.run(
        [sys.executable, "-m", "blueprint", *argv], cwd=cwd, capture_output=True, text=True, timeout=timeout, **options  # type: ignore[call-overload]
    )
    return CliResult(completed.returncode, completed.stdout, completed.stderr)


def check_bad_input(row: BadInput, project: Path, capsys: pytest.CaptureFixture[str]) -> CliResult:
    """Break ``project`` as ``row`` says, run its command in process, and check the refusal is clean and that
    nothing in the project changed."""
    for name, content in row.files.items():
        target = project / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    before = tree_digest(project)
    result = run_in_process([argument.replace(PROJECT, str(project)) for argument in row.argv], capsys)
    assert_refused(result, [message.replace(PROJECT, str(project)) for message in row.messages], row.code)
    assert tree_digest(project) == before, "a refused command changed the project"
    return result
