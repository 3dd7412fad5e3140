/**
 * Parsers for the services probe: dpkg's status file (installed packages), /proc/net/{tcp,udp}{,6} listeners,
 * and the few configuration lines judged (postfix inet_interfaces, exim's dc_local_interfaces, time servers).
 * Text in, values out; never throws.
 */

/** Packages dpkg lists as installed ("Status: install ok installed"), from /var/lib/dpkg/status. */
export function parseDpkgInstalled(text: string): Set<string> {
  const out = new Set<string>();
  for (const stanza of text.split(/\n\s*\n/)) {
    const pkg = /^Package:\s*(\S+)/m.exec(stanza);
    const status = /^Status:\s*(.*)$/m.exec(stanza);
    // "want flag state": the state word must be exactly "installed" (not half-installed, config-files...).
    if (pkg && status && status[1]!.trim().split(/\s+/)[2] === 'installed') out.add(pkg[1]!);
  }
  return out;
}

export interface Listener {
  proto: 'tcp' | 'udp';
  port: number;
  address: string;
  loopback: boolean;
}

/** Listening TCP sockets (state 0A) and bound UDP sockets (state 07) of a /proc/net/{tcp,udp}{,6} table. */
export function parseProcNet(text: string, proto: 'tcp' | 'udp', v6: boolean): Listener[] {
  const out: Listener[] = [];
  for (const l of text.split('\n').slice(1)) {
    const f = l.trim().split(/\s+/);
    if (f.length < 4) continue;
    const m = /^([0-9A-Fa-f]+):([0-9A-Fa-f]{4})$/.exec(f[1]!);
    if (!m || f[3] !== (proto === 'tcp' ? '0A' : '07')) continue;
    const addr = decodeAddress(m[1]!, v6);
    if (!addr) continue;
    out.push({ proto, port: parseInt(m[2]!, 16), address: addr.text, loopback: addr.loopback });
  }
  return out;
}

/** The kernel prints addresses as host-order 32-bit words in hex. */
function decodeAddress(hex: string, v6: boolean): { text: string; loopback: boolean } | undefined {
  if (hex.length !== (v6 ? 32 : 8)) return undefined;
  const words = hex.match(/.{8}/g)!.map((w) =>
    w
      .match(/../g)!
      .reverse()
      .map((b) => parseInt(b, 16)),
  );
  const bytes = words.flat();
  if (!v6) return { text: bytes.join('.'), loopback: bytes[0] === 127 };
  const isMapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255;
  if (isMapped) return { text: `::ffff:${bytes.slice(12).join('.')}`, loopback: bytes[12] === 127 };
  const loop = bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1;
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return { text: loop ? '::1' : groups.join(':'), loopback: loop };
}

/** The last `key = value` of a postfix main.cf (continuation lines start with white space). */
export function postfixValue(text: string, key: string): { value: string; line: number } | undefined {
  let found: { value: string; line: number } | undefined;
  const lines = text.split('\n');
  lines.forEach((l, i) => {
    const m = new RegExp(`^${key}\\s*=\\s*(.*)$`).exec(l);
    if (!m) return;
    let v = m[1]!;
    for (let j = i + 1; j < lines.length && /^\s+\S/.test(lines[j]!) && !lines[j]!.trim().startsWith('#'); j++)
      v += ' ' + lines[j]!.trim();
    found = { value: v.trim(), line: i + 1 };
  });
  return found;
}

/** Whether every address of a postfix inet_interfaces or exim interface list is a loopback one. */
export function loopbackOnly(value: string): boolean {
  const items = value
    .split(/[\s,;]+/)
    .map((s) => s.replace(/^\[|\]$/g, '').replace(/^'|'$/g, ''))
    .filter(Boolean);
  return (
    items.length > 0 &&
    items.every((a) => a === 'loopback-only' || a === 'localhost' || a === '::1' || /^127\./.test(a))
  );
}

/** `server`, `pool` (chrony, ntp) lines and `NTP=` (timesyncd) values that name a time source. */
export function timeSources(text: string, kind: 'chrony' | 'timesyncd'): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const l = raw.replace(/[#;].*/, '').trim();
    if (kind === 'chrony') {
      const m = /^(?:server|pool|peer)\s+(\S+)/.exec(l);
      if (m) out.push(m[1]!);
    } else {
      const m = /^NTP\s*=\s*(.+)$/.exec(l);
      if (m) out.push(...m[1]!.split(/\s+/));
    }
  }
  return out;
}
