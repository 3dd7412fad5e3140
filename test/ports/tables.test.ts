/** Invariants of the ports knowledge tables (dangerous ports, allow-list, special-purpose ranges) and the options. */
import { describe, it, expect } from 'vitest';
import { SEVERITIES } from '../../src/contracts.js';
import { DANGEROUS_PORTS, REASONS } from '../../probes/ports/dangerous.js';
import { DEFAULT_ALLOW_LIST, allowed, parsePortRange } from '../../probes/ports/options.js';
import { PORTS_OPTIONS } from '../../probes/ports/option-spec.js';
import { NON_PUBLIC_RANGES, isPublic, nonPublicRange } from '../../probes/ports/addresses.js';
import { portsProbe } from '../../probes/ports/index.js';
import { optionsProblem, parsedOptions } from '../helpers/options.js';

/** The section as the scan parses it: the declared options, unknown keys refused. */
const parsePortsOptions = (raw: unknown) => parsedOptions(PORTS_OPTIONS, raw);

describe('dangerous ports table', () => {
  it('ids are unique ports.<snake_case> and become checks of the probe', () => {
    const ids = DANGEROUS_PORTS.map((d) => d.check);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^ports\.[a-z][a-z0-9_]*$/);
    const checks = new Set(portsProbe.checks.map((c) => c.id));
    for (const id of ids) expect(checks.has(id)).toBe(true);
  });
  it('every entry has valid ports, protocols, a severity, a named reason, references and remediation', () => {
    for (const d of DANGEROUS_PORTS) {
      expect(d.ports.length, d.check).toBeGreaterThan(0);
      for (const p of d.ports) expect(Number.isInteger(p) && p >= 1 && p <= 65535, `${d.check} ${p}`).toBe(true);
      expect(d.protocols.length).toBeGreaterThan(0);
      expect(SEVERITIES).toContain(d.severity);
      expect(Object.keys(REASONS)).toContain(d.reason);
      expect(d.references.length, d.check).toBeGreaterThan(0);
      expect(d.remediation.length, d.check).toBeGreaterThan(20);
      expect(d.title.length).toBeGreaterThan(10);
    }
  });
  it('every named reason is used', () => {
    expect(new Set(DANGEROUS_PORTS.map((d) => d.reason))).toEqual(new Set(Object.keys(REASONS)));
  });
  it('no dangerous port is in the default allow-list, and no port is in two entries', () => {
    const allow = DEFAULT_ALLOW_LIST.map((t) => parsePortRange(t)!);
    const seen = new Set<string>();
    for (const d of DANGEROUS_PORTS) {
      for (const p of d.ports) {
        for (const proto of d.protocols) {
          expect(allowed(allow, p, proto), `${p}/${proto}`).toBeUndefined();
          expect(seen.has(`${p}/${proto}`), `${p}/${proto} twice`).toBe(false);
          seen.add(`${p}/${proto}`);
        }
      }
    }
  });
  it('the severities of the brief', () => {
    const sev = Object.fromEntries(DANGEROUS_PORTS.map((d) => [d.check, d.severity]));
    expect(sev).toEqual({
      'ports.docker_api_plain': 'critical',
      'ports.kubelet_read_only': 'high',
      'ports.insecure_apiserver': 'critical',
      'ports.etcd_exposed': 'high',
      'ports.cadvisor': 'medium',
      'ports.kubelet_healthz_exposed': 'medium',
      'ports.rpcbind': 'medium',
    });
  });
});

describe('checks', () => {
  it('every check has an id, title, severity, references and remediation', () => {
    const ids = portsProbe.checks.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of portsProbe.checks) {
      expect(c.id).toMatch(/^ports\.[a-z][a-z0-9_]*$/);
      expect(SEVERITIES).toContain(c.severity);
      expect(c.references.length, c.id).toBeGreaterThan(0);
      expect(c.remediation.length, c.id).toBeGreaterThan(0);
    }
  });
});

describe('options', () => {
  it('defaults: a Kubernetes worker allow-list; the network parts decided by mode (auto)', () => {
    const o = parsePortsOptions(undefined);
    expect(o.allowList.map((r) => r.text)).toEqual([...DEFAULT_ALLOW_LIST]);
    for (const p of [
      '22/tcp',
      '10250/tcp',
      '10256/tcp',
      '179/tcp',
      '4789/udp',
      '8472/udp',
      '6081/udp',
      '51820/udp',
      '51821/udp',
    ]) {
      const [port, proto] = p.split('/') as [string, string];
      expect(allowed(o.allowList, Number(port), proto), p).toBeDefined();
    }
    expect(allowed(o.allowList, 9100, 'tcp')).toBeUndefined();
    expect(o).toMatchObject({
      reachability: 'auto',
      metadataCheck: 'auto',
      metadataAddress: '169.254.169.254',
      metadataPort: 80,
      nodePortRange: { from: 30000, to: 32767 },
      procNetFallback: true,
      scanRatePerSecond: 2000,
      scanBudgetSeconds: 10,
      maxScanTargets: 4,
      connectTimeoutMs: 300,
    });
  });
  it.each([
    [{ allowList: '22/tcp' }, 'allowList: must be a list'],
    [{ allowList: ['22/sctp'] }, 'allowList[0]: must be "PORT/tcp"'],
    [{ extraAllowList: ['70000/tcp'] }, 'extraAllowList[0]:'],
    [{ extraAllowList: ['10-5/udp'] }, 'extraAllowList[0]:'],
    [{ reachability: 'yes' }, 'reachability: must be true, false or "auto", got "yes"'],
    [{ procNetFallback: 'no' }, 'procNetFallback: must be true or false, got "no"'],
    [{ metadataAddress: 'metadata.google.internal' }, 'metadataAddress: must be an IP address'],
    [{ reachabilityTargets: ['not-an-ip'] }, 'reachabilityTargets: must be a list of IP addresses'],
    [{ nodePortRange: '30000-' }, 'nodePortRange: must be "FROM-TO"'],
    [{ scanRatePerSecond: 0 }, 'scanRatePerSecond: must be an integer from 1 to 10000'],
    [{ nope: 1 }, 'nope: unknown key'],
    [[], '(section): must be a mapping'],
  ])('%j is rejected naming the key', (cfg, msg) => {
    expect(() => parsePortsOptions(cfg)).toThrow(msg);
    expect(optionsProblem(portsProbe, cfg)).toContain(msg);
  });
  it('accepts a full configuration', () => {
    const o = parsePortsOptions({
      allowList: ['22/tcp'],
      extraAllowList: ['9100/tcp', '6783-6784/udp'],
      reachability: false,
      reachabilityTargets: ['10.0.0.5'],
      nodePortRange: '30000-30100',
      metadataCheck: true,
      metadataAddress: 'fd00:ec2::254',
    });
    expect(o.allowList).toHaveLength(1);
    expect(allowed(o.extraAllowList, 6784, 'udp')?.text).toBe('6783-6784/udp');
    expect(o.nodePortRange).toEqual({ from: 30000, to: 30100 });
    expect(optionsProblem(portsProbe, { extraAllowList: ['9100/tcp'] })).toBeUndefined();
  });
});

describe('public addresses', () => {
  it.each([
    ['10.0.1.23', false],
    ['172.31.255.1', false],
    ['192.168.0.1', false],
    ['100.64.0.1', false],
    ['169.254.169.254', false],
    ['127.0.0.1', false],
    ['192.0.2.2', false],
    ['fd00::2', false],
    ['fe80::1', false],
    ['::1', false],
    ['2001:db8::1', false],
    ['::ffff:10.0.0.1', false],
    ['34.118.20.7', true],
    ['172.32.0.1', true],
    ['100.128.0.1', true],
    ['2a01:4f8:c010:d0e::2', true],
    ['::ffff:8.8.8.8', true],
  ])('%s public=%s', (a, pub) => {
    expect(isPublic(a)).toBe(pub);
  });
  it('every range is valid CIDR and names why', () => {
    for (const r of NON_PUBLIC_RANGES) expect(r.cidr).toMatch(/^[0-9a-f.:]+\/\d+$/);
    expect(nonPublicRange('garbage')).toBe('not an IP address');
  });
});
