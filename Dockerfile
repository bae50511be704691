# syntax=docker/dockerfile:1
# One image for every Seam service. The service is chosen at run time by SERVICE
# (qradar-ingest, aws-ingest, enricher, correlator, scorer, actuator), or baked in with
# `docker build --build-arg SERVICE=enricher`. The repo runs TypeScript directly with tsx,
# so the image does too: `node --import tsx services/$SERVICE/src/main.ts`.
# Node 22 (LTS): Node 20 reached end of life on 2026-04-30; package.json requires >= 20.19.
ARG NODE_IMAGE=node:22-bookworm-slim

# --- deps: production dependencies of every workspace, plus tsx (a root devDependency) ---------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# npm ci checks the lockfile against every workspace's package.json, so all of them are copied.
COPY package.json package-lock.json .npmrc ./
COPY services/kit/package.json services/kit/
COPY services/qradar-ingest/package.json services/qradar-ingest/
COPY services/aws-ingest/package.json services/aws-ingest/
COPY services/enricher/package.json services/enricher/
COPY services/correlator/package.json services/correlator/
COPY services/scorer/package.json services/scorer/
COPY services/actuator/package.json services/actuator/
COPY schemas/package.json schemas/
COPY topology/package.json topology/
COPY infra/package.json infra/
COPY test/package.json test/
COPY bench/package.json bench/
# No install scripts run: no production dependency needs one. tsx is a root devDependency, so
# `--omit=dev` leaves it out (and `npm install tsx` in the project then finds it "up to date"): it is
# installed on its own under /opt/tsx at the lockfile's versions and linked in, so
# `node --import tsx` resolves it from /app while its own imports resolve under /opt/tsx.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && TSX_VERSION="$(node -p "require('./package-lock.json').packages['node_modules/tsx'].version")" \
 && ESBUILD_VERSION="$(node -p "require('./package-lock.json').packages['node_modules/esbuild'].version")" \
 && npm install --prefix /opt/tsx --no-save --no-package-lock --ignore-scripts --no-audit --no-fund \
      "tsx@${TSX_VERSION}" "esbuild@${ESBUILD_VERSION}" \
 && ln -s /opt/tsx/node_modules/tsx node_modules/tsx \
 && npm cache clean --force

# --- runtime: the sources on top of the installed tree, owned by root, run as uid 1000 ---------
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE=""
# The kit binds 127.0.0.1 unless told otherwise; in a container the probes come from outside.
ENV SERVICE=${SERVICE} \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080
WORKDIR /app
COPY --from=deps /opt/tsx /opt/tsx
COPY --from=deps /app /app
COPY . /app
# uid/gid 1000 is the image's `node` user; numeric so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || '8080') + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# exec: node is PID 1 and receives SIGTERM itself (the kit drains on the first signal).
CMD ["/bin/sh", "-c", "test -f \"services/${SERVICE:?set SERVICE to a service name}/src/main.ts\" || { echo \"no service '${SERVICE}'\" >&2; exit 64; }; exec node --import tsx \"services/${SERVICE}/src/main.ts\""]
