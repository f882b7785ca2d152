#!/usr/bin/env bash
# Creates (or refreshes) the Python environment that graded code runs in, from Debian's system
# Python so that the sandbox only has to expose /usr plus this directory. Idempotent: when the venv
# exists, was built from the same interpreter and the requirements file is unchanged, it does nothing.
#
#   COMPUTOR_GRADER_VENV   target directory (default: <repo root>/.cache/grader-venv)
#   COMPUTOR_GRADER_PYTHON base interpreter (default: /usr/bin/python3)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
venv="${COMPUTOR_GRADER_VENV:-$repo_root/.cache/grader-venv}"
base_python="${COMPUTOR_GRADER_PYTHON:-/usr/bin/python3}"
requirements="$here/grader-requirements.txt"
stamp="$venv/.computor-requirements.sha256"

if [[ ! -x "$base_python" ]]; then
  echo "setup-grader-venv: base interpreter $base_python not found (install Debian's python3)" >&2
  exit 1
fi

want="$( (sha256sum "$requirements" | cut -d' ' -f1; "$base_python" -c 'import sys; print(sys.version)') | sha256sum | cut -d' ' -f1)"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
  && "$venv/bin/python" -c 'import numpy, scipy, matplotlib' >/dev/null 2>&1; then
  echo "setup-grader-venv: $venv is up to date"
  exit 0
fi

if ! "$base_python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  # Debian splits venv/ensurepip into python3-venv.
  if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
  else
    echo "setup-grader-venv: $base_python lacks the venv module (apt-get install python3-venv)" >&2
    exit 1
  fi
fi

if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  "$base_python" -m venv "$venv"
fi

"$venv/bin/python" -m pip install --disable-pip-version-check --no-input --quiet --only-binary=:all: -r "$requirements"

# Build matplotlib's font cache once; the sandbox copies it into each run's private config dir
# instead of rebuilding it (about a second) on every run.
mkdir -p "$venv/mplconfig"
MPLCONFIGDIR="$venv/mplconfig" MPLBACKEND=Agg "$venv/bin/python" -c 'import matplotlib.font_manager' >/dev/null

# The sandbox runs graded code under unprivileged uids: everything here must be world-readable.
chmod -R a+rX "$venv"

echo "$want" > "$stamp"
echo "setup-grader-venv: installed $(grep -cvE '^\s*(#|$)' "$requirements") pinned packages into $venv"
