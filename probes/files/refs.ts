/** Reference strings, spelled once: CIS section ids as ComplianceAsCode's controls/cis_debian12.yml lists them. */
export const CIS_DEBIAN_12 = (id: string): string => `CIS Debian Linux 12 Benchmark v1.1.0 ${id}`;
export const LYNIS = (id: string): string => `Lynis ${id}`;
