#!/usr/bin/env bash
# Runs the whole system on embedded local defaults: set-up, the local stack (Temporal dev server
# with its UI, PostgreSQL, the S3 server, the GitLab emulator), migrations, a seeded admin, then the
# API and one worker per task queue in the foreground. Ctrl-C stops everything cleanly; the next
# run reuses the state in .stack/.
#   API_PORT (default 8000)   SKIP_SETUP=1 (skip install/build when nothing changed)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export COMPUTOR_STACK_DIR="${COMPUTOR_STACK_DIR:-$root/.stack}"
export API_PORT="${API_PORT:-8000}"
export LOG_FORMAT="${LOG_FORMAT:-pretty}"

[[ "${SKIP_SETUP:-}" == "1" ]] || bash scripts/setup.sh

printf '\n==> local stack (%s)\n' "$COMPUTOR_STACK_DIR"
node tooling/stack/bin/stack.js up
export COMPUTOR_ENV_FILE="$COMPUTOR_STACK_DIR/stack.env"

printf '\n==> migrations\n'
node apps/migrations/dist/main.js | tail -n 1

printf '\n==> seed\n'
node apps/worker/dist/cli.js dev seed --out "$COMPUTOR_STACK_DIR/dev-credentials.json"

pids=()
cleanup() {
  trap - INT TERM EXIT
  printf '\n==> stopping api and workers\n'
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  printf '==> stopping the local stack (data kept in %s)\n' "$COMPUTOR_STACK_DIR"
  node tooling/stack/bin/stack.js down >/dev/null 2>&1 || true
}
trap cleanup INT TERM EXIT

# Process substitution keeps $! the app's own pid (a pipeline would give sed's), so signals reach it.
prefix() { local name=$1; shift; "$@" > >(sed -u "s/^/[$name] /") 2>&1 & pids+=($!); }
prefix api node apps/api/dist/main.js
# Student repositories get a push hook to this API (grade on push).
prefix worker-tasks env COMPUTOR_HOOK_URL="${COMPUTOR_HOOK_URL:-http://127.0.0.1:${API_PORT}/hooks/gitlab}" node apps/worker/dist/cli.js worker start --queue computor-tasks
prefix worker-testing env WORKER_IDENTITY="testing-$$@$(hostname)" node apps/worker/dist/cli.js worker start --queue computor-testing

for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:${API_PORT}/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
node tooling/stack/bin/stack.js status || true
cat <<MSG

==> Computor is running
    API          http://127.0.0.1:${API_PORT}   (readiness: /readyz)
    Temporal UI  $(grep '^TEMPORAL_UI_URL=' "$COMPUTOR_ENV_FILE" | cut -d= -f2-)
    GitLab       $(grep '^GITLAB_URL=' "$COMPUTOR_ENV_FILE" | cut -d= -f2-)   (an EMULATOR of GitLab's REST API, not GitLab)
    Credentials  $COMPUTOR_STACK_DIR/dev-credentials.json
    Try: curl -H "Authorization: Bearer \$(node -p "require('$COMPUTOR_STACK_DIR/dev-credentials.json').admin.token")" http://127.0.0.1:${API_PORT}/me
    The whole journey (GitLab setup, example, release, fork, two graded hand-ins), in another terminal:
         node apps/worker/dist/cli.js demo --api http://127.0.0.1:${API_PORT} --credentials $COMPUTOR_STACK_DIR/dev-credentials.json
    Ctrl-C stops everything.
MSG
wait
