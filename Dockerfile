# Warden: a multi-stage build. The build stage compiles TypeScript and better-sqlite3's native module; the run
# stage holds only production dependencies and dist/, runs as a non-root user, and keeps its data in a volume.
#   docker build -t warden . && docker run -p 8700:8700 -v warden-data:/data warden
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
COPY examples ./examples
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production WARDEN_DATA=/data WARDEN_HOST=0.0.0.0 WARDEN_PORT=8700
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json warden.schema.json ./
COPY policies ./policies
COPY examples ./examples
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8700
# Exec form: node is PID 1 and receives SIGTERM itself (shutdown deadline 10 s, `server.shutdownTimeout`).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s CMD ["node", "-e", "fetch('http://127.0.0.1:8700/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve"]
