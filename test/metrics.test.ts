import { promtool } from './helpers/promtool.js';
import { describe, expect, it } from 'vitest';
import type { Finding, Report, Status } from '../src/contracts.js';
import { buildRegistry, createProcessMetrics, renderMetrics } from '../src/metrics/exposition.js';
import type { CatalogueEntry } from '../src/metrics/exposition.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const s = samples.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  if (s.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${s.length} series`);
  return s[0]?.value;
}

function finding(check: string, status: Status, extra: Partial<Finding> = {}): Finding {
  const probe = check.split('.')[0]!;
  return {
    check,
    probe,
    title: check,
    status,
    severity: 'high',
    message: `${check} is ${status}`,
    evidence: [],
    references: [],
    remediation: '',
    ...extra,
  };
}

const CATALOGUE: CatalogueEntry[] = [
  { id: 'ssh.password_auth', probe: 'ssh', severity: 'high' },
  { id: 'ssh.root_login', probe: 'ssh', severity: 'critical' },
  { id: 'ssh.x11_forwarding', probe: 'ssh', severity: 'low' },
  { id: 'ssh.host_key_perms', probe: 'ssh', severity: 'medium' },
  { id: 'kernel.ip_forward', probe: 'kernel', severity: 'info' },
  { id: 'kernel.rp_filter', probe: 'kernel', severity: 'medium' },
  { id: 'runtime.docker_socket', probe: 'runtime', severity: 'high' },
  // A probe of the catalogue that did not report (still gets zero counts).
  { id: 'tls.kubelet_expiry', probe: 'tls', severity: 'high' },
];

function report(): Report {
  const findings: Finding[] = [
    finding('ssh.password_auth', 'fail'),
    finding('ssh.root_login', 'fail', {
      severity: 'critical',
      exception: { reason: 'break-glass access, ticket OPS-12', expires: '2099-12-31' },
    }),
    finding('ssh.x11_forwarding', 'pass', { severity: 'low' }),
    finding('ssh.host_key_perms', 'skip', { severity: 'medium' }),
    finding('kernel.ip_forward', 'pass', { severity: 'info' }),
    finding('kernel.rp_filter', 'pass', { severity: 'medium' }),
    // The runtime probe threw: its checks are unknown.
    finding('runtime.docker_socket', 'unknown', { message: 'the runtime probe failed: EACCES "quoted" \\ path' }),
  ];
  return {
    node: 'worker-3',
    root: '/host',
    agentVersion: '0.1.0',
    startedAt: '2026-11-24T10:00:00.000Z',
    durationSeconds: 0.5,
    os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', kernel: '6.1.0-18-amd64' },
    probes: [
      { probe: 'ssh', status: 'ok', durationSeconds: 0.05 },
      { probe: 'kernel', status: 'ok', durationSeconds: 0.01 },
      { probe: 'runtime', status: 'error', durationSeconds: 0.2, error: 'EACCES' },
    ],
    findings,
    summary: { pass: 3, fail: 1, unknown: 1, skip: 1, accepted: 1 },
    measurements: [
      { metric: 'hostward_listening_sockets', labels: { protocol: 'tcp', port: '22', scope: 'any' }, value: 1 },
      { metric: 'hostward_listening_sockets', labels: { protocol: 'udp', port: '53', scope: 'loopback' }, value: 1 },
      {
        metric: 'hostward_certificate_expiry_timestamp_seconds',
        labels: { path: '/var/lib/kubelet/pki/kubelet.crt' },
        value: 1795600000,
      },
      { metric: 'hostward_reboot_required', labels: {}, value: 0 },
      // Not exported: unknown metric, wrong labels, not a number.
      { metric: 'hostward_made_up', labels: {}, value: 1 },
      { metric: 'hostward_updates_pending', labels: { flavour: 'all' }, value: 3 },
      { metric: 'hostward_updates_pending', labels: { kind: 'all' }, value: Number.NaN },
    ],
  };
}

describe('metrics exposition', () => {
  it('exports probe measurements of known probe metrics only, promtool-clean', async () => {
    const text = await renderMetrics(buildRegistry(report(), CATALOGUE));
    expect(promtool(text)).toBe('');
    expect(text).toMatch(/^hostward_listening_sockets\{protocol="tcp",port="22",scope="any"\} 1$/m);
    expect(text).toMatch(
      /^hostward_certificate_expiry_timestamp_seconds\{path="\/var\/lib\/kubelet\/pki\/kubelet.crt"\} 1795600000$/m,
    );
    expect(text).toMatch(/^hostward_reboot_required 0$/m);
    expect(text).not.toMatch(/hostward_made_up|hostward_updates_pending/);
  });

  it('has a promtool helper that does report complaints', () => {
    expect(promtool('# TYPE foo_total gauge\nfoo_total 1\n')).toMatch(/exit 3: .*_total/s);
  });

  it('passes promtool check metrics, scan and process registries together', async () => {
    const proc = createProcessMetrics();
    proc.scans.inc();
    const text = await renderMetrics(buildRegistry(report(), CATALOGUE), proc.registry);
    expect(promtool(text)).toBe('');
    // Every family has HELP and TYPE exactly once.
    const helps = text.split('\n').filter((l) => l.startsWith('# HELP '));
    const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
    const names = types.map((l) => l.split(' ')[2]);
    expect(new Set(names).size).toBe(names.length);
    expect(helps.length).toBe(types.length);
    for (const h of helps) expect(h.split(' ').slice(3).join(' ').length).toBeGreaterThan(0);
  });

  it('exports exactly the DESIGN.md names for a scan', async () => {
    const text = await renderMetrics(buildRegistry(report(), CATALOGUE));
    const names = text
      .split('\n')
      .filter((l) => l.startsWith('# TYPE '))
      .map((l) => l.split(' ')[2])
      .sort();
    expect(names).toEqual(
      [
        'hostward_build_info',
        'hostward_check_status',
        'hostward_checks',
        'hostward_last_scan_timestamp_seconds',
        'hostward_node_info',
        'hostward_probe_duration_seconds',
        'hostward_probe_success',
        // probe metrics present in this report's measurements
        'hostward_certificate_expiry_timestamp_seconds',
        'hostward_listening_sockets',
        'hostward_reboot_required',
      ].sort(),
    );
    expect(text).toContain('# TYPE hostward_check_status gauge');
  });

  it('maps statuses to values: fail 1, accepted 4, unknown 2, skip 3, pass 0', async () => {
    const s = parse(await renderMetrics(buildRegistry(report(), CATALOGUE)));
    const st = (check: string) => value(s, 'hostward_check_status', { check });
    expect(st('ssh.password_auth')).toBe(1);
    expect(st('ssh.root_login')).toBe(4);
    expect(st('ssh.x11_forwarding')).toBe(0);
    expect(st('ssh.host_key_perms')).toBe(3);
    expect(st('runtime.docker_socket')).toBe(2);
    expect(value(s, 'hostward_check_status', { check: 'ssh.root_login', probe: 'ssh', severity: 'critical' })).toBe(4);
    // One series per check of the report, none for catalogue checks that did not report.
    expect(s.filter((x) => x.name === 'hostward_check_status')).toHaveLength(7);
    expect(st('tls.kubelet_expiry')).toBeUndefined();
  });

  it('counts checks per probe and status, with zeros rather than absent series', async () => {
    const s = parse(await renderMetrics(buildRegistry(report(), CATALOGUE)));
    const n = (probe: string, status: string) => value(s, 'hostward_checks', { probe, status });
    expect([n('ssh', 'pass'), n('ssh', 'fail'), n('ssh', 'unknown'), n('ssh', 'skip'), n('ssh', 'accepted')]).toEqual([
      1, 1, 0, 1, 1,
    ]);
    expect([
      n('kernel', 'pass'),
      n('kernel', 'fail'),
      n('kernel', 'unknown'),
      n('kernel', 'skip'),
      n('kernel', 'accepted'),
    ]).toEqual([2, 0, 0, 0, 0]);
    expect(n('runtime', 'unknown')).toBe(1);
    expect(n('runtime', 'fail')).toBe(0);
    // A catalogue probe with no findings still has all five series at 0.
    expect(['pass', 'fail', 'unknown', 'skip', 'accepted'].map((st) => n('tls', st))).toEqual([0, 0, 0, 0, 0]);
    expect(s.filter((x) => x.name === 'hostward_checks')).toHaveLength(4 * 5);
  });

  it('exports probe success and duration, scan time, build and node info', async () => {
    const s = parse(await renderMetrics(buildRegistry(report(), CATALOGUE)));
    expect(value(s, 'hostward_probe_success', { probe: 'ssh' })).toBe(1);
    expect(value(s, 'hostward_probe_success', { probe: 'runtime' })).toBe(0);
    expect(value(s, 'hostward_probe_duration_seconds', { probe: 'runtime' })).toBe(0.2);
    expect(value(s, 'hostward_probe_success', { probe: 'tls' })).toBeUndefined();
    expect(value(s, 'hostward_last_scan_timestamp_seconds')).toBe(Date.parse('2026-11-24T10:00:00.500Z') / 1000);
    expect(value(s, 'hostward_build_info', { version: '0.1.0' })).toBe(1);
    expect(value(s, 'hostward_node_info', { os: 'debian', os_version: '12', kernel: '6.1.0-18-amd64' })).toBe(1);
  });

  it('drops a check that disappears from the next report', async () => {
    const first = parse(await renderMetrics(buildRegistry(report(), CATALOGUE)));
    expect(value(first, 'hostward_check_status', { check: 'ssh.password_auth' })).toBe(1);
    const next = report();
    next.findings = next.findings.filter((f) => f.check !== 'ssh.password_auth');
    next.probes = next.probes.filter((p) => p.probe !== 'runtime');
    next.findings = next.findings.filter((f) => f.probe !== 'runtime');
    const second = parse(await renderMetrics(buildRegistry(next, CATALOGUE)));
    expect(value(second, 'hostward_check_status', { check: 'ssh.password_auth' })).toBeUndefined();
    expect(value(second, 'hostward_checks', { probe: 'ssh', status: 'fail' })).toBe(0);
    expect(value(second, 'hostward_probe_success', { probe: 'runtime' })).toBeUndefined();
    expect(value(second, 'hostward_check_status', { check: 'runtime.docker_socket' })).toBeUndefined();
  });

  it('escapes hostile label values and stays promtool-clean', async () => {
    const r = report();
    r.os = { id: 'we"ird', versionId: 'a\\b', prettyName: 'x', kernel: 'line\nbreak' };
    const text = await renderMetrics(buildRegistry(r, CATALOGUE));
    expect(promtool(text)).toBe('');
    expect(value(parse(text), 'hostward_node_info', { os: 'we"ird', os_version: 'a\\b', kernel: 'line\nbreak' })).toBe(
      1,
    );
  });

  it('refuses to render two registries that share a metric name', async () => {
    const a = buildRegistry(report(), CATALOGUE);
    const b = buildRegistry(report(), CATALOGUE);
    await expect(renderMetrics(a, b)).rejects.toThrow(/hostward_check_status/);
  });

  it('keeps process counters across scans', async () => {
    const proc = createProcessMetrics();
    proc.scans.inc();
    proc.scans.inc();
    proc.scanErrors.inc();
    const s = parse(await renderMetrics(undefined, proc.registry));
    expect(value(s, 'hostward_scans_total')).toBe(2);
    expect(value(s, 'hostward_scan_errors_total')).toBe(1);
    expect(value(s, 'hostward_process_resident_memory_bytes')).toBeGreaterThan(1e6);
    expect(value(s, 'hostward_process_cpu_seconds_total')).toBeGreaterThan(0);
  });
});
