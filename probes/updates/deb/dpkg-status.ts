/** The installed set from /var/lib/dpkg/status: the engine's parser (src/host/facts/dpkg/status.ts). */
export { parseDpkgStatus, debSourceName as sourceName } from '../../../src/sdk.js';
export type { InstalledPackage, DpkgStatus } from '../../../src/sdk.js';
