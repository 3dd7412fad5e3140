/**
 * Read-only view of the collector's fleet state for sinks: prepared SELECTs on the store's own
 * connection (tables node_checks; schema in src/collector/store.ts). Nothing here writes.
 * Evidence is stored as JSON text by the store; a row whose evidence does not parse gets none rather
 * than failing a delivery.
 */
import type { Database, Statement } from '../collector/sqlite.js';
import type { Severity } from '../contracts.js';
import type { FailingNodeCheck, FleetView } from '../collector/sink.js';

interface Row {
  node: string;
  check_id: string;
  probe: string;
  severity: Severity;
  title: string;
  message: string;
  evidence: string;
  opened_at: string | null;
}

const COLUMNS = 'node, check_id, probe, severity, title, message, evidence, opened_at';
/** Nodes per IN (...) query: well under SQLite's default limit of 32766 host parameters. */
const IN_CHUNK = 500;

export class SqliteFleetView implements FleetView {
  private readonly byGroup: Statement;
  private readonly all: Statement;
  private readonly inChunk: Statement;

  constructor(private readonly db: Database) {
    this.byGroup = db.prepare(
      `SELECT ${COLUMNS} FROM node_checks WHERE check_id = ? AND severity = ? AND failing = 1 ORDER BY node`,
    );
    this.all = db.prepare(`SELECT ${COLUMNS} FROM node_checks WHERE failing = 1 ORDER BY check_id, severity, node`);
    this.inChunk = db.prepare(
      `SELECT node, check_id, severity FROM node_checks WHERE failing = 1 AND node IN (SELECT value FROM json_each(?)) ORDER BY node, check_id`,
    );
  }

  failing(check: string, severity: Severity): FailingNodeCheck[] {
    return (this.byGroup.all(check, severity) as Row[]).map(toFailing);
  }

  allFailing(): FailingNodeCheck[] {
    return (this.all.all() as Row[]).map(toFailing);
  }

  failingOn(nodes: readonly string[]): Map<string, { check: string; severity: Severity }[]> {
    const out = new Map<string, { check: string; severity: Severity }[]>();
    for (let i = 0; i < nodes.length; i += IN_CHUNK) {
      const rows = this.inChunk.all(JSON.stringify(nodes.slice(i, i + IN_CHUNK))) as {
        node: string;
        check_id: string;
        severity: Severity;
      }[];
      for (const r of rows) {
        let l = out.get(r.node);
        if (!l) out.set(r.node, (l = []));
        l.push({ check: r.check_id, severity: r.severity });
      }
    }
    return out;
  }
}

function toFailing(r: Row): FailingNodeCheck {
  return {
    node: r.node,
    check: r.check_id,
    probe: r.probe,
    severity: r.severity,
    title: r.title,
    message: r.message,
    evidence: parseEvidence(r.evidence),
    openedAt: r.opened_at,
  };
}

function parseEvidence(text: string): FailingNodeCheck['evidence'] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v)
      ? (v.filter((e) => typeof e === 'object' && e !== null) as FailingNodeCheck['evidence'])
      : [];
  } catch {
    return [];
  }
}
