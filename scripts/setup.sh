#!/usr/bin/env bash
# Creates .venv and installs the pinned dependency set in one resolver run.
# Usage: scripts/setup.sh [--dev]   (--dev adds the test tools)
# Idempotent: re-running only installs what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

requirements=requirements.txt
if [[ "${1:-}" == "--dev" ]]; then
  requirements=requirements-dev.txt
fi

python3 -m venv .venv
# The pip that ships with Python 3.11 (23.2) cannot resolve pulumi + its gRPC/OpenTelemetry pins:
# upgrade it first, then resolve everything in one call so protobuf stays within pulumi's range.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=25"
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
  -r "$requirements" -c constraints.txt -e .
