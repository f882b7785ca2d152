#!/usr/bin/env bash
# `pnpm fuzz:api`: fuzzes the running API against its own OpenAPI document with schemathesis.
#
# Needs the local stack (`pnpm stack up`). Uses a database of its own (recreated on every run, so a
# fixed seed replays the same run) and a Temporal namespace of its own where no worker polls, so the
# workflows that fuzzed requests start never touch GitLab and never reach the development system.
# Starts the built API on a free port, seeds an admin (the fuzzing identity), a lecturer, a
# student and a course with contents, runs schemathesis with every response check, prints the
# figures, and exits non-zero on any failure.
#   FUZZ_MAX_EXAMPLES  test cases per operation and phase (default 40)
#   FUZZ_SEED          hypothesis seed (default 20261126)
#   FUZZ_WORKERS       concurrent schemathesis workers (default 2)
#   FUZZ_SKIP_BUILD=1  use the existing dist/ of api, worker and migrations
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export COMPUTOR_ENV_FILE="${COMPUTOR_ENV_FILE:-$root/.stack/stack.env}"
max_examples="${FUZZ_MAX_EXAMPLES:-40}"
seed="${FUZZ_SEED:-20261126}"
workers="${FUZZ_WORKERS:-2}"
venv="$root/.cache/fuzz-venv"
out="$root/.cache/fuzz-api"
requirements="$root/tooling/python/fuzz-requirements.txt"

if [[ ! -f "$COMPUTOR_ENV_FILE" ]]; then
  echo "fuzz-api: $COMPUTOR_ENV_FILE not found; start the local stack first: pnpm stack up" >&2
  exit 2
fi
stack_env() { grep -E "^$1=" "$COMPUTOR_ENV_FILE" | tail -n 1 | cut -d= -f2-; }
base_db_url="$(stack_env DATABASE_URL)"

printf '==> schemathesis venv (%s)\n' "$venv"
bash "$root/tooling/python/pinned-venv.sh" fuzz-api "$requirements" "$venv" schemathesis
"$venv/bin/schemathesis" --version

if [[ "${FUZZ_SKIP_BUILD:-}" != "1" ]]; then
  printf '==> build api, worker CLI, migrations\n'
  pnpm turbo run build --filter=@computor/api --filter=@computor/worker --filter=@computor/migrations --output-logs=errors-only
fi

printf '==> fuzz database and Temporal namespace\n'
# The same server and credentials as the stack's database, another database name.
export DATABASE_URL="${base_db_url%/*}/computor_fuzz"
export TEMPORAL_NAMESPACE="computor-fuzz"
psql "$base_db_url" -v ON_ERROR_STOP=1 -q -c 'DROP DATABASE IF EXISTS computor_fuzz WITH (FORCE)' -c 'CREATE DATABASE computor_fuzz'
node apps/migrations/dist/main.js | tail -n 1
(cd apps/api && node -e '
  const { Connection } = require("@temporalio/client");
  (async () => {
    const connection = await Connection.connect({ address: process.argv[1] });
    try {
      await connection.workflowService.registerNamespace({ namespace: process.argv[2], workflowExecutionRetentionPeriod: { seconds: 86400 } });
    } catch (error) {
      if (!/already/i.test(String(error.message))) throw error;
    }
    await connection.close();
  })().catch((error) => { console.error(error); process.exit(1); });
' "$(stack_env TEMPORAL_ADDRESS)" "$TEMPORAL_NAMESPACE")

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
base="http://127.0.0.1:$port"
mkdir -p "$out"
printf '==> api on %s (log: %s)\n' "$base" "$out/api.log"
API_HOST=127.0.0.1 API_PORT="$port" LOG_LEVEL=warn API_RESULT_WAIT_SECONDS=1 node apps/api/dist/main.js >"$out/api.log" 2>&1 &
api_pid=$!
stop_api() {
  kill "$api_pid" 2>/dev/null || true
  wait "$api_pid" 2>/dev/null || true
}
trap stop_api EXIT
for _ in $(seq 1 100); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$api_pid" 2>/dev/null || { cat "$out/api.log" >&2; exit 1; }
  sleep 0.2
done
# Temporal (connected lazily) is the last to answer.
for _ in $(seq 1 50); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done

printf '==> seed users, tokens, a course with members and contents\n'
cli() { node apps/worker/dist/cli.js "$@"; }
cli user create --email fuzz-admin@example.org --username fuzz-admin --admin >/dev/null
cli user create --email fuzz-lecturer@example.org --username fuzz-lecturer >/dev/null
cli user create --email fuzz-student@example.org --username fuzz-student >/dev/null
token="$(cli token create --user fuzz-admin@example.org --name fuzz)"
auth=(-H "Authorization: Bearer $token" -H 'Content-Type: application/json')
api() { curl -fsS "${auth[@]}" -X "$1" "$base$2" ${3:+--data "$3"}; }
user_id() { cli user create --email "$1" --username "$2" | jq -r .id; }
lecturer_id="$(user_id fuzz-lecturer@example.org fuzz-lecturer)"
student_id="$(user_id fuzz-student@example.org fuzz-student)"
org_id="$(api POST /organizations '{"path":"fuzz-org","title":"Fuzz","gitlab":{"url":"http://127.0.0.1:9","parentGroupId":1}}' | jq -r .id)"
family_id="$(api POST /course-families "{\"organizationId\":\"$org_id\",\"path\":\"fuzz-family\",\"title\":\"Fuzz family\"}" | jq -r .id)"
course_id="$(api POST /courses "{\"courseFamilyId\":\"$family_id\",\"path\":\"fuzz-course\",\"title\":\"Fuzz course\"}" | jq -r .id)"
api POST "/courses/$course_id/members" "{\"members\":[{\"userId\":\"$lecturer_id\",\"role\":\"lecturer\"},{\"userId\":\"$student_id\",\"role\":\"student\"}]}" >/dev/null
api POST "/courses/$course_id/contents" '{"path":"week1.hello","title":"Hello","maxTestRuns":3}' >/dev/null
api POST "/courses/$course_id/contents" '{"path":"week1.lists","title":"Lists"}' >/dev/null
echo "course $course_id with a lecturer, a student and 2 contents"

printf '==> schemathesis (max %s examples per operation, seed %s, %s workers)\n' "$max_examples" "$seed" "$workers"
api_requests() { curl -fsS "$base/metrics" | awk '/^computor_http_requests_total\{/ { n += $NF } END { printf "%d", n }'; }
api_5xx() { curl -fsS "$base/metrics" | awk '/^computor_http_requests_total\{/ && /status="5[0-9][0-9]"/ { n += $NF } END { printf "%d", n }'; }
# GET /workflows/:id/result long-polls up to `wait` seconds (<= 300) and the event stream stays open
# while a workflow runs; nothing runs workflows here, so both would only wait: pin `wait` to 0 and
# read one event per stream.
cat >"$out/schemathesis.toml" <<'TOML'
max-stream-events = 1

[[operations]]
include-name = "GET /workflows/{id}/result"
parameters = { "query.wait" = 0 }
TOML
before="$(api_requests)"
set +e
"$venv/bin/schemathesis" --config-file "$out/schemathesis.toml" run "$base/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "$max_examples" \
  --seed "$seed" \
  --workers "$workers" \
  --request-timeout 30 \
  --no-color \
  --report junit --report-junit-path "$out/junit.xml" \
  2>&1 | tee "$out/schemathesis.log"
status=${PIPESTATUS[0]}
set -e
if ! kill -0 "$api_pid" 2>/dev/null; then
  wait "$api_pid"; api_status=$?
  echo "fuzz-api: the api exited during the run (status $api_status); its log: $out/api.log" >&2
  tail -n 20 "$out/api.log" >&2
  exit 1
fi
after="$(api_requests)"
server_errors="$(api_5xx)"

printf '\n==> figures\n'
echo "requests answered by the api during the run: $((after - before))"
echo "responses with status 5xx: $server_errors"
echo "schemathesis summary:"
# The summary's own figures: generated test cases and failures per check (ST codes).
sed -n '/^Failures:/,/^$/p; /^Test cases:/,/^$/p' "$out/schemathesis.log" | sed 's/^/  /'
grep -q '^Failures:' "$out/schemathesis.log" || echo "  failures per check: none"
echo "schemathesis exit status: $status (report: $out)"
if [[ $status -ne 0 || $server_errors -ne 0 ]]; then exit 1; fi
