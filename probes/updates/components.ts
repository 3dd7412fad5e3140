/**
 * Versions of the kubelet and the container runtimes, for their end-of-life checks. They come from package
 * records (dpkg status, the rpm database) or from version files (Bottlerocket's os-release VARIANT_ID names
 * its Kubernetes minor), never from running the binaries. A binary found without a package record is
 * "installed, version unknown"; no record and no binary is "not installed".
 *
 * Whether the upstream project's end of life applies depends on who builds the package: upstream packages
 * (kubelet from pkgs.k8s.io, docker-ce and containerd.io from Docker's repository, cri-o from the CRI-O
 * repositories) follow the upstream support horizon; distribution builds (Debian's docker.io and containerd,
 * Fedora's moby-engine, Amazon Linux's docker) are patched by the distribution for the life of the OS release;
 * runtimes inside an OS image (Flatcar, Bottlerocket, Talos...) are updated with the image.
 */
import type { HostRoot } from '../../src/sdk.js';
import type { EolProduct } from './eol.js';
import type { OsRelease } from './os.js';
import type { ImageFacts } from './image.js';

export type ComponentId = 'kubelet' | 'containerd' | 'docker' | 'cri-o';

/** An installed package record, as a package family reports it. */
export interface PackageRecord {
  name: string;
  version: string;
  arch: string;
  /** Host path of the package database. */
  file: string;
  line?: number;
}

export interface ComponentPackage {
  name: string;
  component: ComponentId;
  product: EolProduct;
  /** Built by the upstream project, so the upstream end of life applies. */
  upstream: boolean;
  /** Only in these families' databases ('docker' is an unrelated old package on Debian). */
  families?: readonly ('deb' | 'rpm')[];
}

export const COMPONENT_PACKAGES: readonly ComponentPackage[] = Object.freeze([
  { name: 'kubelet', component: 'kubelet', product: 'kubernetes', upstream: true },
  { name: 'containerd.io', component: 'containerd', product: 'containerd', upstream: true },
  { name: 'containerd', component: 'containerd', product: 'containerd', upstream: false },
  { name: 'docker-ce', component: 'docker', product: 'docker-engine', upstream: true },
  { name: 'docker.io', component: 'docker', product: 'docker-engine', upstream: false },
  { name: 'moby-engine', component: 'docker', product: 'docker-engine', upstream: false },
  { name: 'docker', component: 'docker', product: 'docker-engine', upstream: false, families: ['rpm'] },
  { name: 'cri-o', component: 'cri-o', product: 'cri-o', upstream: true },
]);

export const COMPONENT_NAMES: ReadonlySet<string> = new Set(COMPONENT_PACKAGES.map((p) => p.name));

/** Where each component's binary lives when it is installed without a package. */
export const COMPONENT_BINARIES: Readonly<Record<ComponentId, readonly string[]>> = Object.freeze({
  kubelet: ['/usr/bin/kubelet', '/usr/local/bin/kubelet', '/opt/bin/kubelet', '/home/kubernetes/bin/kubelet'],
  containerd: ['/usr/bin/containerd', '/usr/local/bin/containerd', '/opt/bin/containerd'],
  docker: ['/usr/bin/dockerd', '/usr/local/bin/dockerd', '/opt/bin/dockerd'],
  'cri-o': ['/usr/bin/crio', '/usr/local/bin/crio', '/opt/bin/crio'],
});

const PRODUCT: Record<ComponentId, EolProduct> = {
  kubelet: 'kubernetes',
  containerd: 'containerd',
  docker: 'docker-engine',
  'cri-o': 'cri-o',
};

export interface ComponentFact {
  component: ComponentId;
  product: EolProduct;
  /** Version from the record or version file; undefined when unknown (see problem). */
  version?: string;
  /** Package name, when a package record says so. */
  package?: string;
  /** How the version is known: a package database or version file (host path), with line where known. */
  file?: string;
  line?: number;
  /** Upstream build (its end of life applies), distribution build, or part of the OS image. */
  builder: 'upstream' | 'distribution' | 'image';
  /** Why the version is unknown. */
  problem?: string;
}

export interface ComponentsInput {
  family?: 'deb' | 'rpm';
  records: readonly PackageRecord[];
  os: OsRelease;
  image?: ImageFacts;
}

/** The kubelet and runtimes on this host, from records, version files and binaries present. */
export async function gatherComponents(host: HostRoot, input: ComponentsInput): Promise<ComponentFact[]> {
  const out: ComponentFact[] = [];
  for (const id of Object.keys(COMPONENT_BINARIES) as ComponentId[]) {
    const pkgs = COMPONENT_PACKAGES.filter(
      (p) => p.component === id && (!p.families || (input.family && p.families.includes(input.family))),
    );
    const recs = input.records.filter((r) => pkgs.some((p) => p.name === r.name));
    for (const r of recs) {
      const p = pkgs.find((x) => x.name === r.name)!;
      out.push({
        component: id,
        product: p.product,
        version: r.version,
        package: r.name,
        file: r.file,
        ...(r.line !== undefined ? { line: r.line } : {}),
        builder: p.upstream ? 'upstream' : 'distribution',
      });
    }
    if (recs.length) continue;
    if (id === 'kubelet' && input.image?.os === 'bottlerocket') {
      const m = /-k8s-(\d+\.\d+)(?:-|$)/.exec(input.os.variantId);
      if (m) {
        out.push({
          component: id,
          product: PRODUCT[id],
          version: m[1]!,
          file: input.os.file || '/etc/os-release',
          builder: 'image',
        });
        continue;
      }
    }
    let found: string | undefined;
    for (const b of COMPONENT_BINARIES[id]) {
      const st = await host.stat(b);
      if (st.ok && st.type === 'file') {
        found = b;
        break;
      }
    }
    if (!found) continue;
    if (input.image && id !== 'kubelet') {
      out.push({
        component: id,
        product: PRODUCT[id],
        file: found,
        builder: 'image',
        problem: `${found} is part of the ${input.image.name} image and is updated with it`,
      });
    } else {
      out.push({
        component: id,
        product: PRODUCT[id],
        file: found,
        builder: 'upstream',
        problem: `${found} exists but no package record names it (installed from a tarball or by hand); its version is not read from the binary`,
      });
    }
  }
  return out;
}

/** Pick the records of component packages out of an installed set. */
export function componentRecords<T extends { name: string; version: string; arch: string; line?: number }>(
  installed: readonly T[],
  file: string,
): PackageRecord[] {
  return installed
    .filter((p) => COMPONENT_NAMES.has(p.name))
    .map((p) => ({
      name: p.name,
      version: p.version,
      arch: p.arch,
      file,
      ...(p.line !== undefined && p.line > 0 ? { line: p.line } : {}),
    }));
}
