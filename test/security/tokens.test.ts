/**
 * Bearer tokens (src/collector/auth.ts): what is accepted and refused, rotation, and a check of the code
 * that the comparison is constant-time: every configured token is compared, as fixed-length digests,
 * with crypto.timingSafeEqual, with no early exit; and nothing else in the collector compares a
 * presented credential by itself.
 */
import { describe, it, expect, afterAll, vi } from 'vitest';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TokenSet } from '../../src/collector/auth.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-tokens-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function tokens(text: string): { set: TokenSet; file: string } {
  const file = path.join(dir, `tokens-${n++}`);
  writeFileSync(file, text);
  return { set: new TokenSet(file), file };
}

const A = 'tok-A-0123456789abcdef0123456789abcdef';
const B = 'tok-B-fedcba9876543210';

describe('TokenSet semantics', () => {
  const { set } = tokens(`# agents of cluster 1\n\n  ${A}  \n#${B}-commented\n${B}\n`);

  it('counts tokens, ignoring blank lines and comments', () => {
    expect(set.count).toBe(2);
  });

  it('accepts each configured token, with the Bearer scheme in any case', () => {
    for (const h of [`Bearer ${A}`, `Bearer ${B}`, `bearer ${A}`, `BEARER ${B}`, `Bearer   ${A}`, `Bearer ${A} `])
      expect(set.check(h), h).toBe(true);
  });

  it('refuses everything else', () => {
    const refused = [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      A,
      `Basic ${A}`,
      `Token ${A}`,
      `Bearer ${A.slice(0, -1)}`,
      `Bearer ${A}x`,
      `Bearer x${A}`,
      `Bearer ${A.toUpperCase()}`,
      `Bearer ${A} ${B}`,
      `Bearer #${B}-commented`,
      `Bearer ${B}-commented`,
      `Bearer\t${A}\nX-Injected: 1`,
      `Bearer ${'A'.repeat(100_000)}`,
      // The digest of an empty token must not match anything.
      'Bearer ""',
    ];
    for (const h of refused) expect(set.check(h), String(h).slice(0, 60)).toBe(false);
  });

  it('a file with no token refuses to start; an unreadable file at start names the file, not its content', () => {
    expect(() => tokens('# nothing\n\n')).toThrow(/holds no token/);
    expect(() => new TokenSet(path.join(dir, 'missing'))).toThrow(/cannot read tokens file .*missing: ENOENT/);
  });

  it('rotation: a changed file is re-read (within a second); an unreadable one keeps the tokens it had', () => {
    // A fake clock moved by hand past the second between looks at the file.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const { set: s, file } = tokens(`${A}\n`);
      expect(s.check(`Bearer ${A}`)).toBe(true);
      writeFileSync(file, `${B}\n`);
      utimesSync(file, new Date(), new Date(Date.now() + 5000));
      expect(s.check(`Bearer ${A}`)).toBe(true); // within the second: not looked at again yet
      vi.advanceTimersByTime(1100);
      expect(s.check(`Bearer ${B}`)).toBe(true);
      expect(s.check(`Bearer ${A}`)).toBe(false);
      // Mid-rotation the file is briefly missing: keep B rather than lock every agent out.
      rmSync(file);
      vi.advanceTimersByTime(1100);
      expect(s.check(`Bearer ${B}`)).toBe(true);
      if (process.getuid?.() !== 0) {
        writeFileSync(file, `${A}\n`);
        chmodSync(file, 0);
        vi.advanceTimersByTime(1100);
        expect(s.check(`Bearer ${B}`)).toBe(true);
      }
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('constant-time comparison, in the code', () => {
  const auth = readFileSync('src/collector/auth.ts', 'utf8');
  const check = /\n  private find\(authorization[^]*?\n  \}\n/.exec(auth)?.[0] ?? '';

  it('find() (behind check() and identify()) compares digests with timingSafeEqual over every token, with no early exit', () => {
    expect(check).not.toBe('');
    expect(auth).toMatch(/import \{[^}]*\btimingSafeEqual\b[^}]*\} from 'node:crypto'/);
    // Fixed-length digests: timingSafeEqual throws on unequal lengths, and lengths would leak.
    expect(auth).toMatch(/createHash\('sha256'\)\.update\(s\)\.digest\(\)/);
    expect(check).toMatch(
      /this\.digests\.forEach\(\(d, i\) => \{\n\s+if \(timingSafeEqual\(d, given\)\) hit = i;\n\s+\}\);/,
    );
    // No short-circuit: forEach cannot break, and nothing returns inside it; no === or includes/has/indexOf on tokens.
    const loop = /this\.digests\.forEach\([^]*?\}\);/.exec(check)![0];
    expect(loop).not.toMatch(/\b(return|break)\b/);
    expect(check).not.toMatch(/\.(includes|has|indexOf|find|some)\(/);
    expect(check).not.toMatch(/===\s*(given|token|m\[1\])|(given|token)\s*===/);
  });

  it('nothing else in the collector or the sinks compares a presented credential directly', () => {
    const files = [
      ...readdirSync('src/collector').map((f) => `src/collector/${f}`),
      ...readdirSync('src/sinks').map((f) => `src/sinks/${f}`),
    ].filter((f) => f.endsWith('.ts') && f !== 'src/collector/auth.ts');
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      // Comparisons of header values, tokens or signatures with == / === or string methods.
      // (Against undefined or null is a presence test, not a comparison of the value.)
      expect(text, f).not.toMatch(
        /(authorization|token|signature|secret)\w*\s*[!=]==?\s*(?!undefined\b|null\b)[\w'"`]/i,
      );
      expect(text, f).not.toMatch(/[\w'"`)\]]\s*[!=]==?\s*\w*(authorization|token|signature|secret)\b/i);
      // Where a MAC is verified (the webhook receiver's side), it is constant-time too. Public-key signatures
      // (service account tokens) are checked by crypto.verify, which compares no secret.
      if (/verify\w*\(/.test(text) && /createHmac/.test(text)) expect(text, f).toMatch(/timingSafeEqual/);
      if (/verify\w*\(/.test(text) && /signature/i.test(text) && !/createHmac/.test(text))
        expect(text, f).toMatch(/from 'node:crypto'/);
    }
  });
});

describe('node bindings in the tokens file', () => {
  it('`<token> node=<name-or-glob>`: identify() says whom a token speaks for; bound tokens do not read', () => {
    const { set } = tokens(`${A}\n${B} node=worker-1\ntok-C-glob-000000 node=web-*\n`);
    expect(set.identify(`Bearer ${A}`)).toMatchObject({ kind: 'unbound' });
    expect(set.identify(`Bearer ${B}`)).toMatchObject({ kind: 'node', node: 'worker-1', via: 'token' });
    expect(set.identify('Bearer tok-C-glob-000000')).toMatchObject({ kind: 'pattern', pattern: 'web-*' });
    expect(set.identify('Bearer nope')).toBeUndefined();
    expect(set.check(`Bearer ${A}`)).toBe(true);
    expect(set.check(`Bearer ${B}`)).toBe(false);
    expect(set.unbound).toBe(1);
    // The handle names no token.
    expect(JSON.stringify(set.identify(`Bearer ${B}`))).not.toContain(B);
  });

  it('a bad attribute stops the start naming the line; at a reload it keeps the tokens read before and says so', () => {
    expect(() => tokens(`${A}\n${B} nodes=x\n`)).toThrow(/line 2: unknown attribute "nodes"/);
    expect(() => tokens(`${B} node=a node=b\n`)).toThrow(/line 1: node= given twice/);
    expect(() => tokens(`${B} node=a/b\n`)).toThrow(/line 1: node= must be a node name or a glob/);
    vi.useFakeTimers({ toFake: ['Date'] }); // moved by hand past the second between looks at the file
    try {
      const file = path.join(dir, 'reload');
      writeFileSync(file, `${A} node=n1\n`);
      const errors: string[] = [];
      const s = new TokenSet(file, (m) => errors.push(m));
      writeFileSync(file, `${A} role=admin\n`);
      utimesSync(file, new Date(), new Date(Date.now() + 5000));
      vi.advanceTimersByTime(1100);
      expect(s.identify(`Bearer ${A}`)).toMatchObject({ kind: 'node', node: 'n1' });
      expect(errors.join('\n')).toMatch(/unknown attribute "role".*keeping the tokens read before/);
      expect(errors.join('\n')).not.toContain(A);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('node globs', () => {
  it('* and ? match name characters only, anchored; a plain binding is an exact name', async () => {
    const { nodeMatches } = await import('../../src/collector/auth.js');
    expect(nodeMatches('web-*', 'web-1')).toBe(true);
    expect(nodeMatches('web-*', 'web-')).toBe(true);
    expect(nodeMatches('web-*', 'db-web-1')).toBe(false);
    expect(nodeMatches('web-?', 'web-12')).toBe(false);
    expect(nodeMatches('w.b', 'wxb')).toBe(false);
    expect(nodeMatches('node-a', 'node-a')).toBe(true);
    expect(nodeMatches('node-a', 'node-ab')).toBe(false);
  });
});
