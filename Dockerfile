# The image the DaemonSet runs: hostward on the current Node.js LTS (26), production dependencies only.
# Build: docker build -t hostward .    Deploy: deploy/ (Helm chart or deploy/manifests/).
# Linted by test/deploy/dockerfile.test.ts (hadolint's rules that apply; .hadolint.yaml lists the ignored ones),
# and test/deploy/image-steps.test.ts performs the same steps outside Docker.
FROM node:26-trixie-slim AS build
WORKDIR /app
# better-sqlite3 (the collector's store) builds its native binding when no prebuilt one can be fetched.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts=false
COPY tsconfig.json ./
COPY src ./src
COPY probes ./probes
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:26-trixie-slim
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="hostward" \
      org.opencontainers.image.description="Host hardening agent for Kubernetes nodes" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/hostward/hostward"
WORKDIR /app
ENV NODE_ENV=production HOSTWARD_ROOT=/host
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Root inside the pod, but not privileged: every capability dropped except DAC_READ_SEARCH, SYS_PTRACE and
# SYS_CHROOT (measured, deploy/README.md). The host root is mounted read-only; the only host path written is
# /var/lib/hostward. The collector runs as the image's `node` user (uid 1000) through its securityContext.
USER 0
EXPOSE 9750 9751
# No HEALTHCHECK: Kubernetes probes /healthz and /readyz.
# --lite-mode (no optimising compiler) keeps the idle agent small: it serves a few scrapes a minute, and
# every scan runs in a child process started without the flags, at full speed. --expose-gc lets the agent
# return a scan's garbage at once.
ENTRYPOINT ["node", "--lite-mode", "--expose-gc", "/app/dist/src/cli/main.js"]
CMD ["agent", "--root", "/host"]
