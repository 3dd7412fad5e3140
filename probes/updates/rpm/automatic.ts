/**
 * Automatic updates on RPM hosts: dnf-automatic (dnf 4), dnf5's automatic plugin, and yum-cron (yum 3).
 * Each is a package, a config file with [commands] apply_updates (default no: download or notify only) and
 * upgrade_type / update_cmd (default = every update, security = security updates only; both install the
 * security fixes), and a systemd unit enabled by a link in /etc/systemd/system/<target>.wants. The
 * dnf-automatic-install.timer variant applies updates whatever apply_updates says (it runs
 * dnf-automatic --installupdates).
 */
import type { HostRoot } from '../../../src/sdk.js';
import { parseBool, parseIni } from './repos.js';

export type RpmAutoToolId = 'dnf-automatic' | 'dnf5-automatic' | 'yum-cron';

interface ToolSpec {
  id: RpmAutoToolId;
  packages: readonly string[];
  /** Config files, later ones overriding earlier ones (dnf5 reads its defaults then /etc). */
  configs: readonly string[];
  typeKey: string;
  /** Units that run it: systemd unit -> whether that unit installs updates by itself. */
  units: readonly { unit: string; wants: string; installs: boolean }[];
}

const TIMERS = 'timers.target.wants';

export const RPM_AUTO_TOOLS: readonly ToolSpec[] = Object.freeze([
  {
    id: 'dnf-automatic',
    packages: ['dnf-automatic'],
    configs: ['/etc/dnf/automatic.conf'],
    typeKey: 'upgrade_type',
    units: [
      { unit: 'dnf-automatic.timer', wants: TIMERS, installs: false },
      { unit: 'dnf-automatic-install.timer', wants: TIMERS, installs: true },
      { unit: 'dnf-automatic-download.timer', wants: TIMERS, installs: false },
      { unit: 'dnf-automatic-notifyonly.timer', wants: TIMERS, installs: false },
    ],
  },
  {
    id: 'dnf5-automatic',
    packages: ['dnf5-plugin-automatic'],
    configs: ['/usr/share/dnf5/dnf5-plugins/automatic.conf', '/etc/dnf/dnf5-plugins/automatic.conf'],
    typeKey: 'upgrade_type',
    units: [{ unit: 'dnf5-automatic.timer', wants: TIMERS, installs: false }],
  },
  {
    id: 'yum-cron',
    packages: ['yum-cron'],
    configs: ['/etc/yum/yum-cron.conf'],
    typeKey: 'update_cmd',
    units: [{ unit: 'yum-cron.service', wants: 'multi-user.target.wants', installs: false }],
  },
]);

export interface ConfValue {
  value: string;
  file: string;
  line: number;
}

export interface RpmAutoTool {
  id: RpmAutoToolId;
  installed: boolean;
  configs: string[];
  applyUpdates?: ConfValue;
  upgradeType?: ConfValue;
  /** Enabled units (link path) and whether each installs updates by itself. */
  units: { unit: string; enabled: boolean; masked: boolean; installs: boolean; path?: string }[];
  /** The tool installs updates on a schedule: an enabled unit, and apply_updates on (or an installing unit). */
  applies: boolean;
}

export interface RpmAutoUpdateFacts {
  tools: RpmAutoTool[];
  problems: string[];
}

async function unitState(
  host: HostRoot,
  unit: string,
  wants: string,
): Promise<{ enabled: boolean; masked: boolean; path?: string }> {
  const link = `/etc/systemd/system/${wants}/${unit}`;
  const l = await host.stat(link, false);
  const u = await host.stat(`/etc/systemd/system/${unit}`, false);
  let masked = false;
  if (u.ok && u.type === 'symlink') {
    const r = await host.resolve(`/etc/systemd/system/${unit}`);
    masked = r.ok && r.realPath === '/dev/null';
  }
  return {
    enabled: l.ok && !masked,
    masked,
    ...(l.ok ? { path: link } : masked ? { path: `/etc/systemd/system/${unit}` } : {}),
  };
}

export async function gatherRpmAutomatic(
  host: HostRoot,
  installedNames: ReadonlySet<string>,
): Promise<RpmAutoUpdateFacts> {
  const problems: string[] = [];
  const tools: RpmAutoTool[] = [];
  for (const spec of RPM_AUTO_TOOLS) {
    const t: RpmAutoTool = {
      id: spec.id,
      installed: spec.packages.some((p) => installedNames.has(p)),
      configs: [],
      units: [],
      applies: false,
    };
    for (const file of spec.configs) {
      const r = await host.readText(file, { maxBytes: 1024 * 1024 });
      if (!r.ok) continue;
      t.configs.push(file);
      const ini = parseIni(r.text);
      for (const p of ini.problems.slice(0, 5)) problems.push(`${file}:${p.line}: ${p.message}`);
      const cmds = ini.sections.find((s) => s.name === 'commands');
      const apply = cmds?.values.get('apply_updates');
      if (apply) t.applyUpdates = { value: apply.value, file, line: apply.line };
      const type = cmds?.values.get(spec.typeKey);
      if (type) t.upgradeType = { value: type.value, file, line: type.line };
    }
    for (const u of spec.units)
      t.units.push({ unit: u.unit, installs: u.installs, ...(await unitState(host, u.unit, u.wants)) });
    const applyOn = parseBool(t.applyUpdates?.value, false);
    t.applies = t.units.some((u) => u.enabled && (u.installs || applyOn));
    tools.push(t);
  }
  return { tools, problems };
}
