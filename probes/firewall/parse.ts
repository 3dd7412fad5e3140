/**
 * Readers of the boot-time firewall files: nftables.conf (the policy of base chains hooked on input),
 * iptables-save files (the INPUT policy of *filter), ufw's switches and default policy. Text in, values out.
 */
export interface Policy {
  policy: string;
  line: number;
}

/** Policies of the base chains with "hook input" in an nftables ruleset file (brace-balanced chain bodies). */
export function nftInputPolicies(text: string): Policy[] {
  const out: Policy[] = [];
  const clean = text.split('\n').map((l) => l.replace(/#.*/, ''));
  for (let i = 0; i < clean.length; i++) {
    if (!/^\s*chain\s+\S+\s*\{/.test(clean[i]!)) continue;
    let depth = 0;
    let body = '';
    let policyLine = i + 1;
    for (let j = i; j < clean.length; j++) {
      const l = clean[j]!;
      if (/\bpolicy\s+\w+/.test(l)) policyLine = j + 1;
      body += l + '\n';
      depth += (l.match(/\{/g) ?? []).length - (l.match(/\}/g) ?? []).length;
      if (depth <= 0) break;
    }
    if (!/\bhook\s+input\b/.test(body)) continue;
    const m = /\bpolicy\s+(\w+)/.exec(body);
    // A base chain without a policy statement accepts.
    out.push({ policy: m ? m[1]! : 'accept', line: m ? policyLine : i + 1 });
  }
  return out;
}

/** The INPUT policy of the *filter table of an iptables-save file (":INPUT DROP [0:0]"). */
export function iptablesInputPolicy(text: string): Policy | undefined {
  let table = '';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l.startsWith('*')) table = l.slice(1);
    const m = /^:INPUT\s+(\S+)/.exec(l);
    if (m && table === 'filter') return { policy: m[1]!, line: i + 1 };
  }
  return undefined;
}

/** `KEY=value` lines of a shell-style file (ufw.conf, /etc/default/ufw), quotes removed, the last one wins. */
export function shellValue(text: string, key: string): Policy | undefined {
  let out: Policy | undefined;
  text.split('\n').forEach((l, i) => {
    const m = new RegExp(`^\\s*${key}\\s*=\\s*"?([^"\\s]*)"?`).exec(l);
    if (m) out = { policy: m[1]!, line: i + 1 };
  });
  return out;
}
