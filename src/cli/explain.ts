/** `hostward explain CHECK`: one check of the catalogue, as a person reads it. */
import type { CheckInfo } from '../contracts.js';

export type Explained = { ok: true; text: string } | { ok: false; problem: string };

export function explain(id: string, catalogue: readonly CheckInfo[]): Explained {
  const c = catalogue.find((x) => x.id === id);
  if (!c) {
    const term = id.toLowerCase().split('.').pop() ?? id;
    const near = catalogue.filter((x) => x.id.includes(term) || x.title.toLowerCase().includes(term)).slice(0, 5);
    return {
      ok: false,
      problem: `no check "${id}"${near.length ? `; did you mean ${near.map((x) => x.id).join(', ')}?` : ' (hostward checks lists them)'}`,
    };
  }
  const text = [
    `${c.id}: ${c.title}`,
    '',
    `probe:       ${c.probe}`,
    `severity:    ${c.severity} (a failure at or above --fail-on, default high, makes hostward scan exit 1)`,
    `fix:         ${c.remediation}`,
    'references:',
    ...c.references.map((r) => `  - ${r}`),
    '',
    `Scan for it alone: hostward scan --check ${c.id}`,
  ];
  return { ok: true, text: text.join('\n') + '\n' };
}
