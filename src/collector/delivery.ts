/**
 * The persistent delivery queue's dispatcher: one loop per sink, strictly in order, taking the oldest
 * unacknowledged change from the database, handing it to the sink, and marking it sent only after the
 * sink resolved. A collector killed at any moment re-delivers what was not marked (at-least-once; the
 * group key lets receivers deduplicate). Transient failures back off exponentially with full jitter; a
 * permanent SinkError is logged, counted and not retried. A change the sink skips on purpose (routed
 * elsewhere, inhibited) is marked done without counting as sent.
 *
 * Before the first delivery each sink is attached to a read-only view of fleet state on the store's
 * connection (src/sinks/fleet.ts): evidence for Slack, the whole group for Alertmanager and inhibition,
 * and to the inhibition ledger (src/sinks/routing.ts) that announces nodes once they are no longer muted.
 */
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { backoffMs } from '../alerts/sender.js';
import { SqliteFleetView } from '../sinks/fleet.js';
import { InhibitionLedger } from '../sinks/routing.js';
import type { RoutingContext } from '../sinks/routing.js';
import type { Sink } from './sink.js';
import { SinkError } from './sink.js';
import { redactSecrets } from '../sinks/redact.js';
import type { Store } from './store.js';

export interface DispatcherOptions {
  store: Store;
  sinks: readonly Sink[];
  log: Logger;
  sent: Counter<'sink'>;
  failed: Counter<'sink'>;
  /** Changes given up after a permanent refusal. */
  dead?: Counter<'sink'>;
  retryInitialMs: number;
  retryMaxMs: number;
}

export class Dispatcher {
  private closed = false;
  private readonly wakers = new Set<() => void>();
  private readonly loops: Promise<void>[] = [];
  private readonly ac = new AbortController();

  constructor(private readonly opts: DispatcherOptions) {}

  start(): void {
    const fleet = new SqliteFleetView(this.opts.store.db);
    const ledger = new InhibitionLedger(this.opts.store.db);
    for (const s of this.opts.sinks) {
      const ctx: RoutingContext = { fleet, ledger, log: this.opts.log.child({ sink: s.name }), routed: () => true };
      s.attach?.(ctx);
      this.loops.push(this.run(s));
    }
  }

  /** New changes were queued. */
  kick(): void {
    for (const w of [...this.wakers]) w();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.ac.abort();
    this.kick();
    await Promise.all(this.loops);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.wakers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      t.unref();
      this.wakers.add(done);
    });
  }

  private async run(sink: Sink): Promise<void> {
    const { store } = this.opts;
    const log = this.opts.log.child({ sink: sink.name });
    while (!this.closed) {
      let d;
      try {
        d = store.nextDelivery(sink.name);
      } catch (e) {
        log.error({ err: (e as Error).message }, 'delivery queue unreadable');
        await this.sleep(this.opts.retryMaxMs);
        continue;
      }
      if (!d) {
        await this.sleep(5000);
        continue;
      }
      const wait = d.nextAt - Date.now();
      if (wait > 0) {
        await this.sleep(wait);
        continue;
      }
      try {
        const result = await sink.deliver(d.change, this.ac.signal);
        store.markSent(d.id);
        if (result?.skipped) {
          log.debug({ key: d.change.key, action: d.change.action, reason: result.skipped }, 'not sent');
        } else {
          this.opts.sent.inc({ sink: sink.name });
          log.debug({ key: d.change.key, action: d.change.action }, 'delivered');
        }
      } catch (e) {
        this.opts.failed.inc({ sink: sink.name });
        // Every sink's secrets masked (redact.ts): the message is logged, stored as last_error and shown on the page.
        const err = redactSecrets(e instanceof Error ? e.message : String(e));
        if (e instanceof SinkError && e.permanent) {
          store.markDead(d.id, err);
          this.opts.dead?.inc({ sink: sink.name });
          log.error({ key: d.change.key, err }, 'sink refused the change (configuration?); not retried');
        } else {
          const retryIn = Math.max(
            e instanceof SinkError ? (e.retryAfterMs ?? 0) : 0,
            backoffMs(d.attempts, this.opts.retryInitialMs, this.opts.retryMaxMs),
          );
          store.markRetry(d.id, Date.now() + retryIn, err);
          log.warn(
            { key: d.change.key, err, attempts: d.attempts + 1, retryInMs: retryIn },
            'delivery failed; will retry',
          );
        }
      }
    }
  }
}
