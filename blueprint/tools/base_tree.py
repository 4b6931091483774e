"""A git revision's files, written out to a temporary directory for as long as a block needs them.

``blueprint report --base REF`` previews the stack as the base commit defines it, with the base commit's own code:
the program, its components and the CLI previewing them as they were at REF, not as they are in the working tree.
So the whole tree of REF is extracted (``git archive``, read with :mod:`tarfile`'s ``data`` filter: no links out of
the directory, no device files) into a fresh temporary directory, which is removed when the block is left, whatever
ends it (an error, Ctrl-C). Nothing in the repository changes: no worktree is registered, no ref moves.

A REF that does not name a commit, or a project that is not in a git repository, is bad usage naming it.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from blueprint.tools.errors import UsageError

#: How long git may take to list or archive a revision.
GIT_TIMEOUT = 300


@dataclass(frozen=True)
class BaseTree:
    """REF's files extracted under ``root``; ``project`` is where the project directory is within it."""

    ref: str
    commit: str
    root: Path
    project: Path
    repository: Path
    """The work tree REF was read from: a path in it is at the same place under ``root``."""

    def counterpart(self, path: Path) -> Path:
        """Where ``path`` (a file of the work tree) lies in REF's tree; ``UsageError`` for a path outside the work tree."""
        try:
            return self.root / path.resolve().relative_to(self.repository)
        except ValueError:
            raise UsageError(f"--base {self.ref}: {path} is outside the git repository {self.repository}") from None


def _git(repository: Path, *args: str, text: bool = True) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(repository), *args], capture_output=True, text=text, timeout=GIT_TIMEOUT)
    except FileNotFoundError:
        raise UsageError("--base needs git, which is not installed (or not on PATH)") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"--base: git {args[0]} took more than {GIT_TIMEOUT} s") from None


def repository_root(project_dir: Path) -> Path:
    """The top of the git work tree holding ``project_dir``; ``UsageError`` when it is in none."""
    result = _git(project_dir, "rev-parse", "--show-toplevel")
    if result.returncode != 0:
        raise UsageError(f"--base: {project_dir} is not in a git repository, so there is no base revision to compare with")
    return Path(result.stdout.strip()).resolve()


def resolve_commit(repository: Path, ref: str) -> str:
    """The commit ``ref`` names in ``repository``; ``UsageError`` naming ``ref`` when it names none."""
    if not ref or ref.startswith("-"):
        raise UsageError(f"--base {ref!r}: expected a git revision (a branch, tag or commit), found an option-like value")
    result = _git(repository, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if result.returncode != 0 or not result.stdout.strip():
        raise UsageError(
            f"--base {ref}: no such commit in {repository} (fetch it first, e.g. git fetch origin {ref}, "
            "or in CI check out with fetch-depth: 0)"
        )
    return result.stdout.strip()


@contextmanager
def materialised(project_dir: Path, ref: str) -> Iterator[BaseTree]:
    """REF's whole tree in a temporary directory for the block; removed on leaving it, however it is left."""
    project_dir = project_dir.resolve()
    root = repository_root(project_dir)
    commit = resolve_commit(root, ref)
    archive = _git(root, "archive", "--format=tar", commit, text=False)
    if archive.returncode != 0:
        detail = archive.stderr.decode(errors="replace").strip()
        raise UsageError(f"--base {ref}: git archive failed: {detail}")
    directory = Path(tempfile.mkdtemp(prefix="blueprint-base-"))
    try:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout), mode="r:") as tar:
            tar.extractall(directory, filter="data")
        project = directory / project_dir.relative_to(root) if project_dir != root else directory
        yield BaseTree(ref=ref, commit=commit, root=directory, project=project, repository=root)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
