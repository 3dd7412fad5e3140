/**
 * Findings say what a user can act on: no check passes while its message describes a problem, and nothing a user
 * sees (titles, remediation, probe descriptions, docs/checks.md, messages and evidence of a scan) uses words only
 * this project's authors can place (the design notes, "the seeds", our own tracker numbers, source file paths).
 * Every fixture host root is scanned by the real engine to collect the messages.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { PROBES } from '../probes/registry.js';
import { catalogue } from '../src/scan/catalogue.js';
import type { Finding } from '../src/contracts.js';
import { fixtureNames, materialize } from './helpers/hosts.js';
import { scanFixture } from './helpers/fixture-scan.js';

/** Phrases that describe a problem; a passing finding's message must contain none of them. */
const PROBLEM_PHRASES: readonly RegExp[] = [
  /reached its end of support/i,
  /\b\d+ days? ago\b/i,
  /\balready past\b/i,
  /\b(has|have) expired\b|\bexpired (on|\d)/i,
  /\bvulnerable\b/i,
  /(?<!nothing |no )\bweak(ness)?\b/i,
  /\binsecure\b(?![ -](registr|port))/i,
  /\bssh-audit (warns|fails)\b/i,
  /\b(warns|fails) on\b|\) fails\b/i,
  /\bno protection against\b/i,
  /\b(is|are) deprecated\b/i,
  /\b(is|are) missing\b/i,
  /\brun(s)? unconfined\b/i,
  /\bnot rate limited\b/i,
  /\bbelow the minimum\b|\bsshd-\d+ wants\b/i,
  /\bexposed to\b|\bopen to the\b/i,
];

/** Words only the authors can place. */
const INTERNAL_WORDS: readonly RegExp[] = [
  /\bthe seeds?\b/i,
  /\bDESIGN\.md\b|\bSTYLE\.md\b/,
  /\bresearch\/|\bresearch\.md\b/,
  /(^|[\s(])#\d+\b/,
  /\bprobes\/[a-z]+\/[\w/-]+\.ts\b|\bsrc\/[\w/-]+\.ts\b/,
  /\bTODO\b|\bFIXME\b/,
];

const matches = (text: string, list: readonly RegExp[]) => list.filter((r) => r.test(text)).map(String);

describe('the phrase lists', () => {
  it('catch what a passing updates.runtime_end_of_life said before it was fixed', () => {
    const before =
      'containerd 1.7.12-0ubuntu2~20.04.1 (containerd 1.7) reached its end of support on 2026-09-01 (84 days ago); only the month (September 2026) ' +
      'is decided; containerd is built and patched by the distribution for the life of the OS release, so the upstream end is reported, not failed';
    expect(matches(before, PROBLEM_PHRASES).length).toBeGreaterThan(0);
    expect(matches('the security archive Release is dated 2026-11-22, 1 day(s) old', PROBLEM_PHRASES)).toEqual([]);
    expect(matches('no insecure-registries (dockerd default)', PROBLEM_PHRASES)).toEqual([]);
  });
  it('catch what the catalogue said before it was fixed', () => {
    expect(
      matches('Debian 12 is a general-purpose distribution; the seeds recommend minimal OSes', INTERNAL_WORDS).length,
    ).toBe(1);
    expect(matches('hostward: research/runtime.md §2 (flag and file precedence)', INTERNAL_WORDS).length).toBe(1);
    expect(matches('endoflife.date (per-release sources in probes/updates/eol.ts)', INTERNAL_WORDS).length).toBe(1);
    expect(matches('see kubernetes/kubernetes#112777', INTERNAL_WORDS)).toEqual([]);
  });
});

describe('catalogue text', () => {
  it('titles, remediation and probe descriptions use no internal words', () => {
    const texts = [
      ...catalogue(PROBES).flatMap((c) => [`${c.id} title: ${c.title}`, `${c.id} remediation: ${c.remediation}`]),
      ...PROBES.map((p) => `${p.name} description: ${p.description}`),
    ];
    expect(texts.filter((t) => matches(t, INTERNAL_WORDS).length > 0)).toEqual([]);
  });
  it('docs/checks.md uses no internal words', () => {
    const lines = readFileSync(new URL('../docs/checks.md', import.meta.url), 'utf8').split('\n');
    expect(lines.filter((l) => matches(l, INTERNAL_WORDS).length > 0)).toEqual([]);
  });
});

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

const text = (f: Finding) => [f.message, ...f.evidence.map((e) => e.text ?? '')].join('\n');

describe.each(fixtureNames())('findings of fixture %s', (name) => {
  it('no passing check describes a problem; no message or evidence uses internal words', async () => {
    const m = materialize(name);
    cleanups.push(m.cleanup);
    const report = await scanFixture(m);
    const dishonest = report.findings
      .filter((f) => f.status === 'pass' && matches(f.message, PROBLEM_PHRASES).length > 0)
      .map((f) => `${f.check}: ${matches(f.message, PROBLEM_PHRASES).join(' ')}: ${f.message}`);
    expect(dishonest).toEqual([]);
    const internal = report.findings
      .filter((f) => matches(text(f), INTERNAL_WORDS).length > 0)
      .map((f) => `${f.check}: ${text(f)}`);
    expect(internal).toEqual([]);
  });
});
