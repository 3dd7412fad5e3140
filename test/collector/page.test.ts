/**
 * The fleet page rendered from a real Store (SQLite in a temp dir) fed through Store.ingest, with
 * deliveries marked sent, retried or dead through the Store's own methods: authentication, escaping,
 * filters, pagination, group history and evidence, and hostile or malformed input.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AlertEvent } from '../../src/contracts.js';
import { TokenSet } from '../../src/collector/auth.js';
import {
  ago,
  escapeHtml,
  nodePath,
  pageCredentials,
  parseSince,
  parseView,
  servePage,
  viewQuery,
  DELIVERY_WINDOW,
  GROUP_ROWS,
  PAGE_NODES,
} from '../../src/collector/page.js';
import type { PageDeps } from '../../src/collector/page.js';
import { FleetQueries } from '../../src/collector/queries.js';
import { Store, groupKey } from '../../src/collector/store.js';
import { transaction } from '../../src/collector/sqlite.js';
import { CHECKS } from '../helpers/catalogue.js';

const TOKEN = 'page-token-0123456789';
const NOW = Date.parse('2026-11-24T12:00:00.000Z');
let dir: string;
let store: Store;
let clock: number;
let deps: PageDeps;
let seq = 0;

function ev(node: string, check: string, over: Partial<AlertEvent> = {}): AlertEvent {
  seq++;
  return {
    id: `p-${seq}`,
    node,
    check,
    probe: check.split('.')[0]!,
    status: 'fail',
    severity: 'high',
    title: `title of ${check}`,
    message: `message of ${check} on ${node}`,
    evidence: [{ file: '/etc/ssh/sshd_config', line: seq, text: `line ${seq}` }],
    observedAt: new Date(clock).toISOString(),
    ...over,
  };
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-page-'));
  clock = NOW - 3600_000;
  store = new Store({ file: path.join(dir, 'c.db'), sinks: ['file', 'pagerduty'], now: () => clock });
  writeFileSync(path.join(dir, 'tokens'), `# people and agents\n${TOKEN}\n`);
  const tokens = new TokenSet(path.join(dir, 'tokens'));
  deps = {
    queries: new FleetQueries(store.db),
    sinks: ['file', 'pagerduty'],
    authorized: (h) => tokens.check(h),
    now: () => new Date(NOW),
  };
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const bearer = `Bearer ${TOKEN}`;
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
/** `null`: no Authorization header. */
const get = (url: string, auth: string | null = bearer) => servePage(url, auth ?? undefined, deps);
const body = (url: string) => {
  const a = get(url);
  expect(a.status).toBe(200);
  return a.body;
};
/** Node names in the matrix rows, in order. */
const matrixNodes = (html: string) =>
  [...html.matchAll(/<tr data-node="([^"]*)"><th scope="row" class="node">/g)].map((m) => m[1]);
const columns = (html: string) => [...html.matchAll(/<span class="vert">([^<]*)<\/span>/g)].map((m) => m[1]);

/** Tags that the page itself writes; anything else in the output came from data. */
const OWN_TAGS = new Set(
  'html head meta title style body script header h1 h2 p span b section div table thead tbody tr th td a form label select option fieldset legend input button nav ul li pre code time dl dt dd footer h3 svg g rect text'.split(
    ' ',
  ),
);
function assertOnlyOwnMarkup(html: string): void {
  const opening = [...html.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)/g)];
  // Every opening tag is well formed: bare or double-quoted attributes (escaping keeps quotes out of values).
  const wellFormed = [...html.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:="[^"<>]*")?)*)\s*>/g)];
  expect(wellFormed.length).toBe(opening.length);
  for (const m of wellFormed) {
    expect(OWN_TAGS, `tag <${m[1]}> in output`).toContain(m[1]!.toLowerCase());
    for (const a of m[2]!.matchAll(/\s+([a-zA-Z-]+)(?:="[^"]*")?/g))
      expect(a[1]!.toLowerCase().startsWith('on'), `attribute ${a[1]}`).toBe(false);
  }
  for (const m of html.matchAll(/<\/([a-zA-Z][a-zA-Z0-9-]*)/g)) expect(OWN_TAGS).toContain(m[1]!.toLowerCase());
  expect(html.match(/<script>/g)).toHaveLength(1);
}

describe('authentication', () => {
  it('refuses without a token, with a wrong one, and with malformed Basic credentials; shows nothing of the fleet', () => {
    store.ingest([[ev('secret-node', 'ssh.password_auth')]]);
    for (const auth of [
      null,
      '',
      'Bearer wrong',
      `Bearer ${TOKEN}x`,
      basic('admin', 'wrong'),
      basic('', ''),
      basic(TOKEN, ''),
      `Basic ${Buffer.from(TOKEN).toString('base64')}`,
      'Basic !!!',
      `Digest ${TOKEN}`,
      `Basic ${TOKEN}`,
    ]) {
      const a = get('/', auth);
      expect(a.status, String(auth)).toBe(401);
      expect(a.headers['WWW-Authenticate']).toBe('Basic realm="hostward collector", charset="UTF-8"');
      expect(a.body).not.toContain('secret-node');
      expect(a.body).not.toContain(TOKEN);
    }
    expect(get(`/groups/${groupKey('ssh.password_auth', 'high')}`, null).status).toBe(401);
  });

  it('accepts the bearer header and HTTP Basic with the token as the password (any user name)', () => {
    store.ingest([[ev('n1', 'ssh.password_auth')]]);
    expect(get('/', bearer).status).toBe(200);
    expect(get('/', basic('alice', TOKEN)).status).toBe(200);
    expect(get('/', basic('', TOKEN)).status).toBe(200);
    expect(get('/', `basic   ${Buffer.from(`x:${TOKEN}`).toString('base64')}`).status).toBe(200);
    // A colon inside the password is part of it (only the first colon separates the user name).
    expect(pageCredentials(basic('u', 'a:b'))).toBe('Bearer a:b');
    expect(pageCredentials(undefined)).toBeUndefined();
  });

  it('sends security headers that allow nothing but its own inline style and script', () => {
    const a = get('/');
    expect(a.headers['Content-Security-Policy']).toMatch(
      /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; script-src 'sha256-[A-Za-z0-9+/=]+'; form-action 'self'; frame-ancestors 'none'/,
    );
    expect(a.headers['X-Content-Type-Options']).toBe('nosniff');
    expect(a.headers['Referrer-Policy']).toBe('no-referrer');
  });
});

describe('the fleet view', () => {
  function seedFleet(): void {
    clock = NOW - 600_000;
    store.ingest([
      [
        ev('worker-1', 'ssh.password_auth'),
        ev('worker-1', 'kernel.rp_filter', { severity: 'medium' }),
        ev('worker-2', 'ssh.password_auth'),
        ev('worker-3', 'tls.cert_expiry', { severity: 'critical' }),
      ],
      [
        ev('control-1', 'kernel.rp_filter', { severity: 'medium' }),
        ev('healthy-1', 'ssh.root_login', { status: 'pass' }),
      ],
    ]);
  }

  it('counts nodes, shows each failing node in the matrix with its failing checks, and last report times', () => {
    seedFleet();
    const html = body('/');
    expect(html).toMatch(/<span id="count-nodes"><b>5<\/b> nodes<\/span>/);
    expect(html).toMatch(/<span id="count-failing"><b>4<\/b> with failing checks<\/span>/);
    expect(html).toContain('<span class="sev sev-critical" id="open-critical">1 critical</span>');
    expect(html).toContain('<span class="sev sev-high" id="open-high">1 high</span>');
    expect(html).toContain('<span class="sev sev-medium" id="open-medium">1 medium</span>');
    expect(matrixNodes(html)).toEqual(['control-1', 'worker-1', 'worker-2', 'worker-3']);
    // Columns: most severe first, then widest.
    expect(columns(html)).toEqual(['tls.cert_expiry', 'ssh.password_auth', 'kernel.rp_filter']);
    const row = html.slice(
      html.indexOf('<tr data-node="worker-1">'),
      html.indexOf('</tr>', html.indexOf('<tr data-node="worker-1">')),
    );
    expect(row.match(/class="cell sev-/g)).toHaveLength(2);
    expect(row).toContain('2026-11-24 11:50:00 <span class="ago">(10m ago)</span>');
    expect(row).toMatch(/title="ssh.password_auth on worker-1: message of ssh.password_auth on worker-1"/);
    expect(body('/?show=all')).toContain('<tr data-node="healthy-1">');
    assertOnlyOwnMarkup(html);
  });

  it('filters by probe, severity, node and check; the probe chooser lists probes with failures', () => {
    seedFleet();
    expect(matrixNodes(body('/?probe=ssh'))).toEqual(['worker-1', 'worker-2']);
    expect(columns(body('/?probe=ssh'))).toEqual(['ssh.password_auth']);
    expect(matrixNodes(body('/?severity=critical&severity=medium'))).toEqual(['control-1', 'worker-1', 'worker-3']);
    expect(columns(body('/?severity=critical&severity=medium'))).toEqual(['tls.cert_expiry', 'kernel.rp_filter']);
    expect(matrixNodes(body('/?node=WORKER'))).toEqual(['worker-1', 'worker-2', 'worker-3']);
    expect(matrixNodes(body('/?check=rp_'))).toEqual(['control-1', 'worker-1']);
    expect(matrixNodes(body('/?probe=ssh&node=2'))).toEqual(['worker-2']);
    expect(body('/?probe=nope')).toContain('No node matches.');
    const html = body('/?probe=ssh');
    expect(
      [...html.matchAll(/<option value="([^"]*)"( selected)?>/g)].slice(0, 4).map((m) => m[1] + (m[2] ?? '')),
    ).toEqual(['', 'kernel', 'ssh selected', 'tls']);
    expect(html).toContain('<input type="checkbox" name="severity" value="high">');
    // Groups follow the probe, severity and check filters.
    expect(html).toMatch(/<table class="groups" id="open-groups">.*ssh\.password_auth/s);
    expect(html.slice(html.indexOf('id="open-groups"'))).not.toContain('tls.cert_expiry</a>');
  });

  it('drops bad filter values instead of trusting them', () => {
    seedFleet();
    const v = parseView(
      new URLSearchParams('probe=%3Cscript%3E&severity=urgent&severity=high&page=-3&node=' + 'x'.repeat(10_000)),
    );
    expect(v).toEqual({
      filter: { probe: '', severities: ['high'], node: 'x'.repeat(253), check: '' },
      all: false,
      page: 1,
      groupPage: 1,
    });
    expect(parseView(new URLSearchParams('page=1e400')).page).toBe(1);
    expect(parseView(new URLSearchParams('page=2.5')).page).toBe(1);
    expect(viewQuery(parseView(new URLSearchParams('severity=low&severity=critical&node=a b&show=all&page=3')))).toBe(
      '?severity=critical&severity=low&node=a+b&show=all&page=3',
    );
    for (const url of [
      '/?page=abc',
      '/?page=99999',
      '/?severity=',
      '/?probe=ssh&probe=tls',
      '/?node=%00%ff',
      '/?check=%25%27%22',
      '/?%zz=1',
    ]) {
      const a = get(url);
      expect(a.status, url).toBe(200);
      assertOnlyOwnMarkup(a.body);
    }
  });

  it('pages through a large fleet, keeping the filters in the links', () => {
    clock = NOW - 60_000;
    const events = Array.from({ length: 250 }, (_, i) => ev(`node-${String(i).padStart(3, '0')}`, 'ssh.password_auth'));
    store.ingest([events]);
    const p1 = body('/?probe=ssh');
    expect(matrixNodes(p1)).toHaveLength(PAGE_NODES);
    expect(matrixNodes(p1)[0]).toBe('node-000');
    expect(p1).toContain('Nodes 1–100 of 250 with a matching failing check');
    expect(p1).toContain('<a href="/?probe=ssh&amp;page=2" rel="next">next ›</a>');
    const p3 = body('/?probe=ssh&page=3');
    expect(matrixNodes(p3)).toEqual(Array.from({ length: 50 }, (_, i) => `node-${200 + i}`));
    expect(p3).toContain('<a href="/?probe=ssh&amp;page=2" rel="prev">‹ previous</a>');
    expect(matrixNodes(body('/?page=4'))).toEqual([]);
  });

  it('caps the matrix columns and says how many checks are not shown', () => {
    clock = NOW - 60_000;
    store.ingest([Array.from({ length: 70 }, (_, i) => ev('wide-node', `kernel.check_${String(i).padStart(2, '0')}`))]);
    const html = body('/');
    expect(columns(html)).toHaveLength(50);
    expect(html).toContain('20 more are counted in “failing”');
    expect(html).toMatch(/<td class="num"><span class="sev sev-high">70<\/span><\/td>/);
  });

  it('flags silent nodes and shows their last report', () => {
    clock = NOW - 3 * 3600_000;
    store.ingest([[ev('quiet-1', 'ssh.password_auth')]]);
    clock = NOW - 60_000;
    store.ingest([[ev('busy-1', 'ssh.password_auth')]]);
    store.markSilent(3600_000);
    const html = body('/');
    expect(html).toMatch(/<span id="count-silent" class="bad"><b>1<\/b> silent<\/span>/);
    expect(html).toMatch(
      /<a [^>]*>quiet-1<\/a> <span class="flag silent">silent<\/span><\/th><td class="when bad"><time datetime="2026-11-24T09:00:00.000Z"/,
    );
    expect(html).not.toMatch(/busy-1<\/a> <span class="flag silent">/);
    expect(columns(html)).toContain('hostward.node_silent');
  });
});

describe('group history and detail', () => {
  it('shows open, update and resolve with each sink sent, retrying or dead with its last error', () => {
    clock = NOW - 3000_000;
    store.ingest([[ev('w1', 'ssh.password_auth')]]);
    clock = NOW - 2000_000;
    store.ingest([[ev('w2', 'ssh.password_auth')]]);
    clock = NOW - 1000_000;
    store.ingest([
      [ev('w1', 'ssh.password_auth', { status: 'pass' }), ev('w2', 'ssh.password_auth', { status: 'pass' })],
    ]);
    // Deliver like the dispatcher does: file takes everything, PagerDuty refuses the first and keeps failing.
    for (let d = store.nextDelivery('file'); d; d = store.nextDelivery('file')) store.markSent(d.id);
    const pd = store.nextDelivery('pagerduty')!;
    store.markDead(pd.id, 'HTTP 400: Invalid routing key');
    const pd2 = store.nextDelivery('pagerduty')!;
    store.markRetry(pd2.id, NOW + 30_000, 'HTTP 503: <html>Service Unavailable</html>');

    const key = groupKey('ssh.password_auth', 'high');
    const fleet = body('/');
    expect(fleet).toMatch(
      /<p class="sinks" id="sinks">Deliveries: <span data-sink="file"><b>file<\/b> 3 sent, <span class="">0 pending<\/span>, <span class="">0 dead<\/span><\/span> · <span data-sink="pagerduty"><b>pagerduty<\/b> 0 sent, <span class="warn">2 pending<\/span>, <span class="bad">1 dead<\/span><\/span><\/p>/,
    );
    const resolved = fleet.slice(fleet.indexOf('id="resolved-groups"'));
    expect(resolved).toContain(`<a href="/groups/${key}">ssh.password_auth</a>`);
    expect(resolved).toContain('<li data-sink="file"><b>file</b>: resolve <span class="ok">sent</span>');
    expect(resolved).toContain('<li data-sink="pagerduty"><b>pagerduty</b>: resolve <span class="warn">pending</span>');

    const html = body(`/groups/${key}`);
    expect(html).toContain('<span class="status status-resolved" id="group-status">resolved</span>');
    expect(html).toMatch(/<dt>resolved<\/dt><dd><time datetime="2026-11-24T11:43:20.000Z"/);
    const rows = [...html.matchAll(/<tr><td><time datetime="([^"]+)"[^]*?<\/tr>/g)].map((m) => m[0]);
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => /class="action action-(\w+)"/.exec(r)?.[1])).toEqual(['resolve', 'update', 'open']);
    expect(rows[0]).toContain('<td>w1, w2</td>'); // left
    expect(rows[1]).toContain('<td class="num">2</td><td>w2</td><td></td>');
    expect(rows[2]).toMatch(/data-sink="file"><span class="ok">sent<\/span>/);
    expect(rows[2]).toMatch(
      /data-sink="pagerduty"><span class="bad">dead<\/span> <time[^]*<span class="error" title="HTTP 400: Invalid routing key">HTTP 400: Invalid routing key<\/span>/,
    );
    expect(rows[1]).toMatch(
      /data-sink="pagerduty"><span class="warn">pending<\/span> <span class="note">1 attempt, next <time datetime="2026-11-24T12:00:30.000Z"[^]*<span class="error" title="[^"]*">HTTP 503: &lt;html&gt;Service Unavailable&lt;\/html&gt;<\/span>/,
    );
    // Behind the retrying change in PagerDuty's strictly ordered queue.
    expect(rows[0]).toContain(
      'data-sink="pagerduty"><span class="warn">pending</span> <span class="note">not tried yet</span></td>',
    );
    assertOnlyOwnMarkup(html);
    expect(html).toContain('0 nodes.');
  });

  it('lists the failing nodes with message and evidence, cut to bounds, and filters them', () => {
    clock = NOW - 60_000;
    const evidence = Array.from({ length: 100 }, (_, i) => ({ file: `/etc/f${i}`, line: i, text: 'y'.repeat(4096) }));
    store.ingest([
      [
        ev('big-node', 'ssh.password_auth', { message: 'm'.repeat(16 * 1024), evidence }),
        ev('small-node', 'ssh.password_auth', { evidence: [] }),
      ],
    ]);
    const key = groupKey('ssh.password_auth', 'high');
    const html = body(`/groups/${key}`);
    expect(html).toContain('2 nodes.');
    expect(html).toContain(`${'m'.repeat(2000)} <span class="note">… (16,384 characters)</span>`);
    expect(html.match(/<code>\/etc\/f\d+:\d+<\/code>/g)).toHaveLength(10);
    expect(html).toContain('<span class="note">90 more</span>');
    expect(html).not.toContain('y'.repeat(501));
    expect(html.length).toBeLessThan(40_000);
    const filtered = body(`/groups/${key}?node=small`);
    expect(filtered).toContain('1 node matching.');
    expect(filtered).not.toContain('<tr data-node="big-node">');
  });

  it('reads delivery states from the newest queue rows only, and says so; pending counts stay exact', () => {
    clock = NOW - 60_000;
    store.ingest([[ev('old-node', 'ssh.password_auth')]]);
    const old = store.nextDelivery('pagerduty')!;
    store.markDead(old.id, `HTTP 400: ${'x'.repeat(500)}`);
    expect(body('/')).toContain(
      `<span class="error" title="HTTP 400: ${'x'.repeat(500)}">HTTP 400: ${'x'.repeat(90)}…</span>`,
    );
    const ins = store.db.prepare(
      `INSERT INTO deliveries (sink, group_key, change, created_at, next_at, sent_at) VALUES ('file', 'other', '{}', 0, 0, 1)`,
    );
    transaction(store.db, () => {
      for (let i = 0; i < DELIVERY_WINDOW; i++) ins.run();
    });
    const html = body('/');
    expect(html).toContain(`(sent and dead among the newest 20,000 queued changes; pending: all)`);
    // The file sink's own row for the group is still unacknowledged: counted through the pending index.
    expect(html).toMatch(/<b>file<\/b> 20,000 sent, <span class="warn">1 pending<\/span>/);
    expect(html.slice(html.indexOf('id="open-groups"'))).toContain('nothing among the newest 20,000 queued changes');
    // The group's own page reads its whole history.
    expect(body(`/groups/${groupKey('ssh.password_auth', 'high')}`)).toMatch(
      /data-sink="pagerduty"><span class="bad">dead<\/span>/,
    );
  });

  it('404 for an unknown or malformed group key', () => {
    expect(get(`/groups/${'0'.repeat(64)}`).status).toBe(404);
    expect(get('/groups/../etc/passwd').status).toBe(404);
    expect(get(`/groups/${'A'.repeat(64)}`).status).toBe(404);
  });

  it('shows corrupt stored evidence and changes as text instead of failing', () => {
    clock = NOW - 60_000;
    store.ingest([[ev('n1', 'ssh.password_auth')]]);
    store.db.prepare(`UPDATE node_checks SET evidence = '{"not": "an array" <img src=x>' WHERE node = 'n1'`).run();
    store.db.prepare(`UPDATE deliveries SET change = 'garbage{'`).run();
    const html = body(`/groups/${groupKey('ssh.password_auth', 'high')}`);
    expect(html).toContain('<pre class="evidence">{&quot;not&quot;: &quot;an array&quot; &lt;img src=x&gt;</pre>');
    expect(html).toContain('<td class="action action-unknown">unreadable</td>');
    assertOnlyOwnMarkup(html);
  });
});

describe('hostile strings', () => {
  it('escapes titles, messages and evidence everywhere', () => {
    clock = NOW - 60_000;
    const xss = `"><img src=x onerror=alert(1)><script>alert(2)</script>'`;
    store.ingest([
      [ev('n1', 'ssh.password_auth', { title: xss, message: xss, evidence: [{ file: xss, line: 1, text: xss }] })],
    ]);
    for (const d = store.nextDelivery('pagerduty'); d;) {
      store.markDead(d.id, xss);
      break;
    }
    const key = groupKey('ssh.password_auth', 'high');
    for (const url of [
      '/',
      `/groups/${key}`,
      `/?node=${encodeURIComponent(xss)}`,
      `/?check=${encodeURIComponent(xss)}`,
      '/new',
      '/nodes/n1',
    ]) {
      const html = body(url);
      assertOnlyOwnMarkup(html);
      expect(html).not.toContain('<img');
    }
    expect(body(`/groups/${key}`)).toContain(escapeHtml(xss));
    expect(body('/')).toContain(`<span class="error" title="${escapeHtml(xss)}">${escapeHtml(xss)}</span>`);
  });

  it('escapeHtml and ago', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect([ago(0), ago(119_000), ago(3600_000), ago(7200_000), ago(3 * 86_400_000), ago(-30_000)]).toEqual([
      '0s ago',
      '119s ago',
      '60m ago',
      '2h ago',
      '3d ago',
      'in 30s',
    ]);
  });
});

/** Rows of a groups table (check ids, in order). */
const groupRows = (html: string, id: string) => {
  const start = html.indexOf(`id="${id}"`);
  if (start < 0) return [];
  const table = html.slice(start, html.indexOf('</table>', start));
  return [...table.matchAll(/<tr data-group="([^"]*)" data-severity="([a-z]+)"(?: data-nodes="(\d+)")?>/g)].map(
    (m) => ({ check: m[1], severity: m[2], nodes: m[3] }),
  );
};

describe('on-call views', () => {
  /** A fleet in which the newest updates are the least severe: ordering by update time would put them first. */
  function seedMixed(): void {
    clock = NOW - 3 * 3600_000;
    store.ingest([
      [
        ev('a', 'ssh.password_auth'),
        ev('b', 'ssh.password_auth'),
        ev('c', 'ssh.password_auth'),
        ev('a', 'ssh.permit_root_login'),
      ],
    ]);
    clock = NOW - 2 * 3600_000;
    store.ingest([[ev('a', 'tls.cert_expiry', { severity: 'critical' })]]);
    clock = NOW - 600_000;
    store.ingest([
      Array.from({ length: 6 }, (_, i) => ev(`n${i}`, 'kernel.info_thing', { severity: 'info' })),
      [ev('a', 'kernel.rp_filter', { severity: 'medium' })],
    ]);
  }

  it('lists open groups most severe first, then by how many nodes fail; titles say the problem', () => {
    seedMixed();
    const html = body('/');
    expect(groupRows(html, 'open-groups')).toEqual([
      { check: 'tls.cert_expiry', severity: 'critical', nodes: '1' },
      { check: 'ssh.password_auth', severity: 'high', nodes: '3' },
      { check: 'ssh.permit_root_login', severity: 'high', nodes: '1' },
      { check: 'kernel.rp_filter', severity: 'medium', nodes: '1' },
      { check: 'kernel.info_thing', severity: 'info', nodes: '6' },
    ]);
    expect(html).toContain('<span class="failing-label">Failing:</span> title of ssh.password_auth');
    // The filters still apply, and a node filter keeps the same order.
    expect(groupRows(body('/?severity=high'), 'open-groups').map((g) => g.check)).toEqual([
      'ssh.password_auth',
      'ssh.permit_root_login',
    ]);
    expect(groupRows(body('/?node=a'), 'open-groups').map((g) => g.check)).toEqual([
      'tls.cert_expiry',
      'ssh.password_auth',
      'ssh.permit_root_login',
      'kernel.rp_filter',
    ]);
    assertOnlyOwnMarkup(html);
  });

  it('pages the open groups instead of building one long list', () => {
    clock = NOW - 60_000;
    const n = GROUP_ROWS + 7;
    store.ingest([
      Array.from({ length: n }, (_, i) =>
        ev('wide', `kernel.c${String(i).padStart(3, '0')}`, { severity: i === n - 1 ? 'critical' : 'low' }),
      ),
    ]);
    const p1 = groupRows(body('/'), 'open-groups');
    expect(p1).toHaveLength(GROUP_ROWS);
    expect(p1[0]).toMatchObject({ check: `kernel.c${String(n - 1).padStart(3, '0')}`, severity: 'critical' });
    const p2 = groupRows(body('/?gpage=2'), 'open-groups');
    expect(p2).toHaveLength(7);
    expect(new Set([...p1, ...p2].map((g) => g.check)).size).toBe(n);
    expect(body('/')).toContain('<a href="/?gpage=2" rel="next">less severe ›</a>');
  });

  it('shows remediation and references from the catalogue on the group page', () => {
    deps.checkInfo = CHECKS.info;
    clock = NOW - 60_000;
    store.ingest([
      [ev('a', 'ssh.password_auth', { title: 'SSH password authentication is disabled' }), ev('a', 'kernel.made_up')],
    ]);
    const info = CHECKS.info('ssh.password_auth')!;
    expect(info.remediation.length).toBeGreaterThan(10);
    const html = body(`/groups/${groupKey('ssh.password_auth', 'high')}`);
    expect(html).toContain(`<p id="remediation" class="remediation">${escapeHtml(info.remediation)}</p>`);
    for (const r of info.references) expect(html).toContain(`<li>${escapeHtml(r)}</li>`);
    expect(html).toMatch(
      /<h1><span class="sev sev-high">high<\/span> <span class="failing-label">Failing:<\/span> SSH password authentication is disabled <span class="status status-open"/,
    );
    expect(body(`/groups/${groupKey('kernel.made_up', 'high')}`)).toContain('not in this collector’s catalogue');
    assertOnlyOwnMarkup(html);
  });

  it('shows a node: last report, coverage equal to the store, its open problems most severe first', () => {
    seedMixed();
    clock = NOW - 60_000;
    store.ingest([
      [
        ev('a', 'ssh.password_auth', { status: 'pass' }),
        ev('a', 'kernel.x', { status: 'unknown' }),
        ev('a', 'kernel.y', { status: 'fail', accepted: true }),
      ],
    ]);
    const html = body('/nodes/a');
    const count = (where: string) =>
      (store.db.prepare(`SELECT COUNT(*) AS n FROM node_checks WHERE node = 'a' AND ${where}`).get() as { n: number })
        .n;
    const cov = (id: string) => Number(new RegExp(`<td class="num" id="cov-${id}">(\\d+)</td>`).exec(html)?.[1]);
    expect(cov('fail')).toBe(count('failing = 1'));
    expect(cov('pass')).toBe(count(`status = 'pass'`));
    expect(cov('unknown')).toBe(count(`status = 'unknown'`));
    expect(cov('other')).toBe(count(`failing = 0 AND status NOT IN ('pass', 'unknown')`));
    expect(cov('total')).toBe(count('1'));
    expect([cov('fail'), cov('pass'), cov('unknown'), cov('other')]).toEqual([3, 1, 1, 1]);
    expect(groupRows(html, 'node-groups').map((g) => g.check)).toEqual([
      'tls.cert_expiry',
      'ssh.permit_root_login',
      'kernel.rp_filter',
    ]);
    expect(html).toContain('id="node-last-seen"');
    expect(html).toContain('id="node-host-missing"');
    expect(get('/nodes/nobody').status).toBe(404);
    expect(get('/nodes/%E0%A4%A').status).toBe(404);
    // The fleet page and group pages link to it.
    expect(body('/')).toContain('<a href="/nodes/a">a</a>');
    assertOnlyOwnMarkup(html);
  });

  it('escapes and encodes a hostile node name on the node page and in links to it', () => {
    clock = NOW - 60_000;
    const name = `x"><img src=x onerror=alert(1)>/../?#`;
    store.ingest([[ev(name, 'ssh.password_auth', { title: `<script>alert(3)</script>` })]]);
    expect(nodePath(name)).toBe(`/nodes/${encodeURIComponent(name)}`);
    const html = body(nodePath(name));
    expect(html).toContain(`<h1>${escapeHtml(name)}</h1>`);
    expect(html).not.toContain('<img');
    assertOnlyOwnMarkup(html);
    expect(body('/')).toContain(`<a href="${escapeHtml(nodePath(name))}">`);
  });

  it('lists the groups opened since a time, most severe first', () => {
    seedMixed();
    const recent = groupRows(body('/new?since=1h'), 'new-groups');
    expect(recent.map((g) => g.check)).toEqual(['kernel.rp_filter', 'kernel.info_thing']);
    expect(groupRows(body('/new'), 'new-groups').map((g) => g.check)).toEqual([
      'tls.cert_expiry',
      'ssh.password_auth',
      'ssh.permit_root_login',
      'kernel.rp_filter',
      'kernel.info_thing',
    ]);
    expect(body('/new?since=1h')).toContain('<h1>New in the last hour</h1>');
    const now = new Date(NOW);
    expect(parseSince('7d', now).at).toBe(NOW - 7 * 86_400_000);
    expect(parseSince('2026-11-24T10:30:00Z', now).at).toBe(Date.parse('2026-11-24T10:30:00Z'));
    for (const bad of [null, '', 'yesterday', '0h', '99999d', '2999-01-01', '<script>'])
      expect(parseSince(bad, now).at, String(bad)).toBe(NOW - 86_400_000);
    for (const url of ['/new?since=%3Cscript%3E', '/new?page=-1', '/new?since=1h&page=99'])
      assertOnlyOwnMarkup(body(url));
  });

  it('says how long resolved groups were open: each one, and the median and 90th percentile', () => {
    expect(body('/')).toContain('No group was resolved in the last 30 days.');
    // Ten groups open at the same time, fixed after 1 to 10 hours; one fixed 40 days ago is left out.
    clock = NOW - 50 * 86_400_000;
    store.ingest([[ev('old', 'kernel.old')]]);
    clock = NOW - 40 * 86_400_000;
    store.ingest([[ev('old', 'kernel.old', { status: 'pass' })]]);
    clock = NOW - 12 * 3600_000;
    store.ingest([Array.from({ length: 10 }, (_, i) => ev('a', `kernel.c${i}`))]);
    for (let i = 0; i < 10; i++) {
      clock = NOW - 12 * 3600_000 + (i + 1) * 3600_000;
      store.ingest([[ev('a', `kernel.c${i}`, { status: 'pass' })]]);
    }
    const html = body('/');
    expect(html).toMatch(
      /over the 10 groups resolved in the last 30 days: median <b id="ttf-median">6h<\/b>, 90th percentile <b id="ttf-p90">10h<\/b>/,
    );
    const row = html.slice(html.indexOf('<tr data-group="kernel.c0">'));
    expect(row.slice(0, row.indexOf('</tr>'))).toContain('<td class="num">60m</td>');
  });

  it('charts the checks failing at the end of each day from the stored events (the last hour of re-sends)', () => {
    const day = 86_400_000;
    const endOf = (ms: number) => Math.floor(ms / day) * day + day;
    // Three days ago, in that day's last hour: two nodes fail a check, one re-sends it (counted once), a third
    // node's failure is accepted, a heartbeat and a pass come too. Earlier that day: a failure outside the window.
    clock = endOf(NOW - 3 * day) - 5 * 3600_000;
    store.ingest([[ev('z', 'kernel.early')]]);
    clock = endOf(NOW - 3 * day) - 1800_000;
    store.ingest([
      [ev('a', 'ssh.password_auth'), ev('b', 'ssh.password_auth'), ev('a', 'ssh.password_auth', { message: 'again' })],
    ]);
    store.ingest([
      [
        ev('c', 'kernel.y', { accepted: true }),
        ev('c', 'hostward.heartbeat', { status: 'pass' }),
        ev('d', 'kernel.q', { status: 'pass' }),
      ],
    ]);
    // Today, within the hour before now: one failure.
    clock = NOW - 60_000;
    store.ingest([[ev('c', 'kernel.z')]]);
    const html = body('/');
    const bars: Record<string, number> = Object.fromEntries(
      [...html.matchAll(/<g data-day="([0-9-]+)" data-failing="(\d+)">/g)].map((m) => [m[1], Number(m[2])]),
    );
    const d = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    expect(Object.keys(bars)).toEqual(Array.from({ length: 14 }, (_, i) => d(NOW - (13 - i) * day)));
    expect(bars[d(NOW - 3 * day)]).toBe(2);
    expect(bars[d(NOW)]).toBe(1);
    expect(Object.values(bars).reduce((a, b) => a + b, 0)).toBe(3);
    expect(html).not.toMatch(/ style=/);
    expect(html).not.toContain('counted short');
  });
});
