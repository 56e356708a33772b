# syntax=docker/dockerfile:1
# Keel's container image: one image for every process (`keel serve|api|orchestrator|worker|
# migrate|backup`). Build:   docker build -t keel .
# Run (single process):      docker compose -f deploy/compose/compose.yaml up
#
# The base is Node 22 LTS, slim, on Debian bookworm: bookworm's PostgreSQL client (15) matches
# the PostgreSQL 15 of deploy/compose, so `keel backup` can run pg_dump against it.
ARG NODE_IMAGE=node:22-bookworm-slim

# 1. Build: all dependencies, then the compiled server (dist/) and the web app (web/dist).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Compilers for native modules (better-sqlite3, argon2) when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# 2. Production dependencies only: no tsx, esbuild, vite, vitest or TypeScript in the image.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# 3. Runtime: compiled JavaScript, production dependencies, policies and bundled docs.
FROM ${NODE_IMAGE} AS runtime
# git: git knowledge sources. postgresql-client: pg_dump/pg_restore for `keel backup|restore`.
# tini: forwards SIGTERM to Keel (graceful drain) and reaps git's child processes.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git postgresql-client tini ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 keel \
 && useradd --system --uid 10001 --gid keel --home-dir /data --no-create-home keel \
 && mkdir -p /data && chown keel:keel /data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
COPY package.json ./
COPY bin/keel.js ./bin/keel.js
COPY policies ./policies
COPY knowledge ./knowledge
COPY README.md ./

# Everything Keel writes goes to /data (a volume) and /tmp; the root filesystem can be
# read-only. The server listens on all interfaces inside the container; sign-in is on, as Keel
# requires for any non-loopback address (the first admin: the setup token in the log).
ENV NODE_ENV=production \
    KEEL_DATA_DIR=/data \
    KEEL_HOST=0.0.0.0 \
    PORT=8080 \
    KEEL_AUTH=on
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8080 8081 8082

# The API's liveness route, with Node (the image has no curl). Worker and orchestrator
# containers override it with their own port (see deploy/compose/compose.server.yaml).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/keel.js"]
CMD ["serve"]
