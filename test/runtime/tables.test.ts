/** Invariants of the runtime check tables and knowledge tables. */
import { describe, it, expect } from 'vitest';
import { SEVERITIES } from '../../src/contracts.js';
import { runtimeProbe } from '../../probes/runtime/index.js';
import { DOCKER_OPTIONS, DOCKERD_BOOL_FLAGS } from '../../probes/runtime/docker.js';
import { DANGEROUS_ANNOTATIONS } from '../../probes/runtime/checks/crio.js';
import { CRIO_DEFAULT_CAPABILITIES } from '../../src/host/facts/runtime/crio.js';

describe('runtime check table', () => {
  const checks = runtimeProbe.checks;
  it('has at least 40 checks with unique runtime.<runtime>_<snake_case> ids', () => {
    expect(checks.length).toBeGreaterThanOrEqual(40);
    const ids = checks.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^runtime\.(docker|containerd|crio)_[a-z0-9]+(_[a-z0-9]+)*$/);
  });
  it('every check has a title naming its runtime, a severity, references from the named sources and a remediation', () => {
    const sources =
      /^(CIS Docker Benchmark v1\.6\.0 |CIS Kubernetes Benchmark v1\.12 |docker-bench-security check_|containerd-config\.toml\(5\) |crio\.conf(\.d)?\(5\)|runc-run\(8\) |CVE-|https:\/\/)/;
    for (const c of checks) {
      const rt = c.id.split('.')[1]!.split('_')[0]!;
      expect(c.title.startsWith({ docker: 'Docker: ', containerd: 'containerd: ', crio: 'CRI-O: ' }[rt]!), c.id).toBe(
        true,
      );
      expect(SEVERITIES).toContain(c.severity);
      expect(c.references.length, c.id).toBeGreaterThan(0);
      for (const r of c.references) expect(r, c.id).toMatch(sources);
      expect(c.remediation.length, c.id).toBeGreaterThan(15);
    }
  });
  it('docker-bench-security section 2 and 3 items are all covered', () => {
    const refs = checks.flatMap((c) => c.references).join(' ');
    for (const n of [
      '2.2',
      '2.3',
      '2.4',
      '2.5',
      '2.6',
      '2.7',
      '2.8',
      '2.9',
      '2.12',
      '2.13',
      '2.14',
      '2.15',
      '2.16',
      '2.17',
      '2.18',
      '3.1',
      '3.3',
      '3.5',
      '3.7',
      '3.9',
      '3.11',
      '3.13',
      '3.15',
      '3.17',
      '3.23',
    ])
      expect(refs, n).toContain(` ${n}`);
  });
});

describe('knowledge tables', () => {
  it('docker options: unique keys and flags, defaults of the declared kind, boolean options have boolean flags', () => {
    const keys = DOCKER_OPTIONS.map((o) => o.key);
    expect(new Set(keys).size).toBe(keys.length);
    const flags = DOCKER_OPTIONS.flatMap((o) => o.flags);
    expect(new Set(flags).size).toBe(flags.length);
    for (const o of DOCKER_OPTIONS) {
      const d = o.default;
      const kindOk = {
        bool: typeof d === 'boolean',
        string: typeof d === 'string',
        list: Array.isArray(d),
        map: typeof d === 'object' && !Array.isArray(d),
      }[o.kind];
      expect(kindOk, o.key).toBe(true);
      for (const f of o.flags) expect(DOCKERD_BOOL_FLAGS.has(f), `${o.key} flag ${f}`).toBe(o.kind === 'bool');
    }
  });
  it('dangerous CRI-O annotations have reasons; the default capabilities are the nine', () => {
    for (const [a, why] of Object.entries(DANGEROUS_ANNOTATIONS)) {
      expect(a).toMatch(/^(io\.kubernetes\.cri-o\.[A-Za-z0-9-]+|[a-z0-9-]+\.(crio\.io|kubernetes\.cri-o\.io))$/);
      expect(why.length).toBeGreaterThan(10);
    }
    expect(CRIO_DEFAULT_CAPABILITIES.length).toBe(9);
    expect(CRIO_DEFAULT_CAPABILITIES).not.toContain('NET_RAW');
  });
});
