/**
 * The installed set of RPM-family hosts from rpm's sqlite database (RHEL 9, Fedora >= 33, Amazon Linux 2023):
 * `SELECT hnum, blob FROM Packages`, each blob an RPM header (header.ts). Node 20 has no node:sqlite, so the
 * file is opened with sql.js (SQLite compiled to WebAssembly: pure JS, no native build, and it works on a copy
 * in memory, so a read-only mount or rpm's WAL mode cannot make the open fail or write a -shm file on the host).
 * sql.js is loaded on first use only.
 *
 * Limits, said in the result: the Berkeley DB `Packages` hash (RHEL/CentOS 7-8, Amazon Linux 2) and SUSE's
 * NDB `Packages.db` have no maintained JavaScript reader, so such hosts get a reason instead of packages;
 * committed transactions still in `rpmdb.sqlite-wal` (not yet checkpointed) are not seen.
 */
import { createRequire } from 'node:module';
import type { HostRoot } from '../../../src/sdk.js';
import { parseRpmHeader } from './header.js';
import type { RpmHeaderPackage } from './header.js';

export const RPMDB_DIRS = ['/usr/lib/sysimage/rpm', '/var/lib/rpm', '/usr/share/rpm'] as const;
export const RPMDB_MAX_BYTES = 512 * 1024 * 1024;
const MAX_PACKAGES = 200_000;

export interface RpmPackage extends RpmHeaderPackage {
  /** hnum: the row of the Packages table. */
  hnum: number;
}

export interface RpmDbLocation {
  kind: 'sqlite' | 'bdb' | 'ndb';
  path: string;
}

/** Where the host's rpm database is, by the files rpm's backends create. */
export async function locateRpmDb(host: HostRoot): Promise<RpmDbLocation | undefined> {
  for (const d of RPMDB_DIRS) {
    for (const [kind, file] of [
      ['sqlite', 'rpmdb.sqlite'],
      ['ndb', 'Packages.db'],
      ['bdb', 'Packages'],
    ] as const) {
      const st = await host.stat(`${d}/${file}`);
      if (st.ok && st.type === 'file') return { kind, path: st.realPath };
    }
  }
  return undefined;
}

export type RpmDbResult = { ok: true; packages: RpmPackage[]; problems: string[] } | { ok: false; reason: string };

type SqlJs = Awaited<ReturnType<(typeof import('sql.js'))['default']>>;
let sqlJs: Promise<SqlJs> | undefined;

function loadSqlJs(): Promise<SqlJs> {
  sqlJs ??= (async () => {
    const require = createRequire(import.meta.url);
    const init = (await import('sql.js')).default;
    return init({ locateFile: (f: string) => require.resolve(`sql.js/dist/${f}`) });
  })();
  return sqlJs;
}

/** Read the packages of an rpmdb.sqlite image (bytes): never throws. */
export async function readRpmDbSqlite(bytes: Uint8Array): Promise<RpmDbResult> {
  if (bytes.length < 100 || Buffer.from(bytes.subarray(0, 16)).toString('latin1') !== 'SQLite format 3\0')
    return { ok: false, reason: 'not an SQLite 3 database (bad header)' };
  let SQL: SqlJs;
  try {
    SQL = await loadSqlJs();
  } catch (e) {
    return { ok: false, reason: `cannot load sql.js: ${(e as Error).message}` };
  }
  let db: InstanceType<SqlJs['Database']> | undefined;
  try {
    db = new SQL.Database(bytes);
    const stmt = db.prepare('SELECT hnum, blob FROM Packages');
    const packages: RpmPackage[] = [];
    const problems: string[] = [];
    let rows = 0;
    while (stmt.step()) {
      if (++rows > MAX_PACKAGES) {
        problems.push(`stopped after ${MAX_PACKAGES} packages`);
        break;
      }
      const [hnum, blob] = stmt.get() as [unknown, unknown];
      if (!(blob instanceof Uint8Array)) {
        if (problems.length < 20) problems.push(`Packages row ${String(hnum)}: blob is not a BLOB`);
        continue;
      }
      const h = parseRpmHeader(blob);
      if (h.ok) packages.push({ ...h.pkg, hnum: Number(hnum) });
      else if (problems.length < 20) problems.push(`Packages row ${String(hnum)}: ${h.reason}`);
    }
    stmt.free();
    return { ok: true, packages, problems };
  } catch (e) {
    return { ok: false, reason: `cannot read the Packages table: ${(e as Error).message.slice(0, 200)}` };
  } finally {
    db?.close();
  }
}

/** The installed set from the host's rpm database, or the reason it cannot be read. */
export async function readRpmDb(host: HostRoot, loc: RpmDbLocation): Promise<RpmDbResult> {
  if (loc.kind === 'bdb')
    return {
      ok: false,
      reason: `${loc.path} is a Berkeley DB hash (RHEL/CentOS 7-8, Amazon Linux 2): no maintained JavaScript reader exists, so the installed set is unknown`,
    };
  if (loc.kind === 'ndb') return { ok: false, reason: `${loc.path} is an NDB database (SUSE): not supported` };
  const r = await host.readBytes(loc.path, { maxBytes: RPMDB_MAX_BYTES });
  if (!r.ok) return { ok: false, reason: `${loc.path}: ${r.code.replace(/_/g, ' ')} (${r.reason})` };
  const res = await readRpmDbSqlite(r.bytes);
  if (!res.ok) return { ok: false, reason: `${loc.path}: ${res.reason}` };
  const wal = await host.stat(`${loc.path}-wal`);
  if (wal.ok && wal.size > 0)
    res.problems.push(
      `${loc.path}-wal has ${wal.size} bytes not yet checkpointed: packages changed since the last checkpoint may be missing`,
    );
  return res;
}
