// The configuration lives beside the test tools (test/node_modules); this lets `vitest` find it from the root.
export { default } from './test/vitest.config.ts';
