/**
 * The kubelet's effective configuration, as the kubelet itself computes it:
 *
 *   defaults (v1beta1 with --config; the legacy command-line defaults without)
 *   < --config file < --config-dir drop-ins (*.conf, lexical order, kubelet 1.28+)
 *   < distribution built-in flags (k3s/RKE2) < command-line flags (last one of a name wins)
 *
 * The command line is the running kubelet's /proc/<pid>/cmdline. When no kubelet process is visible, it is
 * rebuilt from the distribution's files: the systemd unit with its drop-ins and environment files (kubeadm,
 * AKS, EKS AL2), k3s/RKE2 config.yaml `kubelet-arg`, and the known config paths (EKS config.json, GKE
 * kubelet-config.yaml, kubeadm config.yaml). Every value carries evidence (file:line or the cmdline).
 */
import path from 'node:path';
import type { Evidence } from '../../../contracts.js';
import type { HostRoot } from '../../root.js';
import { findProcesses, lastFlag } from '../processes/index.js';
import { perScan } from '../cache.js';
import { MAX_ARGS, collectUnit, expandExec, parseEnvFile, parseFlags, parseUnit, wordsOf } from './argv.js';
import type { EnvVar, UnitDirective, Word } from './argv.js';
import { parseKubeletConfig, parseRancherConfig } from './config-file.js';
import { FLAG_BY_NAME, LEGACY_FLAG_DEFAULTS, V1BETA1_DEFAULTS, clip, convertFlag } from './fields.js';
import type { Distribution, Flag, KubeletEffective, Setting, SettingSource } from './types.js';

/** Config files are small; anything bigger is not a kubelet configuration. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Drop-ins read at most from --config-dir. */
export const MAX_DROPINS = 256;

const fmt = (code: string, reason: string) => `${code.replace(/_/g, ' ')} (${reason})`;

export interface ProcessInfo {
  pid: number;
  comm: string;
  argv: string[];
}

/**
 * Processes whose comm (cut at 15 characters by the kernel) passes `candidate`, from the shared process table,
 * lowest pid first, with their argv without empty words (the kubelet's flag parser never sees them).
 */
export async function kubeletCandidates(
  host: HostRoot,
  candidate: (comm: string) => boolean,
  maxProcs: number,
): Promise<ProcessInfo[]> {
  const out: ProcessInfo[] = [];
  for (const p of await findProcesses(host, candidate, maxProcs)) {
    const argv = p.argv.filter((w) => w.length > 0).slice(0, MAX_ARGS + 2);
    if (argv.length > 0) out.push({ pid: p.pid, comm: p.comm, argv });
  }
  return out;
}

const base = (p: string) => p.split('/').pop() ?? p;

/** The kubelet's argv after the program name (hyperkube kubelet ... included). */
export function kubeletArgs(p: ProcessInfo): string[] | undefined {
  const b0 = base(p.argv[0]!);
  if (b0 === 'kubelet') return p.argv.slice(1);
  if (b0 === 'hyperkube' && (p.argv[1] === 'kubelet' || p.argv[1] === '--make-symlinks')) return p.argv.slice(2);
  if (p.comm === 'kubelet' && !/^(k3s|rke2)/.test(b0)) return p.argv.slice(1);
  return undefined;
}

/** k3s and RKE2 run as "k3s server|agent" (k3s retitles argv[0]); the kubelet runs inside k3s. */
export function rancherKind(p: ProcessInfo): 'k3s' | 'rke2' | undefined {
  const b0 = base(p.argv[0]!);
  if (b0 === 'k3s' || b0.startsWith('k3s-') || p.comm.startsWith('k3s-')) return 'k3s';
  if (b0 === 'rke2' || p.comm === 'rke2') return 'rke2';
  return undefined;
}

/**
 * Flags k3s passes to its embedded kubelet (pkg/daemons/agent, before v1.32 wrote them to
 * agent/etc/kubelet.conf.d/00-k3s-defaults.conf), with <data> the data dir. RKE2 uses the same code.
 */
export function rancherBuiltinFlags(dataDir: string): string[] {
  return [
    '--anonymous-auth=false',
    '--authentication-token-webhook=true',
    '--authorization-mode=Webhook',
    `--client-ca-file=${dataDir}/agent/client-ca.crt`,
    `--kubeconfig=${dataDir}/agent/kubelet.kubeconfig`,
    '--read-only-port=0',
    '--healthz-bind-address=127.0.0.1',
    `--tls-cert-file=${dataDir}/agent/serving-kubelet.crt`,
    `--tls-private-key-file=${dataDir}/agent/serving-kubelet.key`,
  ];
}

async function exists(host: HostRoot, p: string): Promise<boolean> {
  return (await host.stat(p)).ok;
}

const UNIT_DIRS = [
  '/etc/systemd/system',
  '/run/systemd/system',
  '/usr/local/lib/systemd/system',
  '/usr/lib/systemd/system',
  '/lib/systemd/system',
];

/** A service's unit file and drop-ins as systemd finds them: the first unit in search order, drop-ins by name. */
export async function unitFiles(host: HostRoot, unit: string): Promise<string[]> {
  let main: string | undefined;
  for (const d of UNIT_DIRS) {
    const st = await host.stat(`${d}/${unit}`);
    if (st.ok && st.type === 'file') {
      main = `${d}/${unit}`;
      break;
    }
  }
  const dropins = new Map<string, string>();
  for (const d of UNIT_DIRS) {
    for (const f of await host.glob(`${d}/${unit}.d/*.conf`)) {
      const name = base(f);
      if (!dropins.has(name)) dropins.set(name, f);
    }
  }
  const sorted = [...dropins.keys()].sort().map((n) => dropins.get(n)!);
  return main || sorted.length > 0 ? [...(main ? [main] : []), ...sorted] : [];
}

/** Rebuild a service's argv (after the program) from its unit, drop-ins and environment files. */
export async function argvFromUnit(
  host: HostRoot,
  files: readonly string[],
  problems: string[],
): Promise<{ words: Word[]; program?: string } | undefined> {
  const directives: UnitDirective[] = [];
  for (const f of files) {
    const r = await host.readText(f, { maxBytes: MAX_CONFIG_BYTES });
    if (!r.ok) problems.push(`${f}: ${fmt(r.code, r.reason)}`);
    else directives.push(...parseUnit(r.text, f));
  }
  const u = collectUnit(directives);
  if (!u.exec) return undefined;
  const env = new Map<string, EnvVar>(u.environment);
  for (const ef of u.environmentFiles) {
    const r = await host.readText(ef.path, { maxBytes: MAX_CONFIG_BYTES });
    if (r.ok) parseEnvFile(r.text, ef.path, env);
    else if (!ef.optional || r.code !== 'missing')
      problems.push(
        `${ef.path} (EnvironmentFile of ${ef.evidence.file}:${ef.evidence.line}): ${fmt(r.code, r.reason)}`,
      );
  }
  const words = expandExec(u.exec, env);
  const program = words.shift();
  return program ? { words, program: program.text } : { words };
}

interface Layer {
  source: SettingSource;
  leaves: { field: string; value: Setting['value']; evidence: Evidence }[];
}

/** Settings from flags (typed per the flag table); bad values become problems and do not apply. */
function flagLayer(flags: readonly Flag[], source: SettingSource, problems: string[]): Layer {
  const leaves: Layer['leaves'] = [];
  for (const f of flags) {
    const row = FLAG_BY_NAME.get(f.name);
    if (!row) continue;
    if (row.type === 'map') {
      for (const kv of f.value.split(',')) {
        const [k, v] = kv.split('=').map((s) => s.trim()) as [string, string | undefined];
        if (!k) continue;
        const b = v === undefined ? undefined : convertFlag({ flag: `${f.name} ${k}`, field: '', type: 'bool' }, v);
        if (!b || !b.ok) problems.push(`--${f.name}: ${clip(kv)} is not Name=true|false`);
        else leaves.push({ field: `${row.field}.${k}`, value: b.value, evidence: f.evidence });
      }
      continue;
    }
    const c = convertFlag(row, f.value);
    if (!c.ok) problems.push(c.reason);
    else leaves.push({ field: row.field, value: c.value, evidence: f.evidence });
  }
  return { source, leaves };
}

/** Read one KubeletConfiguration file into a layer. */
async function configLayer(
  host: HostRoot,
  file: string,
  source: SettingSource,
  eff: KubeletEffective,
): Promise<Layer | undefined> {
  const r = await host.readText(file, { maxBytes: MAX_CONFIG_BYTES });
  if (!r.ok) {
    const why = `${file}: ${fmt(r.code, r.reason)}`;
    eff.problems.push(why);
    eff.incomplete ??= why;
    return undefined;
  }
  const p = parseKubeletConfig(r.text, file);
  if (!p.ok) {
    const why = `${file}: ${p.reason}`;
    eff.problems.push(why);
    eff.incomplete ??= why;
    return undefined;
  }
  eff.problems.push(...p.problems.map((x) => `${file}: ${x}`));
  if (p.kind !== undefined && p.kind !== 'KubeletConfiguration')
    eff.problems.push(`${file}: kind ${p.kind}, not KubeletConfiguration`);
  return { source, leaves: p.leaves };
}

export interface ResolveOptions {
  maxProcesses: number;
}

/** Distribution config paths tried when no command line names a --config. */
const DIST_CONFIGS: readonly { path: string; distribution: Distribution; dir?: string }[] = [
  { path: '/etc/kubernetes/kubelet/config.json', distribution: 'eks', dir: '/etc/kubernetes/kubelet/config.json.d' },
  { path: '/etc/kubernetes/kubelet/kubelet-config.json', distribution: 'eks' },
  { path: '/home/kubernetes/kubelet-config.yaml', distribution: 'gke' },
  { path: '/etc/kubernetes/kubelet-config.yaml', distribution: 'gke' },
  { path: '/etc/default/kubeletconfig.json', distribution: 'aks' },
  { path: '/var/lib/kubelet/config.yaml', distribution: 'kubeadm' },
];

async function guessDistribution(host: HostRoot, configFile: string | undefined): Promise<Distribution> {
  const byPath = DIST_CONFIGS.find((d) => d.path === configFile);
  if (byPath && byPath.distribution !== 'kubeadm') return byPath.distribution;
  if (await exists(host, '/etc/eks')) return 'eks';
  if (await exists(host, '/home/kubernetes/kubelet-config.yaml')) return 'gke';
  if ((await exists(host, '/etc/default/kubeletconfig.json')) || (await exists(host, '/etc/kubernetes/azure.json')))
    return 'aks';
  if (
    (await exists(host, '/var/lib/kubelet/kubeadm-flags.env')) ||
    (await exists(host, '/etc/kubernetes/kubelet.conf'))
  )
    return 'kubeadm';
  return 'generic';
}

/**
 * The kubelet's effective configuration, resolved once per scan however many probes ask:
 * callers share the answer and do not change it.
 */
export const resolveKubelet = perScan((opts: ResolveOptions) => String(opts.maxProcesses), computeKubelet);

type Rancher = 'k3s' | 'rke2';

/** The kubelet's command line as words, and the distribution's built-in flags that come before it. */
interface CommandLine {
  words: Word[];
  builtin: Word[];
  rancher?: Rancher;
}

/** k3s or RKE2 from its directories, else its running process. */
async function rancherOf(host: HostRoot, proc: ProcessInfo | undefined): Promise<Rancher | undefined> {
  let rancher: Rancher | undefined;
  if ((await exists(host, '/etc/rancher/rke2')) || (await exists(host, '/var/lib/rancher/rke2'))) rancher = 'rke2';
  if ((await exists(host, '/etc/rancher/k3s')) || (await exists(host, '/var/lib/rancher/k3s'))) rancher = 'k3s';
  if (proc) rancher = rancherKind(proc);
  return rancher;
}

/** `kubelet-arg` of config.yaml and its config.yaml.d drop-ins, and the data directory they name. */
async function rancherConfigArgs(
  host: HostRoot,
  rancher: Rancher,
  eff: KubeletEffective,
): Promise<{ files: string[]; dataDir: string; argWords: Word[] }> {
  const dir = `/etc/rancher/${rancher}`;
  const files: string[] = [];
  let dataDir = `/var/lib/rancher/${rancher}`;
  const argWords: Word[] = [];
  for (const f of [`${dir}/config.yaml`, ...(await host.glob(`${dir}/config.yaml.d/*.yaml`))]) {
    const r = await host.readText(f, { maxBytes: MAX_CONFIG_BYTES });
    if (!r.ok) {
      if (r.code !== 'missing') eff.problems.push(`${f}: ${fmt(r.code, r.reason)}`);
      continue;
    }
    const p = parseRancherConfig(r.text, f);
    if ('ok' in p) {
      eff.problems.push(`${f}: ${p.reason}`);
      eff.incomplete ??= `${f}: ${p.reason}`;
      continue;
    }
    files.push(f);
    if (p.dataDir) dataDir = p.dataDir;
    for (const a of p.kubeletArgs)
      argWords.push({ text: a.text.startsWith('-') ? a.text : `--${a.text}`, evidence: a.evidence });
  }
  return { files, dataDir, argWords };
}

/** The kubelet inside k3s (no process of its own), or RKE2's, which is separate but may not be running. */
async function rancherCommandLine(
  host: HostRoot,
  rancher: Rancher,
  proc: ProcessInfo | undefined,
  eff: KubeletEffective,
): Promise<CommandLine> {
  const { files, argWords, ...rest } = await rancherConfigArgs(host, rancher, eff);
  let { dataDir } = rest;
  if (proc) {
    // --kubelet-arg on the k3s command line, after the config file's (k3s appends them).
    const file = `/proc/${proc.pid}/cmdline`;
    files.push(file);
    const args = proc.argv.slice(1).filter((a) => a !== 'server' && a !== 'agent');
    for (const f of parseFlags(wordsOf(args, file), new Set()).flags) {
      if (f.name === 'kubelet-arg')
        argWords.push({ text: f.value.startsWith('-') ? f.value : `--${f.value}`, evidence: f.evidence });
      if (f.name === 'data-dir' || f.name === 'd') dataDir = f.value;
    }
  }
  eff.origin = { kind: 'k3s', files };
  const confD = `${dataDir}/agent/etc/kubelet.conf.d`;
  // v1.32+: the built-in settings are a drop-in (00-k3s-defaults.conf) of this config dir.
  const builtin = (await exists(host, confD))
    ? [{ text: `--config-dir=${confD}`, evidence: { file: confD, text: `k3s/RKE2 kubelet config dir ${confD}` } }]
    : rancherBuiltinFlags(dataDir).map((t) => ({
        text: t,
        evidence: { text: `${rancher} built-in kubelet argument ${t}` },
      }));
  return { words: argWords, builtin, rancher };
}

/** The command line: the running kubelet's, else k3s/RKE2's files, else the systemd unit's ExecStart. */
async function commandLine(host: HostRoot, opts: ResolveOptions, eff: KubeletEffective): Promise<CommandLine> {
  const procs = await kubeletCandidates(
    host,
    (comm) => comm === 'kubelet' || comm.startsWith('k3s') || comm === 'rke2' || comm === 'hyperkube',
    opts.maxProcesses,
  );
  const kubeletProc = procs.find((p) => kubeletArgs(p) !== undefined);
  const rancherProc = procs.find((p) => rancherKind(p) !== undefined);
  const rancher = await rancherOf(host, rancherProc);
  const withRancher = rancher ? { rancher } : {};
  if (kubeletProc) {
    const file = `/proc/${kubeletProc.pid}/cmdline`;
    eff.present = true;
    eff.origin = { kind: 'process', pid: kubeletProc.pid, file };
    if (rancher === 'rke2') eff.distribution = 'rke2';
    return { words: wordsOf(kubeletArgs(kubeletProc)!, file), builtin: [], ...withRancher };
  }
  if (rancher) {
    eff.present = true;
    eff.distribution = rancher;
    return rancherCommandLine(host, rancher, rancherProc, eff);
  }
  const files = await unitFiles(host, 'kubelet.service');
  if (files.length === 0) return { words: [], builtin: [] };
  eff.present = true;
  const a = await argvFromUnit(host, files, eff.problems);
  if (!a) eff.problems.push(`no ExecStart= in ${files.join(', ')}`);
  eff.origin = { kind: 'systemd', unit: 'kubelet.service', files };
  return { words: a ? a.words : [], builtin: [] };
}

/** --config and --config-dir; the distribution's paths when the command line names none. */
async function configLocation(
  host: HostRoot,
  allFlags: readonly Flag[],
  eff: KubeletEffective,
): Promise<{ configFile?: string; configDir?: string }> {
  let configFile = lastFlag(allFlags, 'config')?.value;
  let configDir = lastFlag(allFlags, 'config-dir')?.value;
  if (!configFile && eff.origin.kind !== 'process' && !(eff.origin.kind === 'k3s')) {
    for (const d of DIST_CONFIGS) {
      if (!(await exists(host, d.path))) continue;
      configFile = d.path;
      eff.present = true;
      if (d.distribution !== 'kubeadm') eff.distribution = d.distribution;
      if (!configDir && d.dir && (await exists(host, d.dir))) configDir = d.dir;
      break;
    }
  }
  return { ...(configFile ? { configFile } : {}), ...(configDir ? { configDir } : {}) };
}

/** The KubeletConfiguration defaults: v1beta1's with --config, the legacy flag defaults without. */
function defaultLayer(configFile: string | undefined): Layer {
  const defaults = { ...V1BETA1_DEFAULTS, ...(configFile ? {} : LEGACY_FLAG_DEFAULTS) };
  return {
    source: 'default',
    leaves: Object.entries(defaults).map(([field, value]) => ({
      field,
      value,
      evidence: {
        text: `KubeletConfiguration default ${field}: ${JSON.stringify(value)}${configFile ? '' : ' (the kubelet runs without --config)'}`,
      },
    })),
  };
}

/** The *.conf drop-ins of --config-dir, in lexical order, at most MAX_DROPINS. */
async function dropInLayers(host: HostRoot, configDir: string, eff: KubeletEffective): Promise<Layer[]> {
  const d = await host.readDir(configDir);
  if (!d.ok) {
    if (d.code !== 'missing') {
      eff.problems.push(`${configDir}: ${fmt(d.code, d.reason)}`);
      eff.incomplete ??= `${configDir}: ${fmt(d.code, d.reason)}`;
    }
    return [];
  }
  const layers: Layer[] = [];
  const confs = d.entries.filter((e) => e.name.endsWith('.conf') && e.type !== 'directory').slice(0, MAX_DROPINS);
  for (const e of confs) {
    const l = await configLayer(host, e.path, 'config-dir', eff);
    eff.dropIns.push(e.path);
    if (l) layers.push(l);
  }
  return layers;
}

async function computeKubelet(host: HostRoot, opts: ResolveOptions): Promise<KubeletEffective> {
  const eff: KubeletEffective = {
    present: false,
    distribution: 'generic',
    origin: { kind: 'none' },
    flags: [],
    dropIns: [],
    settings: new Map(),
    problems: [],
  };
  const { words, builtin, rancher } = await commandLine(host, opts, eff);
  const parsedBuiltin = parseFlags(builtin);
  const parsed = parseFlags(words);
  eff.problems.push(...parsed.problems.map((p) => `kubelet command line: ${p}`));
  eff.flags = parsed.flags;
  const allFlags = [...parsedBuiltin.flags, ...parsed.flags];
  let { configFile, configDir } = await configLocation(host, allFlags, eff);
  if (!eff.present) return eff;
  if (eff.distribution === 'generic') eff.distribution = rancher ?? (await guessDistribution(host, configFile));

  // Relative paths are the kubelet's working directory, which is / under systemd.
  if (configFile) configFile = path.posix.resolve('/', configFile);
  if (configDir) configDir = path.posix.resolve('/', configDir);
  const layers: Layer[] = [defaultLayer(configFile)];
  if (configFile) {
    eff.configFile = configFile;
    const l = await configLayer(host, configFile, 'config', eff);
    if (l) layers.push(l);
  }
  if (configDir) {
    eff.configDir = configDir;
    layers.push(...(await dropInLayers(host, configDir, eff)));
  }
  layers.push(flagLayer(parsedBuiltin.flags, 'distribution-default', eff.problems));
  layers.push(flagLayer(parsed.flags, 'flag', eff.problems));
  for (const layer of layers) {
    for (const l of layer.leaves)
      eff.settings.set(l.field, { field: l.field, value: l.value, source: layer.source, evidence: [l.evidence] });
  }
  const kc = lastFlag(allFlags, 'kubeconfig');
  if (kc)
    eff.kubeconfig = {
      field: 'kubeconfig',
      value: path.posix.resolve('/', kc.value),
      source: parsed.flags.includes(kc) ? 'flag' : 'distribution-default',
      evidence: [kc.evidence],
    };
  return eff;
}

/** A printable origin: "set at /var/lib/kubelet/config.yaml:12", "flag --anonymous-auth in /proc/812/cmdline". */
export function describeOrigin(s: Setting | undefined): string {
  if (!s) return 'not set';
  const e = s.evidence[0];
  const where = e?.file ? `${e.file}${e.line !== undefined ? ':' + e.line : ''}` : undefined;
  switch (s.source) {
    case 'default':
      return 'the default';
    case 'distribution-default':
      return where ? `the distribution's setting at ${where}` : (e?.text ?? "the distribution's built-in setting");
    case 'flag':
      return where ? `a command-line flag (${where})` : 'a command-line flag';
    default:
      return where ? `set at ${where}` : 'set in the configuration';
  }
}
