#!/usr/bin/env bash
# The two system programs the tests need besides Python: Graphviz's `dot` (lays out `blueprint graph` and the report's
# picture) and a headless Chromium (the report's rendering test). Installs what is missing from the distribution's
# packages (Debian: graphviz, chromium) when it can: as root, or through sudo without a password (CI runners).
# Otherwise it stops, naming what to install. A Chrome already on PATH (GitHub's runners) counts as Chromium.
set -euo pipefail

missing=()
command -v dot >/dev/null || missing+=(graphviz)
command -v npm >/dev/null || missing+=(npm)  # installs Mermaid's parser for the graph tests (tests/mermaid/)
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null && ! command -v google-chrome >/dev/null; then
  missing+=(chromium)
fi
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "scripts/system-packages.sh: the tests need ${missing[*]}; install them with your package manager" \
       "(Debian/Ubuntu: apt-get install ${missing[*]}) and run this again" >&2
  exit 2
fi
if ! command -v apt-get >/dev/null; then
  echo "scripts/system-packages.sh: no apt-get here; install ${missing[*]} with your package manager" >&2
  exit 2
fi
echo "Installing ${missing[*]} (the graph's layout and the report's rendering test)"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
