#!/usr/bin/env node
// Writes docs/configuration.md from the configuration reference (src/config/reference.ts, built to dist/ first):
// `npm run docs:config`. test/docs/configuration.test.ts fails when the file and the reference differ.
import { writeFileSync } from 'node:fs';
import { renderConfigurationMarkdown } from '../dist/src/config/reference.js';

const out = new URL('../docs/configuration.md', import.meta.url);
writeFileSync(out, renderConfigurationMarkdown());
process.stdout.write(`wrote ${out.pathname}\n`);
