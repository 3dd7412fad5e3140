/** The auditctl rule parser and the audit probe's undecidable cases. */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { pino } from 'pino';
import { HostRoot } from '../../src/sdk.js';
import type { ProbeContext } from '../../src/sdk.js';
import { hostExec } from '../../src/host/exec.js';
import { auditProbe } from '../../probes/audit/index.js';
import { parseAuditRules, recordedSyscalls, watched } from '../../probes/audit/rules.js';

describe('parseAuditRules', () => {
  it('reads watches, syscall rules in either action order, fields, keys and controls', () => {
    const p = parseAuditRules(
      [
        '# comment',
        '-D',
        '-b 8192',
        '-w /etc/sudoers.d/ -p wa -k scope',
        '-a exit,always -F arch=b64 -S adjtimex,settimeofday -S clock_settime -F key=time-change',
        '-a always,exit -F path=/usr/bin/sudo -F perm=x -F auid>=1000 -k privileged',
        '-e 2',
        'garbage',
      ].join('\n'),
      'R',
    );
    expect(p.problems).toEqual(['R:8: not an auditctl option: "garbage"']);
    expect(p.rules.map((r) => r.kind)).toEqual(['control', 'control', 'watch', 'syscall', 'syscall', 'control']);
    const s = p.rules[3]!;
    expect(s).toMatchObject({
      kind: 'syscall',
      action: 'always',
      list: 'exit',
      arch: 'b64',
      syscalls: ['adjtimex', 'settimeofday', 'clock_settime'],
    });
    expect(p.rules[4]).toMatchObject({ fields: { path: '/usr/bin/sudo', perm: 'x', auid: '1000', key: 'privileged' } });
  });

  it('a directory watch covers files below it; a read-only watch does not count', () => {
    const { rules } = parseAuditRules('-w /etc/sudoers.d/ -p wa\n-w /etc/shadow -p r\n', 'R');
    expect(watched(rules, '/etc/sudoers.d/90-cloud')).toBeDefined();
    expect(watched(rules, '/etc/sudoers.d')).toBeDefined();
    expect(watched(rules, '/etc/sudoers.dx')).toBeUndefined();
    expect(watched(rules, '/etc/shadow')).toBeUndefined();
  });

  it('only always,exit rules for b64 (or no arch) record syscalls', () => {
    const { rules } = parseAuditRules(
      '-a never,exit -F arch=b64 -S mount\n-a always,exit -F arch=b32 -S chmod\n-a always,exit -S unlink\n',
      'R',
    );
    expect([...recordedSyscalls(rules)]).toEqual(['unlink']);
  });

  it('never throws, problems capped, on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (s) => {
        expect(parseAuditRules(s, 'R').problems.length).toBeLessThanOrEqual(5);
      }),
      { numRuns: 300, seed: 13 },
    );
  });
});

describe('audit probe: what cannot be read', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('without /proc/cmdline, audit=1 in GRUB alone is unknown, not pass', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-audit-'));
    dirs.push(dir);
    mkdirSync(path.join(dir, 'etc/default'), { recursive: true });
    writeFileSync(path.join(dir, 'etc/default/grub'), 'GRUB_CMDLINE_LINUX="audit=1 audit_backlog_limit=8192"\n');
    const host = new HostRoot(dir);
    const ctx: ProbeContext = {
      host,
      exec: hostExec(host.root),
      log: pino({ level: 'silent' }),
      options: undefined,
      signal: new AbortController().signal,
      now: () => new Date(),
      mode: 'scan',
      hostRole: { role: 'server', why: 'test' },
    };
    const facts = await auditProbe.gather(ctx);
    const by = new Map(auditProbe.checks.map((c) => [c.id, c.evaluate(facts)]));
    expect(by.get('audit.boot_audit')).toMatchObject({
      status: 'unknown',
      message: expect.stringContaining('/etc/default/grub has audit=1'),
    });
    expect(by.get('audit.backlog_limit')?.status).toBe('unknown');
  });
});
