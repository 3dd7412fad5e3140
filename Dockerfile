# The image the DaemonSet runs: hostward agent on the current Node.js LTS.
# Build: docker build -t hostward .   Run: see deploy/ (privileged, hostNetwork, host root mounted at /host).
FROM node:26-trixie-slim AS build
WORKDIR /app
# better-sqlite3 (the collector's store) builds its native binding when no prebuilt one can be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY probes ./probes
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:26-trixie-slim
LABEL org.opencontainers.image.title="hostward" \
      org.opencontainers.image.description="Host hardening agent for Kubernetes nodes"
WORKDIR /app
ENV NODE_ENV=production HOSTWARD_ROOT=/host
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Root inside the pod: chroot into /host to run the host's own sshd -T, and read root-only host files.
# The host root is mounted read-only; the only host path written is /var/lib/hostward.
EXPOSE 9750
# --lite-mode (no optimising compiler) keeps the idle agent small: it serves a few scrapes a minute, and
# every scan runs in a child process started without the flags, at full speed. --expose-gc lets the agent
# return a scan's garbage at once.
ENTRYPOINT ["node", "--lite-mode", "--expose-gc", "/app/dist/src/cli/main.js"]
CMD ["agent", "--root", "/host"]
