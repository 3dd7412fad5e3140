/**
 * Host facts the runtime checks compare against: the kubelet's cgroup driver (read minimally; the kubelet probe
 * owns the kubelet), whether SELinux is on, and the paths auditd watches.
 */
import { yamlLib } from '../../src/sdk.js';
import type { Evidence, HostRoot } from '../../src/sdk.js';
import { lastGoFlag as lastFlag, parseGoFlags } from '../../src/sdk.js';
import type { ProcInfo } from '../../src/sdk.js';

export type KubeletCgroup =
  { state: 'absent' } | { state: 'unknown'; reason: string } | { state: 'ok'; driver: string; evidence: Evidence };

/** cgroupDriver from a KubeletConfiguration (YAML or JSON); the kubelet's default is cgroupfs. */
export function parseKubeletCgroupDriver(
  text: string,
): { ok: true; driver: string; explicit: boolean } | { ok: false; reason: string } {
  let doc: unknown;
  try {
    doc = yamlLib().parse(text, { maxAliasCount: 100 });
  } catch (e) {
    return { ok: false, reason: `YAML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
  if (doc === null || doc === undefined) return { ok: true, driver: 'cgroupfs', explicit: false };
  if (typeof doc !== 'object' || Array.isArray(doc)) return { ok: false, reason: 'not a mapping' };
  const d = (doc as Record<string, unknown>).cgroupDriver;
  if (d === undefined) return { ok: true, driver: 'cgroupfs', explicit: false };
  if (d !== 'systemd' && d !== 'cgroupfs')
    return { ok: false, reason: `cgroupDriver ${JSON.stringify(d)} is neither systemd nor cgroupfs` };
  return { ok: true, driver: d, explicit: true };
}

export async function gatherKubeletCgroup(
  host: HostRoot,
  procs: readonly ProcInfo[],
  configOverride?: string,
): Promise<KubeletCgroup> {
  const kubelet = procs.find((p) => p.comm === 'kubelet');
  const flags = kubelet ? parseGoFlags(kubelet.argv.slice(1), new Set()).flags : [];
  const flag = lastFlag(flags, ['cgroup-driver']);
  if (kubelet && flag?.value)
    return { state: 'ok', driver: flag.value, evidence: { file: kubelet.cmdlineFile, text: flag.text } };
  const path = lastFlag(flags, ['config'])?.value ?? configOverride ?? '/var/lib/kubelet/config.yaml';
  const t = await host.readText(path, { maxBytes: 1024 * 1024 });
  if (!t.ok) return t.code === 'missing' ? { state: 'absent' } : { state: 'unknown', reason: `${path}: ${t.reason}` };
  const p = parseKubeletCgroupDriver(t.text);
  if (!p.ok) return { state: 'unknown', reason: `${path}: ${p.reason}` };
  const line = t.text.split('\n').findIndex((l) => /^\s*"?cgroupDriver"?\s*:/.test(l));
  return {
    state: 'ok',
    driver: p.driver,
    evidence: {
      file: path,
      ...(line >= 0 ? { line: line + 1 } : {}),
      text: p.explicit ? `cgroupDriver: ${p.driver}` : 'cgroupDriver not set (kubelet default cgroupfs)',
    },
  };
}

export type SelinuxState = { enabled: boolean; evidence: Evidence };

export async function gatherSelinux(host: HostRoot): Promise<SelinuxState> {
  const t = await host.readText('/sys/fs/selinux/enforce', { maxBytes: 64 });
  if (t.ok)
    return {
      enabled: true,
      evidence: { file: '/sys/fs/selinux/enforce', text: t.text.trim() === '1' ? 'enforcing' : 'permissive' },
    };
  return { enabled: false, evidence: { text: 'no /sys/fs/selinux: SELinux is not enabled' } };
}

export interface AuditRules {
  /** Rules files read; empty when auditd is not configured. */
  files: string[];
  /** Watched paths (-w path, -F path=, -F dir=) with where each is set. */
  watched: Map<string, Evidence>;
}

/** Paths watched by auditctl rules text. */
export function parseAuditRules(
  text: string,
  file: string,
  into: Map<string, Evidence> = new Map(),
): Map<string, Evidence> {
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const toks = line.split(/\s+/);
    for (let j = 0; j < toks.length; j++) {
      const t = toks[j]!;
      let p: string | undefined;
      if (t === '-w') p = toks[j + 1];
      else if (t === '-F') {
        const m = /^(?:path|dir)=(.+)$/.exec(toks[j + 1] ?? '');
        p = m?.[1];
      }
      if (p && p.startsWith('/') && !into.has(p.replace(/\/+$/, '') || '/'))
        into.set(p.replace(/\/+$/, '') || '/', { file, line: i + 1, text: line.slice(0, 200) });
    }
  });
  return into;
}

export async function gatherAuditRules(host: HostRoot): Promise<AuditRules> {
  const files = [...(await host.glob('/etc/audit/rules.d/*.rules')), '/etc/audit/audit.rules'];
  const out: AuditRules = { files: [], watched: new Map() };
  for (const f of files) {
    const t = await host.readText(f, { maxBytes: 4 * 1024 * 1024 });
    if (!t.ok) continue;
    out.files.push(f);
    parseAuditRules(t.text, f, out.watched);
  }
  return out;
}
