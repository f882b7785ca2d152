#!/usr/bin/env bash
# A Python venv holding exactly a pinned requirements file (wheels only), from Debian's system
# Python. Idempotent: when the venv exists, was built from the same interpreter and requirements,
# and `import <check>` works, it does nothing. Sourced (setup-grader-venv.sh) or run:
#
#   bash tooling/python/pinned-venv.sh <name> <requirements.txt> <venv dir> <module to import> [base python]
#
# Sourced, `pinned_venv` takes a sixth argument: a function run after installing and before the
# stamp is written (so that a failure there makes the next run install again).
set -euo pipefail

pinned_venv() {
  local name="$1" requirements="$2" venv="$3" check="$4" base_python="${5:-/usr/bin/python3}" after="${6:-}"
  local stamp="$venv/.computor-requirements.sha256" want
  if [[ ! -x "$base_python" ]]; then
    echo "$name: base interpreter $base_python not found (install Debian's python3)" >&2
    return 1
  fi
  want="$( (sha256sum "$requirements" | cut -d' ' -f1; "$base_python" -c 'import sys; print(sys.version)') | sha256sum | cut -d' ' -f1)"
  if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && "$venv/bin/python" -c "import $check" >/dev/null 2>&1; then
    echo "$name: $venv is up to date"
    return 0
  fi
  if ! "$base_python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    # Debian splits venv/ensurepip into python3-venv.
    if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    else
      echo "$name: $base_python lacks the venv module (apt-get install python3-venv)" >&2
      return 1
    fi
  fi
  if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    "$base_python" -m venv "$venv"
  fi
  "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --quiet --only-binary=:all: -r "$requirements"
  if [[ -n "$after" ]]; then "$after" "$venv"; fi
  echo "$want" > "$stamp"
  echo "$name: installed $(grep -cvE '^\s*(#|$)' "$requirements") pinned packages into $venv"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  if [[ $# -lt 4 ]]; then
    echo "usage: pinned-venv.sh <name> <requirements.txt> <venv dir> <module to import> [base python]" >&2
    exit 2
  fi
  pinned_venv "$@"
fi
