# The image the DaemonSet runs: hostward on the current Node.js LTS (26), production dependencies only.
# Build: docker build -t hostward .    Deploy: deploy/ (Helm chart or deploy/manifests/).
# Linted by test/deploy/dockerfile.test.ts (hadolint's rules that apply; .hadolint.yaml lists the ignored ones);
# built with buildah and run as the chart runs it (runc) by test/image/ through scripts/build-image.
FROM node:26-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency's install script runs, whatever npm the base ships: none is needed (the collector's SQLite is
# Node's own node:sqlite; ssh2 works without its optional native binding), so no compiler is needed either.
# npm 12 blocks them anyway unless package.json's allowScripts names them; npm 11 would run them.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY probes ./probes
# Only what runs is kept: no source maps (they point into sources the image does not carry), no tests, type
# declarations or TypeScript of the dependencies, and of sql.js (the RPM database reader) only the WebAssembly
# build that probes/updates/rpm/rpmdb.ts loads (test/image/ reads an RPM database with it in the image).
# bin/hostward puts the command on PATH for `kubectl exec <pod> -- hostward ...` (deploy/runbooks.md); main.js
# starts with a node shebang. Made here, since a RUN in the final stage leaves build mounts' directories behind.
RUN npm run build \
 && chmod 0755 dist/src/cli/main.js && mkdir bin && ln -s ../dist/src/cli/main.js bin/hostward \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && find dist -name '*.map' -delete \
 && find node_modules -type d \( -name test -o -name tests -o -name __tests__ \) -prune -exec rm -rf {} + \
 && find node_modules -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' \) -delete \
 && find node_modules/sql.js/dist -type f ! -name sql-wasm.js ! -name sql-wasm.wasm -delete

FROM node:26-trixie-slim
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="hostward" \
      org.opencontainers.image.description="Host hardening agent for Kubernetes nodes" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/hostward/hostward"
WORKDIR /app
ENV NODE_ENV=production HOSTWARD_ROOT=/host PATH=/app/bin:$PATH
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
# Root inside the pod, but not privileged: every capability dropped except DAC_READ_SEARCH, SYS_PTRACE and
# SYS_CHROOT (measured, deploy/README.md). The host root is mounted read-only; the only host path written is
# /var/lib/hostward. The collector runs as the image's `node` user (uid 1000) through its securityContext.
USER 0
EXPOSE 9750 9751
# No HEALTHCHECK: Kubernetes probes /healthz and /readyz.
# --expose-gc lets the agent return a scan's garbage at once. Not --lite-mode: on Node.js 26 it turns
# WebAssembly off, and fetch (undici) parses HTTP with WebAssembly, so the agent could not deliver to the
# collector, nor the collector to its sinks (test/image/daemonset.test.ts runs both from this image).
ENTRYPOINT ["node", "--expose-gc", "/app/dist/src/cli/main.js"]
CMD ["agent", "--root", "/host"]
