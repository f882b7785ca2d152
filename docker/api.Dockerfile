# syntax=docker/dockerfile:1
# The API image. Build context: the repository root.
#   docker build -f docker/api.Dockerfile -t computor-api .
# Same shape as every app image: lockfile install, build with the dependency graph, `pnpm deploy
# --prod` into /out (docker/build-app.sh), then a runtime stage holding /out and nothing else.

ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
ENV PNPM_HOME=/pnpm \
    PATH=/pnpm:$PATH \
    CI=true \
    TURBO_TELEMETRY_DISABLED=1 \
    DO_NOT_TRACK=1
RUN npm install --global --no-fund --no-audit pnpm@10.34.9
WORKDIR /repo
# The lockfile alone decides what is downloaded, so this layer survives every source change.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN --mount=type=cache,id=computor-pnpm-store,target=/pnpm/store pnpm fetch
COPY . .
RUN --mount=type=cache,id=computor-pnpm-store,target=/pnpm/store sh docker/build-app.sh api /out

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    API_HOST=0.0.0.0 \
    API_PORT=8000
WORKDIR /app
# Owned by root and read-only to the process: the app cannot rewrite its own code.
COPY --from=build /out ./
# 1000 is the base image's unprivileged "node" user (it has a home directory).
USER 1000:1000
EXPOSE 8000
# Liveness only: /readyz (Temporal, PostgreSQL, object storage) is for a readiness probe, so an
# outage of a dependency does not get the API restarted.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.API_PORT || 8000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
