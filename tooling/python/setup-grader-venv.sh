#!/usr/bin/env bash
# Creates (or refreshes) the Python environment that graded code runs in, from Debian's system
# Python so that the sandbox only has to expose /usr plus this directory (pinned-venv.sh does the
# venv; this adds what the sandbox needs).
#
#   COMPUTOR_GRADER_VENV   target directory (default: <repo root>/.cache/grader-venv)
#   COMPUTOR_GRADER_PYTHON base interpreter (default: /usr/bin/python3)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
# shellcheck source=pinned-venv.sh
source "$here/pinned-venv.sh"

for_the_sandbox() {
  local venv="$1"
  # Build matplotlib's font cache once; the sandbox copies it into each run's private config dir
  # instead of rebuilding it (about a second) on every run.
  mkdir -p "$venv/mplconfig"
  MPLCONFIGDIR="$venv/mplconfig" MPLBACKEND=Agg "$venv/bin/python" -c 'import matplotlib.font_manager' >/dev/null
  # The sandbox runs graded code under unprivileged uids: everything here must be world-readable.
  chmod -R a+rX "$venv"
}

pinned_venv setup-grader-venv "$here/grader-requirements.txt" "${COMPUTOR_GRADER_VENV:-$repo_root/.cache/grader-venv}" 'numpy, scipy, matplotlib' \
  "${COMPUTOR_GRADER_PYTHON:-/usr/bin/python3}" for_the_sandbox
