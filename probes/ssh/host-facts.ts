/**
 * Host facts the ssh probe needs besides sshd_config: where sshd is, which OpenSSH version (for defaults),
 * the host's users and groups (for Match User/Group), and the connection contexts to evaluate.
 */
import { readDpkgStatus, ipFamily } from '../../src/sdk.js';
import type { HostRoot, ProbeContext } from '../../src/sdk.js';
import type { ConnectionContext, OpenSshVersion, ParsedConfig } from './types.js';

export const SSHD_CANDIDATES = [
  '/usr/sbin/sshd',
  '/usr/bin/sshd',
  '/usr/local/sbin/sshd',
  '/sbin/sshd',
  '/usr/libexec/openssh/sshd',
];

export async function findSshd(host: HostRoot): Promise<string | undefined> {
  for (const p of SSHD_CANDIDATES) {
    const st = await host.stat(p);
    if (st.ok && st.type === 'file') return p;
  }
  return undefined;
}

/** The Debian 12 default, used only when nothing on the host tells the version. */
const ASSUMED: OpenSshVersion = { major: 9, minor: 2, raw: 'assumed 9.2', source: 'assumed' };

export function parseVersionString(s: string): { major: number; minor: number } | undefined {
  const m = /(?:OpenSSH_|^(?:\d+:)?)(\d+)\.(\d+)/.exec(s);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]) };
}

/** Find the openssh-server entry in a dpkg status file. */
export function dpkgVersion(status: string, pkg = 'openssh-server'): string | undefined {
  for (const para of status.split(/\n\s*\n/)) {
    if (!new RegExp(`^Package: ${pkg}$`, 'm').test(para)) continue;
    if (!/^Status: .* installed$/m.test(para)) continue;
    return /^Version: (\S+)$/m.exec(para)?.[1];
  }
  return undefined;
}

/**
 * Which OpenSSH, for version-dependent defaults and back-ported fixes. The package database comes first
 * because its version carries the distribution's revision (1:9.2p1-2+deb12u2 has the Terrapin fix, 9.2p1
 * upstream does not); then the binary's own answer; then the version string compiled into it.
 */
export async function detectVersion(
  ctx: ProbeContext,
  sshdPath: string | undefined,
  canExec: boolean,
): Promise<OpenSshVersion> {
  const st = await readDpkgStatus(ctx.host);
  if (st.ok) {
    const raw = dpkgVersion(st.text);
    const v = raw ? parseVersionString(raw) : undefined;
    if (raw && v) return { ...v, raw, source: 'dpkg' };
  }
  if (sshdPath && canExec) {
    // sshd -V exists from 9.x; older ones print the version in the usage text, which is as good.
    const r = await ctx.exec(sshdPath, ['-V'], { timeoutMs: 3000, maxOutputBytes: 64 * 1024, signal: ctx.signal });
    const text = r.ok ? r.stdout + r.stderr : r.stderr;
    const m = /OpenSSH_[0-9][^\s,]*/.exec(text);
    const v = m ? parseVersionString(m[0]) : undefined;
    if (m && v) return { ...v, raw: m[0], source: 'sshd' };
  }
  if (sshdPath) {
    const b = await ctx.host.readBytes(sshdPath, { maxBytes: 16 * 1024 * 1024 });
    if (b.ok) {
      const i = b.bytes.indexOf('OpenSSH_');
      if (i >= 0) {
        const raw =
          b.bytes
            .subarray(i, i + 32)
            .toString('latin1')
            .split(/[\0\s,]/)[0] ?? '';
        const v = parseVersionString(raw);
        if (v) return { ...v, raw, source: 'binary' };
      }
    }
  }
  return ASSUMED;
}

export interface Account {
  name: string;
  uid: number;
  gid: number;
  shell: string;
}

export function parsePasswd(text: string): Account[] {
  const out: Account[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || !f[0] || f[0].startsWith('#')) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    out.push({ name: f[0], uid, gid, shell: f[6] ?? '' });
  }
  return out;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || !f[0] || f[0].startsWith('#')) continue;
    const gid = Number(f[2]);
    if (!Number.isInteger(gid)) continue;
    out.push({
      name: f[0],
      gid,
      members: (f[3] ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    });
  }
  return out;
}

export function groupsOf(user: Account | undefined, groups: readonly GroupEntry[]): string[] {
  if (!user) return [];
  const names = new Set<string>();
  for (const g of groups) if (g.gid === user.gid || g.members.includes(user.name)) names.add(g.name);
  return [...names].sort();
}

const NOLOGIN = /(nologin|false|sync|shutdown|halt)$/;

/** An outside address to evaluate from when no Match block names one: TEST-NET-3, never a real peer. */
export const OUTSIDE_ADDRESS = '203.0.113.10';

/** One address that matches an sshd address pattern (CIDR, literal, or with * and ?), or undefined. */
export function addressFor(pattern: string): string | undefined {
  const p = pattern.trim();
  if (!p || p.startsWith('!')) return undefined;
  const [base, bitsText] = p.split('/');
  if (!base) return undefined;
  if (bitsText !== undefined) {
    const bits = Number(bitsText);
    const family = ipFamily(base);
    if (family === 4 && Number.isInteger(bits) && bits >= 0 && bits <= 32) {
      const n = base.split('.').reduce((a, o) => a * 256 + Number(o), 0);
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      const host = bits >= 31 ? (n & mask) >>> 0 : ((n & mask) >>> 0) + 1;
      return [24, 16, 8, 0].map((s) => (host >>> s) & 255).join('.');
    }
    if (family === 6 && Number.isInteger(bits)) return base.endsWith('::') ? base + '1' : base;
    return undefined;
  }
  const literal = p.replace(/\*/g, '1').replace(/\?/g, '1');
  return ipFamily(literal) ? literal : undefined;
}

/** Literal (no wildcard, not negated) patterns of one Match criterion kind. */
function literalPatterns(parsed: ParsedConfig, kind: string): string[] {
  const names = new Set<string>();
  for (const b of parsed.matchBlocks) {
    for (const c of b.criteria) {
      if (c.kind !== kind) continue;
      for (const p of c.patterns.split(',')) if (p && !/[*?!]/.test(p)) names.add(p);
    }
  }
  return [...names];
}

/**
 * Users a Match block is about: those named in Match User, and one member of each group named in Match
 * Group (a supplementary member, else an account whose primary group it is).
 */
function matchUsers(parsed: ParsedConfig, passwd: readonly Account[], groups: readonly GroupEntry[]): string[] {
  const out = literalPatterns(parsed, 'user');
  for (const g of literalPatterns(parsed, 'group')) {
    const entry = groups.find((e) => e.name === g);
    if (!entry) continue;
    const member =
      entry.members.find((m) => m !== 'root') ?? passwd.find((a) => a.gid === entry.gid && a.name !== 'root')?.name;
    if (member) out.push(member);
  }
  return out;
}

function matchAddresses(parsed: ParsedConfig): string[] {
  const out = new Set<string>();
  for (const b of parsed.matchBlocks) {
    for (const c of b.criteria) {
      if (c.kind !== 'address') continue;
      for (const p of c.patterns.split(',')) {
        const a = addressFor(p);
        if (a) out.add(a);
      }
    }
  }
  return [...out];
}

export interface ContextInputs {
  parsed: ParsedConfig | undefined;
  passwd: Account[];
  groups: GroupEntry[];
  ports: number[];
  laddr: string;
  extraAddresses: readonly string[];
  maxContexts?: number;
  /**
   * UseDNS yes: sshd matches Match Host against the client's reverse-resolved name, which the probe does not
   * know for these addresses, so the contexts say so (hostUnresolved); otherwise against the address string.
   */
  useDns?: boolean;
  /** The routing domain connections arrive in (Linux: '' for sockets bound to no VRF); absent leaves it out. */
  rdomain?: string;
}

/**
 * The connections to evaluate (with UseDNS no, sshd's Match Host sees the address, so host is the address): root, an
 * ordinary user of the host (and users named in Match blocks), a user
 * that does not exist; from an outside address and from every address a Match Address block names; to every
 * port sshd listens on. Match blocks for other users or addresses are still seen by ssh.match_weakens_auth.
 */
export function buildContexts(inp: ContextInputs): ConnectionContext[] {
  const byName = new Map(inp.passwd.map((a) => [a.name, a]));
  const users: { cls: ConnectionContext['userClass']; name: string; desc: string }[] = [
    { cls: 'root', name: 'root', desc: 'root' },
  ];
  const ordinary = inp.passwd.find((a) => a.uid >= 1000 && a.uid < 60000 && !NOLOGIN.test(a.shell));
  if (ordinary) users.push({ cls: 'user', name: ordinary.name, desc: `user ${ordinary.name}` });
  for (const n of inp.parsed ? matchUsers(inp.parsed, inp.passwd, inp.groups) : []) {
    if (!users.some((u) => u.name === n)) users.push({ cls: 'user', name: n, desc: `user ${n}` });
  }
  const invalid = 'hostward-no-such-user';
  users.push({ cls: 'invalid', name: invalid, desc: 'a non-existent user' });

  const addrs = [OUTSIDE_ADDRESS, ...(inp.parsed ? matchAddresses(inp.parsed) : []), ...inp.extraAddresses];
  const uniqAddrs = [...new Set(addrs)];
  const ports = inp.ports.length ? [...new Set(inp.ports)] : [22];
  const out: ConnectionContext[] = [];
  const max = inp.maxContexts ?? 64;
  for (const addr of uniqAddrs) {
    for (const lport of ports) {
      for (const u of users) {
        if (out.length >= max) return out;
        const from = addr === OUTSIDE_ADDRESS ? '' : ` from ${addr}`;
        const port = ports.length > 1 ? ` on port ${lport}` : '';
        const c: ConnectionContext = {
          userClass: u.cls,
          user: u.name,
          groups: u.cls === 'invalid' ? [] : groupsOf(byName.get(u.name), inp.groups),
          host: addr,
          addr,
          laddr: inp.laddr,
          lport,
          label: `${u.desc}${from}${port}`,
        };
        if (inp.useDns) c.hostUnresolved = true;
        if (inp.rdomain !== undefined) c.rdomain = inp.rdomain;
        out.push(c);
      }
    }
  }
  return out;
}
