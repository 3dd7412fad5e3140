import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The test tools live in test/node_modules (test/package.json); the tests run from the repository's root.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
