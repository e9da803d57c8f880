# sentiment-api image: docker build -t sentiment-api .
# TLS certificate/key and ASAP public keys are mounted at run time (see deploy/README.md);
# nothing secret is copied into the image (.dockerignore excludes keys/, var/, .env).

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: all dependencies, compile TypeScript, then drop devDependencies ----
FROM ${NODE_IMAGE} AS build
# @tensorflow/tfjs-node (optional dependency) downloads libtensorflow and a prebuilt N-API binding,
# better-sqlite3 a prebuilt binary; node-gyp compiles them from source when no prebuilt binary
# matches, which needs python3, make and g++. They stay in this stage only.
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The service signs and checks ASAP tokens with the client package's code (one signer), compiled
# from its sources along with the service's into dist/.
COPY clients/typescript/src ./clients/typescript/src
# `npm prune --omit=dev` keeps optional dependencies, so the native TensorFlow backend stays.
RUN npm run -s build \
  && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: production dependencies, compiled code, model; runs as the unprivileged node user ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
  HOST=0.0.0.0 \
  PORT=8443 \
  MODEL_DIR=/app/models/sentiment-boe \
  LOG_LEVEL=info
WORKDIR /app
# Code and model belong to root and are read-only for the service user; only var/ is writable
# (the default SQLite prediction log; Kubernetes mounts an emptyDir there).
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config ./config
COPY models ./models
COPY deploy/docker/healthcheck.mjs ./deploy/docker/healthcheck.mjs
RUN mkdir -p /app/var && chown node:node /app/var
# The image's `node` user, by number so Kubernetes can check runAsNonRoot without a passwd lookup.
USER 1000:1000
# The image must use the native backend: fail the build if @tensorflow/tfjs-node did not install.
RUN node -e "require('@tensorflow/tfjs-node')"
EXPOSE 8443 9464
# Liveness over HTTPS on loopback; exit 0 only on 200 from /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "deploy/docker/healthcheck.mjs"]
# Same entry point as `npm start` (whose prestart build already ran in the build stage).
# node runs as PID 1 and handles SIGTERM itself (graceful drain); no shell in between.
CMD ["node", "dist/src/main.js"]
