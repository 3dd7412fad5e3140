/**
 * Key-value files: /etc/login.defs ("KEY value", login.defs(5): the last setting of a key wins, as
 * shadow-utils' getdef reads the whole file), /etc/default/useradd ("KEY=value"), and the "key = value" files
 * of libpwquality, pam_faillock and pam_pwhistory under /etc/security.
 */
import { splitLines } from './common.js';

export interface Setting {
  value: string;
  line: number;
}

export interface KeyValues {
  /** Key -> its last setting. */
  values: Map<string, Setting>;
  truncated: boolean;
}

const unquote = (v: string): string =>
  v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.endsWith(v[0]) ? v.slice(1, -1) : v;

function parse(
  text: string,
  split: (l: string) => [string, string] | undefined,
  keyCase: (k: string) => string,
): KeyValues {
  const { lines, truncated } = splitLines(text);
  const values = new Map<string, Setting>();
  lines.forEach((raw, i) => {
    const l = raw.trim();
    if (l === '' || l.startsWith('#')) return;
    const kv = split(l);
    if (kv) values.set(keyCase(kv[0]), { value: kv[1], line: i + 1 });
  });
  return { values, truncated };
}

/** login.defs(5): "NAME value", whitespace separated; a name alone sets an empty value. */
export function parseLoginDefs(text: string): KeyValues {
  return parse(
    text,
    (l) => {
      const m = /^([A-Za-z0-9_]+)(?:[ \t]+(.*))?$/.exec(l);
      return m ? [m[1]!, unquote((m[2] ?? '').trim())] : undefined;
    },
    (k) => k,
  );
}

/** /etc/default/useradd: shell-style KEY=value. */
export function parseUseraddDefaults(text: string): KeyValues {
  return parse(
    text,
    (l) => {
      const m = /^([A-Za-z0-9_]+)=(.*)$/.exec(l);
      return m ? [m[1]!, unquote(m[2]!.trim())] : undefined;
    },
    (k) => k,
  );
}

/**
 * pwquality.conf(5), faillock.conf(5), pwhistory.conf(5): "key = value" or a bare flag ("enforce_for_root");
 * comments start a line. Keys are matched case-insensitively, as the modules do.
 */
export function parseSecurityConf(text: string): KeyValues {
  return parse(
    text,
    (l) => {
      const m = /^([A-Za-z0-9_]+)\s*(?:=\s*(.*))?$/.exec(l);
      return m ? [m[1]!, (m[2] ?? '').trim()] : undefined;
    },
    (k) => k.toLowerCase(),
  );
}
