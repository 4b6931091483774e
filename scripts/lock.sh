#!/usr/bin/env bash
# Regenerates the hash-pinned lock files that scripts/setup.sh installs with --require-hashes:
#   requirements-pip.lock  the installer (pip), from requirements-pip.txt
#   requirements.lock      the program, the components and the offline preview, from requirements.txt
#   requirements-dev.lock  the above plus the ML side and the test tools, from requirements-dev.txt
# Versions come from constraints.txt (the whole resolved set, one version per package); the locks add every
# published file's SHA-256, so an install on any Linux CPython 3.11 refuses a file that is not the one locked.
# Run it after changing a requirements file or constraints.txt; tests/test_dependencies.py checks they agree.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools"
"$tools/bin/python" -m pip install --quiet --disable-pip-version-check "pip-tools==7.7.0"
compile() {
  "$tools/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras \
    --no-emit-find-links --no-emit-index-url --no-emit-trusted-host "$@"
}
compile --output-file=requirements-pip.lock requirements-pip.txt
compile --constraint=constraints.txt --output-file=requirements.lock requirements.txt
compile --constraint=constraints.txt --output-file=requirements-dev.lock requirements-dev.txt
