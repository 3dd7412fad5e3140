import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { TIERS } from './tiers.js';

// Test files run three at a time. vitest's default is one fewer than the cores, which on a 2-core machine is
// one file after another; yet most integration and ground-truth files spend their time waiting on processes
// of their own (the CLI, sshd, Alertmanager, Chromium, dpkg, runc), so a third file keeps both cores busy.
// Files share nothing fixed: ports are picked free, directories are made with mkdtemp, the sshd tests' user
// and groups are named by process, runc and buildah containers carry a per-file prefix, scripts/build-image
// takes a lock, and the one fixed port (4194) is waited for by its two users (test/deploy/capabilities.ts).
// HOSTWARD_TEST_WORKERS overrides the count (1 runs files one by one). With three files and two busy
// processes on two cores a test gets a fifth of the machine at worst: the timeouts (a hang's bound, not a
// speed target) are twice what they were with one file at a time.
const workers = Number(process.env.HOSTWARD_TEST_WORKERS ?? 3);

// The test tools live in test/node_modules (test/package.json); the tests run from the repository's root.
// One project per tier (test/tiers.ts): `vitest run` runs all three, `--project unit` one of them.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // A worker process runs file after file with its modules loaded once: a fresh process and module graph per
    // file cost about a second of CPU each, a sixth of the suite's. Files leave nothing running behind them
    // (test/helpers/leaks.ts names one that does) and restore what they change in process.env.
    isolate: false,
    setupFiles: ['./test/helpers/leaks.ts'],
    maxWorkers: workers,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    projects: Object.entries(TIERS).map(([name, include]) => ({
      extends: true,
      test: { name, include: [...include] },
    })),
  },
});
