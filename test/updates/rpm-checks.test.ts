/**
 * The updates checks' verdicts on RPM facts the fixtures do not cover: partial caches, no updateinfo, modular
 * repositories, unreadable rpmdb.
 */
import { describe, it, expect } from 'vitest';
import { updatesChecks } from '../../probes/updates/checks.js';
import { DEFAULT_UPDATES_OPTIONS } from '../../probes/updates/options.js';
import type { RepoFact, RpmFamilyFacts, UpdatesFacts } from '../../probes/updates/types.js';
import { EMPTY_OS } from '../../probes/updates/os.js';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const DAY = 86_400_000;

function repo(id: string, over: Partial<RepoFact> = {}, drop: ('cache' | 'primary')[] = []): RepoFact {
  const r: RepoFact = {
    id,
    enabled: true,
    priority: 99,
    file: '/etc/yum.repos.d/x.repo',
    line: 1,
    cache: {
      kind: 'dnf',
      repomd: `/var/cache/dnf/${id}-0123456789abcdef/repodata/repomd.xml`,
      generated: NOW - 2 * DAY,
      fetched: NOW,
    },
    primary: { path: `/var/cache/dnf/${id}-0123456789abcdef/repodata/p-primary.xml.gz`, packages: 10 },
    modular: false,
    problems: [],
    ...over,
  };
  for (const k of drop) delete r[k];
  return r;
}

function facts(fam: Partial<RpmFamilyFacts>): UpdatesFacts {
  const family: RpmFamilyFacts = {
    family: 'rpm',
    database: '/var/lib/rpm/rpmdb.sqlite',
    installedCount: 3,
    updates: [],
    holds: [],
    advisories: [],
    repos: [],
    cacheRoots: ['/var/cache/dnf'],
    excludes: [],
    reboot: {
      flagFile: false,
      flagPackages: [],
      kernels: [],
      running: '5.14.0-1.el9.x86_64',
      kernelNote: 'no kernel package is installed',
    },
    automatic: { tools: [], problems: [] },
    componentPackages: [],
    problems: [],
    ...fam,
  };
  return {
    options: { ...DEFAULT_UPDATES_OPTIONS, allowedHolds: [] },
    os: { ...EMPTY_OS, id: 'rhel', idLike: [], versionId: '9.5', file: '/etc/os-release' },
    osClass: { kind: 'general' },
    family,
    components: [],
    esm: false,
    now: NOW,
  };
}

const run = (id: string, f: UpdatesFacts) => updatesChecks.find((c) => c.id === id)!.evaluate(f);

describe('RPM verdicts', () => {
  it('security updates are unknown without updateinfo, while pending updates still decide', () => {
    const f = facts({ repos: [repo('baseos'), repo('appstream', { modular: true })] });
    expect(run('updates.security_updates', f)).toMatchObject({
      status: 'unknown',
      message: expect.stringContaining('no cached repository has readable updateinfo'),
    });
    const p = run('updates.pending_updates', f);
    expect(p.status).toBe('pass');
    expect(p.message).toContain('modular filtering is not applied (modules metadata in appstream)');
  });
  it('a repository without cache is a note on pending updates and metadata freshness, not a pass in silence', () => {
    const f = facts({
      repos: [
        repo('baseos', { updateinfo: { path: '/u', advisories: 5, security: 2 } }),
        repo('extras', {}, ['cache', 'primary']),
        repo('off', { enabled: false }),
      ],
    });
    expect(run('updates.pending_updates', f).message).toContain('1 enabled repository has no readable cache (extras)');
    expect(run('updates.security_updates', f)).toMatchObject({
      status: 'pass',
      message: expect.stringContaining('advisories from baseos'),
    });
    expect(run('updates.metadata_fresh', f)).toMatchObject({
      status: 'pass',
      message: expect.stringContaining('1 enabled repository has no cache (extras)'),
    });
  });
  it('metadata freshness is judged on all cached repositories when none has updateinfo, and fails when old', () => {
    const f = facts({
      repos: [repo('baseos', { cache: { kind: 'dnf5', repomd: '/r', generated: NOW - 20 * DAY, fetched: NOW } })],
    });
    expect(run('updates.metadata_fresh', f)).toMatchObject({
      status: 'fail',
      message: expect.stringContaining(
        'cached repository (none has updateinfo), baseos, has metadata generated 2026-11-04, 20 days ago',
      ),
    });
    const noTs = facts({
      repos: [
        repo('baseos', { cache: { kind: 'dnf', repomd: '/r', fetched: NOW }, problems: ['/r: malformed repomd.xml'] }),
      ],
    });
    expect(run('updates.metadata_fresh', noTs)).toMatchObject({
      status: 'unknown',
      message: expect.stringContaining('malformed repomd.xml'),
    });
  });
  it('an unreadable rpm database leaves updates unknown; automatic updates are judged from the config files', () => {
    const f = facts({
      unreadable: '/var/lib/rpm/Packages is a Berkeley DB hash',
      installedCount: 0,
      repos: [repo('amzn2-core')],
      automatic: {
        tools: [
          {
            id: 'yum-cron',
            installed: false,
            configs: ['/etc/yum/yum-cron.conf'],
            applyUpdates: { value: 'yes', file: '/etc/yum/yum-cron.conf', line: 3 },
            units: [
              {
                unit: 'yum-cron.service',
                enabled: true,
                masked: false,
                installs: false,
                path: '/etc/systemd/system/multi-user.target.wants/yum-cron.service',
              },
            ],
            applies: true,
          },
        ],
        problems: [],
      },
    });
    expect(run('updates.pending_updates', f)).toMatchObject({
      status: 'unknown',
      message: expect.stringContaining('Berkeley DB'),
    });
    expect(run('updates.security_updates', f).status).toBe('unknown');
    expect(run('updates.automatic_updates', f)).toMatchObject({
      status: 'pass',
      message: expect.stringContaining(
        'yum-cron installs updates automatically (yum-cron.service enabled; update_cmd = default, apply_updates = yes)',
      ),
    });
    expect(run('updates.reboot_required', f).status).toBe('unknown');
  });
  it('no enabled repository: updates unknown, metadata fails; unreadable primaries are named', () => {
    const none = facts({ repos: [repo('baseos', { enabled: false })] });
    expect(run('updates.pending_updates', none).message).toContain('no enabled repository');
    expect(run('updates.metadata_fresh', none).status).toBe('fail');
    const zck = facts({
      repos: [
        repo('fedora', {
          primary: { path: '/p.zck', packages: 0, problem: 'zchunk-compressed (.zck): no zchunk decoder here' },
        }),
      ],
    });
    expect(run('updates.pending_updates', zck)).toMatchObject({
      status: 'unknown',
      message: expect.stringContaining('fedora: zchunk-compressed'),
    });
  });
});
