/** Text helpers shared by the payload builders (pure). */
import type { GroupChange } from '../collector/sink.js';

/** Cut to `max` characters (code points), marking the cut with an ellipsis. */
export function truncate(s: string, max: number): string {
  const cps = Array.from(s);
  if (cps.length <= max) return s;
  return cps.slice(0, max - 1).join('') + '…';
}

/** The headline of a change: "ssh.password_auth failing on 12 nodes", "ssh.password_auth resolved". */
export function headline(change: GroupChange): string {
  if (change.action === 'resolve') return `${change.check} resolved`;
  return `${change.check} failing on ${change.nodeCount} ${change.nodeCount === 1 ? 'node' : 'nodes'}`;
}

/** Where a person looks at this check on the fleet page (collector.publicUrl), or undefined without one. */
export function fleetLink(publicUrl: string | undefined, check: string): string | undefined {
  if (!publicUrl) return undefined;
  return `${publicUrl.replace(/\/+$/, '')}/?check=${encodeURIComponent(check)}`;
}
