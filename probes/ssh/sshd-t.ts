/**
 * Runs `sshd -T -C ...` (the daemon's own view of its effective configuration for one connection) and reads
 * its output. Distinguishes "sshd rejects this configuration" from "sshd -T could not run here".
 */
import type { ProbeContext } from '../../src/sdk.js';
import type { ConnectionContext } from './types.js';

export type SshdTResult =
  { ok: true; settings: Map<string, string[]> } | { ok: false; reason: string; rejected?: boolean };

const MAX_LINES = 20_000;
const MAX_LINE = 64 * 1024;

/** `key value` lines -> key -> values (one entry per line). Anything that is not such a line is skipped. */
export function parseSshdTOutput(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let count = 0;
  let start = 0;
  while (start < text.length && count < MAX_LINES) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, Math.min(end, start + MAX_LINE)).replace(/\r$/, '');
    start = end + 1;
    const m = /^([a-z0-9]+) (.*)$/.exec(line);
    if (!m || end - (start - 1) > MAX_LINE) continue;
    count++;
    const key = m[1]!;
    const list = out.get(key);
    if (list) list.push(m[2]!.trimEnd());
    else out.set(key, [m[2]!.trimEnd()]);
  }
  return out;
}

/** Characters that would change the meaning of the -C specification (it is split on commas). */
function badSpecValue(v: string): boolean {
  return /[,\s\0-\x1f\x7f]/.test(v);
}

/**
 * The -C argument: user, host, addr, laddr, lport and rdomain; empty fields are left out so they match
 * nothing, except rdomain, where '' is a real value (a socket bound to no VRF) and only undefined is left out.
 */
export function connectionSpec(
  ctx: ConnectionContext,
  version?: { major: number; minor: number },
): string | { error: string } {
  const parts: string[] = [];
  const fields: [string, string][] = [
    ['user', ctx.user],
    ['host', ctx.host],
    ['addr', ctx.addr],
    ['laddr', ctx.laddr],
  ];
  for (const [k, v] of fields) {
    if (v === '') continue;
    if (badSpecValue(v)) return { error: `${k} ${JSON.stringify(v)} cannot be passed to sshd -C` };
    parts.push(`${k}=${v}`);
  }
  if (!Number.isInteger(ctx.lport) || ctx.lport < 1 || ctx.lport > 65535)
    return { error: `lport ${ctx.lport} is not a port` };
  parts.push(`lport=${ctx.lport}`);
  if (ctx.rdomain !== undefined) {
    if (badSpecValue(ctx.rdomain))
      return { error: `rdomain ${JSON.stringify(ctx.rdomain)} cannot be passed to sshd -C` };
    parts.push(`rdomain=${ctx.rdomain}`);
  }
  // From 9.9 the bare word tells sshd -T the user has no account (Match Invalid-User); older ones reject it.
  const knowsInvalid = version !== undefined && (version.major > 9 || (version.major === 9 && version.minor >= 9));
  if (ctx.userClass === 'invalid' && knowsInvalid) parts.push('invalid-user');
  return parts.join(',');
}

/** stderr phrases meaning sshd read the configuration and refused it. */
const REJECTED = [
  /Bad configuration option/i,
  /terminating, \d+ bad configuration options/i,
  /too many recursive (configuration )?includes/i,
  /is not allowed within a Match block/i,
  /Bad Match condition/i,
  /Invalid Match .* argument/i,
  /line \d+: /,
];

/** stderr phrases meaning sshd could not run the test here, whatever the configuration says. */
const ENVIRONMENT = [
  /no hostkeys available/i,
  /Unable to load host key/i,
  /Missing privilege separation directory/i,
  /must be (run as )?root|requires? root|Permission denied|Operation not permitted/i,
  /Privilege separation user .* does not exist/i,
  /not found|No such file or directory/i,
];

function firstLines(s: string, n = 3): string {
  return s
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^debug\d?:/.test(l))
    .slice(0, n)
    .join('; ')
    .slice(0, 500);
}

function classify(code: number, stderr: string): { ok: false; reason: string; rejected?: boolean } {
  const msg = firstLines(stderr) || 'no message';
  const env = ENVIRONMENT.some((re) => re.test(stderr)) && !/line \d+: /.test(stderr);
  if (!env && REJECTED.some((re) => re.test(stderr))) {
    return { ok: false, rejected: true, reason: `sshd rejected the configuration (exit ${code}): ${msg}` };
  }
  return { ok: false, rejected: false, reason: `sshd -T could not run (exit ${code}): ${msg}` };
}

export async function runSshdT(
  exec: ProbeContext['exec'],
  sshdPath: string,
  ctx: ConnectionContext,
  opts: {
    configFile?: string;
    timeoutMs: number;
    extraArgs?: readonly string[];
    signal?: AbortSignal;
    version?: { major: number; minor: number };
  },
): Promise<SshdTResult> {
  const spec = connectionSpec(ctx, opts.version);
  if (typeof spec !== 'string') return { ok: false, reason: spec.error };
  // extraArgs replays the running daemon's -f/-o/-p/-h/-c (never -E or -d, which write or change behaviour).
  const args = [
    '-T',
    ...(opts.configFile !== undefined ? ['-f', opts.configFile] : []),
    ...(opts.extraArgs ?? []),
    '-C',
    spec,
  ];
  // The scan's signal: a probe that runs out of time stops its sshd (and, sandboxed, all it started) at once.
  const r = await exec(sshdPath, args, {
    timeoutMs: opts.timeoutMs,
    maxOutputBytes: 4 * 1024 * 1024,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (!r.ok) return { ok: false, reason: `sshd -T: ${r.message}${r.stderr ? ` (${firstLines(r.stderr)})` : ''}` };
  if (r.code !== 0) return classify(r.code, r.stderr);
  const settings = parseSshdTOutput(r.stdout);
  if (settings.size === 0)
    return { ok: false, reason: `sshd -T printed no settings${r.stderr ? `: ${firstLines(r.stderr)}` : ''}` };
  return { ok: true, settings };
}
