/**
 * The kubelet's part of starting a pod, for the image tests: each volume of a rendered pod spec becomes a host
 * directory (hostPath mapped as the test says, configMap and secret files with their modes, emptyDir, a
 * persistentVolumeClaim's directory), with fsGroup ownership applied as the kubelet applies it.
 */
import { chmodSync, chownSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { K8s } from '../helpers/helm.js';

export interface VolumeSources {
  /** Scratch directory for configMap, secret, emptyDir and claim volumes. */
  dir: string;
  /** Host path as the pod names it → the directory used for it here (e.g. /var/lib/hostward → a temp dir). */
  hostPaths: Record<string, string>;
  /** The rendered objects (ConfigMaps come from here). */
  objects: K8s[];
  /** Secret name → key → content (Secrets are created by hand in a cluster, so the test supplies them). */
  secrets: Record<string, Record<string, string | Buffer>>;
}

/** Host directories of every volume of the pod, by volume name. */
export function materializeVolumes(pod: K8s, src: VolumeSources): Record<string, string> {
  const fsGroup = pod.securityContext?.fsGroup as number | undefined;
  const out: Record<string, string> = {};
  for (const v of (pod.volumes ?? []) as K8s[]) {
    const dir = path.join(src.dir, v.name as string);
    if (v.hostPath) out[v.name] = hostPathDir(v, src);
    else if (v.configMap)
      out[v.name] = writeFiles(dir, configMapData(v.configMap, src.objects), v.configMap.defaultMode ?? 0o644, fsGroup);
    else if (v.secret)
      out[v.name] = writeFiles(dir, secretData(v.secret, src.secrets), v.secret.defaultMode ?? 0o644, fsGroup);
    else if (v.emptyDir || v.persistentVolumeClaim) out[v.name] = writableDir(dir, fsGroup);
    else
      throw new Error(
        `volume ${String(v.name)}: only hostPath, configMap, secret, emptyDir and persistentVolumeClaim are supported`,
      );
  }
  return out;
}

function hostPathDir(v: K8s, src: VolumeSources): string {
  const p = v.hostPath.path as string;
  const dir = src.hostPaths[p];
  if (dir === undefined) throw new Error(`volume ${String(v.name)}: hostPath ${p} has no mapping in this test`);
  if (v.hostPath.type === 'DirectoryOrCreate') mkdirSync(dir, { recursive: true, mode: 0o755 });
  else if (v.hostPath.type === 'Directory' && !statSync(dir).isDirectory())
    throw new Error(`hostPath ${p}: ${dir} is not a directory`);
  return dir;
}

function configMapData(ref: K8s, objects: K8s[]): Record<string, string> {
  const cm = objects.find((o) => o?.kind === 'ConfigMap' && o.metadata?.name === ref.name);
  if (!cm) throw new Error(`no ConfigMap ${String(ref.name)} among the rendered objects`);
  return cm.data ?? {};
}

function secretData(ref: K8s, secrets: VolumeSources['secrets']): Record<string, string | Buffer> {
  const s = secrets[ref.secretName as string];
  if (s) return s;
  if (ref.optional) return {};
  throw new Error(`Secret ${String(ref.secretName)} is required by the pod and the test gave none`);
}

/** Files of a configMap or secret volume; with fsGroup the kubelet makes them group-owned and group-readable. */
function writeFiles(
  dir: string,
  data: Record<string, string | Buffer>,
  mode: number,
  fsGroup: number | undefined,
): string {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (const [key, value] of Object.entries(data)) {
    const file = path.join(dir, key);
    writeFileSync(file, value);
    chmodSync(file, fsGroup === undefined ? mode : mode | 0o040);
    if (fsGroup !== undefined) chownSync(file, 0, fsGroup);
  }
  if (fsGroup !== undefined) chownSync(dir, 0, fsGroup);
  return dir;
}

/** emptyDir and claim volumes: world-writable for emptyDir as the kubelet makes them; fsGroup-owned and setgid. */
function writableDir(dir: string, fsGroup: number | undefined): string {
  mkdirSync(dir, { recursive: true });
  if (fsGroup === undefined) chmodSync(dir, 0o777);
  else {
    chownSync(dir, 0, fsGroup);
    chmodSync(dir, 0o2775);
  }
  return dir;
}

/** Every file under a directory with its size and mtime: what changed there between two calls. */
export function snapshotTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      out.set(path.relative(root, p), `${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size} ${st.mtimeMs}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}
