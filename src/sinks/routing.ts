/**
 * Routing and inhibition between the delivery queue and each sink.
 *
 * Routes are walked in order like Alertmanager's child routes: the first matching route decides, unless
 * it has `continue: true`, in which case later routes are tried too; a group no route matches goes to
 * `default`. Without routing every sink gets every group (the simple setup).
 *
 * Inhibition is decided per node, when a queued change is about to be delivered (on current fleet state,
 * as Alertmanager evaluates inhibition at notification time): a node of a group matching a rule's
 * `target` is left out of the change when, on that same node, another failing (check, severity) matches
 * the rule's `source`. A change left with no node is not sent; resolves are always sent (an incident
 * opened before the inhibiting check appeared must still close). Sinks whose receiver inhibits by itself
 * (Alertmanager, which sees the same node label) get uninhibited changes.
 */
import type { Severity } from '../contracts.js';
import type { DeliveryResult, FleetView, GroupChange, Sink, SinkContext } from '../collector/sink.js';
import type { InhibitRule, Matcher, Routing } from './routing-config.js';

/** The probe of a check id: `<probe>.<name>` (DESIGN.md), e.g. `hostward.node_silent` → `hostward`. */
export function probeOf(check: string): string {
  const i = check.indexOf('.');
  return i < 0 ? check : check.slice(0, i);
}

const globCache = new Map<string, RegExp>();
export function globMatch(glob: string, s: string): boolean {
  let re = globCache.get(glob);
  if (!re) {
    const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
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
  constructor(
    private readonly routing: Routing | undefined,
    /** Every configured sink name, for the route-less case. */
    private readonly allSinks: readonly string[],
  ) {}

  get inhibitRules(): readonly InhibitRule[] {
    return this.routing?.inhibit ?? [];
  }

  /** The configured sink names a group goes to. */
  sinksFor(check: string, severity: Severity): Set<string> {
    const r = this.routing;
    if (!r || (r.routes.length === 0 && r.default === undefined)) return new Set(this.allSinks);
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

/** Wrap a sink so that only routed, uninhibited changes reach it. Test notifications bypass both. */
export function routedSink(inner: Sink, router: Router): Sink {
  const target = inner.configName ?? inner.name;
  let fleet: FleetView | undefined;
  let ctxLog: SinkContext['log'] | undefined;
  const routed = (check: string, severity: Severity) => router.sinksFor(check, severity).has(target);
  const wrapped: Sink = {
    name: inner.name,
    configName: target,
    async deliver(change, signal): Promise<DeliveryResult | void> {
      if (change.test) return inner.deliver(change, signal);
      if (!routed(change.check, change.severity)) return { skipped: 'not routed to this sink' };
      let out: GroupChange | undefined = change;
      if (!inner.ownInhibition && fleet && router.inhibitRules.length > 0 && change.action !== 'resolve') {
        // A change lists at most 100 nodes: beyond that, the whole group comes from fleet state.
        const candidates = change.nodes.length >= change.nodeCount ? change.nodes : fleet.failing(change.check, change.severity).map((f) => f.node);
        const muted = router.inhibited(change.check, change.severity, candidates, fleet);
        out = applyInhibition(change, muted);
        if (muted.size > 0) ctxLog?.debug({ key: change.key, inhibited: muted.size }, 'nodes inhibited');
      }
      if (!out) return { skipped: 'inhibited on every node' };
      return inner.deliver(out, signal);
    },
    attach(ctx) {
      fleet = ctx.fleet;
      ctxLog = ctx.log;
      inner.attach?.({ ...ctx, routed });
    },
  };
  if (inner.ownInhibition) Object.assign(wrapped, { ownInhibition: true });
  if (inner.close) wrapped.close = () => inner.close!();
  return wrapped;
}
