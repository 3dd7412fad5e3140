import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { TIERS } from './tiers.js';

// The test tools live in test/node_modules (test/package.json); the tests run from the repository's root.
// One project per tier (test/tiers.ts): `vitest run` runs all three, `--project unit` one of them.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    projects: Object.entries(TIERS).map(([name, include]) => ({
      extends: true,
      test: { name, include: [...include] },
    })),
  },
});
