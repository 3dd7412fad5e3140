/**
 * Fuzz targets: every parser that reads host or network input, with two generators each (inputs built to
 * resemble the format, and mutations of real files) and the property it must keep. Shared by the seeded CI
 * sample (parsers.test.ts) and the long run (bench/fuzz.mjs, which transpiles this folder into dist/).
 *
 * The common property: the parser returns (a result or a typed problem) and never throws, except where a
 * target names the one typed error it may throw (the integrity database's IntegrityError); the output stays
 * within the parser's documented caps, so memory is bounded by them and not by the input.
 */
import fc from 'fast-check';
import { promises as fsp, readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { stringify as tomlStringify } from 'smol-toml';
import { stringify as yamlStringify } from 'yaml';
import { HostRoot } from '../../src/host/root.js';
import { parseSshdConfig } from '../../probes/ssh/config-parser.js';
import { effectiveSettings } from '../../probes/ssh/effective.js';
import type { ConnectionContext } from '../../probes/ssh/types.js';
import { parseDaemonJson, resolveDocker, DOCKER_OPTIONS } from '../../probes/runtime/docker.js';
import { loadContainerdConfig, CONTAINERD_MAX_IMPORTS } from '../../src/host/facts/runtime/containerd.js';
import { loadCrioConfig } from '../../src/host/facts/runtime/crio.js';
import { parseKubeletConfig, parseRancherConfig } from '../../src/host/facts/kubelet/config-file.js';
import { parseDpkgStatus } from '../../src/host/facts/dpkg/status.js';
import { parseRelease } from '../../probes/updates/deb/release.js';
import { parsePackagesBuffer } from '../../probes/updates/deb/lists.js';
import { decode } from '../../probes/updates/compress.js';
import type { Compression } from '../../probes/updates/compress.js';
import { parseDeb822 } from '../../src/host/facts/dpkg/deb822.js';
import { parseRpmHeader, TAG, TYPE } from '../../probes/updates/rpm/header.js';
import {
  parseInetSockets,
  parseUnixSockets,
  parseFibTrieLocal,
  parseIfInet6,
  parseRoutes,
} from '../../probes/ports/proc-net.js';
import { parseCgroup } from '../../src/host/facts/cgroup.js';
import { parseProcStatus } from '../../src/host/facts/processes/status.js';
import { certificatesInBlob } from '../../probes/tls/gather.js';
import { parseCertificate } from '../../probes/tls/certificate.js';
import { certificateSignatureAlgorithm } from '../../probes/tls/der.js';
import { MAX_PEM_BLOCKS } from '../../probes/tls/pem.js';
import { parseKubeconfig } from '../../probes/tls/kubeconfig.js';
import { DbReader } from '../../src/integrity/db.js';
import { integrityInit } from '../../src/integrity/api.js';
import { IntegrityError } from '../../src/integrity/types.js';
import { validateEvents, LIMITS } from '../../src/collector/validate.js';
import { decodeRecords, encodeRecord, MAX_RECORD_BYTES } from '../../src/alerts/framing.js';
import { MAX_EVENTS_PER_REQUEST } from '../../src/contracts.js';
import { joinLines, mutated, word } from './mutate.js';
import { accountsTarget } from './accounts-target.js';
import { filesTarget } from './files-target.js';
import { kernelTarget } from './kernel-target.js';
import type { MutationOptions } from './mutate.js';

export interface FuzzContext {
  /** The repository (fixtures live under test/fixtures/hosts). */
  repoRoot: string;
  /** A temporary directory this target may write in (file-based parsers read from there). */
  work: string;
  /** Upper bound of huge inputs made by repeats. */
  hugeBytes: number;
}

export interface FuzzTarget {
  name: string;
  /** What the entry point is, for reports. */
  entry: string;
  /** Real files to mutate. */
  seeds(ctx: FuzzContext): Promise<Buffer[]>;
  /** Inputs built to resemble the format. */
  structured(): fc.Arbitrary<Buffer>;
  dictionary?: readonly string[];
  /** Called once before the cases (create a host root in ctx.work, ...). */
  setup?(ctx: FuzzContext, seeds: Buffer[]): Promise<void>;
  /** Run the parser on one input; throws PropertyViolation (or anything else) when the property breaks. */
  run(input: Buffer, ctx: FuzzContext): Promise<void> | void;
}

export class PropertyViolation extends Error {
  override name = 'PropertyViolation';
}

function ensure(cond: unknown, what: string): asserts cond {
  if (!cond) throw new PropertyViolation(what);
}

/** The generator of one target: structured inputs and mutated seeds, half each. */
export function inputsOf(t: FuzzTarget, seeds: readonly Buffer[], ctx: FuzzContext): fc.Arbitrary<Buffer> {
  const opts: MutationOptions = { hugeBytes: ctx.hugeBytes, ...(t.dictionary ? { dictionary: t.dictionary } : {}) };
  return seeds.length > 0 ? fc.oneof(t.structured(), mutated(seeds, opts)) : t.structured();
}

// ---------------------------------------------------------------------------------------------------
// Seeds: real files from the fixture host roots and from this machine.

const FIXTURES = (repoRoot: string) => path.join(repoRoot, 'test/fixtures/hosts');

function walk(dir: string, out: string[] = [], depth = 0): string[] {
  if (depth > 12) return out;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    const p = path.join(dir, n);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) walk(p, out, depth + 1);
    else if (st.isFile() && st.size <= 4 * 1024 * 1024) out.push(p);
  }
  return out;
}

/** Fixture files whose path inside their host root matches `re`. */
function fixtureFiles(repoRoot: string, re: RegExp): Buffer[] {
  const base = FIXTURES(repoRoot);
  return walk(base)
    .filter((p) => re.test('/' + path.relative(base, p).split(path.sep).slice(1).join('/')))
    .sort()
    .map((p) => readFileSync(p));
}

/** A file of this machine, if readable (cut to `max` bytes at a line end: an excerpt). */
function machineFile(p: string, max = 64 * 1024): Buffer[] {
  try {
    const b = readFileSync(p);
    if (b.length <= max) return [b];
    const cut = b.lastIndexOf(10, max);
    return [b.subarray(0, cut > 0 ? cut + 1 : max)];
  } catch {
    return [];
  }
}

/** Certificates made by the real openssl, cached in ctx.work: RSA, EC, Ed25519 and a chain. */
function opensslCerts(ctx: FuzzContext): { pem: Buffer[]; der: Buffer[] } {
  const dir = path.join(ctx.work, 'openssl');
  const keys: [string, string[]][] = [
    ['rsa', ['-newkey', 'rsa:2048']],
    ['ec', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']],
    ['ed', ['-newkey', 'ed25519']],
    ['pss', ['-newkey', 'rsa-pss', '-pkeyopt', 'rsa_keygen_bits:2048', '-sigopt', 'rsa_padding_mode:pss']],
  ];
  const pem: Buffer[] = [];
  const der: Buffer[] = [];
  try {
    execFileSync('mkdir', ['-p', dir]);
    for (const [name, args] of keys) {
      const crt = path.join(dir, `${name}.crt`);
      if (!existsSync(crt)) {
        execFileSync(
          'openssl',
          [
            'req',
            '-x509',
            ...args,
            '-nodes',
            '-keyout',
            path.join(dir, `${name}.key`),
            '-out',
            crt,
            '-days',
            '30',
            '-subj',
            `/CN=fuzz-${name}`,
          ],
          { stdio: 'ignore' },
        );
        execFileSync('openssl', ['x509', '-in', crt, '-outform', 'DER', '-out', path.join(dir, `${name}.der`)], {
          stdio: 'ignore',
        });
      }
      pem.push(readFileSync(crt));
      der.push(readFileSync(path.join(dir, `${name}.der`)));
    }
    // A bundle with a key beside the certificates, as kubelet-client-current.pem is.
    pem.push(Buffer.concat([pem[0]!, readFileSync(path.join(dir, 'ec.key')), pem[1]!]));
  } catch {
    // openssl missing: the fixtures' certificates still seed the target.
  }
  return { pem, der };
}

// ---------------------------------------------------------------------------------------------------
// Helpers for structured generators.

const lines = (line: fc.Arbitrary<string>, max = 40) => joinLines(line, max);
const hex = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9A-Fa-f]{${min},${max}}$`));
const keyValue = (keys: readonly string[], sep: fc.Arbitrary<string>) =>
  fc
    .tuple(
      fc.oneof(fc.constantFrom(...keys), word),
      sep,
      fc.oneof(
        word,
        fc.array(word, { maxLength: 4 }).map((a) => a.join(' ')),
      ),
    )
    .map(([k, s, v]) => k + s + v);

/** TOML-ish values: what smol-toml can write (no null), nested at most 3 deep. */
const tomlValue: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(word, fc.boolean(), fc.integer(), fc.double({ noNaN: false })),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(
        word,
        fc.constantFrom('runtime_type', 'SystemdCgroup', 'options', 'runtimes', 'runc', 'kata', 'imports', 'version'),
      ),
      tie('v'),
      {
        maxKeys: 4,
      },
    ),
  ),
})).v;

function tomlDoc(skeleton: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Buffer> {
  return fc.oneof(
    skeleton.map((doc) => {
      try {
        return Buffer.from(tomlStringify(doc));
      } catch {
        return Buffer.from(JSON.stringify(doc)); // not TOML: the parser must say so
      }
    }),
    lines(
      fc.oneof(
        fc
          .tuple(
            fc.array(
              fc.oneof(
                word,
                fc.constantFrom('plugins', '"io.containerd.grpc.v1.cri"', 'crio', 'runtime', 'containerd'),
              ),
              { minLength: 1, maxLength: 5 },
            ),
            fc.boolean(),
          )
          .map(([p, arr]) => (arr ? `[[${p.join('.')}]]` : `[${p.join('.')}]`)),
        keyValue(
          [
            'version',
            'imports',
            'root',
            'state',
            'seccomp_profile',
            'default_runtime',
            'runtime_type',
            'SystemdCgroup',
            'default_capabilities',
            'address',
          ],
          fc.constantFrom(' = ', '=', ' '),
        ),
        fc.constantFrom(
          'a = {b = {c = {d = 1}}}',
          'x = [[[[[[1]]]]]]',
          'x = """',
          "x = '''",
          'x = 1979-05-27T07:32:00Z',
          '[a]\n[a]',
          'a.b = 1\n[a]\nb = 2',
          'x = 0xDEADBEEF',
          'x = inf',
        ),
        word,
      ),
    ),
  );
}

const rpmString = (s: string) => Buffer.concat([Buffer.from(s), Buffer.from([0])]);

/** An RPM header blob: il, dl, entries (tag, type, offset, count), data; sometimes with lying fields. */
const rpmHeader: fc.Arbitrary<Buffer> = fc
  .tuple(
    fc.array(
      fc.record({
        tag: fc.oneof(
          fc.constantFrom(TAG.name, TAG.version, TAG.release, TAG.epoch, TAG.arch),
          fc.nat({ max: 0xffffffff }),
        ),
        type: fc.oneof(
          fc.constantFrom(TYPE.int32, TYPE.string, TYPE.stringArray, TYPE.i18nstring, TYPE.bin),
          fc.nat({ max: 0xffffffff }),
        ),
        value: fc.oneof(
          word,
          fc.uint8Array({ maxLength: 16 }).map((u) => Buffer.from(u).toString('latin1')),
        ),
        lie: fc.option(fc.nat({ max: 0xffffffff }), { freq: 5 }),
        count: fc.oneof(fc.constant(1), fc.nat({ max: 0xffffffff })),
      }),
      { maxLength: 8 },
    ),
    fc.option(fc.nat({ max: 0xffffffff }), { freq: 4 }),
    fc.option(fc.nat({ max: 0xffffffff }), { freq: 4 }),
  )
  .map(([entries, ilLie, dlLie]) => {
    const data: Buffer[] = [];
    let off = 0;
    const index = Buffer.alloc(entries.length * 16);
    entries.forEach((e, i) => {
      const bytes = e.type === TYPE.int32 ? Buffer.from([0, 0, 0, e.value.length & 0xff]) : rpmString(e.value);
      index.writeUInt32BE(e.tag >>> 0, i * 16);
      index.writeUInt32BE(e.type >>> 0, i * 16 + 4);
      index.writeUInt32BE((e.lie ?? off) >>> 0, i * 16 + 8);
      index.writeUInt32BE(e.count >>> 0, i * 16 + 12);
      data.push(bytes);
      off += bytes.length;
    });
    const head = Buffer.alloc(8);
    head.writeUInt32BE((ilLie ?? entries.length) >>> 0, 0);
    head.writeUInt32BE((dlLie ?? off) >>> 0, 4);
    return Buffer.concat([head, index, ...data]);
  });

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

// ---------------------------------------------------------------------------------------------------
// The targets.

const SSH_KEYWORDS = [
  'Port',
  'ListenAddress',
  'PermitRootLogin',
  'PasswordAuthentication',
  'KbdInteractiveAuthentication',
  'UsePAM',
  'AuthenticationMethods',
  'Ciphers',
  'MACs',
  'KexAlgorithms',
  'HostKey',
  'HostKeyAlgorithms',
  'MaxAuthTries',
  'LoginGraceTime',
  'ClientAliveInterval',
  'Subsystem',
  'AllowUsers',
  'DenyGroups',
  'Banner',
  'LogLevel',
  'X11Forwarding',
  'AcceptEnv',
  'ChrootDirectory',
  'Include',
  'Match',
];

const sshContexts: ConnectionContext[] = [
  {
    userClass: 'root',
    user: 'root',
    groups: ['root'],
    host: 'client.example',
    addr: '203.0.113.9',
    laddr: '127.0.0.1',
    lport: 22,
    label: 'root from 203.0.113.9',
  },
  {
    userClass: 'user',
    user: 'alice',
    groups: ['alice', 'sudo'],
    host: '',
    addr: '10.0.0.1',
    laddr: '10.0.0.2',
    lport: 2222,
    label: 'alice from 10.0.0.1',
  },
] as ConnectionContext[];

const sshdTarget: FuzzTarget = {
  name: 'sshd_config',
  entry: 'probes/ssh/config-parser.ts parseSshdConfig + effective.ts effectiveSettings',
  dictionary: [
    '\nInclude ',
    '\nMatch ',
    'User ',
    'Address ',
    '10.0.0.0/8',
    '!',
    ',',
    '"',
    '=',
    '\n',
    '\r',
    '\0',
    '#',
    '*',
    'sshd_config.d/*.conf',
    '/etc/ssh/sshd_config',
    'all',
    'yes',
    'no',
  ],
  async seeds(ctx) {
    return [
      ...fixtureFiles(ctx.repoRoot, /^\/etc\/ssh\/(sshd_config|.*\.conf)$/),
      ...machineFile('/etc/ssh/sshd_config'),
    ];
  },
  structured: () =>
    lines(
      fc.oneof(
        keyValue(SSH_KEYWORDS, fc.constantFrom(' ', '\t', '=', ' = ', '  ')),
        fc
          .array(
            fc.tuple(
              fc.constantFrom(
                'User',
                'Group',
                'Host',
                'Address',
                'LocalAddress',
                'LocalPort',
                'All',
                'RDomain',
                'Bogus',
              ),
              fc.oneof(word, fc.constantFrom('10.0.0.0/8', '!root,*', '::1/999', '300.1.1.1/33')),
            ),
            { maxLength: 4 },
          )
          .map((cs) => 'Match ' + cs.map(([k, v]) => `${k} ${v}`).join(' ')),
        fc.constantFrom(
          'Include /etc/ssh/sshd_config',
          'Include sshd_config.d/*.conf',
          'Include /etc/ssh/nonexistent*',
          'Include [',
          'Include /proc/self/*',
          'Include ../../../../etc/shadow',
        ),
        fc.constantFrom('# comment', '', '   ', 'PasswordAuthentication "yes', 'Port "22" "23"'),
        word,
      ),
      60,
    ),
  async setup(ctx) {
    await fsp.mkdir(path.join(ctx.work, 'root/etc/ssh/sshd_config.d'), { recursive: true });
    await fsp.writeFile(
      path.join(ctx.work, 'root/etc/ssh/sshd_config.d/50-base.conf'),
      'PasswordAuthentication no\nInclude /etc/ssh/sshd_config\n',
    );
  },
  async run(input, ctx) {
    const host = new HostRoot(path.join(ctx.work, 'root'));
    await fsp.writeFile(path.join(ctx.work, 'root/etc/ssh/sshd_config'), input);
    const parsed = await parseSshdConfig(host);
    if ('ok' in parsed) {
      ensure(parsed.ok === false && typeof parsed.reason === 'string', 'a failure carries a reason');
      return;
    }
    ensure(parsed.files.length <= 256 + 1, `files capped: ${parsed.files.length}`);
    ensure(parsed.directives.length <= 50_000, `directives capped: ${parsed.directives.length}`);
    for (const p of parsed.problems)
      ensure(typeof p.message === 'string' && p.message.length > 0, 'every problem says what');
    for (const c of sshContexts) {
      const eff = effectiveSettings(parsed, c, { major: 9, minor: 2 });
      ensure(eff instanceof Map, 'effective settings are a map');
    }
  },
};

const daemonJsonTarget: FuzzTarget = {
  name: 'daemon.json',
  entry: 'probes/runtime/docker.ts parseDaemonJson + resolveDocker',
  dictionary: [
    '{',
    '}',
    '[',
    ']',
    '"',
    ':',
    ',',
    'true',
    'null',
    '"icc"',
    '"userland-proxy"',
    '"log-driver"',
    '"hosts"',
    '"__proto__"',
    '1e999',
  ],
  async seeds(ctx) {
    return fixtureFiles(ctx.repoRoot, /^\/etc\/docker\/daemon\.json$/);
  },
  structured: () =>
    fc.oneof(
      fc
        .dictionary(
          fc.oneof(fc.constantFrom(...DOCKER_OPTIONS.map((o) => o.key), '__proto__', 'constructor', 'toString'), word),
          fc.jsonValue({ maxDepth: 3 }),
          { maxKeys: 12 },
        )
        .map((o) => Buffer.from(JSON.stringify(o))),
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? '')),
      fc
        .constantFrom(
          '{"icc": true, "icc": false}',
          '{"__proto__": {"icc": false}}',
          '['.repeat(100_000),
          '{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}',
        )
        .map((s) => Buffer.from(s)),
    ),
  run(input) {
    const text = input.toString('utf8');
    const json = parseDaemonJson(text);
    ensure(json.ok || (typeof json.reason === 'string' && json.reason.length > 0), 'a rejection has a reason');
    const r = resolveDocker(undefined, { path: '/etc/docker/daemon.json', text, json }, undefined);
    ensure(typeof r === 'object' && r !== null, 'resolves to settings');
  },
};

const containerdTarget: FuzzTarget = {
  name: 'containerd TOML',
  entry: 'probes/runtime/containerd.ts loadContainerdConfig (imports followed)',
  dictionary: [
    '[',
    ']',
    '[[',
    '"',
    "'''",
    '"""',
    '=',
    '.',
    'version = 2',
    'version = 3',
    'imports = ["/etc/containerd/conf.d/*.toml"]',
    '\n',
  ],
  async seeds(ctx) {
    return fixtureFiles(ctx.repoRoot, /^\/etc\/containerd\/.*\.toml$|^\/var\/lib\/rancher\/.*\.toml(\.tmpl)?$/);
  },
  structured: () =>
    tomlDoc(
      fc.record(
        {
          version: fc.oneof(fc.constantFrom(1, 2, 3, 4), fc.integer()),
          imports: fc.array(
            fc.oneof(
              fc.constantFrom(
                '/etc/containerd/conf.d/*.toml',
                'conf.d/[',
                '/etc/containerd/config.toml',
                '../../../../etc/shadow',
                '/proc/self/environ',
              ),
              word,
            ),
            { maxLength: 3 },
          ),
          plugins: fc.dictionary(
            fc.constantFrom('io.containerd.grpc.v1.cri', 'io.containerd.cri.v1.runtime', 'cri'),
            tomlValue,
            { maxKeys: 2 },
          ),
          extra: tomlValue,
        },
        { requiredKeys: [] },
      ),
    ),
  async setup(ctx, seeds) {
    await fsp.mkdir(path.join(ctx.work, 'root/etc/containerd/conf.d'), { recursive: true });
    // Real imports for the main file to pull in (a fixture's drop-in, and one that imports the main file).
    await fsp.writeFile(path.join(ctx.work, 'root/etc/containerd/conf.d/10-seed.toml'), seeds[seeds.length - 1] ?? '');
    await fsp.writeFile(
      path.join(ctx.work, 'root/etc/containerd/conf.d/20-loop.toml'),
      'version = 2\nimports = ["/etc/containerd/config.toml", "/etc/containerd/conf.d/*.toml"]\n',
    );
  },
  async run(input, ctx) {
    await fsp.writeFile(path.join(ctx.work, 'root/etc/containerd/config.toml'), input);
    const r = await loadContainerdConfig(new HostRoot(path.join(ctx.work, 'root')), '/etc/containerd/config.toml');
    if (!r.ok) ensure(typeof r.reason === 'string' && r.reason.length > 0, 'a failure has a reason');
    else ensure(r.config.files.length <= CONTAINERD_MAX_IMPORTS + 1, 'imports capped');
  },
};

const crioTarget: FuzzTarget = {
  name: 'CRI-O TOML',
  entry: 'probes/runtime/crio.ts loadCrioConfig (drop-ins)',
  dictionary: [
    '[crio]',
    '[crio.runtime]',
    '[crio.runtime.runtimes.runc]',
    'seccomp_profile = ""',
    'default_capabilities = [',
    '"',
    '=',
    '\n',
  ],
  async seeds(ctx) {
    return fixtureFiles(ctx.repoRoot, /^\/etc\/crio\//);
  },
  structured: () =>
    tomlDoc(
      fc.record(
        {
          crio: fc.record(
            {
              runtime: fc.dictionary(
                fc.constantFrom(
                  'seccomp_profile',
                  'default_runtime',
                  'default_capabilities',
                  'runtimes',
                  'selinux',
                  'no_pivot',
                  'workloads',
                ),
                tomlValue,
                { maxKeys: 4 },
              ),
              api: tomlValue,
            },
            { requiredKeys: [] },
          ),
          extra: tomlValue,
        },
        { requiredKeys: [] },
      ),
    ),
  async setup(ctx, seeds) {
    await fsp.mkdir(path.join(ctx.work, 'root/etc/crio/crio.conf.d'), { recursive: true });
    await fsp.writeFile(path.join(ctx.work, 'root/etc/crio/crio.conf'), seeds[0] ?? '');
  },
  async run(input, ctx) {
    await fsp.writeFile(path.join(ctx.work, 'root/etc/crio/crio.conf.d/99-fuzz.conf'), input);
    const r = await loadCrioConfig(
      new HostRoot(path.join(ctx.work, 'root')),
      '/etc/crio/crio.conf',
      '/etc/crio/crio.conf.d',
    );
    if (!r.ok) ensure(typeof r.reason === 'string' && r.reason.length > 0, 'a failure has a reason');
  },
};

const KUBELET_FIELDS = [
  'authentication',
  'anonymous',
  'enabled',
  'webhook',
  'authorization',
  'mode',
  'readOnlyPort',
  'protectKernelDefaults',
  'rotateCertificates',
  'featureGates',
  'seccompDefault',
  'tlsCipherSuites',
  'kind',
  'apiVersion',
];

const yamlish: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(word, fc.boolean(), fc.integer(), fc.constant(null), fc.double()),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...KUBELET_FIELDS), word), tie('v'), { maxKeys: 5 }),
  ),
})).v;

const yamlNasty = fc.constantFrom(
  'a: &x [*x]',
  'a: &a [1]\nb: &b [*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d]',
  '<<: *missing',
  '? [a, b]\n: c',
  '!!binary "AAAA"',
  'a: !!int "x"',
  '---\na: 1\n---\nb: 2',
  'a:\n' + '  - '.repeat(200) + 'x',
  '{'.repeat(2000),
  'key: "unterminated',
  'readOnlyPort: 0x2A',
  'authentication: {anonymous: {enabled: yes}}',
);

function yamlDoc(): fc.Arbitrary<Buffer> {
  return fc.oneof(
    yamlish.map((v) => Buffer.from(yamlStringify(v))),
    yamlish.map((v) => Buffer.from(JSON.stringify(v) ?? '')),
    yamlNasty.map((s) => Buffer.from(s)),
    lines(
      fc.oneof(
        keyValue(KUBELET_FIELDS, fc.constantFrom(': ', ':', ' : ')),
        fc.tuple(fc.nat({ max: 12 }), word).map(([n, w]) => ' '.repeat(n) + w),
        fc.constantFrom('- ', '---', '...', '&a', '*a', '!tag'),
      ),
    ),
  );
}

const kubeletTarget: FuzzTarget = {
  name: 'kubelet YAML/JSON',
  entry: 'probes/kubelet/config-file.ts parseKubeletConfig + parseRancherConfig',
  dictionary: [': ', '\n  ', '- ', '&a ', '*a', '<<: ', '!!', '{', '[', '"', "'", '---\n', 'kubelet-arg:'],
  async seeds(ctx) {
    return fixtureFiles(
      ctx.repoRoot,
      /^\/(var\/lib\/kubelet\/config\.yaml|etc\/kubernetes\/kubelet.*|etc\/rancher\/.*\/config\.yaml|etc\/kubernetes\/kubelet\/.*json)$|kubelet.*\.(ya?ml|json|conf)$/,
    );
  },
  structured: yamlDoc,
  run(input) {
    const text = input.toString('utf8');
    const p = parseKubeletConfig(text, '/var/lib/kubelet/config.yaml');
    if (p.ok) {
      ensure(p.leaves.length <= 10_000, `leaves capped: ${p.leaves.length}`);
      for (const l of p.leaves) ensure(typeof l.field === 'string', 'every leaf has a field');
    } else ensure(p.reason.length > 0, 'a failure has a reason');
    const r = parseRancherConfig(text, '/etc/rancher/k3s/config.yaml');
    ensure(typeof r === 'object' && r !== null, 'rancher config parses or fails with a reason');
  },
};

const dpkgStatusTarget: FuzzTarget = {
  name: 'dpkg status',
  entry: 'src/host/facts/dpkg/status.ts parseDpkgStatus',
  dictionary: [
    '\n\n',
    '\nPackage: ',
    '\nStatus: ',
    'install ok installed',
    'hold ok installed',
    '\nVersion: ',
    '1:2.3-4',
    '\n ',
    '\n .\n',
    ':',
  ],
  async seeds(ctx) {
    return [
      ...fixtureFiles(ctx.repoRoot, /^\/var\/lib\/dpkg\/status$/),
      ...machineFile('/var/lib/dpkg/status', 48 * 1024),
    ];
  },
  structured: () =>
    fc
      .array(
        fc.record({
          pkg: fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9+.-]{0,20}$/), word),
          status: fc.oneof(
            fc
              .tuple(
                fc.constantFrom('install', 'hold', 'deinstall', 'purge', 'unknown', 'x'),
                fc.constantFrom('ok', 'reinstreq'),
                fc.constantFrom('installed', 'config-files', 'not-installed', 'half-configured', 'y'),
              )
              .map((a) => a.join(' ')),
            word,
          ),
          version: fc.oneof(
            fc.stringMatching(/^([0-9]{1,3}:)?[0-9][A-Za-z0-9.+~-]{0,12}(-[A-Za-z0-9.+~]{1,6})?$/),
            word,
          ),
          arch: fc.oneof(fc.constantFrom('amd64', 'all', 'arm64'), word),
          extra: fc.array(fc.tuple(word, word), { maxLength: 3 }),
        }),
        { maxLength: 20 },
      )
      .map((ps) =>
        Buffer.from(
          ps
            .map((p) =>
              [
                `Package: ${p.pkg}`,
                `Status: ${p.status}`,
                `Version: ${p.version}`,
                `Architecture: ${p.arch}`,
                ...p.extra.map(([k, v]) => `${k}: ${v}\n ${v}`),
              ].join('\n'),
            )
            .join('\n\n') + '\n',
        ),
      ),
  run(input) {
    const r = parseDpkgStatus(input.toString('utf8'));
    ensure(Array.isArray(r.packages) && Array.isArray(r.problems), 'packages and problems');
    // One problem per bad paragraph at most (beyond deb822's own 100): linear in the input, never more.
    const paragraphs = input.toString('utf8').split(/\n[ \t\r]*\n/).length;
    ensure(
      r.problems.length <= 100 + paragraphs,
      `problems bounded: ${r.problems.length} for ${paragraphs} paragraphs`,
    );
    for (const p of r.packages)
      ensure(
        typeof p.name === 'string' && typeof p.version === 'string' && p.line >= 1,
        'a package has name, version, line',
      );
  },
};

const releaseTarget: FuzzTarget = {
  name: 'apt Release',
  entry: 'probes/updates/deb/release.ts parseRelease',
  dictionary: [
    '-----BEGIN PGP SIGNED MESSAGE-----\n',
    '\n-----BEGIN PGP SIGNATURE-----\n',
    '\n-----END PGP SIGNATURE-----\n',
    'Hash: SHA256\n\n',
    '\nDate: ',
    '\nValid-Until: ',
    'Thu, 01 Jan 1970 00:00:00 UTC',
    '\nSuite: ',
    '- ',
    '\n\n',
  ],
  async seeds() {
    const dir = '/var/lib/apt/lists';
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((n) => /Release$/.test(n));
    } catch {
      /* no apt lists on this machine */
    }
    return names.flatMap((n) => machineFile(path.join(dir, n), 32 * 1024));
  },
  structured: () =>
    fc
      .tuple(
        lines(
          keyValue(
            [
              'Origin',
              'Label',
              'Suite',
              'Codename',
              'Version',
              'Date',
              'Valid-Until',
              'NotAutomatic',
              'ButAutomaticUpgrades',
              'Architectures',
              'Components',
              'SHA256',
            ],
            fc.constantFrom(': ', ':'),
          ),
        ),
        fc.constantFrom('none', 'armour', 'broken-armour'),
        fc.oneof(
          fc
            .date({ noInvalidDate: false })
            .map((d) => `Date: ${Number.isNaN(d.getTime()) ? 'bogus' : d.toUTCString()}`),
          fc.constantFrom('Date: Sat, 99 Foo 2024 25:61:61 UTC', 'Date: '),
        ),
      )
      .map(([body, armour, date]) => {
        const text = `${date}\n${body.toString()}`;
        if (armour === 'none') return Buffer.from(text);
        const sig = '\n-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCAAdFiEE\n=abcd\n-----END PGP SIGNATURE-----\n';
        return Buffer.from(
          `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n${text}${armour === 'armour' ? sig : ''}`,
        );
      }),
  run(input) {
    const r = parseRelease(input.toString('utf8'));
    if (!r.ok) ensure(r.reason.length > 0, 'a failure has a reason');
    else ensure(Array.isArray(r.problems), 'problems listed');
  },
};

const PKG_NAMES = new Set(['openssh-server', 'libc6', 'bash', 'zlib1g']);

const packagesTarget: FuzzTarget = {
  name: 'apt Packages',
  entry: 'probes/updates/deb/lists.ts parsePackagesBuffer (+ deb822 with comments, as sources)',
  dictionary: [
    '\n\n',
    '\nPackage: ',
    'Package: openssh-server\n',
    '\nVersion: ',
    '\nPhased-Update-Percentage: ',
    '\n ',
    '#',
  ],
  async seeds(ctx) {
    // The machine's lists are lz4; their decoded excerpt is what the parser sees. Fixture lists are plain text.
    const fixture = fixtureFiles(ctx.repoRoot, /^\/var\/lib\/apt\/lists\/.*_Packages$/);
    const out = [...fixture];
    try {
      const lz4 = (await import('lz4-napi')).default;
      const dir = '/var/lib/apt/lists';
      const n = readdirSync(dir).find((x) => x.endsWith('security_main_binary-amd64_Packages.lz4'));
      if (n) {
        const b = await lz4.decompressFrame(readFileSync(path.join(dir, n)));
        const cut = b.lastIndexOf('\n\n', 64 * 1024);
        out.push(Buffer.from(b.subarray(0, cut > 0 ? cut + 2 : Math.min(b.length, 64 * 1024))));
      }
    } catch {
      /* lz4-napi or the lists unavailable */
    }
    return out;
  },
  structured: () =>
    fc
      .array(
        fc.tuple(
          fc.oneof(fc.constantFrom(...PKG_NAMES), word),
          fc.oneof(fc.stringMatching(/^[0-9][A-Za-z0-9.+~:-]{0,12}$/), word),
          fc.oneof(fc.nat({ max: 200 }).map(String), word),
          fc.array(fc.tuple(word, word), { maxLength: 3 }),
        ),
        { maxLength: 20 },
      )
      .map((ps) =>
        Buffer.from(
          ps
            .map(([n, v, phased, extra]) =>
              [
                `Package: ${n}`,
                `Version: ${v}`,
                'Architecture: amd64',
                `Phased-Update-Percentage: ${phased}`,
                ...extra.map(([k, x]) => `${k}: ${x}`),
              ].join('\n'),
            )
            .join('\n\n'),
        ),
      ),
  run(input) {
    for (const names of [PKG_NAMES, undefined]) {
      const r = parsePackagesBuffer(input, names);
      ensure(r.packages >= 0 && Array.isArray(r.entries), 'entries and a count');
      if (names) for (const e of r.entries) ensure(names.has(e.name), `only wanted packages: ${e.name}`);
    }
    const sources = parseDeb822(input.toString('utf8'), { comments: true, maxParagraphs: 1000 });
    ensure(sources.paragraphs.length <= 1000, 'paragraphs capped');
  },
};

const rpmTarget: FuzzTarget = {
  name: 'rpm header',
  entry: 'probes/updates/rpm/header.ts parseRpmHeader',
  async seeds() {
    // Real headers need an rpmdb; build well-formed ones the way rpm lays them out.
    const mk = (tags: [number, number, Buffer][]) => {
      const idx = Buffer.alloc(tags.length * 16);
      const data: Buffer[] = [];
      let off = 0;
      tags.forEach(([tag, type, bytes], i) => {
        if (type === TYPE.int32) {
          const pad = (4 - (off % 4)) % 4;
          data.push(Buffer.alloc(pad));
          off += pad;
        }
        idx.writeUInt32BE(tag, i * 16);
        idx.writeUInt32BE(type, i * 16 + 4);
        idx.writeUInt32BE(off, i * 16 + 8);
        idx.writeUInt32BE(1, i * 16 + 12);
        data.push(bytes);
        off += bytes.length;
      });
      const head = Buffer.alloc(8);
      head.writeUInt32BE(tags.length, 0);
      head.writeUInt32BE(off, 4);
      return Buffer.concat([head, idx, ...data]);
    };
    const epoch = Buffer.alloc(4);
    epoch.writeUInt32BE(2);
    return [
      mk([
        [TAG.name, TYPE.string, rpmString('openssl')],
        [TAG.version, TYPE.string, rpmString('3.0.7')],
        [TAG.release, TYPE.string, rpmString('27.el9')],
        [TAG.epoch, TYPE.int32, epoch],
        [TAG.arch, TYPE.string, rpmString('x86_64')],
      ]),
      mk([
        [TAG.name, TYPE.string, rpmString('gpg-pubkey')],
        [TAG.version, TYPE.string, rpmString('fd431d51')],
        [TAG.release, TYPE.string, rpmString('4ae0493b')],
      ]),
    ];
  },
  structured: () => rpmHeader,
  run(input) {
    const r = parseRpmHeader(new Uint8Array(input.buffer, input.byteOffset, input.length));
    if (r.ok) ensure(typeof r.pkg.name === 'string' && r.pkg.name.length <= 4096, 'strings are bounded');
    else ensure(r.reason.length > 0, 'a failure has a reason');
  },
};

const procNetLine = fc.oneof(
  fc
    .tuple(
      fc.nat({ max: 9999 }),
      hex(8, 32),
      hex(4, 4),
      hex(8, 32),
      hex(4, 4),
      hex(2, 2),
      fc.nat(),
      fc.oneof(fc.nat().map(String), word),
    )
    .map(
      ([sl, la, lp, ra, rp, st, uid, ino]) =>
        `${sl}: ${la}:${lp} ${ra}:${rp} ${st} 00000000:00000000 00:00000000 00000000 ${uid} 0 ${ino} 1 0000000000000000 100 0 0 10 0`,
    ),
  fc
    .tuple(
      hex(16, 16),
      fc.nat(),
      fc.nat(),
      fc.constantFrom('00010000', '00000000', 'ffffffff'),
      fc.nat({ max: 9 }),
      fc.nat(),
      fc.nat(),
      word,
    )
    .map(([a, b, c, f, t, s, i, p]) => `${a}: ${b} ${c} ${f} ${t} ${s} ${i} ${p}`),
  fc
    .tuple(word, hex(8, 8), hex(8, 8), hex(8, 8))
    .map(([i, d, g, m]) => `${i}\t${d}\t${g}\t0003\t0\t0\t0\t${m}\t0\t0\t0`),
  fc.tuple(hex(32, 32), hex(2, 2), hex(2, 2), hex(2, 2), hex(2, 2), word).map((a) => a.join(' ')),
  fc.constantFrom(
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    'Main:',
    '  +-- 0.0.0.0/0 3 0 5',
    '     /32 host LOCAL',
    '  |-- 127.0.0.1',
  ),
  word,
);

const procNetTarget: FuzzTarget = {
  name: '/proc/net',
  entry:
    'probes/ports/proc-net.ts parseInetSockets (tcp/udp/raw, LE and BE), parseUnixSockets, parseFibTrieLocal, parseIfInet6, parseRoutes',
  dictionary: [':', ' ', '0A', '07', '00000000:0000', '\n', '/32 host LOCAL'],
  async seeds(ctx) {
    const mine = ['tcp', 'tcp6', 'udp', 'udp6', 'unix', 'fib_trie', 'if_inet6', 'route', 'raw'].flatMap((n) =>
      machineFile(`/proc/net/${n}`, 32 * 1024),
    );
    return [
      ...fixtureFiles(ctx.repoRoot, /^\/proc\/(\d+\/)?net\/(tcp6?|udp6?|raw6?|unix|fib_trie|if_inet6|route)$/),
      ...mine,
    ];
  },
  structured: () => lines(procNetLine, 30),
  run(input) {
    const text = input.toString('utf8');
    for (const proto of ['tcp', 'udp', 'raw'] as const) {
      for (const endian of ['LE', 'BE'] as const) {
        const r = parseInetSockets(text, proto, '/proc/net/tcp', endian);
        ensure(typeof r === 'object' && r !== null, 'inet parse');
      }
    }
    parseUnixSockets(text, '/proc/net/unix');
    parseFibTrieLocal(text);
    parseIfInet6(text);
    parseRoutes(text);
  },
};

const cgroupTarget: FuzzTarget = {
  name: '/proc cgroup',
  entry: 'probes/ports/cgroup.ts parseCgroup',
  dictionary: ['0::/', 'kubepods', '.slice', '.scope', 'cri-containerd-', 'crio-', 'docker-', '/pod', '\n', ':'],
  async seeds(ctx) {
    return [
      ...fixtureFiles(ctx.repoRoot, /^\/proc\/\d+\/cgroup$/),
      ...machineFile('/proc/self/cgroup'),
      ...machineFile('/proc/1/cgroup'),
    ];
  },
  structured: () =>
    lines(
      fc.oneof(
        fc
          .tuple(
            fc.nat({ max: 13 }),
            fc.constantFrom('', 'memory', 'cpu,cpuacct', 'name=systemd'),
            fc.array(
              fc.oneof(
                fc.constantFrom(
                  'kubepods',
                  'kubepods.slice',
                  'kubepods-burstable.slice',
                  'besteffort',
                  'system.slice',
                  'docker',
                ),
                fc
                  .tuple(
                    fc.constantFrom('pod', 'kubepods-pod', 'cri-containerd-', 'crio-', 'docker-', 'crio-conmon-'),
                    hex(8, 64),
                    fc.constantFrom('', '.slice', '.scope'),
                  )
                  .map((a) => a.join('')),
                word,
              ),
              { maxLength: 6 },
            ),
          )
          .map(([n, c, p]) => `${n}:${c}:/${p.join('/')}`),
        word,
      ),
      8,
    ),
  run(input) {
    const r = parseCgroup(input.toString('utf8'));
    ensure(typeof r === 'object' && r !== null, 'a placement');
  },
};

const procStatusTarget: FuzzTarget = {
  name: '/proc status',
  entry: 'src/host/facts/processes/status.ts parseProcStatus',
  dictionary: [
    'Seccomp:\t',
    'NoNewPrivs:\t',
    'CapEff:\t',
    'Seccomp_filters:\t',
    '\n',
    'ffffffffffffffff',
    '000001ffffffffff',
  ],
  async seeds(ctx) {
    return [
      ...fixtureFiles(ctx.repoRoot, /^\/proc\/\d+\/status$/),
      ...machineFile('/proc/self/status'),
      ...machineFile('/proc/1/status'),
    ];
  },
  structured: () =>
    lines(
      fc.oneof(
        fc
          .tuple(
            fc.constantFrom(
              'Name',
              'Pid',
              'PPid',
              'Uid',
              'Seccomp',
              'Seccomp_filters',
              'NoNewPrivs',
              'CapEff',
              'CapBnd',
              'CapPrm',
              'NSpid',
              'VmRSS',
            ),
            fc.oneof(hex(1, 20), fc.nat().map(String), word),
          )
          .map(([k, v]) => `${k}:\t${v}`),
        word,
      ),
      60,
    ),
  run(input) {
    const r = parseProcStatus(input.toString('utf8'));
    ensure(typeof r === 'object' && r !== null, 'a status');
  },
};

function checkBlob(input: Buffer): void {
  const { certs, problems } = certificatesInBlob(input);
  ensure(certs.length <= MAX_PEM_BLOCKS, `certificates capped: ${certs.length}`);
  ensure(certs.length > 0 || problems.length > 0, 'no certificate is a problem with a reason');
  for (const c of certs.slice(0, 20)) {
    const p = parseCertificate(c.der);
    if (p.ok)
      ensure(Number.isFinite(p.notAfterMs) && Number.isFinite(p.notBeforeMs), 'a parsed certificate has its validity');
    else ensure(p.reason.length > 0, 'a rejected certificate has a reason');
    certificateSignatureAlgorithm(c.der);
  }
}

const pemTarget: FuzzTarget = {
  name: 'PEM',
  entry: 'probes/tls/gather.ts certificatesInBlob (pem.ts splitPem) + certificate.ts parseCertificate',
  dictionary: [
    '-----BEGIN CERTIFICATE-----\n',
    '\n-----END CERTIFICATE-----\n',
    '-----BEGIN EC PRIVATE KEY-----',
    '=',
    '==',
    '\r\n',
    ' ',
    'Proc-Type: 4,ENCRYPTED\n',
  ],
  async seeds(ctx) {
    return [...opensslCerts(ctx).pem, ...fixtureFiles(ctx.repoRoot, /\.(pem|crt)$/)];
  },
  structured: () =>
    fc
      .array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom('CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE', 'PRIVATE KEY', 'RSA PRIVATE KEY'),
            word,
          ),
          fc.oneof(fc.uint8Array({ maxLength: 600 }).map(b64), word),
          fc.constantFrom(64, 76, 1, 1000),
          fc.boolean(),
          fc.oneof(fc.constant(''), word),
        ),
        { maxLength: 5 },
      )
      .map((blocks) =>
        Buffer.from(
          blocks
            .map(([label, body, width, closed, junk]) => {
              const wrapped = body.match(new RegExp(`.{1,${width}}`, 'gs'))?.join('\n') ?? '';
              return `${junk}\n-----BEGIN ${label}-----\n${wrapped}\n${closed ? `-----END ${label}-----` : ''}`;
            })
            .join('\n'),
          'latin1',
        ),
      ),
  run: checkBlob,
};

/** DER TLVs: tag, (long-form) length, value; sometimes lying about the length. */
const derTlv: fc.Arbitrary<Buffer> = fc.letrec<{ t: Buffer }>((tie) => ({
  t: fc
    .tuple(
      fc.constantFrom(0x30, 0x31, 0x02, 0x03, 0x04, 0x05, 0x06, 0x17, 0x18, 0xa0, 0xa3, 0x0c),
      fc.oneof(
        { depthSize: 'small' },
        fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)),
        fc.array(tie('t'), { maxLength: 4 }).map((a) => Buffer.concat(a)),
      ),
      fc.option(fc.constantFrom(0x80, 0x84, 0xff, 0x89), { freq: 6 }),
    )
    .map(([tag, body, lie]) => {
      let len: Buffer;
      if (lie !== null)
        len = Buffer.from(
          lie === 0x84 ? [0x84, 0xff, 0xff, 0xff, 0xff] : lie === 0x89 ? [0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9] : [lie],
        );
      else if (body.length < 128) len = Buffer.from([body.length]);
      else if (body.length < 256) len = Buffer.from([0x81, body.length]);
      else len = Buffer.from([0x82, body.length >> 8, body.length & 0xff]);
      return Buffer.concat([Buffer.from([tag]), len, body]);
    }),
})).t;

const derTarget: FuzzTarget = {
  name: 'DER',
  entry: 'probes/tls/certificate.ts parseCertificate + der.ts certificateSignatureAlgorithm',
  async seeds(ctx) {
    return opensslCerts(ctx).der;
  },
  structured: () => derTlv,
  run: checkBlob,
};

const kubeconfigTarget: FuzzTarget = {
  name: 'kubeconfig',
  entry: 'probes/tls/kubeconfig.ts parseKubeconfig',
  dictionary: [
    'clusters:\n',
    'users:\n',
    '- name: ',
    '  user:\n',
    '    client-certificate-data: ',
    '    client-certificate: ',
    'current-context: ',
    '../../../etc/shadow',
    '&a',
    '*a',
  ],
  async seeds(ctx) {
    const certs = opensslCerts(ctx).pem;
    const made = certs.slice(0, 2).map((c) =>
      Buffer.from(
        yamlStringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [
            {
              name: 'k',
              cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': c.toString('base64') },
            },
          ],
          users: [
            {
              name: 'kubelet',
              user: {
                'client-certificate': '/var/lib/kubelet/pki/kubelet-client-current.pem',
                'client-key-data': 'AAAA',
              },
            },
          ],
          contexts: [{ name: 'c', context: { cluster: 'k', user: 'kubelet' } }],
          'current-context': 'c',
        }),
      ),
    );
    return [...made, ...fixtureFiles(ctx.repoRoot, /^\/etc\/kubernetes\/.*\.conf$|kubeconfig/)];
  },
  structured: () =>
    fc.oneof(
      fc
        .record({
          clusters: fc.array(
            fc.record({
              name: word,
              cluster: fc.dictionary(
                fc.constantFrom('certificate-authority-data', 'certificate-authority', 'server'),
                fc.oneof(word, fc.uint8Array({ maxLength: 200 }).map(b64)),
              ),
            }),
            { maxLength: 3 },
          ),
          users: fc.array(
            fc.record({
              name: word,
              user: fc.dictionary(
                fc.constantFrom('client-certificate-data', 'client-certificate', 'token'),
                fc.oneof(word, fc.uint8Array({ maxLength: 200 }).map(b64)),
              ),
            }),
            { maxLength: 3 },
          ),
          'current-context': word,
          contexts: yamlish,
        })
        .map((o) => Buffer.from(yamlStringify(o))),
      yamlDoc(),
    ),
  run(input) {
    const r = parseKubeconfig(input.toString('utf8'), '/etc/kubernetes/kubelet.conf');
    if (!r.ok) ensure(r.reason.length > 0, 'a failure has a reason');
    else
      for (const ref of r.refs)
        if (ref.file !== undefined)
          ensure(ref.file.startsWith('/'), `file references are absolute host paths: ${ref.file}`);
  },
};

// The integrity database: a signed baseline of a small tree, made by the real writer.
const INTEGRITY_KEY = Buffer.from('fuzz-key-0123456789abcdef-not-a-secret');
/** What the real writer wrote, per run: the only content a verified database may vouch for. */
const integritySeeds = new WeakMap<FuzzContext, string[]>();

/** Everything a verified database vouches for: the header line and the records (all but the end line). */
function vouched(text: string): string {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  return body.slice(0, body.lastIndexOf('\n') + 1);
}

const integrityTarget: FuzzTarget = {
  name: 'integrity database',
  entry: 'src/integrity/db.ts DbReader.open + finish (streams records, verifies the HMAC)',
  dictionary: ['\n', '[', ']', '"', ',', 'null', '{"end":true,"records":0,"mac":"', '"signed":false', '"signed":true'],
  async seeds(ctx) {
    const tree = path.join(ctx.work, 'tree');
    await fsp.mkdir(path.join(tree, 'etc/ssh'), { recursive: true });
    await fsp.writeFile(path.join(tree, 'etc/ssh/sshd_config'), 'PasswordAuthentication no\n');
    await fsp.writeFile(path.join(tree, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    await fsp.symlink('/etc/passwd', path.join(tree, 'etc/link')).catch(() => undefined);
    await fsp.writeFile(path.join(ctx.work, 'key'), INTEGRITY_KEY);
    const out: Buffer[] = [];
    for (const [name, keyFile] of [
      ['signed.db', path.join(ctx.work, 'key')],
      ['unsigned.db', null],
    ] as const) {
      const dbFile = path.join(ctx.work, name);
      await integrityInit({ root: tree, paths: ['/etc'], dbFile, keyFile, workers: 1 });
      out.push(readFileSync(dbFile));
    }
    return out;
  },
  structured: () =>
    fc
      .tuple(
        fc.record(
          {
            hostward: fc.oneof(fc.constant('integrity-db'), word),
            version: fc.oneof(fc.constant(1), fc.constant(2), fc.integer()),
            created: word,
            root: word,
            policy: word,
            generation: fc.oneof(fc.nat(), fc.integer(), fc.double()),
            signed: fc.boolean(),
            keyId: fc.option(word),
          },
          { requiredKeys: [] },
        ),
        fc.array(
          fc.tuple(
            fc.oneof(fc.stringMatching(/^\/[a-z/]{0,20}$/), word),
            fc.constantFrom('f', 'd', 'l', 'x'),
            fc.nat(),
            fc.nat(),
            fc.nat(),
            fc.nat(),
            fc.nat(),
            fc.nat(),
            fc.double(),
            fc.double(),
            fc.option(hex(64, 64)),
            fc.option(word),
          ),
          { maxLength: 8 },
        ),
        fc.record({
          end: fc.oneof(fc.constant(true), fc.boolean()),
          records: fc.integer(),
          mac: fc.oneof(hex(64, 64), word),
        }),
        fc.boolean(),
      )
      .map(([h, recs, end, final]) =>
        Buffer.from(
          [JSON.stringify(h), ...recs.map((r) => JSON.stringify(r)), JSON.stringify(end)].join('\n') +
            (final ? '\n' : ''),
        ),
      ),
  async run(input, ctx) {
    const file = path.join(ctx.work, 'fuzz.db');
    await fsp.writeFile(file, input);
    const key = INTEGRITY_KEY;
    let verified = false;
    try {
      const r = await DbReader.open(file, key);
      const v = await r.finish();
      verified = v.verified;
    } catch (e) {
      ensure(
        e instanceof IntegrityError,
        `only IntegrityError may be thrown, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
      );
      return;
    }
    if (verified) {
      // A forger without the key cannot make the reader vouch for anything the writer did not write.
      const seeds = integritySeeds.get(ctx) ?? [];
      ensure(
        seeds.includes(vouched(input.toString('utf8'))),
        'a verified database vouches only for what the key holder wrote',
      );
    }
  },
  async setup(ctx, seeds) {
    integritySeeds.set(
      ctx,
      seeds.map((s) => vouched(s.toString('utf8'))),
    );
  },
};

/** Events as agents send them, and the ways a body can be wrong. */
const eventArb = fc.record(
  {
    id: fc.oneof(fc.uuid(), word),
    node: fc.oneof(fc.constantFrom('worker-3', 'a', 'node.example.com'), word),
    check: fc.oneof(fc.constantFrom('ssh.password_auth', 'ports.dangerous'), word),
    probe: fc.oneof(fc.constantFrom('ssh', 'ports'), word),
    status: fc.oneof(fc.constantFrom('pass', 'fail', 'unknown', 'skip'), word),
    severity: fc.oneof(fc.constantFrom('critical', 'high', 'medium', 'low', 'info'), word),
    title: word,
    message: word,
    evidence: fc.oneof(
      fc.array(
        fc.record(
          { file: fc.oneof(word, fc.integer()), line: fc.oneof(fc.nat(), fc.double()), text: word },
          { requiredKeys: [] },
        ),
        { maxLength: 3 },
      ),
      fc.jsonValue(),
    ),
    observedAt: fc.oneof(
      fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()),
      fc.constantFrom('2026-02-30T25:61:61Z', '2026-11-24T10:00:00.000+99:99', ''),
      word,
    ),
    accepted: fc.oneof(fc.boolean(), word),
  },
  { requiredKeys: [] },
);

const collectorBodyTarget: FuzzTarget = {
  name: 'collector event body',
  entry: 'src/collector/validate.ts validateEvents (after JSON.parse, as POST /v1/events does)',
  dictionary: ['[', ']', '{', '}', '"', ',', ':', 'null', '"status":"fail"', '"__proto__"', '\\u0000'],
  async seeds() {
    const ev = (i: number) => ({
      id: `0b0f0000-0000-4000-8000-00000000000${i}`,
      node: 'worker-3',
      check: 'ssh.password_auth',
      probe: 'ssh',
      status: i % 2 ? 'fail' : 'pass',
      severity: 'high',
      title: 'SSH password authentication is disabled',
      message: 'PasswordAuthentication yes is in force for every user',
      evidence: [{ file: '/etc/ssh/sshd_config.d/50-cloud-init.conf', line: 1, text: 'PasswordAuthentication yes' }],
      observedAt: '2026-11-24T10:00:00.000Z',
    });
    return [
      Buffer.from(JSON.stringify([ev(1)])),
      Buffer.from(JSON.stringify([ev(1), ev(2), { ...ev(3), accepted: true }])),
    ];
  },
  structured: () =>
    fc.oneof(
      fc.array(eventArb, { maxLength: 5 }).map((a) => Buffer.from(JSON.stringify(a))),
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? '')),
      fc
        .nat({ max: 3 })
        .map((k) =>
          Buffer.from(
            k === 0
              ? JSON.stringify(Array(MAX_EVENTS_PER_REQUEST + 1).fill({}))
              : k === 1
                ? '[' + '['.repeat(10_000)
                : k === 2
                  ? '"' + 'x'.repeat(LIMITS.message * 4) + '"'
                  : '[{"id":"a","evidence":[' + '{},'.repeat(LIMITS.evidence) + '{}]}]',
          ),
        ),
    ),
  run(input) {
    let body: unknown;
    try {
      body = JSON.parse(input.toString('utf8'));
    } catch {
      return; // the server answers 400 "not JSON" before validation
    }
    const v = validateEvents(body);
    if (!v.ok) {
      ensure(/^(body|\[\d+\])/.test(v.error), `a 400 names the first bad field: ${v.error.slice(0, 80)}`);
      return;
    }
    ensure(v.events.length <= MAX_EVENTS_PER_REQUEST, 'at most 1,000 events');
    const again = validateEvents(JSON.parse(JSON.stringify(v.events)));
    ensure(again.ok, 'accepted events validate again');
    for (const e of v.events)
      ensure(e.message.length <= LIMITS.message && e.evidence.length <= LIMITS.evidence, 'limits hold');
  },
};

const framingTarget: FuzzTarget = {
  name: 'outbox framing',
  entry: 'src/alerts/framing.ts decodeRecords',
  dictionary: ['BOWH', '\0\0\0\0', '\xff\xff\xff\xff'],
  async seeds(ctx) {
    const events = (await collectorBodyTarget.seeds(ctx)).map((b) => JSON.parse(b.toString()) as unknown[]).flat();
    const payloads = events.map((e) => Buffer.from(JSON.stringify(e)));
    return [Buffer.concat(payloads.map(encodeRecord)), encodeRecord(payloads[0]!)];
  },
  structured: () =>
    fc
      .array(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((u) => ({ raw: true, b: Buffer.from(u) })),
          fc.uint8Array({ maxLength: 200 }).map((u) => ({ raw: false, b: Buffer.from(u) })),
        ),
        { maxLength: 8 },
      )
      .map((parts) => Buffer.concat(parts.map((p) => (p.raw ? p.b : encodeRecord(p.b))))),
  run(input) {
    const d = decodeRecords(input);
    ensure(Number.isInteger(d.corrupt) && d.corrupt >= 0, 'corrupt is a count');
    let total = 0;
    for (const r of d.records) {
      ensure(r.length <= MAX_RECORD_BYTES, 'records capped');
      total += r.length + 12;
    }
    ensure(total <= input.length, 'records come from the input');
  },
};

// apt's compressed lists: real compressors for the seeds, and bombs (a few KB that decode to hundreds of MB).
const gzipped = new Map<number, Buffer>();
/** gzip of `mb` MiB of zeros, made once per size. */
function gzipZeros(mb: number): Buffer {
  let b = gzipped.get(mb);
  if (!b) gzipped.set(mb, (b = gzipSync(Buffer.alloc(mb * 1024 * 1024))));
  return b;
}

const DECODE_CAP = 16 * 1024 * 1024;
const MAGICS: [Compression, number[]][] = [
  ['gz', [0x1f, 0x8b]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['lz4', [0x04, 0x22, 0x4d, 0x18]],
  ['zst', [0x28, 0xb5, 0x2f, 0xfd]],
];
const kindOf = (b: Buffer): Compression => MAGICS.find(([, m]) => m.every((x, i) => b[i] === x))?.[0] ?? 'none';
let lz4Bomb: { head: Buffer; block: Buffer } | undefined;

const decompressTarget: FuzzTarget = {
  name: 'apt list decompression',
  entry: 'probes/updates/compress.ts decode (gz, xz, lz4, zst) with a 16 MiB cap',
  async seeds(ctx) {
    const text = (await packagesTarget.seeds(ctx)).reduce((a, b) => (b.length > a.length ? b : a), Buffer.alloc(0));
    const lz4 = (await import('lz4-napi')).default;
    const { xz } = await import('@napi-rs/lzma');
    const out = [gzipSync(text), xz.compressSync(text), lz4.compressFrameSync(text)];
    try {
      out.push(execFileSync('zstd', ['-q', '-c'], { input: text, maxBuffer: 64 * 1024 * 1024 }));
    } catch {
      /* no zstd binary */
    }
    // One 4 MiB block of zeros as lz4 writes it, to repeat into bombs.
    const z = lz4.compressFrameSync(Buffer.alloc(4 * 1024 * 1024));
    const hdr = 7;
    const size = z.readUInt32LE(hdr) & 0x7fffffff;
    lz4Bomb = { head: Buffer.from(z.subarray(0, hdr)), block: z.subarray(hdr, hdr + 4 + size) };
    return out;
  },
  structured: () =>
    fc.oneof(
      // lz4: up to 256 blocks of 4 MiB zeros (1 GiB) in a few hundred KB.
      fc
        .integer({ min: 1, max: 256 })
        .map((k) =>
          lz4Bomb
            ? Buffer.concat([lz4Bomb.head, ...Array<Buffer>(k).fill(lz4Bomb.block), Buffer.alloc(4)])
            : Buffer.alloc(0),
        ),
      // gzip of zeros (deflate's 1032:1): below, at, just over and far over the cap. Each size is compressed
      // once: 64 MiB of zeros costs seconds to gzip on a loaded machine, and most of this target's time went there.
      fc.constantFrom(1, 8, 15, 16, 17, 24, 64).map(gzipZeros),
      fc
        .tuple(fc.constantFrom(...MAGICS.map(([, m]) => m)), fc.uint8Array({ maxLength: 4096 }))
        .map(([m, rest]) => Buffer.concat([Buffer.from(m), Buffer.from(rest)])),
    ),
  async run(input) {
    const kind = kindOf(input);
    const before = process.resourceUsage().maxRSS;
    const r = await decode(input, kind, DECODE_CAP);
    const grownMiB = (process.resourceUsage().maxRSS - before) / 1024;
    if (r.ok) ensure(r.bytes.length <= DECODE_CAP, 'the cap holds');
    else ensure(r.reason.length > 0, 'a failure has a reason');
    // Memory bounded by the cap, not by what the input claims to expand to.
    ensure(grownMiB < 160, `decoding ${input.length} bytes of ${kind} raised peak RSS by ${grownMiB.toFixed(0)} MiB`);
  },
};

export const TARGETS: readonly FuzzTarget[] = [
  sshdTarget,
  daemonJsonTarget,
  containerdTarget,
  crioTarget,
  kubeletTarget,
  dpkgStatusTarget,
  releaseTarget,
  packagesTarget,
  rpmTarget,
  procNetTarget,
  cgroupTarget,
  procStatusTarget,
  pemTarget,
  derTarget,
  kubeconfigTarget,
  integrityTarget,
  collectorBodyTarget,
  framingTarget,
  decompressTarget,
  accountsTarget,
  filesTarget,
  kernelTarget,
];

/** Read-only view of the fast-check values a target produced, for reports. */
export function describeInput(b: Buffer): string {
  const head = b
    .subarray(0, 160)
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `${b.length} bytes: ${head}${b.length > 160 ? '…' : ''}`;
}
