/** Whether a host is judged as a Kubernetes node or a plain server: detected from its kubelet, or configured. */
import { describe, expect, it, afterEach } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HostRoot } from '../src/host/root.js';
import { detectHostRole } from '../src/scan/host-role.js';
import { parse } from 'yaml';
import { validateConfig } from '../src/config/config.js';

const loadConfigText = (text: string) => validateConfig(parse(text), { checkIds: new Set(), probes: new Map() });

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true })));

function root(files: Record<string, string>): HostRoot {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-role-'));
  roots.push(dir);
  mkdirSync(path.join(dir, 'proc'), { recursive: true });
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), text);
  }
  return new HostRoot(dir);
}

describe('host role', () => {
  it('a running kubelet makes a node', async () => {
    const r = await detectHostRole(root({ 'proc/1/comm': 'systemd\n', 'proc/812/comm': 'kubelet\n' }));
    expect(r).toEqual({ role: 'node', why: 'a kubelet runs on it (kubelet, pid 812)' });
  });

  it('k3s, which embeds the kubelet, makes a node too', async () => {
    expect((await detectHostRole(root({ 'proc/40/comm': 'k3s-agent\n' }))).role).toBe('node');
  });

  it("a kubelet's configuration on disk makes a node even while it is stopped", async () => {
    const r = await detectHostRole(root({ 'var/lib/kubelet/config.yaml': 'kind: KubeletConfiguration\n' }));
    expect(r).toEqual({ role: 'node', why: '/var/lib/kubelet/config.yaml exists (a kubelet is installed)' });
  });

  it('nothing of a kubelet makes a plain server', async () => {
    const r = await detectHostRole(root({ 'proc/1/comm': 'systemd\n', 'etc/hostname': 'web1\n' }));
    expect(r.role).toBe('server');
  });

  it('the configuration overrides the detection either way', async () => {
    expect((await detectHostRole(root({ 'proc/812/comm': 'kubelet\n' }), 'server')).role).toBe('server');
    expect(await detectHostRole(root({}), 'node')).toEqual({ role: 'node', why: 'set by scan.hostRole: node' });
  });

  it('scan.hostRole is validated', () => {
    expect(loadConfigText('scan:\n  hostRole: server\n').scan.hostRole).toBe('server');
    expect(() => loadConfigText('scan:\n  hostRole: router\n')).toThrow(
      /scan\.hostRole: must be one of auto, node, server/,
    );
  });
});
