/**
 * Hostile host layouts: the real CLI scans a root full of symlink loops, links out of the root, FIFOs at
 * configuration paths, sparse 10 GB files, a directory cycle and 200,000 files under an integrity path. The
 * scan must complete within a bound, report what it could not read, and never read outside the root: a
 * second scan runs under strace (without the many files), and the canary file the links point at must never
 * be opened (nor its content show up). Also: the real /proc while processes come and go, and configuration
 * files rewritten during scans.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildHostileLayout } from './layout.js';
import type { HostileLayout } from './layout.js';
import type { Report } from '../../src/contracts.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(repoRoot, 'dist/src/cli/main.js');
const MANY = Number(process.env.HOSTWARD_HOSTILE_FILES ?? 200_000);
const HAVE_STRACE = existsSync('/usr/bin/strace');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

function cli(args: string[], opts: { strace?: string; timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<Run> {
  // Only the calls that name paths, filtered in the kernel (--seccomp-bpf), so the rest run at full speed.
  const [file, argv] = opts.strace
    ? [
        'strace',
        [
          '-f',
          '-qq',
          '--seccomp-bpf',
          '-e',
          'trace=%file',
          '-s',
          '1024',
          '-o',
          opts.strace,
          process.execPath,
          CLI,
          ...args,
        ],
      ]
    : [process.execPath, [CLI, ...args]];
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(
      file,
      argv,
      {
        timeout: opts.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 256 * 1024 * 1024,
        encoding: 'utf8',
        env: { ...process.env, ...opts.env },
      },
      (err, stdout, stderr) => {
        const code = err ? (((err as { code?: unknown }).code as number | null) ?? null) : 0;
        resolve({
          code: typeof code === 'number' ? code : null,
          stdout,
          stderr,
          seconds: (performance.now() - t0) / 1000,
        });
      },
    );
  });
}

/** Integrity paths of the hostile root: the many-files directory and the places with FIFOs, loops and links out. */
const INTEGRITY_PATHS = [
  '/etc/many',
  '/etc/docker',
  '/etc/containerd',
  '/etc/crio',
  '/var/lib/kubelet',
  '/etc/a',
  '/etc/b',
  '/etc/rootlink',
  '/var/lib/dpkg',
];

/** A policy over `paths` and a scan configuration whose integrity probe uses it with the baseline `db`. */
function writeConfig(policy: string, config: string, paths: string[], db: string): void {
  writeFileSync(
    policy,
    ['version: 1', 'rules:', ...paths.map((p) => `  - { path: ${p}, properties: binaries }`), ''].join('\n'),
  );
  writeFileSync(
    config,
    [
      // The many-files tree takes the integrity probe longer than the default 20 s on a loaded 2-core machine.
      'scan: { probeTimeoutSeconds: 150 }',
      'probes:',
      `  integrity: { db: ${db}, keyFile: ${layout.keyFile}, policy: ${policy} }`,
      '  ports: { reachability: false, metadataCheck: false }',
      '  ssh: { live: false }',
      '',
    ].join('\n'),
  );
}

/** `hostward integrity <verb>` over the hostile root with this policy and baseline. */
function integrity(verb: 'init' | 'check', policy: string, db: string): Promise<Run> {
  return cli(
    [
      'integrity',
      verb,
      '--root',
      layout.root,
      '--policy',
      policy,
      '--db',
      db,
      '--key-file',
      layout.keyFile,
      '--format',
      'json',
    ],
    { timeoutMs: 240_000 },
  );
}

/**
 * A full scan of the hostile root: it ends, every probe runs to its end (none timed out on a FIFO or a 10 GB
 * file), the canary's content never shows, and what could not be read is said, naming the file and why.
 */
function expectHostileReport(run: Run, what: string): void {
  expect([0, 1], run.stderr.slice(-2000)).toContain(run.code);
  const report = JSON.parse(run.stdout) as Report;
  console.log(
    `hostile layout: ${what} ${run.seconds.toFixed(1)} s; probes ${report.probes.map((p) => `${p.probe}=${p.status}`).join(' ')}; ${JSON.stringify(report.summary)}`,
  );
  for (const p of report.probes) expect(p.error ?? '', p.probe).not.toMatch(/timed out/);
  expect(run.stdout).not.toContain(layout.canaryToken);
  expect(run.stderr).not.toContain(layout.canaryToken);
  // The FIFO daemon.json, the looping kubelet config, the 10 GB CA, the sshd drop-in that loops.
  const said = (check: string, re: RegExp) =>
    expect(report.findings.find((f) => f.check === check)?.message ?? `(no ${check})`, what).toMatch(re);
  said('runtime.docker_icc', /\/etc\/docker\/daemon\.json: .*is a fifo/);
  said('kubelet.anonymous_auth', /\/var\/lib\/kubelet\/config\.yaml: symlink loop/);
  said('tls.expired', /\/etc\/kubernetes\/pki\/ca\.crt: too large \(10737418240 bytes/);
  said('ssh.config_valid', /Include \/etc\/ssh\/sshd_config\.d\/10-loop\.conf: symlink loop/);
  // A link out of the root resolves inside it, as under chroot: containerd's config.toml does not exist there.
  said('runtime.containerd_config_valid', /no config file/);
}

let layout: HostileLayout;
let buildSeconds = 0;
let configFile = '';
let policyFile = '';

beforeAll(async () => {
  const t0 = performance.now();
  layout = await buildHostileLayout(repoRoot, { manyFiles: MANY });
  buildSeconds = (performance.now() - t0) / 1000;
  configFile = path.join(layout.base, 'config.yaml');
  policyFile = path.join(layout.base, 'policy.yaml');
  writeConfig(policyFile, configFile, INTEGRITY_PATHS, layout.dbFile);
}, 300_000);

afterAll(async () => {
  await layout?.cleanup();
});

describe('a hostile host root', () => {
  it(
    `integrity init and check over ${MANY.toLocaleString('en')} files, FIFOs, loops and links out of the root complete in bounded time`,
    { timeout: 300_000 },
    async () => {
      const init = await integrity('init', policyFile, layout.dbFile);
      expect(init.code, init.stderr).toBe(0);
      const check = await integrity('check', policyFile, layout.dbFile);
      expect(check.code, check.stderr).toBe(0);
      const diff = JSON.parse(check.stdout) as { added: string[]; removed: string[]; modified: unknown[] };
      expect(diff).toMatchObject({ added: [], removed: [], modified: [] });
      console.log(
        `hostile layout: built in ${buildSeconds.toFixed(1)} s; integrity init ${init.seconds.toFixed(1)} s, check ${check.seconds.toFixed(1)} s over ${MANY} files`,
      );
      // The bound is each run's kill timeout (a killed run has no exit code 0); the figures are printed above.
    },
  );

  it(
    'the full scan completes and reports what it could not read; under strace it reads nothing outside the root',
    { timeout: 300_000 },
    async () => {
      // Over the whole root, many files included: every probe completes and says what it could not read.
      const whole = await cli(['scan', '--root', layout.root, '--format', 'json', '--config', configFile], {
        timeoutMs: 280_000,
      });
      expectHostileReport(whole, 'full scan');
      if (!HAVE_STRACE) return;
      // Under strace, without the many-files tree (moved out of the root meanwhile, and out of a policy and a
      // baseline of its own): tracing 200,000 files' calls multiplies the scan's time, and regular files in a
      // directory of the root add nothing to what the links, loops and FIFOs ask of it.
      const policy = path.join(layout.base, 'policy-traced.yaml');
      const config = path.join(layout.base, 'config-traced.yaml');
      const db = path.join(layout.base, 'state', 'traced.db');
      const traced = INTEGRITY_PATHS.filter((p) => p !== layout.manyDir);
      writeConfig(policy, config, traced, db);
      const aside = path.join(layout.base, 'many-aside');
      await fsp.rename(path.join(layout.root, layout.manyDir), aside);
      let run: Run;
      const trace = path.join(layout.base, 'strace.log');
      try {
        const init = await integrity('init', policy, db);
        expect(init.code, init.stderr).toBe(0);
        run = await cli(['scan', '--root', layout.root, '--format', 'json', '--config', config], {
          timeoutMs: 280_000,
          strace: trace,
        });
      } finally {
        await fsp.rename(aside, path.join(layout.root, layout.manyDir));
      }
      expectHostileReport(run, 'scan under strace');
      const log = readFileSync(trace, 'utf8');
      // Sanity: strace saw the scan reach into the root...
      expect(log).toContain(`"${layout.root}/etc/ssh/sshd_config"`);
      // ...and never named the canary by its real path (a path inside the root that merely ends with it is fine).
      const outside = log
        .split('\n')
        .filter((l) => l.includes(`"${layout.canary}"`) || l.includes(`"${path.dirname(layout.canary)}"`));
      expect(outside).toEqual([]);
      // Control: the same tracing does see a process that opens the canary.
      const control = path.join(layout.base, 'strace-control.log');
      await new Promise((r) =>
        execFile(
          'strace',
          ['-f', '-qq', '--seccomp-bpf', '-e', 'trace=%file', '-o', control, '/bin/cat', layout.canary],
          () => r(undefined),
        ),
      );
      expect(readFileSync(control, 'utf8')).toContain(`"${layout.canary}"`);
    },
  );

  it(
    'configuration files rewritten while the scan reads them: every scan completes, with a verdict or a reason',
    { timeout: 300_000 },
    async () => {
      const churned = [
        path.join(layout.root, 'etc/ssh/sshd_config.d/60-churn.conf'),
        path.join(layout.root, 'etc/kubernetes/kubelet.conf'),
        path.join(layout.root, 'etc/containerd/conf.d/60-churn.toml'),
      ];
      const bodies = [
        'PasswordAuthentication yes\n'.repeat(2000),
        'apiVersion: v1\nkind: Config\nclusters: []\n'.repeat(200),
        'version = 2\n[plugins]\n',
      ];
      let stop = false;
      let writes = 0;
      // In place, truncating first: readers see empty, partial and whole files.
      const writer = (async () => {
        while (!stop) {
          for (let i = 0; i < churned.length; i++) {
            const fh = await fsp.open(churned[i]!, 'w');
            const body = bodies[i]!;
            for (let off = 0; off < body.length; off += 4096) await fh.write(body.slice(off, off + 4096));
            await fh.close();
            writes++;
          }
          await new Promise((r) => setImmediate(r));
        }
      })();
      try {
        for (let i = 0; i < 3; i++) {
          const run = await cli(
            [
              'scan',
              '--root',
              layout.root,
              '--format',
              'json',
              '--config',
              configFile,
              '--probe',
              'ssh',
              '--probe',
              'tls',
              '--probe',
              'runtime',
              '--probe',
              'kubelet',
            ],
            { timeoutMs: 120_000 },
          );
          expect([0, 1], run.stderr.slice(-2000)).toContain(run.code);
          const report = JSON.parse(run.stdout) as Report;
          expect(report.probes.map((p) => p.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
          for (const f of report.findings) if (f.status === 'unknown') expect(f.message.length).toBeGreaterThan(0);
        }
      } finally {
        stop = true;
        await writer;
      }
      expect(writes).toBeGreaterThan(10);
    },
  );
});

describe('the real /proc while processes come and go', () => {
  let churn: ChildProcess[] = [];
  afterAll(() => {
    // Only if the test failed before its own clean-up.
    for (const c of churn) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  it(
    'ports and seccomp scans of / complete while short-lived processes exit mid-scan',
    { timeout: 120_000 },
    async () => {
      // Two loops of short-lived processes: their /proc/<pid> entries vanish between listing and reading.
      churn = [0, 1].map(() => spawn('sh', ['-c', 'while :; do /bin/true; done'], { stdio: 'ignore' }));
      const cfg = path.join(layout.base, 'proc-config.yaml');
      // Root "/": no packets from this test (the ports probe only connects in the agent, and not even then with these).
      writeFileSync(cfg, 'probes:\n  ports: { reachability: false, metadataCheck: false }\n  ssh: { live: false }\n');
      try {
        for (let i = 0; i < 3; i++) {
          const run = await cli(
            ['scan', '--root', '/', '--format', 'json', '--config', cfg, '--probe', 'ports', '--probe', 'seccomp'],
            { timeoutMs: 60_000 },
          );
          // The bound is the run's kill timeout (a killed run has no exit code); how long it took is no assertion.
          expect([0, 1], run.stderr.slice(-2000)).toContain(run.code);
          const report = JSON.parse(run.stdout) as Report;
          expect(report.probes.map((p) => [p.probe, p.status])).toEqual([
            ['ports', 'ok'],
            ['seccomp', 'ok'],
          ]);
        }
      } finally {
        for (const c of churn) c.kill('SIGKILL');
        await Promise.all(
          churn.map(
            (c) =>
              new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(undefined) : c.once('exit', r))),
          ),
        );
      }
    },
  );
});
