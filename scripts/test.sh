#!/usr/bin/env bash
# The whole test suite, from a fresh machine: set-up, a dedicated local stack (.stack-test, so a
# running development system is never touched), migrations, then typecheck, lint, unit tests and
# integration tests against the real services. Prints "tests: N passed, N failed" at the end.
#   KEEP_STACK=1   leave the test stack running afterwards (faster reruns)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export COMPUTOR_STACK_DIR="${COMPUTOR_STACK_DIR:-$root/.stack-test}"
started=$(date +%s)

bash scripts/setup.sh

log="$(mktemp -t computor-test.XXXXXX)"
stop_stack() {
  if [[ "${KEEP_STACK:-}" != "1" ]]; then
    printf '\n==> stopping the test stack\n'
    node tooling/stack/bin/stack.js down >/dev/null 2>&1 || true
  fi
}
trap stop_stack EXIT

printf '\n==> test stack (%s)\n' "$COMPUTOR_STACK_DIR"
node tooling/stack/bin/stack.js up
export COMPUTOR_ENV_FILE="$COMPUTOR_STACK_DIR/stack.env"

printf '\n==> migrations\n'
node apps/migrations/dist/main.js | tail -n 1

status=0
printf '\n==> typecheck, lint, unit tests\n'
pnpm turbo run typecheck lint test --continue --output-logs=new-only 2>&1 | tee -a "$log" || status=1

printf '\n==> integration tests (real Temporal, PostgreSQL, S3 server, sandbox, GitLab emulator)\n'
pnpm turbo run test:integration --concurrency=1 --continue --output-logs=new-only 2>&1 | tee -a "$log" || status=1

printf '\n==> deployment check (pnpm deploy of each app outside the repository, started and probed)\n'
deploy_ok=1
bash scripts/verify-deploy.sh 2>&1 | tee -a "$log" | tail -n 25 || { deploy_ok=0; status=1; }

# Jest prints "Tests: [N failed, ][N skipped, ]N passed, N total" per package; add them up.
read -r passed failed skipped < <(sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '
  /Tests:/ {
    for (i = 1; i <= NF; i++) {
      if ($(i) ~ /^passed,?$/) p += $(i-1);
      if ($(i) ~ /^failed,?$/) f += $(i-1);
      if ($(i) ~ /^skipped,?$/) s += $(i-1);
    }
  }
  END { print p + 0, f + 0, s + 0 }')
rm -f "$log"
# The deployment check counts as one test.
if [[ $deploy_ok == 1 ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
printf '\n==> done in %ss\n' "$(( $(date +%s) - started ))"
if [[ $status != 0 && $failed == 0 ]]; then failed=1; echo "a typecheck, lint or test task failed (see above)"; fi
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
exit $status
