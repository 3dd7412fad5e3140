/**
 * The files fixtures (test/fixtures/hosts/files-*) scanned by the real engine with the files probe alone: each
 * gives the findings its fixture.json expects, and across them every check of the probe passes in one and
 * fails in another, and the undecidable and inapplicable cases (unknown, skip) occur too.
 */
import { describe, expect, it } from 'vitest';
import { filesProbe } from '../../probes/files/index.js';
import { probeFixtures } from '../helpers/probe-fixtures.js';
import { scanFiles } from './helpers.js';

const seen = probeFixtures(filesProbe, {
  scan: (m) => scanFiles(m.root, m.spec.probes?.files ?? {}, m.spec.hostRole ?? 'node'),
  passMustNotSay: /cannot|not seen|unknown|does not exist/,
});

describe('the undecidable and inapplicable cases of the files checks occur in the fixtures', () => {
  it('unknown and skip occur: for the walk, the account files, GRUB and cron', () => {
    const has = (id: string, st: string) => seen.get(id)?.has(st) ?? false;
    expect(has('files.world_writable_files', 'unknown')).toBe(true);
    expect(has('files.unowned_files', 'unknown')).toBe(true);
    expect(has('files.passwd_permissions', 'unknown')).toBe(true);
    expect(has('files.home_directories', 'unknown')).toBe(true);
    expect(has('files.grub_password', 'skip')).toBe(true);
    expect(has('files.cron_daemon', 'skip')).toBe(true);
    expect(has('files.shadow_backup_permissions', 'skip')).toBe(true);
  });
});
