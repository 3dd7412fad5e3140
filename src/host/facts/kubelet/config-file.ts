/**
 * KubeletConfiguration files (YAML, or JSON on EKS, which is YAML too) flattened to leaf fields with the
 * line each was set on: maps merge key by key (featureGates.X), lists and scalars are leaves and replace.
 * That is how the kubelet merges --config-dir drop-ins over --config. Also the k3s/RKE2 config.yaml, whose
 * `kubelet-arg` lists flags. Pure; yaml is loaded on first use (the agent imports every probe at start).
 */
import { yamlLib } from '../../../lazy-libs.js';
import type * as YamlModule from 'yaml';
import type { Node } from 'yaml';
import type { Evidence } from '../../../contracts.js';
import type { Leaf } from './types.js';

/** Nesting followed at most; KubeletConfiguration is four levels deep. */
const MAX_DEPTH = 16;
/** Leaves kept at most from one file. */
const MAX_LEAVES = 10_000;

export interface ConfigLeaf {
  field: string;
  value: Leaf;
  evidence: Evidence;
  /** For a list: where each item is written. */
  items?: Evidence[];
}

export type ConfigParse =
  | { ok: true; kind?: string; apiVersion?: string; leaves: ConfigLeaf[]; problems: string[] }
  | { ok: false; reason: string };

function scalarValue(n: unknown): string | number | boolean | null | undefined {
  if (!yamlLib().isScalar(n)) return undefined;
  const v = n.value;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return String(v);
  return undefined;
}

/**
 * Largest configuration parsed. The yaml library is superlinear on hostile YAML (a plain scalar over thousands
 * of lines: 0.5 s at 128 KiB, 2 s at 256 KiB, 10 s at 320 KiB; 100-400 MB per MiB of one long line or a deep
 * list: found by fuzzing, test/fuzz). A KubeletConfiguration is a few KiB; 160 KiB keeps MAX_LEAVES reachable.
 */
export const MAX_CONFIG_CHARS = 160 * 1024;

export function parseKubeletConfig(text: string, file: string): ConfigParse {
  if (text.length > MAX_CONFIG_CHARS)
    return { ok: false, reason: `larger than ${MAX_CONFIG_CHARS} characters: not read` };
  let doc: YamlModule.Document.Parsed;
  const lineCounter = new (yamlLib().LineCounter)();
  try {
    doc = yamlLib().parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  } catch (e) {
    return { ok: false, reason: `not YAML: ${(e as Error).message.split('\n')[0]}` };
  }
  const err = doc.errors[0];
  if (err) return { ok: false, reason: `not YAML or JSON: ${err.message.split('\n')[0]}` };
  const root = doc.contents;
  if (root === null) return { ok: true, leaves: [], problems: [] };
  if (!yamlLib().isMap(root)) return { ok: false, reason: 'not a KubeletConfiguration: the document is not a mapping' };
  const lines = text.split('\n');
  const lineOf = (n: Node | null | undefined): number | undefined =>
    n?.range ? lineCounter.linePos(n.range[0]).line : undefined;
  const leaves: ConfigLeaf[] = [];
  const problems: string[] = [];
  const ev = (n: Node | null | undefined): Evidence => {
    const line = lineOf(n);
    return line !== undefined ? { file, line, text: (lines[line - 1] ?? '').trim().slice(0, 300) } : { file };
  };
  const walk = (map: YamlModule.YAMLMap, prefix: string, depth: number): void => {
    if (depth > MAX_DEPTH) {
      problems.push(`${prefix || '(root)'}: nested deeper than ${MAX_DEPTH} levels, not read`);
      return;
    }
    for (const pair of map.items) {
      if (leaves.length >= MAX_LEAVES) {
        problems.push(`more than ${MAX_LEAVES} settings, the rest not read`);
        return;
      }
      const k = scalarValue(pair.key);
      if (k === undefined || k === null) continue;
      const field = prefix + String(k);
      const v = pair.value as Node | null;
      if (yamlLib().isMap(v)) walk(v, field + '.', depth + 1);
      else if (yamlLib().isSeq(v)) {
        const items = v.items.map(scalarValue);
        if (items.some((x) => x === undefined)) problems.push(`${field}: a list of non-scalars, not read`);
        else
          leaves.push({
            field,
            value: items as (string | number | boolean | null)[],
            evidence: ev(pair.key as Node),
            items: v.items.map((i) => ev(i as Node)),
          });
      } else if (yamlLib().isAlias(v)) problems.push(`${field}: YAML aliases are not followed`);
      else {
        const s = v === null ? null : scalarValue(v);
        if (s !== undefined) leaves.push({ field, value: s, evidence: ev(pair.key as Node) });
      }
    }
  };
  walk(root, '', 0);
  const kind = leaves.find((l) => l.field === 'kind')?.value;
  const apiVersion = leaves.find((l) => l.field === 'apiVersion')?.value;
  return {
    ok: true,
    ...(typeof kind === 'string' ? { kind } : {}),
    ...(typeof apiVersion === 'string' ? { apiVersion } : {}),
    leaves: leaves.filter((l) => l.field !== 'kind' && l.field !== 'apiVersion'),
    problems,
  };
}

export interface RancherConfig {
  /** `kubelet-arg` entries ("key=value"), in order. */
  kubeletArgs: { text: string; evidence: Evidence }[];
  dataDir?: string;
  problems: string[];
}

/** /etc/rancher/{k3s,rke2}/config.yaml: `kubelet-arg` as a list or one string, and `data-dir`. */
export function parseRancherConfig(text: string, file: string): RancherConfig | { ok: false; reason: string } {
  const p = parseKubeletConfig(text, file);
  if (!p.ok) return p;
  const out: RancherConfig = { kubeletArgs: [], problems: [...p.problems] };
  for (const l of p.leaves) {
    if (l.field === 'kubelet-arg' || l.field === 'kubelet-arg+') {
      const vals = Array.isArray(l.value) ? l.value : [l.value];
      vals.forEach((v, i) => {
        if (typeof v === 'string') out.kubeletArgs.push({ text: v, evidence: l.items?.[i] ?? l.evidence });
      });
    } else if (l.field === 'data-dir' && typeof l.value === 'string') out.dataDir = l.value;
  }
  return out;
}
