/**
 * The engine never names a probe: the agent, the alert path, the scan runner, the metrics and the configuration
 * reach probes only through what each declares on the Probe interface (watch, metrics, shed, runFields, options,
 * ...). This test reads the string, template and regular-expression literals of those engine folders (comments
 * are not literals) and fails on any that names a registered probe or one of its checks ('ssh',
 * 'ssh.password_auth', /^ssh\.live_/, 'ssh_live'). src/config documents and validates the probes' sections from
 * what each declares (Probe.options). src/integrity is the engine's integrity library, whose policy categories
 * share names with probes.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { PROBES } from '../probes/registry.js';

const ENGINE = ['src/agent', 'src/alerts', 'src/scan', 'src/metrics', 'src/config', 'src/probe-options.ts'];

/**
 * Literals that name a probe by coincidence, not to reach it: file, text, why. A literal matches when it is the
 * text, or begins with it when the text ends in '…' (a key and the message that names it).
 */
const COINCIDENCES: readonly [string, string, string][] = [
  ['src/metrics/exposition.ts', 'kernel', "a label of hostward_os_info: the host's kernel release"],
  ['src/scan/host-role.ts', 'kubelet', 'a process name that tells a Kubernetes node'],
  ['src/agent/web-config.ts', 'tls_server_config…', "the exporter-toolkit web configuration's key for the agent's TLS"],
  ['src/agent/endpoints.ts', 'tls_server_config…', 'the same key, named in an error message'],
  ['src/config/config.ts', 'tls', "the keys agent.tls and collector.tls: the agent's and the collector's own TLS"],
];

const matches = (literal: string, text: string) =>
  text.endsWith('…') ? literal.startsWith(text.slice(0, -1)) : literal === text;

const coincidence = (file: string, literal: string) => COINCIDENCES.some(([f, t]) => f === file && matches(literal, t));

function files(dir: string): string[] {
  if (!statSync(dir).isDirectory()) return [dir];
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every literal's text, with its line; regular expressions without slashes, flags, a leading ^ or escapes. */
function literalsOf(src: ts.SourceFile): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  const visit = (n: ts.Node): void => {
    const line = src.getLineAndCharacterOfPosition(n.getStart(src)).line + 1;
    if ((ts.isStringLiteralLike(n) || ts.isTemplateLiteralToken(n)) && n.text !== '') out.push({ text: n.text, line });
    else if (n.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const body = n.getText(src).replace(/^\/|\/[a-z]*$/g, '');
      out.push({ text: body.replace(/^\^/, '').replace(/\\(.)/g, '$1'), line });
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
  return out;
}

const literals = (file: string) =>
  literalsOf(ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true));

/** The probe a literal names: the name alone, or followed by '.' (a check id) or '_' (an action). */
function probeNamed(text: string): string | undefined {
  return PROBES.map((p) => p.name).find(
    (name) => text === name || text.startsWith(`${name}.`) || text.startsWith(`${name}_`),
  );
}

describe('the engine never names a probe', () => {
  it('no literal of the engine (agent, alerts, scan, metrics, config) names a registered probe or its checks', () => {
    const found: string[] = [];
    for (const file of ENGINE.flatMap(files)) {
      for (const l of literals(file)) {
        const probe = probeNamed(l.text);
        if (!probe || coincidence(file, l.text)) continue;
        found.push(`${file}:${l.line}: '${l.text}' names the ${probe} probe`);
      }
    }
    expect(found).toEqual([]);
  });

  it('finds what it looks for: a name, a check id, an action, a regular expression; not words in comments', () => {
    const sample =
      "// the ssh probe\nconst a = ['ssh'];\nconst b = `kernel.${a}`;\nconst c = /^ssh\\.live_/;\nconst d = 'integrity_rehash';\n";
    const hits = literalsOf(ts.createSourceFile('sample.ts', sample, ts.ScriptTarget.Latest, true)).map((l) => l.text);
    expect(hits.map(probeNamed)).toEqual(['ssh', 'kernel', 'ssh', 'integrity']);
  });

  it('each coincidence still exists, so the list does not outlive its reason', () => {
    for (const [file, text] of COINCIDENCES)
      expect(
        literals(file).some((l) => matches(l.text, text)),
        `${file} '${text}'`,
      ).toBe(true);
  });

  it('each probe metric and each shed action is declared by one probe', () => {
    const metrics = PROBES.flatMap((p) => Object.keys(p.metrics ?? {}));
    expect(new Set(metrics).size).toBe(metrics.length);
    const actions = PROBES.flatMap((p) => (p.shed ? [p.shed.action] : []));
    expect(new Set(actions).size).toBe(actions.length);
  });
});
