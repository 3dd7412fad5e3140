/** Debian version comparison: the one comparator of the engine (src/host/facts/dpkg/version.ts), by its names here. */
export {
  compareDebVersions as compareVersions, parseDebVersion as parseVersion, splitDebVersion as splitVersion,
  compareParsedDebVersions as compareParsed, verrevcmp,
} from '../../../src/sdk.js';
export type { DebVersion, ParsedDebVersion as ParsedVersion } from '../../../src/sdk.js';
