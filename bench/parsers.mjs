#!/usr/bin/env node
// Benchmark of the parsers on the huge and hostile inputs the tests feed them, over the built dist (run
// `npm run build` first). The tests prove the answers on these inputs and no longer time them (a test machine's
// load says nothing about the code); a parser gone quadratic shows here as a figure far above the others, and in
// the suite as a test that runs into vitest's timeout. Prints figures; it is not a test and asserts nothing.
//
//   node bench/parsers.mjs [--runs N] [--only NAME,...]
//
// Each case builds its input once, untimed, then parses it N times; the median and the slowest run are printed,
// in ms of wall time, with the 1-minute load average printed first.
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, only: { type: 'string' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`--runs must be a positive integer, got ${values.runs}`);
  process.exit(2);
}
if (!existsSync(join(repo, 'dist/probes'))) {
  console.error('dist/probes not found: run `npm run build` first');
  process.exit(2);
}
const load = (p) => import(pathToFileURL(join(repo, 'dist', p)).href);

const kernel = await load('probes/kernel/parse.js');
const { globMatcher } = await load('probes/updates/deb/pin-match.js');
const { parseDeb822 } = await load('src/host/facts/dpkg/deb822.js');
const { parseRepoFile } = await load('probes/updates/rpm/repos.js');
const { parsePrimary, parseRepomd } = await load('probes/updates/rpm/metadata.js');
const { rpmvercmp } = await load('probes/updates/rpm/vercmp.js');
const { parseRpmHeader } = await load('probes/updates/rpm/header.js');
const { parseOsRelease } = await load('probes/updates/os.js');
const { parseSshdTOutput } = await load('probes/ssh/sshd-t.js');
const { parsePublicKey } = await load('probes/ssh/hostkeys.js');
const { parseInetSockets } = await load('probes/ports/proc-net.js');
const { parseKubeconfig } = await load('probes/tls/kubeconfig.js');

// The kernel parsers' hostile inputs (test/kernel/parse.test.ts), all of them through every parser.
const KERNEL_HOSTILE = [
  '',
  '\n',
  Buffer.from([0x00, 0x01, 0xff, 0xfe, 0x0a, 0x80]).toString('utf8'),
  'x'.repeat(16 * 1024 * 1024),
  '1'.repeat(8 * 1024 * 1024),
  '1'.repeat(5000) + '\n',
  'a'.repeat(100000) + ' (enforce)',
];
const KERNEL_PARSERS = [
  'parseSysctlValue',
  'parseLsmList',
  'parseYesNo',
  'parseSelinuxEnforce',
  'parseAppArmorProfiles',
  'parseSelinuxConfig',
];

function primaryXml(n) {
  const pkg = (i) =>
    `<package type="rpm"><name>pkg${i}</name><arch>x86_64</arch><version epoch="0" ver="1.${i}" rel="1.el9"/><checksum type="sha256" pkgid="YES">${'a'.repeat(64)}</checksum><summary>s</summary><description>${'d'.repeat(300)}</description><format><rpm:license>MIT</rpm:license><rpm:provides><rpm:entry name="pkg${i}" flags="EQ" epoch="0" ver="1.${i}" rel="1.el9"/><rpm:entry name="libpkg${i}.so.1()(64bit)"/></rpm:provides><rpm:requires><rpm:entry name="libc.so.6()(64bit)"/></rpm:requires><file>/usr/bin/pkg${i}</file></format></package>\n`;
  const parts = [
    `<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="${n}">\n`,
  ];
  for (let i = 0; i < n; i++) parts.push(pkg(i));
  parts.push('</metadata>\n');
  return Buffer.from(parts.join(''));
}

function procNetTcp() {
  const header =
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
  const listen =
    '   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1605 1 00000000aaf68f05 100 0 0 10 0';
  const conn =
    '   3: 0100007F:8617 0100007F:AB4C 06 00000000:00000000 03:00000000 00000000     0        0 0 3 00000000a05a0427';
  const body = Array.from({ length: 301_000 }, (_, i) => (i % 301 === 0 ? listen : conn));
  return [header, ...body, 'x'.repeat(1_000_000)].join('\n');
}

function yamlBomb() {
  const c = (i) => String.fromCharCode(97 + i);
  return [
    'a: &a ["x","x","x","x","x","x","x","x","x"]',
    ...Array.from({ length: 8 }, (_, i) => `${c(i + 1)}: &${c(i + 1)} [${Array(9).fill(`*${c(i)}`).join(',')}]`),
    'users: []',
  ].join('\n');
}

function emptyRpmHeader() {
  const il = 0xffff;
  const b = Buffer.alloc(8 + il * 16 + 8);
  b.writeUInt32BE(il, 0);
  b.writeUInt32BE(8, 4);
  return b;
}

/** Each case: what it parses, the input (built untimed) and the call. */
const CASES = [
  {
    name: 'kernel',
    what: `${KERNEL_PARSERS.length} kernel parsers x ${KERNEL_HOSTILE.length} hostile inputs (16 MiB, 8 MiB digits, ...)`,
    input: () => KERNEL_HOSTILE,
    run: (inputs) => {
      for (const p of KERNEL_PARSERS) for (const t of inputs) kernel[p](t);
    },
  },
  {
    name: 'glob',
    what: "apt pin glob '*a' x 2000 + 'b' against 'a' x 20,000 (a backtracking shape)",
    input: () => ['*a'.repeat(2000) + 'b', 'a'.repeat(20_000)],
    run: ([p, s]) => globMatcher(p).test(s),
  },
  {
    name: 'deb822',
    what: 'deb822: 300,000 continuation lines, 100,000 blank lines, a 2 MB line, 200,000 bare colons',
    input: () =>
      'Package: x\nDescription: y\n' +
      ' z\n'.repeat(300_000) +
      '\n'.repeat(100_000) +
      'x'.repeat(2_000_000) +
      '\n' +
      ':\n'.repeat(200_000),
    run: (t) => parseDeb822(t, { fields: new Set(['package']) }),
  },
  {
    name: 'repofile',
    what: 'dnf .repo file: one section of 100,000 exclude= lines',
    input: () => '[r]\n' + 'exclude=a\n'.repeat(100_000),
    run: (t) => parseRepoFile(t, 'x'),
  },
  {
    name: 'repomd-bomb',
    what: 'repomd.xml with an entity bomb',
    input: () =>
      Buffer.from(
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><repomd><revision>&b;</revision></repomd>',
      ),
    run: (b) => parseRepomd(b),
  },
  {
    name: 'primary',
    what: 'primary.xml of 30,000 packages, keeping 3,000',
    input: () => primaryXml(30_000),
    run: (xml) => parsePrimary(xml, { keep: (n) => n.endsWith('7') }),
  },
  {
    name: 'rpmvercmp',
    what: "rpmvercmp of '1.' x 200,000 against itself + '1', and 100,000 nines",
    input: () => ['1.'.repeat(200_000), '9'.repeat(100_000)],
    run: ([long, nines]) => {
      rpmvercmp(long, long + '1');
      rpmvercmp(nines, nines.slice(1));
    },
  },
  {
    name: 'rpm-header',
    what: 'an rpm header announcing 65,535 entries',
    input: emptyRpmHeader,
    run: (b) => parseRpmHeader(b),
  },
  {
    name: 'os-release',
    what: 'os-release: a 5 MB value, 100,000 blank lines',
    input: () => 'X=' + 'a'.repeat(5_000_000) + '\n'.repeat(100_000) + 'ID=late\n',
    run: (t) => parseOsRelease(t, '/etc/os-release'),
  },
  {
    name: 'sshd-t',
    what: 'sshd -T output: a 5 MiB line and 100,000 lines of one key',
    input: () => 'x'.repeat(5 * 1024 * 1024) + '\n' + 'k v\n'.repeat(100_000),
    run: (t) => parseSshdTOutput(t),
  },
  {
    name: 'public-key',
    what: 'public keys of 10 MiB: one line, and newlines only',
    input: () => ['ssh-rsa ' + 'A'.repeat(10 * 1024 * 1024), '\n'.repeat(10 * 1024 * 1024)],
    run: (keys) => keys.map((k) => parsePublicKey(k)),
  },
  {
    name: 'proc-net',
    what: '/proc/net/tcp of a busy node: 300,000 connections, 1,000 listeners, a 1 MB line',
    input: procNetTcp,
    run: (t) => parseInetSockets(t, 'tcp', 'f'),
  },
  {
    name: 'kubeconfig-bomb',
    what: 'a kubeconfig with a YAML alias bomb (9^9 nodes if expanded)',
    input: yamlBomb,
    run: (t) => parseKubeconfig(t, '/k'),
  },
];

const only = values.only ? new Set(values.only.split(',').map((s) => s.trim())) : undefined;
if (only)
  for (const n of only)
    if (!CASES.some((c) => c.name === n)) {
      console.error(`--only: no case named ${n} (have ${CASES.map((c) => c.name).join(', ')})`);
      process.exit(2);
    }

console.log(`parsers on huge and hostile input, ${runs} runs each (load average ${loadavg()[0].toFixed(2)})`);
console.log(`${'case'.padEnd(16)} ${'median ms'.padStart(10)} ${'max ms'.padStart(10)}  input`);
for (const c of CASES) {
  if (only && !only.has(c.name)) continue;
  const input = c.input();
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await c.run(input);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const median = ms[Math.floor(ms.length / 2)];
  console.log(`${c.name.padEnd(16)} ${median.toFixed(1).padStart(10)} ${ms.at(-1).toFixed(1).padStart(10)}  ${c.what}`);
}
