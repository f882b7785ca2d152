#!/bin/sh
# The build stage of every image, in one place: install from the lockfile, build the app with its
# dependency graph, deploy it with production dependencies only into <out>, trim what cannot run
# there. docker/*.Dockerfile run it inside the image build (after `pnpm fetch`), and
# scripts/verify-deploy.sh runs the very same file on a copy of the build context, so what is
# verified outside Docker is the image's build, not a look-alike.
#
#   sh docker/build-app.sh <api|worker|migrations> <out>   (from the repository root)
set -eu

app="${1:?usage: build-app.sh <app> <out>}"
out="${2:?usage: build-app.sh <app> <out>}"
pkg="@computor/${app}"

# --offline: everything comes from the store `pnpm fetch` filled from the lockfile alone.
pnpm install --frozen-lockfile --offline
pnpm turbo run build --filter="${pkg}..." --output-logs=errors-only
# pnpm 10 only deploys injected workspace packages; the workspace links them, so --legacy: it
# copies each workspace dependency's published files ("files" in its package.json) instead.
pnpm deploy --filter="${pkg}" --prod --legacy "${out}"

# The Temporal core bridge ships native binaries for five platforms (about 27 MiB each) and its
# Rust sources; only this platform's binary is loaded (releases/<arch>-unknown-linux-gnu).
target="$(node -p "({ x64: 'x86_64', arm64: 'aarch64' })[process.arch] + '-unknown-linux-gnu'")"
for bridge in "${out}"/node_modules/.pnpm/@temporalio+core-bridge@*/node_modules/@temporalio/core-bridge; do
  [ -d "${bridge}" ] || continue
  [ -f "${bridge}/releases/${target}/index.node" ] || { echo "build-app: no core bridge for ${target} in ${bridge}" >&2; exit 1; }
  for release in "${bridge}"/releases/*; do
    [ "$(basename "${release}")" = "${target}" ] || rm -rf "${release}"
  done
  rm -rf "${bridge}/sdk-core" "${bridge}/src" "${bridge}/bridge-macros"
done

# What the images promise; a build that breaks it fails here, not at run time.
test -f "${out}/dist/main.js" || test -f "${out}/dist/cli.js" || { echo "build-app: ${out}/dist has no entry point" >&2; exit 1; }
if [ "${app}" = worker ]; then
  test -s "${out}/dist/workflow-bundle.js" || { echo "build-app: the prebuilt workflow bundle is missing from ${out}/dist" >&2; exit 1; }
fi
if find "${out}" -name '.env' -o -name '.env.*' | grep -q .; then
  echo "build-app: an .env file ended up in ${out}" >&2
  exit 1
fi
echo "build-app: ${pkg} deployed to ${out}"
