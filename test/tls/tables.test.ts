/** Invariants of the tls knowledge tables, the locations data, the options and the exclude globs. */
import { describe, it, expect } from 'vitest';
import {
  SIGNATURE_ALGORITHMS,
  DIGEST_OIDS,
  WEAK_DIGEST,
  CURVE_BITS,
  RSASSA_PSS_OID,
} from '../../probes/tls/algorithms.js';
import { LOCATIONS, KUBELET } from '../../probes/tls/locations.js';
import { DEFAULT_TLS_OPTIONS } from '../../probes/tls/options.js';
import { TLS_OPTIONS } from '../../probes/tls/option-spec.js';
import { pathGlobToRegExp } from '../../probes/tls/discovery.js';
import { tlsProbe } from '../../probes/tls/index.js';
import { optionsProblem, parsedOptions } from '../helpers/options.js';

/** The section as the scan parses it: the declared options, unknown keys refused. */
const parseTlsOptions = (raw: unknown) => parsedOptions(TLS_OPTIONS, raw);

const DOTTED = /^[0-2](\.(0|[1-9]\d*))+$/;

describe('algorithm tables', () => {
  it('every signature algorithm has a well-formed OID, a unique name and a known digest', () => {
    const names = new Set<string>();
    for (const [oid, a] of Object.entries(SIGNATURE_ALGORITHMS)) {
      expect(oid).toMatch(DOTTED);
      expect(names.has(a.name), a.name).toBe(false);
      names.add(a.name);
      if (oid === RSASSA_PSS_OID) expect(a.hash).toBeUndefined();
      else expect(['md2', 'md4', 'md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'intrinsic']).toContain(a.hash);
    }
  });
  it('every weak digest has a reason, and the sound ones have none', () => {
    for (const d of ['md2', 'md4', 'md5', 'sha1'] as const) expect(WEAK_DIGEST[d]?.length).toBeGreaterThan(20);
    for (const d of ['sha224', 'sha256', 'sha384', 'sha512', 'intrinsic'] as const)
      expect(WEAK_DIGEST[d]).toBeUndefined();
    // Every algorithm whose name says SHA1 or MD uses a weak digest.
    for (const a of Object.values(SIGNATURE_ALGORITHMS))
      if (/sha-?1|md\d/i.test(a.name)) expect(WEAK_DIGEST[a.hash!]).toBeDefined();
  });
  it('digest OIDs are well formed and curve sizes plausible', () => {
    for (const oid of Object.keys(DIGEST_OIDS)) expect(oid).toMatch(DOTTED);
    for (const [curve, bits] of Object.entries(CURVE_BITS))
      expect(String(bits), curve).toMatch(/^(192|224|256|384|512|521)$/);
  });
});

describe('locations', () => {
  it('patterns are absolute, and every kubelet kubeconfig is discovered as a kubeconfig', () => {
    for (const l of LOCATIONS) expect(l.pattern.startsWith('/')).toBe(true);
    for (const k of KUBELET.kubeconfigs) {
      expect(
        LOCATIONS.some((l) => l.kind === 'kubeconfig' && pathGlobToRegExp(l.pattern).test(k)),
        k,
      ).toBe(true);
    }
    expect(LOCATIONS.some((l) => l.pattern === KUBELET.rotatedClient)).toBe(true);
  });
  it("never matches the kubelet's old rotated client certificates", () => {
    for (const l of LOCATIONS)
      expect(
        pathGlobToRegExp(l.pattern).test('/var/lib/kubelet/pki/kubelet-client-2025-01-01-00-00-00.pem'),
        l.pattern,
      ).toBe(false);
  });
});

describe('pathGlobToRegExp', () => {
  it.each([
    ['/etc/kubernetes/pki/**/*.crt', '/etc/kubernetes/pki/ca.crt', true],
    ['/etc/kubernetes/pki/**/*.crt', '/etc/kubernetes/pki/etcd/ca.crt', true],
    ['/etc/kubernetes/pki/**/*.crt', '/etc/kubernetes/pki/a/b/c.crt', true],
    ['/etc/kubernetes/pki/**/*.crt', '/etc/kubernetes/pki/ca.key', false],
    ['/etc/kubernetes/*.conf', '/etc/kubernetes/admin.conf', true],
    ['/etc/kubernetes/*.conf', '/etc/kubernetes/x/admin.conf', false],
    ['/opt/**', '/opt/a/b', true],
    ['/etc/kubernetes/pki/ca.crt', '/etc/kubernetes/pki/ca.crt', true],
    ['/etc/kubernetes/pki/ca.crt', '/etc/kubernetes/pki/caXcrt', false],
  ])('%s ~ %s = %s', (pattern, p, want) => {
    expect(pathGlobToRegExp(pattern).test(p)).toBe(want);
  });
});

describe('options', () => {
  it('defaults', () => {
    expect(parseTlsOptions(undefined)).toEqual(DEFAULT_TLS_OPTIONS);
    expect(parseTlsOptions({})).toEqual({
      warnDays: 30,
      criticalDays: 7,
      minRsaBits: 2048,
      minEcBits: 256,
      paths: [],
      kubeconfigs: [],
      exclude: [],
    });
  });
  it('a small warnDays lowers the default criticalDays with it', () => {
    expect(parseTlsOptions({ warnDays: 5 })).toMatchObject({ warnDays: 5, criticalDays: 5 });
  });
  it.each([
    [{ warnDays: 0 }, /^warnDays: must be an integer/],
    [{ warnDays: 'thirty' }, /^warnDays: /],
    [{ criticalDays: 40 }, /^criticalDays: must not exceed warnDays \(30\)/],
    [{ minRsaBits: 512 }, /^minRsaBits: /],
    [{ paths: ['relative/x.crt'] }, /^paths: must be a list of absolute/],
    [{ exclude: 'x' }, /^exclude: /],
    [{ warndays: 3 }, /^warndays: unknown key/],
    [[1], /^\(section\): must be a mapping/],
  ])('%j is refused', (cfg, re) => {
    expect(() => parseTlsOptions(cfg)).toThrow(re);
    expect(optionsProblem(tlsProbe, cfg)).toMatch(re);
  });
  it('check ids follow tls.<snake_case> and are unique', () => {
    const ids = tlsProbe.checks.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of tlsProbe.checks) {
      expect(c.id).toMatch(/^tls\.[a-z][a-z0-9_]*$/);
      expect(c.references.length).toBeGreaterThan(0);
      expect(c.remediation.length).toBeGreaterThan(20);
    }
  });
});
