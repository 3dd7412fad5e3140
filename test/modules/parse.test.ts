/** The modules probe's parsers, on real file shapes, malformed, truncated and huge input. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  isDenyCommand,
  isZeroSize,
  parseCmdlineBlacklist,
  parseCoredumpConf,
  parseLimits,
  parseModprobe,
  parseProcModules,
} from '../../probes/modules/parse.js';

describe('parseModprobe', () => {
  it('reads install and blacklist lines, canonical names, continuation lines; ignores alias and options', () => {
    const text =
      '# comment\nalias net-pf-3 off\noptions snd slots=1\ninstall usb-storage \\\n  /bin/false\nblacklist usb_storage\n';
    const p = parseModprobe(text, '/etc/modprobe.d/x.conf');
    expect(p.problems).toEqual([]);
    expect(p.directives.map((d) => [d.kind, d.module, d.command, d.line])).toEqual([
      ['install', 'usb_storage', '/bin/false', 4],
      ['blacklist', 'usb_storage', undefined, 6],
    ]);
  });

  it('reports unknown keywords and incomplete lines, capped per file', () => {
    const p = parseModprobe('frobnicate x\ninstall cramfs\nblacklist\n' + 'junk\n'.repeat(100), 'f');
    expect(p.directives).toEqual([]);
    expect(p.problems[0]).toBe('f:1: unknown keyword "frobnicate"');
    expect(p.problems[1]).toMatch(/"install" without a command/);
    expect(p.problems).toHaveLength(5);
  });

  it('never throws and stays bounded on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (s) => {
        const p = parseModprobe(s, 'f');
        expect(p.problems.length).toBeLessThanOrEqual(5);
        for (const d of p.directives) expect(d.text.length).toBeLessThanOrEqual(200);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('handles a huge file without a quadratic blow-up', () => {
    const p = parseModprobe('blacklist cramfs\n'.repeat(50_000) + 'install cramfs \\', 'f');
    expect(p.directives).toHaveLength(50_000);
    expect(p.problems).toEqual(['f:50001: "install" without a command']);
  });
});

describe('isDenyCommand', () => {
  it.each(['/bin/false', '/bin/true', '/usr/bin/false', 'true', ' /bin/false '])('%s denies', (c) =>
    expect(isDenyCommand(c)).toBe(true),
  );
  it.each(['/sbin/modprobe --ignore-install dccp', '/bin/false; modprobe x', '/bin/falsey', '/tmp/bin/true'])(
    '%s does not',
    (c) => expect(isDenyCommand(c)).toBe(false),
  );
});

describe('parseProcModules and parseCmdlineBlacklist', () => {
  it('reads module names and canonicalises them', () => {
    expect([...parseProcModules('usb_storage 81920 0 - Live 0x0\nsctp 1 2 - Live 0x0\n\ngarbage!line\n')]).toEqual([
      'usb_storage',
      'sctp',
    ]);
  });
  it('reads both blacklist parameters', () => {
    expect([...parseCmdlineBlacklist('ro module_blacklist=tipc,rds modprobe.blacklist=usb-storage, quiet')]).toEqual([
      'tipc',
      'rds',
      'usb_storage',
    ]);
    expect(parseCmdlineBlacklist('').size).toBe(0);
  });
});

describe('parseLimits', () => {
  it('keeps core items with their type, ignores comments and other items, reports malformed lines', () => {
    const p = parseLimits(
      '#* hard core 0\n* hard core 0 # trailing\n@adm soft core unlimited\n* hard nproc 10\nroot bogus core 1\nx y\n',
      'L',
    );
    expect(p.entries.map((e) => [e.domain, e.type, e.value, e.line])).toEqual([
      ['*', 'hard', '0', 2],
      ['@adm', 'soft', 'unlimited', 3],
    ]);
    expect(p.problems).toEqual(['L:5: type "bogus" is not hard, soft or -', 'L:6: 2 fields where pam_limits wants 4']);
  });
});

describe('parseCoredumpConf and isZeroSize', () => {
  it('reads the last Storage and ProcessSizeMax of [Coredump] only', () => {
    const p = parseCoredumpConf(
      '[Other]\nStorage=none\n[Coredump]\n#Storage=none\nStorage=external\nStorage = none\nProcessSizeMax=0\n',
      'C',
    );
    expect(p.storage).toEqual({ value: 'none', file: 'C', line: 6 });
    expect(p.processSizeMax?.value).toBe('0');
  });
  it.each([
    ['0', true],
    ['0B', true],
    ['0K', true],
    ['2G', false],
    ['', false],
    ['infinity', false],
  ])('%s zero: %s', (v, z) => expect(isZeroSize(v)).toBe(z));
});
