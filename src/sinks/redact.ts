/**
 * The one redaction of the collector's secrets (sink URLs, routing keys, signing secrets), for every place a
 * message can go: the logs (a pino hook), the delivery queue's last_error (and so the fleet page), test-sink
 * output and CLI errors (the error messages of http.ts).
 *
 * A receiver that echoes part of what it was sent must not put the secret in our text: Slack answers a bad
 * webhook with its path, a proxy upper-cases it, a framework percent-encodes it. So each secret is masked as a
 * whole and, for a secret URL, also each part that is a credential on its own: userinfo, every path segment
 * and query value that looks unguessable (long, or with digits or mixed case: Slack's T…, B… and token
 * segments, a UUID, a token), never short plain words ("services", "api", "hooks") that would mask harmless
 * text. Matching ignores case and accepts any character percent-encoded (also twice: %25xx).
 */

/** Shorter strings are never masked: masking "ab" everywhere would destroy messages and reveal nothing kept. */
const MIN_SECRET = 4;

/** A path segment or query value that is a credential (or part of one), not a word of an API's path. */
export function looksSecret(part: string): boolean {
  if (part.length < 6) return false;
  if (part.length >= 20) return true;
  return /[0-9]/.test(part) || (/[a-z]/.test(part) && /[A-Z]/.test(part));
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The strings to mask for a URL that is itself a secret (Slack, a webhook with a token) or carries one. */
export function urlSecrets(url: string): string[] {
  const out = [url];
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return out;
  }
  if (u.password) out.push(decode(u.password));
  if (u.username && (looksSecret(decode(u.username)) || u.password === '')) out.push(decode(u.username));
  const segments = u.pathname.split('/').map(decode).filter(looksSecret);
  out.push(...segments);
  if (segments.length > 0) out.push(u.pathname, decode(u.pathname));
  const values = [...u.searchParams.values()].filter(looksSecret);
  out.push(...values);
  if (values.length > 0) out.push(u.search.slice(1));
  return out;
}

/**
 * A Slack incoming webhook's secrets: urlSecrets, and every segment after /services/ whatever its shape
 * (team, channel and token: Slack documents the whole path as the secret).
 */
export function slackSecrets(url: string): string[] {
  const out = urlSecrets(url);
  try {
    const segs = new URL(url).pathname.split('/').map(decode);
    const at = segs.indexOf('services');
    if (at >= 0) out.push(...segs.slice(at + 1));
  } catch {
    // not a URL: masked whole only
  }
  return out;
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** A pattern for `secret` in any case, each character as itself or percent-encoded (once or twice). */
function patternOf(secret: string): string {
  let p = '';
  for (const ch of secret) {
    const hex = [...Buffer.from(ch, 'utf8')].map((b) => `%(?:25)?${b.toString(16).padStart(2, '0')}`).join('');
    p += `(?:${escapeRe(ch)}|${hex})`;
  }
  return p;
}

/** Masks a set of secrets in text. */
export class Redactor {
  private readonly secrets = new Set<string>();
  private re: RegExp | undefined;

  constructor(secrets: Iterable<string> = []) {
    this.add(secrets);
  }

  add(secrets: Iterable<string>): void {
    const before = this.secrets.size;
    for (const s of secrets) if (s.length >= MIN_SECRET) this.secrets.add(s);
    if (this.secrets.size === before) return;
    // Longest first: the whole URL is masked before its segments, leaving one marker.
    const all = [...this.secrets].sort((a, b) => b.length - a.length);
    this.re = new RegExp(all.map(patternOf).join('|'), 'gi');
  }

  redact(text: string): string {
    return this.re ? text.replace(this.re, '[redacted]') : text;
  }

  get size(): number {
    return this.secrets.size;
  }
}

/** Mask `secrets` in `text` (each whole, in any case, percent-encoded or not). */
export function redactText(text: string, secrets: readonly string[] = []): string {
  return secrets.length === 0 ? text : new Redactor(secrets).redact(text);
}

/**
 * The process's secrets: every sink registers its own when built, and the logger, the delivery queue and the
 * CLI mask them all, whatever sink's message it is.
 */
const processSecrets = new Redactor();

export function registerSecrets(secrets: Iterable<string>): void {
  processSecrets.add(secrets);
}

export function redactSecrets(text: string): string {
  return processSecrets.redact(text);
}
