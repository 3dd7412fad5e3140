#!/usr/bin/env node
// Benchmark of the updates probe on this machine: time to compute the update status from dpkg status and
// every apt list (decompression included), over the built dist (run `npm run build` first). Prints figures;
// it is not a test and asserts nothing.
//
//   node bench/updates.mjs [--runs N] [--root DIR]
//   node bench/updates.mjs --rpm [--runs N] [--packages 30000] [--installed 1500]
//
// --rpm generates an RPM host root in a temp dir first (removed afterwards): an rpmdb.sqlite of --installed
// packages (rpm's schema, header blobs), two enabled repositories with a dnf 4 cache whose gzip primary.xml
// files hold --packages packages in all (with provides, requires and file lists, as createrepo_c writes them)
// and an updateinfo.xml of 3,000 advisories; a third of the installed packages have a newer build.
//
// Each run is a fresh node child (module loading included in "process wall"). "probe wall" is the scan of
// the updates probe alone (runScan with only updatesProbe); CPU time and peak RSS are the child's own.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    root: { type: 'string', default: '/' },
    child: { type: 'boolean', default: false },
    rpm: { type: 'boolean', default: false },
    packages: { type: 'string', default: '30000' },
    installed: { type: 'string', default: '1500' },
  },
});

if (values.child) {
  const t0 = performance.now();
  const { runScan } = await import(pathToFileURL(join(repo, 'dist/src/scan/runner.js')).href);
  const { defaultConfig } = await import(pathToFileURL(join(repo, 'dist/src/config/config.js')).href);
  const { updatesProbe } = await import(pathToFileURL(join(repo, 'dist/probes/updates/index.js')).href);
  const { pino } = await import('pino');
  const config = defaultConfig();
  config.root = values.root;
  const t1 = performance.now();
  const report = await runScan({ probes: [updatesProbe], config, log: pino({ level: 'silent' }) });
  const t2 = performance.now();
  const ru = process.resourceUsage();
  const m = Object.fromEntries(report.measurements.map((x) => [`${x.metric}${x.labels.kind ? `{${x.labels.kind}}` : ''}`, x.value]));
  process.stdout.write(
    JSON.stringify({ loadMs: t1 - t0, probeMs: t2 - t1, cpuMs: (ru.userCPUTime + ru.systemCPUTime) / 1000, maxRssMB: ru.maxRSS / 1024, status: report.probes[0], measurements: m }),
  );
  process.exit(0);
}

/** An RPM header blob as rpm stores it in rpmdb.sqlite: il, dl, index entries (tag, type, offset, count), data. */
function rpmHeader(name, version, release, arch) {
  const entries = [[1000, name], [1001, version], [1002, release], [1022, arch]];
  const index = Buffer.alloc(entries.length * 16);
  const data = [];
  let off = 0;
  entries.forEach(([tag, s], i) => {
    index.writeUInt32BE(tag, i * 16);
    index.writeUInt32BE(6, i * 16 + 4);
    index.writeUInt32BE(off, i * 16 + 8);
    index.writeUInt32BE(1, i * 16 + 12);
    const b = Buffer.from(s + '\0');
    data.push(b);
    off += b.length;
  });
  const head = Buffer.alloc(8);
  head.writeUInt32BE(entries.length, 0);
  head.writeUInt32BE(off, 4);
  return Buffer.concat([head, index, ...data]);
}

async function makeRpmRoot(total, installed) {
  const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
  const { gzipSync } = await import('node:zlib');
  const { tmpdir } = await import('node:os');
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const root = mkdtempSync(join(tmpdir(), 'hostward-bench-rpm-'));
  const SQL = await (await import('sql.js')).default({ locateFile: (f) => require.resolve(`sql.js/dist/${f}`) });
  const db = new SQL.Database();
  db.run("CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)");
  const name = (i) => `pkg${i}-${['libs', 'devel', 'tools', 'common', 'core'][i % 5]}`;
  for (let i = 0; i < installed; i++) db.run('INSERT INTO Packages (hnum, blob) VALUES (?, ?)', [i + 1, rpmHeader(name(i * Math.floor(total / installed)), `1.${i % 40}.0`, '1.el9', i % 4 ? 'x86_64' : 'noarch')]);
  mkdirSync(join(root, 'var/lib/rpm'), { recursive: true });
  writeFileSync(join(root, 'var/lib/rpm/rpmdb.sqlite'), Buffer.from(db.export()));
  db.close();
  mkdirSync(join(root, 'proc/sys/kernel'), { recursive: true });
  writeFileSync(join(root, 'proc/sys/kernel/osrelease'), '5.14.0-503.14.1.el9_5.x86_64\n');
  mkdirSync(join(root, 'etc/yum.repos.d'), { recursive: true });
  writeFileSync(join(root, 'etc/os-release'), 'NAME="Rocky Linux"\nID="rocky"\nVERSION_ID="9.5"\n');
  writeFileSync(join(root, 'etc/yum.repos.d/bench.repo'), '[baseos]\nname=BaseOS\nbaseurl=https://example.org/baseos\n\n[appstream]\nname=AppStream\nbaseurl=https://example.org/appstream\n');
  const now = Math.floor(Date.now() / 1000);
  const stepInstalled = Math.floor(total / installed);
  const pkgXml = (i, rel) => {
    const n = name(i);
    const arch = (i / stepInstalled) % 4 ? 'x86_64' : 'noarch';
    const v = `1.${(i / stepInstalled) % 40}.0`;
    return `<package type="rpm">\n  <name>${n}</name>\n  <arch>${arch}</arch>\n  <version epoch="0" ver="${v}" rel="${rel}"/>\n  <checksum type="sha256" pkgid="YES">${'0'.repeat(64)}</checksum>\n  <summary>Package ${n}</summary>\n  <description>${'A package used by the hostward benchmark. '.repeat(8)}</description>\n  <packager>Rocky Linux Build System</packager>\n  <url>https://example.org/${n}</url>\n  <time file="${now}" build="${now}"/>\n  <size package="123456" installed="456789" archive="460000"/>\n  <location href="Packages/${n}-${v}-${rel}.${arch}.rpm"/>\n  <format>\n    <rpm:license>MIT</rpm:license>\n    <rpm:vendor>Rocky Enterprise Software Foundation</rpm:vendor>\n    <rpm:group>Unspecified</rpm:group>\n    <rpm:buildhost>build.example.org</rpm:buildhost>\n    <rpm:sourcerpm>${n}-${v}-${rel}.src.rpm</rpm:sourcerpm>\n    <rpm:header-range start="4504" end="23456"/>\n    <rpm:provides>\n      <rpm:entry name="${n}" flags="EQ" epoch="0" ver="${v}" rel="${rel}"/>\n      <rpm:entry name="${n}(x86-64)" flags="EQ" epoch="0" ver="${v}" rel="${rel}"/>\n      <rpm:entry name="lib${n}.so.1()(64bit)"/>\n    </rpm:provides>\n    <rpm:requires>\n      <rpm:entry name="libc.so.6(GLIBC_2.34)(64bit)"/>\n      <rpm:entry name="rtld(GNU_HASH)"/>\n      <rpm:entry name="/usr/bin/sh" pre="1"/>\n    </rpm:requires>\n    <file>/usr/bin/${n}</file>\n    <file>/etc/${n}.conf</file>\n  </format>\n</package>\n`;
  };
  const writeRepo = (id, from, to, advisories) => {
    const dir = join(root, `var/cache/dnf/${id}-0123456789abcdef/repodata`);
    mkdirSync(dir, { recursive: true });
    const parts = [`<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="${to - from}">\n`];
    for (let i = from; i < to; i++) {
      parts.push(pkgXml(i, '1.el9'));
      // a third of the installed packages have a newer build
      if (i % stepInstalled === 0 && (i / stepInstalled) % 3 === 0) parts.push(pkgXml(i, '2.el9'));
    }
    parts.push('</metadata>\n');
    writeFileSync(join(dir, 'aaaa-primary.xml.gz'), gzipSync(parts.join('')));
    let data = `<data type="primary"><location href="repodata/aaaa-primary.xml.gz"/><timestamp>${now}</timestamp></data>`;
    if (advisories) {
      const ui = ['<?xml version="1.0" encoding="UTF-8"?>\n<updates>\n'];
      for (let a = 0; a < advisories; a++) {
        const i = (a * stepInstalled) % total;
        ui.push(`<update from="security@example.org" status="final" type="${a % 2 ? 'bugfix' : 'security'}" version="2"><id>RLSA-2026:${a}</id><title>t</title><issued date="2026-11-01 00:00:00"/><severity>${['Low', 'Moderate', 'Important', 'Critical'][a % 4]}</severity><description>${'d'.repeat(200)}</description><pkglist><collection short="c"><name>c</name><package name="${name(i)}" version="1.${(i / stepInstalled) % 40}.0" release="2.el9" epoch="0" arch="${(i / stepInstalled) % 4 ? 'x86_64' : 'noarch'}"><filename>x.rpm</filename></package></collection></pkglist></update>\n`);
      }
      ui.push('</updates>\n');
      writeFileSync(join(dir, 'bbbb-updateinfo.xml.gz'), gzipSync(ui.join('')));
      data += `<data type="updateinfo"><location href="repodata/bbbb-updateinfo.xml.gz"/><timestamp>${now}</timestamp></data>`;
    }
    writeFileSync(join(dir, 'repomd.xml'), `<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo"><revision>${now}</revision>${data}</repomd>\n`);
  };
  writeRepo('baseos', 0, Math.floor(total / 3), 3000);
  writeRepo('appstream', Math.floor(total / 3), total, 0);
  return root;
}

const runs = Number(values.runs);
if (!existsSync(join(repo, 'dist/probes/updates/index.js'))) {
  console.error('dist/probes/updates/index.js not found: run `npm run build` first');
  process.exit(2);
}
let generatedRoot;
if (values.rpm) {
  generatedRoot = await makeRpmRoot(Number(values.packages), Number(values.installed));
  values.root = generatedRoot;
}
const rows = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', '--root', values.root], { encoding: 'utf8' });
  const wall = performance.now() - t;
  if (r.status !== 0) {
    console.error(r.stderr);
    process.exit(1);
  }
  rows.push({ wall, ...JSON.parse(r.stdout) });
}
const med = (k) => {
  const s = rows.map((r) => r[k]).sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
console.log(`updates probe on root ${values.root}${values.rpm ? ` (generated RPM host: ${values.installed} installed, ${values.packages} packages in the dnf cache)` : ''}, ${runs} runs (median; min-max)`);
for (const [k, label, unit] of [
  ['wall', 'process wall (node start to exit)', 'ms'],
  ['probeMs', 'probe wall (runScan, updates only)', 'ms'],
  ['cpuMs', 'CPU (user+sys, whole process)', 'ms'],
  ['maxRssMB', 'peak RSS', 'MB'],
]) {
  const vals = rows.map((r) => r[k]);
  console.log(`  ${label.padEnd(38)} ${med(k).toFixed(0).padStart(6)} ${unit}  (${Math.min(...vals).toFixed(0)}-${Math.max(...vals).toFixed(0)})`);
}
console.log(`  result: ${JSON.stringify(rows[0].measurements)}; probe ${rows[0].status.status}`);
if (generatedRoot) {
  const { rmSync } = await import('node:fs');
  rmSync(generatedRoot, { recursive: true, force: true });
}
