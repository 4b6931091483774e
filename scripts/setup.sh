#!/usr/bin/env bash
# Creates .venv and installs the locked dependency set, every file checked against its SHA-256.
# Usage: scripts/setup.sh [--dev]   (--dev adds the ML side, the test tools, and the system programs the tests
#                                    need: Graphviz and Chromium, scripts/system-packages.sh)
# Idempotent: re-running only installs what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

lock=requirements.lock
if [[ "${1:-}" == "--dev" ]]; then
  lock=requirements-dev.lock
  bash scripts/system-packages.sh
fi
pip=(.venv/bin/python -m pip --quiet --disable-pip-version-check)

python3 -m venv .venv
# The pip that ships with Python 3.11 (23.2) cannot resolve this set: install the pinned pip first, by its hash.
"${pip[@]}" install --require-hashes -r requirements-pip.lock
# Everything else from the lock (scripts/lock.sh): exact versions, known hashes, wheels only (no package's build
# code runs on this machine), and pip refuses anything the lock does not list.
"${pip[@]}" install --require-hashes --only-binary=:all: -r "$lock"
# The project itself, built with the locked setuptools (its warning about editable layouts is noise here).
PYTHONWARNINGS=ignore "${pip[@]}" install --no-deps --no-build-isolation -e .
# --dev: Mermaid's own parser for the graph tests (tests/mermaid/, pinned by its package-lock.json), reinstalled
# only when the lock changed.
if [[ "${1:-}" == "--dev" ]] && ! cmp -s tests/mermaid/package-lock.json tests/mermaid/node_modules/.installed-lock.json; then
  (cd tests/mermaid && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null && cp package-lock.json node_modules/.installed-lock.json)
fi
