/**
 * Bearer tokens accepted by POST /v1/events: the file HOSTWARD_TOKENS_FILE, one token per line (blank
 * lines and `#` comments ignored), re-read when it changes so tokens rotate without a restart. Compared
 * in constant time: every token is compared (as SHA-256 digests, so lengths do not leak) with no early exit.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

export class TokenSet {
  private digests: Buffer[] = [];
  private mtimeMs = -1;
  private size = -1;
  private checkedAt = 0;

  constructor(private readonly file: string) {
    this.reload(true);
    if (this.digests.length === 0) throw new Error(`tokens file ${file} holds no token`);
  }

  get count(): number {
    return this.digests.length;
  }

  /** Re-read the file if it changed (checked at most once a second). Throws at start only. */
  private reload(atStart = false): void {
    try {
      const st = statSync(this.file);
      if (st.mtimeMs === this.mtimeMs && st.size === this.size) return;
      const tokens = readFileSync(this.file, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.length > 0 && !l.startsWith('#'));
      this.digests = tokens.map(digest);
      this.mtimeMs = st.mtimeMs;
      this.size = st.size;
    } catch (e) {
      if (atStart) throw new Error(`cannot read tokens file ${this.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      // Keep the tokens we had: a file being replaced must not lock every agent out.
    }
  }

  /** Whether an Authorization header carries an accepted bearer token. */
  check(authorization: string | undefined): boolean {
    const now = Date.now();
    if (now - this.checkedAt > 1000) {
      this.checkedAt = now;
      this.reload();
    }
    const m = authorization === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    const given = digest(m?.[1] ?? '');
    let ok = 0;
    for (const d of this.digests) ok |= timingSafeEqual(d, given) ? 1 : 0;
    return ok === 1 && m !== null;
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
