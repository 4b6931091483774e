"""Bad-input tests: a fingerprint of a directory tree (nothing half-written) and a clean refusal (exit 2, no traceback)."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under ``root`` (bytecode caches aside) -> the SHA-256 of its content."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def assert_refused(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """The command exited 2 with a message containing each fragment, and without a traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout[-2000:], result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
