/**
 * The plug-in rule of STYLE.md: a file in probes/<name>/ imports only the SDK (src/sdk.ts), files of its own
 * probe's folder, node: builtins and the npm packages package.json declares. What two probes share lives in the
 * engine behind the SDK (src/host/facts/), so that one probe can be changed, or removed, without another.
 */
import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(import.meta.dirname, '..');
const PROBES = path.join(REPO, 'probes');
const SDK = path.join(REPO, 'src', 'sdk.ts');
/** The SDK of code a probe runs in a worker thread: a light subset, so that the worker starts quickly. */
const WORKER_SDK = path.join(REPO, 'src', 'worker-sdk.ts');

/**
 * Imports allowed to break the rule while they are being moved, as "<file> -> <specifier>": none today. The list
 * may only shrink; a new violation anywhere fails the test.
 */
const KNOWN_EXCEPTIONS: ReadonlySet<string> = new Set<string>([]);

function declaredPackages(): Set<string> {
  const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const types = Object.keys(pkg.devDependencies ?? {}).filter((n) => n.startsWith('@types/'));
  return new Set([...Object.keys(pkg.dependencies ?? {}), ...types.map((n) => n.slice('@types/'.length))]);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|mts|js|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Every module specifier of a file: static imports and exports (types too), dynamic import() and require(). */
export function specifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[1]!);
  return out;
}

const packageName = (spec: string) =>
  spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;

/** Why an import of a file in `probeDir` breaks the rule, or undefined when it keeps it. */
export function importProblem(
  file: string,
  spec: string,
  probeDir: string,
  packages: ReadonlySet<string>,
): string | undefined {
  if (spec.startsWith('node:')) return undefined;
  if (spec.startsWith('.')) {
    const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
    if (target === SDK || target === WORKER_SDK) return undefined;
    if (target.startsWith(probeDir + path.sep)) return undefined;
    return 'reaches outside its probe folder other than through src/sdk.js';
  }
  if (spec.startsWith('/')) return 'imports an absolute path';
  return packages.has(packageName(spec)) ? undefined : `imports ${packageName(spec)}, not a dependency in package.json`;
}

function violations(): string[] {
  const packages = declaredPackages();
  const out: string[] = [];
  for (const e of readdirSync(PROBES, { withFileTypes: true })) {
    if (!e.isDirectory()) continue; // probes/registry.ts lists the probes: it is not one
    const probeDir = path.join(PROBES, e.name);
    for (const file of sourceFiles(probeDir)) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        if (importProblem(file, spec, probeDir, packages)) out.push(`${path.relative(REPO, file)} -> ${spec}`);
      }
    }
  }
  return out.sort();
}

describe('probe imports', () => {
  const found = violations();

  it('a file in probes/<name>/ imports only the SDK, its own folder, node: builtins and declared packages', () => {
    expect(found.filter((v) => !KNOWN_EXCEPTIONS.has(v))).toEqual([]);
  });

  it('every known exception still exists (a fixed one leaves the list)', () => {
    expect([...KNOWN_EXCEPTIONS].filter((v) => !found.includes(v))).toEqual([]);
  });

  it('tells a violation from an allowed import', () => {
    const dir = path.join(PROBES, 'demo');
    const file = path.join(dir, 'sub', 'a.ts');
    const pkgs = new Set(['yaml']);
    expect(importProblem(file, '../../../src/sdk.js', dir, pkgs)).toBeUndefined();
    expect(importProblem(file, '../../../src/worker-sdk.js', dir, pkgs)).toBeUndefined();
    expect(importProblem(file, '../types.js', dir, pkgs)).toBeUndefined();
    expect(importProblem(file, 'node:fs', dir, pkgs)).toBeUndefined();
    expect(importProblem(file, 'yaml', dir, pkgs)).toBeUndefined();
    expect(importProblem(file, '../../other/x.js', dir, pkgs)).toMatch(/outside its probe folder/);
    expect(importProblem(file, '../../../src/host/root.js', dir, pkgs)).toMatch(/outside its probe folder/);
    expect(importProblem(file, 'left-pad', dir, pkgs)).toMatch(/not a dependency/);
    expect(importProblem(file, 'fs', dir, pkgs)).toMatch(/not a dependency/);
    expect(
      specifiers(
        "import a from './a.js';\nexport type { B } from \"../b.js\";\nconst c = await import('./c.js');\n// import x from 'x';",
      ),
    ).toEqual(['./a.js', '../b.js', './c.js']);
  });
});

/**
 * The files a module loads, following its relative imports (types too) from file to file: a name in a type
 * still ties the collector to the probe that declares it.
 */
function reachable(roots: readonly string[], opts: { types: boolean } = { types: true }): Map<string, string> {
  const via = new Map<string, string>();
  const visit = (file: string, from: string): void => {
    if (via.has(file)) return;
    via.set(file, from);
    const text = readFileSync(file, 'utf8');
    // Without types: what the module loads when it runs (TypeScript erases `import type` and `export type`).
    const code = opts.types ? text : text.replace(/\b(?:import|export)\s+type\s+[^;]*?\bfrom\s*['"][^'"]+['"]/g, '');
    for (const spec of specifiers(code)) {
      if (!spec.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
      if (existsSync(target)) visit(target, file);
    }
  };
  for (const r of roots) visit(r, r);
  return via;
}

describe('the collector loads no probe', () => {
  // It is handed the check catalogue as data (src/collector/catalogue.ts) by whoever starts it.
  const collector = sourceFiles(path.join(REPO, 'src', 'collector'));

  it('no file under src/collector reaches probes/, directly or through the modules it imports', () => {
    const found = [...reachable(collector)]
      .filter(([file]) => file.startsWith(PROBES + path.sep))
      .map(([file, from]) => `${path.relative(REPO, from)} -> ${path.relative(REPO, file)}`);
    expect(found).toEqual([]);
  });

  it('follows imports from file to file and sees a probe reached that way', () => {
    // The agent's metrics name every probe's measurements: reached from src/metrics/exposition.ts.
    const via = reachable([path.join(REPO, 'src', 'metrics', 'exposition.ts')]);
    expect(via.has(path.join(PROBES, 'registry.ts'))).toBe(true);
    expect(collector.length).toBeGreaterThan(5);
  });
});

describe('code run in worker threads stays light', () => {
  // A worker is a new isolate that loads every module it reaches anew: the full SDK would cost it ~110 ms of CPU.
  const workers = readdirSync(PROBES, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => sourceFiles(path.join(PROBES, e.name)))
    .filter((f) => f.endsWith('-worker.ts'));
  const heavy = (file: string) =>
    file === SDK ||
    file.startsWith(path.join(REPO, 'src', 'host', 'facts') + path.sep + 'index') ||
    ['integrity', 'scan', 'agent', 'config', 'metrics'].some((d) =>
      file.startsWith(path.join(REPO, 'src', d) + path.sep),
    );

  it('the worker SDK reaches neither the SDK nor the engine beyond the host root and pure parsers', () => {
    const found = [...reachable([WORKER_SDK], { types: false })].filter(([file]) => heavy(file)).map(([file]) => file);
    expect(found).toEqual([]);
  });

  it('no worker module of a probe reaches src/sdk.ts or the heavy engine', () => {
    expect(workers.length).toBeGreaterThan(0);
    const found = workers.flatMap((w) =>
      [...reachable([w], { types: false })]
        .filter(([file]) => heavy(file))
        .map(
          ([file, from]) => `${path.relative(REPO, w)}: ${path.relative(REPO, from)} -> ${path.relative(REPO, file)}`,
        ),
    );
    expect(found).toEqual([]);
  });

  it('sees a heavy module when one is reached', () => {
    const family = path.join(PROBES, 'updates', 'deb', 'family.ts');
    expect([...reachable([family], { types: false })].some(([f]) => heavy(f))).toBe(true);
    // A type-only import loads nothing: the ssh probe's types.ts names only types of the SDK.
    const types = path.join(PROBES, 'ssh', 'types.ts');
    expect(reachable([types]).has(SDK)).toBe(true);
    expect(reachable([types], { types: false }).has(SDK)).toBe(false);
  });
});
