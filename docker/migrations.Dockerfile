# syntax=docker/dockerfile:1
# The migrations job: `prisma migrate deploy` with the JS schema engine, verified against
# _prisma_migrations; exits non-zero on failure. Needs only DATABASE_URL (or POSTGRES_*).
# Build context: the repository root.
#   docker build -f docker/migrations.Dockerfile -t computor-migrations .

ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
ENV PNPM_HOME=/pnpm \
    PATH=/pnpm:$PATH \
    CI=true \
    TURBO_TELEMETRY_DISABLED=1 \
    DO_NOT_TRACK=1
RUN npm install --global --no-fund --no-audit pnpm@10.34.9
WORKDIR /repo
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN --mount=type=cache,id=computor-pnpm-store,target=/pnpm/store pnpm fetch
COPY . .
RUN --mount=type=cache,id=computor-pnpm-store,target=/pnpm/store sh docker/build-app.sh migrations /out

FROM ${NODE_IMAGE} AS runtime
# The Prisma CLI would otherwise phone home for update checks on every run.
ENV NODE_ENV=production \
    CHECKPOINT_DISABLE=1 \
    PRISMA_HIDE_UPDATE_MESSAGE=1
WORKDIR /app
COPY --from=build /out ./
USER 1000:1000
# A one-shot job has nothing to probe: orchestrators wait for its exit code
# (compose: service_completed_successfully; Kubernetes: a Job or an init container).
HEALTHCHECK NONE
CMD ["node", "dist/main.js"]
