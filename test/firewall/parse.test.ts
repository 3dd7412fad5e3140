/** The firewall file readers on real file shapes, comments, nesting and garbage. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { iptablesInputPolicy, nftInputPolicies, shellValue } from '../../probes/firewall/parse.js';

describe('nftInputPolicies', () => {
  it('finds the policy of each input base chain; a chain without one accepts; comments ignored', () => {
    const t =
      'table inet f {\n chain input {\n  type filter hook input priority 0; # policy accept;\n  policy drop;\n  ip saddr { 10.0.0.1 } accept\n }\n chain fwd {\n  type filter hook forward priority 0; policy accept;\n }\n}\ntable ip x {\n chain in2 {\n  type filter hook input priority 10;\n }\n}\n';
    expect(nftInputPolicies(t)).toEqual([
      { policy: 'drop', line: 4 },
      { policy: 'accept', line: 12 },
    ]);
  });
  it('a regular chain (no hook) does not count', () => {
    expect(nftInputPolicies('table inet f {\n chain allow { tcp dport 22 accept }\n}\n')).toEqual([]);
  });
  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (s) => void nftInputPolicies(s)),
      { numRuns: 300, seed: 17 },
    );
    expect(nftInputPolicies('chain a {\n'.repeat(2000)).length).toBe(0);
  });
});

describe('iptablesInputPolicy and shellValue', () => {
  it('takes INPUT of *filter, not of *nat or *mangle', () => {
    expect(iptablesInputPolicy('*mangle\n:INPUT ACCEPT [0:0]\nCOMMIT\n*filter\n:INPUT DROP [0:0]\nCOMMIT\n')).toEqual({
      policy: 'DROP',
      line: 5,
    });
    expect(iptablesInputPolicy('*nat\n:INPUT ACCEPT [0:0]\n')).toBeUndefined();
  });
  it('reads the last KEY=value, quoted or not', () => {
    expect(shellValue('ENABLED=no\n#ENABLED=yes\nENABLED=yes\n', 'ENABLED')).toEqual({ policy: 'yes', line: 3 });
    expect(shellValue('DEFAULT_INPUT_POLICY="REJECT"\n', 'DEFAULT_INPUT_POLICY')?.policy).toBe('REJECT');
  });
});
