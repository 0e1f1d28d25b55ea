# syntax=docker/dockerfile:1
# pack-registry: runs the way the Spectro docs run the original registry (same variables, /auth, /certs,
# /data, port 5000). See README.md, "Administration".
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: every dependency, the native modules (better-sqlite3, bcrypt) compiled, TypeScript compiled.
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- production dependencies only: the compiled native modules stay, the dev tools go.
FROM build AS production-dependencies
RUN npm prune --omit=dev --no-audit --no-fund

# ---- run: Node 20, the compiled code, production dependencies, nothing else.
FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="pack-registry" \
      org.opencontainers.image.description="A pack registry for Spectro Cloud Palette-style clients" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production \
    PACK_REGISTRY_HOME=/app \
    PACK_REGISTRY_CONFIG=/etc/pack-registry/config.yml \
    PACK_REGISTRY_USER=node
WORKDIR /app
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY docker/config.yml /etc/pack-registry/config.yml
COPY docker/docker-entrypoint.sh docker/pack-registry /usr/local/bin/
# The volumes belong to the unprivileged user, so anonymous volumes and `--user node` work as they are.
RUN mkdir -p /data /auth /certs \
 && chown node:node /data /auth /certs \
 && chmod 0755 /usr/local/bin/docker-entrypoint.sh /usr/local/bin/pack-registry
VOLUME ["/data", "/auth", "/certs"]
EXPOSE 5000
# Root only until the secrets are read and /data is owned: the server then runs as PACK_REGISTRY_USER
# (node, uid 1000) — see docker/docker-entrypoint.sh. Start with `--user node` to skip the root phase.
USER root
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["pack-registry", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["serve", "/etc/pack-registry/config.yml"]
