/**
 * The modules probe: the kernel modules CIS wants unavailable (table.ts) - denied by modprobe.d `install ...
 * /bin/false` and `blacklist`, or absent from the kernel - and not loaded now, plus core dumps restricted
 * (pam_limits `* hard core 0`, systemd-coredump Storage=none and ProcessSizeMax=0). fs.suid_dumpable, the
 * third part of restricting core dumps, is the kernel probe's sysctl row. Every read is bounded and goes
 * through the host root.
 */
import { defineProbe } from '../../src/sdk.js';
import type { HostRoot, ProbeContext } from '../../src/sdk.js';
import { MODULE_ROWS, canonical } from './table.js';
import { parseCmdlineBlacklist, parseCoredumpConf, parseLimits, parseModprobe, parseProcModules } from './parse.js';
import type { Availability, Coredump, CoredumpSetting, Loaded, ModulesFacts } from './types.js';
import { moduleChecks } from './checks.js';

export type { ModulesFacts } from './types.js';
export { MODULE_ROWS } from './table.js';

const MAX_FILE = 1024 * 1024;
/** Configuration files read per directory at most. */
const MAX_FILES = 256;
/** modprobe's directories, highest priority first: a file name in an earlier one hides the same name later. */
const MODPROBE_DIRS = [
  '/etc/modprobe.d',
  '/run/modprobe.d',
  '/usr/local/lib/modprobe.d',
  '/usr/lib/modprobe.d',
  '/lib/modprobe.d',
];
const COREDUMP_DIRS = [
  '/etc/systemd/coredump.conf.d',
  '/run/systemd/coredump.conf.d',
  '/usr/lib/systemd/coredump.conf.d',
];
const COREDUMP_BINARIES = ['/usr/lib/systemd/systemd-coredump', '/lib/systemd/systemd-coredump'];

const why = (r: { code: string; reason: string }) => `${r.code.replace(/_/g, ' ')} (${r.reason})`;

/** *.conf files of the directories, a name in an earlier directory hiding it in later ones, sorted by name. */
async function confFiles(host: HostRoot, dirs: readonly string[], problems: string[]): Promise<string[]> {
  const byName = new Map<string, string>();
  for (const dir of dirs) {
    const d = await host.readDir(dir);
    if (!d.ok) {
      if (d.code !== 'missing') problems.push(`${dir}: ${why(d)}`);
      continue;
    }
    const names = d.entries
      .filter((e) => e.name.endsWith('.conf') && e.type !== 'directory')
      .map((e) => e.name)
      .sort()
      .slice(0, MAX_FILES);
    for (const n of names) if (!byName.has(n)) byName.set(n, `${dir}/${n}`);
  }
  return [...byName.keys()].sort().map((n) => byName.get(n)!);
}

async function readModprobe(host: HostRoot, facts: ModulesFacts): Promise<void> {
  for (const file of await confFiles(host, MODPROBE_DIRS, facts.configProblems)) {
    const r = await host.readText(file, { maxBytes: MAX_FILE });
    if (!r.ok) {
      facts.configProblems.push(`${file}: ${why(r)}`);
      continue;
    }
    const p = parseModprobe(r.text, file);
    facts.directives.push(...p.directives);
    facts.configProblems.push(...p.problems);
  }
}

async function readLoaded(host: HostRoot): Promise<Loaded> {
  const r = await host.readText('/proc/modules', { maxBytes: 4 * MAX_FILE });
  if (r.ok) return { ok: true, names: parseProcModules(r.text) };
  // Without CONFIG_MODULES the kernel has no /proc/modules; a readable /proc/sys says /proc itself is mounted.
  if (r.code === 'missing' && (await host.readText('/proc/sys/kernel/osrelease', { maxBytes: 256 })).ok)
    return { ok: true, names: new Set(), noModuleSupport: true };
  return {
    ok: false,
    reason: `/proc/modules: ${why(r)}${r.code === 'missing' ? ": the host's /proc is not mounted in the scanned root, or the kernel has no module support" : ''}`,
  };
}

/** Whether each table module exists for the running kernel: a .ko file, built in, or neither. */
async function readAvailability(host: HostRoot): Promise<Map<string, Availability>> {
  const out = new Map<string, Availability>();
  const setAll = (a: Availability) => MODULE_ROWS.forEach((row) => out.set(canonical(row.module), a));
  const rel = await host.readText('/proc/sys/kernel/osrelease', { maxBytes: 256 });
  if (!rel.ok) {
    setAll({
      state: 'unknown',
      reason: `the running kernel's release is unknown (/proc/sys/kernel/osrelease: ${why(rel)})`,
    });
    return out;
  }
  const release = rel.text.trim();
  const base = `/lib/modules/${release}`;
  if (!/^[\w.+~-]+$/.test(release) || !(await host.exists(base))) {
    setAll({
      state: 'unknown',
      reason: `${base} is not in the scanned root, so whether a module exists cannot be told`,
    });
    return out;
  }
  const builtin = await host.readText(`${base}/modules.builtin`, { maxBytes: 4 * MAX_FILE });
  const builtins = new Set(builtin.ok ? builtin.text.split('\n').map((l) => l.trim().replace(/\.ko$/, '')) : []);
  for (const row of MODULE_ROWS) {
    let found: Availability = { state: 'absent', release };
    if (builtins.has(row.file)) found = { state: 'builtin', path: `${base}/modules.builtin` };
    else {
      for (const ext of ['.ko', '.ko.xz', '.ko.zst', '.ko.gz']) {
        if (await host.exists(`${base}/${row.file}${ext}`)) {
          found = { state: 'module', path: `${base}/${row.file}${ext}` };
          break;
        }
      }
    }
    out.set(canonical(row.module), found);
  }
  return out;
}

/** Built-in code shows in /sys/module (modules with parameters), /proc/filesystems and /proc/net/protocols. */
async function readInKernel(host: HostRoot): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const fs = await host.readText('/proc/filesystems', { maxBytes: 64 * 1024 });
  const protos = await host.readText('/proc/net/protocols', { maxBytes: 256 * 1024 });
  const fsNames = new Set(fs.ok ? fs.text.split('\n').map((l) => l.trim().split(/\s+/).pop() ?? '') : []);
  const protoNames = new Set(
    protos.ok ? protos.text.split('\n').map((l) => (l.split(/\s+/)[0] ?? '').toLowerCase()) : [],
  );
  for (const row of MODULE_ROWS) {
    const m = canonical(row.module);
    if (await host.exists(`/sys/module/${m}`)) out.set(m, `/sys/module/${m} exists`);
    else if (fsNames.has(row.module)) out.set(m, `/proc/filesystems lists ${row.module}`);
    else if (protoNames.has(row.module)) out.set(m, `/proc/net/protocols lists ${row.module.toUpperCase()}`);
  }
  return out;
}

async function readLimits(host: HostRoot): Promise<ModulesFacts['limits']> {
  const out: ModulesFacts['limits'] = { entries: [], problems: [], filesRead: [] };
  const files = ['/etc/security/limits.conf', ...(await confFiles(host, ['/etc/security/limits.d'], out.problems))];
  for (const file of files) {
    const r = await host.readText(file, { maxBytes: MAX_FILE });
    if (!r.ok) {
      if (r.code !== 'missing') out.problems.push(`${file}: ${why(r)}`);
      continue;
    }
    const p = parseLimits(r.text, file);
    out.filesRead.push(file);
    out.entries.push(...p.entries);
    out.problems.push(...p.problems);
  }
  return out;
}

async function readCoredump(host: HostRoot): Promise<Coredump> {
  let how: string | undefined;
  for (const b of COREDUMP_BINARIES) if (!how && (await host.exists(b))) how = `${b} exists`;
  const pattern = await host.readText('/proc/sys/kernel/core_pattern', { maxBytes: 4096 });
  if (!how && pattern.ok && pattern.text.includes('systemd-coredump'))
    how = `kernel.core_pattern pipes to systemd-coredump`;
  if (!how)
    return { installed: false, why: `systemd-coredump is not installed (no ${COREDUMP_BINARIES.join(' or ')})` };
  const problems: string[] = [];
  let storage: CoredumpSetting | undefined;
  let processSizeMax: CoredumpSetting | undefined;
  // The main file first, then drop-ins in name order: the last assignment wins, as systemd reads them.
  const files = ['/etc/systemd/coredump.conf', ...(await confFiles(host, COREDUMP_DIRS, problems))];
  for (const file of files) {
    const r = await host.readText(file, { maxBytes: MAX_FILE });
    if (!r.ok) {
      if (r.code !== 'missing') problems.push(`${file}: ${why(r)}`);
      continue;
    }
    const p = parseCoredumpConf(r.text, file);
    storage = p.storage ?? storage;
    processSizeMax = p.processSizeMax ?? processSizeMax;
  }
  return {
    installed: true,
    how,
    ...(storage ? { storage } : {}),
    ...(processSizeMax ? { processSizeMax } : {}),
    problems,
  };
}

async function gather(ctx: ProbeContext): Promise<ModulesFacts> {
  const { host } = ctx;
  const facts: ModulesFacts = {
    role: ctx.hostRole ?? { role: 'node', why: 'assumed: the scan gave no host role' },
    directives: [],
    configProblems: [],
    cmdlineBlacklist: new Set(),
    loaded: { ok: false, reason: 'not read' },
    available: new Map(),
    inKernel: new Map(),
    limits: { entries: [], problems: [], filesRead: [] },
    coredump: { installed: false, why: 'not read' },
  };
  const cmdline = await host.readText('/proc/cmdline', { maxBytes: 64 * 1024 });
  if (cmdline.ok) facts.cmdlineBlacklist = parseCmdlineBlacklist(cmdline.text);
  const [, loaded, available, inKernel, limits, coredump] = await Promise.all([
    readModprobe(host, facts),
    readLoaded(host),
    readAvailability(host),
    readInKernel(host),
    readLimits(host),
    readCoredump(host),
  ]);
  return { ...facts, loaded, available, inKernel, limits, coredump };
}

export const modulesProbe = defineProbe<ModulesFacts>({
  name: 'modules',
  description:
    'Kernel modules CIS wants unavailable (uncommon filesystems, USB storage, DCCP, SCTP, RDS, TIPC): denied in modprobe.d and not loaded; core dumps restricted by pam_limits and systemd-coredump.',
  checks: moduleChecks,
  gather,
});
