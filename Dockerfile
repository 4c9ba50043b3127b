# syntax=docker/dockerfile:1
# Xinyi Ledger for production: `docker compose up -d --build` (see docker-compose.yml), or
# `docker build -t xinyi-ledger .`. Node is pinned to one 20.x release on Debian bookworm, the
# line package.json's engines (>=20) and the README promise; bump it deliberately.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# --- build: every dependency from the lockfile; `npm ci` runs the `prepare` script, which
# builds the web app, so the sources must be there first. Then only what runs in production
# is kept.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NODE_ENV=development
COPY . .
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# --- runtime: the same Node, tini as PID 1 so that signals reach the server and zombies are
# reaped, and an unprivileged user. tsx runs the TypeScript directly, as `npm start` does.
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data \
 && chown node:node /data
WORKDIR /app
COPY --from=build /app /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
# Only the embedded PostgreSQL (no DATABASE_URL) keeps anything here.
VOLUME ["/data"]
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The server handles SIGTERM itself (finish requests, close streams, stop the database);
# compose gives it stop_grace_period to do so.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--import", "tsx", "src/server.ts"]
