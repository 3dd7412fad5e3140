/**
 * The image, built here from the Dockerfile (scripts/build-image), run with runc as the chart runs it: the
 * agent with the DaemonSet's pod spec from `helm template` (uid 0, capabilities dropped but three, no_new_privs,
 * RuntimeDefault seccomp, read-only root, the host's PID and network namespaces, this machine's "/" read-only at
 * /host, a temporary /var/lib/hostward, Secrets as files), and the collector with the Deployment's (uid 1000,
 * its database on a volume). See pods.ts for what a machine without a cluster forces to differ.
 *
 * Proves: the agent serves /healthz, /readyz and /metrics on the host network; its findings equal a scan of
 * this machine by the CLI outside any container, but for the checks listed in DIFFER_IN_POD (and in
 * deploy/README.md); `integrity init` by kubectl exec's route writes nothing outside /var/lib/hostward; the
 * agent's events reach the collector.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Report } from '../../src/contracts.js';
import { snapshotTree } from './kubelet.js';
import { freePort, newSecrets, podBundle, podSpec, render } from './pods.js';
import type { PodBundle, Rendered, Secrets } from './pods.js';
import {
  buildImage,
  containerState,
  deleteContainer,
  execIn,
  imageConfig,
  killContainer,
  mountRootfs,
} from './runc.js';
import { removeAllContainers, removeAllRootfs, removeRootfs, startContainer, whyNot, writeBundle } from './runc.js';
import type { Built } from './runc.js';
import { writesOutside, straceAvailable, tracedExec } from './strace.js';

const CLI = path.resolve('dist/src/cli/main.js');
const skip = whyNot() ?? (existsSync(CLI) ? undefined : 'dist/ is not built (npm run build)');

/**
 * Checks whose answer depends on running in the pod (or in the agent), each with the reason; deploy/README.md
 * lists the same.
 * Every other check the host answers the same way twice in a row must have the agent's answer.
 */
export const DIFFER_IN_POD: Record<string, string> = {
  'kernel.bpf_jit_harden':
    'the kernel lets only CAP_SYS_ADMIN read net.core.bpf_jit_harden; the pod lacks it, so unknown',
  'ports.agent_exposed': 'judges the agent’s own listeners, which only the agent’s scans have; a one-off scan skips it',
};

let built: Built;
let dir: string;
let rendered: Rendered;
let secrets: Secrets;
let stateDir: string;
let agent: PodBundle | undefined;
let collector: PodBundle | undefined;
/** The agent's statuses by check, from its /metrics (what Prometheus sees; /v1/report needs a web configuration). */
let agentStatus: Map<string, string>;
let hostBefore: Report;
let hostAfter: Report;

async function waitFor<T>(
  what: string | (() => string),
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `timed out waiting for ${typeof what === 'string' ? what : what()}${last ? ` (last error: ${last})` : ''}`,
  );
}

/** One GET on a fresh connection (a pooled one may meet the agent's idle timeout). */
function get(url: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { agent: false, timeout: 10_000, headers: token ? { authorization: `Bearer ${token}` } : {} },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

const ok = (url: string) => async () => ((await get(url)).status === 200 ? true : undefined);

/** The CLI outside any container, on this machine's "/", with the agent's own configuration and secrets. */
function hostScan(): Report {
  const cm = rendered.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'hostward-agent');
  const config = path.join(dir, 'host-scan.yaml');
  writeFileSync(config, cm.data['config.yaml'] as string);
  const key = path.join(dir, 'host-integrity.key');
  writeFileSync(key, secrets.integrityKey, { mode: 0o400 });
  const env = {
    ...process.env,
    HOSTWARD_STATE_DIR: mkdtempSync(path.join(dir, 'host-state-')),
    HOSTWARD_INTEGRITY_KEY_FILE: key,
    NODE_NAME: os.hostname(),
  };
  // Into a file: the CLI exits 50 ms after its last write, which can cut a large report short on a slow pipe.
  const out = path.join(dir, `host-scan-${Date.now()}.json`);
  const fd = openSync(out, 'w');
  const r = spawnSync(
    'scripts/use-node',
    ['node', CLI, 'scan', '--format', 'json', '--root', '/', '--config', config],
    { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', env, timeout: 300_000 },
  );
  closeSync(fd);
  if (r.status !== 0 && r.status !== 1)
    throw new Error(`host scan exited ${String(r.status)}: ${r.stderr.slice(0, 2000)}`);
  return JSON.parse(readFileSync(out, 'utf8')) as Report;
}

const STATUS_NAMES = ['pass', 'fail', 'unknown', 'skip', 'accepted'];

/** hostward_check_status{check=...} values as status names (4: a failure covered by an accepted exception). */
export function statusesFromMetrics(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^hostward_check_status\{[^}]*check="([^"]+)"[^}]*\} (\d+)$/gm))
    out.set(m[1]!, STATUS_NAMES[Number(m[2])] ?? m[2]!);
  return out;
}

const hostStatuses = (r: Report) =>
  new Map(r.findings.map((f) => [f.check, f.status === 'fail' && f.exception ? 'accepted' : f.status]));

/** Checks where the agent's status differs from the host's, among those the host answered the same twice. */
function differences(agent: Map<string, string>, before: Report, after: Report): Record<string, string> {
  const [b, c] = [hostStatuses(before), hostStatuses(after)];
  const out: Record<string, string> = {};
  for (const [check, s] of agent) {
    if (b.get(check) !== c.get(check)) continue;
    if (s !== b.get(check))
      out[check] =
        `host ${String(b.get(check))}, agent ${s}; host: ${before.findings.find((f) => f.check === check)!.message}`;
  }
  return out;
}

const sameKeys = (a: object, b: object) =>
  JSON.stringify(Object.keys(a).sort()) === JSON.stringify(Object.keys(b).sort());

/** The agent restarted (a new first scan) between two host scans; the differences of that round. */
async function rescan(): Promise<Record<string, string>> {
  killContainer('ds-agent');
  await waitFor('the agent to stop', 60_000, async () =>
    containerState('ds-agent')?.status === 'running' ? undefined : true,
  );
  deleteContainer('ds-agent');
  const before = hostScan();
  start(agent!, 'ds-agent');
  await waitFor('the agent’s first scan (/readyz)', 600_000, ok(`http://127.0.0.1:${rendered.agentPort}/readyz`));
  const status = statusesFromMetrics((await get(`http://127.0.0.1:${rendered.agentPort}/metrics`)).body);
  // The new scan is what the agent sends the collector from now on: the collector's test compares with it.
  agentStatus = status;
  return differences(status, before, hostScan());
}

function start(b: PodBundle, id: string): void {
  b.config.root.path = mountRootfs(b.rootfs);
  writeBundle(b.dir, b.config);
  startContainer(id, b.dir, path.join(b.dir, 'log'));
}

beforeAll(async () => {
  if (skip) return;
  removeAllContainers('ds-');
  removeAllRootfs('ds-');
  built = buildImage();
  const cfg = imageConfig(built.image);
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-image-'));
  rendered = render(await freePort(), await freePort());
  secrets = newSecrets();
  stateDir = path.join(dir, 'var-lib-hostward');
  const common = { image: built.image, imageConfig: cfg, dir, objects: rendered.objects, secrets, stateDir };

  const collectorPod = podSpec(rendered.objects, 'Deployment', 'hostward-collector');
  collectorPod.hostNetwork = true; // no pod network here: the agent reaches it on loopback
  collector = podBundle({ ...common, name: 'ds-collector', pod: collectorPod, container: 'collector' });
  start(collector, 'ds-collector');
  await waitFor('the collector’s /readyz', 120_000, ok(`http://127.0.0.1:${rendered.collectorPort}/readyz`));

  hostBefore = hostScan();
  agent = podBundle({
    ...common,
    name: 'ds-agent',
    pod: podSpec(rendered.objects, 'DaemonSet', 'hostward-agent'),
    container: 'agent',
  });
  start(agent, 'ds-agent');
  await waitFor('the agent’s first scan (/readyz)', 600_000, ok(`http://127.0.0.1:${rendered.agentPort}/readyz`));
  agentStatus = statusesFromMetrics((await get(`http://127.0.0.1:${rendered.agentPort}/metrics`)).body);
  hostAfter = hostScan();
}, 45 * 60_000);

afterAll(() => {
  if (skip) return;
  removeAllContainers('ds-');
  for (const b of [agent, collector]) if (b) removeRootfs(b.rootfs);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const log = (b: PodBundle | undefined) => (b ? readFileSync(path.join(b.dir, 'log'), 'utf8').slice(-3000) : '');

describe.skipIf(skip !== undefined)(
  `the image, run as the chart runs it (runc)${skip ? ` — skipped: ${skip}` : ''}`,
  () => {
    it('builds from the Dockerfile and is tagged with the chart’s default image reference', () => {
      const ds = rendered.objects.find((o) => o.kind === 'DaemonSet');
      expect(built.image).toBe(ds.spec.template.spec.containers[0].image);
      expect(built.log).toMatch(/built in \d+ s; \d+ MiB uncompressed/);
    });

    it('carries what runs and nothing else: no compiler, npm cache, tests, TypeScript or dev dependencies', () => {
      const root = agent!.rootfs.path;
      for (const p of [
        'usr/bin/gcc',
        'usr/bin/g++',
        'usr/bin/cc',
        'usr/bin/make',
        'usr/bin/python3',
        'root/.npm',
        'app/src',
        'app/test',
        'app/probes',
        'app/node_modules/typescript',
      ]) {
        expect(existsSync(path.join(root, p)), p).toBe(false);
      }
      const find = spawnSync(
        'find',
        [
          path.join(root, 'app'),
          '(',
          '-name',
          '*.ts',
          '-o',
          '-name',
          '*.map',
          '-o',
          '-type',
          'd',
          '(',
          '-name',
          'test',
          '-o',
          '-name',
          'tests',
          '-o',
          '-name',
          '__tests__',
          ')',
          ')',
          '-print',
        ],
        { encoding: 'utf8' },
      );
      expect(find.stdout.trim()).toBe('');
      expect(existsSync(path.join(root, 'app/dist/src/cli/main.js'))).toBe(true);
      expect(readFileSync(path.join(root, 'etc/os-release'), 'utf8')).toMatch(/VERSION_CODENAME=trixie/);
      expect(execIn('ds-agent', ['node', '--version']).stdout.trim()).toBe(
        `v${readFileSync('.node-version', 'utf8').trim()}`,
      );
      // The runbooks run `hostward ...` in the pod.
      expect(execIn('ds-agent', ['hostward', 'version']).stdout.trim()).toBe(
        JSON.parse(readFileSync('package.json', 'utf8')).version,
      );
    });

    it('reads an RPM database with the sql.js WebAssembly build the image keeps, as the CLI outside does', () => {
      const fixture = path.resolve('test/fixtures/hosts/updates-rocky9/var/lib/rpm/rpmdb.sqlite');
      const code = (
        dist: string,
        file: string,
      ) => `import { readRpmDbSqlite } from '${dist}/probes/updates/rpm/rpmdb.js'; import { readFileSync } from 'node:fs';
      const r = await readRpmDbSqlite(readFileSync(${JSON.stringify(file)})); console.log(JSON.stringify(r.ok ? r.packages.map((p) => p.name) : r.reason));`;
      const inside = execIn('ds-agent', [
        'node',
        '--input-type=module',
        '-e',
        code('/app/dist', path.join('/host', fixture)),
      ]);
      expect(inside.status, inside.stderr).toBe(0);
      const outside = spawnSync(
        'scripts/use-node',
        ['node', '--input-type=module', '-e', code(path.resolve('dist'), fixture)],
        { encoding: 'utf8' },
      );
      expect(outside.status, outside.stderr).toBe(0);
      const names = JSON.parse(inside.stdout) as string[];
      expect(names.length).toBeGreaterThan(0);
      expect(names).toEqual(JSON.parse(outside.stdout));
    });

    it('the agent runs as uid 0 with exactly the chart’s capabilities, no_new_privs and seccomp, in the host’s PID namespace', () => {
      const st = containerState('ds-agent');
      expect(st?.status, log(agent)).toBe('running');
      const status = readFileSync(`/proc/${st!.pid}/status`, 'utf8');
      const field = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim();
      expect(field('Uid')?.split(/\s+/)[0]).toBe('0');
      expect(field('NoNewPrivs')).toBe('1');
      expect(field('Seccomp')).toBe('2');
      // DAC_READ_SEARCH (2), SYS_CHROOT (18), SYS_PTRACE (19)
      const want = ((1n << 2n) | (1n << 18n) | (1n << 19n)).toString(16).padStart(16, '0');
      expect(field('CapEff')).toBe(want);
      expect(field('CapBnd')).toBe(want);
      // hostPID: the agent's pid is a pid of this machine's namespace, and it sees this test's process.
      expect(
        execIn('ds-agent', ['node', '-e', `process.exit(require('fs').existsSync('/proc/${process.pid}') ? 0 : 1)`])
          .status,
      ).toBe(0);
    });

    it('serves /healthz, /readyz and /metrics on the host network', async () => {
      const base = `http://127.0.0.1:${rendered.agentPort}`;
      expect((await get(`${base}/healthz`)).status).toBe(200);
      expect((await get(`${base}/readyz`)).status).toBe(200);
      const m = await get(`${base}/metrics`);
      expect(m.status).toBe(200);
      expect(m.body).toMatch(/^hostward_check_status\{/m);
      expect(m.body).toContain(`check="ssh.password_auth"`);
    });

    it('scans this machine through /host: findings equal a scan outside the container, but for DIFFER_IN_POD', async () => {
      expect(agentStatus.size).toBeGreaterThan(100);
      expect([...agentStatus.keys()].sort()).toEqual([...hostStatuses(hostBefore).keys()].sort());
      // A pod-made difference shows in every round; another test's daemon that came or went during the agent's
      // scan does not: up to three rounds (the agent restarted for a new scan), keeping what all of them saw.
      let differ = differences(agentStatus, hostBefore, hostAfter);
      for (let round = 1; round < 3 && !sameKeys(differ, DIFFER_IN_POD); round++) {
        const next = await rescan();
        differ = Object.fromEntries(Object.entries(differ).filter(([check]) => check in next));
      }
      expect(Object.keys(differ).sort(), JSON.stringify(differ, null, 1)).toEqual(Object.keys(DIFFER_IN_POD).sort());
    }, 900_000);

    it('integrity init, by kubectl exec’s route, writes only under /var/lib/hostward', () => {
      const tmpVolume = agent!.volumes.tmp!;
      const before = {
        upper: snapshotTree(agent!.rootfs.upperDir),
        tmp: snapshotTree(tmpVolume),
        state: snapshotTree(stateDir),
      };
      const argv = ['node', '/app/dist/src/cli/main.js', 'integrity', 'init', '--root', '/host'];
      const traced = straceAvailable()
        ? tracedExec('ds-agent', argv, path.join(dir, 'integrity-init.strace'))
        : { ...execIn('ds-agent', argv), writes: undefined };
      expect(traced.status, traced.stderr).toBe(0);
      expect(traced.stdout).toMatch(/baseline written: \/var\/lib\/hostward\/integrity\.db, \d+ records, signed/);
      expect(statSync(path.join(stateDir, 'integrity.db')).size).toBeGreaterThan(0);
      // The container's own file system and its /tmp did not change; the state directory gained the baseline.
      expect(snapshotTree(agent!.rootfs.upperDir)).toEqual(before.upper);
      expect(snapshotTree(tmpVolume)).toEqual(before.tmp);
      const added = [...snapshotTree(stateDir).keys()].filter((k) => !before.state.has(k));
      expect(added).toContain('integrity.db');
      // Every write-capable system call of the command's processes, as the kernel saw it: none outside.
      if (traced.writes) {
        expect(traced.writes.length).toBeGreaterThan(0);
        expect(writesOutside(traced.writes, '/var/lib/hostward')).toEqual([]);
      }
    }, 600_000);

    it('the collector runs as uid 1000 with its database on the volume, and the agent’s events reach it', async () => {
      const st = containerState('ds-collector');
      expect(st?.status, log(collector)).toBe('running');
      const uid = /^Uid:\s*(\d+)/m.exec(readFileSync(`/proc/${st!.pid}/status`, 'utf8'))?.[1];
      expect(uid).toBe('1000');
      const data = collector!.volumes.data!;
      const db = path.join(data, 'collector.db');
      expect(statSync(db).uid).toBe(1000);
      const base = `http://127.0.0.1:${rendered.collectorPort}`;
      type NodeRow = { node: string; failing: string[] };
      const node = await waitFor(
        () => `the agent’s failing checks at the collector; agent log: ${log(agent)}; collector log: ${log(collector)}`,
        180_000,
        async () => {
          const r = await get(`${base}/v1/nodes`, secrets.token);
          const row = (JSON.parse(r.body) as NodeRow[]).find((n) => n.node === os.hostname());
          return r.status === 200 && row && row.failing.length > 0 ? row : undefined;
        },
      );
      // What the collector holds as failing on this node is what the agent found failing.
      const failing = new Set([...agentStatus].filter(([, st]) => st === 'fail').map(([check]) => check));
      expect(node.failing.filter((c) => !failing.has(c))).toEqual([]);
      const groups = JSON.parse((await get(`${base}/v1/alerts`, secrets.token)).body) as {
        check: string;
        nodes: string[];
      }[];
      expect(
        groups
          .filter((g) => g.nodes.includes(os.hostname()))
          .map((g) => g.check)
          .sort(),
      ).toEqual([...node.failing].sort());
      // Without the token the collector refuses the read API.
      expect((await get(`${base}/v1/nodes`)).status).toBe(401);
    }, 240_000);
  },
);
