/** PEM splitting, certificate facts (against openssl's own view) and kubeconfig references, on generated input. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { splitPem, MAX_PEM_BLOCKS } from '../../probes/tls/pem.js';
import { parseCertificate } from '../../probes/tls/certificate.js';
import { parseKubeconfig } from '../../probes/tls/kubeconfig.js';
import { certificatesInBlob } from '../../probes/tls/gather.js';
import { Pki, kubeconfig } from './pki.js';
import type { Issued } from './pki.js';

let pki: Pki;
let ca: Issued;
let leaf: Issued;
let ec: Issued;
beforeAll(() => {
  pki = new Pki();
  ca = pki.issue({ cn: 'kubernetes', ca: true, from: '2025-01-01', to: '2035-01-01' });
  leaf = pki.issue({
    cn: 'kube-apiserver',
    issuer: ca,
    from: '2026-01-01',
    to: '2027-01-01',
    san: 'DNS:kubernetes,DNS:kubernetes.default,IP:10.96.0.1',
  });
  ec = pki.issue({
    cn: 'system:node:worker-1',
    o: 'system:nodes',
    key: 'ec:P-256',
    issuer: ca,
    from: '2026-05-01T10:20:30Z',
    to: '2027-05-01T10:20:30Z',
  });
});
afterAll(() => pki.cleanup());

describe('splitPem', () => {
  it('splits a bundle into its certificates, in order, with lines', () => {
    const text = `${leaf.pem}${ca.pem}`;
    const s = splitPem(text);
    expect(s.problems).toEqual([]);
    expect(s.blocks.map((b) => b.label)).toEqual(['CERTIFICATE', 'CERTIFICATE']);
    expect(s.blocks[0]!.der).toEqual(leaf.der);
    expect(s.blocks[1]!.der).toEqual(ca.der);
    expect(s.blocks[1]!.line).toBe(leaf.pem.split('\n').length);
  });

  it('finds the certificate beside a private key, in either order, without decoding the key', () => {
    for (const text of [`${ec.pem}${ec.keyPem}`, `${ec.keyPem}${ec.pem}`]) {
      const s = splitPem(text);
      expect(s.problems).toEqual([]);
      const key = s.blocks.find((b) => b.label.includes('PRIVATE KEY'))!;
      expect(key.der).toBeUndefined();
      expect(s.blocks.find((b) => b.label === 'CERTIFICATE')!.der).toEqual(ec.der);
    }
  });

  it('accepts CRLF and text around blocks (openssl x509 -text output)', () => {
    const text = `Certificate:\n    Data: ...\n${leaf.pem.replace(/\n/g, '\r\n')}trailing words\n`;
    const s = splitPem(text);
    expect(s.problems).toEqual([]);
    expect(s.blocks[0]!.der).toEqual(leaf.der);
  });

  it('reports garbage base64, a missing END, a mismatched END, and still returns the good blocks', () => {
    const truncated = leaf.pem.slice(0, Math.floor(leaf.pem.length / 2));
    const text = [
      '-----BEGIN CERTIFICATE-----',
      'this is not base64!!',
      '-----END CERTIFICATE-----',
      '-----BEGIN CERTIFICATE-----',
      'QUJD',
      '-----END PRIVATE KEY-----',
      truncated.trimEnd(),
      ca.pem,
    ].join('\n');
    const s = splitPem(text);
    expect(s.blocks.filter((b) => b.der).map((b) => b.der)).toEqual([ca.der]);
    expect(s.problems.map((p) => p.reason)).toEqual([
      'the CERTIFICATE block is not valid base64',
      '"-----END PRIVATE KEY-----" closes "-----BEGIN CERTIFICATE-----" of line 4',
      'the CERTIFICATE block has no END line (truncated?)',
    ]);
    expect(s.problems.map((p) => p.line)).toEqual([1, 6, 7]);
  });

  it('stops after MAX_PEM_BLOCKS blocks', () => {
    const s = splitPem(ca.pem.repeat(MAX_PEM_BLOCKS + 5));
    expect(s.blocks).toHaveLength(MAX_PEM_BLOCKS);
    expect(s.problems).toHaveLength(1);
  });

  it('certificatesInBlob takes PEM, DER, and names what else it found', () => {
    expect(certificatesInBlob(Buffer.from(leaf.pem)).certs.map((c) => c.der)).toEqual([leaf.der]);
    expect(certificatesInBlob(leaf.der).certs.map((c) => c.der)).toEqual([leaf.der]);
    expect(certificatesInBlob(Buffer.from(ec.keyPem)).problems[0]!.reason).toBe(
      'no CERTIFICATE block (found PRIVATE KEY)',
    );
    expect(certificatesInBlob(Buffer.alloc(0)).problems[0]!.reason).toBe('empty file');
    expect(certificatesInBlob(Buffer.from('hello')).problems[0]!.reason).toBe('neither PEM nor DER');
  });
});

describe('parseCertificate agrees with openssl', () => {
  const fromOpenssl = (c: Issued) => {
    const out = pki.x509(c, ['-startdate', '-enddate', '-serial', '-fingerprint', '-sha256']);
    const get = (k: string) => new RegExp(`^${k}=(.*)$`, 'mi').exec(out)![1]!;
    return {
      notBefore: Date.parse(get('notBefore')),
      notAfter: Date.parse(get('notAfter')),
      serial: get('serial'),
      fp: get('sha256 Fingerprint'),
    };
  };

  it('RSA leaf: names, dates, serial, SAN, key, not a CA', () => {
    const p = parseCertificate(leaf.der);
    if (!p.ok) throw new Error(p.reason);
    const o = fromOpenssl(leaf);
    expect(p).toMatchObject({
      subject: 'CN=kube-apiserver',
      issuer: 'CN=kubernetes',
      isCA: false,
      selfSigned: false,
      key: { type: 'rsa', bits: 2048 },
    });
    expect(p.notBeforeMs).toBe(o.notBefore);
    expect(p.notAfterMs).toBe(o.notAfter);
    expect(p.notAfterMs).toBe(Date.parse('2027-01-01T00:00:00Z'));
    expect(p.serial).toBe(o.serial.toUpperCase());
    expect(p.fingerprint256).toBe(o.fp);
    expect(p.subjectAltName).toBe('DNS:kubernetes, DNS:kubernetes.default, IP Address:10.96.0.1');
  });

  it('EC P-256 node certificate with seconds in its dates', () => {
    const p = parseCertificate(ec.der);
    if (!p.ok) throw new Error(p.reason);
    const subject = pki
      .x509(ec, ['-subject', '-nameopt', 'oneline'])
      .trim()
      .replace(/^subject=/, '')
      .replace(/ = /g, '=');
    expect(subject).toContain('O=system:nodes');
    expect(p).toMatchObject({
      subject,
      key: { type: 'ec', curve: 'prime256v1', bits: 256 },
      signature: { name: 'sha256WithRSAEncryption' },
    });
    expect(p.notBeforeMs).toBe(Date.parse('2026-05-01T10:20:30Z'));
  });

  it('self-signed CA', () => {
    const p = parseCertificate(ca.der);
    expect(p).toMatchObject({ ok: true, isCA: true, selfSigned: true, subject: 'CN=kubernetes' });
  });

  it('RSA 1024 and P-224 keys are reported with their size', () => {
    const weak = pki.issue({ cn: 'weak', key: 'rsa:1024', issuer: ca, from: '2026-01-01', to: '2027-01-01' });
    const p224 = pki.issue({ cn: 'p224', key: 'ec:P-224', issuer: ca, from: '2026-01-01', to: '2027-01-01' });
    expect(parseCertificate(weak.der)).toMatchObject({ key: { type: 'rsa', bits: 1024 } });
    expect(parseCertificate(p224.der)).toMatchObject({ key: { type: 'ec', curve: 'secp224r1', bits: 224 } });
  });

  it('a corrupted certificate is a reason, not a throw', () => {
    const bad = Buffer.from(leaf.der);
    bad[4] = 0x31; // tbsCertificate becomes a SET
    expect(parseCertificate(bad).ok).toBe(false);
    const noSig = Buffer.from(leaf.der);
    noSig[noSig.length - 300] = 0x04; // somewhere in the signature's BIT STRING header region or value
    expect(() => parseCertificate(noSig)).not.toThrow();
    expect(parseCertificate(leaf.der.subarray(0, 100)).ok).toBe(false);
  });
});

describe('parseKubeconfig', () => {
  it('embedded client and CA certificates, with lines and the current user', () => {
    const text = kubeconfig({ user: 'kubernetes-admin', ca, client: leaf });
    const k = parseKubeconfig(text, '/etc/kubernetes/admin.conf');
    if (!k.ok) throw new Error(k.reason);
    expect(k.isKubeconfig).toBe(true);
    expect(k.currentUser).toBe('kubernetes-admin');
    expect(k.problems).toEqual([]);
    const lines = text.split('\n');
    const client = k.refs.find((r) => r.field === 'client-certificate-data')!;
    expect(client.data!.toString()).toBe(leaf.pem);
    expect(lines[client.line! - 1]).toContain('client-certificate-data:');
    const caRef = k.refs.find((r) => r.field === 'certificate-authority-data')!;
    expect(caRef).toMatchObject({ owner: 'cluster', name: 'kubernetes', line: 4 });
  });

  it('file references resolve against the kubeconfig directory', () => {
    const text = kubeconfig({ user: 'system:node:w1', ca, clientFile: 'client-kubelet.crt' });
    const k = parseKubeconfig(text, '/var/lib/rancher/k3s/agent/kubelet.kubeconfig');
    expect(k.ok && k.refs.find((r) => r.field === 'client-certificate')?.file).toBe(
      '/var/lib/rancher/k3s/agent/client-kubelet.crt',
    );
    const abs = parseKubeconfig(
      kubeconfig({ user: 'u', ca, clientFile: '/var/lib/kubelet/pki/kubelet-client-current.pem' }),
      '/etc/kubernetes/kubelet.conf',
    );
    expect(abs.ok && abs.refs.find((r) => r.field === 'client-certificate')?.file).toBe(
      '/var/lib/kubelet/pki/kubelet-client-current.pem',
    );
  });

  it('not YAML, not a mapping, not a kubeconfig, bad base64', () => {
    expect(parseKubeconfig('users: [\n  - name: x\n  user: {', '/k')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^not YAML/),
    });
    expect(parseKubeconfig('just words', '/k')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not a mapping/),
    });
    expect(parseKubeconfig('', '/k')).toMatchObject({ ok: false, reason: expect.stringMatching(/empty/) });
    expect(parseKubeconfig('address: 0.0.0.0\nport: 10250\n', '/k')).toMatchObject({
      ok: true,
      isKubeconfig: false,
      refs: [],
    });
    const k = parseKubeconfig('users:\n- name: a\n  user:\n    client-certificate-data: "!!!notbase64"\n', '/k');
    expect(k).toMatchObject({
      ok: true,
      refs: [],
      problems: [{ field: 'client-certificate-data', name: 'a', line: 4 }],
    });
  });

  it('alias bombs are refused by the YAML parser, not expanded', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...Array.from(
        { length: 8 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`,
      ),
      'users: []',
    ].join('\n');
    expect(() => parseKubeconfig(bomb, '/k')).not.toThrow();
  });
});
