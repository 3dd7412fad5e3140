/**
 * This machine's apt state as test input: the ground-truth tests copy it into a fixture root and compare the
 * probe with real apt over the same files.
 */
import { cpSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const MACHINE_LISTS = '/var/lib/apt/lists';

/**
 * Copy this machine's apt lists (not the lock) and /etc/apt into `root`; makes var/lib/dpkg for the caller's status
 * file.
 */
export function copyMachineApt(root: string): void {
  const lists = path.join(root, 'var/lib/apt/lists');
  mkdirSync(path.join(root, 'var/lib/dpkg'), { recursive: true });
  mkdirSync(lists, { recursive: true });
  for (const f of readdirSync(MACHINE_LISTS)) {
    const p = path.join(MACHINE_LISTS, f);
    if (statSync(p).isFile() && f !== 'lock') cpSync(p, path.join(lists, f));
  }
  cpSync('/etc/apt', path.join(root, 'etc/apt'), { recursive: true });
}

/**
 * `apt list --upgradable` output as sorted rows "name:arch installed -> candidate security=bool" (security: a -security
 * archive shown).
 */
export function parseAptUpgradable(out: string): string[] {
  const rows: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^(\S+?)\/(\S+) (\S+) (\S+) \[upgradable from: (\S+)\]$/.exec(line);
    if (!m) continue;
    const [, name, suites, version, arch, from] = m;
    rows.push(
      `${name}:${arch} ${from} -> ${version} security=${suites!.split(',').some((s) => s.includes('-security'))}`,
    );
  }
  return rows.sort();
}
