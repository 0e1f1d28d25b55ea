# syntax=docker/dockerfile:1
# Build stage: compile TypeScript and the native modules (better-sqlite3, bcrypt) with the dev toolchain.
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Run stage: production dependencies and the compiled code only.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=/data/.spectro-server
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 5000
ENTRYPOINT ["node", "/app/dist/cli/pack-registry.js"]
CMD ["serve"]
