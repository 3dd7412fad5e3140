/**
 * Bearer tokens (src/collector/auth.ts): what is accepted and refused, rotation, and a check of the code
 * that the comparison is constant-time: every configured token is compared, as fixed-length digests,
 * with crypto.timingSafeEqual, with no early exit; and nothing else in the collector compares a
 * presented credential by itself.
 */
import { describe, it, expect, afterAll } from 'vitest';
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
    for (const h of [`Bearer ${A}`, `Bearer ${B}`, `bearer ${A}`, `BEARER ${B}`, `Bearer   ${A}`, `Bearer ${A} `]) expect(set.check(h), h).toBe(true);
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

  it('rotation: a changed file is re-read (within a second); an unreadable one keeps the tokens it had', async () => {
    const { set: s, file } = tokens(`${A}\n`);
    expect(s.check(`Bearer ${A}`)).toBe(true);
    writeFileSync(file, `${B}\n`);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    await new Promise((r) => setTimeout(r, 1100));
    expect(s.check(`Bearer ${B}`)).toBe(true);
    expect(s.check(`Bearer ${A}`)).toBe(false);
    // Mid-rotation the file is briefly missing: keep B rather than lock every agent out.
    rmSync(file);
    await new Promise((r) => setTimeout(r, 1100));
    expect(s.check(`Bearer ${B}`)).toBe(true);
    if (process.getuid?.() !== 0) {
      writeFileSync(file, `${A}\n`);
      chmodSync(file, 0);
      await new Promise((r) => setTimeout(r, 1100));
      expect(s.check(`Bearer ${B}`)).toBe(true);
    }
  });
});

describe('constant-time comparison, in the code', () => {
  const auth = readFileSync('src/collector/auth.ts', 'utf8');
  const check = /\n  check\(authorization[^]*?\n  \}\n/.exec(auth)?.[0] ?? '';

  it('check() compares digests with timingSafeEqual over every token, with no early exit', () => {
    expect(check).not.toBe('');
    expect(auth).toMatch(/import \{[^}]*\btimingSafeEqual\b[^}]*\} from 'node:crypto'/);
    // Fixed-length digests: timingSafeEqual throws on unequal lengths, and lengths would leak.
    expect(auth).toMatch(/createHash\('sha256'\)\.update\(s\)\.digest\(\)/);
    expect(check).toMatch(/for \(const d of this\.digests\) ok \|= timingSafeEqual\(d, given\) \? 1 : 0;/);
    // No short-circuit: no return or break inside the loop, no === or includes/has/indexOf on tokens.
    const loop = /for \(const d of this\.digests\)[^;]*;/.exec(check)![0];
    expect(loop).not.toMatch(/\b(return|break)\b/);
    expect(check).not.toMatch(/\.(includes|has|indexOf|find|some)\(/);
    expect(check).not.toMatch(/===\s*(given|token|m\[1\])|(given|token)\s*===/);
  });

  it('nothing else in the collector or the sinks compares a presented credential directly', () => {
    const files = [...readdirSync('src/collector').map((f) => `src/collector/${f}`), ...readdirSync('src/sinks').map((f) => `src/sinks/${f}`)].filter((f) => f.endsWith('.ts') && f !== 'src/collector/auth.ts');
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      // Comparisons of header values, tokens or signatures with == / === or string methods.
      // (Against undefined or null is a presence test, not a comparison of the value.)
      expect(text, f).not.toMatch(/(authorization|token|signature|secret)\w*\s*[!=]==?\s*(?!undefined\b|null\b)[\w'"`]/i);
      expect(text, f).not.toMatch(/[\w'"`)\]]\s*[!=]==?\s*\w*(authorization|token|signature|secret)\b/i);
      // Where a signature is verified (the webhook receiver's side), it is constant-time too.
      if (/verify\w*\(/.test(text) && /signature/i.test(text)) expect(text, f).toMatch(/timingSafeEqual/);
    }
  });
});
