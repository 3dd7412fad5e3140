/**
 * One Node.js major everywhere: the image's base (Dockerfile FROM), the version the suite runs on
 * (.node-version, fetched by scripts/use-node), package.json's engines and the README. And the README's first
 * command installs no test tool: those live in test/package.json.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';

const read = (p: string) => readFileSync(p, 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
  dependencies: Record<string, string>;
  allowScripts?: Record<string, boolean>;
};
const pinned = read('.node-version').trim();
const major = Number(pinned.split('.')[0]);

describe('the Node.js the image ships is the one tested and supported', () => {
  it('.node-version is an exact version and the suite runs on it', () => {
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(process.versions.node).toBe(pinned);
  });

  it('every FROM of the Dockerfile uses that major', () => {
    const froms = [...read('Dockerfile').matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);
    expect(froms.length).toBeGreaterThan(0);
    for (const f of froms) expect(f).toMatch(new RegExp(`^node:${major}(-|$)`));
  });

  it('engines starts at that major, and the README names it', () => {
    expect(pkg.engines.node).toBe(`>=${major}`);
    expect(read('README.md').split('\n---')[0]).toContain(`Node.js ${major}`);
  });
});

describe('a light install', () => {
  it('the root devDependencies are what the build needs (the compiler and type declarations), nothing else', () => {
    for (const d of Object.keys(pkg.devDependencies))
      expect(d === 'typescript' || d.startsWith('@types/'), d).toBe(true);
    const tools = JSON.parse(read('test/package.json')) as { devDependencies: Record<string, string> };
    expect(Object.keys(tools.devDependencies)).toContain('vitest');
  });

  it('every install script in the dependency tree is named in allowScripts (npm 12 blocks the others)', () => {
    const lock = JSON.parse(read('package-lock.json')) as {
      packages: Record<string, { hasInstallScript?: boolean; dev?: boolean }>;
    };
    const withScripts = Object.entries(lock.packages)
      .filter(([k, v]) => k !== '' && v.hasInstallScript)
      .map(([k]) => k.slice(k.lastIndexOf('node_modules/') + 'node_modules/'.length));
    for (const name of withScripts)
      expect(pkg.allowScripts?.[name], `${name} is not in allowScripts`).toBeTypeOf('boolean');
  });
});
