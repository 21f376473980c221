# ajplb container image: build with the full toolchain, run on a slim Node 22 LTS with only production deps.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY conf ./conf
USER node
EXPOSE 8080 8081
# tini reaps and forwards SIGTERM, so a `docker stop` drains requests instead of killing them.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/cli.js"]
# Mount your files at /etc/ajplb and override, e.g.:
#   docker run -v /etc/ajplb:/etc/ajplb:ro -p 80:8080 ajplb --workers /etc/ajplb/workers.properties --listen 0.0.0.0:8080 --admin 0.0.0.0:8081
CMD []
