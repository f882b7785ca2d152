#!/usr/bin/env bash
# Creates (or refreshes) the Python environment of test-only clients (python-gitlab) from
# gitlab-test-requirements.txt. Idempotent: nothing to do when the requirements file is unchanged.
#
#   COMPUTOR_TEST_VENV   target directory (default: <repo root>/.cache/gitlab-test-venv)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
venv="${COMPUTOR_TEST_VENV:-$repo_root/.cache/gitlab-test-venv}"
base_python="${COMPUTOR_TEST_PYTHON:-/usr/bin/python3}"
requirements="$here/gitlab-test-requirements.txt"
stamp="$venv/.computor-requirements.sha256"
want="$( (sha256sum "$requirements" | cut -d' ' -f1; "$base_python" -c 'import sys; print(sys.version)') | sha256sum | cut -d' ' -f1)"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && "$venv/bin/python" -c 'import gitlab' >/dev/null 2>&1; then
  echo "setup-test-venv: $venv is up to date"
  exit 0
fi
if [[ ! -x "$venv/bin/python" ]]; then
  mkdir -p "$(dirname "$venv")"
  "$base_python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --disable-pip-version-check --no-input --quiet --only-binary=:all: -r "$requirements"
echo "$want" > "$stamp"
echo "setup-test-venv: installed $(grep -cvE '^\s*(#|$)' "$requirements") pinned packages into $venv"
