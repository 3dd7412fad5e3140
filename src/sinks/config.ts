/**
 * Start-time checks shared by the network sinks: secrets come from files (never the YAML itself), URLs
 * must be https:// (plain http:// only to 127.0.0.1, for local receivers and tests). Every failure is a
 * ConfigError naming the key, and no message ever repeats a secret.
 */
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '../config/config-error.js';

const MAX_SECRET_BYTES = 64 * 1024;

/** Read a one-line secret from `file`; `key` names the setting in errors. */
export function readSecretFile(file: string, key: string): string {
  let text: string;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_SECRET_BYTES) throw new Error(`larger than ${MAX_SECRET_BYTES} bytes`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ConfigError(key, `cannot read ${file}: ${err.code ?? err.message}`);
  }
  const value = text.trim();
  if (value === '') throw new ConfigError(key, `${file} is empty`);
  if (/\s/.test(value)) throw new ConfigError(key, `${file} must hold a single value on one line`);
  return value;
}

/**
 * Validate an endpoint URL. `secret` keeps the URL itself out of the message (a Slack webhook URL is the
 * credential).
 */
export function checkUrl(raw: string, key: string, secret: boolean): URL {
  const shown = secret ? 'the URL' : JSON.stringify(raw);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(key, `${shown} is not a valid URL`);
  }
  if (u.protocol === 'https:') return u;
  if (u.protocol === 'http:' && u.hostname === '127.0.0.1') return u;
  throw new ConfigError(key, `${shown} must be an https:// URL (plain http:// is allowed only for 127.0.0.1)`);
}
