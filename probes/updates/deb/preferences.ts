/**
 * apt_preferences(5) pins from /etc/apt/preferences and /etc/apt/preferences.d/*. They are parsed and
 * reported (file, line, Package, Pin, Pin-Priority); candidate selection does not apply them, so the
 * checks say when pins exist that could change apt's candidate.
 */
import { parseDeb822 } from './deb822.js';

export interface Pin {
  file: string;
  line: number;
  package: string;
  pin: string;
  priority: number | undefined;
}

/** Files in preferences.d that apt reads: [A-Za-z0-9_.-] only, and no extension or ".pref". */
export function isPreferencesPart(name: string): boolean {
  return /^[A-Za-z0-9_.-]+$/.test(name) && (!name.includes('.') || name.endsWith('.pref'));
}

export function parsePreferences(text: string, file: string): { pins: Pin[]; problems: string[] } {
  const { paragraphs, problems } = parseDeb822(text, { comments: true });
  const pins: Pin[] = [];
  const out = problems.map((p) => `${file}:${p.line}: ${p.message}`);
  for (const p of paragraphs) {
    const pkg = p.fields.get('package');
    const pin = p.fields.get('pin');
    const prio = p.fields.get('pin-priority');
    if (pkg === undefined || pin === undefined) {
      out.push(`${file}:${p.line}: a pin needs Package and Pin`);
      continue;
    }
    const priority = prio !== undefined && /^-?\d+$/.test(prio.trim()) ? Number(prio) : undefined;
    if (priority === undefined) out.push(`${file}:${p.line}: Pin-Priority "${(prio ?? '').slice(0, 20)}" is not an integer`);
    pins.push({ file, line: p.line, package: pkg, pin, priority });
  }
  return { pins, problems: out };
}
