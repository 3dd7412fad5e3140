/**
 * Test PKI made with the real openssl CLI (argument arrays, no shell): keys, CAs and leaves with explicit
 * validity dates (`openssl ca -startdate/-enddate`, since OpenSSL 3.0 has no `x509 -not_before`), chosen
 * digests (sha1, md5 are still allowed for signing), and host roots laid out like kubeadm, kubelet and k3s.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type KeySpec = 'rsa:1024' | 'rsa:2048' | 'ec:P-256' | 'ec:P-384' | 'ec:P-224' | 'ed25519';

export interface Issued {
  name: string;
  certFile: string;
  keyFile: string;
  /** The certificate PEM. */
  pem: string;
  /** The private key PEM. */
  keyPem: string;
  /** DER of the certificate. */
  der: Buffer;
}

export interface IssueOptions {
  cn: string;
  o?: string;
  /** Absent: self-signed. */
  issuer?: Issued;
  key?: KeySpec;
  /** ISO dates, e.g. 2026-01-01. */
  from: string;
  to: string;
  md?: 'sha256' | 'sha384' | 'sha1' | 'md5';
  ca?: boolean;
  san?: string;
  sigopt?: string[];
}

const openssl = (args: string[], cwd: string) =>
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

/** 2026-01-01 or 2026-01-01T12:00:00Z -> 20260101120000Z (GeneralizedTime, which openssl ca takes). */
export function asn1Time(iso: string): string {
  const d = new Date(iso.length === 10 ? iso + 'T00:00:00Z' : iso);
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
}

export class Pki {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-pki-'));
  private readonly keys = new Map<string, string>();
  private n = 0;

  constructor() {
    mkdirSync(path.join(this.dir, 'new'));
    writeFileSync(path.join(this.dir, 'index.txt'), '');
    writeFileSync(
      path.join(this.dir, 'ca.cnf'),
      [
        '[ ca ]',
        'default_ca = d',
        '[ d ]',
        `dir = ${this.dir}`,
        'database = $dir/index.txt',
        'new_certs_dir = $dir/new',
        'default_md = sha256',
        'policy = p',
        'unique_subject = no',
        'email_in_dn = no',
        'rand_serial = yes',
        'preserve = yes',
        '[ p ]',
        'commonName = supplied',
        'organizationName = optional',
        '',
      ].join('\n'),
    );
  }

  /** A key per spec, shared by every certificate that asks for it (key generation is the slow part). */
  key(spec: KeySpec, fresh = false): string {
    const cached = this.keys.get(spec);
    if (cached && !fresh) return cached;
    const file = path.join(this.dir, `key-${spec.replace(':', '-')}-${this.n++}.pem`);
    const [alg, param] = spec.split(':') as [string, string | undefined];
    const args =
      alg === 'rsa'
        ? ['-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${param}`]
        : alg === 'ec'
          ? ['-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${param}`]
          : ['-algorithm', 'ED25519'];
    openssl(['genpkey', ...args, '-out', file], this.dir);
    if (!fresh) this.keys.set(spec, file);
    return file;
  }

  issue(o: IssueOptions): Issued {
    const id = `c${this.n++}`;
    const keyFile =
      o.key === undefined && o.issuer === undefined ? this.key('rsa:2048') : this.key(o.key ?? 'rsa:2048');
    const csr = path.join(this.dir, `${id}.csr`);
    const certFile = path.join(this.dir, `${id}.crt`);
    const ext = path.join(this.dir, `${id}.ext`);
    const subj = `${o.o ? `/O=${o.o}` : ''}/CN=${o.cn}`;
    openssl(['req', '-new', '-key', keyFile, '-subj', subj, '-out', csr], this.dir);
    writeFileSync(
      ext,
      [
        '[ x ]',
        o.ca ? 'basicConstraints = critical,CA:TRUE' : 'basicConstraints = critical,CA:FALSE',
        o.ca
          ? 'keyUsage = critical,keyCertSign,cRLSign,digitalSignature'
          : 'keyUsage = critical,digitalSignature,keyEncipherment',
        ...(o.san ? [`subjectAltName = ${o.san}`] : []),
        '',
      ].join('\n'),
    );
    const signer = o.issuer
      ? ['-cert', o.issuer.certFile, '-keyfile', o.issuer.keyFile]
      : ['-selfsign', '-keyfile', keyFile];
    const md = o.key === 'ed25519' || (o.issuer && /ED25519/.test(o.issuer.keyPem)) ? [] : ['-md', o.md ?? 'sha256'];
    openssl(
      [
        'ca',
        '-batch',
        '-config',
        'ca.cnf',
        ...signer,
        '-in',
        csr,
        '-out',
        certFile,
        '-startdate',
        asn1Time(o.from),
        '-enddate',
        asn1Time(o.to),
        ...md,
        '-extfile',
        ext,
        '-extensions',
        'x',
        '-notext',
        ...(o.sigopt ?? []).flatMap((s) => ['-sigopt', s]),
      ],
      this.dir,
    );
    const pem = readFileSync(certFile, 'utf8');
    return {
      name: o.cn,
      certFile,
      keyFile,
      pem,
      keyPem: readFileSync(keyFile, 'utf8'),
      der: execFileSync('openssl', ['x509', '-in', certFile, '-outform', 'DER']),
    };
  }

  /** `openssl x509 -noout <flags>` of a certificate: the ground truth tests compare with. */
  x509(c: Issued, flags: string[]): string {
    return execFileSync('openssl', ['x509', '-in', c.certFile, '-noout', ...flags], { encoding: 'utf8' });
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A host root under construction, written with host paths. */
export class HostTree {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-tlsroot-'));
  readonly root = path.join(this.dir, 'root');

  constructor() {
    mkdirSync(this.root);
  }

  write(hostPath: string, content: string | Buffer): this {
    const p = path.join(this.root, hostPath);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content);
    return this;
  }

  link(hostPath: string, target: string): this {
    const p = path.join(this.root, hostPath);
    mkdirSync(path.dirname(p), { recursive: true });
    symlinkSync(target, p);
    return this;
  }

  /** Remove the kubelet's -current.pem link (to lay out another). */
  cleanupLink(hostPath = '/var/lib/kubelet/pki/kubelet-client-current.pem'): this {
    rmSync(path.join(this.root, hostPath), { force: true });
    return this;
  }

  mkdir(hostPath: string): this {
    mkdirSync(path.join(this.root, hostPath), { recursive: true });
    return this;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A kubeadm-style kubeconfig: embedded CA, and an embedded or file-referenced client certificate. */
export function kubeconfig(o: {
  user: string;
  ca: Issued;
  client?: Issued;
  clientFile?: string;
  token?: string;
}): string {
  const user = o.client
    ? `    client-certificate-data: ${b64(o.client.pem)}\n    client-key-data: ${b64(o.client.keyPem)}\n`
    : o.clientFile
      ? `    client-certificate: ${o.clientFile}\n    client-key: ${o.clientFile}\n`
      : `    token: ${o.token ?? 'abc.def'}\n`;
  return [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${b64(o.ca.pem)}`,
    '    server: https://10.0.0.10:6443',
    '  name: kubernetes',
    'contexts:',
    '- context:',
    '    cluster: kubernetes',
    `    user: ${o.user}`,
    `  name: ${o.user}@kubernetes`,
    `current-context: ${o.user}@kubernetes`,
    'kind: Config',
    'preferences: {}',
    'users:',
    `- name: ${o.user}`,
    '  user:',
    user,
  ].join('\n');
}
