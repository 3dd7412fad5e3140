/**
 * Certificates named by a kubeconfig: embedded base64 PEM (`client-certificate-data`,
 * `certificate-authority-data`) and file references (`client-certificate:`, `certificate-authority:`, relative
 * to the kubeconfig's directory, as client-go resolves them). Pure: text in, references out, with lines.
 */
import path from 'node:path';
import { yamlLib } from '../../src/sdk.js';
import type * as YamlModule from 'yaml';
import type { Node, YAMLMap } from 'yaml';
import { decodeBase64Strict } from './pem.js';

const isMap = (v: unknown): v is YAMLMap => yamlLib().isMap(v);
const isSeq = (v: unknown): v is YamlModule.YAMLSeq => yamlLib().isSeq(v);
const isScalar = (v: unknown): v is YamlModule.Scalar => yamlLib().isScalar(v);

export type KubeconfigField =
  'client-certificate-data' | 'client-certificate' | 'certificate-authority-data' | 'certificate-authority';

export interface KubeconfigCertRef {
  field: KubeconfigField;
  owner: 'user' | 'cluster';
  /** The user's or cluster's name. */
  name: string;
  line?: number;
  /** Decoded content of a *-data field. */
  data?: Buffer;
  /** Absolute host path of a file reference. */
  file?: string;
}

export interface KubeconfigProblem {
  field: KubeconfigField;
  name: string;
  line?: number;
  reason: string;
}

export type KubeconfigParse =
  | {
      ok: true;
      /** False for YAML that is a mapping but not a kubeconfig (no clusters or users). */
      isKubeconfig: boolean;
      refs: KubeconfigCertRef[];
      problems: KubeconfigProblem[];
      /** The user of the current context (or the only user): the identity a client such as the kubelet uses. */
      currentUser?: string;
    }
  | { ok: false; reason: string };

const FIELDS: readonly {
  owner: 'user' | 'cluster';
  list: string;
  inner: string;
  field: KubeconfigField;
  data: boolean;
}[] = [
  { owner: 'user', list: 'users', inner: 'user', field: 'client-certificate-data', data: true },
  { owner: 'user', list: 'users', inner: 'user', field: 'client-certificate', data: false },
  { owner: 'cluster', list: 'clusters', inner: 'cluster', field: 'certificate-authority-data', data: true },
  { owner: 'cluster', list: 'clusters', inner: 'cluster', field: 'certificate-authority', data: false },
];

function str(map: YAMLMap, key: string): string | undefined {
  const v = map.get(key, true) as Node | undefined;
  return isScalar(v) && (typeof v.value === 'string' || typeof v.value === 'number') ? String(v.value) : undefined;
}

/**
 * Largest kubeconfig parsed. The yaml library is superlinear on hostile YAML (a plain scalar over thousands of
 * lines: 0.65 s at 128 KiB, 2 s at 256 KiB; 100-400 MB per MiB of one long line or a deep list: found by
 * fuzzing, test/fuzz). A node's kubeconfig is a few KiB; 128 KiB holds dozens of embedded certificates.
 */
export const MAX_KUBECONFIG_CHARS = 128 * 1024;

export function parseKubeconfig(text: string, kubeconfigPath: string): KubeconfigParse {
  if (text.length > MAX_KUBECONFIG_CHARS)
    return { ok: false, reason: `larger than ${MAX_KUBECONFIG_CHARS} characters: not read` };
  const lineCounter = new (yamlLib().LineCounter)();
  const doc = yamlLib().parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const err = doc.errors[0];
  if (err) return { ok: false, reason: `not YAML: ${err.message.split('\n')[0]}` };
  const root = doc.contents;
  if (!isMap(root))
    return { ok: false, reason: `not a kubeconfig: the document is ${root === null ? 'empty' : 'not a mapping'}` };
  const lineOf = (n: Node | undefined): number | undefined =>
    n?.range ? lineCounter.linePos(n.range[0]).line : undefined;

  const refs: KubeconfigCertRef[] = [];
  const problems: KubeconfigProblem[] = [];
  const users: string[] = [];
  const hasList = (k: string) => isSeq(root.get(k, true));
  const isKubeconfig = hasList('users') || hasList('clusters');
  for (const f of FIELDS) {
    const list = root.get(f.list, true);
    if (!isSeq(list)) continue;
    for (const item of list.items) {
      if (!isMap(item)) continue;
      const name = str(item, 'name') ?? '';
      if (f.field === 'client-certificate-data') users.push(name);
      const inner = item.get(f.inner, true);
      if (!isMap(inner)) continue;
      const node = inner.get(f.field, true) as Node | undefined;
      if (node === undefined || node === null) continue;
      const line = lineOf(node);
      const value = isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
      const at = line !== undefined ? { line } : {};
      if (value === undefined || value === '') {
        problems.push({ field: f.field, name, ...at, reason: `${f.field} of ${f.owner} "${name}" is not a string` });
        continue;
      }
      if (f.data) {
        const data = decodeBase64Strict(value);
        if (data) refs.push({ field: f.field, owner: f.owner, name, ...at, data });
        else
          problems.push({
            field: f.field,
            name,
            ...at,
            reason: `${f.field} of ${f.owner} "${name}" is not valid base64`,
          });
      } else {
        const file = path.posix.resolve(path.posix.dirname(kubeconfigPath), value);
        refs.push({ field: f.field, owner: f.owner, name, ...at, file });
      }
    }
  }
  const out: KubeconfigParse = { ok: true, isKubeconfig, refs, problems };
  const ctxName = str(root, 'current-context');
  const contexts = root.get('contexts', true);
  if (ctxName !== undefined && isSeq(contexts)) {
    for (const c of contexts.items) {
      if (!isMap(c) || str(c, 'name') !== ctxName) continue;
      const inner = c.get('context', true);
      const user = isMap(inner) ? str(inner, 'user') : undefined;
      if (user !== undefined) out.currentUser = user;
    }
  }
  if (out.currentUser === undefined && users.length === 1) out.currentUser = users[0]!;
  return out;
}
