#!/usr/bin/env bash
# Idempotent set-up of a machine of this project's kind (Debian 12, Node.js 20, Python 3): pnpm,
# the system packages the stack and the sandbox need, dependencies, the grader's Python
# environment, and a build. Safe to run again: each step is skipped when already satisfied.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
PNPM_VERSION="$(node -p "require('./package.json').packageManager.split('@')[1]")"

step() { printf '\n==> %s\n' "$*"; }
as_root() { if [[ "$(id -u)" == "0" ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else echo "need root for: $*" >&2; return 1; fi; }

apt_updated=0
apt_install() {
  if [[ $apt_updated == 0 ]]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

step "system packages"
# The stack's PostgreSQL plus every package graded code runs with (tooling/runtimes/debian-packages.txt).
mapfile -t wanted < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' tooling/runtimes/debian-packages.txt)
missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  apt_install --no-install-recommends "${missing[@]}"
  # Debian starts a cluster on install; the stack runs its own, so leave the system one stopped.
  if [[ " ${missing[*]} " == *" postgresql "* ]] && command -v pg_ctlcluster >/dev/null; then
    as_root systemctl disable --now postgresql >/dev/null 2>&1 || as_root service postgresql stop >/dev/null 2>&1 || true
  fi
else
  echo "all present (postgresql, ${#wanted[@]} runtime packages)"
fi

step "pnpm ${PNPM_VERSION}"
if [[ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]]; then
  npm install -g --no-fund --no-audit "pnpm@${PNPM_VERSION}" >/dev/null
fi
pnpm --version

step "dependencies"
if [[ "${CI:-}" == "true" ]]; then pnpm install --frozen-lockfile; else pnpm install --frozen-lockfile --prefer-offline; fi

step "grader Python environment"
bash tooling/python/setup-grader-venv.sh

step "test clients' Python environment (python-gitlab)"
bash tooling/python/pinned-venv.sh setup-test-venv tooling/python/gitlab-test-requirements.txt "${COMPUTOR_TEST_VENV:-$root/.cache/gitlab-test-venv}" gitlab

step "build"
pnpm turbo run build --output-logs=errors-only
