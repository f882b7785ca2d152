# syntax=docker/dockerfile:1
# The Temporal worker (one image for both task queues) and the `computor` CLI.
# Build context: the repository root.
#   docker build -f docker/worker.Dockerfile -t computor-worker .
# The computor-testing queue grades in a bubblewrap sandbox: see docker/README.md ("The grading
# sandbox in a container") for the privileges that container needs. The image itself runs
# unprivileged (uid 1000), which is all the computor-tasks queue needs.

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
# The worker's build also writes the prebuilt workflow bundle (dist/workflow-bundle.js), so the
# worker starts without webpack; build-app.sh fails when the deploy output lacks it.
RUN --mount=type=cache,id=computor-pnpm-store,target=/pnpm/store sh docker/build-app.sh worker /out

FROM ${NODE_IMAGE} AS runtime
# What graded code runs with (tooling/runtimes/debian-packages.txt, the list scripts/setup.sh
# installs too): Debian's python3 (the venv below is built from it), gcc/g++ and the C library
# headers, Octave with gnuplot and a font for figures, R with jsonlite, gfortran, bubblewrap for the
# sandbox, prlimit and setpriv (util-linux); and tini as PID 1 to reap whatever a killed sandbox
# leaves behind.
# hadolint ignore=DL3008,SC2046
RUN --mount=type=bind,source=tooling/runtimes,target=/tmp/runtimes \
  apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    $(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' /tmp/runtimes/debian-packages.txt) tini \
  && rm -rf /var/lib/apt/lists/*
# The Python environment of graded code (numpy, scipy, matplotlib, pinned), built by the same
# script the tests use; bind-mounted so the requirements leave no copy in the image.
ENV COMPUTOR_GRADER_VENV=/opt/computor/grader-venv
RUN --mount=type=bind,source=tooling/python,target=/tmp/grader-python \
  PIP_NO_CACHE_DIR=1 bash /tmp/grader-python/setup-grader-venv.sh \
  && "$COMPUTOR_GRADER_VENV/bin/python" -c 'import numpy, scipy, matplotlib'

ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /out ./
USER 1000:1000
# No port: the worker only dials out (Temporal, PostgreSQL, object storage, GitLab). Set
# WORKER_METRICS_PORT and publish it to scrape metrics.
# Healthy while every queue in WORKER_QUEUES has a live poller in Temporal. Temporal reports
# pollers per queue, not per process: with several replicas on one queue this says the queue is
# served, not that this replica is.
HEALTHCHECK --interval=30s --timeout=15s --start-period=60s --retries=3 \
  CMD ["sh", "-c", "set --; for q in $(echo \"${WORKER_QUEUES:-computor-tasks}\" | tr ',' ' '); do set -- \"$@\" --queue \"$q\"; done; exec node dist/cli.js worker status \"$@\" >/dev/null"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/cli.js"]
CMD ["worker", "start"]
