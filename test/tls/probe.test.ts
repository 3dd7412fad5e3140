/**
 * The tls probe end to end: host roots laid out like kubeadm control planes and workers, k3s and AKS nodes,
 * built in temp dirs from certificates that openssl makes in the test, scanned by the real engine (runScan) at
 * an injected clock. Across the scenarios every tls check must pass somewhere and fail somewhere.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { pino } from 'pino';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runScan } from '../../src/scan/runner.js';
import { defaultConfig } from '../../src/config/config.js';
import { measurementProblem } from '../../src/metrics/probe-metrics.js';
import type { Finding, Report } from '../../src/contracts.js';
import { tlsProbe } from '../../probes/tls/index.js';
import { Pki, HostTree, kubeconfig } from './pki.js';
import type { Issued, IssueOptions } from './pki.js';

const log = pino({ level: 'silent' });
const NOW = new Date('2026-06-01T00:00:00Z');
const seen = new Map<string, Set<string>>();
const trees: HostTree[] = [];
let pki: Pki;

async function scan(
  t: HostTree,
  opts: { now?: Date; probe?: Record<string, unknown> } = {},
): Promise<{ report: Report; by: Map<string, Finding> }> {
  const config = defaultConfig();
  config.root = t.root;
  config.node = 'test-node';
  config.probes = { tls: opts.probe ?? {} };
  const now = opts.now ?? NOW;
  const report = await runScan({ probes: [tlsProbe], config, log, now: () => now });
  expect(report.probes).toEqual([expect.objectContaining({ probe: 'tls', status: 'ok' })]);
  for (const f of report.findings) {
    const s = seen.get(f.check) ?? new Set<string>();
    s.add(f.status);
    seen.set(f.check, s);
    expect(f.message.length).toBeGreaterThan(0);
    for (const e of f.evidence)
      if (e.file) expect(e.file.startsWith(t.root), `${f.check}: ${e.file} must be a host path`).toBe(false);
  }
  return { report, by: new Map(report.findings.map((f) => [f.check, f])) };
}

function tree(): HostTree {
  const t = new HostTree();
  trees.push(t);
  return t;
}

const statuses = (by: Map<string, Finding>) => Object.fromEntries([...by].map(([k, f]) => [k, f.status]));

// The kubeadm PKI of one control-plane node, made once; scenarios swap single files.
interface Kubeadm {
  ca: Issued;
  frontCa: Issued;
  etcdCa: Issued;
  leaves: Record<string, Issued>;
  clients: Record<string, Issued>;
  kubeletCurrent: Issued;
  kubeletOld: Issued;
  kubeletServing: Issued;
}
let K: Kubeadm;

const leaf = (cn: string, issuer: Issued, extra: Partial<IssueOptions> = {}) =>
  pki.issue({ cn, issuer, from: '2026-01-01', to: '2027-01-01', ...extra });

beforeAll(() => {
  pki = new Pki();
  const ca = pki.issue({ cn: 'kubernetes', ca: true, from: '2025-01-01', to: '2035-01-01' });
  const frontCa = pki.issue({ cn: 'front-proxy-ca', ca: true, from: '2025-01-01', to: '2035-01-01' });
  const etcdCa = pki.issue({ cn: 'etcd-ca', ca: true, from: '2025-01-01', to: '2035-01-01' });
  K = {
    ca,
    frontCa,
    etcdCa,
    leaves: {
      'apiserver.crt': leaf('kube-apiserver', ca, {
        san: 'DNS:kubernetes,DNS:kubernetes.default,IP:10.96.0.1,IP:10.0.0.10',
      }),
      'apiserver-kubelet-client.crt': leaf('kube-apiserver-kubelet-client', ca, { o: 'kubeadm:cluster-admins' }),
      'apiserver-etcd-client.crt': leaf('kube-apiserver-etcd-client', etcdCa),
      'front-proxy-client.crt': leaf('front-proxy-client', frontCa),
      'etcd/server.crt': leaf('cp-1', etcdCa, { key: 'ec:P-256', san: 'DNS:cp-1,IP:10.0.0.10' }),
      'etcd/peer.crt': leaf('cp-1', etcdCa, { key: 'ec:P-256' }),
      'etcd/healthcheck-client.crt': leaf('kube-etcd-healthcheck-client', etcdCa),
    },
    clients: {
      'admin.conf': leaf('kubernetes-admin', ca, { o: 'kubeadm:cluster-admins' }),
      'super-admin.conf': leaf('kubernetes-super-admin', ca, { o: 'system:masters' }),
      'controller-manager.conf': leaf('system:kube-controller-manager', ca),
      'scheduler.conf': leaf('system:kube-scheduler', ca),
    },
    kubeletCurrent: pki.issue({
      cn: 'system:node:cp-1',
      o: 'system:nodes',
      key: 'ec:P-256',
      issuer: ca,
      from: '2026-05-01T08:00:00Z',
      to: '2027-05-01T08:00:00Z',
    }),
    kubeletOld: pki.issue({
      cn: 'system:node:cp-1',
      o: 'system:nodes',
      key: 'ec:P-256',
      issuer: ca,
      from: '2025-05-01T08:00:00Z',
      to: '2026-05-01T08:00:00Z',
    }),
    kubeletServing: pki.issue({
      cn: 'cp-1@1746086400',
      ca: true,
      from: '2026-01-01',
      to: '2027-01-01',
      san: 'DNS:cp-1',
    }),
  };
});
afterAll(() => {
  trees.forEach((t) => t.cleanup());
  pki.cleanup();
});

/** A kubeadm control-plane node; `swap` replaces PKI files, `kubeletConf` the kubelet's kubeconfig. */
function kubeadmNode(o: { swap?: Record<string, Issued>; kubeletConf?: string; worker?: boolean } = {}): HostTree {
  const t = tree();
  const put = (p: string, c: Issued) => t.write(p, c.pem).write(p.replace(/\.crt$/, '.key'), c.keyPem);
  put('/etc/kubernetes/pki/ca.crt', K.ca);
  if (!o.worker) {
    put('/etc/kubernetes/pki/front-proxy-ca.crt', K.frontCa);
    put('/etc/kubernetes/pki/etcd/ca.crt', K.etcdCa);
    for (const [f, c] of Object.entries({ ...K.leaves, ...o.swap })) put(`/etc/kubernetes/pki/${f}`, c);
    t.write('/etc/kubernetes/pki/sa.pub', 'not a certificate, not looked at').write(
      '/etc/kubernetes/pki/sa.key',
      K.ca.keyPem,
    );
    for (const [f, c] of Object.entries(K.clients))
      t.write(`/etc/kubernetes/${f}`, kubeconfig({ user: c.name, ca: K.ca, client: c }));
    t.mkdir('/etc/kubernetes/manifests');
  }
  const pkiDir = '/var/lib/kubelet/pki';
  t.write(`${pkiDir}/kubelet-client-2025-05-01-08-00-00.pem`, K.kubeletOld.pem + K.kubeletOld.keyPem);
  t.write(`${pkiDir}/kubelet-client-2026-05-01-08-00-00.pem`, K.kubeletCurrent.pem + K.kubeletCurrent.keyPem);
  t.link(`${pkiDir}/kubelet-client-current.pem`, 'kubelet-client-2026-05-01-08-00-00.pem');
  t.write(`${pkiDir}/kubelet.crt`, K.kubeletServing.pem).write(`${pkiDir}/kubelet.key`, K.kubeletServing.keyPem);
  t.write(
    '/etc/kubernetes/kubelet.conf',
    o.kubeletConf ??
      kubeconfig({ user: 'system:node:cp-1', ca: K.ca, clientFile: `${pkiDir}/kubelet-client-current.pem` }),
  );
  return t;
}

describe('kubeadm control plane, all healthy', () => {
  it('passes every check and measures every certificate once', async () => {
    const t = kubeadmNode();
    const { report, by } = await scan(t);
    expect(statuses(by)).toEqual({
      'tls.expired': 'pass',
      'tls.expiring_critical': 'pass',
      'tls.expiring': 'pass',
      'tls.not_yet_valid': 'pass',
      'tls.weak_key': 'pass',
      'tls.weak_signature': 'pass',
      'tls.kubelet_client_rotation': 'pass',
    });
    expect(by.get('tls.expiring')!.message).toMatch(
      /^none of the 21 certificates in 17 files expires within 30 days; the first to expire is \S+ \(CN=[^)]+\) on 2027-01-01T00:00:00Z$/,
    );
    expect(by.get('tls.kubelet_client_rotation')!.message).toContain(
      '-> /var/lib/kubelet/pki/kubelet-client-2026-05-01-08-00-00.pem',
    );

    const paths = report.measurements.map((m) => m.labels.path).sort();
    expect(paths).toEqual(
      [
        '/etc/kubernetes/admin.conf#certificate-authority-data',
        '/etc/kubernetes/admin.conf#client-certificate-data',
        '/etc/kubernetes/controller-manager.conf#certificate-authority-data',
        '/etc/kubernetes/controller-manager.conf#client-certificate-data',
        '/etc/kubernetes/kubelet.conf#certificate-authority-data',
        '/etc/kubernetes/pki/apiserver-etcd-client.crt',
        '/etc/kubernetes/pki/apiserver-kubelet-client.crt',
        '/etc/kubernetes/pki/apiserver.crt',
        '/etc/kubernetes/pki/ca.crt',
        '/etc/kubernetes/pki/etcd/ca.crt',
        '/etc/kubernetes/pki/etcd/healthcheck-client.crt',
        '/etc/kubernetes/pki/etcd/peer.crt',
        '/etc/kubernetes/pki/etcd/server.crt',
        '/etc/kubernetes/pki/front-proxy-ca.crt',
        '/etc/kubernetes/pki/front-proxy-client.crt',
        '/etc/kubernetes/scheduler.conf#certificate-authority-data',
        '/etc/kubernetes/scheduler.conf#client-certificate-data',
        '/etc/kubernetes/super-admin.conf#certificate-authority-data',
        '/etc/kubernetes/super-admin.conf#client-certificate-data',
        '/var/lib/kubelet/pki/kubelet-client-current.pem',
        '/var/lib/kubelet/pki/kubelet.crt',
      ].sort(),
    );
    // One series per certificate, unique labels, values = notAfter, nothing but the expiry metric.
    expect(new Set(paths).size).toBe(paths.length);
    expect(paths).not.toContain('/var/lib/kubelet/pki/kubelet-client-2025-05-01-08-00-00.pem');
    for (const m of report.measurements) {
      expect(m.metric).toBe('hostward_certificate_expiry_timestamp_seconds');
      expect(measurementProblem(m)).toBeUndefined();
    }
    const value = (p: string) => report.measurements.find((m) => m.labels.path === p)?.value;
    expect(value('/etc/kubernetes/pki/ca.crt')).toBe(Date.parse('2035-01-01T00:00:00Z') / 1000);
    expect(value('/var/lib/kubelet/pki/kubelet-client-current.pem')).toBe(Date.parse('2027-05-01T08:00:00Z') / 1000);
    expect(value('/etc/kubernetes/admin.conf#client-certificate-data')).toBe(Date.parse('2027-01-01T00:00:00Z') / 1000);
  });
});

describe('kubeadm control plane with every kind of bad certificate', () => {
  it('fails each check, naming path and subject in the evidence', async () => {
    const swap = {
      'apiserver.crt': pki.issue({ cn: 'kube-apiserver', issuer: K.ca, from: '2025-01-01', to: '2026-01-01' }),
      'front-proxy-client.crt': leaf('front-proxy-client', K.frontCa, { to: '2026-06-05T12:00:00Z' }),
      'etcd/server.crt': leaf('cp-1', K.etcdCa, { key: 'ec:P-256', to: '2026-06-20' }),
      'apiserver-etcd-client.crt': leaf('kube-apiserver-etcd-client', K.etcdCa, {
        from: '2026-07-01',
        to: '2027-07-01',
      }),
      'apiserver-kubelet-client.crt': leaf('kube-apiserver-kubelet-client', K.ca, { key: 'rsa:1024' }),
      'etcd/healthcheck-client.crt': leaf('kube-etcd-healthcheck-client', K.etcdCa, { md: 'sha1' }),
      'etcd/peer.crt': leaf('cp-1-peer', K.etcdCa, { md: 'md5', key: 'ec:P-224' }),
    };
    const staleClient = pki.issue({
      cn: 'system:node:cp-1',
      o: 'system:nodes',
      issuer: K.ca,
      from: '2025-01-01',
      to: '2026-01-01',
    });
    const t = kubeadmNode({
      swap,
      kubeletConf: kubeconfig({ user: 'system:node:cp-1', ca: K.ca, client: staleClient }),
    });
    const { by } = await scan(t);
    expect(statuses(by)).toEqual({
      'tls.expired': 'fail',
      'tls.expiring_critical': 'fail',
      'tls.expiring': 'fail',
      'tls.not_yet_valid': 'fail',
      'tls.weak_key': 'fail',
      'tls.weak_signature': 'fail',
      'tls.kubelet_client_rotation': 'fail',
    });
    const ev = (id: string) => by.get(id)!.evidence;
    expect(ev('tls.expired')).toEqual([
      {
        file: '/etc/kubernetes/kubelet.conf',
        line: 18,
        text: '#client-certificate-data: CN=system:node:cp-1, O=system:nodes: expired 151 days ago, on 2026-01-01T00:00:00Z',
      },
      {
        file: '/etc/kubernetes/pki/apiserver.crt',
        line: 1,
        text: 'CN=kube-apiserver: expired 151 days ago, on 2026-01-01T00:00:00Z',
      },
    ]);
    expect(ev('tls.expired')).toHaveLength(2);
    expect(by.get('tls.expired')!.message).toMatch(/^2 of 22 certificates have expired: /);
    expect(ev('tls.expiring_critical').map((e) => e.file)).toEqual(['/etc/kubernetes/pki/front-proxy-client.crt']);
    expect(ev('tls.expiring_critical')[0]!.text).toBe(
      'CN=front-proxy-client: expires in 4 days, on 2026-06-05T12:00:00Z',
    );
    expect(
      ev('tls.expiring')
        .map((e) => e.file)
        .sort(),
    ).toEqual(['/etc/kubernetes/pki/etcd/server.crt', '/etc/kubernetes/pki/front-proxy-client.crt']);
    expect(ev('tls.not_yet_valid')).toEqual([
      {
        file: '/etc/kubernetes/pki/apiserver-etcd-client.crt',
        line: 1,
        text: 'CN=kube-apiserver-etcd-client: is valid only from 2026-07-01T00:00:00Z, in 30 days',
      },
    ]);
    expect(
      ev('tls.weak_key')
        .map((e) => e.text)
        .sort(),
    ).toEqual(
      [
        'CN=cp-1-peer: has a 224-bit EC key (secp224r1; minimum 256)',
        'CN=kube-apiserver-kubelet-client: has a 1024-bit RSA key (minimum 2048)',
      ].sort(),
    );
    expect(
      ev('tls.weak_signature')
        .map((e) => `${e.file} ${e.text?.replace(/: SHA-1 .*|: MD5 .*/, '')}`)
        .sort(),
    ).toEqual([
      '/etc/kubernetes/pki/etcd/healthcheck-client.crt CN=kube-etcd-healthcheck-client: is signed with sha1WithRSAEncryption',
      '/etc/kubernetes/pki/etcd/peer.crt CN=cp-1-peer: is signed with md5WithRSAEncryption',
    ]);
    expect(by.get('tls.kubelet_client_rotation')!.message).toMatch(
      /^\/etc\/kubernetes\/kubelet.conf embeds a stale copy of its client certificate \(CN=system:node:cp-1, O=system:nodes, expired on 2026-01-01T00:00:00Z\), which no rotation renews, while \/var\/lib\/kubelet\/pki\/kubelet-client-current.pem \(-> \/var\/lib\/kubelet\/pki\/kubelet-client-2026-05-01-08-00-00.pem\) is valid until 2027-05-01T08:00:00Z$/,
    );
    expect(by.get('tls.kubelet_client_rotation')!.evidence).toEqual([
      { file: '/etc/kubernetes/kubelet.conf', line: 18, text: 'client-certificate-data: (embedded)' },
    ]);
  });

  it('exempts self-signed CAs from the signature rule, but not what they sign', async () => {
    const sha1Ca = pki.issue({ cn: 'legacy-ca', ca: true, md: 'sha1', from: '2025-01-01', to: '2035-01-01' });
    const t = tree()
      .write('/etc/kubernetes/pki/ca.crt', sha1Ca.pem)
      .write('/etc/kubernetes/pki/apiserver.crt', leaf('kube-apiserver', sha1Ca).pem);
    expect(statuses((await scan(t)).by)['tls.weak_signature']).toBe('pass');
    t.write('/etc/kubernetes/pki/old.crt', leaf('old', sha1Ca, { md: 'sha1' }).pem);
    const { by } = await scan(t);
    expect(by.get('tls.weak_signature')!.status).toBe('fail');
    expect(by.get('tls.weak_signature')!.message).toContain('CN=old');
    expect(by.get('tls.weak_signature')!.message).not.toContain('legacy-ca)');
  });
});

describe('expiry windows against the injected clock', () => {
  let t: HostTree;
  beforeAll(() => {
    t = tree().write('/etc/kubernetes/pki/apiserver.crt', leaf('kube-apiserver', K.ca).pem); // 2026-01-01 .. 2027-01-01
  });
  const at = async (iso: string, probe: Record<string, unknown> = {}) => {
    const s = statuses((await scan(t, { now: new Date(iso), probe })).by);
    return [s['tls.not_yet_valid'], s['tls.expiring'], s['tls.expiring_critical'], s['tls.expired']].join(' ');
  };
  it.each([
    ['2025-12-31T23:59:59Z', 'fail pass pass pass'],
    ['2026-06-01T00:00:00Z', 'pass pass pass pass'],
    ['2026-12-01T23:59:59Z', 'pass pass pass pass'], // 30 days + 1 second left
    ['2026-12-02T00:00:00Z', 'pass fail pass pass'], // exactly 30 days left
    ['2026-12-25T00:00:00Z', 'pass fail fail pass'], // exactly 7 days
    ['2026-12-31T23:59:59Z', 'pass fail fail pass'],
    ['2027-01-01T00:00:01Z', 'pass pass pass fail'],
  ])('at %s: not_yet_valid expiring expiring_critical expired = %s', async (now, want) => {
    expect(await at(now)).toBe(want);
  });
  it('windows follow warnDays and criticalDays', async () => {
    expect(await at('2026-11-15T00:00:00Z', { warnDays: 60, criticalDays: 50 })).toBe('pass fail fail pass');
    expect(await at('2026-11-15T00:00:00Z', { warnDays: 60, criticalDays: 40 })).toBe('pass fail pass pass');
    expect(await at('2026-12-30T00:00:00Z', { warnDays: 1, criticalDays: 0 })).toBe('pass pass pass pass');
  });
});

describe('other layouts', () => {
  it('kubeadm worker: kubelet files and the cluster CA only', async () => {
    const { report, by } = await scan(kubeadmNode({ worker: true }));
    expect(Object.values(statuses(by)).every((s) => s === 'pass')).toBe(true);
    expect(report.measurements.map((m) => m.labels.path).sort()).toEqual([
      '/etc/kubernetes/kubelet.conf#certificate-authority-data',
      '/etc/kubernetes/pki/ca.crt',
      '/var/lib/kubelet/pki/kubelet-client-current.pem',
      '/var/lib/kubelet/pki/kubelet.crt',
    ]);
  });

  it('k3s server: server/tls with etcd/, agent chains, kubeconfigs with relative and absolute file references', async () => {
    const serverCa = pki.issue({
      cn: 'k3s-server-ca@1735689600',
      key: 'ec:P-256',
      ca: true,
      from: '2025-01-01',
      to: '2035-01-01',
    });
    const clientCa = pki.issue({
      cn: 'k3s-client-ca@1735689600',
      key: 'ec:P-256',
      ca: true,
      from: '2025-01-01',
      to: '2035-01-01',
    });
    const etcdCa = pki.issue({
      cn: 'etcd-server-ca@1735689600',
      key: 'ec:P-256',
      ca: true,
      from: '2025-01-01',
      to: '2035-01-01',
    });
    const k = (cn: string, ca: Issued, o?: string) =>
      pki.issue({ cn, ...(o ? { o } : {}), key: 'ec:P-256', issuer: ca, from: '2026-01-01', to: '2027-01-01' });
    const admin = k('system:admin', clientCa, 'system:masters');
    const kubelet = k('system:node:k3s-1', clientCa, 'system:nodes');
    const tls = '/var/lib/rancher/k3s/server/tls';
    const agent = '/var/lib/rancher/k3s/agent';
    const t = tree()
      .write(`${tls}/server-ca.crt`, serverCa.pem)
      .write(`${tls}/server-ca.key`, serverCa.keyPem)
      .write(`${tls}/client-ca.crt`, clientCa.pem)
      .write(`${tls}/client-admin.crt`, admin.pem + clientCa.pem)
      .write(`${tls}/serving-kube-apiserver.crt`, k('kube-apiserver', serverCa).pem + serverCa.pem)
      .write(`${tls}/etcd/server-ca.crt`, etcdCa.pem)
      .write(`${tls}/etcd/server-client.crt`, k('etcd-server', etcdCa).pem + etcdCa.pem)
      .write(`${agent}/server-ca.crt`, serverCa.pem)
      .write(`${agent}/client-ca.crt`, clientCa.pem)
      .write(`${agent}/client-kubelet.crt`, kubelet.pem + clientCa.pem)
      .write(`${agent}/client-kubelet.key`, kubelet.keyPem)
      .write(
        `${agent}/kubelet.kubeconfig`,
        kubeconfig({ user: 'kubelet', ca: serverCa, clientFile: 'client-kubelet.crt' }).replace(
          /certificate-authority-data: \S+/,
          `certificate-authority: ${agent}/server-ca.crt`,
        ),
      )
      .write('/etc/rancher/k3s/k3s.yaml', kubeconfig({ user: 'default', ca: serverCa, client: admin }));
    const { report, by } = await scan(t);
    expect(statuses(by)).toMatchObject({ 'tls.expired': 'pass', 'tls.weak_key': 'pass', 'tls.weak_signature': 'pass' });
    expect(by.get('tls.kubelet_client_rotation')!.status).toBe('skip');
    expect(report.measurements.map((m) => m.labels.path).sort()).toEqual([
      '/etc/rancher/k3s/k3s.yaml#certificate-authority-data',
      '/etc/rancher/k3s/k3s.yaml#client-certificate-data',
      `${agent}/client-ca.crt`,
      `${agent}/client-kubelet.crt`,
      `${agent}/client-kubelet.crt#2`,
      `${agent}/server-ca.crt`,
      `${tls}/client-admin.crt`,
      `${tls}/client-admin.crt#2`,
      `${tls}/client-ca.crt`,
      `${tls}/etcd/server-ca.crt`,
      `${tls}/etcd/server-client.crt`,
      `${tls}/etcd/server-client.crt#2`,
      `${tls}/server-ca.crt`,
      `${tls}/serving-kube-apiserver.crt`,
      `${tls}/serving-kube-apiserver.crt#2`,
    ]);
  });

  it('AKS: /etc/kubernetes/certs and /var/lib/kubelet/kubeconfig naming a fixed client certificate', async () => {
    const ca = pki.issue({ cn: 'ca', ca: true, from: '2025-01-01', to: '2055-01-01' });
    const client = pki.issue({ cn: 'client', issuer: ca, from: '2026-01-01', to: '2028-01-01' });
    const t = tree()
      .write('/etc/kubernetes/certs/ca.crt', ca.pem)
      .write('/etc/kubernetes/certs/client.crt', client.pem)
      .write('/etc/kubernetes/certs/apiserver.crt', leaf('apiserver', ca).pem)
      .write(
        '/var/lib/kubelet/kubeconfig',
        kubeconfig({ user: 'client', ca, clientFile: '/etc/kubernetes/certs/client.crt' }),
      );
    const { report, by } = await scan(t);
    expect(Object.values(statuses(by)).every((s) => s === 'pass')).toBe(true);
    expect(by.get('tls.kubelet_client_rotation')!.message).toContain('there is no newer rotated certificate');
    // notAfter after 2038 and 2050 (GeneralizedTime) is read right.
    expect(report.measurements.find((m) => m.labels.path === '/etc/kubernetes/certs/ca.crt')!.value).toBe(
      Date.parse('2055-01-01T00:00:00Z') / 1000,
    );
  });

  it('no certificates at all: every check is skipped with the reason, nothing is measured', async () => {
    const t = tree().write('/etc/os-release', 'ID=debian\n');
    const { report, by } = await scan(t);
    for (const f of by.values()) {
      expect(f.status).toBe('skip');
      expect(f.message).toMatch(
        /^no node certificates found \(not a Kubernetes node\?\); looked in \/etc\/kubernetes\/pki\/\*\*\/\*\.crt, /,
      );
    }
    expect(report.measurements).toEqual([]);
  });
});

describe('kubeconfig shapes', () => {
  it('several users and a CA bundle get distinct labels; a token-only kubelet kubeconfig leaves nothing to judge', async () => {
    const other = leaf('second-user', K.ca);
    const two =
      kubeconfig({ user: 'first', ca: K.ca, client: K.clients['admin.conf']! }).replace(
        /certificate-authority-data: (\S+)/,
        (_m, d: string) =>
          `certificate-authority-data: ${Buffer.from(Buffer.from(d, 'base64').toString() + K.frontCa.pem).toString('base64')}`,
      ) + `- name: second\n  user:\n    client-certificate-data: ${Buffer.from(other.pem).toString('base64')}\n`;
    const t = tree().write('/etc/kubernetes/admin.conf', two);
    const { report } = await scan(t);
    expect(report.measurements.map((m) => m.labels.path).sort()).toEqual([
      '/etc/kubernetes/admin.conf#certificate-authority-data',
      '/etc/kubernetes/admin.conf#certificate-authority-data/2',
      '/etc/kubernetes/admin.conf#client-certificate-data[first]',
      '/etc/kubernetes/admin.conf#client-certificate-data[second]',
    ]);

    const eks = tree().write(
      '/var/lib/kubelet/kubeconfig',
      kubeconfig({ user: 'kubelet', ca: K.ca }).replace(
        /certificate-authority-data: \S+/,
        'certificate-authority: /etc/kubernetes/pki/ca.crt',
      ),
    );
    const { by } = await scan(eks);
    expect(by.get('tls.kubelet_client_rotation')!.status).toBe('skip');
    expect(by.get('tls.expired')).toMatchObject({
      status: 'unknown',
      message:
        'cannot judge every certificate: /etc/kubernetes/pki/ca.crt: missing (/etc: no such file or directory), named by /var/lib/kubelet/kubeconfig',
    });
    eks.write('/etc/kubernetes/pki/ca.crt', K.ca.pem);
    expect((await scan(eks)).by.get('tls.expired')!.status).toBe('pass');
    eks
      .cleanupLink('/etc/kubernetes/pki/ca.crt')
      .write(
        '/var/lib/kubelet/kubeconfig',
        kubeconfig({ user: 'kubelet', ca: K.ca }).replace(
          /certificate-authority-data: \S+/,
          'insecure-skip-tls-verify: true',
        ),
      );
    expect((await scan(eks)).by.get('tls.expired')).toMatchObject({
      status: 'skip',
      message: 'no certificates found in the 1 file examined',
    });
  });
});

describe('bad input', () => {
  it('garbage, truncated, a symlink loop, 10 MB, a key-only .crt and a non-YAML kubeconfig are unknown with reasons; the rest is still judged', async () => {
    const expired = pki.issue({ cn: 'old-front-proxy', issuer: K.frontCa, from: '2024-01-01', to: '2025-01-01' });
    const t = kubeadmNode()
      .write(
        '/etc/kubernetes/pki/garbage.crt',
        '-----BEGIN CERTIFICATE-----\nthis is not base64 at all!\n-----END CERTIFICATE-----\n',
      )
      .write('/etc/kubernetes/pki/truncated.crt', K.ca.pem.slice(0, 300))
      .write(
        '/etc/kubernetes/pki/corrupt.crt',
        `-----BEGIN CERTIFICATE-----\n${Buffer.from(K.ca.der.subarray(0, 200)).toString('base64')}\n-----END CERTIFICATE-----\n`,
      )
      .write('/etc/kubernetes/pki/only-key.crt', K.ca.keyPem)
      .write('/etc/kubernetes/pki/expired.crt', expired.pem)
      .write('/etc/kubernetes/pki/der.crt', K.leaves['apiserver.crt']!.der)
      .link('/etc/kubernetes/pki/loop-a.crt', 'loop-b.crt')
      .link('/etc/kubernetes/pki/loop-b.crt', 'loop-a.crt')
      .write('/etc/kubernetes/broken.conf', 'apiVersion: v1\nusers: [\n  - name: x\n  user: {\n')
      .write('/etc/kubernetes/notes.conf', 'address: 0.0.0.0\n') // YAML, not a kubeconfig: ignored
      .mkdir('/etc/kubernetes/pki/dir.crt');
    writeFileSync(path.join(t.root, 'etc/kubernetes/pki/huge.crt'), Buffer.alloc(10 * 1024 * 1024, 0x41));
    const { by } = await scan(t);
    expect(statuses(by)).toEqual({
      'tls.expired': 'fail',
      'tls.expiring_critical': 'unknown',
      'tls.expiring': 'unknown',
      'tls.not_yet_valid': 'unknown',
      'tls.weak_key': 'unknown',
      'tls.weak_signature': 'unknown',
      'tls.kubelet_client_rotation': 'pass',
    });
    const expiredF = by.get('tls.expired')!;
    expect(expiredF.evidence).toEqual([
      {
        file: '/etc/kubernetes/pki/expired.crt',
        line: 1,
        text: 'CN=old-front-proxy: expired 516 days ago, on 2025-01-01T00:00:00Z',
      },
    ]);
    expect(expiredF.message).toContain('(also, 8 sources could not be read:');
    const u = by.get('tls.weak_key')!;
    expect(u.message).toMatch(/^cannot judge every certificate: /);
    expect(u.message).toMatch(/; the other 23 have strong keys$/);
    const reasons = Object.fromEntries(u.evidence.map((e) => [e.file, e.text]));
    expect(reasons).toEqual({
      '/etc/kubernetes/broken.conf': expect.stringMatching(/^not YAML: /),
      '/etc/kubernetes/pki/corrupt.crt': expect.stringMatching(/^not DER: element at offset 0 runs past its end/),
      '/etc/kubernetes/pki/garbage.crt': 'the CERTIFICATE block is not valid base64',
      '/etc/kubernetes/pki/huge.crt': expect.stringMatching(
        /^too large \(10485760 bytes, larger than the 1048576-byte limit\)$/,
      ),
      '/etc/kubernetes/pki/loop-a.crt': expect.stringMatching(/^symlink loop \(/),
      '/etc/kubernetes/pki/loop-b.crt': expect.stringMatching(/^symlink loop \(/),
      '/etc/kubernetes/pki/only-key.crt': 'no CERTIFICATE block (found PRIVATE KEY)',
      '/etc/kubernetes/pki/truncated.crt': 'the CERTIFICATE block has no END line (truncated?)',
    });
    // The DER file was judged like any other (23 = 21 of the healthy node + expired.crt + der.crt).
  });

  it('exclude silences a file that is not a certificate; paths adds one', async () => {
    const extra = pki.issue({ cn: 'webhook', issuer: K.ca, from: '2026-01-01', to: '2026-06-10' });
    const t = kubeadmNode()
      .write('/etc/kubernetes/pki/garbage.crt', 'nonsense')
      .write('/opt/webhook/tls/tls.crt', extra.pem);
    expect((await scan(t)).by.get('tls.expiring')!.status).toBe('unknown');
    const { by, report } = await scan(t, {
      probe: { exclude: ['/etc/kubernetes/pki/garbage.crt'], paths: ['/opt/**/*.crt'] },
    });
    expect(by.get('tls.expiring')!.status).toBe('fail');
    expect(by.get('tls.expiring')!.evidence).toEqual([
      { file: '/opt/webhook/tls/tls.crt', line: 1, text: 'CN=webhook: expires in 9 days, on 2026-06-10T00:00:00Z' },
    ]);
    expect(by.get('tls.expired')!.status).toBe('pass');
    expect(report.measurements.some((m) => m.labels.path === '/opt/webhook/tls/tls.crt')).toBe(true);
  });
});

describe('tls.kubelet_client_rotation', () => {
  const pkiDir = '/var/lib/kubelet/pki';
  const ref = (file: string) => kubeconfig({ user: 'system:node:cp-1', ca: K.ca, clientFile: file });
  it.each([
    [
      'references kubelet-client-current.pem',
      () => kubeadmNode({ worker: true }),
      'pass',
      /names \/var\/lib\/kubelet\/pki\/kubelet-client-current.pem, which the kubelet rotates/,
    ],
    [
      'embeds a copy of the current certificate',
      () =>
        kubeadmNode({
          worker: true,
          kubeletConf: kubeconfig({ user: 'system:node:cp-1', ca: K.ca, client: K.kubeletCurrent }),
        }),
      'fail',
      /embeds a copy of the current rotated certificate/,
    ],
    [
      'embeds a valid certificate and nothing rotates',
      () =>
        kubeadmNode({
          worker: true,
          kubeletConf: kubeconfig({ user: 'system:node:cp-1', ca: K.ca, client: K.kubeletCurrent }),
        }).cleanupLink(),
      'fail',
      /which no rotation renews, and there is no \/var\/lib\/kubelet\/pki\/kubelet-client-current.pem$/,
    ],
    [
      'names the timestamped file the link points to today',
      () => kubeadmNode({ worker: true, kubeletConf: ref(`${pkiDir}/kubelet-client-2026-05-01-08-00-00.pem`) }),
      'fail',
      /the file kubelet-client-current.pem points to today, which the next rotation replaces/,
    ],
    [
      'names an old rotated file',
      () => kubeadmNode({ worker: true, kubeletConf: ref(`${pkiDir}/kubelet-client-2025-05-01-08-00-00.pem`) }),
      'fail',
      /that expired on 2026-05-01T08:00:00Z, while .*kubelet-client-current.pem .* is valid until 2027-05-01T08:00:00Z$/,
    ],
    [
      'names a file that does not exist',
      () => kubeadmNode({ worker: true, kubeletConf: ref(`${pkiDir}/missing.pem`) }),
      'fail',
      /which cannot be used: missing \(no such file or directory\)/,
    ],
    [
      'uses a token',
      () => kubeadmNode({ worker: true, kubeletConf: kubeconfig({ user: 'system:node:cp-1', ca: K.ca }) }),
      'skip',
      /has no client certificate/,
    ],
    [
      'kubelet.conf is not YAML',
      () => kubeadmNode({ worker: true, kubeletConf: 'kind: Config\nusers: [\n' }),
      'unknown',
      /^\/etc\/kubernetes\/kubelet.conf: not YAML/,
    ],
    [
      'no kubelet kubeconfig',
      () => tree().write('/etc/kubernetes/pki/ca.crt', K.ca.pem),
      'skip',
      /^no kubelet kubeconfig on this host/,
    ],
  ] as [string, () => HostTree, string, RegExp][])('%s', async (_name, build, status, message) => {
    const { by } = await scan(build());
    const f = by.get('tls.kubelet_client_rotation')!;
    expect(f.status, f.message).toBe(status);
    expect(f.message).toMatch(message);
  });

  // The kubelet cannot load a certificate it reaches through a loop: that is certain, so the rotation check fails;
  // what the certificate would have said is not known, so the per-certificate checks are unknown.
  it('kubelet-client-current.pem in a symlink loop: fails here, and is unknown for the certificate checks', async () => {
    const t = kubeadmNode({ worker: true });
    t.cleanupLink().link(`${pkiDir}/kubelet-client-current.pem`, 'kubelet-client-current.pem');
    const { by } = await scan(t);
    expect(by.get('tls.kubelet_client_rotation')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/which cannot be used: symlink loop/),
    });
    expect(by.get('tls.expired')).toMatchObject({
      status: 'unknown',
      evidence: [{ file: `${pkiDir}/kubelet-client-current.pem`, text: expect.stringMatching(/^symlink loop/) }],
    });
  });
});

describe('coverage', () => {
  it('every tls check passes in some scenario and fails in another', () => {
    const missing = tlsProbe.checks
      .map((c) => c.id)
      .filter((id) => !(seen.get(id)?.has('pass') && seen.get(id)?.has('fail')));
    expect(missing).toEqual([]);
  });
});
