import { spawnSync } from 'node:child_process';

/** Run the real `promtool check metrics` on the text; returns its complaints (empty when clean). */
export function promtool(text: string): string {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw r.error;
  const out = `${r.stdout}${r.stderr}`.trim();
  return r.status === 0 && out === '' ? '' : `exit ${String(r.status)}: ${out}`;
}
