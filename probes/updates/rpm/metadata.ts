/**
 * Repository metadata of the rpm world (createrepo_c's formats): repomd.xml (which files the repository has,
 * with their timestamps), primary.xml (one <package> per build: name, arch, epoch/version/release) and
 * updateinfo.xml (advisories: id, type, severity, issued, and the fixed packages). Parsed with saxes, a
 * streaming XML parser without DTD or entity expansion: the decoded text is fed in slices, and only the few
 * fields needed are kept (primary packages and advisory packages only for names in a caller's set), so the
 * memory kept does not grow with the <format>/<description> bulk of the files. Malformed, truncated or
 * oversized input is a problem in the result, never a throw.
 */
import { createRequire } from 'node:module';
import type * as Saxes from 'saxes';
import type { SaxesTagPlain } from 'saxes';

/**
 * saxes is loaded on first use: a Debian host never parses rpm metadata, and the agent imports every probe
 * for its catalogue without scanning.
 */
const load = createRequire(import.meta.url);
let saxes: typeof Saxes | undefined;
const saxesLib = () => (saxes ??= load('saxes') as typeof Saxes);

export interface RepomdData {
  type: string;
  href: string;
  timestamp?: number;
  size?: number;
  openSize?: number;
}

export interface Repomd {
  revision?: string;
  data: RepomdData[];
  /** Newest <timestamp> of the data entries (Unix seconds): when the repository metadata was generated. */
  newestTimestamp?: number;
}

export type Parsed<T> = ({ ok: true } & T) | { ok: false; reason: string };

const SLICE = 1 << 20;
const MAX_TEXT = 4096;

interface SaxHandlers {
  open(tag: SaxesTagPlain, depth: number): void;
  close(name: string, depth: number, text: string): void;
  /** Collect the text of the element just opened (its direct text, up to MAX_TEXT characters). */
  wantText(name: string, depth: number): boolean;
}

/**
 * Feed `bytes` (UTF-8 XML) through saxes; stops at the first error. `skip` names an element whose whole
 * byte range is not fed to the parser (found with a byte search: markup is never literal in XML text, and
 * createrepo_c writes no CDATA): primary.xml's <format> blocks (provides, requires, file lists) are most of
 * its bytes and none of what is needed.
 */
function runSax(bytes: Uint8Array, h: SaxHandlers, skip?: string): { error?: string } {
  const parser = new (saxesLib().SaxesParser)({ xmlns: false });
  let error: string | undefined;
  let depth = 0;
  let collecting = -1;
  let text = '';
  parser.on('error', (e) => {
    error ??= e.message.slice(0, 200);
  });
  parser.on('opentag', (t) => {
    depth++;
    h.open(t, depth);
    if (collecting < 0 && h.wantText(t.name, depth)) {
      collecting = depth;
      text = '';
    }
  });
  parser.on('text', (s) => {
    if (collecting >= 0 && text.length < MAX_TEXT) text += s.slice(0, MAX_TEXT - text.length);
  });
  parser.on('closetag', (t) => {
    const mine = collecting === depth;
    h.close(t.name, depth, mine ? text.trim() : '');
    if (mine) collecting = -1;
    depth--;
  });
  const dec = new TextDecoder('utf-8', { fatal: false });
  const feed = (from: number, to: number) => {
    for (let off = from; off < to && !error; off += SLICE) {
      const chunk = dec.decode(bytes.subarray(off, Math.min(off + SLICE, to)), { stream: true });
      try {
        parser.write(chunk);
      } catch (e) {
        error ??= (e as Error).message.slice(0, 200);
      }
    }
  };
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const open = skip ? Buffer.from(`<${skip}>`) : undefined;
  const close = skip ? Buffer.from(`</${skip}>`) : undefined;
  let pos = 0;
  while (pos < buf.length && !error) {
    const start = open ? buf.indexOf(open, pos) : -1;
    const end = start >= 0 ? buf.indexOf(close!, start + open!.length) : -1;
    if (start < 0 || end < 0) {
      feed(pos, buf.length);
      break;
    }
    feed(pos, start);
    pos = end + close!.length;
  }
  if (!error) {
    try {
      parser.close();
    } catch (e) {
      error ??= (e as Error).message.slice(0, 200);
    }
  }
  return error ? { error } : {};
}

const int = (s: string | undefined): number | undefined => {
  if (s === undefined || !/^\s*\d{1,15}(\.\d+)?\s*$/.test(s)) return undefined;
  return Math.floor(Number(s));
};

export function parseRepomd(bytes: Uint8Array): Parsed<{ repomd: Repomd }> {
  const repomd: Repomd = { data: [] };
  let cur: RepomdData | undefined;
  let sawRoot = false;
  const r = runSax(bytes, {
    open(t, depth) {
      if (depth === 1) sawRoot = t.name === 'repomd';
      else if (depth === 2 && t.name === 'data') cur = { type: String(t.attributes.type ?? ''), href: '' };
      else if (depth === 3 && cur && t.name === 'location') cur.href = String(t.attributes.href ?? '');
    },
    wantText: (name, depth) =>
      (depth === 2 && name === 'revision') || (depth === 3 && ['timestamp', 'size', 'open-size'].includes(name)),
    close(name, depth, text) {
      if (depth === 2 && name === 'revision') repomd.revision = text;
      else if (depth === 3 && cur) {
        if (name === 'timestamp') {
          const v = int(text);
          if (v !== undefined) cur.timestamp = v;
        } else if (name === 'size') {
          const v = int(text);
          if (v !== undefined) cur.size = v;
        } else if (name === 'open-size') {
          const v = int(text);
          if (v !== undefined) cur.openSize = v;
        }
      } else if (depth === 2 && name === 'data' && cur) {
        if (cur.type && cur.href && repomd.data.length < 1000) repomd.data.push(cur);
        cur = undefined;
      }
    },
  });
  if (r.error) return { ok: false, reason: `malformed repomd.xml: ${r.error}` };
  if (!sawRoot) return { ok: false, reason: 'not a repomd.xml (no <repomd> root element)' };
  const ts = repomd.data.map((d) => d.timestamp).filter((t): t is number => t !== undefined);
  if (ts.length) repomd.newestTimestamp = Math.max(...ts);
  else if (repomd.revision && /^\d{9,11}$/.test(repomd.revision)) repomd.newestTimestamp = Number(repomd.revision);
  return { ok: true, repomd };
}

export interface RpmNevra {
  name: string;
  arch: string;
  epoch?: number;
  version: string;
  release: string;
}

export interface PrimaryOptions {
  /** Keep only packages whose name this accepts (the installed names). */
  keep: (name: string) => boolean;
  /** Stop keeping after this many packages (a problem says so). */
  maxPackages?: number;
}

const epochOf = (s: string | undefined): number | undefined => {
  if (s === undefined || s === '') return undefined;
  if (!/^\d{1,9}$/.test(s)) return Number.NaN;
  return Number(s);
};

/** The packages of a primary.xml (kept ones) and how many it lists in all. */
export function parsePrimary(
  bytes: Uint8Array,
  opts: PrimaryOptions,
): Parsed<{ packages: RpmNevra[]; total: number; problems: string[] }> {
  const max = opts.maxPackages ?? 1_000_000;
  const packages: RpmNevra[] = [];
  const problems: string[] = [];
  let total = 0;
  let capped = false;
  let sawRoot = false;
  let cur: { name?: string; arch?: string; epoch?: number; version?: string; release?: string } | undefined;
  const r = runSax(
    bytes,
    {
      open(t, depth) {
        if (depth === 1) sawRoot = t.name === 'metadata';
        else if (depth === 2 && t.name === 'package') cur = {};
        else if (depth === 3 && cur && t.name === 'version') {
          const a = t.attributes;
          const e = epochOf(a.epoch);
          if (e !== undefined) cur.epoch = e;
          cur.version = String(a.ver ?? '');
          cur.release = String(a.rel ?? '');
        }
      },
      wantText: (name, depth) => depth === 3 && cur !== undefined && (name === 'name' || name === 'arch'),
      close(name, depth, text) {
        if (depth === 3 && cur) {
          if (name === 'name') cur.name = text;
          else if (name === 'arch') cur.arch = text;
        } else if (depth === 2 && name === 'package' && cur) {
          total++;
          const c = cur;
          cur = undefined;
          if (!c.name || !c.arch || c.version === undefined || c.release === undefined || Number.isNaN(c.epoch)) {
            if (problems.length < 10)
              problems.push(`package #${total}${c.name ? ` (${c.name})` : ''} lacks name, arch or a valid version`);
            return;
          }
          if (!opts.keep(c.name)) return;
          if (packages.length >= max) {
            if (!capped) problems.push(`stopped keeping packages after ${max}`);
            capped = true;
            return;
          }
          const p: RpmNevra = { name: c.name, arch: c.arch, version: c.version, release: c.release };
          if (c.epoch) p.epoch = c.epoch;
          packages.push(p);
        }
      },
    },
    'format',
  );
  if (r.error) return { ok: false, reason: `malformed primary.xml after ${total} packages: ${r.error}` };
  if (!sawRoot) return { ok: false, reason: 'not a primary.xml (no <metadata> root element)' };
  return { ok: true, packages, total, problems };
}

export interface Advisory {
  id: string;
  type: string;
  severity?: string;
  issued?: string;
  /** Fixed packages (kept ones). */
  packages: RpmNevra[];
}

export interface UpdateinfoOptions {
  keep: (name: string) => boolean;
  maxAdvisories?: number;
}

/** The advisories of an updateinfo.xml with at least one kept package, and how many it lists in all. */
export function parseUpdateinfo(
  bytes: Uint8Array,
  opts: UpdateinfoOptions,
): Parsed<{ advisories: Advisory[]; total: number; problems: string[] }> {
  const max = opts.maxAdvisories ?? 500_000;
  const advisories: Advisory[] = [];
  const problems: string[] = [];
  let total = 0;
  let capped = false;
  let sawRoot = false;
  let cur: Advisory | undefined;
  let inPkglist = false;
  const r = runSax(bytes, {
    open(t, depth) {
      if (depth === 1) sawRoot = t.name === 'updates';
      else if (depth === 2 && t.name === 'update')
        cur = { id: '', type: String(t.attributes.type ?? ''), packages: [] };
      else if (cur && depth === 3 && t.name === 'issued' && t.attributes.date !== undefined)
        cur.issued = String(t.attributes.date);
      else if (cur && depth === 3 && t.name === 'pkglist') inPkglist = true;
      else if (cur && inPkglist && t.name === 'package') {
        const a = t.attributes as Record<string, string>;
        const name = a.name;
        if (!name || !opts.keep(name)) return;
        const e = epochOf(a.epoch);
        if (!a.arch || a.version === undefined || a.release === undefined || Number.isNaN(e)) {
          if (problems.length < 10)
            problems.push(
              `advisory ${cur.id || `#${total + 1}`}: package ${name} lacks arch, version, release or a valid epoch`,
            );
          return;
        }
        const p: RpmNevra = { name, arch: a.arch, version: a.version, release: a.release };
        if (e !== undefined && e !== 0) p.epoch = e;
        if (cur.packages.length < 10_000) cur.packages.push(p);
      }
    },
    wantText: (name, depth) => cur !== undefined && depth === 3 && (name === 'id' || name === 'severity'),
    close(name, depth, text) {
      if (!cur) return;
      if (depth === 3 && name === 'id') cur.id = text;
      else if (depth === 3 && name === 'severity' && text) cur.severity = text;
      else if (depth === 3 && name === 'pkglist') inPkglist = false;
      else if (depth === 2 && name === 'update') {
        total++;
        const c = cur;
        cur = undefined;
        if (!c.id) {
          if (problems.length < 10) problems.push(`update #${total} has no <id>`);
          return;
        }
        if (c.packages.length === 0) return;
        if (advisories.length >= max) {
          if (!capped) problems.push(`stopped keeping advisories after ${max}`);
          capped = true;
          return;
        }
        advisories.push(c);
      }
    },
  });
  if (r.error) return { ok: false, reason: `malformed updateinfo.xml after ${total} advisories: ${r.error}` };
  if (!sawRoot) return { ok: false, reason: 'not an updateinfo.xml (no <updates> root element)' };
  return { ok: true, advisories, total, problems };
}
