/**
 * GET /v1/nodes and /v1/alerts in pages (read-api.ts), on the real collector process: a page never holds more
 * than its limit, following the next cursor visits every node exactly once while nodes are being added, bad
 * cursors and limits are a 400 naming them. Timing (the event loop at 200,000 nodes) is bench/collector-paging.mjs's.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { rmSync } from 'node:fs';
import type { AlertGroup, NodeSummary } from '../../src/contracts.js';
import { NODES_LIMIT_DEFAULT, NODES_LIMIT_MAX } from '../../src/collector/read-api.js';
import { event, makeDirs, post, requireBuild, startCollectorProcess, stop } from './helpers.js';
import type { Dirs, Proc } from './helpers.js';
import { TOKEN } from './helpers.js';

let d: Dirs;
let c: Proc;
let seq = 0;
const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };

/** One failing event each for `names` (checks spread over a few groups), in requests of 1,000. */
async function report(names: string[]): Promise<void> {
  for (let i = 0; i < names.length; i += 1000) {
    const batch = names.slice(i, i + 1000).map((node, j) => event(seq++, { node, check: `ssh.check_${(i + j) % 7}` }));
    expect((await post(c.base, batch)).status).toBe(202);
  }
}

const name = (i: number) => `node-${String(i).padStart(5, '0')}`;

async function get(path: string): Promise<{ status: number; body: unknown; next: string | null; link: string | null }> {
  const r = await fetch(`${c.base}${path}`, auth);
  return {
    status: r.status,
    body: await r.json(),
    next: r.headers.get('hostward-next-cursor'),
    link: r.headers.get('link'),
  };
}

beforeAll(async () => {
  requireBuild();
  d = makeDirs();
  c = await startCollectorProcess(d);
  await report(Array.from({ length: NODES_LIMIT_DEFAULT + 700 }, (_, i) => name(i * 2)));
}, 120_000);

afterAll(async () => {
  if (c) expect(await stop(c)).toBe(0);
  if (d) rmSync(d.dir, { recursive: true, force: true });
});

describe('GET /v1/nodes in pages', () => {
  it('without a limit: the default page size, a next cursor, the body still an array', async () => {
    const r = await get('/v1/nodes');
    expect(r.status).toBe(200);
    expect(Array.isArray(r.body)).toBe(true);
    expect((r.body as NodeSummary[]).length).toBe(NODES_LIMIT_DEFAULT);
    expect(r.next).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(r.link).toBe(`</v1/nodes?cursor=${r.next}&limit=${NODES_LIMIT_DEFAULT}>; rel="next"`);
  });

  it('a limit above the maximum is cut to it; a page never exceeds its limit', async () => {
    const big = await get(`/v1/nodes?limit=${NODES_LIMIT_MAX * 10}`);
    expect((big.body as NodeSummary[]).length).toBeLessThanOrEqual(NODES_LIMIT_MAX);
    for (const limit of [1, 7, 333]) {
      const r = await get(`/v1/nodes?limit=${limit}`);
      expect((r.body as NodeSummary[]).length).toBe(limit);
    }
  });

  it('following next visits every node exactly once while nodes are added, and ends', async () => {
    let cursor: string | null = null;
    // The nodes present at the start, then a walk during which new names land before, inside and after it.
    const present = (await allNodes(2000)).map((n) => n.node);
    const seen: string[] = [];
    let added = 0;
    let pages = 0;
    for (;;) {
      const r = await get(`/v1/nodes?limit=97${cursor === null ? '' : `&cursor=${cursor}`}`);
      expect(r.status).toBe(200);
      const page = r.body as NodeSummary[];
      expect(page.length).toBeLessThanOrEqual(97);
      seen.push(...page.map((n) => n.node));
      // Odd numbers are new names, between the existing ones: some behind the cursor, some ahead of it.
      await report([name(pages * 20 + 1), name(1199 * 2 - pages * 20 + 1), `zz-${pages}`]);
      added += 3;
      pages++;
      cursor = r.next;
      if (!cursor) break;
    }
    expect(new Set(seen).size).toBe(seen.length);
    const got = new Set(seen);
    expect(present.filter((n) => !got.has(n))).toEqual([]);
    expect(seen).toEqual([...seen].sort());
    expect(added).toBeGreaterThan(0);
  });

  it('a bad cursor or limit is a 400 naming it', async () => {
    const alertsCursor = (await get('/v1/alerts?limit=1')).next!;
    for (const bad of [
      '%%%',
      'bm90IGpzb24',
      Buffer.from('{"k":"n"}').toString('base64url'),
      alertsCursor,
      'x'.repeat(5000),
    ]) {
      const r = await get(`/v1/nodes?cursor=${bad}`);
      expect(r.status).toBe(400);
      expect((r.body as { error: string }).error).toMatch(/^cursor: not a cursor of \/v1\/nodes/);
    }
    for (const bad of ['0', '-1', 'ten', '1e3', '']) {
      const r = await get(`/v1/nodes?limit=${bad}`);
      expect(r.status).toBe(400);
      expect((r.body as { error: string }).error).toMatch(/^limit: must be an integer from 1 to /);
    }
  });
});

describe('GET /v1/alerts in pages', () => {
  it('open groups first, every group once, at most limit per page, each with its node count', async () => {
    const all: AlertGroup[] = [];
    let cursor: string | null = null;
    for (;;) {
      const r = await get(`/v1/alerts?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`);
      expect(r.status).toBe(200);
      expect((r.body as AlertGroup[]).length).toBeLessThanOrEqual(2);
      all.push(...(r.body as AlertGroup[]));
      cursor = r.next;
      if (!cursor) break;
    }
    expect(all.map((g) => g.check).sort()).toEqual(Array.from({ length: 7 }, (_, i) => `ssh.check_${i}`));
    for (const g of all) {
      expect(g.nodeCount).toBeGreaterThan(0);
      expect(g.nodes.length).toBe(Math.min(g.nodeCount, 1000));
    }
    const nodeCursor = (await get('/v1/nodes?limit=1')).next!;
    const r = await get(`/v1/alerts?cursor=${nodeCursor}`);
    expect(r.status).toBe(400);
    expect((r.body as { error: string }).error).toMatch(/^cursor: not a cursor of \/v1\/alerts/);
  });
});

async function allNodes(limit: number): Promise<NodeSummary[]> {
  const out: NodeSummary[] = [];
  let cursor: string | null = null;
  do {
    const r = await get(`/v1/nodes?limit=${limit}${cursor === null ? '' : `&cursor=${cursor}`}`);
    out.push(...(r.body as NodeSummary[]));
    cursor = r.next;
  } while (cursor);
  return out;
}
