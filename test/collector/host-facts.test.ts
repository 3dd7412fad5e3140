/**
 * Host facts from the agent to the node page: the agent fits what the scanned root says (os-release, kernel) to
 * the contract, whatever it says; the collector's validator refuses malformed, oversize and unprintable facts and
 * drops keys it does not know; the store keeps the latest per node (a late re-send does not turn them back) and
 * migrates a schema-8 database; GET /v1/nodes and the node page show them, escaped. Real SQLite in temp dirs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import pino from 'pino';
import { HOST_FACT_LIMITS, HOST_FACT_TOKENS } from '../../src/contracts.js';
import type { AlertEvent, HostFacts, Report } from '../../src/contracts.js';
import { fitFact, hostFactsOf } from '../../src/alerts/host.js';
import { startAlerting } from '../../src/alerts/index.js';
import { Outbox } from '../../src/alerts/outbox.js';
import { defaultConfig } from '../../src/config/config.js';
import { TokenSet } from '../../src/collector/auth.js';
import { escapeHtml, servePage } from '../../src/collector/page.js';
import { FleetQueries } from '../../src/collector/queries.js';
import { listPage } from '../../src/collector/read-api.js';
import { openDatabase } from '../../src/collector/sqlite.js';
import { MIGRATIONS, Store } from '../../src/collector/store.js';
import { validateEvents } from '../../src/collector/validate.js';
import { event } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'hostward-host-facts-'));
  dirs.push(d);
  return d;
}

const FACTS: HostFacts = {
  osName: 'Debian GNU/Linux 12 (bookworm)',
  osId: 'debian',
  osVersion: '12',
  kernel: '6.1.0-28-amd64',
  arch: 'x86_64',
  agentVersion: '0.9.0',
};

const withHost = (host: unknown, over: Partial<AlertEvent> = {}) => ({ ...event(1, over), host });
const validate = (host: unknown) => validateEvents([withHost(host)]);
const errorOf = (host: unknown) => {
  const v = validate(host);
  return v.ok ? 'accepted' : v.error;
};

function report(os: Report['os'], agentVersion = '0.9.0'): Report {
  return {
    node: 'w1',
    root: '/host',
    agentVersion,
    startedAt: '2026-11-24T10:00:00.000Z',
    durationSeconds: 1,
    os,
    probes: [],
    findings: [],
    summary: { pass: 0, fail: 0, unknown: 0, skip: 0, accepted: 0 },
    measurements: [],
  };
}

describe('the collector validates host facts', () => {
  it('takes the known facts and drops keys it does not know; an empty object is no facts', () => {
    const v = validate({ ...FACTS, containerRuntime: 'containerd 2.0', nested: { a: 1 } });
    expect(v.ok && v.events[0]!.host).toEqual(FACTS);
    const one = validate({ kernel: '6.1.0' });
    expect(one.ok && one.events[0]!.host).toEqual({ kernel: '6.1.0' });
    for (const nothing of [{}, { unknownOnly: 'x' }]) {
      const n = validate(nothing);
      expect(n.ok).toBe(true);
      expect(n.ok && 'host' in n.events[0]!).toBe(false);
    }
    // Without the field at all: an agent from before host facts.
    const old = validateEvents([event(1)]);
    expect(old.ok && 'host' in old.events[0]!).toBe(false);
  });

  it('refuses a host that is not an object, naming the field', () => {
    for (const bad of [null, 'debian', 42, true, [FACTS]])
      expect(errorOf(bad)).toMatch(/^\[0\]\.host: must be an object, got (null|string|number|boolean|array)$/);
  });

  it('refuses a fact that is not a string, empty, or one character over its limit', () => {
    for (const [k, max] of Object.entries(HOST_FACT_LIMITS) as [keyof HostFacts, number][]) {
      const fill = (n: number) => (k === 'osName' || k === 'kernel' ? 'a b'.repeat(n).slice(0, n) : 'a'.repeat(n));
      expect(errorOf({ [k]: fill(max) }), k).toBe('accepted');
      expect(errorOf({ [k]: fill(max + 1) })).toBe(`[0].host.${k}: must be 1 to ${max} characters, got ${max + 1}`);
      expect(errorOf({ [k]: '' })).toBe(`[0].host.${k}: must be 1 to ${max} characters, got 0`);
      expect(errorOf({ [k]: 12 })).toBe(`[0].host.${k}: must be a string, got number`);
      expect(errorOf({ [k]: null })).toBe(`[0].host.${k}: must be a string, got null`);
      expect(errorOf({ [k]: ['x'] })).toBe(`[0].host.${k}: must be a string, got array`);
    }
    // A megabyte of kernel release is refused, not stored.
    expect(errorOf({ kernel: 'k'.repeat(1 << 20) })).toMatch(/^\[0\]\.host\.kernel: must be 1 to 256 characters/);
  });

  it('refuses control and format characters: terminal escapes, line breaks, bidi overrides, zero widths', () => {
    const hostile = [
      'Debian\x1b[31m red',
      'Debian\nInjected: line',
      'Debian\r',
      'Debian\x00',
      'Debian\x7f',
      'Debian\u0085',
      'Debian \u202egnp.exe',
      'De\u200bbian',
      'Debian\u2028',
      'Debian\ud800',
      'Debian\ue000',
    ];
    for (const s of hostile) {
      expect(errorOf({ osName: s }), JSON.stringify(s)).toBe(
        '[0].host.osName: control or format characters are not allowed',
      );
      expect(errorOf({ kernel: `6.1${s}` })).not.toBe('accepted');
    }
    // Markup is printable text: accepted here, escaped where it is shown (the page test below).
    expect(errorOf({ osName: '<script>alert(1)</script> Linux' })).toBe('accepted');
    expect(errorOf({ osName: 'Ubuntu 24.04 LTS «Noble» – 日本語' })).toBe('accepted');
  });

  it('holds identifiers to their characters', () => {
    for (const k of HOST_FACT_TOKENS) {
      expect(errorOf({ [k]: 'ok-1.2_3+4~5' }), k).toBe('accepted');
      for (const bad of ['has space', '<b>', 'a/b', 'ü', '"q"'])
        expect(errorOf({ [k]: bad }), `${k} ${bad}`).toBe(`[0].host.${k}: invalid format`);
    }
  });
});

describe('the agent fits its host facts to the contract', () => {
  it('takes them from the report, leaving out what the scan could not read', () => {
    const facts = hostFactsOf(
      report({ id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', kernel: '6.1.0-28-amd64' }),
      () => 'x86_64',
    );
    expect(facts).toEqual(FACTS);
    // No os-release: detectOs says "unknown" and an empty version; they are not facts.
    expect(
      hostFactsOf(report({ id: 'unknown', versionId: '', prettyName: 'unknown', kernel: '6.1' }), () => 'aarch64'),
    ).toEqual({ kernel: '6.1', arch: 'aarch64', agentVersion: '0.9.0' });
    // os.machine() failing leaves the architecture out, nothing else.
    const noArch = hostFactsOf(report({ id: 'debian', versionId: '12', prettyName: 'D', kernel: '6.1' }), () => {
      throw new Error('uname');
    });
    expect(noArch && 'arch' in noArch).toBe(false);
  });

  it('replaces unprintable characters, shortens prose, leaves out an identifier that is not one', () => {
    expect(fitFact('osName', 'Evil\x1b[2J\nOS\u202e')).toBe('Evil\uFFFD[2J\uFFFDOS\uFFFD');
    const long = fitFact('osName', 'x'.repeat(10_000))!;
    expect(long.length).toBeLessThanOrEqual(HOST_FACT_LIMITS.osName);
    expect(long.length).toBeGreaterThan(HOST_FACT_LIMITS.osName - 5);
    expect(long).toMatch(/characters cut\)$/);
    // Cut where a character of two UTF-16 units would be halved: no lone surrogate is left for the collector to refuse.
    for (let pad = 0; pad < 4; pad++) {
      const name = fitFact('osName', 'x'.repeat(pad) + '😀'.repeat(200))!;
      expect(validateEvents([withHost({ osName: name })]).ok, `pad ${pad}`).toBe(true);
    }
    expect(fitFact('osId', 'debian; rm -rf /')).toBeUndefined();
    expect(fitFact('agentVersion', 'v'.repeat(65))).toBeUndefined();
    expect(fitFact('kernel', '   ')).toBeUndefined();
  });

  it('whatever the scanned root says, the collector accepts what the agent sends', () => {
    const text = fc.oneof(
      fc.string({ unit: 'grapheme', minLength: 100, maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
    );
    fc.assert(
      fc.property(text, text, text, text, text, text, (prettyName, id, versionId, kernel, arch, version) => {
        const facts = hostFactsOf(report({ id, versionId, prettyName, kernel }, version), () => arch);
        const v = validateEvents([withHost(facts ?? {})]);
        expect(v.ok ? 'accepted' : v.error).toBe('accepted');
      }),
      { numRuns: 100 },
    );
  });

  it('puts them on the first event of every batch it enqueues, heartbeats included', async () => {
    const dir = tmp();
    const config = defaultConfig();
    config.agent.stateDir = dir;
    delete config.agent.collectorUrl;
    const alerting = startAlerting({ config, log: pino({ level: 'silent' }) });
    const r = report({ id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', kernel: '6.1' });
    await alerting.onReport(r); // nothing failing: a heartbeat
    r.findings.push({
      check: 'ssh.password_auth',
      probe: 'ssh',
      title: 't',
      status: 'fail',
      severity: 'high',
      message: 'm',
      evidence: [],
      references: [],
      remediation: '',
    });
    await alerting.onReport({ ...r, startedAt: '2026-11-24T10:01:00.000Z', agentVersion: '0.9.1' });
    await alerting.close();
    const box = Outbox.open({
      dir: path.join(dir, 'outbox'),
      maxBytes: 1 << 20,
      maxAgeMs: 3600_000,
      log: pino({ level: 'silent' }),
    });
    const events = box.peek(100).map((p) => p.event);
    box.close();
    expect(events.map((e) => [e.check, e.host?.agentVersion])).toEqual([
      ['hostward.heartbeat', '0.9.0'],
      ['ssh.password_auth', '0.9.1'],
    ]);
    expect(events[0]!.host).toMatchObject({ osName: 'Debian GNU/Linux 12 (bookworm)', kernel: '6.1' });
    expect(validateEvents(events).ok).toBe(true);
  });
});

describe('the store keeps the latest host facts per node', () => {
  it('shows them on GET /v1/nodes; a later event without them keeps them; a late re-send does not turn them back', () => {
    let clock = Date.parse('2026-11-24T12:00:00.000Z');
    const store = new Store({ file: path.join(tmp(), 'c.db'), sinks: [], now: () => clock });
    try {
      store.ingest([[withHost(FACTS, { id: 'a', observedAt: '2026-11-24T11:00:00.000Z' }) as AlertEvent]]);
      const first = store.nodes()[0]!;
      expect(first.host).toEqual({ ...FACTS, observedAt: '2026-11-24T11:00:00.000Z' });
      store.ingest([[event(2, { id: 'b', observedAt: '2026-11-24T11:05:00.000Z' })]]);
      expect(store.nodes()[0]!.host).toEqual(first.host);
      // An upgrade: every fact replaced; one the agent no longer sends is gone.
      const { arch: _, ...rest } = FACTS;
      const upgraded = { ...rest, kernel: '6.1.0-30-amd64', agentVersion: '0.10.0' };
      store.ingest([[withHost(upgraded, { id: 'c', observedAt: '2026-11-24T11:10:00+01:00' }) as AlertEvent]]);
      // 11:10+01:00 is 10:10Z: older than what is kept, so ignored.
      expect(store.nodes()[0]!.host).toEqual(first.host);
      store.ingest([[withHost(upgraded, { id: 'd', observedAt: '2026-11-24T11:10:00.000Z' }) as AlertEvent]]);
      expect(store.nodes()[0]!.host).toEqual({ ...upgraded, observedAt: '2026-11-24T11:10:00.000Z' });
      // Two in one request: the later observation wins, whatever the order.
      store.ingest([
        [
          withHost({ kernel: 'later' }, { id: 'e', observedAt: '2026-11-24T11:30:00.000Z' }) as AlertEvent,
          withHost({ kernel: 'earlier' }, { id: 'f', observedAt: '2026-11-24T11:20:00.000Z' }) as AlertEvent,
        ],
      ]);
      expect(store.nodes()[0]!.host).toEqual({ kernel: 'later', observedAt: '2026-11-24T11:30:00.000Z' });
      // A duplicate id is not stored again: its facts are not applied either.
      store.ingest([[withHost({ kernel: 'dup' }, { id: 'e', observedAt: '2026-11-24T11:40:00.000Z' }) as AlertEvent]]);
      expect(store.nodes()[0]!.host?.kernel).toBe('later');
      // Dated far ahead: taken at the collector's time, so a forged date cannot pin them.
      clock = Date.parse('2026-11-24T12:30:00.000Z');
      store.ingest([
        [withHost({ kernel: 'ahead' }, { id: 'g', observedAt: '2099-01-01T00:00:00.000Z' }) as AlertEvent],
      ]);
      expect(store.nodes()[0]!.host).toEqual({ kernel: 'ahead', observedAt: '2026-11-24T12:30:00.000Z' });
      store.ingest([[withHost({ kernel: 'next' }, { id: 'h', observedAt: '2026-11-24T12:31:00.000Z' }) as AlertEvent]]);
      expect(store.nodes()[0]!.host?.kernel).toBe('next');
      // The paged listing says the same; a node that never sent facts has none.
      store.ingest([[event(3, { id: 'i', node: 'worker-2' })]]);
      const page = listPage(store, '/v1/nodes', '');
      expect(page.ok && page.body.map((n) => ('host' in n ? n.host?.kernel : undefined))).toEqual(['next', undefined]);
      expect(page.ok && 'host' in page.body[1]!).toBe(false);
    } finally {
      store.close();
    }
  });

  it('migrates a schema-8 database: its nodes kept, without facts until their agents send some', () => {
    const file = path.join(tmp(), 'c.db');
    const raw = openDatabase(file);
    raw.exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`);
    MIGRATIONS.slice(0, 8).forEach((m, i) => {
      raw.exec(m);
      raw.prepare(`INSERT INTO schema_migrations VALUES (?, '2026-01-01T00:00:00Z')`).run(i + 1);
    });
    const seen = Date.parse('2026-11-24T09:00:00.000Z');
    raw
      .prepare(
        `INSERT INTO nodes (node, first_seen_at, last_seen_at, baseline_digest, baseline_since) VALUES (?, ?, ?, ?, ?)`,
      )
      .run('old-node', seen, seen, 'c'.repeat(64), seen);
    raw.close();
    const store = new Store({ file, sinks: [] });
    try {
      expect(store.schemaVersion).toBe(9);
      expect(MIGRATIONS.length).toBe(9);
      const n = store.nodes()[0]!;
      expect(n).toMatchObject({ node: 'old-node', lastSeenAt: '2026-11-24T09:00:00.000Z' });
      expect(n.baseline?.digest).toBe('c'.repeat(64));
      expect('host' in n).toBe(false);
      store.ingest([[withHost(FACTS, { node: 'old-node' }) as AlertEvent]]);
      expect(store.nodes()[0]!.host).toMatchObject(FACTS);
    } finally {
      store.close();
    }
    // Opening again applies nothing more.
    const again = new Store({ file, sinks: [] });
    expect(again.nodes()[0]!.host).toMatchObject(FACTS);
    again.close();
  });
});

describe('the node page', () => {
  const TOKEN = 'host-facts-token-0123456789';
  function page(store: Store, dir: string, name: string): string {
    writeFileSync(path.join(dir, 'tokens'), `${TOKEN}\n`);
    const tokens = new TokenSet(path.join(dir, 'tokens'));
    const a = servePage(`/nodes/${encodeURIComponent(name)}`, `Bearer ${TOKEN}`, {
      queries: new FleetQueries(store.db),
      sinks: [],
      authorized: (b) => tokens.check(b),
      now: () => new Date('2026-11-24T12:00:00.000Z'),
    });
    expect(a.status).toBe(200);
    return a.body;
  }

  it('shows OS, kernel, architecture and agent version, escaped; says so when a node sent none', () => {
    const dir = tmp();
    const store = new Store({ file: path.join(dir, 'c.db'), sinks: [] });
    try {
      const hostile = { ...FACTS, osName: `<img src=x onerror="alert(1)"> & "Linux"` };
      store.ingest([[withHost(hostile, { node: 'w1' }) as AlertEvent, event(2, { node: 'old-agent' })]]);
      const html = page(store, dir, 'w1');
      expect(html).toContain(
        `<dd id="node-os">${escapeHtml(hostile.osName)} <span class="note">(debian 12)</span></dd>`,
      );
      expect(html).toContain('<dd id="node-kernel">6.1.0-28-amd64</dd>');
      expect(html).toContain('<dd id="node-arch">x86_64</dd>');
      expect(html).toContain('<dd id="node-agent-version">0.9.0</dd>');
      expect(html).toContain('id="node-host-observed"');
      expect(html).not.toContain('<img');
      const old = page(store, dir, 'old-agent');
      expect(old).toContain('id="node-host-missing"');
      expect(old).not.toContain('id="node-kernel"');
    } finally {
      store.close();
    }
  });
});
