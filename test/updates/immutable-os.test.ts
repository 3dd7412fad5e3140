/** os-release parsing, the minimal-OS table and image-based OS facts, on good, malformed, truncated and huge input. */
import { describe, it, expect } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HostRoot } from '../../src/host/root.js';
import { parseOsRelease, classifyOs, MINIMAL_OSES } from '../../probes/updates/os.js';
import { parseKeyValues, gatherImage, describeImage } from '../../probes/updates/image.js';
import { gatherComponents } from '../../probes/updates/components.js';
import { readOsRelease } from '../../probes/updates/index.js';

const osr = (t: string) => parseOsRelease(t, '/etc/os-release');

describe('os-release', () => {
  it('reads quoted and unquoted values, lower-cases ids, keeps the first of duplicates', () => {
    const o = osr(
      'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=42\nVARIANT_ID=coreos\nID_LIKE="RHEL centos"\nPRETTY_NAME=\'Fedora CoreOS 42\'\nID=debian\nBUILD_ID="a\\"b"\n',
    );
    expect(o).toMatchObject({
      id: 'fedora',
      versionId: '42',
      variantId: 'coreos',
      idLike: ['rhel', 'centos'],
      prettyName: 'Fedora CoreOS 42',
      buildId: 'a"b',
    });
  });
  it('classifies the minimal and image-based OSes the issue names, and general-purpose ones', () => {
    const cases: [string, string | undefined][] = [
      ['ID=flatcar\nID_LIKE=coreos', 'flatcar'],
      ['ID=bottlerocket', 'bottlerocket'],
      ['ID=talos', 'talos'],
      ['ID=cos', 'cos'],
      ['ID=fedora\nVARIANT_ID=coreos', 'fedora-coreos'],
      ['ID="rhcos"', 'rhcos'],
      ['ID=alpine', undefined],
      ['ID=fedora\nVARIANT_ID=server', undefined],
      ['ID=ubuntu', undefined],
      ['ID=debian', undefined],
      ['ID=amzn', undefined],
    ];
    for (const [t, img] of cases) {
      const c = classifyOs(osr(t));
      expect(c.entry?.image, t).toBe(img);
      expect(c.kind, t).toBe(img || t.includes('alpine') ? 'minimal' : 'general');
    }
    expect(classifyOs(osr('')).kind).toBe('unknown');
    for (const m of MINIMAL_OSES) expect(m.reason.length, m.id).toBeGreaterThan(10);
  });
  it('survives garbage, binary, truncated and huge input', () => {
    expect(osr('\0\xff\n=\n==\nID\nID="unterminated\n').id).toBe('"unterminated');
    expect(osr('ID=deb').id).toBe('deb');
    const huge = 'X=' + 'a'.repeat(5_000_000) + '\n'.repeat(100_000) + 'ID=late\n';
    const o = osr(huge);
    expect(o.id).toBe('');
    expect(osr('PRETTY_NAME=' + 'p'.repeat(100_000)).prettyName.length).toBe(256);
  });
});

describe('update.conf', () => {
  it('later files override earlier keys; comments and junk ignored', () => {
    const s = parseKeyValues('SERVER=https://u/\nGROUP=stable\n', '/usr/share/flatcar/update.conf');
    parseKeyValues('# c\nGROUP = "lts"\njunk line\n=x\n', '/etc/flatcar/update.conf', s);
    expect(s.GROUP).toEqual({ value: 'lts', file: '/etc/flatcar/update.conf', line: 2 });
    expect(s.SERVER!.file).toBe('/usr/share/flatcar/update.conf');
    expect(Object.keys(parseKeyValues('\0\0\n'.repeat(100_000), 'x'))).toEqual([]);
  });
});

describe('image facts from a host root', () => {
  const dirs: string[] = [];
  const root = (files: Record<string, string>, links: Record<string, string> = {}) => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'hostward-img-'));
    dirs.push(d);
    for (const [p, t] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(d, p)), { recursive: true });
      writeFileSync(path.join(d, p), t);
    }
    for (const [p, t] of Object.entries(links)) {
      mkdirSync(path.dirname(path.join(d, p)), { recursive: true });
      symlinkSync(t, path.join(d, p));
    }
    return new HostRoot(d);
  };
  it('follows a relative /etc/os-release symlink and falls back to /usr/lib/os-release', async () => {
    const h = root(
      { 'usr/lib/os-release': 'ID=flatcar\nVERSION_ID=4230.2.4\n' },
      { 'etc/os-release': '../usr/lib/os-release' },
    );
    expect(await readOsRelease(h)).toMatchObject({ id: 'flatcar', file: '/etc/os-release' });
    const h2 = root({ 'usr/lib/os-release': 'ID=talos\nVERSION_ID=v1.11.3\n' });
    const o = await readOsRelease(h2);
    expect(o).toMatchObject({ id: 'talos', versionId: 'v1.11.3', file: '/usr/lib/os-release' });
    const img = await gatherImage(h2, o, 'talos', 'Talos Linux');
    expect(describeImage(img)).toBe('Talos Linux v1.11.3');
    expect(img.notes[0]).toContain('no update state');
    expect((await readOsRelease(root({}))).id).toBe('');
  });
  it('Flatcar: SERVER=disabled is reported; an unreadable conf is ignored', async () => {
    const h = root({
      'usr/share/flatcar/update.conf': 'GROUP=stable\n',
      'etc/flatcar/update.conf': 'SERVER=disabled\n',
    });
    const img = await gatherImage(h, osr('ID=flatcar\nVERSION_ID=1'), 'flatcar', 'Flatcar');
    expect(describeImage(img)).toContain('updates disabled (SERVER=disabled)');
    const h2 = root({ 'etc/flatcar/update.conf/x': '' });
    expect((await gatherImage(h2, osr('ID=flatcar'), 'flatcar', 'Flatcar')).settings).toEqual({});
  });
  it('ostree: staged deployment or not', async () => {
    const staged = await gatherImage(
      root({ 'run/ostree/staged-deployment': '', 'run/ostree-booted': '' }),
      osr('ID=rhcos'),
      'rhcos',
      'RHCOS',
    );
    expect(staged.staged).toBe(true);
    const idle = await gatherImage(root({}), osr('ID=fedora\nVARIANT_ID=coreos'), 'fedora-coreos', 'Fedora CoreOS');
    expect(idle.staged).toBe(false);
    expect(idle.notes.join()).toContain('/run/ostree-booted is absent');
  });
  it('components: Bottlerocket variant gives the kubelet minor; a bare binary is version-unknown; nothing is skip', async () => {
    const br = osr('ID=bottlerocket\nVARIANT_ID=aws-k8s-1.33-nvidia\nVERSION_ID=1.44.0');
    const h = root({ 'usr/bin/containerd': '' });
    const img = await gatherImage(h, br, 'bottlerocket', 'Bottlerocket');
    const cs = await gatherComponents(h, { records: [], os: br, image: img });
    expect(cs.find((c) => c.component === 'kubelet')).toMatchObject({ version: '1.33', builder: 'image' });
    expect(cs.find((c) => c.component === 'containerd')).toMatchObject({ builder: 'image' });
    const plain = await gatherComponents(root({ 'usr/local/bin/kubelet': '' }), {
      family: 'deb',
      records: [{ name: 'docker', version: '1.5-2', arch: 'amd64', file: '/var/lib/dpkg/status' }],
      os: osr('ID=debian'),
    });
    expect(plain).toHaveLength(1);
    expect(plain[0]!.problem).toContain('no package record');
  });
  it('cleans up', () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
});
