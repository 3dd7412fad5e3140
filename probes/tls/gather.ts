/**
 * The tls probe's I/O: discover candidate files (locations.ts), read them through ctx.host with size caps,
 * split and parse what they hold, and record every source that could not be used as a SourceProblem.
 * No verdicts here; checks.ts decides.
 */
import type { ProbeContext, Failure, HostRoot } from '../../src/sdk.js';
import type {
  CertificateFact,
  Distribution,
  KubeletFacts,
  ProblemCode,
  SourceProblem,
  TlsFacts,
  TlsOptions,
} from './types.js';
import { LOCATIONS, KUBELET, LIMITS } from './locations.js';
import { expand, pathGlobToRegExp } from './discovery.js';
import type { Candidate } from './discovery.js';
import { CERTIFICATE_LABELS, hasPemMarker, splitPem } from './pem.js';
import { parseCertificate } from './certificate.js';
import { parseKubeconfig } from './kubeconfig.js';
import type { KubeconfigParse } from './kubeconfig.js';

export interface BlobCertificate {
  der: Buffer;
  line?: number;
}

/** Certificates in a file's bytes: PEM (any number of blocks, keys beside them ignored) or one DER certificate. */
export interface BlobProblem {
  line?: number;
  code: ProblemCode;
  reason: string;
}

export function certificatesInBlob(bytes: Buffer): { certs: BlobCertificate[]; problems: BlobProblem[] } {
  if (bytes.length === 0) return { certs: [], problems: [{ code: 'no_certificate', reason: 'empty file' }] };
  const text = bytes.toString('latin1'); // PEM is ASCII; latin1 keeps offsets and never throws
  if (!hasPemMarker(text)) {
    if (bytes[0] === 0x30) return { certs: [{ der: bytes }], problems: [] };
    return { certs: [], problems: [{ code: 'no_certificate', reason: 'neither PEM nor DER' }] };
  }
  const split = splitPem(text);
  const certs = split.blocks
    .filter((b) => CERTIFICATE_LABELS.includes(b.label) && b.der)
    .map((b) => ({ der: b.der!, line: b.line }));
  const problems: BlobProblem[] = split.problems.map((p) => ({ line: p.line, code: 'bad_pem', reason: p.reason }));
  if (certs.length === 0 && problems.length === 0) {
    const labels = [...new Set(split.blocks.map((b) => b.label))];
    problems.push({ code: 'no_certificate', reason: `no CERTIFICATE block (found ${labels.join(', ') || 'none'})` });
  }
  return { certs, problems };
}

function problemCode(f: Failure): ProblemCode {
  return f.code === 'missing' || f.code === 'not_a_directory' ? 'unreadable' : f.code;
}

async function isDirectory(host: HostRoot, p: string): Promise<boolean> {
  const st = await host.stat(p);
  return st.ok && st.type === 'directory';
}

class Collector {
  readonly certificates: CertificateFact[] = [];
  readonly problems: SourceProblem[] = [];
  readonly labels = new Set<string>();
  /** realPath -> labels of the certificates it holds. */
  readonly byRealPath = new Map<string, string[]>();
  /** `${kubeconfig}\0${name}\0${field}` -> first certificate label. */
  readonly byKubeconfigField = new Map<string, string>();

  problem(p: SourceProblem): void {
    this.problems.push(p);
  }

  uniqueLabel(base: string): string {
    let label = base;
    for (let n = 2; this.labels.has(label); n++) label = `${base}~${n}`;
    this.labels.add(label);
    return label;
  }

  /** Parse the certificates of one blob; returns the labels added. */
  addBlob(
    bytes: Buffer,
    where: { file: string; realPath: string; fragment?: string; distribution: Distribution; line?: number },
  ): string[] {
    const { certs, problems } = certificatesInBlob(bytes);
    const frag = where.fragment !== undefined ? { fragment: where.fragment } : {};
    for (const p of problems) {
      const line = where.line ?? p.line;
      this.problem({
        file: where.file,
        ...frag,
        ...(line !== undefined ? { line } : {}),
        code: p.code,
        reason: p.reason,
      });
    }
    const added: string[] = [];
    certs.forEach((c, i) => {
      const line = where.line ?? c.line;
      const at = line !== undefined ? { line } : {};
      const parsed = parseCertificate(c.der);
      // The first certificate keeps the plain name: the leaf of a chain file, stable for alerts.
      const suffix = i === 0 ? '' : where.fragment !== undefined ? `/${i + 1}` : `#${i + 1}`;
      const fragment = where.fragment !== undefined ? where.fragment + suffix : i === 0 ? undefined : String(i + 1);
      const fr = fragment !== undefined ? { fragment } : {};
      if (!parsed.ok) {
        this.problem({ file: where.file, ...fr, ...at, code: 'bad_certificate', reason: parsed.reason });
        return;
      }
      const { ok: _ok, ...facts } = parsed;
      const label = this.uniqueLabel(where.file + (where.fragment !== undefined ? `#${where.fragment}` : '') + suffix);
      this.certificates.push({
        label,
        file: where.file,
        realPath: where.realPath,
        ...at,
        ...fr,
        distribution: where.distribution,
        ...facts,
      });
      added.push(label);
    });
    const list = this.byRealPath.get(where.realPath) ?? [];
    list.push(...added);
    this.byRealPath.set(where.realPath, list);
    return added;
  }
}

/** What one gathering shares: the host, the collector of results, and the paths already taken. */
interface Scan {
  host: HostRoot;
  signal: AbortSignal;
  out: Collector;
  seenPath: Set<string>;
  isExcluded(p: string): boolean;
}

/** The located and configured files, each once, not excluded, at most LIMITS.files. */
async function findCandidates(scan: Scan, options: TlsFacts['options']): Promise<Candidate[]> {
  const { out, seenPath } = scan;
  const patterns = [
    ...LOCATIONS,
    ...options.paths.map((pattern) => ({ distribution: 'config' as const, kind: 'certificate' as const, pattern })),
    ...options.kubeconfigs.map((pattern) => ({
      distribution: 'config' as const,
      kind: 'kubeconfig' as const,
      pattern,
    })),
  ];
  const candidates: Candidate[] = [];
  for (const loc of patterns) {
    const { paths, truncated } = await expand(scan.host, loc.pattern, scan.signal);
    if (truncated)
      out.problem({
        file: loc.pattern,
        code: 'too_many',
        reason: `more than ${LIMITS.walkDirectories} directories or deeper than ${LIMITS.walkDepth}; the rest were not examined`,
      });
    for (const p of paths) {
      if (seenPath.has(p) || scan.isExcluded(p)) continue;
      seenPath.add(p);
      candidates.push({ path: p, kind: loc.kind, distribution: loc.distribution });
    }
  }
  if (candidates.length > LIMITS.files) {
    out.problem({
      file: candidates[LIMITS.files]!.path,
      code: 'too_many',
      reason: `more than ${LIMITS.files} candidate files; the rest were not examined`,
    });
    candidates.length = LIMITS.files;
  }
  return candidates;
}

/** A parsed kubeconfig's problems and certificates: embedded data is added, referenced files are returned. */
function takeKubeconfig(
  scan: Scan,
  c: Candidate,
  realPath: string,
  k: Extract<KubeconfigParse, { ok: true }>,
): Candidate[] {
  const { out } = scan;
  for (const p of k.problems)
    out.problem({
      file: c.path,
      fragment: p.field,
      ...(p.line !== undefined ? { line: p.line } : {}),
      code: 'bad_kubeconfig',
      reason: p.reason,
    });
  const referenced: Candidate[] = [];
  const multiple = (field: string) => k.refs.filter((x) => x.field === field).length > 1;
  for (const ref of k.refs) {
    if (ref.data) {
      const fragment = multiple(ref.field) ? `${ref.field}[${ref.name}]` : ref.field;
      const labels = out.addBlob(ref.data, {
        file: c.path,
        realPath,
        fragment,
        distribution: c.distribution,
        ...(ref.line !== undefined ? { line: ref.line } : {}),
      });
      if (labels[0]) out.byKubeconfigField.set(`${c.path}\0${ref.name}\0${ref.field}`, labels[0]);
    } else if (ref.file && !scan.seenPath.has(ref.file) && !scan.isExcluded(ref.file)) {
      scan.seenPath.add(ref.file);
      referenced.push({ path: ref.file, kind: 'certificate', distribution: c.distribution, namedBy: c.path });
    }
  }
  return referenced;
}

/** Kubeconfigs first: the files they reference join the certificate candidates, after the located ones. */
async function readKubeconfigs(
  scan: Scan,
  candidates: readonly Candidate[],
): Promise<{ kubeconfigs: Map<string, KubeconfigParse>; referenced: Candidate[]; examined: number }> {
  const { host, out } = scan;
  const kubeconfigs = new Map<string, KubeconfigParse>();
  const referenced: Candidate[] = [];
  let examined = 0;
  for (const c of candidates.filter((c) => c.kind === 'kubeconfig')) {
    if (scan.signal.aborted) break;
    const r = await host.readText(c.path, { maxBytes: LIMITS.kubeconfigBytes });
    if (!r.ok) {
      if (r.code === 'not_a_file' && (await isDirectory(host, c.path))) continue;
      out.problem({ file: c.path, code: problemCode(r), reason: `${r.code.replace(/_/g, ' ')} (${r.reason})` });
      kubeconfigs.set(c.path, { ok: false, reason: r.reason });
      continue;
    }
    examined++;
    const k = parseKubeconfig(r.text, c.path);
    kubeconfigs.set(c.path, k);
    if (!k.ok) out.problem({ file: c.path, code: 'bad_kubeconfig', reason: k.reason });
    else referenced.push(...takeKubeconfig(scan, c, r.realPath, k));
  }
  return { kubeconfigs, referenced, examined };
}

/** Certificate files, each real file once (under the first name it was found by); returns how many were read. */
async function readCertificates(scan: Scan, files: readonly Candidate[]): Promise<number> {
  const { host, out } = scan;
  const seenReal = new Set<string>();
  let examined = 0;
  for (const c of files) {
    if (scan.signal.aborted) break;
    const r = await host.readBytes(c.path, { maxBytes: LIMITS.certificateBytes });
    if (!r.ok) {
      if (r.code === 'not_a_file' && (await isDirectory(host, c.path))) continue;
      out.problem({
        file: c.path,
        code: problemCode(r),
        reason: `${r.code.replace(/_/g, ' ')} (${r.reason})${c.namedBy ? `, named by ${c.namedBy}` : ''}`,
      });
      continue;
    }
    if (seenReal.has(r.realPath)) continue; // the same file under two names: judged once, under the first
    seenReal.add(r.realPath);
    examined++;
    out.addBlob(r.bytes, { file: c.path, realPath: r.realPath, distribution: c.distribution });
  }
  return examined;
}

export async function gatherTls(ctx: ProbeContext<TlsOptions>): Promise<TlsFacts> {
  const { options } = ctx;
  const now = ctx.now().getTime();
  const excluded = options.exclude.map(pathGlobToRegExp);
  const scan: Scan = {
    host: ctx.host,
    signal: ctx.signal,
    out: new Collector(),
    seenPath: new Set<string>(),
    isExcluded: (p) => excluded.some((re) => re.test(p)),
  };
  const candidates = await findCandidates(scan, options);
  const { kubeconfigs, referenced, examined } = await readKubeconfigs(scan, candidates);
  const certificates = [...candidates.filter((c) => c.kind === 'certificate'), ...referenced];
  const filesExamined = examined + (await readCertificates(scan, certificates));
  return {
    now,
    options,
    certificates: scan.out.certificates,
    problems: scan.out.problems,
    filesExamined,
    kubelet: await kubeletFacts(ctx.host, kubeconfigs, scan.out),
  };
}

async function kubeletFacts(
  host: HostRoot,
  kubeconfigs: ReadonlyMap<string, KubeconfigParse>,
  out: Collector,
): Promise<KubeletFacts> {
  const rotatedPath = KUBELET.rotatedClient;
  const rotated: KubeletFacts['rotated'] = { path: rotatedPath, present: (await host.stat(rotatedPath, false)).ok };
  if (rotated.present) {
    const r = await host.resolve(rotatedPath);
    if (r.ok) {
      rotated.realPath = r.realPath;
      const label = out.byRealPath.get(r.realPath)?.[0];
      if (label) rotated.label = label;
    }
    const p = out.problems.find((x) => x.file === rotatedPath);
    if (p) rotated.problem = p.reason;
    else if (!r.ok) rotated.problem = `${r.code.replace(/_/g, ' ')} (${r.reason})`;
  }
  const facts: KubeletFacts = { rotated };
  const path = KUBELET.kubeconfigs.find((p) => kubeconfigs.has(p));
  if (!path) return facts;
  facts.kubeconfig = path;
  const k = kubeconfigs.get(path)!;
  if (!k.ok) {
    facts.problem = k.reason;
    return facts;
  }
  const user = k.currentUser;
  const mine = k.refs.filter((r) => r.owner === 'user' && r.name === user);
  const bad = k.problems.find((p) => p.name === user && p.field.startsWith('client-certificate'));
  // client-go: client-certificate-data overrides client-certificate when both are set.
  const data = mine.find((r) => r.field === 'client-certificate-data');
  const file = mine.find((r) => r.field === 'client-certificate');
  if (bad && !data && !file) facts.problem = bad.reason;
  else if (data) {
    const label = out.byKubeconfigField.get(`${path}\0${data.name}\0${data.field}`);
    facts.ref = {
      kind: 'embedded',
      ...(data.line !== undefined ? { line: data.line } : {}),
      ...(label ? { label } : {}),
    };
  } else if (file?.file) {
    const r = await host.resolve(file.file);
    facts.ref = {
      kind: 'file',
      path: file.file,
      ...(file.line !== undefined ? { line: file.line } : {}),
      ...(r.ok ? { realPath: r.realPath } : { failure: `${r.code.replace(/_/g, ' ')} (${r.reason})` }),
    };
  } else facts.ref = { kind: 'none' };
  return facts;
}
