/**
 * Every test file is in exactly one tier of test/tiers.ts, and every entry there names at least one file: a file
 * in no tier would never run, and one in two would run twice.
 */
import { globSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TIERS } from './tiers.js';

const files = globSync('test/**/*.test.ts', { exclude: (p) => path.basename(p) === 'node_modules' }).sort();

describe('test tiers', () => {
  it('finds the test files', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files).toContain('test/tiers.test.ts');
  });

  it('puts every test file in exactly one tier', () => {
    const problems: string[] = [];
    for (const f of files) {
      const tiers = Object.entries(TIERS).filter(([, globs]) => globs.some((g) => path.matchesGlob(f, g)));
      if (tiers.length !== 1)
        problems.push(`${f}: ${tiers.length === 0 ? 'in no tier' : `in ${tiers.map(([t]) => t).join(' and ')}`}`);
    }
    expect(problems, 'add the file to one tier of test/tiers.ts').toEqual([]);
  });

  it('has no entry that names no file', () => {
    const empty = Object.values(TIERS)
      .flat()
      .filter((g) => !files.some((f) => path.matchesGlob(f, g)));
    expect(empty).toEqual([]);
  });
});
