/** OS detection from os-release, as systemd defines it: /etc/os-release, else /usr/lib/os-release. */
import os from 'node:os';
import type { OsInfo } from '../contracts.js';
import type { HostRoot } from './root.js';

/** Parse os-release(5): KEY=value lines, values optionally quoted with shell-style escapes. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!;
    if (
      (v.startsWith('"') && v.endsWith('"') && v.length >= 2) ||
      (v.startsWith("'") && v.endsWith("'") && v.length >= 2)
    ) {
      v = v.slice(1, -1).replace(/\\(["'$`\\])/g, '$1');
    }
    out[m[1]!] = v.slice(0, 512);
  }
  return out;
}

export async function detectOs(host: HostRoot): Promise<OsInfo> {
  let fields: Record<string, string> = {};
  for (const p of ['/etc/os-release', '/usr/lib/os-release']) {
    const r = await host.readText(p, { maxBytes: 64 * 1024 });
    if (r.ok) {
      fields = parseOsRelease(r.text);
      break;
    }
  }
  // The kernel is shared with the container; a fixture root may carry its own /proc/sys/kernel/osrelease.
  const k = await host.readText('/proc/sys/kernel/osrelease', { maxBytes: 4096 });
  const kernel = k.ok && k.text.trim() ? k.text.trim().slice(0, 256) : os.release();
  return {
    id: fields.ID ?? 'unknown',
    versionId: fields.VERSION_ID ?? '',
    prettyName: fields.PRETTY_NAME ?? fields.NAME ?? 'unknown',
    kernel,
  };
}

/** The node's name: the DaemonSet passes NODE_NAME from the downward API; else the host's /etc/hostname. */
export async function detectNodeName(host: HostRoot, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const fromEnv = env.HOSTWARD_NODE_NAME ?? env.NODE_NAME;
  if (fromEnv) return fromEnv;
  if (!host.isHostRoot) {
    const r = await host.readText('/etc/hostname', { maxBytes: 4096 });
    const name = r.ok ? r.text.trim().split('\n')[0]?.trim() : undefined;
    if (name && /^[A-Za-z0-9.-]{1,253}$/.test(name)) return name;
  }
  return os.hostname();
}
