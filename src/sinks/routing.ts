/**
 * Routing and inhibition between the delivery queue and each sink.
 *
 * Routes are walked in order like Alertmanager's child routes: the first matching route decides, unless
 * it has `continue: true`, in which case later routes are tried too; a group no route matches goes to
 * `default`. Without a `routing` block each sink gets the groups from its kind's floor up (DEFAULT_FLOORS):
 * an info-level finding must not page anyone. A routing block without routes or default (inhibition only)
 * sends every group to every sink.
 *
 * Inhibition is decided per node, when a queued change is about to be delivered (on current fleet state,
 * as Alertmanager evaluates inhibition at notification time): a node of a group matching a rule's
 * `target` is left out of the change when, on that same node, another failing (check, severity) matches
 * the rule's `source`. A change left with no node is not sent; resolves are always sent (an incident
 * opened before the inhibiting check appeared must still close). Sinks whose receiver inhibits by itself
 * (Alertmanager, which sees the same node label) get uninhibited changes.
 *
 * Muted nodes are announced once what muted them goes (issue 9). Each inhibiting sink keeps, in the
 * collector's database (InhibitionLedger), per target group: the nodes it withheld in its last delivery and
 * whether it holds the group open. Every queued change that removes nodes from any group (a source that
 * resolved, left, or changed severity) is, before it is itself handed on, a cue to re-evaluate this sink's
 * groups that withheld one of those nodes: nodes no longer muted are sent as an `update` (`open` when the
 * sink never got the group), listed in `added`. The cue is a queue row, acknowledged only after the
 * announcement, so a restart in between announces it then; the ledger is updated after each send, so a
 * retry does not announce twice. A node muted later is not retracted (Alertmanager does not either).
 */
import type { Database, Statement } from '../collector/sqlite.js';
import type { Severity } from '../contracts.js';
import type { DeliveryResult, FleetView, GroupChange, Sink, SinkContext } from '../collector/sink.js';
import { SinkError } from '../collector/sink.js';
import { SEVERITIES, atLeast, probeOf } from '../contracts.js';
import { DEFAULT_FLOORS, floorOf } from './registry.js';
import type { InhibitRule, Matcher, Routing } from './routing-config.js';
/**
 * The least severity each kind of sink gets when the configuration has no `routing` block, declared by
 * each sink's definition. A pager wakes someone: critical and high only. Chat and webhooks (often a
 * ticketing system) are read soon: medium and above. Alertmanager gets everything and routes by the
 * `severity` label itself; a file is a record.
 */
export { DEFAULT_FLOORS };

const globCache = new Map<string, RegExp>();
export function globMatch(glob: string, s: string): boolean {
  let re = globCache.get(glob);
  if (!re) {
    const body = glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    re = new RegExp(`^${body}$`);
    if (globCache.size < 1000) globCache.set(glob, re);
  }
  return re.test(s);
}

export function matches(m: Matcher, check: string, severity: Severity): boolean {
  if (m.severities && !m.severities.includes(severity)) return false;
  if (m.probes && !m.probes.includes(probeOf(check))) return false;
  if (m.checks && !m.checks.some((g) => globMatch(g, check))) return false;
  return true;
}

export class Router {
  /** Without a routing block: the sinks each severity goes to. */
  private readonly byFloor: ReadonlyMap<Severity, ReadonlySet<string>>;

  constructor(
    private readonly routing: Routing | undefined,
    /** Every configured sink name. */
    private readonly allSinks: readonly string[],
    /** The kind of each configured sink, for the default floors; a sink not listed gets every group. */
    types: ReadonlyMap<string, string> = new Map(),
  ) {
    const admits = (sink: string, s: Severity) => {
      const floor = floorOf(types.get(sink));
      return floor === undefined || atLeast(s, floor);
    };
    this.byFloor = new Map(SEVERITIES.map((s) => [s, new Set(allSinks.filter((sink) => admits(sink, s)))]));
  }

  get inhibitRules(): readonly InhibitRule[] {
    return this.routing?.inhibit ?? [];
  }

  /** The configured sink names a group goes to. */
  sinksFor(check: string, severity: Severity): Set<string> {
    const r = this.routing;
    if (!r) return new Set(this.byFloor.get(severity));
    if (r.routes.length === 0 && r.default === undefined) return new Set(this.allSinks);
    const out = new Set<string>();
    let matched = false;
    for (const route of r.routes) {
      if (!matches(route.match, check, severity)) continue;
      matched = true;
      for (const s of route.sinks) out.add(s);
      if (!route.continue) break;
    }
    if (!matched) for (const s of r.default ?? []) out.add(s);
    return out;
  }

  /**
   * The nodes of `nodes` (failing `check` at `severity`) that an inhibit rule mutes. A pair matching both
   * sides of a rule cannot be muted by another pair matching both (Alertmanager's rule against mutual
   * inhibition).
   */
  inhibited(check: string, severity: Severity, nodes: readonly string[], fleet: FleetView): Set<string> {
    const rules = this.inhibitRules.filter((r) => matches(r.target, check, severity));
    const out = new Set<string>();
    if (rules.length === 0 || nodes.length === 0) return out;
    const onNode = fleet.failingOn(nodes);
    for (const node of nodes) {
      const others = (onNode.get(node) ?? []).filter((p) => p.check !== check || p.severity !== severity);
      if (
        others.some((p) =>
          rules.some((r) => {
            if (!matches(r.source, p.check, p.severity)) return false;
            const selfBoth = matches(r.source, check, severity);
            const otherBoth = matches(r.target, p.check, p.severity);
            return !(selfBoth && otherBoth);
          }),
        )
      )
        out.add(node);
    }
    return out;
  }
}

/** `change` without the inhibited nodes; undefined when nothing is left worth sending. */
export function applyInhibition(change: GroupChange, inhibited: ReadonlySet<string>): GroupChange | undefined {
  if (inhibited.size === 0 || change.action === 'resolve') return change;
  const nodes = change.nodes.filter((n) => !inhibited.has(n));
  const added = change.added.filter((n) => !inhibited.has(n));
  // The change lists every node when it has at most 100; beyond, `inhibited` was computed over the whole group.
  const complete = change.nodes.length >= change.nodeCount;
  const nodeCount = complete ? nodes.length : Math.max(0, change.nodeCount - inhibited.size);
  if (nodeCount === 0) return undefined;
  // An update whose every joining node is muted and that loses none changes nothing a person would see.
  if (change.action === 'update' && added.length === 0 && change.removed.length === 0) return undefined;
  return { ...change, nodes, added, nodeCount };
}

/** What an inhibiting sink was last told about one target group (see the header). */
export interface LedgerEntry {
  key: string;
  /** The sink holds the group open (an open or update was delivered, no resolve since). */
  told: boolean;
  /** Failing nodes the sink has not been shown because they were muted, sorted. */
  muted: string[];
  /** The group's last queued change: key, check, severity, title, openedAt for an announcement. */
  change: GroupChange;
}

/**
 * Per sink and target group, what inhibition withheld: a table of the collector's database (created here,
 * outside the store's migrations, since only the dispatcher's connection reads or writes it; an old
 * collector ignores it). Rows exist only for inhibiting sinks and groups some rule targets.
 */
export class InhibitionLedger {
  private readonly st: {
    get: Statement;
    put: Statement;
    drop: Statement;
    withholding: Statement;
    withholdingAny: Statement;
  };

  constructor(db: Database) {
    // The table is the store's migration 4 (src/collector/store.ts).
    const cols = 'group_key, told, muted, change';
    this.st = {
      get: db.prepare(`SELECT ${cols} FROM inhibition_ledger WHERE sink = ? AND group_key = ?`),
      put: db.prepare(`INSERT INTO inhibition_ledger (sink, group_key, told, muted, change) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (sink, group_key) DO UPDATE SET told = excluded.told, muted = excluded.muted, change = excluded.change`),
      drop: db.prepare(`DELETE FROM inhibition_ledger WHERE sink = ? AND group_key = ?`),
      withholding: db.prepare(`SELECT ${cols} FROM inhibition_ledger l WHERE sink = ? AND muted <> '[]'
        AND EXISTS (SELECT 1 FROM json_each(l.muted) m WHERE m.value IN (SELECT value FROM json_each(?))) ORDER BY group_key`),
      withholdingAny: db.prepare(
        `SELECT ${cols} FROM inhibition_ledger WHERE sink = ? AND muted <> '[]' ORDER BY group_key`,
      ),
    };
  }

  get(sink: string, key: string): LedgerEntry | undefined {
    const r = this.st.get.get(sink, key) as LedgerRow | undefined;
    return r && fromRow(r);
  }

  put(sink: string, change: GroupChange, told: boolean, muted: Iterable<string>): void {
    this.st.put.run(sink, change.key, told ? 1 : 0, JSON.stringify([...new Set(muted)].sort()), JSON.stringify(change));
  }

  drop(sink: string, key: string): void {
    this.st.drop.run(sink, key);
  }

  /** The sink's groups that withheld one of `nodes`; every group withholding any node when `nodes` is undefined. */
  withholding(sink: string, nodes: readonly string[] | undefined): LedgerEntry[] {
    const rows = (
      nodes === undefined ? this.st.withholdingAny.all(sink) : this.st.withholding.all(sink, JSON.stringify(nodes))
    ) as LedgerRow[];
    return rows.map(fromRow);
  }
}

interface LedgerRow {
  group_key: string;
  told: number;
  muted: string;
  change: string;
}

function fromRow(r: LedgerRow): LedgerEntry {
  return {
    key: r.group_key,
    told: r.told === 1,
    muted: JSON.parse(r.muted) as string[],
    change: JSON.parse(r.change) as GroupChange,
  };
}

/** What the dispatcher gives a routed sink: the sink context and the ledger on the store's connection. */
export interface RoutingContext extends SinkContext {
  ledger?: InhibitionLedger;
}

/** How many nodes a change lists (store.ts CHANGE_NODES_MAX): a list this long may have been cut. */
const LISTED_MAX = 100;

/** What a routed sink knows: the sink it wraps, the router, and what the dispatcher gave it. */
interface RouteState {
  readonly inner: Sink;
  readonly router: Router;
  /** The configured name routes use. */
  readonly target: string;
  /** The queue's name: the ledger's key. */
  readonly queue: string;
  fleet?: FleetView;
  log?: SinkContext['log'];
  ledger?: InhibitionLedger;
}

const routedTo = (st: RouteState, check: string, severity: Severity): boolean =>
  st.router.sinksFor(check, severity).has(st.target);

/** Whether hostward's inhibition applies to this sink now. */
const inhibits = (st: RouteState): boolean =>
  !st.inner.ownInhibition && st.fleet !== undefined && st.router.inhibitRules.length > 0;

/** Whether some inhibit rule targets the group (its withheld nodes are then kept in the ledger). */
const isTarget = (router: Router, check: string, severity: Severity): boolean =>
  router.inhibitRules.some((r) => matches(r.target, check, severity));

/** The announcement of nodes no longer muted: an update listing them, or an open if the sink never got it. */
function releaseChange(e: LedgerEntry, nodes: readonly string[], released: readonly string[]): GroupChange {
  return {
    ...e.change,
    action: e.told ? 'update' : 'open',
    status: 'open',
    nodeCount: nodes.length,
    nodes: nodes.slice(0, LISTED_MAX),
    added: (e.told ? released : nodes).slice(0, LISTED_MAX),
    removed: [],
    updatedAt: new Date().toISOString(),
  };
}

/** Re-evaluate one ledger entry whose muted nodes may have been released, and announce them. */
async function announceEntry(
  st: RouteState,
  ledger: InhibitionLedger,
  fleet: FleetView,
  e: LedgerEntry,
  signal: AbortSignal,
) {
  const { check, severity } = e.change;
  if (!routedTo(st, check, severity) || !isTarget(st.router, check, severity)) {
    ledger.drop(st.queue, e.key);
    return;
  }
  const failing = fleet.failing(check, severity).map((f) => f.node);
  const stillFailing = new Set(failing);
  const muted = st.router.inhibited(check, severity, failing, fleet);
  const released = e.muted.filter((n) => stillFailing.has(n) && !muted.has(n));
  const withheld = e.muted.filter((n) => stillFailing.has(n) && muted.has(n));
  if (released.length === 0) {
    if (withheld.length !== e.muted.length) ledger.put(st.queue, e.change, e.told, withheld);
    return;
  }
  const change = releaseChange(
    e,
    failing.filter((n) => !muted.has(n)),
    released,
  );
  try {
    await st.inner.deliver(change, signal);
  } catch (err) {
    if (!(err instanceof SinkError && err.permanent)) throw err;
    st.log?.error(
      { key: e.key, err: err.message },
      'sink refused the announcement of nodes no longer muted; not retried',
    );
  }
  // Every failing node not shown now stays withheld (not only those of `muted`: beyond 100 nodes).
  ledger.put(st.queue, change, true, withheld.concat([...muted].filter((n) => stillFailing.has(n))));
  st.log?.info({ key: e.key, check, severity, released: released.length }, 'nodes no longer muted announced');
}

/**
 * `removed` left some group: announce the nodes this sink withheld from other groups that are no longer
 * muted. A transient failure throws (the cue is retried); a permanent one gives that announcement up.
 */
async function announceReleased(st: RouteState, removed: readonly string[], signal: AbortSignal): Promise<void> {
  const { ledger, fleet } = st;
  if (!ledger || !fleet || removed.length === 0) return;
  for (const e of ledger.withholding(st.queue, removed.length >= LISTED_MAX ? undefined : removed))
    await announceEntry(st, ledger, fleet, e, signal);
}

/** Nodes withheld before and shown now are news to this sink, as is the group if it never got it. */
function withReleased(out: GroupChange, before: LedgerEntry): GroupChange {
  const shown = new Set(out.nodes);
  const back = before.muted.filter((n) => shown.has(n) && !out.added.includes(n));
  let next = out;
  if (back.length > 0) next = { ...next, added: [...next.added, ...back].sort().slice(0, LISTED_MAX) };
  if (!before.told && next.action === 'update') next = { ...next, action: 'open', added: next.nodes };
  return next;
}

/** Deliver an open or update with the nodes an inhibit rule mutes left out, and keep the ledger. */
async function deliverInhibited(
  st: RouteState,
  fleet: FleetView,
  change: GroupChange,
  signal: AbortSignal,
): Promise<DeliveryResult | void> {
  // A change lists at most 100 nodes: beyond that, the whole group comes from fleet state.
  const candidates =
    change.nodes.length >= change.nodeCount
      ? change.nodes
      : fleet.failing(change.check, change.severity).map((f) => f.node);
  const muted = st.router.inhibited(change.check, change.severity, candidates, fleet);
  let out = applyInhibition(change, muted);
  if (muted.size > 0) st.log?.debug({ key: change.key, inhibited: muted.size }, 'nodes inhibited');
  const ledger = st.ledger !== undefined && isTarget(st.router, change.check, change.severity) ? st.ledger : undefined;
  const before = ledger?.get(st.queue, change.key);
  if (out && before) out = withReleased(out, before);
  if (!out) {
    // Nothing shown: what was withheld stays withheld, with the newly muted nodes.
    ledger?.put(st.queue, change, before ? before.told : change.action !== 'open', [
      ...(before?.muted ?? []),
      ...muted,
    ]);
    return { skipped: 'inhibited on every node' };
  }
  const result = await st.inner.deliver(out, signal);
  ledger?.put(st.queue, change, true, muted);
  return result;
}

/** Wrap a sink so that only routed, uninhibited changes reach it. Test notifications bypass both. */
export function routedSink(inner: Sink, router: Router): Sink {
  const st: RouteState = { inner, router, target: inner.configName ?? inner.name, queue: inner.name };
  const routed = (check: string, severity: Severity) => routedTo(st, check, severity);
  const wrapped: Sink = {
    name: inner.name,
    configName: st.target,
    ...(inner.type ? { type: inner.type } : {}),
    admits: routed,
    async deliver(change, signal): Promise<DeliveryResult | void> {
      if (change.test) return inner.deliver(change, signal);
      if (inhibits(st)) await announceReleased(st, change.removed, signal);
      if (!routed(change.check, change.severity)) return { skipped: 'not routed to this sink' };
      if (!inhibits(st) || change.action === 'resolve') {
        const result = await inner.deliver(change, signal);
        if (change.action === 'resolve') st.ledger?.drop(st.queue, change.key);
        return result;
      }
      return deliverInhibited(st, st.fleet!, change, signal);
    },
    attach(ctx: RoutingContext) {
      st.fleet = ctx.fleet;
      st.log = ctx.log;
      if (ctx.ledger) st.ledger = ctx.ledger;
      inner.attach?.({ ...ctx, routed });
    },
  };
  if (inner.ownInhibition) Object.assign(wrapped, { ownInhibition: true });
  if (inner.close) wrapped.close = () => inner.close!();
  return wrapped;
}
