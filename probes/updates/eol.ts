/**
 * End-of-support dates of OS releases, Kubernetes minors (kubelet) and container runtimes: versioned data.
 *
 *   Data version: 2026-11-24.1
 *   Collected:    2026-11-24, from the endoflife.date repository (github.com/endoflife-date/endoflife.date,
 *                 products/*.md at commit a70eca337600e7d721dc48112c271f98661d208b, 2026-08-22), which
 *                 records each product's upstream policy page, and from the upstream pages named per row
 *                 (kubernetes.io/releases and kubernetes/website data/releases/eol.yaml, the CRI-O README).
 *   Rule:         a release whose date could not be confirmed is left out (the check then says "unknown"),
 *                 never guessed. Flatcar, Talos, Bottlerocket and the CoreOS variants support the newest
 *                 release of a channel rather than releases with dates, so they have no rows.
 *
 * `eol` is the day free security support ends (the check fails after it):
 * - Debian: the end of Debian LTS (free, community security support after the security team's `standard`).
 * - Ubuntu: the end of standard support; `extended` is Expanded Security Maintenance (Ubuntu Pro), used
 *   instead when the host has the ESM archives configured.
 * - RHEL, Rocky, AlmaLinux: the end of maintenance support; `extended` is Red Hat ELS (paid add-on, reported
 *   only).
 * - Kubernetes: the end of maintenance of the minor; CRI-O minors follow Kubernetes minors ("If a Kubernetes
 *   release goes End of Life, then the corresponding CRI-O version can be considered in the same way",
 *   cri-o/cri-o README), so CRI-O rows are derived from the Kubernetes rows.
 * - containerd: the end of the release's support (extended/LTS phase), as containerd.io/releases states it.
 * - Docker Engine: the end of the branch's maintenance (moby project/BRANCHES-AND-TAGS.md); `null` means no
 *   end has been announced.
 * Changing a row: add a new data version to the header and keep the source in the row.
 */

export const EOL_DATA_VERSION = '2026-11-24.1';
export const EOL_DATA_DATE = '2026-11-24';
/** Support ending within this many days is a warning (updates.end_of_life_soon). */
export const EOL_SOON_DAYS = 90;

export type EolProduct =
  | 'debian'
  | 'ubuntu'
  | 'rhel'
  | 'rocky'
  | 'almalinux'
  | 'amazon-linux'
  | 'fedora'
  | 'cos'
  | 'kubernetes'
  | 'cri-o'
  | 'containerd'
  | 'docker-engine';

export interface EolRow {
  product: EolProduct;
  /** Release cycle as the product names it: "12", "24.04", "9", "2023", "cos-117", "1.31", "27", "26.1". */
  cycle: string;
  /** ISO date free security support ends; null when the project has announced no end yet. */
  eol: string | null;
  /** An earlier end of standard/regular support (Debian security team), for messages. */
  standard?: string;
  /** A later end of paid or opt-in extended support (Ubuntu ESM, RHEL ELS). */
  extended?: string;
  note?: string;
  source: string;
}

const EOLD = (p: string) => `https://endoflife.date/${p} (endoflife.date products/${p}.md @a70eca3)`;
const DEB = `${EOLD('debian')}; https://wiki.debian.org/LTS`;
const UBU = `${EOLD('ubuntu')}; https://ubuntu.com/about/release-cycle`;
const RHEL = `${EOLD('rhel')}; https://access.redhat.com/support/policy/updates/errata`;
const K8S_EOL_YAML = 'https://kubernetes.io/releases/ (kubernetes/website data/releases/eol.yaml)';
const k8sPage = (m: string) => `https://kubernetes.io/releases/${m}/ (planned End Of Life Date)`;

const OS_ROWS: EolRow[] = [
  { product: 'debian', cycle: '10', eol: '2024-06-30', standard: '2022-09-10', source: DEB },
  { product: 'debian', cycle: '11', eol: '2026-08-31', standard: '2024-08-14', source: DEB },
  { product: 'debian', cycle: '12', eol: '2028-06-30', standard: '2026-07-11', source: DEB },
  { product: 'debian', cycle: '13', eol: '2030-06-30', standard: '2028-08-09', source: DEB },
  { product: 'ubuntu', cycle: '18.04', eol: '2023-05-31', extended: '2028-04-01', source: UBU },
  { product: 'ubuntu', cycle: '18.10', eol: '2019-07-18', source: UBU },
  { product: 'ubuntu', cycle: '19.04', eol: '2020-01-23', source: UBU },
  { product: 'ubuntu', cycle: '19.10', eol: '2020-07-06', source: UBU },
  { product: 'ubuntu', cycle: '20.04', eol: '2025-05-31', extended: '2030-04-02', source: UBU },
  { product: 'ubuntu', cycle: '20.10', eol: '2021-07-22', source: UBU },
  { product: 'ubuntu', cycle: '21.04', eol: '2022-01-20', source: UBU },
  { product: 'ubuntu', cycle: '21.10', eol: '2022-07-14', source: UBU },
  { product: 'ubuntu', cycle: '22.04', eol: '2027-04-01', extended: '2032-04-09', source: UBU },
  { product: 'ubuntu', cycle: '22.10', eol: '2023-07-20', source: UBU },
  { product: 'ubuntu', cycle: '23.04', eol: '2024-01-20', source: UBU },
  { product: 'ubuntu', cycle: '23.10', eol: '2024-07-12', source: UBU },
  { product: 'ubuntu', cycle: '24.04', eol: '2029-05-31', extended: '2036-05-31', source: UBU },
  { product: 'ubuntu', cycle: '24.10', eol: '2025-07-10', source: UBU },
  { product: 'ubuntu', cycle: '25.04', eol: '2026-01-17', source: UBU },
  { product: 'ubuntu', cycle: '25.10', eol: '2026-07-01', source: UBU },
  { product: 'ubuntu', cycle: '26.04', eol: '2031-04-30', extended: '2036-04-30', source: UBU },
  { product: 'rhel', cycle: '7', eol: '2024-06-30', extended: '2029-05-31', source: RHEL },
  { product: 'rhel', cycle: '8', eol: '2029-05-31', extended: '2033-05-31', source: RHEL },
  { product: 'rhel', cycle: '9', eol: '2032-05-31', extended: '2036-05-31', source: RHEL },
  { product: 'rhel', cycle: '10', eol: '2035-05-31', extended: '2039-05-31', source: RHEL },
  {
    product: 'rocky',
    cycle: '8',
    eol: '2029-05-31',
    source: `${EOLD('rocky-linux')}; https://wiki.rockylinux.org/rocky/version/`,
  },
  {
    product: 'rocky',
    cycle: '9',
    eol: '2032-05-31',
    source: `${EOLD('rocky-linux')}; https://wiki.rockylinux.org/rocky/version/`,
  },
  {
    product: 'rocky',
    cycle: '10',
    eol: '2035-05-31',
    source: `${EOLD('rocky-linux')}; https://wiki.rockylinux.org/rocky/version/`,
  },
  {
    product: 'almalinux',
    cycle: '8',
    eol: '2029-05-31',
    source: `${EOLD('almalinux')}; https://wiki.almalinux.org/release-notes/`,
  },
  {
    product: 'almalinux',
    cycle: '9',
    eol: '2032-05-31',
    source: `${EOLD('almalinux')}; https://wiki.almalinux.org/release-notes/`,
  },
  {
    product: 'almalinux',
    cycle: '10',
    eol: '2035-05-31',
    source: `${EOLD('almalinux')}; https://wiki.almalinux.org/release-notes/`,
  },
  {
    product: 'amazon-linux',
    cycle: '2',
    eol: '2026-06-30',
    source: `${EOLD('amazon-linux')}; https://aws.amazon.com/amazon-linux-2/faqs/`,
  },
  {
    product: 'amazon-linux',
    cycle: '2023',
    eol: '2029-06-30',
    source: `${EOLD('amazon-linux')}; https://docs.aws.amazon.com/linux/al2023/ug/release-cadence.html`,
  },
  {
    product: 'fedora',
    cycle: '40',
    eol: '2025-05-13',
    source: `${EOLD('fedora')}; https://fedorapeople.org/groups/schedule/`,
  },
  {
    product: 'fedora',
    cycle: '41',
    eol: '2025-12-15',
    source: `${EOLD('fedora')}; https://fedorapeople.org/groups/schedule/`,
  },
  {
    product: 'fedora',
    cycle: '42',
    eol: '2026-05-27',
    source: `${EOLD('fedora')}; https://fedorapeople.org/groups/schedule/`,
  },
  {
    product: 'fedora',
    cycle: '43',
    eol: '2026-12-09',
    source: `${EOLD('fedora')}; https://fedorapeople.org/groups/schedule/`,
  },
  {
    product: 'fedora',
    cycle: '44',
    eol: '2027-06-02',
    source: `${EOLD('fedora')}; https://fedorapeople.org/groups/schedule/`,
  },
  {
    product: 'cos',
    cycle: 'cos-105',
    eol: '2025-04-01',
    source: `${EOLD('cos')}; https://cloud.google.com/container-optimized-os/docs/release-notes`,
  },
  {
    product: 'cos',
    cycle: 'cos-109',
    eol: '2025-09-24',
    source: `${EOLD('cos')}; https://cloud.google.com/container-optimized-os/docs/release-notes`,
  },
  {
    product: 'cos',
    cycle: 'cos-113',
    eol: '2026-05-12',
    source: `${EOLD('cos')}; https://cloud.google.com/container-optimized-os/docs/release-notes`,
  },
  {
    product: 'cos',
    cycle: 'cos-117',
    eol: '2026-09-01',
    source: `${EOLD('cos')}; https://cloud.google.com/container-optimized-os/docs/release-notes`,
  },
  {
    product: 'cos',
    cycle: 'cos-121',
    eol: '2027-03-01',
    source: `${EOLD('cos')}; https://cloud.google.com/container-optimized-os/docs/release-notes`,
  },
  {
    product: 'cos',
    cycle: 'cos-125',
    eol: '2027-09-01',
    source: `${EOLD('cos')}; https://cloud.google.com/container-optimized-os/docs/release-notes`,
  },
  {
    product: 'cos',
    cycle: 'cos-129',
    eol: '2028-03-01',
    source: `${EOLD('cos')}; https://cloud.google.com/container-optimized-os/docs/release-notes`,
  },
];

const K8S_ROWS: EolRow[] = [
  { product: 'kubernetes', cycle: '1.28', eol: '2024-10-22', source: K8S_EOL_YAML },
  { product: 'kubernetes', cycle: '1.29', eol: '2025-02-28', source: K8S_EOL_YAML },
  { product: 'kubernetes', cycle: '1.30', eol: '2025-07-15', source: K8S_EOL_YAML },
  { product: 'kubernetes', cycle: '1.31', eol: '2025-11-11', source: K8S_EOL_YAML },
  { product: 'kubernetes', cycle: '1.32', eol: '2026-02-28', source: K8S_EOL_YAML },
  { product: 'kubernetes', cycle: '1.33', eol: '2026-06-28', source: `${k8sPage('1.33')}; ${EOLD('kubernetes')}` },
  { product: 'kubernetes', cycle: '1.34', eol: '2026-10-27', source: `${k8sPage('1.34')}; ${EOLD('kubernetes')}` },
  { product: 'kubernetes', cycle: '1.35', eol: '2027-02-28', source: `${k8sPage('1.35')}; ${EOLD('kubernetes')}` },
  { product: 'kubernetes', cycle: '1.36', eol: '2027-06-28', source: `${k8sPage('1.36')}; ${EOLD('kubernetes')}` },
];

const CRIO_ROWS: EolRow[] = K8S_ROWS.map((r) => ({
  ...r,
  product: 'cri-o',
  source: `https://github.com/cri-o/cri-o#compatibility-matrix-cri-o--kubernetes (minors follow Kubernetes); ${r.source}`,
}));

const CTRD = `${EOLD('containerd')}; https://containerd.io/releases/#support-horizon`;
const DOCKER = `${EOLD('docker-engine')}; https://github.com/moby/moby/blob/master/project/BRANCHES-AND-TAGS.md`;

const RUNTIME_ROWS: EolRow[] = [
  { product: 'containerd', cycle: '1.6', eol: '2025-08-23', source: CTRD },
  {
    product: 'containerd',
    cycle: '1.7',
    eol: '2026-09-01',
    note: 'only the month (September 2026) is decided',
    source: CTRD,
  },
  { product: 'containerd', cycle: '2.0', eol: '2027-03-01', note: 'extended (LTS) support', source: CTRD },
  { product: 'containerd', cycle: '2.1', eol: '2026-07-03', source: CTRD },
  { product: 'containerd', cycle: '2.2', eol: '2026-11-06', source: CTRD },
  { product: 'containerd', cycle: '2.3', eol: '2028-04-30', note: 'LTS', source: CTRD },
  { product: 'docker-engine', cycle: '20.10', eol: '2023-12-10', source: DOCKER },
  { product: 'docker-engine', cycle: '23.0', eol: '2025-05-19', source: DOCKER },
  { product: 'docker-engine', cycle: '24.0', eol: '2024-06-08', source: DOCKER },
  { product: 'docker-engine', cycle: '25.0', eol: '2026-12-04', source: DOCKER },
  { product: 'docker-engine', cycle: '26.0', eol: '2024-06-08', source: DOCKER },
  { product: 'docker-engine', cycle: '26.1', eol: '2025-02-17', source: DOCKER },
  { product: 'docker-engine', cycle: '27', eol: '2025-05-03', source: DOCKER },
  { product: 'docker-engine', cycle: '28', eol: '2026-05-13', source: DOCKER },
  { product: 'docker-engine', cycle: '29', eol: null, note: 'no end announced as of 2026-08-22', source: DOCKER },
];

export const EOL_TABLE: readonly EolRow[] = Object.freeze([...OS_ROWS, ...K8S_ROWS, ...CRIO_ROWS, ...RUNTIME_ROWS]);

export function lookupEol(product: EolProduct, cycle: string): EolRow | undefined {
  return EOL_TABLE.find((r) => r.product === product && r.cycle === cycle);
}

/** os-release ID -> product of the table. */
const OS_PRODUCT: Record<string, EolProduct> = {
  debian: 'debian',
  ubuntu: 'ubuntu',
  rhel: 'rhel',
  rocky: 'rocky',
  almalinux: 'almalinux',
  amzn: 'amazon-linux',
  fedora: 'fedora',
  cos: 'cos',
};

/** The table's product and cycle for an os-release, or undefined when the OS has no rows. */
export function osCycle(id: string, versionId: string): { product: EolProduct; cycle: string } | undefined {
  const product = OS_PRODUCT[id];
  if (!product || !versionId) return undefined;
  const major = /^(\d+)/.exec(versionId)?.[1];
  switch (product) {
    case 'ubuntu':
      return /^\d+\.\d+$/.test(versionId) ? { product, cycle: versionId } : undefined;
    case 'cos':
      return major ? { product, cycle: `cos-${major}` } : undefined;
    default:
      return major ? { product, cycle: major } : undefined;
  }
}

/**
 * The release cycle of a component version ("1.30.2-1.1" -> "1.30"; Docker "5:27.3.1-1~debian.12" -> "27",
 * "26.1.4" -> "26.1", "20.10.24+dfsg1" -> "20.10"): epoch and packaging revision dropped.
 */
export function componentCycle(product: EolProduct, version: string): string | undefined {
  const upstream = version.replace(/^\d+:/, '').replace(/^v/, '');
  const m = /^(\d+)\.(\d+)/.exec(upstream);
  if (!m) return undefined;
  if (product !== 'docker-engine') return `${Number(m[1])}.${Number(m[2])}`;
  const mm = `${Number(m[1])}.${m[2]}`;
  if (EOL_TABLE.some((r) => r.product === product && r.cycle === mm)) return mm;
  return Number(m[1]) >= 27 ? String(Number(m[1])) : mm;
}

export type EolState = 'past' | 'soon' | 'supported' | 'no_date';

export interface EolVerdict {
  state: EolState;
  /** Whole days until (positive) or since (negative) the end; undefined without a date. */
  days?: number;
  date?: string;
}

const DAY = 86_400_000;

/** Where `now` stands against a support end date (the end date itself is still supported). */
export function eolVerdict(date: string | null, now: number, soonDays = EOL_SOON_DAYS): EolVerdict {
  if (date === null) return { state: 'no_date' };
  const end = Date.parse(`${date}T23:59:59.999Z`);
  const days = Math.floor((end - now) / DAY);
  if (now > end) return { state: 'past', days, date };
  return { state: days < soonDays ? 'soon' : 'supported', days, date };
}
