/**
 * Bearer tokens accepted by the collector: the file HOSTWARD_TOKENS_FILE, one token per line (blank lines and
 * `#` comments ignored), re-read when it changes so tokens rotate without a restart. Compared in constant time:
 * every token is compared (as SHA-256 digests, so lengths do not leak) with no early exit.
 *
 * A line may bind its token to nodes: `<token> node=<name>` or `<token> node=<glob>` (`*` any run of name
 * characters, `?` one). A bound token is an agent's: it writes events for the nodes it names and nothing
 * else, and does not open the read API or the fleet page (one node's credential must not list the fleet's
 * weaknesses). An unbound line is what every line was before bindings: it writes for any node (allowed,
 * logged and counted as unbound, or refused with `collector.requireNodeBinding`) and opens the read API.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

/** Who sent a request, as far as the collector can tell; `id` is a non-secret handle (no token in it). */
export type Caller =
  | { kind: 'node'; node: string; via: 'token' | 'serviceaccount'; id: string }
  | { kind: 'pattern'; pattern: string; id: string }
  | { kind: 'unbound'; id: string };

interface Entry {
  digest: Buffer;
  /** The node binding as written (a name or a glob); absent for an unbound token. */
  node?: string;
  id: string;
}

const GLOB_RE = /^[A-Za-z0-9._*?-]{1,253}$/;

/** Whether a node name matches a binding (a plain name, or a glob of `*` and `?`). */
export function nodeMatches(binding: string, node: string): boolean {
  if (!/[*?]/.test(binding)) return binding === node;
  const re = new RegExp(
    `^${binding.replace(/[.]/g, '\\.').replace(/\*/g, '[A-Za-z0-9._-]*').replace(/\?/g, '[A-Za-z0-9._-]')}$`,
  );
  return re.test(node);
}

/** One line of the tokens file: the token and its attributes; throws naming the line. */
function parseLine(line: string, n: number): { token: string; node?: string } {
  const [token, ...attrs] = line.split(/\s+/);
  let node: string | undefined;
  for (const a of attrs) {
    const m = /^node=(.*)$/.exec(a);
    if (!m)
      throw new Error(
        `line ${n}: unknown attribute ${JSON.stringify(a.split('=')[0]!.slice(0, 40))} (only node=<name-or-glob>)`,
      );
    if (node !== undefined) throw new Error(`line ${n}: node= given twice`);
    if (!GLOB_RE.test(m[1]!))
      throw new Error(`line ${n}: node= must be a node name or a glob of letters, digits, . _ - * ?`);
    node = m[1]!;
  }
  return node === undefined ? { token: token! } : { token: token!, node };
}

export class TokenSet {
  private entries: Entry[] = [];
  private digests: Buffer[] = [];
  private mtimeMs = -1;
  private size = -1;
  private checkedAt = 0;

  constructor(
    private readonly file: string,
    private readonly onReloadError: (message: string) => void = () => {},
  ) {
    this.reload(true);
    if (this.entries.length === 0) throw new Error(`tokens file ${file} holds no token`);
  }

  get count(): number {
    return this.entries.length;
  }

  /** Tokens without a node binding (each may write for any node). */
  get unbound(): number {
    return this.entries.filter((e) => e.node === undefined).length;
  }

  /** Re-read the file if it changed (checked at most once a second). Throws at start only. */
  private reload(atStart = false): void {
    try {
      const st = statSync(this.file);
      if (st.mtimeMs === this.mtimeMs && st.size === this.size) return;
      const entries = readFileSync(this.file, 'utf8')
        .split('\n')
        .map((l, i) => ({ l: l.trim(), n: i + 1 }))
        .filter(({ l }) => l.length > 0 && !l.startsWith('#'))
        .map(({ l, n }) => {
          const { token, node } = parseLine(l, n);
          const d = digest(token);
          return { digest: d, id: `token:${d.toString('hex').slice(0, 12)}`, ...(node === undefined ? {} : { node }) };
        });
      this.entries = entries;
      this.digests = entries.map((e) => e.digest);
      this.mtimeMs = st.mtimeMs;
      this.size = st.size;
    } catch (e) {
      const msg = `${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
      if (atStart) throw new Error(`cannot read tokens file ${this.file}: ${msg}`);
      // Keep the tokens we had: a file being replaced (or a bad edit) must not lock every agent out.
      this.onReloadError(`tokens file ${this.file}: ${msg}; keeping the tokens read before`);
    }
  }

  private refresh(): void {
    const now = Date.now();
    if (now - this.checkedAt > 1000) {
      this.checkedAt = now;
      this.reload();
    }
  }

  /** The entry whose token an Authorization header carries, compared against every token without an early exit. */
  private find(authorization: string | undefined): Entry | undefined {
    this.refresh();
    const m = authorization === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    const given = digest(m?.[1] ?? '');
    let hit = -1;
    // Every digest is compared; forEach has no early exit. The last match wins (a token listed twice).
    this.digests.forEach((d, i) => {
      if (timingSafeEqual(d, given)) hit = i;
    });
    return m === null || hit < 0 ? undefined : this.entries[hit];
  }

  /** Whether an Authorization header carries a reader's token: an unbound one (the read API, the fleet page). */
  check(authorization: string | undefined): boolean {
    const e = this.find(authorization);
    return e !== undefined && e.node === undefined;
  }

  /** Who a bearer token speaks for, or undefined when it is none of ours. */
  identify(authorization: string | undefined): Caller | undefined {
    const e = this.find(authorization);
    if (!e) return undefined;
    if (e.node === undefined) return { kind: 'unbound', id: e.id };
    return /[*?]/.test(e.node)
      ? { kind: 'pattern', pattern: e.node, id: e.id }
      : { kind: 'node', node: e.node, via: 'token', id: e.id };
  }
}

/** The bearer value of an Authorization header, or undefined. */
export function bearer(authorization: string | undefined): string | undefined {
  const m = authorization === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
  return m?.[1];
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
