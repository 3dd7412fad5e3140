/**
 * What the container runtime does when the kubelet sends no seccomp profile: a minimal reading of
 * containerd's CRI `unset_seccomp_profile` (empty = unconfined) and CRI-O's `seccomp_use_default_when_empty`
 * (up to 1.29; later CRI-O runs such containers unconfined). The runtime probe (probes/runtime/) reads these
 * files in full; this module is kept small so that the two can be merged onto its effectiveContainerd /
 * effectiveCrio. smol-toml is loaded on first use.
 */
import path from 'node:path';
import { tomlLib } from '../../src/sdk.js';
import type * as TomlModule from 'smol-toml';
import type { Evidence, HostRoot } from '../../src/sdk.js';
import type { Setting } from '../kubelet/types.js';
import type { RuntimeDefault, RuntimeName } from './types.js';


const MAX_TOML_BYTES = 1024 * 1024;
const MAX_IMPORTS = 64;

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

export function parseToml(text: string): { ok: true; doc: Table } | { ok: false; reason: string } {
  try {
    return { ok: true, doc: tomlLib().parse(text) as Table };
  } catch (e) {
    return { ok: false, reason: `not TOML: ${String((e as Error).message).split('\n')[0]}` };
  }
}

/** The line that sets a key, for evidence. */
export function lineOf(text: string, key: string): Evidence | undefined {
  const lines = text.split('\n');
  const re = new RegExp(`^\\s*${key}\\s*=`);
  for (let i = lines.length - 1; i >= 0; i--) if (re.test(lines[i]!)) return { line: i + 1, text: lines[i]!.trim().slice(0, 300) };
  return undefined;
}

/** containerd's CRI unset_seccomp_profile from a parsed config (v2 `io.containerd.grpc.v1.cri`, v3 `io.containerd.cri.v1.runtime`). */
export function containerdUnsetProfile(doc: Table): string | undefined {
  const plugins = doc.plugins;
  if (!isTable(plugins)) return undefined;
  for (const k of ['io.containerd.cri.v1.runtime', 'io.containerd.grpc.v1.cri']) {
    const p = plugins[k];
    if (isTable(p) && typeof p.unset_seccomp_profile === 'string') return p.unset_seccomp_profile;
  }
  return undefined;
}

/** CRI-O's [crio.runtime] seccomp settings from a parsed crio.conf or drop-in. */
export function crioSeccomp(doc: Table): { profile?: string; useDefaultWhenEmpty?: boolean } {
  const crio = doc.crio;
  const rt = isTable(crio) ? crio.runtime : undefined;
  if (!isTable(rt)) return {};
  const out: { profile?: string; useDefaultWhenEmpty?: boolean } = {};
  if (typeof rt.seccomp_profile === 'string') out.profile = rt.seccomp_profile;
  if (typeof rt.seccomp_use_default_when_empty === 'boolean') out.useDefaultWhenEmpty = rt.seccomp_use_default_when_empty;
  return out;
}

async function readToml(host: HostRoot, file: string, out: RuntimeDefault): Promise<{ doc: Table; text: string } | undefined> {
  const r = await host.readText(file, { maxBytes: MAX_TOML_BYTES });
  if (!r.ok) {
    if (r.code !== 'missing') {
      out.problems.push(`${file}: ${r.code.replace(/_/g, ' ')} (${r.reason})`);
      out.unreadable ??= `${file}: ${r.code.replace(/_/g, ' ')} (${r.reason})`;
    }
    return undefined;
  }
  const p = parseToml(r.text);
  if (!p.ok) {
    out.problems.push(`${file}: ${p.reason}`);
    out.unreadable ??= `${file}: ${p.reason}`;
    return undefined;
  }
  return { doc: p.doc, text: r.text };
}

const CONTAINERD_CONFIGS = ['/etc/containerd/config.toml', '/var/lib/rancher/k3s/agent/etc/containerd/config.toml', '/var/lib/rancher/rke2/agent/etc/containerd/config.toml'];

async function containerd(host: HostRoot, why: string): Promise<RuntimeDefault> {
  const out: RuntimeDefault = { runtime: 'containerd', why, evidence: [], problems: [] };
  let main: string | undefined;
  for (const c of CONTAINERD_CONFIGS) if (!main && (await host.stat(c)).ok) main = c;
  if (!main) {
    out.profile = '';
    out.detail = 'unset_seccomp_profile is "" (no config.toml: the built-in default)';
    out.evidence.push({ text: 'no containerd config.toml: the built-in default unset_seccomp_profile = "" (unconfined) is in force' });
    return out;
  }
  const m = await readToml(host, main, out);
  if (!m) return out;
  out.profile = '';
  out.detail = `unset_seccomp_profile is not set in ${main} (default "")`;
  out.evidence.push({ file: main, text: 'unset_seccomp_profile not set: "" (unconfined)' });
  const files: { file: string; doc: Table; text: string }[] = [];
  // imports are merged before the file that names them; scalars in the main file win.
  const imports = Array.isArray(m.doc.imports) ? m.doc.imports.filter((x): x is string => typeof x === 'string') : [];
  for (const pat of imports.slice(0, MAX_IMPORTS)) {
    const abs = path.posix.resolve(path.posix.dirname(main), pat);
    for (const f of (await host.glob(abs)).slice(0, MAX_IMPORTS)) {
      const t = await readToml(host, f, out);
      if (t) files.push({ file: f, ...t });
    }
  }
  files.push({ file: main, ...m });
  for (const f of files) {
    const v = containerdUnsetProfile(f.doc);
    if (v === undefined) continue;
    out.profile = v;
    const at = lineOf(f.text, 'unset_seccomp_profile');
    out.evidence = [{ file: f.file, ...(at ?? { text: `unset_seccomp_profile = ${JSON.stringify(v)}` }) }];
    out.detail = `unset_seccomp_profile is ${JSON.stringify(v)} (${f.file}${at?.line ? ':' + at.line : ''})`;
  }
  return out;
}

async function crio(host: HostRoot, why: string): Promise<RuntimeDefault> {
  const out: RuntimeDefault = { runtime: 'cri-o', why, evidence: [], problems: [] };
  const files = ['/etc/crio/crio.conf', ...(await host.glob('/etc/crio/crio.conf.d/*'))];
  let useDefault: { v: boolean; ev: Evidence } | undefined;
  let profile: { v: string; ev: Evidence } | undefined;
  for (const f of files) {
    const t = await readToml(host, f, out);
    if (!t) continue;
    const s = crioSeccomp(t.doc);
    if (s.useDefaultWhenEmpty !== undefined) useDefault = { v: s.useDefaultWhenEmpty, ev: { file: f, ...(lineOf(t.text, 'seccomp_use_default_when_empty') ?? {}) } };
    if (s.profile !== undefined) profile = { v: s.profile, ev: { file: f, ...(lineOf(t.text, 'seccomp_profile') ?? {}) } };
  }
  if (out.unreadable) return out;
  const where = (e: Evidence | undefined) => (e?.file ? ` (${e.file}${e.line ? ':' + e.line : ''})` : '');
  out.detail = useDefault ? `seccomp_use_default_when_empty is ${useDefault.v}${where(useDefault.ev)}` : 'seccomp_use_default_when_empty is not set';
  if (useDefault?.v) {
    out.profile = profile?.v || 'the CRI-O built-in default';
    out.evidence.push(useDefault.ev, ...(profile ? [profile.ev] : []));
  } else {
    out.profile = '';
    out.evidence.push(
      useDefault ? useDefault.ev : { text: 'seccomp_use_default_when_empty is not set: CRI-O 1.30 and later run a container without a profile unconfined (1.24-1.29 defaulted it to true)' },
    );
  }
  return out;
}

/** Which runtime the kubelet uses, from its endpoint, else the running daemons, else installed configs. */
export async function runtimeDefault(host: HostRoot, endpoint: Setting | undefined, daemons: ReadonlySet<string>): Promise<RuntimeDefault> {
  const ep = typeof endpoint?.value === 'string' && endpoint.source !== 'default' ? endpoint.value : undefined;
  let rt: RuntimeName = 'unknown';
  let why = '';
  if (ep) {
    why = `the kubelet's containerRuntimeEndpoint ${ep}`;
    rt = /crio/.test(ep) ? 'cri-o' : /dockershim|cri-dockerd|docker/.test(ep) ? 'docker' : /containerd/.test(ep) ? 'containerd' : 'unknown';
  }
  if (rt === 'unknown' && daemons.size > 0) {
    rt = daemons.has('crio') ? 'cri-o' : daemons.has('containerd') ? 'containerd' : 'unknown';
    if (rt !== 'unknown') why = `a running ${rt === 'cri-o' ? 'crio' : 'containerd'} process`;
  }
  if (rt === 'unknown') {
    if ((await host.stat('/etc/crio/crio.conf')).ok || (await host.glob('/etc/crio/crio.conf.d/*')).length > 0) [rt, why] = ['cri-o', '/etc/crio exists'];
    else {
      for (const c of CONTAINERD_CONFIGS) if (rt === 'unknown' && (await host.stat(c)).ok) [rt, why] = ['containerd', `${c} exists`];
    }
  }
  if (rt === 'containerd') return containerd(host, why);
  if (rt === 'cri-o') return crio(host, why);
  if (rt === 'docker') return { runtime: 'docker', why, profile: '', detail: 'cri-dockerd sends "unconfined"', evidence: [{ text: 'cri-dockerd sends "unconfined" for a pod that names no profile' }], problems: [] };
  return { runtime: 'unknown', why: 'no runtime endpoint, daemon or configuration found', evidence: [], problems: [] };
}
