/**
 * A hostile host root, built in a temporary directory from real fixture roots: symlink loops, links that
 * point outside the root (at a canary file that must never be read), FIFOs where configuration files should
 * be, a sparse 10 GB file at a certificate path, a directory cycle, and a directory of many files under an
 * integrity path. Used by test/hostile/layouts.test.ts (200k files) and bench/fuzz.mjs --hostile (1M).
 */
import { execFileSync, spawn } from 'node:child_process';
import { promises as fsp, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface HostileLayout {
  /** The temporary directory holding the root, the canary and the state. */
  base: string;
  root: string;
  /** A file outside the root: its content must never show up, and it must never be opened. */
  canary: string;
  canaryToken: string;
  /** The integrity database and key, outside the root. */
  dbFile: string;
  keyFile: string;
  /** The host path of the many-files directory. */
  manyDir: string;
  cleanup(): Promise<void>;
}

/** mkfifo(1) with an argument array: Node has no mkfifo. */
function mkfifo(p: string): void {
  execFileSync('mkfifo', [p]);
}

/** Create `count` empty files named 000000..N in `dir`, fast: names on stdin to `xargs touch`. */
export async function manyFiles(dir: string, count: number): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const c = spawn('xargs', ['-0', 'touch', '--'], { cwd: dir, stdio: ['pipe', 'ignore', 'inherit'] });
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`xargs touch exited ${code}`))));
    const width = String(count).length;
    const chunk: string[] = [];
    for (let i = 0; i < count; i++) {
      chunk.push(String(i).padStart(width, '0'));
      if (chunk.length === 10_000 || i === count - 1) {
        c.stdin.write(chunk.join('\0') + '\0');
        chunk.length = 0;
      }
    }
    c.stdin.end();
  });
}

export async function buildHostileLayout(repoRoot: string, opts: { manyFiles: number }): Promise<HostileLayout> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'hostward-hostile-'));
  const root = path.join(base, 'root');
  const fixtures = path.join(repoRoot, 'test/fixtures/hosts');
  await fsp.mkdir(root);
  // A node with sshd, containerd and a kubeadm kubelet, from real fixture roots.
  for (const f of ['debian12-stock', 'runtime-containerd-v3', 'kubelet-kubeadm-stock']) {
    await fsp.cp(path.join(fixtures, f), root, { recursive: true, force: true, verbatimSymlinks: true });
  }
  const canaryToken = `CANARY-${process.pid}-${Date.now()}`;
  const canary = path.join(base, 'outside', 'secret');
  await fsp.mkdir(path.dirname(canary));
  // Written so that a parser that read it would carry it into findings: an sshd directive, a TOML key, a PEM.
  await fsp.writeFile(canary, `PasswordAuthentication yes\nBanner /${canaryToken}\n# ${canaryToken}\n`);
  const up = '../'.repeat(12);
  const r = (p: string) => path.join(root, p);

  // sshd_config with drop-ins: a loop, links out of the root (absolute with .., relative), a FIFO, a sparse 10 GB file.
  const dropins = r('etc/ssh/sshd_config.d');
  await fsp.mkdir(dropins, { recursive: true });
  await fsp.writeFile(r('etc/ssh/sshd_config'), 'Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication no\n');
  await fsp.symlink('loop.conf', path.join(dropins, '10-loop.conf'));
  await fsp.symlink('10-loop.conf', path.join(dropins, 'loop.conf'));
  await fsp.symlink(`/../../..${canary}`, path.join(dropins, '20-abs-out.conf'));
  await fsp.symlink(up + canary.slice(1), path.join(dropins, '30-rel-out.conf'));
  mkfifo(path.join(dropins, '40-fifo.conf'));
  await fsp.writeFile(path.join(dropins, '50-big.conf'), '');
  await fsp.truncate(path.join(dropins, '50-big.conf'), 10 * 1024 ** 3);

  // Runtime: daemon.json is a FIFO; containerd's config a link out of the root; a directory cycle in its imports.
  await fsp.mkdir(r('etc/docker'), { recursive: true });
  mkfifo(r('etc/docker/daemon.json'));
  await fsp.mkdir(r('etc/containerd/conf.d'), { recursive: true });
  await fsp.symlink('..', r('etc/containerd/conf.d/cycle'));
  await fsp.rm(r('etc/containerd/config.toml'), { force: true });
  await fsp.symlink(`/../../..${canary}`, r('etc/containerd/config.toml'));
  await fsp.mkdir(r('etc/crio'), { recursive: true });
  mkfifo(r('etc/crio/crio.conf'));

  // Kubelet: its config a symlink loop; the kubeadm CA a sparse 10 GB file; a kubeconfig that names the canary.
  await fsp.mkdir(r('var/lib/kubelet'), { recursive: true });
  await fsp.rm(r('var/lib/kubelet/config.yaml'), { force: true });
  await fsp.symlink('/var/lib/kubelet/config.yaml', r('var/lib/kubelet/config.yaml'));
  await fsp.mkdir(r('etc/kubernetes/pki'), { recursive: true });
  await fsp.rm(r('etc/kubernetes/pki/ca.crt'), { force: true });
  await fsp.writeFile(r('etc/kubernetes/pki/ca.crt'), '');
  await fsp.truncate(r('etc/kubernetes/pki/ca.crt'), 10 * 1024 ** 3);
  await fsp.writeFile(
    r('etc/kubernetes/kubelet.conf'),
    `apiVersion: v1\nkind: Config\nclusters:\n- name: k\n  cluster:\n    certificate-authority: ${up}${canary.slice(1)}\nusers:\n- name: u\n  user:\n    client-certificate: /../../..${canary}\n`,
  );
  // Links in /etc that loop through each other, and a link to the root itself.
  await fsp.symlink('/etc/b', r('etc/a'));
  await fsp.symlink('/etc/a', r('etc/b'));
  await fsp.symlink('/', r('etc/rootlink'));
  // dpkg status as a link out of the root.
  await fsp.mkdir(r('var/lib/dpkg'), { recursive: true });
  await fsp.rm(r('var/lib/dpkg/status'), { force: true });
  await fsp.symlink(up + canary.slice(1), r('var/lib/dpkg/status'));

  const manyDir = '/etc/many';
  await manyFiles(r(manyDir), opts.manyFiles);

  const keyFile = path.join(base, 'integrity.key');
  await fsp.writeFile(keyFile, 'hostile-layout-test-key-0123456789', { mode: 0o600 });
  return {
    base,
    root,
    canary,
    canaryToken,
    dbFile: path.join(base, 'state', 'integrity.db'),
    keyFile,
    manyDir,
    cleanup: () => fsp.rm(base, { recursive: true, force: true }),
  };
}
