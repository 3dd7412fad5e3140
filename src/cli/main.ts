#!/usr/bin/env node
/**
 * hostward's command line: scan, checks, agent (DESIGN.md "Command line"). Exit codes of scan: 0 no failing
 * check at or above --fail-on, 1 such a failure, 2 usage or configuration error (nothing scanned).
 */
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { fileURLToPath } from 'node:url';
import type { ParseArgsConfig } from 'node:util';
import type { Logger } from 'pino';
import { pinoLib } from '../lazy-libs.js';
import { deferredLog } from '../scan/log.js';
import { PROBES } from '../../probes/registry.js';
import { loadConfig, ConfigError } from '../config/config.js';
import type { Config } from '../config/config.js';
import { isSeverity, SEVERITIES } from '../contracts.js';
import { runScan, isGatingFailure } from '../scan/runner.js';
import { catalogue, catalogueMarkdown } from '../scan/catalogue.js';
import { renderTable } from './table.js';
import { renderSarif } from './sarif.js';
import { renderJunit } from './junit.js';
import { selectFindings, unmatchedPatterns } from './select.js';
import { USAGE, helpFor } from './help.js';
import { explain } from './explain.js';
import { writeOutput, requireDirectory, describeSystemError } from './io.js';
import { VERSION } from '../version.js';
import { redactSecrets } from '../sinks/redact.js';
import type { CheckResult, HashAlgorithm, InitResult, ScanProblem } from '../integrity/types.js';

class UsageError extends Error {
  readonly code = 'HOSTWARD_USAGE';
}

function validationContext() {
  return {
    checkIds: new Set(catalogue(PROBES).map((c) => c.id)),
    probes: new Map(PROBES.map((p) => [p.name, p.options])),
  };
}

function makeLogger(level: Config['log']['level'], toStderr: boolean): Logger {
  // The CLI's stdout is the report; logs go to stderr so `scan --format json | jq` stays clean.
  // Field redaction for tokens by name; the sinks' secrets (redact.ts) wherever they appear in a line.
  const hooks = { streamWrite: redactSecrets };
  const { pino } = pinoLib();
  return pino(
    { level, base: { app: 'hostward' }, hooks, redact: ['token', '*.token', 'authorization', '*.authorization'] },
    pino.destination(toStderr ? 2 : 1),
  );
}

function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: false, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function checkProbeNames(names: readonly string[]): void {
  for (const n of names) {
    if (!PROBES.some((p) => p.name === n))
      throw new UsageError(`no probe named "${n}" (known: ${PROBES.map((p) => p.name).join(', ')})`);
  }
}

const SCAN_FORMATS = ['table', 'json', 'sarif', 'junit'] as const;

async function cmdScan(argv: string[]): Promise<number> {
  // A scan is one short process whose garbage dies young: V8 doubling its young generation as the scan allocates
  // (up to two 16 MB semi-spaces) cost ~12 MB of the scan's peak RSS for no measurable CPU (bench/scan.mjs).
  // V8 reads the growth factor whenever it would grow, so setting it here takes effect.
  setFlagsFromString('--semi-space-growth-factor=1');
  const { values } = parse(argv, {
    root: { type: 'string' },
    probe: { type: 'string', multiple: true },
    check: { type: 'string', multiple: true },
    skip: { type: 'string', multiple: true },
    format: { type: 'string', default: 'table' },
    output: { type: 'string', short: 'o' },
    config: { type: 'string' },
    'fail-on': { type: 'string' },
    quiet: { type: 'boolean', short: 'q', default: false },
    verbose: { type: 'boolean', short: 'v', default: false },
  });
  const format = values.format as string;
  if (!(SCAN_FORMATS as readonly string[]).includes(format))
    throw new UsageError(`--format must be one of ${SCAN_FORMATS.join(', ')}, got "${format}"`);
  if (values.quiet && values.verbose) throw new UsageError('--quiet and --verbose exclude each other');
  const failOnArg = values['fail-on'] as string | undefined;
  if (failOnArg !== undefined && !isSeverity(failOnArg))
    throw new UsageError(`--fail-on must be one of ${SEVERITIES.join(', ')}, got "${failOnArg}"`);
  const only = (values.probe as string[] | undefined) ?? [];
  checkProbeNames(only);
  const selection = {
    check: (values.check as string[] | undefined) ?? [],
    skip: (values.skip as string[] | undefined) ?? [],
  };
  const typos = unmatchedPatterns(
    [...selection.check, ...selection.skip],
    catalogue(PROBES).map((c) => c.id),
  );
  if (typos.length)
    throw new UsageError(`no check matches ${typos.map((t) => `"${t}"`).join(', ')} (hostward checks lists them)`);
  if (values.root !== undefined) rootOrUsage(values.root as string);
  const config = loadConfig(values.config as string | undefined, validationContext());
  if (values.root) config.root = values.root as string;
  if (failOnArg) config.scan.failOn = failOnArg;
  const level = config.log.level === 'info' ? 'warn' : config.log.level;
  const log = deferredLog(level, () => makeLogger(level, true));
  // Set by the agent's child scanner (src/agent/child-scan.ts): this scan is the agent's.
  const mode = process.env.HOSTWARD_SCAN_MODE === 'agent' ? 'agent' : 'scan';
  // Set by the agent's watchdog when it is over budget: optional work this scan leaves out (src/agent/watchdog.ts).
  const shedding = process.env.HOSTWARD_SHED ? await import('../agent/watchdog.js') : undefined;
  const shed = shedding?.shedFromEnv(process.env, PROBES) ?? [];
  if (shedding) shedding.applyShed(config, shed, PROBES);
  // Set by the agent's child scanner: the agent's own endpoints, for probes that judge exposure.
  const ownListeners = process.env.HOSTWARD_OWN_LISTENERS
    ? (await import('../agent/child-scan.js')).ownListenersFromEnv(process.env)
    : undefined;
  const full = await runScan({ probes: PROBES, config, log, only, mode, ...(ownListeners ? { ownListeners } : {}) });
  shedding?.markShed(full, shed, PROBES);
  const report = selectFindings(full, selection);
  const toFile = values.output !== undefined;
  const tty = !toFile && Boolean(process.stdout.isTTY);
  const text =
    format === 'json'
      ? JSON.stringify(report, null, 2) + '\n'
      : format === 'sarif'
        ? renderSarif(report)
        : format === 'junit'
          ? renderJunit(report)
          : renderTable(report, {
              colour: tty && !process.env.NO_COLOR,
              verbose: Boolean(values.verbose),
              quiet: Boolean(values.quiet),
              width: tty ? Math.max(60, process.stdout.columns || 120) : 120,
            });
  if (toFile) writeOutput(values.output as string, text);
  else process.stdout.write(text);
  return report.findings.some((f) => isGatingFailure(f, config.scan.failOn)) ? 1 : 0;
}

/** A --root that does not exist or is not a directory is a typo, not a host with nothing on it. */
function rootOrUsage(root: string): void {
  const problem = requireDirectory(root);
  if (problem) throw new UsageError(`--root ${problem}`);
}

function cmdChecks(argv: string[]): number {
  const { values } = parse(argv, {
    format: { type: 'string', default: 'table' },
    probe: { type: 'string', multiple: true },
  });
  const only = (values.probe as string[] | undefined) ?? [];
  checkProbeNames(only);
  const probes = only.length ? PROBES.filter((p) => only.includes(p.name)) : PROBES;
  const format = values.format as string;
  if (format === 'json') process.stdout.write(JSON.stringify(catalogue(probes), null, 2) + '\n');
  else if (format === 'markdown') process.stdout.write(catalogueMarkdown(probes));
  else if (format === 'table') {
    const rows = catalogue(probes);
    const w = Math.max(...rows.map((r) => r.id.length));
    for (const r of rows)
      process.stdout.write(
        `${r.id.padEnd(w)}  ${r.severity.padEnd(8)}  ${r.title}\n${' '.repeat(w + 12)}${r.references.join('; ')}\n`,
      );
    process.stdout.write(`${rows.length} checks\n`);
  } else throw new UsageError(`--format must be table, json or markdown, got "${format}"`);
  return 0;
}

async function cmdAgent(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    root: { type: 'string' },
    port: { type: 'string' },
    config: { type: 'string' },
    'web.config.file': { type: 'string' },
  });
  if (values.root !== undefined) rootOrUsage(values.root as string);
  const config = loadConfig(values.config as string | undefined, validationContext());
  if (values.root) config.root = values.root as string;
  // exporter-toolkit's flag name: TLS and authentication of /metrics and /v1/report (src/agent/web-config.ts).
  const webConfig = values['web.config.file'] as string | undefined;
  if (webConfig !== undefined) {
    if (webConfig === '') throw new UsageError('--web.config.file needs a file name');
    config.agent.webConfigFile = webConfig;
  }
  if (values.port !== undefined) {
    const p = Number(values.port);
    if (!Number.isInteger(p) || p < 0 || p > 65535)
      throw new UsageError(`--port must be 0..65535, got "${String(values.port)}"`);
    config.agent.port = p;
  }
  const log = makeLogger(config.log.level, false);
  const { startAgent } = await import('../agent/server.js');
  const { childScanner } = await import('../agent/child-scan.js');
  const scan = childScanner({
    cli: fileURLToPath(import.meta.url),
    probes: PROBES,
    root: config.root,
    ...(values.config ? { configFile: values.config as string } : {}),
    // Every probe has its own timeout; the whole child gets them all plus start-up.
    timeoutMs: (config.scan.probeTimeoutSeconds + 30) * 1000,
  });
  const { ScheduleError } = await import('../agent/schedule.js');
  // Alerts: only when a collector is configured (an agent scraped by Prometheus alone needs no outbox).
  const alerting = config.agent.collectorUrl
    ? (await import('../alerts/index.js')).startAlerting({ config, log })
    : undefined;
  let agent: Awaited<ReturnType<typeof startAgent>>;
  try {
    agent = await startAgent({
      config,
      probes: PROBES,
      log,
      catalogue: catalogue(PROBES),
      scan,
      ...(alerting ? { onReport: alerting.onReport, registries: [alerting.registry] } : {}),
    });
  } catch (e) {
    if (e instanceof ScheduleError) throw new ConfigError(e.key, e.problem);
    throw e;
  }
  log.info({ port: agent.port, root: config.root, schedule: config.agent.schedule }, 'agent listening');
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      log.info({ signal: sig }, 'shutting down');
      agent
        .close()
        .then(() => alerting?.close())
        .then(resolve, resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

/** `collector test-sink NAME`: one test notification through a configured sink; 0 accepted, 1 not. */
async function cmdTestSink(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { config: { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (parsed.positionals.length !== 1) throw new UsageError('collector test-sink needs exactly one sink NAME');
  const config = loadConfig(parsed.values.config, validationContext());
  const { runTestSink } = await import('../sinks/test-sink.js');
  return runTestSink(config.collector, parsed.positionals[0]!, (line) =>
    process.stdout.write(redactSecrets(line) + '\n'),
  );
}

async function cmdCollector(argv: string[]): Promise<number> {
  if (argv[0] === 'test-sink') return cmdTestSink(argv.slice(1));
  const { values } = parse(argv, { port: { type: 'string' }, config: { type: 'string' } });
  const config = loadConfig(values.config as string | undefined, validationContext());
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port must be 0..65535, got "${String(values.port)}"`);
  }
  // The file sink may be stdout; logs then go to stderr so the NDJSON stays clean.
  const log = makeLogger(config.log.level, config.collector.fileSink === '-');
  const { startCollector } = await import('../collector/server.js');
  const collector = await startCollector({
    config,
    log,
    catalogue: catalogue(PROBES),
    ...(port !== undefined ? { port } : {}),
  });
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      log.info({ signal: sig }, 'shutting down');
      collector.close().then(resolve, resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

/** Integrity error codes that mean the command was used wrongly (exit 2) rather than a baseline problem (exit 1). */
const INTEGRITY_USAGE_CODES = new Set([
  'policy_invalid',
  'key_unreadable',
  'baseline_missing',
  'baseline_unverifiable',
  'generation_invalid',
]);

/** `--min-generation N` of integrity init: digits only (the library checks the range). */
function minGeneration(v: string | undefined, action: string): { minGeneration?: number } {
  if (v === undefined) return {};
  if (action !== 'init') throw new UsageError('--min-generation applies to init');
  if (!/^[0-9]{1,16}$/.test(v)) throw new UsageError(`--min-generation must be a positive integer, got "${v}"`);
  return { minGeneration: Number(v) };
}

type IntegrityAction = 'init' | 'check' | 'accept';
type IntegrityLib = typeof import('../integrity/index.js');

/** The arguments of `hostward integrity ACTION`, checked before the library is loaded. */
function integrityArgs(argv: string[]) {
  const [first, ...rest] = argv;
  if (first !== 'init' && first !== 'check' && first !== 'accept')
    throw new UsageError('integrity needs one of: init, check, accept');
  const action: IntegrityAction = first;
  const { values } = parse(rest, {
    root: { type: 'string' },
    policy: { type: 'string' },
    path: { type: 'string', multiple: true },
    only: { type: 'string', multiple: true },
    db: { type: 'string' },
    'key-file': { type: 'string' },
    hash: { type: 'string' },
    'min-generation': { type: 'string' },
    format: { type: 'string', default: 'table' },
  });
  const format = values.format as string;
  if (format !== 'table' && format !== 'json') throw new UsageError(`--format must be table or json, got "${format}"`);
  const generation = minGeneration(values['min-generation'] as string | undefined, action);
  const paths = (values.path as string[] | undefined) ?? [];
  if (values.policy && paths.length) throw new UsageError('--policy and --path exclude each other');
  const only = (values.only as string[] | undefined) ?? [];
  if (only.length && action === 'init') throw new UsageError('--only applies to check and accept');
  return { action, values, format, generation, paths, only };
}

/** The library's options common to init, check and accept, from the arguments and the environment. */
function integrityOptions(args: ReturnType<typeof integrityArgs>, lib: IntegrityLib) {
  const { values, paths } = args;
  const hash = values.hash as string | undefined;
  if (hash !== undefined && !(lib.HASH_ALGORITHMS as readonly string[]).includes(hash))
    throw new UsageError(`--hash must be one of ${lib.HASH_ALGORITHMS.join(', ')}, got "${hash}"`);
  if (hash !== undefined && !paths.length)
    throw new UsageError('--hash applies to --path (a policy file names its own hash)');
  const progress = lib.terminalProgress(process.stderr, args.action);
  const stateDir = process.env.HOSTWARD_STATE_DIR;
  const common = {
    root: (values.root as string | undefined) ?? process.env.HOSTWARD_ROOT ?? '/',
    dbFile:
      (values.db as string | undefined) ??
      (stateDir ? `${stateDir.replace(/\/$/, '')}/integrity.db` : lib.DEFAULT_DB_FILE),
    ...(values.policy ? { policy: values.policy as string } : {}),
    ...(paths.length ? { paths } : {}),
    ...(values['key-file'] ? { keyFile: values['key-file'] as string } : {}),
    ...(values.hash ? { hash: values.hash as HashAlgorithm } : {}),
    // Progress for people on a terminal (a bar with a total and an ETA, so the paths are counted first); quiet
    // otherwise (DESIGN.md).
    ...(progress ? { onProgress: progress.onProgress, countFirst: true } : {}),
  };
  return { common, clearProgress: () => progress?.clear() };
}

async function cmdIntegrity(argv: string[]): Promise<number> {
  const args = integrityArgs(argv);
  const { action, format, only } = args;
  const lib = await import('../integrity/index.js');
  const { common, clearProgress } = integrityOptions(args, lib);
  const scoped = only.length ? { only } : {};
  try {
    if (action === 'check') {
      const r = await lib.integrityCheck({ ...common, ...scoped });
      clearProgress();
      return printIntegrityCheck(r, format);
    }
    const r =
      action === 'init'
        ? await lib.integrityInit({ ...common, ...args.generation })
        : await lib.integrityAccept({ ...common, ...scoped });
    clearProgress();
    printBaselineWritten(r, action, format);
    return 0;
  } catch (e) {
    clearProgress();
    if (lib.isIntegrityError(e)) {
      process.stderr.write(`hostward: integrity ${action}: ${e.message}\n`);
      return INTEGRITY_USAGE_CODES.has(e.code) ? 2 : 1;
    }
    throw e;
  }
}

/** What a check found, as a table or JSON; exit 1 when anything changed. */
function printIntegrityCheck(r: CheckResult, format: string): number {
  const out = {
    added: r.added,
    removed: r.removed,
    modified: r.modified.map((m) => ({ path: m.path, changes: m.changes })),
  };
  if (format === 'json') process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  else {
    for (const a of r.added) process.stdout.write(`added     ${a}\n`);
    for (const d of r.removed) process.stdout.write(`removed   ${d}\n`);
    for (const m of r.modified) process.stdout.write(`modified  ${m.path}  (${m.changes.join(', ')})\n`);
    for (const n of r.notes) process.stdout.write(`note: ${n}\n`);
    process.stdout.write(
      `${r.added.length} added, ${r.removed.length} removed, ${r.modified.length} modified against the ${r.baseline.signed ? 'signed' : 'UNSIGNED'} baseline of ${r.baseline.created} (generation ${r.baseline.generation})\n`,
    );
  }
  printIntegrityProblems(r.problems);
  return out.added.length + out.removed.length + out.modified.length > 0 ? 1 : 0;
}

/** The baseline init or accept wrote, as a line or JSON. */
function printBaselineWritten(r: InitResult, action: IntegrityAction, format: string): void {
  const out = {
    db: r.dbFile,
    records: r.records,
    signed: r.signed,
    digest: r.digest,
    generation: r.generation,
    problems: r.problems.length,
  };
  if (format === 'json') process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  else
    process.stdout.write(
      `baseline ${action === 'init' ? 'written' : 'accepted'}: ${r.dbFile}, ${r.records} records, ${r.signed ? 'signed' : 'UNSIGNED (no key: integrity.baseline_signed fails)'}, digest ${r.digest}, generation ${r.generation}\n`,
    );
  printIntegrityProblems(r.problems);
}

/** The first problems of a scan, on stderr. */
function printIntegrityProblems(problems: readonly ScanProblem[]): void {
  for (const p of problems.slice(0, 20)) process.stderr.write(`hostward: ${p.path}: ${p.reason}\n`);
}

function cmdExplain(argv: string[]): number {
  if (argv.length !== 1 || argv[0]!.startsWith('-'))
    throw new UsageError('explain needs exactly one CHECK id (hostward checks lists them)');
  const text = explain(argv[0]!, catalogue(PROBES));
  if (!text.ok) throw new UsageError(text.problem);
  process.stdout.write(text.text);
  return 0;
}

const wantsHelp = (args: readonly string[]) => args.includes('--help') || args.includes('-h');

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    const help = cmd !== undefined && wantsHelp(rest) ? helpFor(cmd) : undefined;
    if (help !== undefined) {
      process.stdout.write(help);
      return 0;
    }
    switch (cmd) {
      case 'explain':
        return cmdExplain(rest);
      case 'scan':
        return await cmdScan(rest);
      case 'checks':
        return cmdChecks(rest);
      case 'agent':
        return await cmdAgent(rest);
      case 'version':
      case '--version':
        process.stdout.write(VERSION + '\n');
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return cmd === undefined ? 2 : 0;
      case 'collector':
        return await cmdCollector(rest);
      case 'integrity':
        return await cmdIntegrity(rest);
      default:
        throw new UsageError(`unknown command "${cmd}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(
        `hostward: ${e.message}\n${cmd && helpFor(cmd) ? `(hostward ${cmd} --help lists its flags)` : '(hostward --help lists the commands)'}\n`,
      );
      return 2;
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`hostward: invalid configuration: ${redactSecrets(e.message)}\n`);
      return 2;
    }
    // A port in use, a file that cannot be written, ...: one line that says it once, exit 2.
    const system = describeSystemError(e);
    if (system) {
      process.stderr.write(`hostward: ${redactSecrets(system)}\n`);
      return 2;
    }
    throw e;
  }
}

// `hostward checks | head`: the reader left, which is no error of ours.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // End a one-off command once its output has reached the OS (an empty write's callback runs after the writes
    // before it), so a long report on a slow pipe is never cut short; the services run until a signal.
    if (process.argv[2] !== 'agent' && process.argv[2] !== 'collector')
      process.stdout.write('', () => process.exit(code));
  },
  (e: unknown) => {
    process.stderr.write(`hostward: ${redactSecrets(e instanceof Error ? (e.stack ?? e.message) : String(e))}\n`);
    process.exit(2);
  },
);
